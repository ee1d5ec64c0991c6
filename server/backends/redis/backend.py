"""The multi-node log: Redis as sequencer, store and fan-out (``redis://host:6379/0``).

Appending: one Lua script per entry numbers it (dense seq per room), stamps it
(``at`` = max(Redis ``TIME``, previous ``at``), so all nodes share one clock),
stores it in the room's stream and publishes it on the room's channel, all
atomically. Appends are sent by one writer task, pipelined: whatever queued
while the previous batch was in flight goes in the next one, so appends to a
room are numbered in call order, and with ``appendfsync always`` Redis makes a
whole batch durable with one fsync.

Hearing: one pub/sub connection per backend, pattern-subscribed to every room
channel, feeds :class:`~yishi.backends.redis.delivery.Delivery`, which hands
entries to the listeners in seq order, exactly once, filling any gap from the
stored stream. After a lost pub/sub connection the backend subscribes again
and then re-reads every room whose stored seq is past what it delivered: what
pub/sub dropped, the stream still has. An append returns only once its entry
has reached the listeners.

Redis down: every method raises :class:`BackendUnavailable` (connections are
refused at once; a hung Redis is bounded by the socket timeouts), and the
listener, repair and heartbeat loops retry with backoff until Redis is back.

The parts: :mod:`~yishi.backends.redis.keys` (key layout, Lua scripts),
:mod:`~yishi.backends.redis.link` (connections, errors),
:mod:`~yishi.backends.redis.feed` (pub/sub, resync, audit),
:mod:`~yishi.backends.redis.delivery` (order, duplicates, repair reads),
:mod:`~yishi.backends.redis.nodes` (heartbeats, ``YISHI_NODE_TTL``).
On a Redis Cluster (``redis+cluster://HOST:PORT[,HOST:PORT...]``) the same
backend runs with :mod:`~yishi.backends.redis.cluster_link` (a cluster client;
the rooms list split in buckets) and :mod:`~yishi.backends.redis.shards`
(sharded pub/sub: the script ``SPUBLISH``es, and a node subscribes on each
room's master, for the rooms it hosts) in place of the link and the feed.
Operating notes: ``docs/operations.md``.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from ...core.types import Entry, Json
from ...readiness import Readiness
from ..base import (
    AudioListener,
    BackendUnavailable,
    Clock,
    Fanout,
    Listener,
    RecordedFrame,
    ResetListener,
    StoredFrame,
    dense,
    is_room_log,
    pack_body,
    unpack_entry,
)
from . import durable, keys, recordings
from .audio import AudioChannels
from .cluster_link import SCHEME as CLUSTER_SCHEME
from .cluster_link import ClusterLink, parse_cluster_url
from .delivery import Delivery
from .feed import RETRY_MAX_S, Feed
from .link import LINK_ERRORS, SOCKET_TIMEOUT_S, Link, RedisLink, as_bytes
from .marker import DeploymentMarker
from .nodes import Heartbeat, node_ttl_from_env
from .shards import ShardFeed

logger = logging.getLogger(__name__)

PING_TIMEOUT_S = 2.0  # /readyz answers within this
MAX_BATCH = 500  # appends per pipeline
DELIVERY_GRACE_S = 0.1  # an append ahead of pub/sub waits this long before a repair read

StampClock = Literal["redis", "local"]


@dataclass(slots=True)
class _Pending:
    room_id: str
    body: bytes
    now: str  # the local clock's ms, or "" for Redis TIME
    future: asyncio.Future[Entry]


class RedisBackend:
    """A :class:`~yishi.backends.base.LogBackend` on Redis, shared by any number of nodes.

    ``stamp_clock="redis"`` (the default) stamps entries with Redis ``TIME``, one
    clock for every node; ``"local"`` uses ``clock`` instead (tests that move time).
    ``node_ttl_s`` defaults to ``YISHI_NODE_TTL`` (see :mod:`~yishi.backends.redis.nodes`).
    """

    def __init__(
        self,
        *,
        url: str,
        clock: Clock,
        node_id: str | None = None,
        stamp_clock: StampClock = "redis",
        node_ttl_s: float | None = None,
        readiness: Readiness | None = None,
    ) -> None:
        self.readiness = readiness or Readiness()  # told if Redis loses its data
        self.node_id = node_id if node_id is not None else secrets.token_hex(8)
        self.commits = 0
        self.single_node = False  # see LogBackend.single_node
        self.url = url
        self.node_ttl_s = node_ttl_s if node_ttl_s is not None else node_ttl_from_env()
        self._clock = clock
        self._stamp_clock = stamp_clock
        self._fanout = Fanout()
        self._resets: tuple[ResetListener, ...] = ()
        self._audio = AudioChannels(self.node_id)
        self._delivery = Delivery(
            fanout=self._fanout,
            read_page=self._read_page,
            retry_s=RETRY_MAX_S,
            on_reset=self._reset,
        )
        self._stopping = asyncio.Event()
        self.cluster = url.startswith(CLUSTER_SCHEME)
        if self.cluster:  # ValueError now, not at start()
            parse_cluster_url(url)
        else:
            durable.split_wait(url, default=0)
        self._link: Link | None = None
        self._feed: Feed | ShardFeed | None = None
        self._heartbeat: Heartbeat | None = None
        self._registered: set[str] = set()  # rooms known to be in yishi:rooms
        self._pending: list[_Pending] = []
        self._wakeup = asyncio.Event()
        self._appending = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._tasks: list[asyncio.Task[None]] = []
        self._open = False

    @property
    def repair_reads(self) -> int:
        """A metric: reads of the stored log made to fill gaps in pub/sub."""
        return self._delivery.repair_reads

    @property
    def reconnects(self) -> int:
        """A metric: pub/sub connections lost and made again."""
        return self._feed.reconnects if self._feed is not None else 0

    @property
    def shard_rooms(self) -> dict[str, set[str]]:
        """On a cluster: each master's ``host:port`` -> the rooms this node is subscribed
        to there. Empty on one server (a pattern subscription hears every room)."""
        return self._feed.shards if isinstance(self._feed, ShardFeed) else {}

    # -- lifecycle ---------------------------------------------------------------

    async def start(self) -> None:
        """Connect, subscribe, and learn where every room stands. Raises
        :class:`BackendUnavailable` if Redis cannot be reached now."""
        name = f"yishi-{self.node_id}"
        link: Link
        if self.cluster:
            cluster_link = ClusterLink(self.url, client_name=name)
            link = cluster_link
            self._feed = ShardFeed(
                cluster_link, self._delivery, self._audio, stopping=self._stopping
            )
        else:
            link = RedisLink(self.url, client_name=name)
            self._feed = Feed(link, self._delivery, self._audio, stopping=self._stopping)
        self._link = link
        self._heartbeat = Heartbeat(
            link, self.node_id, ttl_s=self.node_ttl_s, stopping=self._stopping
        )
        self._marker = DeploymentMarker(link, self.readiness)
        try:
            await link.client.ping()
            self._registered.update(await self._feed.begin())
            await self._heartbeat.beat()
            await self._marker.claim()
        except LINK_ERRORS as exc:
            await link.close()
            raise BackendUnavailable(f"cannot reach redis at {link.where}: {exc}") from exc
        self._open = True
        self._tasks = [
            asyncio.create_task(self._write_loop(), name="yishi-redis-writer"),
            asyncio.create_task(self._feed.run(), name="yishi-redis-feed"),
            asyncio.create_task(self._feed.audit(), name="yishi-redis-audit"),
            asyncio.create_task(self._heartbeat.run(), name="yishi-redis-heartbeat"),
            asyncio.create_task(
                self._marker.run(self._stopping, self.node_ttl_s / 3), name="yishi-redis-marker"
            ),
            asyncio.create_task(self._audio.run(link, self._stopping), name="yishi-redis-audio"),
        ]

    async def close(self) -> None:
        """Finish accepted appends (and their delivery), then disconnect."""
        if not self._open:
            return
        self._open = False
        self._wakeup.set()
        writer, *others = self._tasks
        await writer
        try:
            await asyncio.wait_for(self._idle.wait(), SOCKET_TIMEOUT_S)
        except TimeoutError:
            logger.warning("closing with appends still waiting to be read back")
        self._stopping.set()
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        self._delivery.close()
        assert self._heartbeat is not None and self._link is not None
        await self._heartbeat.clear()
        await self._link.close()

    # -- appends -------------------------------------------------------------------

    async def append(
        self,
        room_id: str,
        kind: str,
        *,
        actor: str | None = None,
        args: Json | None = None,
        nonce: str | None = None,
    ) -> Entry:
        self._check_open()
        if self._marker.lost:  # a log started again at seq 1 under its clients: refuse
            raise BackendUnavailable("Redis lost its data; appends are refused (see /readyz)")
        body = pack_body(kind, actor=actor, args=args, nonce=nonce)  # TypeError: nothing sent
        if isinstance(self._feed, ShardFeed):
            # Not awaited: appends keep their call order. A hosting node subscribed
            # when it loaded the room; this is for the room's first entry.
            self._feed.want(room_id, from_start=True)
        now = str(self._clock()) if self._stamp_clock == "local" else ""
        future: asyncio.Future[Entry] = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(room_id, body, now, future))
        self._wakeup.set()
        self._appending += 1
        self._idle.clear()
        try:
            entry = await future
            await self._delivery.delivered(
                room_id, entry.seq, grace_s=DELIVERY_GRACE_S, timeout_s=SOCKET_TIMEOUT_S
            )
            return entry
        finally:
            self._appending -= 1
            if self._appending == 0:
                self._idle.set()

    async def _write_loop(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending:
                batch = self._pending[:MAX_BATCH]
                del self._pending[:MAX_BATCH]
                await self._write_batch(batch)
            if not self._open:
                return

    async def _write_batch(self, batch: list[_Pending]) -> None:
        """List new rooms first, then append the batch, durably (see Link.append: on
        a cluster, one pipeline per master, each confirmed by its replicas)."""
        assert self._link is not None
        new_rooms = sorted({p.room_id for p in batch} - self._registered)
        if new_rooms:
            try:
                await self._link.list_new_rooms(new_rooms)
                self._registered.update(new_rooms)
            except BackendUnavailable as exc:
                # Their entries are not sent either: a room with entries is listed.
                for p in batch:
                    if p.room_id in new_rooms and not p.future.done():
                        p.future.set_exception(exc)
                batch = [p for p in batch if p.room_id not in new_rooms]
        results = await self._link.append([(p.room_id, p.body, p.now) for p in batch])
        self.commits += 1
        self._settle(batch, results)

    def _settle(self, batch: list[_Pending], results: list[Any]) -> None:
        """Answer each append with its entry (delivered first) or its error."""
        assert self._feed is not None
        for p, result in zip(batch, results):
            if isinstance(result, Exception):
                if not p.future.done():
                    p.future.set_exception(BackendUnavailable(f"redis append failed: {result}"))
                continue
            entry = unpack_entry(int(result[0]), int(result[1]), p.body)
            self._feed.touch(p.room_id)
            # Listeners first, if it is next in line; a waiter resumes on a later
            # loop turn anyway, and a cancelled waiter's entry is still stored.
            self._delivery.offer(p.room_id, entry)
            if not p.future.done():
                p.future.set_result(entry)

    # -- reads ------------------------------------------------------------------------

    async def read(self, room_id: str, *, after: int = 0, limit: int = 10_000) -> list[Entry]:
        self._check_open()
        return await self._read_page(room_id, after, limit)

    async def _read_page(self, room_id: str, after: int, limit: int) -> list[Entry]:
        if limit <= 0:
            return []
        start = f"{max(after, 0) + 1}-0"

        async def fetch(r: Any) -> list[Any]:
            pipe = r.pipeline(transaction=False)  # one slot: one master, in this order
            durable.queue_marks(pipe, [room_id])  # the mark first: rows below it are durable
            pipe.xrange(keys.log_key(room_id), min=start, max="+", count=limit)
            replies: list[Any] = await pipe.execute()
            return replies

        *marked, rows = await self._checked_link().call("XRANGE", fetch)
        [mark] = durable.marks(marked)
        rows = durable.shown_rows(rows, mark)
        return dense(
            after,
            [
                unpack_entry(
                    int(as_bytes(row_id).split(b"-", 1)[0]),
                    int(fields[b"a"]),
                    as_bytes(fields[b"b"]),
                )
                for row_id, fields in rows
            ],
        )

    async def last_seq(self, room_id: str) -> int:
        link = self._checked_link(check_open=True)
        [seq] = await link.seqs([room_id])
        if seq > 0 and isinstance(self._feed, ShardFeed) and not self._feed.hears(room_id):
            # A node asks this before hosting a room: on a cluster it subscribes to
            # the room's shard now, before it reads the room.
            await self._feed.watch(room_id)
            [seq] = await link.seqs([room_id])
        return seq

    async def room_ids(self) -> list[str]:
        seqs = await self._checked_link(check_open=True).room_seqs()
        return sorted(room for room, seq in seqs.items() if seq > 0 and is_room_log(room))

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        return self._fanout.subscribe(listener)

    def release(self, room_id: str) -> None:
        """On a cluster, unsubscribe the room's channels (one server: one pattern for all)."""
        if isinstance(self._feed, ShardFeed):
            self._feed.release(room_id)

    def subscribe_resets(self, listener: ResetListener) -> Callable[[], None]:
        self._resets = (*self._resets, listener)

        def unsubscribe() -> None:
            self._resets = tuple(item for item in self._resets if item is not listener)

        return unsubscribe

    def _reset(self, room_id: str) -> None:
        for listener in self._resets:
            try:
                listener(room_id)
            except Exception:
                logger.exception("reset listener failed on %s", room_id)

    async def epoch(self, room_id: str) -> str:
        key = keys.epoch_key(room_id)
        stored = await self._checked_link(check_open=True).call("GET", lambda r: r.get(key))
        return "" if stored is None else as_bytes(stored).decode()

    async def new_epoch(self, room_id: str, replacing: str) -> str:
        key, made = keys.epoch_key(room_id), secrets.token_hex(8)
        stored = await self._checked_link(check_open=True).call(
            "EVAL", lambda r: r.eval(keys.NEW_EPOCH, 1, key, replacing, made)
        )
        return as_bytes(stored).decode()

    def publish_audio(self, room_id: str, frame: bytes) -> None:
        if self._open:
            self._audio.publish(room_id, frame)

    def subscribe_audio(self, listener: AudioListener) -> Callable[[], None]:
        self._audio.subscribe(listener)
        return lambda: self._audio.unsubscribe(listener)

    # -- secrets, snapshots, health ---------------------------------------------------

    async def get_or_create_secret(self, name: str, make: Callable[[], str]) -> str:
        link = self._checked_link(check_open=True)
        key = keys.secret_key(name)
        stored = await link.call("GET", lambda r: r.get(key))
        if stored is None:
            value = make()
            # NX: when nodes race, the first value stored wins and all read it back.
            await link.call("SET", lambda r: r.set(key, value, nx=True))
            stored = await link.call("GET", lambda r: r.get(key))
            if stored is None:
                raise BackendUnavailable(f"secret {name!r} vanished right after being stored")
        return as_bytes(stored).decode()

    async def put_ballot_key(self, key_id: str, key: bytes) -> None:
        name = keys.ballot_key(key_id)
        await self._checked_link(check_open=True).call(
            "SET", lambda r: r.set(name, bytes(key), nx=True)
        )

    async def get_ballot_key(self, key_id: str) -> bytes | None:
        name = keys.ballot_key(key_id)
        stored = await self._checked_link(check_open=True).call("GET", lambda r: r.get(name))
        return None if stored is None else as_bytes(stored)

    async def drop_ballot_key(self, key_id: str) -> None:
        name = keys.ballot_key(key_id)
        await self._checked_link(check_open=True).call("DEL", lambda r: r.delete(name))

    # -- recordings (recordings.py: one list per turn, under the room's hash tag) --------

    async def add_recording_frames(self, room_id: str, frames: list[RecordedFrame]) -> None:
        await recordings.add(self._checked_link(check_open=True), room_id, frames)

    async def recording_frames(self, room_id: str, turn_id: str) -> list[StoredFrame]:
        return await recordings.frames(self._checked_link(check_open=True), room_id, turn_id)

    async def recorded_turns(self, room_id: str) -> list[str]:
        return await recordings.turns(self._checked_link(check_open=True), room_id)

    async def drop_recordings(self, room_id: str) -> None:
        await recordings.drop(self._checked_link(check_open=True), room_id)

    async def save_snapshot(self, room_id: str, seq: int, blob: bytes) -> None:
        await self._checked_link(check_open=True).call(
            "EVAL",
            lambda r: r.eval(keys.SAVE_SNAPSHOT, 1, keys.snap_key(room_id), seq, bytes(blob)),
        )

    async def load_snapshot(self, room_id: str) -> tuple[int, bytes] | None:
        seq, blob = await self._checked_link(check_open=True).call(
            "HMGET", lambda r: r.hmget(keys.snap_key(room_id), ["seq", "blob"])
        )
        if seq is None or blob is None:
            return None
        return int(seq), as_bytes(blob)

    async def ping(self) -> None:
        """Redis answers, and this node is subscribed (it hears the other nodes)."""
        link = self._checked_link(check_open=True)
        await link.call("PING", lambda r: asyncio.wait_for(r.ping(), PING_TIMEOUT_S))
        if self._feed is None or not self._feed.listening or self._tasks[1].done():
            raise BackendUnavailable(
                "redis pub/sub is reconnecting: this node does not hear the others yet"
            )

    async def alive_nodes(self) -> set[str]:
        """Ids of the nodes whose heartbeat has not expired (this one always included)."""
        self._check_open()
        assert self._heartbeat is not None
        return await self._heartbeat.alive()

    # -- plumbing ------------------------------------------------------------------------

    def _check_open(self) -> None:
        if not self._open:
            raise BackendUnavailable("redis backend is not started or is closed")

    def _checked_link(self, *, check_open: bool = False) -> Link:
        """The link; ``check_open`` for public methods (repairs also run during close)."""
        if check_open:
            self._check_open()
        if self._link is None:
            raise BackendUnavailable("redis backend is not started")
        return self._link
