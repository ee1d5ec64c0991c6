"""What a resident's text held that moderation masked (a phone number, an ID or card
number, an e-mail address): said back to her, and kept for staff to reach her.

Masking replaces characters one for one with ``*`` (moderation/personal.py), so the
masked spans are found by comparing the two texts: each run of changed characters,
widened over the characters of the same number or address around it ("138" and
"5678" of 138****5678 are unchanged). ``shown`` is what the public page shows,
``kept`` the original, which only staff read (docs/protocol.md, "Contacts").
"""

from __future__ import annotations

from dataclasses import dataclass

_PART = frozenset("+-._@")  # inside a number or an address, besides letters and digits
MAX_CONTACT = 200


@dataclass(frozen=True, slots=True)
class Masked:
    kind: str  # phone | id | card | email
    shown: str
    kept: str


def _inside(c: str) -> bool:
    return c.isascii() and (c.isalnum() or c in _PART)


def _kind(text: str) -> str:
    digits = sum(c.isdigit() for c in text)
    if "@" in text:
        return "email"
    if digits == 11 or text.startswith("+86"):
        return "phone"
    if digits >= 17 and len(text.replace("-", "").replace(" ", "")) == 18:
        return "id"
    return "card"


def masked_spans(original: str, kept: str) -> list[Masked]:
    """The personal data masked in ``original`` (``kept`` is the masked text)."""
    if original == kept or len(original) != len(kept):
        return []
    found: list[Masked] = []
    i = 0
    while i < len(original):
        if original[i] == kept[i]:
            i += 1
            continue
        start, end = i, i
        while end < len(original) and (original[end] != kept[end] or _inside(original[end])):
            end += 1
        while start > 0 and _inside(original[start - 1]):
            start -= 1
        found.append(
            Masked(_kind(original[start:end]), kept[start:end].strip(), original[start:end].strip())
        )
        i = end
    return found


def contact_of(spans: list[Masked]) -> str | None:
    """The originals, for staff, in one bounded line (None when nothing was masked)."""
    line = "；".join(dict.fromkeys(s.kept for s in spans))
    return line[:MAX_CONTACT] or None
