"""The deployment's marker in Redis, to notice a Redis that lost its data.

A Redis restarted without persistence (or flushed) comes back empty and answers
every command: nothing fails, the rooms' logs are simply gone, and the next append
would start a room's log again at seq 1 under clients that saw seq 500. So the
first node of a deployment writes ``yishi:deployment`` (an id and its creation
time, ``SET NX``: made once, every later node reads the same), and every node
checks at its heartbeat's pace that the marker it read at start is still there.
Once it is not (gone, or another deployment's), Redis lost its data: the node is
unready (``store_lost_data``, logged once), and appends are refused with
``unavailable`` until the operator restores Redis and restarts the nodes.

On a Redis Cluster the key lives on one master only, so a master that lost its
data alone is not noticed here (left for later: a marker per master).
"""

from __future__ import annotations

import asyncio
import secrets
import time

from ...readiness import STORE_LOST_DATA, Readiness
from .link import LINK_ERRORS, Link, nap

MARKER = "yishi:deployment"


class DeploymentMarker:
    """This node's view of the deployment's marker."""

    def __init__(self, link: Link, readiness: Readiness) -> None:
        self._link = link
        self._readiness = readiness
        self._expected: bytes | None = None

    @property
    def lost(self) -> bool:
        """Whether Redis lost the data this node started on."""
        return self._readiness.has(STORE_LOST_DATA)

    async def claim(self) -> None:
        """At start: make the marker if there is none, and remember it. Raises what
        the link raises when Redis is unreachable."""
        made = f"{secrets.token_hex(8)} {time.time_ns() // 1_000_000}"
        client = self._link.client
        await client.set(MARKER, made, nx=True)
        self._expected = await client.get(MARKER)

    async def check(self) -> None:
        """Compare the marker with the one read at start (an unreachable Redis is the
        feed's and the heartbeat's to report, not this)."""
        if self._expected is None or self.lost:
            return
        current = await self._link.client.get(MARKER)
        if current != self._expected:
            self._readiness.report(
                STORE_LOST_DATA,
                f"Redis at {self._link.where} no longer holds this"
                " deployment's marker (yishi:deployment): it lost its data (restarted"
                " without persistence, or flushed). Appends are refused; restore Redis"
                " from its backup and restart the nodes",
            )

    async def run(self, stopping: asyncio.Event, every_s: float) -> None:
        while not stopping.is_set():
            try:
                await self.check()
            except LINK_ERRORS:
                pass  # unreachable: /readyz says so through the ping
            await nap(stopping, every_s)
