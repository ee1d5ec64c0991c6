"""The figures a community publishes, as a fold of its state (never stored apart).

Definitions (docs/protocol.md, "Communities and topics"), over the *counted*
topics: public (neither held nor rejected) and not merged. A merged topic is
counted once, in ``merged`` alone: its co-signers joined its target, and its
outcome is its target's, which is counted on its own.

* ``submitted``: counted topics (held-then-released included).
* ``accepted``: counted topics that were ever accepted; ``deliberated``: ever
  deliberated; ``declined``, ``solved``, ``not_solved``: in that state now.
* ``sessions``: meetings held on counted topics (follow-ups included): sessions
  that reached ``deliberated``, which the server takes only once the room's
  session has ended. A meeting only scheduled is not counted.
* ``triaged``: counted topics a moderator has decided on (ever accepted or
  declined); ``adoption_rate`` = topics ever accepted / ``triaged``, so it has
  no value (None, shown "—") before anything was triaged.
* ``solved_rate`` = ``solved`` / ``accepted``.
* ``median_days_to_solve``: the median, over solved topics, of the days from
  submission to the (last) ``solved`` step, to one decimal.
* ``satisfaction``: the ratings of counted topics; ``rate`` = (satisfied + partly)
  / all, as the 12345 hotlines report 满意率 (满意 and 基本满意 over all ratings).
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


@dataclass(slots=True)
class Tally:
    submitted: int = 0
    accepted: int = 0
    adopted: int = 0
    triaged: int = 0
    declined: int = 0
    merged: int = 0
    sessions: int = 0
    deliberated: int = 0
    solved: int = 0
    not_solved: int = 0
    overdue: int = 0
    ratings: dict[str, int] = field(default_factory=lambda: {"satisfied": 0, "partly": 0, "not": 0})
    days: list[float] = field(default_factory=list)

    def add(self, topic: Topic, overdue: int) -> None:
        if topic.state == MERGED:
            self.merged += 1
            return
        ever = topic.ever
        self.submitted += 1
        self.accepted += ACCEPTED in ever
        self.adopted += bool(ever & {ACCEPTED, DELIBERATED})
        self.triaged += bool(ever & {ACCEPTED, DELIBERATED, DECLINED})
        self.deliberated += DELIBERATED in ever
        self.declined += topic.state == DECLINED
        self.solved += topic.state == SOLVED
        self.not_solved += topic.state == NOT_SOLVED
        self.sessions += sum(session.held for session in topic.sessions)
        self.overdue += overdue
        for value in topic.ratings.values():
            self.ratings[value] += 1
        if topic.state == SOLVED and topic.solved_at is not None:
            self.days.append((topic.solved_at - topic.submitted_at) / DAY_MS)

    def wire(self) -> dict[str, Any]:
        rated = sum(self.ratings.values())
        return {
            "submitted": self.submitted,
            "accepted": self.accepted,
            "declined": self.declined,
            "merged": self.merged,
            "sessions": self.sessions,
            "deliberated": self.deliberated,
            "solved": self.solved,
            "not_solved": self.not_solved,
            "triaged": self.triaged,
            "adoption_rate": rate(self.adopted, self.triaged),
            "solved_rate": rate(self.solved, self.accepted),
            "median_days_to_solve": median(self.days),
            "satisfaction": {
                **self.ratings,
                "rate": rate(self.ratings["satisfied"] + self.ratings["partly"], rated),
            },
            "overdue_actions": self.overdue,
        }


def overdue_count(topic: Topic, today: date, is_overdue: Overdue) -> int:
    return sum(
        1
        for session in topic.sessions
        for action in session.actions
        if is_overdue(action.due, action.status, today)
    )


def public_topics(state: CommunityState) -> Iterable[Topic]:
    return (t for t in state.topics.values() if t.state not in HIDDEN)


def figures(state: CommunityState, *, today: date, is_overdue: Overdue) -> dict[str, Any]:
    """The community's figures (the module's definitions), whole, by category, by month."""
    whole = Tally()
    by_category = {c: Tally() for c in state.categories}
    by_month: dict[str, Tally] = {}
    for topic in public_topics(state):
        overdue = overdue_count(topic, today, is_overdue) if topic.sessions else 0
        whole.add(topic, overdue)
        by_category.setdefault(topic.category, Tally()).add(topic, overdue)
        by_month.setdefault(topic.month, Tally()).add(topic, overdue)
    return {
        **whole.wire(),
        "by_category": {c: t.wire() for c, t in by_category.items()},
        "by_month": {m: by_month[m].wire() for m in sorted(by_month)},
    }
