"""What the room sockets of one uvicorn server share (``roomsocket``'s rule 5).

uvicorn makes a protocol object per connection and nothing per server that
Yishi could hook into, so the first room socket makes this object and keeps it
on uvicorn's ``Config``: the app's services, found once; uvicorn's bookkeeping;
and the one keep-alive timer that pings every open room socket each
``ws_ping_interval`` and fails, with 1011, one whose ping is still unanswered
``ws_ping_timeout`` later.
"""

from __future__ import annotations

import asyncio
import math
from typing import TYPE_CHECKING, Any, Protocol

from ..services import Services

if TYPE_CHECKING:
    from uvicorn import Config

    from ..uvicorn_parts import ServerState


class KeptAlive(Protocol):
    """A socket the keep-alive timer pings (``roomsocket.RoomSocket``)."""

    def keepalive(self, tick: int, payload: bytes, timeout_ticks: int | None) -> None:
        """Ping, or fail the connection if the last ping went unanswered too long."""


class ServerSockets:
    """What the room sockets of one uvicorn server share: the app's services,
    uvicorn's bookkeeping, and the keep-alive timer (rule 5)."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.config, self.server_state, self.app_state, self.loop = (
            config,
            server_state,
            app_state,
            loop,
        )
        self._services: Services | None = None
        interval, timeout = config.ws_ping_interval, config.ws_ping_timeout
        self.ping_interval = interval if interval is not None and interval > 0 else None
        self.timeout_ticks: int | None = None
        if interval is not None and interval > 0 and timeout is not None:
            self.timeout_ticks = max(1, math.ceil(timeout / interval))
        self.sockets: set[KeptAlive] = set()
        self.tick = 0
        self.timer: asyncio.TimerHandle | None = None

    def services(self) -> Services | None:
        """The Yishi services of the app uvicorn serves (found through the
        middleware around it, each holding ``.app``), or None: not a Yishi app."""
        if self._services is None:
            app: Any = self.config.loaded_app
            for _ in range(32):
                found = getattr(getattr(app, "state", None), "services", None)
                if isinstance(found, Services):
                    self._services = found
                    break
                app = getattr(app, "app", None)
                if app is None:
                    break
        return self._services

    def opened(self, sock: KeptAlive) -> None:
        self.sockets.add(sock)
        if self.timer is None and self.ping_interval is not None:
            self.timer = self.loop.call_later(self.ping_interval, self._ping_all)

    def closed(self, sock: KeptAlive) -> None:
        self.sockets.discard(sock)
        if not self.sockets and self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _ping_all(self) -> None:
        self.tick += 1
        payload = (self.tick & 0xFFFFFFFF).to_bytes(4, "big")
        for sock in list(self.sockets):
            sock.keepalive(self.tick, payload, self.timeout_ticks)
        self.timer = None
        if self.sockets and self.ping_interval is not None:
            self.timer = self.loop.call_later(self.ping_interval, self._ping_all)
