"""Rooms whose stored log is damaged: refused with a clear error, reported once.

A room whose log has a hole or an entry that does not decode cannot be applied past
it; reading again gives the same, so retrying (or replaying at every request) only
burns the CPU. The first read that meets the damage records it here: it is logged
once (through :class:`~yishi.readiness.Readiness`, which lists it on ``/readyz``),
and from then on the room answers ``unavailable`` at once, on its socket and on its
HTTP routes, until the operator repairs the store and restarts the node. The other
rooms serve on.
"""

from __future__ import annotations

from ..core.types import CommandError, ErrorCode
from ..readiness import ROOM_CORRUPT, Readiness


class DamagedRooms:
    """The rooms found damaged on this node, and the error each answers."""

    def __init__(self, readiness: Readiness) -> None:
        self._readiness = readiness
        self._refusals: dict[str, CommandError] = {}

    def record(self, room_id: str, seq: int, reason: str) -> CommandError:
        """The room's entry ``seq`` is damaged (``reason``): remember and report it
        (once per room), and return the error to answer."""
        known = self._refusals.get(room_id)
        if known is not None:
            return known
        self._readiness.report(ROOM_CORRUPT, f"room {room_id}: entry {seq} {reason}", key=room_id)
        refusal = CommandError(
            ErrorCode.UNAVAILABLE,
            f"room {room_id} is unavailable: its stored log is damaged at"
            f" entry {seq}; the operator has been told",
        )
        self._refusals[room_id] = refusal
        return refusal

    def refusal(self, room_id: str) -> CommandError | None:
        """The error the room answers, if it is damaged."""
        return self._refusals.get(room_id)
