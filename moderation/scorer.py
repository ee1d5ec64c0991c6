"""The scorer: spam and abuse the word lists do not name, by character n-grams.

Rules:

* Only texts with Chinese characters are scored: the corpus is Chinese, and
  English is left to the word lists.
* Features are the distinct character 1-, 2- and 3-grams of the ``dense``
  view (normalised: Simplified, half-width, lower case, every separator and
  emoji dropped), with every digit read as ``0``; n-grams of Latin letters
  and digits alone are replaced by the shape of each run (``#a2d4``). Each
  feature counts once.
* A multinomial logistic model (weights learned by
  :mod:`yishi.moderation.retrain` on the training split of the generated
  corpus, read from ``data/scorer.json``) gives each category a margin over
  ``civic``; the spam probability is one minus the civic probability, and
  the category is the one with the largest margin.
* The pipeline decides with it (see :mod:`.pipeline`): at ``hold`` or more a
  chat message that has no word in common with the room's topic is held; at
  ``sure`` or more any chat message is held. The scorer alone never rejects.
  At ``support`` or more, it adds weak evidence to what the word lists found.
* Every decision says why: :attr:`Score.label` names the category, the
  probability and the features that pushed most, with their weights
  (``score:adult 0.97 [观看 +1.9, 无码 +1.7, 高清 +1.2]``).

Cost: one dictionary look-up per n-gram and a few additions: linear in the
text's length.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import add
from typing import Any

_DIGITS = str.maketrans("0123456789", "0000000000")
_LATIN_RUN = re.compile(r"[a-z0]+")
_CLASS_RUN = re.compile(r"0+|[a-z]+")
_LATIN_ONLY = re.compile(r"[a-z0]+")
NGRAMS = (1, 2, 3)
TOP = 3  # features named in a label


def features(dense: str) -> set[str]:
    """The distinct 1-3 grams of a ``dense`` view, digits read as ``0``, and the shape
    of each run of Latin letters and digits (``#a2d4`` for "vm6166"): handles and
    domains share a shape, not their letters."""
    text = dense.translate(_DIGITS)
    out: set[str] = set()
    for n in NGRAMS:
        out.update(text[k : k + n] for k in range(len(text) - n + 1))
    # Letters and digits alone say little ("x", "0", "ex"): their runs count by shape.
    out.difference_update([g for g in out if _LATIN_ONLY.fullmatch(g)])
    for run in _LATIN_RUN.findall(text):
        parts = _CLASS_RUN.findall(run)[:4]
        out.add("#" + "".join(("d" if p[0] == "0" else "a") + str(min(len(p), 4)) for p in parts))
    return out


def topic_words(dense: str) -> frozenset[str]:
    """The words a topic is made of, for :meth:`Scorer.on_topic`: its bigrams with a
    Chinese character (a Latin or digit bigram says nothing about the topic)."""
    text = dense.translate(_DIGITS)
    return frozenset(
        g for g in (text[k : k + 2] for k in range(len(text) - 1)) if any(c > "\u2e7f" for c in g)
    )


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Spam probabilities at which the pipeline acts (see the module docstring)."""

    support: float
    hold: float
    sure: float


@dataclass(frozen=True, slots=True)
class Score:
    category: str  # the likeliest non-civic category
    probability: float  # of not being civic
    top: tuple[tuple[str, float], ...]  # the features that pushed most, with their weights

    @property
    def label(self) -> str:
        named = ", ".join(f"{f} {w:+.1f}" for f, w in self.top)
        return f"score:{self.category} {self.probability:.2f} [{named}]"


class Scorer:
    """Scores texts with weights read once; pure and safe to share."""

    def __init__(self, model: Mapping[str, Any]) -> None:
        categories: Sequence[str] = model["categories"]
        if not categories or categories[0] != "civic":
            raise ValueError("scorer.json: categories must start with 'civic'")
        self.categories = tuple(categories[1:])
        k = len(categories)
        bias = [float(b) for b in model["bias"]]
        if len(bias) != k:
            raise ValueError("scorer.json: one bias per category")
        # Margins over civic, so a text costs len(categories) - 1 additions a feature.
        self._bias = [b - bias[0] for b in bias[1:]]
        self._weights: dict[str, tuple[float, ...]] = {}
        for feature, row in model["weights"].items():
            if len(row) != k:
                raise ValueError(f"scorer.json: feature {feature!r} needs {k} weights")
            self._weights[feature] = tuple(float(w) - float(row[0]) for w in row[1:])
        t = model["thresholds"]
        self.thresholds = Thresholds(
            support=float(t["support"]), hold=float(t["hold"]), sure=float(t["sure"])
        )

    def score(self, grams: set[str]) -> Score:
        """The score of a text given its :func:`features`."""
        margins = list(self._bias)
        hits: list[tuple[str, tuple[float, ...]]] = []
        weights = self._weights
        for gram in grams:
            row = weights.get(gram)
            if row is not None:
                margins = list(map(add, margins, row))
                hits.append((gram, row))
        best = max(range(len(margins)), key=margins.__getitem__)
        top_margin = margins[best]
        # 1 - P(civic), computed without overflow for large margins.
        if top_margin > 0:
            rest = math.exp(-top_margin) + sum(math.exp(m - top_margin) for m in margins)
            probability = 1.0 - math.exp(-top_margin) / rest
        else:
            total = sum(math.exp(m) for m in margins)
            probability = total / (1.0 + total)
        pushed = sorted(
            ((g, row[best]) for g, row in hits if row[best] > 0),
            key=lambda item: (-item[1], item[0]),
        )[:TOP]
        return Score(category=self.categories[best], probability=probability, top=tuple(pushed))

    @staticmethod
    def on_topic(grams: set[str], topic: frozenset[str]) -> bool:
        """Does the text share a word (a Chinese bigram) with the topic?"""
        return not topic.isdisjoint(grams)
