"""The node's two sweeps: whoever was only on a node that died is marked gone, and
rooms with nothing to do leave memory (node.py's docstring says when)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from ..backends.base import BackendUnavailable, LogBackend
from .hosting import HostedRoom

DEAD_NODE_SWEEP_S = 2.0
IDLE_SWEEP_MAX_S = 30.0


Room = TypeVar("Room", bound=HostedRoom)


async def forget_dead_nodes(backend: LogBackend, node_id: str, host: HostedRoom) -> None:
    """Append ``node.gone`` for each node the room's people were on that is alive no
    more (never this one)."""
    if backend.single_node:
        return  # no other node to have died
    alive = await backend.alive_nodes()
    seen = {n for p in host.state.participants.values() for n in p.nodes}
    for node in sorted(seen - alive - {node_id}):
        await backend.append(host.room_id, "node.gone", args={"node": node})


async def sweep_dead_nodes(
    backend: LogBackend, node_id: str, hosts: Mapping[str, HostedRoom]
) -> None:
    """Any surviving node marks offline whoever was only on a node that died."""
    while True:
        await asyncio.sleep(DEAD_NODE_SWEEP_S)
        for host in list(hosts.values()):
            try:
                await forget_dead_nodes(backend, node_id, host)
            except BackendUnavailable:
                break


async def sweep_idle_rooms(
    hosts: Mapping[str, Room],
    clock: Callable[[], int],
    idle_ms: int,
    unload: Callable[[Room], Awaitable[None]],
) -> None:
    """Unload the rooms that have had nothing to do for ``idle_ms``."""
    interval = min(idle_ms / 2000, IDLE_SWEEP_MAX_S)
    while True:
        await asyncio.sleep(interval)
        now = clock()
        for host in list(hosts.values()):
            if now - host.last_used >= idle_ms and host.idle and hosts.get(host.room_id) is host:
                with contextlib.suppress(BackendUnavailable):
                    await unload(host)
