"""The connections of one Redis backend on a Redis Cluster (``redis+cluster://``).

``redis+cluster://[user:password@]HOST:PORT[,HOST:PORT...]`` names seed nodes;
the rest of the cluster (every master, its slots, its replicas) is discovered
from them and rediscovered after a failover or a slot migration.

The rules are those of :mod:`~yishi.backends.redis_link`, for a cluster:

* Commands go through redis-py's ``RedisCluster``, which routes each one to
  the master that owns its key's slot and follows ``MOVED``/``ASK`` redirects
  (a redirected command was not run, so following it is safe).
* No retry after a connection error (an append cannot be retried safely);
  the error only makes the client rediscover the slot map before its next
  command. :meth:`call` retries an idempotent command once, which is what lets
  it reach the new master right after a failover.
* Every Redis, socket or cluster error becomes :class:`BackendUnavailable`.
* Pub/sub is not here: sharded subscriptions are one plain connection per
  master (:mod:`~yishi.backends.redis_shards`), placed by :meth:`owner`.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import unquote

from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.crc import key_slot
from redis.exceptions import BusyLoadingError, RedisClusterException, RedisError
from redis.exceptions import ConnectionError as RedisConnectionError

from . import redis_keys as keys
from .base import BackendUnavailable
from .redis_link import CONNECT_TIMEOUT_S, MAX_CONNECTIONS, SOCKET_TIMEOUT_S, Op, as_bytes

logger = logging.getLogger(__name__)

SCHEME = "redis+cluster://"


def parse_cluster_url(url: str) -> tuple[list[tuple[str, int]], dict[str, str]]:
    """The seed nodes and credentials of a ``redis+cluster://`` URL.

    Raises ``ValueError`` for a URL without a seed or with a bad port.
    """
    if not url.startswith(SCHEME):
        raise ValueError(f"not a cluster URL: {url!r}")
    rest = url[len(SCHEME):].split("/", 1)[0].split("?", 1)[0]
    credentials: dict[str, str] = {}
    if "@" in rest:
        userinfo, rest = rest.rsplit("@", 1)
        user, _, password = userinfo.partition(":")
        if user:
            credentials["username"] = unquote(user)
        if password:
            credentials["password"] = unquote(password)
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
        raise ValueError(f"no seed node in {url!r} (redis+cluster://HOST:PORT[,HOST:PORT...])")
    return seeds, credentials


class ClusterLink:
    """The cluster client of one backend, and where each room's shard is now."""

    def __init__(self, url: str, *, client_name: str) -> None:
        self.url = url
        self.append_script = keys.APPEND_SHARDED
        self.seeds, credentials = parse_cluster_url(url)
        self.username = credentials.get("username")
        self.password = credentials.get("password")
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
        if not rooms:
            return []

        async def fetch(r: RedisCluster) -> list[Any]:
            pipe = r.pipeline(transaction=False)
            for room in rooms:
                pipe.get(keys.seq_key(room))
            result: list[Any] = await pipe.execute()
            return result

        return [int(seq or 0) for seq in await self.call("GET seqs", fetch)]

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
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()
