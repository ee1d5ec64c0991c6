"""Normalisation: the views of a message that the detectors read.

Evasion works on the surface of a text: "免 费 视 频", "ｆｒｅｅ", "傻\u200b逼",
Traditional characters, Cyrillic look-alikes, "id1ot". Every detector reads
normalised views instead of the text, and the views never leave this
package: a verdict carries the original text, or the original masked.

The views, each derived from the one before:

``norm``
    Character by character: format, zero-width and combining characters are
    dropped; NFKC (full-width to half-width, circled and styled digits and
    letters), case folding, then the lexicon's table (Traditional to
    Simplified, look-alike letters, quotes and dashes). Any run of white
    space becomes one space, a run of the same punctuation mark one mark.
    ``index[i]`` is the position in the original text that ``norm[i]`` came
    from, so that personal data found in ``norm`` is masked in the original.
``joined``
    Spaced-out Latin letters and digits joined: "f u c k", "s.b", "w w w".
    Two lone letters join only if neither is "a" or "i" (English words), and
    never across an apostrophe ("I'm a" stays). The words spelled this way
    are also kept apart (``spelled``): their own word edges are lost
    ("F R E E  P O R N" spells "freeporn"), so the Latin lists are searched
    inside them too.
``leet``
    ``joined`` with look-alike digits and symbols read as letters inside
    Latin words: "id1ot", "b!tch", "fr33". Symbols only between letters, so
    "idiot!" stays "idiot!".
``compact``
    Word characters only. A separator between two single characters goes
    ("免 费", "傻*逼"), and so does one of filler symbols only ("免费-视频");
    any other separator (space, sentence punctuation) becomes one space, so
    "别装傻，逼我们签字" does not read "傻逼".
``dense``
    Word characters only, every separator dropped. Spam terms are specific
    enough to be matched across separators; insults are not.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

_DROP_CATEGORIES = frozenset({"Cf", "Mn", "Me", "Cc", "Co", "Cs"})
_MEMO_LIMIT = 1 << 16  # distinct characters remembered; plenty for any language

_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
# Latin letters and digits, other word characters, separators.
_SCRIPT_TOKENS = re.compile(r"[a-z0-9]+|[^\W\da-z_]+|[\W_]+")
_WORD_TOKENS = re.compile(r"[^\W_]+|[\W_]+")
_LEET_TOKEN = re.compile(r"[a-z0-9@$!|]+")
_LEET_DIGITS = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"}
_LEET_SYMBOLS = {"@": "a", "$": "s", "!": "i", "|": "l"}
# Symbols that carry no meaning between two words: removing them is safe.
_FILLER = frozenset("*-_~·•|/\\+=^`'\"#&%$@<>")
_LONE_WORDS = frozenset({"a", "i"})
_SPELLING_SYMBOLS = frozenset("$*@")


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


@dataclass(frozen=True, slots=True)
class Views:
    """One message as the detectors see it (see the module docstring)."""

    norm: str
    index: tuple[int, ...]
    joined: str
    spelled: tuple[str, ...]
    leet: str
    compact: str
    dense: str
    cjk: bool


class Normaliser:
    """Builds :class:`Views` of a text; holds the character table and a memo.

    The memo is an optimisation only (it remembers how each character maps);
    it never changes a result.
    """

    def __init__(self, *, char_table: Mapping[str, str]) -> None:
        self._table = dict(char_table)
        self._memo: dict[str, str] = {}

    def fold(self, text: str) -> str:
        """``norm`` alone; used for word-list entries, so they match like messages."""
        return self._norm(text)[0]

    def views(self, text: str) -> Views:
        norm, index = self._norm(text)
        joined, spelled = _join_spaced(norm)
        leet = _LEET_TOKEN.sub(_unleet, joined)
        compact, dense = _compact(norm)
        return Views(
            norm=norm,
            index=index,
            joined=joined,
            spelled=spelled,
            leet=leet,
            compact=compact,
            dense=dense,
            cjk=has_cjk(norm),
        )

    def _map(self, ch: str) -> str:
        out = self._memo.get(ch)
        if out is not None:
            return out
        if ch.isspace():
            out = " "
        elif unicodedata.category(ch) in _DROP_CATEGORIES:
            out = ""
        else:
            parts = []
            for c in unicodedata.normalize("NFKC", ch).casefold():
                if unicodedata.category(c) in _DROP_CATEGORIES:
                    continue
                c = self._table.get(c, c)
                parts.append(" " if c.isspace() else c)
            out = "".join(parts)
        if len(self._memo) < _MEMO_LIMIT:
            self._memo[ch] = out
        return out

    def _norm(self, text: str) -> tuple[str, tuple[int, ...]]:
        chars: list[str] = []
        index: list[int] = []
        prev = " "  # so that leading space is dropped
        for i, ch in enumerate(text):
            for c in self._map(ch):
                # A repeated separator or punctuation mark says nothing more;
                # "$$" and "**" may spell letters ("a$$hole", "f**k").
                if c == prev and not c.isalnum() and c not in _SPELLING_SYMBOLS:
                    continue
                chars.append(c)
                index.append(i)
                prev = c
        if chars and chars[-1] == " ":
            chars.pop()
            index.pop()
        return "".join(chars), tuple(index)


def _join_spaced(norm: str) -> tuple[str, tuple[str, ...]]:
    parts = _SCRIPT_TOKENS.findall(norm)
    if len(parts) < 3:
        return norm, ()
    out: list[str] = []
    spelled: list[str] = []
    k = 0
    n = len(parts)
    while k < n:
        part = parts[k]
        if len(part) == 1 and part.isascii() and part.isalnum():
            # Collect single Latin letters or digits separated by short separators.
            run = [part]
            j = k + 1
            while (
                j + 1 < n
                and len(parts[j]) <= 3
                and not parts[j][0].isalnum()
                and "'" not in parts[j]
                and len(parts[j + 1]) == 1
                and parts[j + 1].isascii()
                and parts[j + 1].isalnum()
            ):
                run.append(parts[j + 1])
                j += 2
            if len(run) >= 3 or (len(run) == 2 and not _LONE_WORDS & set(run)):
                out.append("".join(run))
                spelled.append(out[-1])
                k = j
                continue
        out.append(part)
        k += 1
    return "".join(out), tuple(spelled)


def _unleet(match: re.Match[str]) -> str:
    token = match.group()
    letters = sum(c.isalpha() for c in token)
    if letters < 2 or letters == len(token):
        return token
    out = []
    last = len(token) - 1
    for i, c in enumerate(token):
        if c in _LEET_DIGITS:
            out.append(_LEET_DIGITS[c])
        elif c in _LEET_SYMBOLS and 0 < i < last:
            out.append(_LEET_SYMBOLS[c])
        else:
            out.append(c)
    return "".join(out)


def _compact(norm: str) -> tuple[str, str]:
    parts = _WORD_TOKENS.findall(norm)
    words: list[str] = []
    out: list[str] = []
    n = len(parts)
    for k, part in enumerate(parts):
        if part[0].isalnum():
            out.append(part)
            words.append(part)
        elif 0 < k < n - 1:
            if len(parts[k - 1]) == 1 and len(parts[k + 1]) == 1:
                continue  # "免 费 视 频": a separator between single characters
            if all(c in _FILLER or unicodedata.category(c)[0] == "S" for c in part):
                continue  # "免费-视频", "免费🔥视频"
            out.append(" ")
    return "".join(out), "".join(words)
