"""The multi-node log: Redis as sequencer, store and fan-out (``redis://host:6379/0``).

Appending: one Lua script per entry numbers it (dense seq per room), stamps it
(``at`` = max(Redis ``TIME``, previous ``at``), so all nodes share one clock),
stores it in the room's stream and publishes it on the room's channel, all
atomically. Appends are sent by one writer task, pipelined: whatever queued
while the previous batch was in flight goes in the next one, so appends to a
room are numbered in call order, and with ``appendfsync always`` Redis makes a
whole batch durable with one fsync.

Hearing: one pub/sub connection per backend, pattern-subscribed to every room
channel, feeds :class:`~yishi.backends.redis_delivery.Delivery`, which hands
entries to the listeners in seq order, exactly once, filling any gap from the
stored stream. After a lost pub/sub connection the backend subscribes again
and then re-reads every room whose stored seq is past what it delivered: what
pub/sub dropped, the stream still has. An append returns only once its entry
has reached the listeners.

Redis down: every method raises :class:`BackendUnavailable` (connections are
refused at once; a hung Redis is bounded by the socket timeouts), and the
listener, repair and heartbeat loops retry with backoff until Redis is back.

Node heartbeats: ``yishi:node:<id>`` with a TTL of ``YISHI_NODE_TTL`` seconds
(default 10), refreshed every third of it; :meth:`RedisBackend.alive_nodes`.

The key layout is in :mod:`yishi.backends.redis_keys`; operating notes in
``docs/operations.md``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from redis.asyncio import BlockingConnectionPool, ConnectionPool, Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import BusyLoadingError, RedisError
from redis.exceptions import ConnectionError as RedisConnectionError
from yishi.backends import redis_keys as keys
from yishi.backends.base import (
    BackendUnavailable,
    Clock,
    Fanout,
    Listener,
    pack_body,
    unpack_entry,
)
from yishi.backends.redis_delivery import Delivery, cancelled
from yishi.core.types import Entry, Json

logger = logging.getLogger(__name__)

SOCKET_TIMEOUT_S = 5.0  # a hung Redis: how long one command may take (URL may override)
CONNECT_TIMEOUT_S = 1.0  # an unreachable host: how long to try to connect (URL may override)
PING_TIMEOUT_S = 2.0  # /readyz answers within this
MAX_CONNECTIONS = 32  # per backend, besides the pub/sub connection
MAX_BATCH = 500  # appends per pipeline
DELIVERY_GRACE_S = 0.1  # an append ahead of pub/sub waits this long before a repair read
RETRY_MIN_S, RETRY_MAX_S = 0.05, 1.0  # reconnect backoff
PUMP_POLL_S = 1.0  # pub/sub read timeout, to notice silence
IDLE_PING_S = 5.0  # ping the pub/sub connection after this much silence
AUDIT_S = 1.0  # how often recently active rooms are checked against the stored log
NODE_TTL_ENV = "YISHI_NODE_TTL"
DEFAULT_NODE_TTL_S = 10.0
NODE_INDEX_KEEP_MS = 24 * 3600 * 1000  # heartbeat index entries older than this are pruned

StampClock = Literal["redis", "local"]


def node_ttl_from_env() -> float:
    """``YISHI_NODE_TTL`` in seconds (how long a silent node counts as alive), or 10."""
    raw = os.environ.get(NODE_TTL_ENV, "").strip()
    if not raw:
        return DEFAULT_NODE_TTL_S
    try:
        ttl = float(raw)
    except ValueError:
        raise ValueError(f"{NODE_TTL_ENV} must be a number of seconds, not {raw!r}") from None
    if ttl < 0.5:
        raise ValueError(f"{NODE_TTL_ENV} must be at least 0.5 seconds, not {raw!r}")
    return ttl


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
    """

    def __init__(
        self,
        *,
        url: str,
        clock: Clock,
        node_id: str | None = None,
        stamp_clock: StampClock = "redis",
        node_ttl_s: float | None = None,
    ) -> None:
        self.node_id = node_id if node_id is not None else secrets.token_hex(8)
        self.commits = 0
        self.reconnects = 0  # a metric: pub/sub connections lost and made again
        self.url = url
        self.node_ttl_s = node_ttl_s if node_ttl_s is not None else node_ttl_from_env()
        self._clock = clock
        self._stamp_clock = stamp_clock
        self._fanout = Fanout()
        self._delivery = Delivery(fanout=self._fanout, read_page=self._read_page,
                                  retry_s=RETRY_MAX_S)
        self._redis: Redis | None = None
        self._sub_redis: Redis | None = None
        self._options: dict[str, Any] = {}
        self._retired: list[Redis] = []  # replaced clients, closed once their commands end
        self._registered: set[str] = set()  # rooms known to be in yishi:rooms
        self._pending: list[_Pending] = []
        self._wakeup = asyncio.Event()
        self._appending = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._tasks: list[asyncio.Task[None]] = []
        self._retiring: set[asyncio.Task[None]] = set()
        # Loops stop on this flag, not only on cancellation: on Python 3.11 a
        # cancellation that meets a finishing wait_for inside redis-py can be lost.
        self._stopping = asyncio.Event()
        self._listening = False  # subscribed and caught up: this node hears the others
        self._touched: set[str] = set()  # rooms with entries since the last audit
        self._suspects: dict[str, int] = {}  # room -> stored seq not yet delivered
        self._open = False

    @property
    def repair_reads(self) -> int:
        """A metric: reads of the stored log made to fill gaps in pub/sub."""
        return self._delivery.repair_reads

    # -- lifecycle ---------------------------------------------------------------

    async def start(self) -> None:
        """Connect, subscribe, and learn where every room stands. Raises
        :class:`BackendUnavailable` if Redis cannot be reached now."""
        self._options = {
            "socket_timeout": SOCKET_TIMEOUT_S,
            "socket_connect_timeout": CONNECT_TIMEOUT_S,
            # No hidden retries: a retried append could be appended twice, and the
            # loops here retry on their own terms.
            "retry": Retry(NoBackoff(), 0),
            "client_name": f"yishi-{self.node_id}",
        }
        self._redis = self._new_client()
        self._sub_redis = Redis(connection_pool=ConnectionPool.from_url(self.url, **self._options))
        try:
            await self._redis.ping()
            pubsub = await self._subscribe()
            for room_id, seq in (await self._room_seqs()).items():
                self._delivery.start_at(room_id, seq)
                self._registered.add(room_id)
            await self._beat()
        except (RedisError, OSError) as exc:
            await self._release()
            raise BackendUnavailable(f"cannot reach redis at {self._where()}: {exc}") from exc
        self._open = True
        self._listening = True
        self._tasks = [
            asyncio.create_task(self._write_loop(), name="yishi-redis-writer"),
            asyncio.create_task(self._listen_loop(pubsub), name="yishi-redis-listener"),
            asyncio.create_task(self._heartbeat_loop(), name="yishi-redis-heartbeat"),
            asyncio.create_task(self._audit_loop(), name="yishi-redis-audit"),
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
        for task in (*others, *self._retiring):
            task.cancel()
        await asyncio.gather(*others, *self._retiring, return_exceptions=True)
        self._delivery.close()
        try:
            # Gone at once rather than after the TTL, so the others notice quickly.
            assert self._redis is not None
            await asyncio.wait_for(self._redis.delete(keys.node_key(self.node_id)),
                                   PING_TIMEOUT_S)
        except (RedisError, OSError, TimeoutError):
            pass
        await self._release()

    async def _release(self) -> None:
        for client in (self._redis, self._sub_redis, *self._retired):
            if client is not None:
                await client.aclose(close_connection_pool=True)
        self._redis = self._sub_redis = None
        self._retired.clear()

    def _new_client(self) -> Redis:
        pool = BlockingConnectionPool.from_url(
            self.url, max_connections=MAX_CONNECTIONS, timeout=SOCKET_TIMEOUT_S, **self._options)
        return Redis(connection_pool=pool)

    async def _renew_client(self) -> None:
        """New commands get new connections; the old ones are closed later.

        After a lost pub/sub connection (typically a Redis restart) the pooled
        connections may be dead too, and an append must not be the command that
        finds out: it cannot be retried safely. Disconnecting the old pool now
        could cut a command that is using it, so it is closed once every command
        that took a connection from it has finished or timed out.
        """
        old, self._redis = self._redis, self._new_client()
        if old is None:
            return
        self._retired.append(old)
        await self._nap(2 * SOCKET_TIMEOUT_S + 1)
        if old in self._retired:
            self._retired.remove(old)
            await old.aclose(close_connection_pool=True)

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
        body = pack_body(kind, actor=actor, args=args, nonce=nonce)  # TypeError: nothing sent
        now = str(self._clock()) if self._stamp_clock == "local" else ""
        future: asyncio.Future[Entry] = asyncio.get_running_loop().create_future()
        self._pending.append(_Pending(room_id, body, now, future))
        self._wakeup.set()
        self._appending += 1
        self._idle.clear()
        try:
            entry = await future
            await self._delivery.delivered(room_id, entry.seq, grace_s=DELIVERY_GRACE_S,
                                           timeout_s=SOCKET_TIMEOUT_S)
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
        assert self._redis is not None
        pipe = self._redis.pipeline(transaction=False)
        new_rooms = sorted({p.room_id for p in batch} - self._registered)
        if new_rooms:
            # Before the entries: a room with entries is always listed (an empty
            # listed room is harmless; room_ids() skips it).
            pipe.sadd(keys.ROOMS, *new_rooms)
        for p in batch:
            pipe.eval(keys.APPEND, 2, keys.seq_key(p.room_id), keys.log_key(p.room_id),
                      p.body, keys.channel(p.room_id), p.now)
        try:
            results: list[Any] = await pipe.execute(raise_on_error=False)
        except Exception as exc:
            # The whole batch may or may not be stored: "unavailable", and a retry
            # with the nonce settles it. Whatever was stored reaches the listeners
            # through pub/sub or the repair path anyway.
            if not isinstance(exc, RedisError | OSError):
                logger.exception("redis writer failed on a batch of %d", len(batch))
            for p in batch:
                if not p.future.done():
                    p.future.set_exception(BackendUnavailable(f"redis append failed: {exc}"))
            return
        self.commits += 1
        if new_rooms:
            if isinstance(results[0], Exception):
                logger.warning("could not list new rooms %s: %s", new_rooms, results[0])
            else:
                self._registered.update(new_rooms)
            results = results[1:]
        for p, result in zip(batch, results):
            if isinstance(result, Exception):
                if not p.future.done():
                    p.future.set_exception(BackendUnavailable(f"redis append failed: {result}"))
                continue
            entry = unpack_entry(int(result[0]), int(result[1]), p.body)
            self._touched.add(p.room_id)
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
        rows = await self._call("XRANGE", lambda r: r.xrange(
            keys.log_key(room_id), min=start, max="+", count=limit))
        return [unpack_entry(int(_bytes(row_id).split(b"-", 1)[0]), int(fields[b"a"]),
                             _bytes(fields[b"b"])) for row_id, fields in rows]

    async def last_seq(self, room_id: str) -> int:
        self._check_open()
        stored = await self._call("GET", lambda r: r.get(keys.seq_key(room_id)))
        return int(stored or 0)

    async def room_ids(self) -> list[str]:
        self._check_open()
        return sorted(room for room, seq in (await self._room_seqs()).items() if seq > 0)

    async def _room_seqs(self) -> dict[str, int]:
        """Every listed room with its stored seq (0 for a listed room without entries)."""
        members = await self._call("SMEMBERS", lambda r: r.smembers(keys.ROOMS))
        rooms = sorted(_bytes(m).decode() for m in members)

        async def fetch(r: Redis) -> list[Any]:
            pipe = r.pipeline(transaction=False)
            for room in rooms:
                pipe.get(keys.seq_key(room))
            result: list[Any] = await pipe.execute()
            return result

        seqs = await self._call("GET seqs", fetch) if rooms else []
        return {room: int(seq or 0) for room, seq in zip(rooms, seqs)}

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        return self._fanout.subscribe(listener)

    # -- secrets, snapshots, health ---------------------------------------------------

    async def get_or_create_secret(self, name: str, make: Callable[[], str]) -> str:
        self._check_open()
        key = keys.secret_key(name)
        stored = await self._call("GET", lambda r: r.get(key))
        if stored is None:
            value = make()
            # NX: when nodes race, the first value stored wins and all read it back.
            await self._call("SET", lambda r: r.set(key, value, nx=True))
            stored = await self._call("GET", lambda r: r.get(key))
            if stored is None:
                raise BackendUnavailable(f"secret {name!r} vanished right after being stored")
        return _bytes(stored).decode()

    async def save_snapshot(self, room_id: str, seq: int, blob: bytes) -> None:
        self._check_open()
        await self._call("EVAL", lambda r: r.eval(
            keys.SAVE_SNAPSHOT, 1, keys.snap_key(room_id), seq, bytes(blob)))

    async def load_snapshot(self, room_id: str) -> tuple[int, bytes] | None:
        self._check_open()
        seq, blob = await self._call("HMGET", lambda r: r.hmget(
            keys.snap_key(room_id), ["seq", "blob"]))
        if seq is None or blob is None:
            return None
        return int(seq), _bytes(blob)

    async def ping(self) -> None:
        """Redis answers, and this node is subscribed (it hears the other nodes)."""
        self._check_open()
        await self._call("PING", lambda r: asyncio.wait_for(r.ping(), PING_TIMEOUT_S))
        if not self._listening or self._tasks[1].done():
            raise BackendUnavailable("redis pub/sub is reconnecting; this node is not hearing"
                                     " the others")

    async def alive_nodes(self) -> set[str]:
        """Ids of the nodes whose heartbeat has not expired (this one always included)."""
        self._check_open()
        now_ms = int(time.time() * 1000)
        index = await self._call("ZRANGEBYSCORE", lambda r: r.zrangebyscore(
            keys.NODES, now_ms - NODE_INDEX_KEEP_MS, "+inf"))
        ids = [_bytes(m).decode() for m in index]

        async def probe(r: Redis) -> list[Any]:
            pipe = r.pipeline(transaction=False)
            for node in ids:
                pipe.exists(keys.node_key(node))
            # Pruned by age only: a live node's index entry is always fresh, so a
            # race with its heartbeat cannot drop it.
            pipe.zremrangebyscore(keys.NODES, "-inf", now_ms - NODE_INDEX_KEEP_MS)
            result: list[Any] = await pipe.execute()
            return result

        exists = await self._call("EXISTS", probe)
        return {node for node, found in zip(ids, exists) if found} | {self.node_id}

    # -- pub/sub: the fast path, and the repair path after a lost connection ----------

    async def _subscribe(self) -> PubSub:
        assert self._sub_redis is not None
        pubsub = self._sub_redis.pubsub()
        try:
            await pubsub.psubscribe(keys.CHANNEL_PATTERN)
            # The confirmation: from here on, every entry published reaches us.
            confirmed = await pubsub.get_message(timeout=SOCKET_TIMEOUT_S)
            if not confirmed or confirmed.get("type") != "psubscribe":
                raise RedisConnectionError(f"no psubscribe confirmation: {confirmed!r}")
        except BaseException:
            await _close(pubsub)
            raise
        return pubsub

    async def _listen_loop(self, pubsub: PubSub | None) -> None:
        backoff = RETRY_MIN_S
        try:
            while not self._stopping.is_set():
                try:
                    if pubsub is None:
                        pubsub = await self._subscribe()
                        await self._resync()
                        self._listening = True
                        logger.info("redis pub/sub is back; rooms re-read where behind")
                    backoff = RETRY_MIN_S
                    await self._pump(pubsub)
                except asyncio.CancelledError:
                    if self._stopping.is_set() or cancelled():
                        raise
                    # Python 3.11: a timeout inside redis-py that expires as its read
                    # completes can leak a cancellation nobody asked for. Nobody
                    # cancelled this loop, so it must go on listening.
                    logger.warning("stray cancellation in the pub/sub listener; reconnecting")
                    self._listening = False
                    if pubsub is not None:
                        await _close(pubsub)
                        pubsub = None
                except Exception as exc:
                    if cancelled():
                        return
                    if not isinstance(exc, RedisError | OSError | BackendUnavailable):
                        logger.exception("pub/sub listener failed; reconnecting")
                    self._listening = False
                    if pubsub is not None:
                        self.reconnects += 1
                        logger.warning("redis pub/sub connection lost (%s); reconnecting", exc)
                        await _close(pubsub)
                        pubsub = None
                        task = asyncio.create_task(self._renew_client())
                        self._retiring.add(task)
                        task.add_done_callback(self._retiring.discard)
                    await self._nap(backoff)
                    backoff = min(backoff * 2, RETRY_MAX_S)
        finally:
            if pubsub is not None:
                await _close(pubsub)

    async def _resync(self) -> None:
        """After (re)subscribing: re-read every room whose stored seq passed its cursor."""
        for room_id, seq in (await self._room_seqs()).items():
            self._registered.add(room_id)
            cursor = self._delivery.cursor(room_id)
            if seq > cursor:
                self._delivery.repair(room_id)
            elif seq < cursor:
                logger.error("room %s: Redis holds seq %d but %d was delivered: Redis lost"
                             " acknowledged entries (check appendonly/appendfsync)",
                             room_id, seq, cursor)

    async def _pump(self, pubsub: PubSub) -> None:
        loop = asyncio.get_running_loop()
        last_heard = loop.time()
        pinged: float | None = None
        while not self._stopping.is_set():
            message = await pubsub.get_message(timeout=PUMP_POLL_S)
            now = loop.time()
            if message is None:
                # Silence: a quiet night, or a connection that died without a word.
                if pinged is None and now - last_heard >= IDLE_PING_S:
                    await pubsub.ping()
                    pinged = now
                elif pinged is not None and now - pinged > SOCKET_TIMEOUT_S:
                    raise RedisConnectionError("pub/sub connection went silent")
                continue
            last_heard, pinged = now, None
            if message.get("type") == "pmessage":
                self._on_message(message["channel"], message["data"])

    def _on_message(self, channel: bytes, data: bytes) -> None:
        room_id = keys.room_of_channel(channel)
        if room_id is None:
            return
        try:
            seq, at, body = data.split(b" ", 2)
            entry = unpack_entry(int(seq), int(at), body)
        except Exception:
            # The stored copy is read instead when the gap shows.
            logger.exception("undecodable pub/sub message on %r", channel)
            return
        self._touched.add(room_id)
        if self._delivery.offer(room_id, entry):
            self._delivery.repair(room_id)  # pub/sub is ordered: a jump means a loss

    async def _audit_loop(self) -> None:
        """Every second, compare recently active rooms with the stored log.

        A lost message is noticed when the next one shows a jump; this catches the
        last of a burst, which has no next one. An entry counts as missing only if
        it is still undelivered one round after it was seen stored (until then it
        may simply be on its way).
        """
        while not self._stopping.is_set():
            await self._nap(AUDIT_S)
            if not self._listening:
                continue  # the resync after reconnecting covers every room
            for room_id, seq in list(self._suspects.items()):
                if self._delivery.cursor(room_id) < seq:
                    logger.warning("room %s: entries up to %d are stored but were not heard;"
                                   " reading them", room_id, seq)
                    self._delivery.repair(room_id)
            self._suspects.clear()
            rooms, self._touched = sorted(self._touched), set()
            if not rooms:
                continue

            async def fetch(r: Redis, rooms: list[str] = rooms) -> list[Any]:
                pipe = r.pipeline(transaction=False)
                for room in rooms:
                    pipe.get(keys.seq_key(room))
                result: list[Any] = await pipe.execute()
                return result

            try:
                stored = await self._call("GET seqs", fetch)
            except BackendUnavailable:
                self._touched.update(rooms)
                continue
            for room_id, seq in zip(rooms, stored):
                if int(seq or 0) > self._delivery.cursor(room_id):
                    self._suspects[room_id] = int(seq)
                    self._touched.add(room_id)

    # -- heartbeat ---------------------------------------------------------------------

    async def _beat(self) -> None:
        assert self._redis is not None
        pipe = self._redis.pipeline(transaction=False)
        pipe.set(keys.node_key(self.node_id), str(int(time.time() * 1000)),
                 px=int(self.node_ttl_s * 1000))
        pipe.zadd(keys.NODES, {self.node_id: int(time.time() * 1000)})
        await pipe.execute()

    async def _heartbeat_loop(self) -> None:
        every = self.node_ttl_s / 3
        while not self._stopping.is_set():
            try:
                await self._beat()
                delay = every
            except (RedisError, OSError) as exc:
                if cancelled():
                    return
                logger.warning("node heartbeat failed (%s); retrying", exc)
                delay = min(every, RETRY_MAX_S / 2)
            await self._nap(delay)

    async def _nap(self, seconds: float) -> None:
        """Sleep, but wake at once when the backend closes."""
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            pass

    # -- plumbing ------------------------------------------------------------------------

    def _where(self) -> str:
        return self.url.split("@")[-1]  # never log a password

    def _check_open(self) -> None:
        if not self._open or self._redis is None:
            raise BackendUnavailable("redis backend is not started or is closed")

    async def _call(self, what: str, op: Callable[[Redis], Awaitable[Any]]) -> Any:
        """Run an idempotent command; Redis errors become BackendUnavailable.

        One retry on a connection error: a pooled connection may have died with a
        Redis restart that no command noticed yet.
        """
        for attempt in (1, 2):
            client = self._redis
            if client is None:
                raise BackendUnavailable("redis backend is closed")
            try:
                return await op(client)
            except BusyLoadingError as exc:
                raise BackendUnavailable(f"redis is loading its data ({what})") from exc
            except RedisConnectionError as exc:
                if attempt == 1:
                    continue
                raise BackendUnavailable(f"redis {what} at {self._where()}: {exc}") from exc
            except (RedisError, OSError, TimeoutError) as exc:
                raise BackendUnavailable(f"redis {what} at {self._where()}: {exc}") from exc
        raise AssertionError("unreachable")


def _bytes(value: object) -> bytes:
    """A reply value as bytes (replies are never decoded: bodies are binary)."""
    if not isinstance(value, bytes):
        raise TypeError(f"expected bytes from redis, got {type(value).__name__}")
    return value


async def _close(pubsub: PubSub) -> None:
    await pubsub.aclose()  # type: ignore[no-untyped-call]
