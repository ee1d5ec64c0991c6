"""The follow-up entries of rooms' logs read so far, so a feed polled every minute
reads only what was appended since (server/web/followup.py serves the feeds)."""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from ..backends.base import LogBackend
from ..core.types import CommandError, Entry, ErrorCode
from ..minutes.followup import FOLLOW_UP_KINDS, LogMarks, marks_of

if TYPE_CHECKING:
    from .node import RoomHost

ROOMS = 1024
PAGE = 5_000  # entries read at a time: a long room's first read is not one huge list


class FollowUpLog:
    """Per room, the follow-up entries of its log read so far (``action.update`` and
    ``minutes.publish``: a handful), for the ``ROOMS`` rooms asked about most recently."""

    def __init__(self, *, rooms: int = ROOMS) -> None:
        self._rooms: OrderedDict[str, tuple[int, tuple[Entry, ...]]] = OrderedDict()
        self._max = rooms
        self.entries_read = 0  # a figure for tests

    async def marks(self, backend: LogBackend, host: RoomHost) -> LogMarks:
        """The marks of ``host.state`` as it is on return. Raises ``CommandError
        (UNAVAILABLE)`` if the log is shorter than the room, ``BackendUnavailable``
        if it cannot be read."""
        room_id = host.room_id
        done, kept = self._rooms.get(room_id, (0, ()))
        if done > host.state.entry_seq:  # a node behind another asked: start over
            done, kept = 0, ()
        while done < host.state.entry_seq:  # the room may move on while we read
            page = await backend.read(
                room_id, after=done, limit=min(PAGE, host.state.entry_seq - done)
            )
            if not page:
                raise CommandError(ErrorCode.UNAVAILABLE, "the log is shorter than the room; retry")
            kept += tuple(e for e in page if e.kind in FOLLOW_UP_KINDS)
            done = page[-1].seq
            self.entries_read += len(page)
        self._rooms[room_id] = (done, kept)
        self._rooms.move_to_end(room_id)
        while len(self._rooms) > self._max:
            self._rooms.popitem(last=False)
        return marks_of(host.state, kept)
