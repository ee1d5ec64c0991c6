"""A topic's graph: each step staff may take, from which states, by which roles, to
which state, and the fields the step asks for.

The one copy: the reducer's transition rules (rules.py) check moves against it,
the arguments accept its targets (args.py), and the staff page is sent each role's
moves from it (``moves_for``) and renders only those, asking for the fields named
here (``required`` as the page asks; the reducer's own checks are rules.py's).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..types import Json
from .state import (
    ACCEPTED,
    DECLINED,
    DELIBERATED,
    HELD,
    IN_PROGRESS,
    MERGED,
    NOT_SOLVED,
    REJECTED,
    SCHEDULED,
    SOLVED,
    SUBMITTED,
)

MODERATOR = frozenset({"moderator"})
OFFICE = frozenset({"office"})
FOLLOW_UP = frozenset({"moderator", "office"})


@dataclass(frozen=True, slots=True)
class Field:
    """What a step asks of staff: an argument of ``topic.transition`` (``when``: a date
    and a time on the page)."""

    name: str
    required: bool = False


@dataclass(frozen=True, slots=True)
class Move:
    """One target of the graph: from which states, by which roles, to which state."""

    sources: frozenset[str]
    roles: frozenset[str]
    state: str
    fields: tuple[Field, ...] = ()


NOTE = (Field("reason"),)  # a note for the timeline, optional
REPORT = (Field("report", required=True),)  # the office's report, public

GRAPH: dict[str, Move] = {
    "release": Move(frozenset({HELD}), MODERATOR, SUBMITTED),
    "reject": Move(frozenset({HELD}), MODERATOR, REJECTED),
    "accepted": Move(frozenset({SUBMITTED}), MODERATOR, ACCEPTED, NOTE),
    "merged": Move(
        frozenset({SUBMITTED, ACCEPTED}), MODERATOR, MERGED, (Field("into", required=True), *NOTE)
    ),
    "declined": Move(
        frozenset({SUBMITTED, ACCEPTED}), MODERATOR, DECLINED, (Field("reason", required=True),)
    ),  # the public reason
    "scheduled": Move(
        frozenset({ACCEPTED, DELIBERATED, IN_PROGRESS, NOT_SOLVED}),
        MODERATOR,
        SCHEDULED,
        (Field("when", required=True), Field("place", required=True)),
    ),
    "deliberated": Move(frozenset({SCHEDULED}), MODERATOR, DELIBERATED, NOTE),
    "in_progress": Move(frozenset({DELIBERATED, IN_PROGRESS}), FOLLOW_UP, IN_PROGRESS, NOTE),
    "solved": Move(frozenset({DELIBERATED, IN_PROGRESS}), OFFICE, SOLVED, REPORT),
    "not_solved": Move(frozenset({DELIBERATED, IN_PROGRESS}), OFFICE, NOT_SOLVED, REPORT),
}
TARGETS = tuple(GRAPH)


def moves_for(role: str) -> dict[str, list[Json]]:
    """Per topic state, the steps ``role`` may take from it and what each asks for,
    in the graph's order (the staff page's choices)."""
    out: dict[str, list[Json]] = {}
    for to, move in GRAPH.items():
        if role not in move.roles:
            continue
        step = {"to": to, "fields": [{"name": f.name, "required": f.required} for f in move.fields]}
        for source in sorted(move.sources):
            out.setdefault(source, []).append(step)
    return out
