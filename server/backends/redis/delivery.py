"""In-order, exactly-once delivery of a room's entries to a backend's listeners.

With Redis, a node learns about an entry from up to three sources that race
each other: the pub/sub message (every entry, this node's own included), the
reply to its own append, and repair reads of the stored log. This module turns
them into one stream per room, with these rules:

* A room has a cursor: the last ``seq`` handed to the listeners. An entry at
  or below it is a duplicate and is dropped.
* The entry right after the cursor is delivered at once, then any parked
  entries that now follow without a gap.
* An entry further ahead is parked. The gap is filled by a repair read (the
  stored log after the cursor, until a short page), which the caller asks for:
  at once when pub/sub itself jumped (pub/sub is ordered, so a jump is a loss),
  after a short grace when only an append's reply ran ahead of pub/sub (the
  missing entries are normally already on their way).
* A store that holds less than a room's cursor lost entries that were
  delivered (a failover): :meth:`Delivery.reset` starts the room again at the
  stored seq and tells whoever derived state from it (``on_reset``). The last
  entry delivered is kept (:meth:`Delivery.last`), so that a store merely
  *marked* behind it can be told from one that lost it.
* A room without a cursor starts at 0: the backend sets the cursors of all
  rooms that exist when it subscribes, so a room it has never heard of is a
  room created after that, and all of its entries are news.

Nothing here talks to Redis: reads go through the function it is given.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from ...core.types import Entry
from ..base import BackendUnavailable, Fanout, ResetListener

logger = logging.getLogger(__name__)

ReadPage = Callable[[str, int, int], Awaitable[list[Entry]]]
"""``(room_id, after, limit)`` -> up to ``limit`` stored entries with ``seq > after``."""

REPAIR_PAGE = 1000


def cancelled() -> bool:
    """Was the current task cancelled? redis-py may turn a cancellation into a
    connection error, and a loop that retries on those would never stop."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class Delivery:
    """The per-room cursors, parked entries and repair reads of one backend."""

    def __init__(
        self, *, fanout: Fanout, read_page: ReadPage, retry_s: float, on_reset: ResetListener
    ) -> None:
        self._fanout = fanout
        self._on_reset = on_reset
        self._read_page = read_page
        self._retry_s = retry_s
        self._cursor: dict[str, int] = {}
        self._last: dict[str, Entry] = {}  # room -> the entry at its cursor, if delivered
        self._parked: dict[str, dict[int, Entry]] = {}
        self._waiters: dict[str, dict[int, list[asyncio.Future[None]]]] = {}
        self._repairs: dict[str, asyncio.Task[None]] = {}
        self._closed = False
        self.repair_reads = 0  # a metric: stored-log reads made to fill gaps

    def rooms(self) -> list[str]:
        return list(self._cursor)

    def cursor(self, room_id: str) -> int:
        return self._cursor.get(room_id, 0)

    def last(self, room_id: str) -> Entry | None:
        """The entry at the room's cursor, if it was delivered (not skipped)."""
        return self._last.get(room_id)

    def start_at(self, room_id: str, seq: int) -> None:
        """Listeners have (or need) nothing up to ``seq`` of this room."""
        if seq > self._cursor.get(room_id, 0):
            self._cursor[room_id] = seq
            self._last.pop(room_id, None)
            self._release(room_id, seq)

    def reset(self, room_id: str, seq: int) -> None:
        """The store holds the room only up to ``seq``, below its cursor: what was
        delivered past it is not the log's. Start again at ``seq``, fail whoever waits
        for an entry (it may be one of those), and say so (``on_reset``)."""
        self._cursor[room_id] = seq
        self._last.pop(room_id, None)
        self._parked.pop(room_id, None)
        for futures in self._waiters.pop(room_id, {}).values():
            for future in futures:
                if not future.done():
                    future.set_exception(
                        BackendUnavailable(
                            f"room {room_id}'s log lost entries; its history is read again"
                        )
                    )
        self._on_reset(room_id)

    def offer(self, room_id: str, entry: Entry) -> bool:
        """Deliver ``entry`` if it is next, park it if it is ahead, drop a duplicate.

        Returns True if the room now has a gap (parked entries) that needs a repair.
        """
        cursor = self._cursor.get(room_id, 0)
        if entry.seq <= cursor:
            return False
        if entry.seq > cursor + 1:
            self._parked.setdefault(room_id, {})[entry.seq] = entry
            return True
        self._deliver(room_id, entry)
        parked = self._parked.get(room_id)
        if parked:
            while (following := parked.pop(self._cursor[room_id] + 1, None)) is not None:
                self._deliver(room_id, following)
            for seq in [s for s in parked if s <= self._cursor[room_id]]:
                del parked[seq]
            if not parked:
                del self._parked[room_id]
        return room_id in self._parked

    def _deliver(self, room_id: str, entry: Entry) -> None:
        self._cursor[room_id] = entry.seq
        self._last[room_id] = entry
        self._fanout.notify(room_id, entry)
        waiting = self._waiters.get(room_id)
        if waiting:
            for future in waiting.pop(entry.seq, ()):
                if not future.done():
                    future.set_result(None)
            if not waiting:
                del self._waiters[room_id]

    def _release(self, room_id: str, upto: int) -> None:
        """Wake whoever waits for an entry at or below ``upto`` (skipped by start_at)."""
        waiting = self._waiters.get(room_id)
        if not waiting:
            return
        for seq in [s for s in waiting if s <= upto]:
            for future in waiting.pop(seq):
                if not future.done():
                    future.set_result(None)
        if not waiting:
            del self._waiters[room_id]

    async def delivered(self, room_id: str, seq: int, *, grace_s: float, timeout_s: float) -> None:
        """Return once entry ``seq`` of the room has reached the listeners.

        If it has not after ``grace_s``, a repair read is started; raises
        :class:`BackendUnavailable` if it still has not after ``timeout_s``.
        """
        if self._cursor.get(room_id, 0) >= seq:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(room_id, {}).setdefault(seq, []).append(future)
        try:
            await asyncio.wait_for(asyncio.shield(future), grace_s)
            return
        except TimeoutError:
            self.repair(room_id)
        try:
            await asyncio.wait_for(future, max(timeout_s - grace_s, 0.0))
        except TimeoutError:
            raise BackendUnavailable(
                f"entry {seq} of {room_id} is stored but could not be read back yet"
            ) from None

    def repair(self, room_id: str) -> None:
        """Read the room's stored log after its cursor (one read loop per room at a time)."""
        task = self._repairs.get(room_id)
        if not self._closed and (task is None or task.done()):
            self._repairs[room_id] = asyncio.create_task(
                self._repair(room_id), name=f"yishi-redis-repair-{room_id}"
            )

    async def _repair(self, room_id: str) -> None:
        while not self._closed:
            try:
                page = await self._read_page(room_id, self.cursor(room_id), REPAIR_PAGE)
            except BackendUnavailable as exc:
                if cancelled():
                    return
                # Redis is away: the entries are safe in it; keep trying until it is back.
                logger.warning("repair read of %s failed (%s); retrying", room_id, exc)
                await asyncio.sleep(self._retry_s)
                continue
            self.repair_reads += 1
            for entry in page:
                self.offer(room_id, entry)
            if not page and room_id in self._parked:
                # Parked entries past what the log shows (its durable mark fell behind
                # them in a failover): they show with the room's next confirmed append.
                await asyncio.sleep(self._retry_s)
                continue
            if len(page) < REPAIR_PAGE and room_id not in self._parked:
                # A short page reached the log's end as it was when read. Something
                # still parked was stored after that read began: read again.
                return

    def close(self) -> None:
        """Stop the repairs and fail whoever still waits."""
        self._closed = True
        for task in self._repairs.values():
            task.cancel()
        self._repairs.clear()
        for waiting in self._waiters.values():
            for futures in waiting.values():
                for future in futures:
                    if not future.done():
                        future.set_exception(BackendUnavailable("redis backend closed"))
        self._waiters.clear()
