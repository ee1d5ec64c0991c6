"""A node: hosts rooms by applying their logs, and runs their timers and presence.

Every entry reaches a hosted room through one path, the backend's listener,
whoever appended it (this node or another). What to do with it is decided by
the room's pure :class:`~yishi.core.replica.Replica` (order, duplicates, gaps,
deadlines, snapshots); :class:`RoomHost` is the asyncio shell that does it.

Rooms leave memory. A room with no socket on this node, nobody waiting on it
and nothing pending (no turn running, no tally or waiting-list deadline, no
gap to fill) for ``room_idle_ms`` is unloaded: a snapshot is stored first
(unless the stored one is current), so it comes back cheaply, from that
snapshot and the log after it, on the next connection or HTTP read. A room
with a deadline is never unloaded: its timer must fire with nobody connected.
A single-node backend's node therefore loads every room at start, and unloads
at once those with nothing pending (after storing a snapshot if the stored one
is behind); with several nodes a room is loaded where its clients are.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from ..backends.base import BackendUnavailable, CorruptEntry, LogBackend, is_room_log
from ..core.recent import RecentEvents
from ..core.replica import SNAPSHOT_EVERY, Effects, Replica
from ..core.state import RoomState
from ..core.types import CommandError, Entry, ErrorCode, Event, Json, Outcome
from ..core.versions import RULES_VERSION
from ..core.views import Viewer
from ..readiness import Readiness
from ..wire import CLOSE_REMOVED, CLOSE_RESTARTING, CLOSE_UNAVAILABLE
from . import snapshots
from .ballots import Ballots
from .deadline_timer import DeadlineTimer
from .hub import Close, RoomHub
from .presence import PresenceReporter
from .room_damage import DamagedRooms
from .room_epochs import RoomEpochs
from .snapshots import SnapshotWriter
from .sweeps import forget_dead_nodes, sweep_dead_nodes, sweep_idle_rooms
from .voice import RoomVoice, VoiceStats

logger = logging.getLogger(__name__)

__all__ = ["SNAPSHOT_EVERY", "Node", "RoomHost"]

KEPT_OUTCOMES = 4096
TICK_RETRY_S = 1.0
ROOM_IDLE_MS = 10 * 60 * 1000


class RoomHost:
    """One room on this node: the asyncio shell around its :class:`Replica`.

    The replica decides (order, gaps, deadlines, snapshots, exclusions); this
    class does what it says: publishes events to the room's sockets, reads the
    log to fill gaps, arms the timer and appends ticks, saves snapshots, and
    resolves the futures of callers waiting for an entry's outcome.
    """

    def __init__(self, node: Node, room_id: str) -> None:
        self.node = node
        self.room_id = room_id
        self.replica = Replica(room_id, node_id=node.node_id)
        self.hub = RoomHub()
        self.voice = RoomVoice(node.voice, clock=node.clock)  # its listening sockets
        self.ready = asyncio.Event()
        self.presence = PresenceReporter(self)
        self.last_used = node.clock()  # for unloading an idle room (see Node)
        self.snapshot_seq = 0  # of the newest snapshot known to be stored
        self.epoch = ""  # of the log's history this state is of (see room_epochs)
        self._pins = 0  # awaits in progress that will use this host afterwards
        self._snapshots = SnapshotWriter()
        self._saving: asyncio.Task[None] | None = None
        self._outcomes: OrderedDict[int, Outcome] = OrderedDict()
        self._waiters: dict[int, asyncio.Future[Outcome]] = {}
        self._repairing: asyncio.Task[None] | None = None
        self._reading: asyncio.Task[None] | None = None
        self._timer = DeadlineTimer(
            self.replica,
            clock=node.clock,
            spawn=node.spawn,
            append_tick=lambda: node.backend.append(room_id, "tick"),
        )

    @property
    def state(self) -> RoomState:
        return self.replica.state

    @property
    def recent(self) -> RecentEvents:
        return self.replica.recent

    @property
    def applied_seq(self) -> int:
        return self.replica.applied_seq

    # -- applying the log ----------------------------------------------------------

    def receive(self, entry: Entry) -> None:
        self._do(self.replica.receive(entry))

    def _do(self, effects: Effects) -> None:
        """Carry out what the replica asked for, in the order :class:`Effects` gives."""
        node = self.node
        for applied in effects.applied:
            outcome = applied.outcome
            node.entries_applied += 1
            node.faults += sum(1 for e in outcome.events if e.type == "room.fault")
            self.hub.publish(outcome.events)
            for participant_id in applied.close:
                for sub in self.hub.of_participant(participant_id):
                    sub.outbox.close_after_pending(Close(CLOSE_REMOVED, "removed"))
            waiter = self._waiters.pop(outcome.entry_seq, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(outcome)
            else:
                self._outcomes[outcome.entry_seq] = outcome
                while len(self._outcomes) > KEPT_OUTCOMES:
                    self._outcomes.popitem(last=False)
        if effects.repair_after is not None:
            self._repairing = asyncio.ensure_future(self._repair())
        if effects.snapshot:
            self.save_snapshot()
        if effects.reannounce:
            self.presence.reannounce()
        if effects.applied:
            node.ballots.later(self)  # a secret poll's tally or count, if its node fails
        self._timer.arm()

    async def _repair(self) -> None:
        """Read the log after the applied seq, as the replica asked (rule 2)."""
        while True:
            try:
                entries = await self._read_after()
            except BackendUnavailable:
                await asyncio.sleep(TICK_RETRY_S)
                continue
            except CommandError:
                return  # damaged: the room is dropped (_read_after); asking again cannot help
            break
        self.node.repair_reads += 1
        for entry in entries:
            self.receive(entry)
        self._do(self.replica.repair_done(read_any=bool(entries)))

    @contextlib.contextmanager
    def pinned(self) -> Iterator[None]:
        """Keep the room loaded while the caller awaits something and uses it after."""
        self._pins += 1
        try:
            yield
        finally:
            self._pins -= 1

    async def catch_up(self) -> None:
        """Apply everything the log holds now (used when loading and before `since`)."""
        with self.pinned():
            entries = await self._read_after()
            while entries:
                for entry in entries:
                    self.receive(entry)
                entries = await self._read_after()

    async def _read_after(self) -> list[Entry]:
        """The log after the applied seq. Damage there (a hole, an undecodable entry)
        raises the room's ``CommandError(UNAVAILABLE)`` and drops the room from this
        node; it would otherwise be read again, forever, with the same result."""
        try:
            return await self.node.backend.read(self.room_id, after=self.applied_seq)
        except CorruptEntry as damage:
            refusal = self.node.damaged.record(self.room_id, damage.seq, damage.reason)
            self.node.drop_damaged(self)
            raise refusal from None

    async def outcome(self, seq: int) -> Outcome:
        """What the entry ``seq`` did, once this node has applied it."""
        known = self._outcomes.pop(seq, None)
        if known is not None:
            return known
        if seq <= self.applied_seq:  # not kept, or the store numbered it again (lost data)
            raise CommandError(
                ErrorCode.UNAVAILABLE,
                f"the outcome of entry {seq} is not"
                " known on this node; the store may have lost entries",
            )
        waiter = self._waiters.get(seq) or asyncio.get_running_loop().create_future()
        self._waiters[seq] = waiter
        if self._reading is None or self._reading.done():
            # The entry is in the log: read it rather than wait for it to be heard again.
            self._reading = asyncio.ensure_future(self._read_waited())
        return await waiter

    async def _read_waited(self) -> None:
        with contextlib.suppress(BackendUnavailable):  # the next entry heard reads again
            await self.catch_up()

    # -- snapshots -------------------------------------------------------------------

    def save_snapshot(self) -> asyncio.Task[None]:
        """Store a snapshot of the state as it is now; the pickling of the events, which
        never change once emitted, happens in a thread (see :mod:`snapshots`)."""
        seq = self.applied_seq
        # Taken now, on the loop: the state changes with the next entry.
        state_part = self._snapshots.state_part(self.state)
        events = list(self.recent)
        previous = self._saving
        self._saving = self.node.spawn(self._store_snapshot(seq, state_part, events, previous))
        return self._saving

    async def _store_snapshot(
        self, seq: int, state_part: bytes, events: list[Event], previous: asyncio.Task[None] | None
    ) -> None:
        if previous is not None:
            # One at a time per room: the writer's chunk cache is not shared across threads.
            await asyncio.gather(previous, return_exceptions=True)
        blob = await asyncio.to_thread(self._snapshots.finish, state_part, events)
        await self.node.backend.save_snapshot(self.room_id, seq, blob)
        self.snapshot_seq = max(self.snapshot_seq, seq)

    def restore(self, seq: int, blob: bytes) -> bool:
        """Start from a snapshot (taken by any node); False if it cannot be used."""
        try:
            version, state, events = snapshots.load(blob)
        except Exception:  # noqa: BLE001  (any unreadable snapshot: replay the log)
            logger.warning("unreadable snapshot of room %s at %s", self.room_id, seq)
            return False
        if version != RULES_VERSION or state.entry_seq != seq:
            return False
        if not self.replica.restore(state, events):
            return False
        self.snapshot_seq = seq
        return True

    def loaded(self) -> None:
        """The load is done: fill any gap it left, arm the deadline timer, and finish
        any secret poll's count a node that died left undone."""
        self._do(self.replica.loaded())
        self.node.spawn(self.node.ballots.settle(self))

    @property
    def idle(self) -> bool:
        """Nothing on this node needs the room now: no socket, nobody waiting on it,
        no presence report or snapshot in flight, and nothing pending in the replica."""
        return (
            not self.hub.subscribers
            and not self.presence.busy
            and not self._waiters
            and self._pins == 0
            and (self._saving is None or self._saving.done())
            and (self._repairing is None or self._repairing.done())
            and not self.replica.busy
        )

    def abandon(self) -> None:
        """The log no longer holds the history applied here: fail whoever waits for an
        outcome (they answer ``unavailable``; a retry with the nonce is answered from
        the log) and send every socket back to reconnect, to the room read again."""
        for waiter in self._waiters.values():
            if not waiter.done():
                waiter.set_exception(BackendUnavailable("the room's history is read again"))
        self._waiters.clear()
        for sub in list(self.hub.subscribers):
            sub.outbox.close_after_pending(Close(CLOSE_RESTARTING, "history replaced"))

    def stop(self) -> None:
        self.node.ballots.stop(self.room_id)
        self._timer.cancel()
        for task in (self._repairing, self._reading):
            if task is not None:
                task.cancel()
        self.presence.stop()

    # -- replay for `since` --------------------------------------------------------

    def events_since(self, since: int, viewer: Viewer) -> list[Event] | None:
        """What ``viewer`` may see of the events after ``since``, if all are still kept."""
        return self.replica.events_since(since, viewer)


class Node:
    """The rooms this process hosts, over one log backend.

    ``room_idle_ms``: how long a room with nothing to do stays in memory (see the
    module's docstring), measured with ``clock``.
    """

    def __init__(
        self,
        backend: LogBackend,
        *,
        clock: Callable[[], int],
        room_idle_ms: int = ROOM_IDLE_MS,
        readiness: Readiness | None = None,
    ) -> None:
        self.backend = backend
        self.damaged = DamagedRooms(readiness or Readiness())
        self.clock = clock
        self.node_id = backend.node_id
        self.room_idle_ms = room_idle_ms
        self.hosts: dict[str, RoomHost] = {}
        self.ballots = Ballots(backend)  # secret polls' keys, tallies and counts
        self._loading: dict[str, asyncio.Task[RoomHost | None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._unsubscribe: Callable[[], None] | None = None
        self._unsubscribe_audio: Callable[[], None] | None = None
        self._unsubscribe_resets: Callable[[], None] | None = None
        self._reset_rooms: set[str] = set()  # rooms whose log lost entries applied here
        self.epochs = RoomEpochs(backend)
        self.voice = VoiceStats()
        # Metrics (counters only grow: what unloaded rooms did is kept here).
        self.entries_applied = 0
        self.repair_reads = 0
        self.faults = 0
        self.loads = 0
        self.evictions = 0
        self.frames_of_unloaded = 0

    @property
    def frames_sent(self) -> int:
        return self.frames_of_unloaded + sum(h.hub.frames_sent for h in self.hosts.values())

    async def start(self) -> None:
        self._unsubscribe = self.backend.subscribe(self._on_entry)
        self._unsubscribe_audio = self.backend.subscribe_audio(self._on_audio)
        self._unsubscribe_resets = self.backend.subscribe_resets(self._on_reset)
        if self.backend.single_node:
            # The only node hosts every room with something pending, so turns end on
            # time after a restart even if nobody reconnects.
            for room_id in await self.backend.room_ids():
                try:
                    host = await self.host(room_id)
                except CommandError:
                    continue  # damaged (logged once): the other rooms load on
                if host is not None and host.idle:
                    with contextlib.suppress(BackendUnavailable):  # it stays unloaded
                        await self.unload(host)
        else:
            # Several nodes: a room is hosted where its clients are, from its first one.
            self.spawn(sweep_dead_nodes(self.backend, self.node_id, self.hosts))
        self.spawn(sweep_idle_rooms(self.hosts, self.clock, self.room_idle_ms, self.unload))

    async def unload(self, host: RoomHost) -> None:
        """Forget an idle room (its timers with it), storing a snapshot first unless the
        stored one is current. Raises ``BackendUnavailable`` if the snapshot cannot be
        stored; the room is unloaded all the same (its log has everything)."""
        if self.hosts.get(host.room_id) is not host:
            return
        del self.hosts[host.room_id]
        host.stop()
        self.backend.release(host.room_id)
        self.evictions += 1
        self.frames_of_unloaded += host.hub.frames_sent
        if host.applied_seq > host.snapshot_seq:
            # Nothing changes this state any more: it may be pickled at leisure.
            await host.save_snapshot()

    def drop_damaged(self, host: RoomHost) -> None:
        """Forget a room whose log is damaged, without a snapshot, closing its sockets
        with 1013 (try again later): its clients keep the state they have."""
        if self.hosts.get(host.room_id) is host:
            del self.hosts[host.room_id]
            host.stop()
        for sub in list(host.hub.subscribers):
            sub.outbox.close_now(Close(CLOSE_UNAVAILABLE, "the room's log is damaged"))

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        for unsubscribe in (self._unsubscribe_audio, self._unsubscribe_resets):
            if unsubscribe is not None:
                unsubscribe()
        for host in self.hosts.values():
            host.stop()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("background task failed", exc_info=task.exception())

    def _on_entry(self, room_id: str, entry: Entry) -> None:
        host = self.hosts.get(room_id)
        if host is not None:
            host.receive(entry)

    def _on_reset(self, room_id: str) -> None:
        """The room's log lost entries this node applied (a failover): its state here is
        not the log's. Forgotten without a snapshot; its sockets reconnect, and the
        room is loaded again from the log (a client whose ``since`` is past it gets a
        full state that replaces its own)."""
        self._reset_rooms.add(room_id)
        host = self.hosts.pop(room_id, None)
        if host is not None:
            self.epochs.reset(room_id, host.epoch)
            self.evictions += 1
            host.stop()
            host.abandon()

    def _on_audio(self, room_id: str, frame: bytes) -> None:
        """A frame another node relayed: to this node's listeners of the room, as it came."""
        host = self.hosts.get(room_id)
        if host is not None:
            host.voice.from_other_node(frame)

    async def host(self, room_id: str) -> RoomHost | None:
        """The room's host, loading it from the log first; None if there is no such room
        (a community's log is none: server/host/communities.py hosts those)."""
        if not is_room_log(room_id):
            return None
        refusal = self.damaged.refusal(room_id)
        if refusal is not None:
            raise refusal
        host = self.hosts.get(room_id)
        if host is not None and host.ready.is_set():
            host.last_used = self.clock()
            return host
        task = self._loading.get(room_id)
        if task is None:
            task = self._loading[room_id] = asyncio.ensure_future(self._load(room_id))
            task.add_done_callback(lambda _: self._loading.pop(room_id, None))
        return await asyncio.shield(task)

    async def _load(self, room_id: str) -> RoomHost | None:
        last = await self.backend.last_seq(room_id)
        if last == 0 and room_id in self._reset_rooms:
            # The log is gone entirely (a store that lost all its data): never made anew.
            raise BackendUnavailable(f"room {room_id}'s log is gone")
        if last == 0:
            return None
        epoch = await self.epochs.current(room_id)
        host = RoomHost(self, room_id)
        host.epoch = epoch
        self.hosts[room_id] = host
        try:
            snapshot = await self.backend.load_snapshot(room_id)
            # One past the log is of a history the log lost (see _on_reset): replayed instead.
            if snapshot is not None and snapshot[0] <= last:
                host.restore(*snapshot)
            await host.catch_up()
        except BaseException:
            if self.hosts.get(room_id) is host:
                del self.hosts[room_id]
            raise
        self.loads += 1
        host.last_used = self.clock()
        host.ready.set()
        host.loaded()
        self.spawn(forget_dead_nodes(self.backend, self.node_id, host))
        return host

    async def submit(
        self,
        room_id: str,
        kind: str,
        *,
        actor: str | None = None,
        args: Json | None = None,
        nonce: str | None = None,
    ) -> Outcome:
        """Append an entry and wait until this node has applied it.

        Raises ``BackendUnavailable`` when the log cannot be reached.
        """
        host = await self.host(room_id) if kind != "room.create" else None
        if host is None and kind != "room.create":
            raise CommandError(ErrorCode.NOT_FOUND, "no such room")
        with host.pinned() if host is not None else contextlib.nullcontext():
            entry = await self.backend.append(room_id, kind, actor=actor, args=args, nonce=nonce)
        if host is None:
            host = await self.host(room_id)
            assert host is not None
        return await host.outcome(entry.seq)
