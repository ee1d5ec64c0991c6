"""Word lists compiled into fast matchers, and what they find in a message.

Rules:

* A list entry with a Chinese character is matched on the ``compact`` view
  (insults) or the ``dense`` view (spam), as a plain substring: Chinese has
  no spaces to mark word edges. A Latin end of such an entry ("av女优") must
  not touch another Latin letter.
* A Latin entry is matched on the ``joined`` and ``leet`` views as a whole
  word (no Latin letter or digit on either side), with an optional plural
  "s"/"es"; a space in an entry matches any run of separators, or none
  ("fuck off", "fuck-off", "fuckoff").
* A Latin entry also matches whole words glued together ("fu ck off"), but
  only if the match starts and ends on word edges: "said iot" never reads
  "idiot". Inside a word spelled out letter by letter ("F R E E P O R N"),
  whose own edges are unknown, an entry of four letters or more matches
  anywhere.
* An ``allow`` phrase that overlaps a hit cancels it ("去死角" is not "去死",
  "垃圾分类" is not an insult, "feel like an idiot" is not abuse).
* Each distinct entry counts once, however often it appears.

Each list is one regular expression shaped like a trie, so a message is
scanned once per view whatever the length of the lists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from .normalise import Views, has_cjk

_LATIN_SEPARATOR = r"[\W_]*"
_NOT_LATIN_BEFORE = r"(?<![a-z0-9])"
_NOT_LATIN_AFTER = r"(?![a-z0-9])"
_LATIN_OR_SEP = re.compile(r"[a-z0-9*]+|[^a-z0-9*]+")
_SPELLED_MIN = 4


@dataclass(frozen=True, slots=True)
class Hit:
    """One list entry found in a message: its list and its folded form."""

    category: str
    term: str


def trie_pattern(words: Iterable[str], *, space: str | None = None) -> str:
    """One regular expression matching any of ``words``, longest first.

    ``space``, if given, is the pattern a space in a word stands for.
    """
    trie: dict[str, dict] = {}  # type: ignore[type-arg]
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:  # type: ignore[type-arg]
        alternatives = []
        for ch in sorted(k for k in node if k):
            head = space if (ch == " " and space is not None) else re.escape(ch)
            alternatives.append(head + build(node[ch]))
        if not alternatives:
            return ""
        ends_here = "" in node
        if len(alternatives) == 1 and not ends_here:
            return alternatives[0]
        group = "(?:" + "|".join(alternatives) + ")"
        return group + "?" if ends_here else group

    return build(trie)


def _key(text: str) -> str:
    return "".join(c for c in text if c.isalnum() or c == "*")


class _Latin:
    """Latin entries: whole words on the Latin views, plurals, glued words."""

    def __init__(self, entries: Mapping[str, str]) -> None:
        self._category = {_key(term): category for term, category in entries.items()}
        body = trie_pattern(sorted(entries), space=_LATIN_SEPARATOR)
        self._regex = re.compile(f"{_NOT_LATIN_BEFORE}(?:{body})(?:e?s)?{_NOT_LATIN_AFTER}")
        self._anywhere = re.compile(f"(?:{body})")

    def _lookup(self, matched: str) -> tuple[str, str] | None:
        key = _key(matched)
        for candidate in (key, key[:-1], key[:-2]):
            category = self._category.get(candidate)
            if category is not None:
                return category, candidate
        return None

    def spans(self, view: str) -> list[tuple[int, int, str, str]]:
        out = []
        for m in self._regex.finditer(view):
            found = self._lookup(m.group())
            if found is not None:
                out.append((m.start(), m.end(), *found))
        return out

    def spelled_hits(self, words: tuple[str, ...]) -> list[tuple[str, str]]:
        """Entries inside words spelled out letter by letter."""
        out = []
        for word in words:
            for m in self._anywhere.finditer(word):
                found = self._lookup(m.group())
                if found is not None and len(found[1]) >= _SPELLED_MIN:
                    out.append(found)
        return out

    def glued_spans(self, view: str) -> list[tuple[str, str]]:
        """Entries spelled across several Latin words ("fu ck off")."""
        parts = _LATIN_OR_SEP.findall(view)
        if sum(1 for p in parts if p[0].isalnum()) < 2:
            return []
        glued: list[str] = []
        starts: set[int] = set()
        ends: set[int] = set()
        pos = 0
        for k, part in enumerate(parts):
            latin = part[0].isalnum() or part[0] == "*"
            between_words = (
                0 < k < len(parts) - 1
                and not latin
                and not has_cjk(part)
                and parts[k - 1][0].isalnum()
                and parts[k + 1][0].isalnum()
            )
            if between_words:
                continue
            if latin:
                starts.add(pos)
                ends.add(pos + len(part))
            glued.append(part)
            pos += len(part)
        text = "".join(glued)
        return [
            (category, term)
            for start, end, category, term in self.spans(text)
            if start in starts and end in ends and any(start < s < end for s in starts)
        ]  # single words: see spans()


class _Chinese:
    """Entries with Chinese characters: substrings of a compact view."""

    def __init__(self, entries: Mapping[str, str]) -> None:
        self._category = dict(entries)
        self._regex = re.compile(trie_pattern(sorted(entries)))

    def spans(self, view: str) -> list[tuple[int, int, str, str]]:
        out = []
        for m in self._regex.finditer(view):
            term = m.group()
            start, end = m.start(), m.end()
            # A Latin letter at the edge of an entry must not run on ("加v" in "加vip").
            if (
                term[0].isascii()
                and start > 0
                and view[start - 1].isascii()
                and view[start - 1].isalnum()
            ):
                continue
            if (
                term[-1].isascii()
                and end < len(view)
                and view[end].isascii()
                and view[end].isalnum()
            ):
                continue
            out.append((start, end, self._category[term], term))
        return out


def _overlaps(span: tuple[int, int, str, str], allowed: list[tuple[int, int, str, str]]) -> bool:
    start, end = span[0], span[1]
    return any(a_start < end and start < a_end for a_start, a_end, _, _ in allowed)


class TermMatcher:
    """All word lists of a lexicon; :meth:`hits` says which entries a message holds.

    ``lists`` maps a category name to its entries; ``dense_categories`` are
    the categories whose Chinese entries match across any separator (spam).
    ``fold`` normalises an entry exactly like a message.
    """

    def __init__(
        self,
        lists: Mapping[str, Iterable[str]],
        *,
        allow: Iterable[str],
        dense_categories: frozenset[str],
        fold: Callable[[str], str],
    ) -> None:
        latin: dict[str, str] = {}
        compact: dict[str, str] = {}
        dense: dict[str, str] = {}
        for category, entries in lists.items():
            for entry in entries:
                folded = fold(entry)
                if has_cjk(folded):
                    word = "".join(c for c in folded if c.isalnum())
                    (dense if category in dense_categories else compact)[word] = category
                elif _key(folded):
                    latin[folded] = category
        allow_latin: dict[str, str] = {}
        allow_chinese: dict[str, str] = {}
        for entry in allow:
            folded = fold(entry)
            if has_cjk(folded):
                allow_chinese["".join(c for c in folded if c.isalnum())] = "allow"
            elif _key(folded):
                allow_latin[folded] = "allow"
        self._latin = _Latin(latin) if latin else None
        self._compact = _Chinese(compact) if compact else None
        self._dense = _Chinese(dense) if dense else None
        self._allow_latin = _Latin(allow_latin) if allow_latin else None
        self._allow_chinese = _Chinese(allow_chinese) if allow_chinese else None

    def hits(self, views: Views) -> set[Hit]:
        found: set[Hit] = set()
        if views.cjk:
            for matcher, view in ((self._compact, views.compact), (self._dense, views.dense)):
                if matcher is not None:
                    allowed = self._allow_chinese.spans(view) if self._allow_chinese else []
                    found.update(
                        Hit(category, term)
                        for span in matcher.spans(view)
                        if not _overlaps(span, allowed)
                        for category, term in [span[2:]]
                    )
        if self._latin is not None:
            for view in {views.joined, views.leet}:
                allowed = self._allow_latin.spans(view) if self._allow_latin else []
                found.update(
                    Hit(category, term)
                    for span in self._latin.spans(view)
                    if not _overlaps(span, allowed)
                    for category, term in [span[2:]]
                )
            found.update(
                Hit(category, term) for category, term in self._latin.glued_spans(views.leet)
            )
            found.update(
                Hit(category, term) for category, term in self._latin.spelled_hits(views.spelled)
            )
        return found
