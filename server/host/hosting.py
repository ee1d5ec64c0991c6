"""What a room's helpers on a node (secret ballots, presence) use of the room they
serve and of the node that hosts it, as protocols.

``node.py``'s :class:`~yishi.host.node.RoomHost` and :class:`~yishi.host.node.Node` are these
(mypy checks it where the node hands itself over); the helpers import this module,
never ``node.py``, which makes them: the node is above its helpers, not beside them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
from contextlib import AbstractContextManager
from typing import Any, Protocol

from ..backends.base import LogBackend
from ..core.state import RoomState
from ..core.types import Json, Outcome


class HostingNode(Protocol):
    """The node, as its rooms' helpers see it."""

    @property
    def node_id(self) -> str: ...

    @property
    def backend(self) -> LogBackend: ...

    @property
    def clock(self) -> Callable[[], int]: ...

    @property
    def hosts(self) -> Mapping[str, HostedRoom]: ...

    def spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]: ...

    async def host(self, room_id: str) -> HostedRoom | None: ...

    async def submit(
        self,
        room_id: str,
        kind: str,
        *,
        actor: str | None = None,
        args: Json | None = None,
        nonce: str | None = None,
    ) -> Outcome: ...


class HostedRoom(Protocol):
    """One room loaded on the node."""

    last_used: int  # when a socket last left (presence), for unloading an idle room

    @property
    def room_id(self) -> str: ...

    @property
    def state(self) -> RoomState: ...

    @property
    def node(self) -> HostingNode: ...

    @property
    def idle(self) -> bool: ...  # nothing on this node needs the room now

    def pinned(self) -> AbstractContextManager[None]: ...
