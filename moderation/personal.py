"""Personal data: mobile numbers, resident ID numbers, bank cards, e-mail addresses.

Rules:

* Numbers are read from the ``norm`` view, so full-width, circled and styled
  digits count; Chinese numerals (一三八, 壹叁捌, 幺) count as digits, and
  "o", "l", "i" between two digits as 0, 1, 1. A number may be split by
  spaces, hyphens or dots ("138 1234 5678", "138-1234-5678"), but it never
  starts or ends inside a run of digits: "213812345678" holds no phone number.
* Mobile (mainland): 11 digits, 1 then 3-9, alone or after +86, 0086 or 86.
  Masked 138****5678: the first 3 and the last 4 digits stay.
* Resident ID: 17 digits and a check character (digit or X) with a valid
  date of birth and a valid ISO 7064 MOD 11-2 checksum, so random digits are
  left alone. The first 3 and the last 4 stay.
* Bank card: 15 to 19 digits starting with 3, 4, 5, 6 or 22-27, valid under
  Luhn; an 18-digit number with a date of birth in the ID position is never
  read as a card. The last 4 stay.
* E-mail: the local part is masked after its first character,
  z*******@example.com.
* Masking replaces characters one for one with ``*`` in the original text,
  so everything else, separators included, is kept exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .normalise import Views

_CHINESE_DIGITS = {
    "〇": "0",
    "零": "0",
    "一": "1",
    "幺": "1",
    "二": "2",
    "两": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "八": "8",
    "九": "9",
    "壹": "1",
    "贰": "2",
    "叁": "3",
    "肆": "4",
    "伍": "5",
    "陆": "6",
    "柒": "7",
    "捌": "8",
    "玖": "9",
}
_LOOKALIKE_DIGITS = {"o": "0", "l": "1", "i": "1"}
_JOINERS = frozenset(" -.–—_")
_MAX_JOIN = 3  # "138 - 1234" still reads as one number
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_EMAIL = re.compile(
    r"(?<![a-z0-9._%+\-])([a-z0-9][a-z0-9._%+\-]*)@"
    r"[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\.[a-z]{2,}"
    r"(?![a-z0-9\-])"
)

Digit = tuple[str, int]  # the digit read, its position in ``norm``


@dataclass(frozen=True, slots=True)
class Found:
    """Personal data in one message: the kinds found and the masked text."""

    kinds: tuple[str, ...]  # "phone", "id", "card", "email", in order of appearance
    masked: str  # the original text itself when ``kinds`` is empty


def _strong_digit(c: str) -> bool:
    return "0" <= c <= "9" or c in _CHINESE_DIGITS


def _read_digit(norm: str, k: int) -> str | None:
    c = norm[k]
    if "0" <= c <= "9":
        return c
    digit = _CHINESE_DIGITS.get(c)
    if digit is not None:
        return digit
    if (
        c in _LOOKALIKE_DIGITS
        and 0 < k < len(norm) - 1
        and _strong_digit(norm[k - 1])
        and _strong_digit(norm[k + 1])
    ):
        return _LOOKALIKE_DIGITS[c]
    if (
        c == "x"
        and k > 0
        and _strong_digit(norm[k - 1])
        and (k + 1 == len(norm) or not norm[k + 1].isascii() or not norm[k + 1].isalnum())
    ):
        return "X"  # the check character of an ID number
    return None


def _runs(norm: str) -> list[list[list[Digit]]]:
    """Runs of digit groups: a run is split by short joiners, a group is unbroken."""
    runs: list[list[list[Digit]]] = []
    groups: list[list[Digit]] = []
    group: list[Digit] = []
    k, n = 0, len(norm)
    while k < n:
        digit = _read_digit(norm, k)
        if digit is not None:
            group.append((digit, k))
            k += 1
            continue
        if group:
            groups.append(group)
            group = []
            j = k
            while j < n and j - k < _MAX_JOIN and norm[j] in _JOINERS:
                j += 1
            if j > k and j < n and norm[j] in _JOINERS:
                j = k  # too long a gap: not one number
            if j > k and j < n and _read_digit(norm, j) is not None:
                k = j
                continue
            runs.append(groups)
            groups = []
        k += 1
    if group:
        groups.append(group)
    if groups:
        runs.append(groups)
    return runs


def _valid_date(digits: str) -> bool:
    year, month, day = int(digits[0:4]), int(digits[4:6]), int(digits[6:8])
    return 1900 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= _DAYS[month - 1]


def _is_id(digits: str) -> bool:
    if len(digits) != 18 or not digits[:17].isdigit() or digits[0] == "0":
        return False
    if not _valid_date(digits[6:14]):
        return False
    total = sum(int(d) * w for d, w in zip(digits, _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == digits[17]


_LUHN_DOUBLED = str.maketrans("0123456789", "0246813579")  # 2d, less 9 above 9


def _luhn(digits: str) -> bool:
    odd = digits[-1::-2]  # from the check digit leftwards: as they are
    even = digits[-2::-2].translate(_LUHN_DOUBLED)  # every second one: doubled
    return (sum(map(int, odd)) + sum(map(int, even))) % 10 == 0


def _is_card(digits: str) -> bool:
    if not (15 <= len(digits) <= 19 and digits.isdigit()):
        return False
    if not (digits[0] in "3456" or 22 <= int(digits[:2]) <= 27):
        return False
    if len(digits) == 18 and _valid_date(digits[6:14]):
        return False  # shaped like an ID number: leave it to the ID rule
    return _luhn(digits)


def _is_phone(digits: str) -> bool:
    return len(digits) == 11 and digits.isdigit() and digits[0] == "1" and digits[1] in "3456789"


_PHONE_PREFIXES = {11: "", 13: "86", 14: "086", 15: "0086"}
# The lengths a number can have, by its first digit: a phone number (after a
# prefix: 1, 86, 086, 0086), a resident ID (never 0), a card (3-6, 22-27). Only
# these windows of a run are read, so a run of digits costs a few checks per
# digit, not one per pair of group boundaries.
_LENGTHS = {
    "0": (14, 15),
    "1": (11, 18),
    "2": (15, 16, 17, 18, 19),
    "3": (15, 16, 17, 18, 19),
    "4": (15, 16, 17, 18, 19),
    "5": (15, 16, 17, 18, 19),
    "6": (15, 16, 17, 18, 19),
    "7": (18,),
    "8": (13, 18),
    "9": (18,),
}


def _classify(text: str) -> tuple[str, range] | None:
    """(kind, indexes of ``text`` to mask) if these digits are personal data."""
    n = len(text)
    if n == 18 and _is_id(text):
        return "id", range(3, 14)
    if 15 <= n <= 19 and _is_card(text):
        return "card", range(n - 4)
    prefix = _PHONE_PREFIXES.get(n)
    if prefix is not None and text.startswith(prefix) and _is_phone(text[len(prefix) :]):
        return "phone", range(len(prefix) + 3, len(prefix) + 7)
    return None


_DIGIT_CHARS = "0-9" + "".join(_CHINESE_DIGITS)
# Stretches that may hold a number: digits, look-alikes and joiners. Only those
# with enough real digits are read closely; most messages have none.
_STRETCH = re.compile(
    f"[{_DIGIT_CHARS}olix](?:[{_DIGIT_CHARS}olix]|[ \\-.–—_]{{1,3}}(?=[{_DIGIT_CHARS}]))*"
)
_MIN_DIGITS = 11


def _numbers(norm: str) -> list[tuple[int, str, list[int], set[int]]]:
    """Candidates as (length, kind, positions to mask, positions covered)."""
    found = []
    runs: list[list[list[Digit]]] = []
    for stretch in _STRETCH.finditer(norm):
        if sum(1 for c in stretch.group() if c not in _JOINERS) >= _MIN_DIGITS:
            # Read with one character of context either side, for look-alikes.
            start = max(stretch.start() - 1, 0)
            offset_runs = _runs(norm[start : stretch.end() + 1])
            runs += [[[(d, p + start) for d, p in g] for g in r] for r in offset_runs]
    for groups in runs:
        digits = [d for group in groups for d in group]
        text = "".join(d for d, _ in digits)
        starts, ends, at = [], set(), 0
        for group in groups:  # a number begins and ends where a group does
            starts.append(at)
            at += len(group)
            ends.add(at)
        for start in starts:
            for length in _LENGTHS.get(text[start], ()):
                if start + length not in ends:
                    continue
                hit = _classify(text[start : start + length])
                if hit is not None:
                    window = digits[start : start + length]
                    found.append(
                        (length, hit[0], [window[k][1] for k in hit[1]], {p for _, p in window})
                    )
    return found


def find_personal(text: str, views: Views) -> Found:
    """The personal data in ``text`` (whose views are ``views``), and ``text`` masked."""
    norm = views.norm
    located: list[tuple[int, str]] = []
    masked_norm: set[int] = set()
    if "@" in norm:
        for m in _EMAIL.finditer(norm):
            located.append((m.start(), "email"))
            masked_norm.update(range(m.start(1) + 1, m.end(1)))
    taken: set[int] = set()
    # Longest first, so that a card number is not read as a phone number inside it.
    for _, kind, mask, covered in sorted(_numbers(norm), key=lambda c: -c[0]):
        if covered & taken:
            continue
        taken |= covered
        located.append((min(covered), kind))
        masked_norm.update(mask)
    if not masked_norm:
        return Found(kinds=(), masked=text)
    chars = list(text)
    for k in masked_norm:
        chars[views.index[k]] = "*"
    return Found(kinds=tuple(kind for _, kind in sorted(located)), masked="".join(chars))
