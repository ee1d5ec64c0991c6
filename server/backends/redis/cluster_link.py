"""The connections of one Redis backend on a Redis Cluster (``redis+cluster://``).

``redis+cluster://[user:password@]HOST:PORT[,HOST:PORT...]`` names seed nodes;
the rest of the cluster (every master, its slots, its replicas) is discovered
from them and rediscovered after a failover or a slot migration.

The rules are those of :mod:`~yishi.backends.redis.link`, for a cluster:

* Commands go through redis-py's ``RedisCluster``, which routes each one to
  the master that owns its key's slot and follows ``MOVED``/``ASK`` redirects
  (a redirected command was not run, so following it is safe).
* No retry after a connection error (an append cannot be retried safely);
  the error only makes the client rediscover the slot map before its next
  command. :meth:`call` retries an idempotent command once, which is what lets
  it reach the new master right after a failover.
* Every Redis, socket or cluster error becomes :class:`BackendUnavailable`.
* Appends do not go through the cluster client: the writer groups a batch by
  the master that owns each room and sends one pipeline per master, on a
  connection of its own to that master: ``CLUSTER NODES`` (how many replicas
  the master has now), the appends, held, and ``WAIT <replicas> <ms>``; the
  entries are shown (marked durable, published) only once every replica
  listed confirmed them (:mod:`~yishi.backends.redis.durable`), so a replica
  promoted after its master died holds every entry anyone saw. An append whose
  master does not answer, answers ``MOVED`` (the slot has moved: the entry was
  not stored) or whose replicas do not confirm in time fails as
  ``unavailable``, and the slot map is learnt again before the next batch.
  ``?wait=N`` caps the replicas waited for (default 1; ``?wait=0`` turns the
  confirmation off); a replica the cluster agreed has failed is not waited
  for (``min-replicas-to-write`` on the masters refuses writes then).
* Pub/sub is not here: sharded subscriptions are one plain connection per
  master (:mod:`~yishi.backends.redis.shards`), placed by :meth:`owner`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from redis.asyncio import Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.crc import key_slot
from redis.exceptions import BusyLoadingError, RedisClusterException, RedisError
from redis.exceptions import ConnectionError as RedisConnectionError

from ...redact import redact_url
from ..base import BackendUnavailable
from . import durable, keys
from .link import CONNECT_TIMEOUT_S, MAX_CONNECTIONS, SOCKET_TIMEOUT_S, Op, as_bytes, stored_seqs

logger = logging.getLogger(__name__)

SCHEME = "redis+cluster://"


@dataclass(frozen=True, slots=True)
class ClusterUrl:
    """What a ``redis+cluster://[user:password@]HOST:PORT[,HOST:PORT...][?wait=N]`` says."""

    seeds: list[tuple[str, int]]
    username: str | None = None
    password: str | None = None
    wait: int = 1  # replicas that must confirm each append (0: none)


def parse_cluster_url(url: str) -> ClusterUrl:
    """Raises ``ValueError`` for a URL without a seed, with a bad port or a bad ``wait``."""
    if not url.startswith(SCHEME):
        raise ValueError(f"not a cluster URL: {redact_url(url)!r}")
    rest, _, query = url[len(SCHEME) :].partition("?")
    rest = rest.split("/", 1)[0]
    username = password = None
    if "@" in rest:
        userinfo, rest = rest.rsplit("@", 1)
        user, _, secret = userinfo.partition(":")
        username, password = unquote(user) or None, unquote(secret) or None
    seeds: list[tuple[str, int]] = []
    for part in filter(None, rest.split(",")):
        host, _, port = part.rpartition(":")
        if not host:
            host, port = part, "6379"
        try:
            seeds.append((host.strip("[]"), int(port)))
        except ValueError:
            raise ValueError(f"bad port in cluster URL seed {part!r}") from None
    if not seeds:
        raise ValueError(
            f"no seed node in {redact_url(url)!r} (redis+cluster://HOST:PORT[,HOST:PORT...])"
        )
    _, wait = durable.split_wait(f"?{query}", default=1)
    return ClusterUrl(seeds, username, password, wait)


class ClusterLink:
    """The cluster client of one backend, and where each room's shard is now."""

    def __init__(self, url: str, *, client_name: str) -> None:
        self.url = url
        self.append_script = keys.APPEND_SHARDED
        parsed = parse_cluster_url(url)
        self.seeds = parsed.seeds
        self.username, self.password = parsed.username, parsed.password
        self.wait_replicas = parsed.wait
        self._masters: dict[str, Redis] = {}  # "host:port" -> the appends' connection
        self._replicas: dict[str, int] = {}  # "host:port" -> replicas to wait for, last read
        self._stale = False  # learn the slot map again before the next batch
        self._closing: set[asyncio.Task[None]] = set()
        self.client_name = client_name
        self._client: RedisCluster | None = RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in self.seeds],
            retry=Retry(NoBackoff(), 0),
            socket_timeout=SOCKET_TIMEOUT_S,
            socket_connect_timeout=CONNECT_TIMEOUT_S,
            max_connections=MAX_CONNECTIONS,
            client_name=client_name,
            username=self.username,
            password=self.password,
        )

    @property
    def where(self) -> str:
        return ",".join(f"{host}:{port}" for host, port in self.seeds)

    @property
    def client(self) -> RedisCluster:
        if self._client is None:
            raise BackendUnavailable("redis backend is closed")
        return self._client

    async def call(self, what: str, op: Op) -> Any:
        """Run an idempotent command; errors become BackendUnavailable. One retry after
        a connection error: by then the client has learnt the new slot map."""
        for attempt in (1, 2):
            try:
                return await op(self.client)
            except BusyLoadingError as exc:
                raise BackendUnavailable(f"redis is loading its data ({what})") from exc
            except (RedisConnectionError, TimeoutError) as exc:
                if attempt == 1:
                    continue
                raise BackendUnavailable(f"redis cluster {what} at {self.where}: {exc}") from exc
            except (RedisError, RedisClusterException, OSError) as exc:
                raise BackendUnavailable(f"redis cluster {what} at {self.where}: {exc}") from exc
        raise AssertionError("unreachable")

    async def seqs(self, rooms: list[str]) -> list[int]:
        """The stored seq of each room (0 where there is none); one pipeline, which the
        client splits by master and sends to all of them at once."""
        return await stored_seqs(self, rooms)

    async def room_seqs(self) -> dict[str, int]:
        """Every listed room (all buckets) with its stored seq."""

        async def members(r: RedisCluster) -> list[Any]:
            pipe = r.pipeline(transaction=False)
            for bucket in keys.list_buckets("rooms"):
                pipe.smembers(bucket)
            result: list[Any] = await pipe.execute()
            return result

        found = await self.call("SMEMBERS buckets", members)
        rooms = sorted({as_bytes(m).decode() for bucket in found for m in bucket})
        return dict(zip(rooms, await self.seqs(rooms)))

    def list_rooms(self, pipe: Any, rooms: list[str]) -> int:
        by_bucket: dict[str, list[str]] = {}
        for room in rooms:
            by_bucket.setdefault(keys.listed_in("rooms", room), []).append(room)
        for bucket, members in sorted(by_bucket.items()):
            pipe.sadd(bucket, *members)
        return len(by_bucket)

    def publish(self, pipe: Any, channel: str, data: bytes) -> None:
        pipe.spublish(channel, data)

    async def list_new_rooms(self, rooms: list[str]) -> None:
        """Add rooms to their buckets (before their first entries are sent)."""

        async def add(r: RedisCluster) -> None:
            pipe = r.pipeline(transaction=False)
            self.list_rooms(pipe, rooms)
            await pipe.execute()

        await self.call("SADD buckets", add)

    async def append(self, items: list[tuple[str, bytes, str]]) -> list[Any]:
        """Run the append script for each ``(room, body, now)``: one pipeline per master,
        all at once. Returns, in order, each ``[seq, at]`` reply or the exception its
        entry met (``BackendUnavailable``: it may or may not be stored)."""
        results: list[Any] = [None] * len(items)
        try:
            if self._stale:
                await self.refresh()
                self._stale = False
            groups: dict[str, list[int]] = {}
            for i, (room_id, _, _) in enumerate(items):
                host, port = self.owner(room_id)
                groups.setdefault(f"{host}:{port}", []).append(i)
        except BackendUnavailable as exc:
            self._stale = True
            return [exc] * len(items)

        async def send(name: str, indexes: list[int]) -> None:
            batch = [items[i] for i in indexes]
            for i, result in zip(indexes, await self._append_on(name, batch)):
                results[i] = result

        await asyncio.gather(*(send(name, indexes) for name, indexes in groups.items()))
        return results

    async def _append_on(self, name: str, items: list[durable.AppendItem]) -> list[Any]:
        """One master's part of a batch: held, then shown once its replicas confirmed it
        (see redis_durable: the topology is read in the same pipeline, before the
        appends, and the replicas it lists must all confirm)."""
        held = self.wait_replicas > 0
        # The count the last batch read, for WAIT's argument; the batch checks the
        # answer against the count read now. Unknown: wait for as many as asked.
        waited = min(self.wait_replicas, self._replicas.get(name, self.wait_replicas))
        pipe = self._master(name).pipeline(transaction=False)
        if held:
            pipe.execute_command("CLUSTER", "NODES")  # two words: the raw reply
        durable.queue_appends(pipe, self.append_script, items, held=held)
        if held and waited:
            pipe.execute_command("WAIT", waited, durable.WAIT_TIMEOUT_MS)
        try:
            replies: list[Any] = await pipe.execute(raise_on_error=False)
        except (RedisError, OSError, TimeoutError) as exc:
            self._lost(name)
            return [BackendUnavailable(f"append on master {name} failed: {exc}")] * len(items)
        unconfirmed = None
        if held:
            listed = durable.replicas_listed(replies.pop(0))
            confirmed = replies.pop() if waited else 0
            needed = None if listed is None else min(self.wait_replicas, listed)
            if needed is not None:
                self._replicas[name] = needed
            if needed is None or not (isinstance(confirmed, int) and confirmed >= needed):
                logger.warning(
                    "master %s: %s of %s replicas confirmed appends in %d ms",
                    name,
                    confirmed,
                    needed,
                    durable.WAIT_TIMEOUT_MS,
                )
                unconfirmed = "not confirmed by its replicas in time"
        if any(isinstance(reply, Exception) for reply in replies):
            self._stale = True  # MOVED, CLUSTERDOWN...: not stored
        results = durable.settle(items, replies, where=f"master {name}", unconfirmed=unconfirmed)
        if held and unconfirmed is None:
            try:
                await durable.show(self._master(name), keys.CONFIRM_SHARDED, items, results)
            except (RedisError, OSError, TimeoutError) as exc:
                self._lost(name)
                return [BackendUnavailable(f"append on master {name} not shown: {exc}")] * len(
                    items
                )
        return results

    def _master(self, name: str) -> Redis:
        client = self._masters.get(name)
        if client is None:
            host, _, port = name.rpartition(":")
            client = self._masters[name] = Redis(
                host=host,
                port=int(port),
                socket_timeout=SOCKET_TIMEOUT_S,
                socket_connect_timeout=CONNECT_TIMEOUT_S,
                retry=Retry(NoBackoff(), 0),
                client_name=self.client_name,
                username=self.username,
                password=self.password,
            )
        return client

    def _lost(self, name: str) -> None:
        """A master's append connection failed: the map is learnt again, the
        connection made anew (never reused: an append cannot be retried)."""
        self._stale = True
        client = self._masters.pop(name, None)
        if client is not None:
            task = asyncio.create_task(client.aclose(close_connection_pool=True))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    def owner(self, room_id: str) -> tuple[str, int]:
        """``(host, port)`` of the master that owns the room's slot, as last learnt."""
        slot = key_slot(keys.channel(room_id).encode())
        try:
            node = self.client.nodes_manager.get_node_from_slot(slot)
        except (RedisClusterException, RedisError) as exc:
            raise BackendUnavailable(f"no master known for slot {slot}: {exc}") from exc
        return str(node.host), int(node.port)

    async def refresh(self) -> None:
        """Learn the slot map again (after a lost shard or a slot that moved)."""
        try:
            await self.client.nodes_manager.initialize()
        except (RedisError, RedisClusterException, OSError) as exc:
            raise BackendUnavailable(f"cannot learn the slot map at {self.where}: {exc}") from exc

    def renew(self) -> None:
        """Nothing to do: the cluster client replaces what it lost on its own."""

    async def close(self) -> None:
        await asyncio.gather(*self._closing, return_exceptions=True)
        for master in self._masters.values():
            await master.aclose(close_connection_pool=True)
        self._masters.clear()
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()
