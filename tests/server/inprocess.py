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

import uvicorn
from roomclient import Api
from roomharness import ADMIN, SECRET, Room, free_port, make_room
from yishi.app import Services, create_app
from yishi.config import Config
from yishi.core.types import Entry

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
async def serve_in_process(tmp_path: Path) -> AsyncIterator[Served]:
    port = free_port()
    config = Config(host="127.0.0.1", port=port, data_dir=tmp_path, admin_token=ADMIN,
                    secret=SECRET)
    got: list[Services] = []
    server = uvicorn.Server(uvicorn.Config(
        create_app(config, on_ready=got.append), host="127.0.0.1", port=port,
        ws="websockets-sansio", lifespan="on", log_level="warning"))
    serving = asyncio.create_task(server.serve())
    async with asyncio.timeout(START_TIMEOUT):
        while not server.started:  # uvicorn offers a flag, not an event, for this
            assert not serving.done(), "the server did not start"
            await asyncio.sleep(0.02)
    api = Api(f"http://127.0.0.1:{port}", ADMIN)
    endpoint = SimpleNamespace(ws_base=f"ws://127.0.0.1:{port}", port=port)
    room = await make_room(endpoint, api)  # type: ignore[arg-type]
    try:
        yield Served(got[0], room)
    finally:
        await room.close_all()
        await api.aclose()
        server.should_exit = True
        await serving
