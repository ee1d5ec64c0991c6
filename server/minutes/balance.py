"""Whether an agenda item's speaking balance held.

The rule, stated once (docs/minutes.md, "Balance"):

* The sides counted are those that spoke on the item: support, oppose and
  neutral, each with at least one finished turn. Sides nobody spoke for are
  left out: the queue can only balance the sides people asked to speak for.
* The balance held when the longest side's total speaking time is at most
  ``TOLERANCE`` times the shortest side's (``ratio = max / min``).
* With fewer than two sides that spoke there is nothing to compare: ``held``
  is ``None``. A side whose turns add up to zero time against one that spoke
  for longer gives no ratio (``None``) and did not hold.

Only finished turns count, as in the room's own balance (a running turn is
not in it yet); override turns count like any other.
"""

from __future__ import annotations

from ..core.state import STANCES, AgendaItem
from ..core.types import Json

TOLERANCE = 1.5


def balance_of(item: AgendaItem) -> Json:
    """The item's per-side tallies and the verdict on them."""
    sides = {side: item.balance[side].to_wire() for side in STANCES}
    spoke = [side for side in STANCES if sides[side]["turns"] > 0]
    times = [sides[side]["ms"] for side in spoke]
    ratio: float | None = None
    held: bool | None = None
    if len(spoke) >= 2:
        longest, shortest = max(times), min(times)
        if shortest > 0:
            ratio = round(longest / shortest, 2)
            held = longest <= TOLERANCE * shortest
        else:
            held = longest == 0
    return {"sides": sides, "spoke": spoke, "ratio": ratio, "tolerance": TOLERANCE, "held": held}
