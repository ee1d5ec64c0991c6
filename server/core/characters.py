"""Characters a text people type may not hold, because of where it is published.

Every text an edge takes (a command's arguments, a community submission) ends up
in a feed, an export or the minutes. Rules:

* Refused at the edge (``bad_command``, nothing changed; :func:`refused_in`):
  control characters (C0 but the line feed and the tab, DEL, C1): XML 1.0
  forbids most of them, so one of them in a title made every Atom feed holding
  it invalid, and the rest only hide text; the bidirectional controls
  (embeddings and overrides U+202A-U+202E, isolates U+2066-U+2069, the marks
  U+200E, U+200F and U+061C): U+202E shows "gpj.exe" as "exe.jpg", and a Chinese
  or English text has no use for any of them; lone surrogates and the
  noncharacters (U+FDD0-U+FDEF, and the last two of every plane), which no
  encoding of a real text holds. A carriage return is refused too: the pages
  send a line break as a line feed.
* Dropped when published (:func:`published`): the same characters, in entries
  written before they were refused (the log is replayed as it was written), so
  that a feed and the minutes stay valid XML and show no spoofed order.
"""

from __future__ import annotations

import re
import unicodedata

_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(17)
)
_REFUSED = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
    f"\u2066-\u2069\ud800-\udfff{_NONCHARACTERS}]"
)

_KINDS = {"Cc": "a control character", "Cs": "a lone surrogate", "Cn": "a noncharacter"}


def refused_in(text: str) -> str | None:
    """What the first refused character of ``text`` is (``"U+202E (RIGHT-TO-LEFT
    OVERRIDE)"``), for the error message; None if it has none."""
    found = _REFUSED.search(text)
    if found is None:
        return None
    char = found.group()
    name = unicodedata.name(char, "") or _KINDS[unicodedata.category(char)]
    return f"U+{ord(char):04X} ({name})"


def published(text: str) -> str:
    """``text`` without the characters that are refused at the edge."""
    return _REFUSED.sub("", text)
