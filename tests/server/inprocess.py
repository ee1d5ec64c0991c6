"""A real server in process, for tests that must look at what it stored: its log (as
the backend reads it back) and its screener's count. uvicorn on a free port, real
WebSocket and HTTP clients, a fresh room."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import uvicorn
from roomclient import Api
from roomharness import ADMIN, SECRET, Room, free_port, make_room
from yishi.app import create_app
from yishi.config import Config
from yishi.core.types import Entry
from yishi.services import Services

START_TIMEOUT = 20.0


@dataclass
class Served:
    services: Services
    room: Room

    async def entries(self) -> list[Entry]:
        return await self.services.backend.read(self.room.room_id)

    async def kinds(self, actor: str | None = None) -> list[str]:
        """The kinds of the room's stored entries (sent by ``actor``, if given)."""
        return [e.kind for e in await self.entries() if actor is None or e.actor == actor]


@asynccontextmanager
async def uvicorn_serving(app: Any, port: int, **options: Any) -> AsyncIterator[uvicorn.Server]:
    """``app`` served by uvicorn on 127.0.0.1:``port`` (with ``options`` for its
    ``Config``) from the moment it has started until the block ends."""
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, lifespan="on", log_level="warning", **options
        )
    )
    serving = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(START_TIMEOUT):
            while not server.started:  # uvicorn offers a flag, not an event, for this
                assert not serving.done(), "the server did not start"
                await asyncio.sleep(0.02)
        yield server
    finally:
        server.should_exit = True
        await serving


@asynccontextmanager
async def room_on(port: int, **body: Any) -> AsyncIterator[tuple[Api, Room]]:
    """A fresh room on the server at ``port`` (``body`` for its creation), with the
    HTTP API client that made it; every socket of it is closed at the end."""
    api = Api(f"http://127.0.0.1:{port}", ADMIN)
    endpoint = SimpleNamespace(ws_base=f"ws://127.0.0.1:{port}", port=port)
    try:
        room = await make_room(endpoint, api, **body)  # type: ignore[arg-type]
        try:
            yield api, room
        finally:
            await room.close_all()
    finally:
        await api.aclose()


@asynccontextmanager
async def serve_in_process(tmp_path: Path) -> AsyncIterator[Served]:
    port = free_port()
    config = Config(
        host="127.0.0.1", port=port, data_dir=tmp_path, admin_token=ADMIN, secret=SECRET
    )
    got: list[Services] = []
    async with (
        uvicorn_serving(create_app(config, on_ready=got.append), port, ws="websockets-sansio"),
        room_on(port) as (_, room),
    ):
        yield Served(got[0], room)
