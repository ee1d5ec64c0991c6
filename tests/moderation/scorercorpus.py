"""The scorer's corpus (``moderation/data/scorer_corpus.tsv``): its held-out split and
the figures the issue asks for.

Used by ``evaluate.py`` (printed figures) and ``test_moderation_scorer.py`` (the
thresholds). The split was fixed before any training: see
``moderation/corpusgen.py`` and docs/moderation.md.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from yishi.moderation import Action, Pipeline
from yishi.moderation.corpusgen import CATEGORIES, Row
from yishi.moderation.lists import DATA
from yishi.moderation.retrain import CORPUS, read_corpus

# The forms the thresholds are asked for, and the hand-written civic sentences.
FORMS = ("zh_hans", "zh_hant", "mixed")
TOPIC = "幸福里社区居民议事会：加装电梯、停车与物业费"


def test_rows() -> list[Row]:
    return [r for r in read_corpus(DATA / CORPUS) if r.split == "test"]


def group(row: Row) -> str:
    """The row's group for the figures: its form, or ``handwritten-heldout/<lang>``."""
    return row.family if row.family.startswith("handwritten") else row.form


@dataclass(frozen=True)
class Outcome:
    row: Row
    held: bool  # held or rejected
    category: str | None  # the scorer's category, if it said anything
    matched: tuple[str, ...]


def run(pipeline: Pipeline, rows: list[Row], *, topic: str = "") -> list[Outcome]:
    out = []
    for row in rows:
        verdict = pipeline.check(row.text, kind="chat", spam_action="hold", topic=topic)
        score = pipeline.score(row.text)
        out.append(
            Outcome(
                row=row,
                held=verdict.action in (Action.HOLD, Action.REJECT),
                category=score.category if score is not None else None,
                matched=verdict.matched,
            )
        )
    return out


@dataclass(frozen=True)
class GroupFigures:
    spam: int  # spam and abuse messages
    caught: int  # of those, held or rejected
    civic: int
    civic_held: int

    @property
    def recall(self) -> float:
        return self.caught / self.spam if self.spam else 1.0

    @property
    def civic_held_rate(self) -> float:
        return self.civic_held / self.civic if self.civic else 0.0


def by_group(outcomes: list[Outcome]) -> dict[str, GroupFigures]:
    groups = sorted({group(o.row) for o in outcomes})
    out = {}
    for g in groups:
        mine = [o for o in outcomes if group(o.row) == g]
        spam = [o for o in mine if o.row.category != "civic"]
        civic = [o for o in mine if o.row.category == "civic"]
        out[g] = GroupFigures(
            spam=len(spam),
            caught=sum(o.held for o in spam),
            civic=len(civic),
            civic_held=sum(o.held for o in civic),
        )
    return out


def by_category(outcomes: list[Outcome]) -> dict[str, tuple[int, float, float]]:
    """Per category: (n, precision, recall). Recall: held or rejected (for civic:
    let through). Precision: of the messages held with the scorer's category c (or,
    for civic, let through), the share truly of c."""
    truth = Counter(o.row.category for o in outcomes)
    guessed: Counter[str] = Counter()
    right: Counter[str] = Counter()
    caught: Counter[str] = Counter()
    for o in outcomes:
        c = o.row.category
        said = (o.category or "spam") if o.held else "civic"
        guessed[said] += 1
        right[c] += said == c
        caught[c] += o.held if c != "civic" else not o.held
    return {
        c: (
            truth[c],
            right[c] / guessed[c] if guessed[c] else 1.0,
            caught[c] / truth[c] if truth[c] else 1.0,
        )
        for c in CATEGORIES
    }
