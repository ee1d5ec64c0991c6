"""What ``/readyz`` answers, decided in one place: the parts of a node report their
problems here and clear them when they are over.

Rules:

1. Each problem has a kind (``what``) and, for problems of one room, a key; it is
   reported once however often it recurs, and logged once when it starts (an
   error) and once when it ends (a warning). Reporting it again only updates
   its detail.
2. The node is *not ready* (503) while any problem that stops it serving is open:
   the store unreachable, its disk full, a Redis that lost its data.
3. A corrupt room is *degraded*, not unready: that room answers ``unavailable``,
   the others serve. Every node of a deployment reads the same store and would
   report the same room, so taking them out of a load balancer for it would
   stop the healthy rooms too.

The answer is ``{"ready": bool, "problems": [{"what", "detail"}, ...]}``, the
problems in the order they started.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from .core.types import Json

logger = logging.getLogger(__name__)

BACKEND_UNREACHABLE = "backend_unreachable"
DISK_FULL = "disk_full"
STORE_LOST_DATA = "store_lost_data"
ROOM_CORRUPT = "room_corrupt"
DEGRADING_ONLY = frozenset({ROOM_CORRUPT})  # rule 3


@dataclass(frozen=True, slots=True)
class Problem:
    what: str
    detail: str

    @property
    def blocks_ready(self) -> bool:
        return self.what not in DEGRADING_ONLY


class Readiness:
    """The open problems of one node (see the module's rules)."""

    def __init__(self) -> None:
        self._open: dict[tuple[str, str], Problem] = {}

    def report(self, what: str, detail: str, *, key: str = "") -> None:
        """``what`` is wrong (rule 1: logged only when it starts)."""
        started = (what, key) not in self._open
        self._open[(what, key)] = Problem(what, detail)
        if started:
            logger.error("%s: %s", what.replace("_", " "), detail)

    def clear(self, what: str, *, key: str = "") -> None:
        """``what`` is over, if it was open (logged once)."""
        if self._open.pop((what, key), None) is not None:
            logger.warning("%s is over", what.replace("_", " "))

    def has(self, what: str, *, key: str = "") -> bool:
        return (what, key) in self._open

    @property
    def ready(self) -> bool:
        return not any(p.blocks_ready for p in self._open.values())

    def answer(self) -> Json:
        """The body of ``/readyz`` (its status: 200 if ``ready``, else 503)."""
        return {
            "ready": self.ready,
            "problems": [{"what": p.what, "detail": p.detail} for p in self._open.values()],
        }
