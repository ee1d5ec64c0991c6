"""The benchmark message: 200 bytes of text that carry a key and the publish time.

Every server broadcasts the same text (B0 as the frame itself, B1 as a Socket.IO
event argument, Yishi as a chat message). Digits are spelled as letters
(0 -> a ... 9 -> j): Yishi's moderation masks long digit runs as personal data,
and a masked text would lose the timestamp. The filler is plain prose, not a
repeated character, so that no spam rule has a reason to hold it.
"""

from __future__ import annotations

SIZE = 200
MEASURED = "m"
BARRIER = "b"

_TO_LETTERS = str.maketrans("0123456789", "abcdefghij")
_TO_DIGITS = str.maketrans("abcdefghij", "0123456789")
_FILLER = (
    "the district hall meeting continues with the next speaker on the agenda and "
    "residents follow the debate on the lift project from their phones while the "
    "moderator keeps the queue fair for both sides of the question tonight "
) * 3


def encode(kind: str, key: int, sent_us: int, *, size: int = SIZE) -> str:
    """The ``size``-byte text for message ``key`` published at ``sent_us`` (Unix µs)."""
    head = f"bench {kind}{str(key).translate(_TO_LETTERS)} {str(sent_us).translate(_TO_LETTERS)} "
    return head + _FILLER[: size - len(head)]


def decode(text: str) -> tuple[str, int, int] | None:
    """(kind, key, sent_us) of a benchmark text, or None for any other text."""
    if not text.startswith("bench "):
        return None
    parts = text.split(" ", 3)
    if len(parts) < 3 or not parts[1]:
        return None
    try:
        key = int(parts[1][1:].translate(_TO_DIGITS))
        sent_us = int(parts[2].translate(_TO_DIGITS))
    except ValueError:
        return None
    return parts[1][0], key, sent_us
