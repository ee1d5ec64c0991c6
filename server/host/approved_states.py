"""The approved part of approved minutes (rules 6): the room's state after the log's
first N entries, N the first approval's, replayed once and kept.

Approved minutes are the fold of those entries (``minutes/approved.py``), not of
the room's current state; a download of an approved room needs that older state.
It never changes once approved (the log only grows), so it is replayed from the
stored log once per room and kept, for the ``ROOMS`` rooms asked for most recently.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict

from ..backends.base import BackendUnavailable, LogBackend
from ..core.reducer import replay
from ..core.state import RoomState
from ..core.types import Entry
from ..minutes import approved_entries

ROOMS = 16


class ApprovedStates:
    def __init__(self, *, rooms: int = ROOMS) -> None:
        self._states: OrderedDict[tuple[str, int], RoomState] = OrderedDict()
        self._rooms = rooms

    async def of(self, backend: LogBackend, room_id: str, state: RoomState) -> RoomState | None:
        """The state of ``room_id``'s approved entries, or None while not approved.
        Raises ``BackendUnavailable`` if the log cannot be read."""
        count = approved_entries(state)
        if count is None:
            return None
        key = (room_id, count)
        approved = self._states.get(key)
        if approved is None:
            entries: list[Entry] = []
            while len(entries) < count:
                page = await backend.read(room_id, after=len(entries), limit=count - len(entries))
                if not page:
                    # The approval names entries the log must hold: a short read is a
                    # backend that is behind or failing, never minutes to keep.
                    raise BackendUnavailable(
                        f"{room_id}: the log has {len(entries)} of the {count} approved entries"
                    )
                entries += page
            # A long session's replay takes a while: off the event loop, like the figures.
            approved = await asyncio.to_thread(replay, room_id, entries[:count])
            self._states[key] = approved
            while len(self._states) > self._rooms:
                self._states.popitem(last=False)
        self._states.move_to_end(key)
        return approved
