"""Node heartbeats in Redis: who is alive, so that survivors can tidy up after the dead.

Each node keeps ``yishi:node:<id>`` alive with a TTL (``YISHI_NODE_TTL``
seconds, default 10), refreshed every third of it, and records itself in the
index ``yishi:nodes`` (scored by the time of its last heartbeat) so that
listing nodes needs no ``SCAN``. On a cluster the heartbeat keys spread over the
shards by name; the index is one small key on one shard, written once per
heartbeat per node (a few writes a second for dozens of nodes): not a hot spot.
A node whose key expired is dead; the index forgets it after a day.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

from . import keys
from .delivery import cancelled
from .link import LINK_ERRORS, Link, as_bytes, nap

logger = logging.getLogger(__name__)

NODE_TTL_ENV = "YISHI_NODE_TTL"
DEFAULT_NODE_TTL_S = 10.0
RETRY_S = 0.5  # after a failed heartbeat
INDEX_KEEP_MS = 24 * 3600 * 1000
CLEAR_TIMEOUT_S = 2.0


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


def _now_ms() -> int:
    # Only for the index's age-based pruning (a day): clock skew does not matter.
    return time.time_ns() // 1_000_000


class Heartbeat:
    """This node's heartbeat, and the list of live nodes."""

    def __init__(self, link: Link, node_id: str, *, ttl_s: float, stopping: asyncio.Event) -> None:
        self._link = link
        self.node_id = node_id
        self.ttl_s = ttl_s
        self._stopping = stopping

    async def beat(self) -> None:
        """Say "alive" once. Raises RedisError or OSError when Redis is unreachable."""
        pipe = self._link.client.pipeline(transaction=False)
        pipe.set(keys.node_key(self.node_id), str(_now_ms()), px=int(self.ttl_s * 1000))
        pipe.zadd(keys.NODES, {self.node_id: _now_ms()})
        await pipe.execute()

    async def run(self) -> None:
        """Beat every third of the TTL until the backend stops; retry soon after a failure."""
        every = self.ttl_s / 3
        while not self._stopping.is_set():
            try:
                await self.beat()
                delay = every
            except LINK_ERRORS as exc:
                if cancelled():
                    return
                logger.warning("node heartbeat failed (%s); retrying", exc)
                delay = min(every, RETRY_S)
            await nap(self._stopping, delay)

    async def clear(self) -> None:
        """Gone at once, rather than after the TTL, so the others notice quickly."""
        try:
            await asyncio.wait_for(
                self._link.client.delete(keys.node_key(self.node_id)), CLEAR_TIMEOUT_S
            )
        except (*LINK_ERRORS, TimeoutError):  # type: ignore[misc]
            pass

    async def alive(self) -> set[str]:
        """Ids of the nodes whose heartbeat has not expired (this one always included)."""
        now = _now_ms()
        index = await self._link.call(
            "ZRANGEBYSCORE", lambda r: r.zrangebyscore(keys.NODES, now - INDEX_KEEP_MS, "+inf")
        )
        ids = [as_bytes(m).decode() for m in index]

        async def probe(r: Any) -> list[Any]:
            pipe = r.pipeline(transaction=False)
            for node in ids:
                pipe.exists(keys.node_key(node))
            # Pruned by age only: a live node's index entry is always fresh, so a
            # race with its heartbeat cannot drop it.
            pipe.zremrangebyscore(keys.NODES, "-inf", now - INDEX_KEEP_MS)
            result: list[Any] = await pipe.execute()
            return result

        exists = await self._link.call("EXISTS", probe)
        return {node for node, found in zip(ids, exists) if found} | {self.node_id}
