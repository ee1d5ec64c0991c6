"""The name a downloaded export is saved under: the room's title and the session's date.

``加装电梯议事会-2026-11-30.docx``: what a clerk files and a resident finds in
a chat's file list, where ``minutes-x7k2m9q4pd.docx`` says nothing.

* The title keeps its own characters (Chinese included); characters a file
  system refuses (``/ \\ : * ? " < > |``), control characters and runs of white
  space become one ``_``/space, leading and trailing dots and spaces go, and it
  is cut to 60 characters. A title with nothing left falls back to ``minutes``.
* ``Content-Disposition`` carries it twice (RFC 6266): ``filename*`` in UTF-8,
  percent-encoded (RFC 5987), which every current browser prefers, and an ASCII
  ``filename`` for the rest (``minutes-{room}-{date}.{fmt}``: the title is not
  ASCII in most rooms, and a transliteration would only mislead).
"""

from __future__ import annotations

import re
from urllib.parse import quote

MAX_TITLE_CHARS = 60
_REFUSED = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
_SPACE = re.compile(r"\s+")


def download_name(title: str, date: str, fmt: str) -> str:
    """``{title}-{date}.{fmt}``, the title made safe as a file name (see above)."""
    name = _SPACE.sub(" ", _REFUSED.sub("_", title)).strip(" ._")[:MAX_TITLE_CHARS].strip(" ._")
    return f"{name or 'minutes'}-{date}.{fmt}"


def content_disposition(kind: str, *, room_id: str, title: str, date: str, fmt: str) -> str:
    """The header's value: ``kind`` (``inline`` or ``attachment``), an ASCII
    fallback name and the UTF-8 name."""
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", f"minutes-{room_id}-{date}.{fmt}")
    encoded = quote(download_name(title, date, fmt), safe="")
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
