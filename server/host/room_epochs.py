"""Each room's epoch on this node: which history of its log the room's state is of.

A log keeps one epoch for as long as it holds the history it delivered. When the
backend finds that it does not (``subscribe_resets``: a failover or a restored
copy lost entries a node applied), the node forgets the room and remembers the
epoch it held; the next load of the room replaces that epoch in the log (the
first node to do so wins, the others read its epoch back) before reading the
room. Every node then serves the room under the new epoch, and a client whose
``hello`` names the old one gets a full state instead of a replay on top of a
history the log no longer holds (docs/protocol.md, "A history the log no
longer holds").
"""

from __future__ import annotations

from ..backends.base import LogBackend


class RoomEpochs:
    """The epochs this node still has to replace, room by room."""

    def __init__(self, backend: LogBackend) -> None:
        self._backend = backend
        self._replacing: dict[str, str] = {}  # room -> the epoch found to be wrong

    def reset(self, room_id: str, held: str) -> None:
        """The room's log no longer holds the history of epoch ``held``."""
        self._replacing.setdefault(room_id, held)

    async def current(self, room_id: str) -> str:
        """The room's epoch, replaced first if this node found it wrong. Raises
        ``BackendUnavailable`` if the log cannot be reached (then it is tried again
        by the next load)."""
        held = self._replacing.get(room_id)
        if held is None:
            return await self._backend.epoch(room_id)
        epoch = await self._backend.new_epoch(room_id, held)
        del self._replacing[room_id]
        return epoch
