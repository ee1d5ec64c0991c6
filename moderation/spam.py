"""Spam: SEO, adult and gambling bait, scams.

Rules (weights from ``rules.json``, "scores"):

* Each distinct ``spam_strong.txt`` entry in the message scores 1, each
  ``spam_weak.txt`` entry 0.5, each spam pattern of ``rules.json`` its own
  weight ("日赚500", "earn $500 a day"), a mobile number 0.3.
* A message that warns about spam ("反诈提醒：刷单返利都是诈骗", "群里有人发
  澳门赌场的广告，已经举报了", "beware of this scam") scores 0.4 times as much,
  unless it denies being a scam ("不是骗子", "not a scam") or carries a link
  or a contact handle. Residents talk about spam; spam rarely warns.
* A score of 1 or more is spam: one strong entry, two weak ones, or a weak
  one with a pattern. The scorer's support (:mod:`.scorer`) counts as one
  weak entry, only beside other evidence.
"""

from __future__ import annotations

import re

from .lexicon import Rules
from .normalise import Views
from .terms import Hit


class SpamScorer:
    def __init__(self, *, rules: Rules) -> None:
        self._scores = rules.scores
        self._zh = [(re.compile(p), w) for p, w in rules.spam_patterns_zh]
        self._en = [(re.compile(p), w) for p, w in rules.spam_patterns_en]

    def find(
        self, views: Views, hits: set[Hit], *, phone: bool, contact: bool, support: bool = False
    ) -> list[str]:
        """Labels of the evidence if it adds up to spam, else an empty list.

        ``support``: the scorer finds the text spam-like; it counts as one weak
        entry, but only beside some evidence of the lists."""
        s = self._scores
        labels: list[str] = []
        score = 0.0
        for hit in hits:
            if hit.category == "spam_strong":
                score += s.strong
                labels.append(f"spam:{hit.term}")
            elif hit.category == "spam_weak":
                score += s.weak
                labels.append(f"spam~:{hit.term}")
        for patterns, view in ((self._zh, views.dense), (self._en, views.leet)):
            for regex, weight in patterns:
                m = regex.search(view)
                if m is not None:
                    score += weight
                    labels.append(f"spam:{m.group()}")
        if not labels:
            return []
        if phone:
            score += s.phone
        if support:
            score += s.weak
        categories = {h.category for h in hits}
        if "warning" in categories and "negation" not in categories and not contact:
            score *= s.warning_factor
        return sorted(labels) if score >= s.threshold else []
