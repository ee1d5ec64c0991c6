"""Where each room's delivery starts on a Redis Cluster, once its channels are heard.

:class:`~yishi.backends.redis.shards.ShardFeed` places the rooms' subscriptions on
their masters and hears their messages; this module decides what a confirmed
subscription and a message mean for the room's cursor (``Delivery``):

* The first confirmation of a room sets its cursor to the stored seq, read after
  the confirmation: whatever is appended in between is heard twice at worst,
  never missed. A room first wanted by this node's own append (``from_start``)
  keeps its cursor instead, and is read from it: every entry of it is news to
  its listeners. Messages heard before the cursor is set are held back (at most
  ``HELD_BACK`` a room; a repair reads the rest) and offered after it; then
  whoever waits for the room (``wait``) goes on.
* A later confirmation (a failover, a moved slot) re-reads the room if its
  stored seq passed what was delivered, and says so if it is behind (the
  cluster lost acknowledged entries).
* After that, a message is offered at once; a jump in seq starts a repair
  (pub/sub is ordered per channel).
"""

from __future__ import annotations

import asyncio
import logging

from ...core.types import Entry
from ..base import BackendUnavailable
from .cluster_link import ClusterLink
from .delivery import Delivery
from .feed import RETRY_MAX_S, RETRY_MIN_S, compare_stored
from .link import SOCKET_TIMEOUT_S, nap

logger = logging.getLogger(__name__)

HELD_BACK = 1000  # messages kept per room while its cursor is being read (more: repair)


class ShardRooms:
    """The cursors of the rooms a shard feed hears, set after each confirmation."""

    def __init__(self, link: ClusterLink, delivery: Delivery, *, stopping: asyncio.Event) -> None:
        self._link = link
        self._delivery = delivery
        self._stopping = stopping
        self._started: set[str] = set()  # cursor set after the first confirmation
        self._from_start: set[str] = set()  # first wanted by an append: deliver everything
        self._held: dict[str, list[Entry]] = {}  # heard before the cursor was set
        self._waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def started(self, room_id: str) -> bool:
        return room_id in self._started

    def from_start(self, room_id: str) -> None:
        """This node appends to the room before hosting it: keep its cursor."""
        self._from_start.add(room_id)

    def forget(self, room_id: str) -> None:
        """The room is no longer heard: hosted again, it starts afresh."""
        self._started.discard(room_id)
        self._from_start.discard(room_id)
        self._held.pop(room_id, None)

    async def wait(self, room_id: str) -> None:
        """Return once the room's cursor is set. Raises :class:`BackendUnavailable`
        if that takes longer than a command may."""
        if room_id in self._started:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(room_id, []).append(future)
        try:
            await asyncio.wait_for(future, SOCKET_TIMEOUT_S)
        except TimeoutError:
            raise BackendUnavailable(f"could not subscribe to room {room_id}'s shard") from None

    def confirmed(self, room_id: str) -> None:
        """The room's channels are subscribed on its master (again)."""
        if room_id in self._started:
            work = self._resync(room_id)  # heard again: read what the gap may have lost
        else:
            work = self._start(room_id)
        task = asyncio.create_task(work, name=f"yishi-redis-confirmed-{room_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def heard(self, room_id: str, entry: Entry) -> None:
        """A message of the room: held back until its cursor is set, then offered."""
        if room_id not in self._started:
            held = self._held.setdefault(room_id, [])
            if len(held) < HELD_BACK:
                held.append(entry)
            return
        if self._delivery.offer(room_id, entry):
            self._delivery.repair(room_id)  # ordered per channel: a jump means a loss

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _start(self, room_id: str) -> None:
        """Subscribed for the first time: the cursor is the stored seq, read now (a room
        this node asked about before hosting it: it reads the log itself when it loads
        it). A room first met by an append keeps its cursor, and is read from it."""
        if room_id in self._from_start:
            self._started.add(room_id)
            self._delivery.repair(room_id)  # what was stored before the subscription
        while room_id not in self._started:
            try:
                [seq] = await self._link.seqs([room_id])
            except BackendUnavailable as exc:
                if self._stopping.is_set():
                    return
                logger.warning("reading where room %s stands failed (%s); retrying", room_id, exc)
                await nap(self._stopping, RETRY_MIN_S)
                continue
            self._delivery.start_at(room_id, seq)
            self._started.add(room_id)
        for entry in self._held.pop(room_id, []):
            if self._delivery.offer(room_id, entry):
                self._delivery.repair(room_id)
        for future in self._waiters.pop(room_id, []):
            if not future.done():
                future.set_result(None)

    async def _resync(self, room_id: str) -> None:
        """Subscribed again (a failover, a moved slot): re-read the room if its stored
        seq passed what was delivered; raise its mark, or say so, if it is behind."""
        # Retried until the shard answers (while the room is heard): a mark left behind
        # what was delivered would hide those entries from a node loading the room.
        while room_id in self._started and not self._stopping.is_set():
            try:
                [seq] = await self._link.seqs([room_id])
                await compare_stored(
                    self._link,
                    self._delivery,
                    room_id,
                    seq,
                    "the cluster lost entries in a failover"
                    " (see docs/operations.md, Redis Cluster)",
                )
                return
            except BackendUnavailable as exc:
                logger.warning(
                    "re-reading where room %s stands failed (%s); retrying", room_id, exc
                )
                await nap(self._stopping, RETRY_MAX_S)
