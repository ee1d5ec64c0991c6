"""A node: hosts rooms by applying their logs, and runs their timers and presence.

Every entry reaches a hosted room through one path, the backend's listener,
whoever appended it (this node or another). ``RoomHost.receive`` applies
entries strictly in log order: an entry from the future is parked and the
missing range is read from the log (the repair path), duplicates are ignored.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from typing import Any

from . import snapshots
from .backends.base import BackendUnavailable, LogBackend
from .core.reducer import apply, new_room, next_deadline
from .core.state import RULES_VERSION, RoomState
from .core.types import CommandError, Entry, ErrorCode, Event, Json, Outcome
from .core.views import Viewer
from .hub import Close, RoomHub
from .recent import RecentEvents
from .wire import CLOSE_REMOVED

logger = logging.getLogger(__name__)

REPLAY_EVENTS = 12_000  # the contract asks for at least the last 10,000
KEPT_OUTCOMES = 4096
PRESENCE_INTERVAL_MS = 1000
OFFLINE_GRACE_MS = 1500
TICK_RETRY_S = 1.0
MIN_TICK_GAP_MS = 20
SNAPSHOT_EVERY = 1000  # entries; a node starting to host a long room skips the rest
DEAD_NODE_SWEEP_S = 2.0


class RoomHost:
    """One room on this node: its replica of the state, recent events and sockets."""

    def __init__(self, node: Node, room_id: str) -> None:
        self.node = node
        self.room_id = room_id
        self.state: RoomState = new_room(room_id)
        self.hub = RoomHub()
        self.recent = RecentEvents(REPLAY_EVENTS)
        self.ready = asyncio.Event()
        self._parked: dict[int, Entry] = {}
        self._outcomes: OrderedDict[int, Outcome] = OrderedDict()
        self._waiters: dict[int, asyncio.Future[Outcome]] = {}
        self._repairing: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: int | None = None
        self._ticking = False
        self.presence = PresenceReporter(self)

    @property
    def applied_seq(self) -> int:
        return self.state.entry_seq

    # -- applying the log ----------------------------------------------------------

    def receive(self, entry: Entry) -> None:
        if entry.seq <= self.applied_seq:
            return
        if entry.seq > self.applied_seq + 1:
            self._parked[entry.seq] = entry
            if self.ready.is_set():  # while loading, the load itself reads the gap
                self.repair()
            return
        self._apply(entry)
        while self.applied_seq + 1 in self._parked:
            self._apply(self._parked.pop(self.applied_seq + 1))
        for seq in [s for s in self._parked if s <= self.applied_seq]:
            del self._parked[seq]
        self._after_apply()

    def _apply(self, entry: Entry) -> None:
        outcome = apply(self.state, entry)
        self.node.entries_applied += 1
        self.recent.extend(outcome.events)
        self.hub.publish(outcome.events)
        self._enforce_exclusions(outcome.events)
        if entry.kind == "node.gone" and entry.args.get("node") == self.node.node_id:
            # Others took this node for dead (say, after a long Redis outage): say again
            # who is here.
            self.presence.reannounce()
        if entry.seq % SNAPSHOT_EVERY == 0:
            self.node.spawn(self.node.backend.save_snapshot(
                self.room_id, entry.seq, self.snapshot_blob()))
        waiter = self._waiters.pop(entry.seq, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(outcome)
        else:
            self._outcomes[entry.seq] = outcome
            while len(self._outcomes) > KEPT_OUTCOMES:
                self._outcomes.popitem(last=False)

    def _enforce_exclusions(self, events: tuple[Event, ...]) -> None:
        """Close the sockets of people removed or whose tokens were revoked."""
        for event in events:
            if (event.type == "participant.updated" and event.data.get("removed")) or (
                    event.type == "participant.left"):
                for sub in self.hub.of_participant(event.data["participant_id"]):
                    sub.outbox.close_after_pending(Close(CLOSE_REMOVED, "removed"))

    def snapshot_blob(self) -> bytes:
        """The state and the events kept for replay, so a `since` still works after a load."""
        return snapshots.dump(self.state, list(self.recent))

    def restore(self, seq: int, blob: bytes) -> bool:
        """Start from a snapshot (taken by any node); False if it cannot be used."""
        try:
            version, state, events = snapshots.load(blob)
        except Exception:
            logger.warning("unreadable snapshot of room %s at %s", self.room_id, seq)
            return False
        if version != RULES_VERSION or state.entry_seq != seq or self.applied_seq != 0:
            return False
        self.state = state
        self.recent.extend(events)
        return True

    def repair(self) -> None:
        """Read whatever is missing from the log (once at a time)."""
        if self._repairing is None or self._repairing.done():
            self._repairing = asyncio.create_task(self._repair())

    async def _repair(self) -> None:
        while True:
            try:
                entries = await self.node.backend.read(self.room_id, after=self.applied_seq)
            except BackendUnavailable:
                await asyncio.sleep(TICK_RETRY_S)
                continue
            self.node.repair_reads += 1
            for entry in entries:
                self.receive(entry)
            if not entries or not self._parked:
                break

    async def catch_up(self) -> None:
        """Apply everything the log holds now (used when loading and before `since`)."""
        entries = await self.node.backend.read(self.room_id, after=self.applied_seq)
        while entries:
            for entry in entries:
                self.receive(entry)
            entries = await self.node.backend.read(self.room_id, after=self.applied_seq)

    async def outcome(self, seq: int) -> Outcome:
        """What the entry ``seq`` did, once this node has applied it."""
        known = self._outcomes.pop(seq, None)
        if known is not None:
            return known
        if seq <= self.applied_seq:
            raise LookupError(f"outcome of entry {seq} is no longer kept")
        waiter = self._waiters.get(seq) or asyncio.get_running_loop().create_future()
        self._waiters[seq] = waiter
        self.repair()
        return await waiter

    # -- deadlines -------------------------------------------------------------------

    def _after_apply(self) -> None:
        if self._ticking:
            return  # the running tick re-arms the timer when it is done
        deadline = next_deadline(self.state)
        if deadline == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = deadline
        self._timer = None
        if deadline is not None:
            delay = max(0.0, (deadline - self.node.clock()) / 1000)
            self._timer = asyncio.get_running_loop().call_later(delay, self._fire_timer)

    def _fire_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        if not self._ticking:
            self._ticking = True
            self.node.spawn(self._tick())

    async def _tick(self) -> None:
        """Append ticks until the log's clock has passed the deadline.

        The log stamps entries with its own clock (Redis TIME with several
        nodes), which may lag this machine's: a tick stamped before the deadline
        does nothing, so wait out the difference rather than tick again at once.
        """
        try:
            while True:
                deadline = next_deadline(self.state)
                if deadline is None or deadline > self.node.clock():
                    return
                try:
                    entry = await self.node.backend.append(self.room_id, "tick")
                except BackendUnavailable:
                    await asyncio.sleep(TICK_RETRY_S)
                    continue
                if entry.at >= deadline:
                    return
                await asyncio.sleep(max(deadline - entry.at, MIN_TICK_GAP_MS) / 1000)
        finally:
            self._ticking = False
            self._after_apply()

    def loaded(self) -> None:
        """The load is done: fill any gap it left and arm the deadline timer."""
        if self._parked:
            self.repair()
        self._after_apply()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._repairing is not None:
            self._repairing.cancel()
        self.presence.stop()

    # -- replay for `since` --------------------------------------------------------

    def events_since(self, since: int, viewer: Viewer) -> list[Event] | None:
        """What ``viewer`` may see of the events after ``since``, if all are still kept."""
        return self.recent.since(since, self.state.event_seq, viewer)


class PresenceReporter:
    """Appends a participant's online changes, at most one a second each.

    Sockets come and go far more often than presence is worth a log entry:
    what is appended is the state a change settles on, and a flapping
    connection within the second costs nothing.
    """

    def __init__(self, host: RoomHost) -> None:
        self.host = host
        self.sockets: dict[str, int] = {}
        self._gone_at: dict[str, int] = {}
        self._reported: dict[str, bool] = {}
        self._last_sent: dict[str, int] = {}
        self._pending: dict[str, asyncio.Task[None]] = {}

    def connected(self, participant_id: str) -> None:
        self.sockets[participant_id] = self.sockets.get(participant_id, 0) + 1
        self._changed(participant_id)

    def disconnected(self, participant_id: str) -> None:
        left = self.sockets.get(participant_id, 0) - 1
        if left <= 0:
            self.sockets.pop(participant_id, None)
            self._gone_at[participant_id] = self.host.node.clock()
        else:
            self.sockets[participant_id] = left
        self._changed(participant_id)

    def _changed(self, participant_id: str) -> None:
        if participant_id not in self._pending:
            self._pending[participant_id] = self.host.node.spawn(self._report(participant_id))

    async def _report(self, participant_id: str) -> None:
        node = self.host.node
        try:
            while True:
                online = participant_id in self.sockets
                if self._reported.get(participant_id, self._state_says(participant_id)) == online:
                    return
                now = node.clock()
                wait = self._last_sent.get(participant_id, -PRESENCE_INTERVAL_MS) + \
                    PRESENCE_INTERVAL_MS - now
                if not online:
                    # A dropped connection usually comes straight back: report the
                    # absence only once it has lasted a moment.
                    wait = max(wait, self._gone_at.get(participant_id, now) + OFFLINE_GRACE_MS - now)
                if wait > 0:
                    await asyncio.sleep(wait / 1000)
                    continue
                try:
                    args = {"participant_id": participant_id, "node": node.node_id,
                            "online": online}
                    if not online:
                        # When the socket went, not when the report was written: the
                        # 20 s rule for a floor holder counts from then.
                        args["since"] = self._gone_at.get(participant_id, now)
                    await node.backend.append(self.host.room_id, "presence", args=args)
                except BackendUnavailable:
                    await asyncio.sleep(TICK_RETRY_S)
                    continue
                self._reported[participant_id] = online
                self._last_sent[participant_id] = node.clock()
        finally:
            self._pending.pop(participant_id, None)

    def reannounce(self) -> None:
        self._reported.clear()
        for participant_id in list(self.sockets):
            self._changed(participant_id)

    def _state_says(self, participant_id: str) -> bool:
        person = self.host.state.participants.get(participant_id)
        return person is not None and self.host.node.node_id in person.nodes

    def stop(self) -> None:
        for task in self._pending.values():
            task.cancel()


class Node:
    """The rooms this process hosts, over one log backend."""

    def __init__(self, backend: LogBackend, *, clock: Callable[[], int]) -> None:
        self.backend = backend
        self.clock = clock
        self.node_id = backend.node_id
        self.hosts: dict[str, RoomHost] = {}
        self._loading: dict[str, asyncio.Task[RoomHost | None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._unsubscribe: Callable[[], None] | None = None
        self.entries_applied = 0
        self.repair_reads = 0

    async def start(self) -> None:
        self._unsubscribe = self.backend.subscribe(self._on_entry)
        if hasattr(self.backend, "alive_nodes"):
            # Several nodes: a room is hosted where its clients are, from its first one.
            self.spawn(self._sweep_dead_nodes())
        else:
            # The only node hosts every room, so turns end on time after a restart
            # even if nobody reconnects.
            for room_id in await self.backend.room_ids():
                await self.host(room_id)

    async def _sweep_dead_nodes(self) -> None:
        """Any surviving node marks offline whoever was only on a node that died."""
        while True:
            await asyncio.sleep(DEAD_NODE_SWEEP_S)
            for host in list(self.hosts.values()):
                try:
                    await self._forget_dead_nodes(host)
                except BackendUnavailable:
                    break

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
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

    async def host(self, room_id: str) -> RoomHost | None:
        """The room's host, loading it from the log first; None if there is no such room."""
        host = self.hosts.get(room_id)
        if host is not None and host.ready.is_set():
            return host
        task = self._loading.get(room_id)
        if task is None:
            task = self._loading[room_id] = asyncio.ensure_future(self._load(room_id))
            task.add_done_callback(lambda _: self._loading.pop(room_id, None))
        return await asyncio.shield(task)

    async def _load(self, room_id: str) -> RoomHost | None:
        if await self.backend.last_seq(room_id) == 0:
            return None
        host = RoomHost(self, room_id)
        self.hosts[room_id] = host
        try:
            snapshot = await self.backend.load_snapshot(room_id)
            if snapshot is not None:
                host.restore(*snapshot)
            await host.catch_up()
        except BaseException:
            del self.hosts[room_id]
            raise
        host.ready.set()
        host.loaded()
        self.spawn(self._forget_dead_nodes(host))
        return host

    async def _forget_dead_nodes(self, host: RoomHost) -> None:
        alive = await self.alive_nodes()
        seen = {n for p in host.state.participants.values() for n in p.nodes}
        for node in sorted(seen - alive - {self.node_id}):
            await self.backend.append(host.room_id, "node.gone", args={"node": node})

    async def alive_nodes(self) -> set[str]:
        probe = getattr(self.backend, "alive_nodes", None)
        if probe is None:
            return {self.node_id}
        return set(await probe())

    async def submit(self, room_id: str, kind: str, *, actor: str | None = None,
                     args: Json | None = None, nonce: str | None = None) -> Outcome:
        """Append an entry and wait until this node has applied it.

        Raises ``BackendUnavailable`` when the log cannot be reached.
        """
        host = await self.host(room_id) if kind != "room.create" else None
        if host is None and kind != "room.create":
            raise CommandError(ErrorCode.NOT_FOUND, "no such room")
        entry = await self.backend.append(room_id, kind, actor=actor, args=args, nonce=nonce)
        if host is None:
            host = await self.host(room_id)
            assert host is not None
        return await host.outcome(entry.seq)
