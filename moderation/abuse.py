"""Abuse: insults and threats.

Rules:

* An entry of ``abuse.txt`` anywhere in the message is abuse ("傻逼",
  "fuck off", "nmsl"), unless an ``allow.txt`` phrase overlaps it.
* An entry of ``abuse_pinyin.txt`` (Latin spellings of Chinese insults:
  "sb", "cnm") counts in a message with Chinese characters, or when it is
  the whole message: "SB 79" in English is a bill, not an insult.
* An entry of ``abuse_aimed.txt`` ("废物", "垃圾", "stupid", "trash") is an
  insult only when aimed at someone: right after an aiming phrase ("你这个",
  "一群", "you're a", "you people are"), or as the whole message. In
  Chinese it must also end the phrase: "你这个垃圾桶" is a bin.
* The abuse patterns of ``rules.json``: threats ("弄死你", "I'll find you")
  and insults that need a pattern ("傻子才信你").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .lexicon import Rules
from .normalise import Views, has_cjk
from .terms import Hit, trie_pattern

_LATIN_SEPARATOR = r"[\W_]*"


class AbuseFinder:
    """Finds insults and threats in a message's views."""

    def __init__(
        self,
        *,
        rules: Rules,
        aimed: tuple[str, ...],
        pinyin: tuple[str, ...],
        fold: Callable[[str], str],
    ) -> None:
        folded = [fold(w) for w in aimed]
        aimed_zh = ["".join(c for c in w if c.isalnum()) for w in folded if has_cjk(w)]
        aimed_en = [w for w in folded if not has_cjk(w)]
        self._aimed_words = frozenset(aimed_zh) | frozenset(aimed_en)
        self._pinyin = frozenset(fold(w) for w in pinyin)
        self._aimed_zh = (
            re.compile(f"(?:{rules.aim_zh})(?:{trie_pattern(aimed_zh)})(?:{rules.aimed_tail_zh})")
            if aimed_zh
            else None
        )
        insults_en = trie_pattern(aimed_en, space=_LATIN_SEPARATOR)
        self._aimed_en = (
            re.compile(rf"(?<![a-z0-9])(?:{rules.aim_en})(?:{insults_en})(?:e?s)?(?![a-z0-9])")
            if aimed_en
            else None
        )
        self._threat_zh = _alternation(rules.abuse_patterns_zh)
        self._threat_en = _alternation(rules.abuse_patterns_en)

    def find(self, views: Views, hits: set[Hit]) -> list[str]:
        """Labels of the abuse found: ``abuse:TERM``, ``aimed:TEXT``, ``threat:TEXT``."""
        found = [f"abuse:{h.term}" for h in hits if h.category == "abuse"]
        whole = views.leet.strip(" .!?,~")
        found += [
            f"abuse:{h.term}"
            for h in hits
            if h.category == "pinyin"
            and (views.cjk or "".join(c for c in whole if c.isalnum()) == h.term)
        ]
        whole_compact = views.compact.replace(" ", "")
        if whole_compact in self._aimed_words or whole in self._aimed_words:
            found.append(f"aimed:{whole_compact}")
        if views.cjk:
            for regex in (self._aimed_zh, self._threat_zh):
                if regex is not None:
                    found += [
                        f"aimed:{m.group()}" if regex is self._aimed_zh else f"threat:{m.group()}"
                        for m in regex.finditer(views.compact)
                    ]
        for regex, label in ((self._aimed_en, "aimed"), (self._threat_en, "threat")):
            if regex is not None:
                found += [f"{label}:{m.group()}" for m in regex.finditer(views.leet)]
        return found


def _alternation(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns))
