"""The figures a community publishes, as a fold of its state (never stored apart).

Definitions (docs/protocol.md, "Communities and topics"), over the *counted*
topics: public (neither held nor rejected) and not merged. A merged topic is
counted once, in ``merged`` alone: its co-signers joined its target, and its
outcome is its target's, which is counted on its own.

* ``submitted``: counted topics (held-then-released included).
* ``accepted``: counted topics that were ever accepted; ``deliberated``: ever
  deliberated; ``declined``, ``solved``, ``not_solved``: in that state now.
* ``sessions``: rooms linked to counted topics (follow-ups included).
* ``adoption_rate`` = topics ever accepted or deliberated / ``submitted``.
* ``solved_rate`` = ``solved`` / ``accepted``.
* ``median_days_to_solve``: the median, over solved topics, of the days from
  submission to the (last) ``solved`` step, to one decimal.
* ``satisfaction``: the ratings of counted topics; ``rate`` = satisfied / all.
* ``overdue_actions``: actions linked to counted topics (as last copied from
  their rooms) that are overdue on ``today`` (the caller's rule).

A rate is a number in 0..1 (four decimals), or None when its denominator is 0.
``by_category`` and ``by_month`` (the month of submission, in the community's
calendar) hold the same figures for their topics.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .state import (
    ACCEPTED,
    DAY_MS,
    DECLINED,
    DELIBERATED,
    HIDDEN,
    MERGED,
    NOT_SOLVED,
    SOLVED,
    CommunityState,
    Topic,
)

Overdue = Callable[[str | None, str, date], bool]  # (due, status, today), deadlines.is_overdue


def rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return round(ordered[middle], 1)
    return round((ordered[middle - 1] + ordered[middle]) / 2, 1)


# A topic's part in the figures, computed once and added to its three groups (the
# whole, its category, its month): (merged, accepted, adopted, deliberated, declined,
# solved, not_solved, sessions, overdue, satisfied, partly, not), and its days to solve
# (-1: not solved).
Part = tuple[tuple[int, ...], float]
FIELDS = 12
MERGED_PART: Part = ((1, *(0,) * (FIELDS - 1)), -1.0)


def part(topic: Topic, overdue: int) -> Part:
    if topic.state == MERGED:
        return MERGED_PART
    ever, state = topic.ever, topic.state
    satisfied = partly = not_ = 0
    for value in topic.ratings.values():
        if value == "satisfied":
            satisfied += 1
        elif value == "partly":
            partly += 1
        else:
            not_ += 1
    days = ((topic.solved_at - topic.submitted_at) / DAY_MS
            if state == SOLVED and topic.solved_at is not None else -1.0)
    accepted = ACCEPTED in ever
    deliberated = DELIBERATED in ever
    return ((0, int(accepted), int(accepted or deliberated), int(deliberated),
             int(state == DECLINED), int(state == SOLVED), int(state == NOT_SOLVED),
             len(topic.sessions), overdue, satisfied, partly, not_), days)


@dataclass(slots=True)
class Tally:
    counts: list[int] = field(default_factory=lambda: [0] * FIELDS)
    topics: int = 0  # every topic added, merged ones too
    days: list[float] = field(default_factory=list)

    def add(self, one: Part) -> None:
        self.counts = [a + b for a, b in zip(self.counts, one[0], strict=True)]
        self.topics += 1
        if one[1] >= 0:
            self.days.append(one[1])

    def wire(self) -> dict[str, Any]:
        (merged, accepted, adopted, deliberated, declined, solved, not_solved, sessions,
         overdue, satisfied, partly, not_) = self.counts
        submitted = self.topics - merged
        rated = satisfied + partly + not_
        return {
            "submitted": submitted, "accepted": accepted,
            "declined": declined, "merged": merged, "sessions": sessions,
            "deliberated": deliberated, "solved": solved, "not_solved": not_solved,
            "adoption_rate": rate(adopted, submitted),
            "solved_rate": rate(solved, accepted),
            "median_days_to_solve": median(self.days),
            "satisfaction": {"satisfied": satisfied, "partly": partly, "not": not_,
                             "rate": rate(satisfied, rated)},
            "overdue_actions": overdue,
        }


def overdue_count(topic: Topic, today: date, is_overdue: Overdue) -> int:
    return sum(1 for session in topic.sessions for action in session.actions
               if is_overdue(action.due, action.status, today))


def public_topics(state: CommunityState) -> Iterable[Topic]:
    return (t for t in state.topics.values() if t.state not in HIDDEN)


def figures(state: CommunityState, *, today: date, is_overdue: Overdue) -> dict[str, Any]:
    """The community's figures (the module's definitions), whole, by category, by month."""
    whole = Tally()
    by_category = {c: Tally() for c in state.categories}
    by_month: dict[str, Tally] = {}
    for topic in public_topics(state):
        one = part(topic, overdue_count(topic, today, is_overdue) if topic.sessions else 0)
        whole.add(one)
        by_category.setdefault(topic.category, Tally()).add(one)
        by_month.setdefault(topic.month, Tally()).add(one)
    return {**whole.wire(),
            "by_category": {c: t.wire() for c, t in by_category.items()},
            "by_month": {m: by_month[m].wire() for m in sorted(by_month)}}
