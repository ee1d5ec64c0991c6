"""The connections of one Redis backend, and the rules for talking over them.

* Commands go through a bounded pool; a pub/sub connection has its own client.
* No hidden retries (redis-py's default would retry an append, which could
  append it twice); the loops of the backend retry on their own terms.
* Every Redis or socket error becomes :class:`BackendUnavailable`.
* After a lost pub/sub connection (typically a Redis restart) :meth:`renew`
  gives new commands a new pool, so that no append meets a dead pooled
  connection (an append cannot be retried safely); the old pool is closed
  once the commands using it are over, never under them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from redis.asyncio import BlockingConnectionPool, ConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import BusyLoadingError, RedisClusterException, RedisError
from redis.exceptions import ConnectionError as RedisConnectionError

from ...redact import redact_url
from ..base import BackendUnavailable
from . import durable, keys

logger = logging.getLogger(__name__)

SOCKET_TIMEOUT_S = 5.0  # a hung Redis: how long one command may take (the URL may override)
CONNECT_TIMEOUT_S = 1.0  # an unreachable host: how long a connection attempt may take
MAX_CONNECTIONS = 32  # per backend, besides the pub/sub connection
RETIRE_AFTER_S = 2 * SOCKET_TIMEOUT_S + 1  # a command waits for a connection, then runs

Op = Callable[[Any], Awaitable[Any]]
"""A command (or pipeline) run on the link's client: a ``Redis`` or a ``RedisCluster``."""

LINK_ERRORS: tuple[type[BaseException], ...] = (
    RedisError,
    OSError,
    RedisClusterException,
    BackendUnavailable,
)
"""What a loop that retries on its own catches: Redis unreachable, a cluster in
failover (redis-py's ``RedisClusterException`` is not a ``RedisError``)."""


class Link(Protocol):
    """What the backend, its feed, heartbeat and audio need from their connections:
    :class:`RedisLink` (one server) or ``redis_cluster_link.ClusterLink``."""

    url: str
    append_script: str  # keys.APPEND or keys.APPEND_SHARDED

    @property
    def where(self) -> str: ...

    @property
    def client(self) -> Any: ...

    async def call(self, what: str, op: Op) -> Any: ...

    async def seqs(self, rooms: list[str]) -> list[int]: ...

    async def room_seqs(self) -> dict[str, int]: ...

    def list_rooms(self, pipe: Any, rooms: list[str]) -> int:
        """Queue on ``pipe`` the writes that list ``rooms``; returns how many commands."""
        ...

    def publish(self, pipe: Any, channel: str, data: bytes) -> None:
        """Queue on ``pipe`` one audio message (``PUBLISH``, or ``SPUBLISH`` on a cluster)."""
        ...

    async def list_new_rooms(self, rooms: list[str]) -> None:
        """List rooms (before their first entries are sent)."""
        ...

    async def append(self, items: list[durable.AppendItem]) -> list[Any]:
        """Append each ``(room, body, now)``, durably (see redis_durable); returns, in
        order, each ``[seq, at]`` reply or the exception its entry met
        (``BackendUnavailable``: it may or may not be stored)."""
        ...

    def renew(self) -> None: ...

    async def close(self) -> None: ...


class RedisLink:
    """The command pool and the pub/sub client of one backend."""

    def __init__(self, url: str, *, client_name: str) -> None:
        # wait=N: replicas that must confirm each append (the operator's; 0 by default:
        # one server, durable by its own fsync).
        self.url, self.wait_replicas = durable.split_wait(url, default=0)
        self._options: dict[str, Any] = {
            "socket_timeout": SOCKET_TIMEOUT_S,
            "socket_connect_timeout": CONNECT_TIMEOUT_S,
            "retry": Retry(NoBackoff(), 0),
            "client_name": client_name,
        }
        self._client: Redis | None = self._new_client()
        self.sub_client: Redis = Redis(
            connection_pool=ConnectionPool.from_url(self.url, **self._options)
        )
        self._retired: set[Redis] = set()
        self._retiring: set[asyncio.Task[None]] = set()
        self.append_script = keys.APPEND

    @property
    def where(self) -> str:
        """The URL without credentials, for messages and logs."""
        return redact_url(self.url)

    @property
    def client(self) -> Redis:
        if self._client is None:
            raise BackendUnavailable("redis backend is closed")
        return self._client

    def _new_client(self) -> Redis:
        pool = BlockingConnectionPool.from_url(
            self.url, max_connections=MAX_CONNECTIONS, timeout=SOCKET_TIMEOUT_S, **self._options
        )
        return Redis(connection_pool=pool)

    async def call(self, what: str, op: Op) -> Any:
        """Run an idempotent command; Redis errors become BackendUnavailable.

        One retry on a connection error: a pooled connection may have died with a
        Redis restart that nothing noticed yet.
        """
        for attempt in (1, 2):
            try:
                return await op(self.client)
            except BusyLoadingError as exc:
                raise BackendUnavailable(f"redis is loading its data ({what})") from exc
            except RedisConnectionError as exc:
                if attempt == 1:
                    continue
                raise BackendUnavailable(f"redis {what} at {self.where}: {exc}") from exc
            except (RedisError, OSError, TimeoutError) as exc:
                raise BackendUnavailable(f"redis {what} at {self.where}: {exc}") from exc
        raise AssertionError("unreachable")

    async def seqs(self, rooms: list[str]) -> list[int]:
        """The stored seq of each room (0 where there is none), in one round trip."""
        return await stored_seqs(self, rooms)

    async def room_seqs(self) -> dict[str, int]:
        """Every listed room with its stored seq (0 for a listed room without entries)."""
        members = await self.call("SMEMBERS", lambda r: r.smembers(keys.ROOMS))
        rooms = sorted(as_bytes(m).decode() for m in members)
        return dict(zip(rooms, await self.seqs(rooms)))

    def list_rooms(self, pipe: Any, rooms: list[str]) -> int:
        pipe.sadd(keys.ROOMS, *rooms)
        return 1

    def publish(self, pipe: Any, channel: str, data: bytes) -> None:
        pipe.publish(channel, data)

    async def list_new_rooms(self, rooms: list[str]) -> None:
        await self.call("SADD rooms", lambda r: r.sadd(keys.ROOMS, *rooms))

    async def append(self, items: list[durable.AppendItem]) -> list[Any]:
        held = self.wait_replicas > 0
        pipe = self.client.pipeline(transaction=False)
        durable.queue_appends(pipe, keys.APPEND, items, held=held)
        if held:
            pipe.execute_command("WAIT", self.wait_replicas, durable.WAIT_TIMEOUT_MS)
        try:
            replies: list[Any] = await pipe.execute(raise_on_error=False)
        except Exception as exc:
            # The whole batch may or may not be stored: "unavailable", and a retry
            # with the nonce settles it.
            if not isinstance(exc, LINK_ERRORS):
                logger.exception("redis writer failed on a batch of %d", len(items))
            return [BackendUnavailable(f"redis append failed: {exc}")] * len(items)
        unconfirmed = None
        if held:
            confirmed = replies.pop()
            if not (isinstance(confirmed, int) and confirmed >= self.wait_replicas):
                logger.warning(
                    "%s of %d replicas confirmed appends in %d ms",
                    confirmed,
                    self.wait_replicas,
                    durable.WAIT_TIMEOUT_MS,
                )
                unconfirmed = "not confirmed by its replicas in time"
        results = durable.settle(items, replies, where=self.where, unconfirmed=unconfirmed)
        if held and unconfirmed is None:
            try:
                await durable.show(self.client, keys.CONFIRM, items, results)
            except (RedisError, OSError) as exc:
                return [BackendUnavailable(f"redis append not shown: {exc}")] * len(items)
        return results

    def renew(self) -> None:
        """Give new commands a new pool; close the old one when its commands are over."""
        old, self._client = self._client, self._new_client()
        if old is None:
            return
        self._retired.add(old)
        task = asyncio.create_task(self._retire(old), name="yishi-redis-retire-pool")
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def _retire(self, old: Redis) -> None:
        await asyncio.sleep(RETIRE_AFTER_S)
        self._retired.discard(old)
        await old.aclose(close_connection_pool=True)

    async def close(self) -> None:
        for task in self._retiring:
            task.cancel()
        await asyncio.gather(*self._retiring, return_exceptions=True)
        for client in (self._client, self.sub_client, *self._retired):
            if client is not None:
                await client.aclose(close_connection_pool=True)
        self._client = None
        self._retired.clear()


async def stored_seqs(link: Link, rooms: list[str]) -> list[int]:
    """The shown seq of each room (its durable mark; 0 where there is none), in one
    pipeline (a cluster client splits it by master and sends the parts to all at once)."""
    if not rooms:
        return []

    async def fetch(r: Any) -> list[Any]:
        pipe = r.pipeline(transaction=False)
        durable.queue_marks(pipe, rooms)
        result: list[Any] = await pipe.execute()
        return result

    return durable.marks(await link.call("GET seqs", fetch))


def as_bytes(value: object) -> bytes:
    """A reply value as bytes (replies are never decoded: bodies are binary)."""
    if not isinstance(value, bytes):
        raise TypeError(f"expected bytes from redis, got {type(value).__name__}")
    return value


async def nap(stopping: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake at once when ``stopping`` is set.

    Loops stop on that flag, not only on cancellation: on Python 3.11 a
    cancellation that meets a finishing timeout inside redis-py can be lost.
    """
    try:
        await asyncio.wait_for(stopping.wait(), seconds)
    except TimeoutError:
        pass
