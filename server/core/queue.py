"""Whom the speaking queue gives the floor to next.

The rules, as PROTOCOL.md states them:

* ``balanced`` (default): among the sides with someone waiting, the side with
  the least cumulative speaking time on the current agenda item; ties go to
  the side with fewer turns, then to the side that spoke least recently (a
  side that never spoke is the least recent), then support, oppose, neutral.
* ``alternate``: (1) if a neutral speaker waits and two support/oppose turns
  have passed since the last neutral turn, neutral; (2) else the opposite of
  the last support/oppose turn (support at the start), if someone waits
  there; (3) else the other of support/oppose; (4) else neutral.
* Within a side: people who have spoken fewer times on this item first, then
  the earliest hand-raise, log order breaking ties.

Only finished turns count: the tallies are updated when a turn ends.
"""

from __future__ import annotations

from .state import STANCES, AgendaItem, QueueEntry

SIDE_RANK = {side: rank for rank, side in enumerate(STANCES)}


def side_order(item: AgendaItem, side: str) -> list[QueueEntry]:
    """The waiting list of one side, in pick order."""
    waiting = [e for e in item.queue.values() if e.stance == side]
    return sorted(
        waiting,
        key=lambda e: (item.person_turns.get(e.participant_id, 0), e.raised_at, e.order),
    )


def waiting_sides(item: AgendaItem) -> set[str]:
    return {e.stance for e in item.queue.values()}


def pick_side(item: AgendaItem, policy: str) -> str | None:
    """The side the next turn goes to, or None when nobody waits."""
    sides = waiting_sides(item)
    if not sides:
        return None
    if policy == "alternate":
        return _alternate_side(item, sides)
    return _balanced_side(item, sides)


def _balanced_side(item: AgendaItem, sides: set[str]) -> str:
    def key(side: str) -> tuple[int, int, int, int]:
        tally = item.balance[side]
        # A side that never spoke is the least recent: rank it before any time stamp.
        recency = -1 if tally.last_ended_at is None else tally.last_ended_at
        return (tally.ms, tally.turns, recency, SIDE_RANK[side])

    return min(sides, key=key)


def _alternate_side(item: AgendaItem, sides: set[str]) -> str:
    if "neutral" in sides and item.sided_since_neutral >= 2:
        return "neutral"
    preferred = "support" if item.last_side in (None, "oppose") else "oppose"
    if preferred in sides:
        return preferred
    other = "oppose" if preferred == "support" else "support"
    if other in sides:
        return other
    return "neutral"


def pick_next(item: AgendaItem, policy: str) -> QueueEntry | None:
    """The entry ``turn.next`` would give the floor to now."""
    side = pick_side(item, policy)
    if side is None:
        return None
    return side_order(item, side)[0]


def position(item: AgendaItem, participant_id: str) -> int | None:
    """1-based place of a waiting participant within their side."""
    entry = item.queue.get(participant_id)
    if entry is None:
        return None
    return [e.participant_id for e in side_order(item, entry.stance)].index(participant_id) + 1


def record_finished_turn(
    item: AgendaItem, *, participant_id: str, stance: str, duration_ms: int, ended_at: int
) -> None:
    """Count a finished turn in the item's balance and in the policies' memory."""
    tally = item.balance[stance]
    tally.turns += 1
    tally.ms += duration_ms
    tally.last_ended_at = ended_at
    item.person_turns[participant_id] = item.person_turns.get(participant_id, 0) + 1
    if stance == "neutral":
        item.sided_since_neutral = 0
    else:
        item.last_side = stance
        item.sided_since_neutral += 1
