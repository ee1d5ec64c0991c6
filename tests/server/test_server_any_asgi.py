"""Under another ASGI WebSocket implementation (uvicorn's wsproto, in process) the room
works the same: the hub cannot write frames to the transport there and sends every
frame through ASGI instead (`yishi serve` uses websockets-sansio, with direct writes)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import uvicorn
from roomclient import Api, has
from roomharness import ADMIN, SECRET, Room, free_port, make_room

from yishi.app import create_app
from yishi.config import Config

START_TIMEOUT = 20.0


@pytest.fixture
async def wsproto_room(tmp_path: Path) -> AsyncIterator[Room]:
    port = free_port()
    config = Config(host="127.0.0.1", port=port, data_dir=tmp_path, admin_token=ADMIN,
                    secret=SECRET)
    server = uvicorn.Server(uvicorn.Config(
        create_app(config), host="127.0.0.1", port=port, ws="wsproto", lifespan="on",
        log_level="warning"))
    serving = asyncio.create_task(server.serve())
    async with asyncio.timeout(START_TIMEOUT):
        while not server.started:  # uvicorn offers a flag, not an event, for this
            assert not serving.done(), "the server did not start"
            await asyncio.sleep(0.02)
    api = Api(f"http://127.0.0.1:{port}", ADMIN)
    endpoint = SimpleNamespace(ws_base=f"ws://127.0.0.1:{port}", port=port)
    room = await make_room(endpoint, api)  # type: ignore[arg-type]
    try:
        yield room
    finally:
        await room.close_all()
        await api.aclose()
        server.should_exit = True
        await serving


async def test_chat_resume_and_removal_through_asgi_sends(wsproto_room: Room) -> None:
    room = wsproto_room
    mod = await room.moderator()
    person, res = await room.resident("甲")
    await mod.ok("session.start")
    sent = await mod.ok("chat.send", text="欢迎大家")
    await res.wait_event("chat.posted", has(message_id=sent["message_id"]))
    since = res.events[-1]["seq"]
    await res.close()

    texts = [f"第{i}条通知" for i in range(150)]  # more than one pump batch
    for text in texts:
        await mod.ok("chat.send", text=text)
    back = await room.connect(person.token, since=since)
    await back.wait_seq(mod.events[-1]["seq"])
    assert [e["data"]["text"] for e in back.events if e["type"] == "chat.posted"] == texts

    await mod.ok("participant.remove", participant_id=person.participant_id)
    assert await back.wait_closed() == 4003
