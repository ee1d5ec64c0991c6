"""The three socket paths, under Yishi's own protocol and every WebSocket
implementation uvicorn offers.

Each test runs a real uvicorn server in process (``ws=RoomSocket``, as
``yishi serve`` runs it, or ``"websockets-sansio"``, ``"websockets"`` or
``"wsproto"``, per-message deflate allowed as uvicorn's default) with real
``websockets`` clients. Under ``RoomSocket`` room sockets take the *native*
path; under websockets-sansio (and a uvicorn version ``fastpath`` has been
tested with) the ASGI driver's frames go straight to the transport (*direct*);
elsewhere through ASGI. Either way the room must behave the same, ``/metrics``
must say which path each socket took, the process must say it once in its log,
and no frame may follow a close frame on the wire.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import tomllib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from inprocess import room_on, uvicorn_serving
from roomclient import Api, has
from roomharness import ADMIN, SECRET, Room, free_port
from websockets.asyncio.client import connect
from websockets.client import ClientProtocol
from websockets.http11 import Response
from websockets.typing import Subprotocol
from websockets.uri import parse_uri
from yishi import uvicorn_parts
from yishi.app import create_app
from yishi.config import Config
from yishi.core.types import Event
from yishi.host.hub import Subscriber
from yishi.services import Services
from yishi.sockets import fastpath
from yishi.sockets.roomsocket import RoomSocket

WAIT = 10.0
IMPLEMENTATIONS = ["native", "websockets-sansio", "websockets", "wsproto"]
# What each name gives uvicorn as ``ws``: "native" is Yishi's own protocol.
WS_OF: dict[str, Any] = {"native": RoomSocket}
# Under a uvicorn version fastpath has not been tested with, every socket takes ASGI.
PATH_OF = {
    "native": "native",
    "websockets-sansio": "direct" if fastpath.UNAVAILABLE is None else "asgi",
    "websockets": "asgi",
    "wsproto": "asgi",
}
PATHS = ("native", "direct", "asgi")
OP_TEXT, OP_CLOSE = 0x1, 0x8
# uvicorn's legacy implementation is deprecated, but still one that it offers.
pytestmark = pytest.mark.filterwarnings("ignore:The `websockets` implementation is deprecated")

Asgi = Callable[[Any, Any, Any], Awaitable[None]]


@dataclass
class Served:
    server: uvicorn.Server
    services: Services
    room: Room
    api: Api
    port: int
    ws: str

    @property
    def path(self) -> str:
        return PATH_OF[self.ws]

    async def gauge(self, path: str) -> float:
        async with httpx.AsyncClient(trust_env=False) as http:
            text = (await http.get(f"http://127.0.0.1:{self.port}/metrics")).text
        found = re.search(rf'^yishi_sockets_by_path{{path="{path}"}} (\S+)$', text, re.MULTILINE)
        assert found, text
        return float(found[1])

    async def wait_gauge(self, path: str, value: float) -> None:
        """Wait until ``/metrics`` shows ``value`` sockets on ``path`` (a socket's end is
        counted once the server has seen it, a moment after the client's)."""
        async with asyncio.timeout(WAIT):
            while (now := await self.gauge(path)) != value:
                await asyncio.sleep(0.02)
        assert now == value

    def subscribers_of(self, participant_id: str) -> list[Subscriber]:
        return self.services.node.hosts[self.room.room_id].hub.of_participant(participant_id)

    def connection_of(self, local_port: int) -> Any:
        """uvicorn's protocol object of the connection from ``local_port``."""
        found = [
            c
            for c in self.server.server_state.connections
            if getattr(c, "client", None) and c.client[1] == local_port
        ]
        assert len(found) == 1, found
        return found[0]


@asynccontextmanager
async def serve(
    tmp_path: Path, ws: str, *, wrap: Callable[[Asgi], Asgi] | None = None, **options: Any
) -> AsyncIterator[Served]:
    """A Yishi app served by uvicorn with ``ws`` (a name of ``IMPLEMENTATIONS``), a
    room on it, and ``options`` for ``uvicorn.Config``."""
    port = free_port()
    config = Config(
        host="127.0.0.1", port=port, data_dir=tmp_path, admin_token=ADMIN, secret=SECRET
    )
    app = create_app(config)
    async with (
        uvicorn_serving(
            wrap(app) if wrap else app, port, ws=WS_OF.get(ws, ws), **options
        ) as server,
        room_on(port) as (api, room),
    ):
        yield Served(server, app.state.services, room, api, port, ws)


@pytest.fixture(params=IMPLEMENTATIONS)
async def served(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Served]:
    async with serve(tmp_path, request.param) as s:
        yield s


async def test_the_room_works_on_each_path_and_metrics_count_its_sockets(served: Served) -> None:
    room, path = served.room, served.path
    others = [p for p in PATHS if p != path]
    mod = await room.moderator()
    person, res = await room.resident("甲")
    await served.wait_gauge(path, 2)
    assert [await served.gauge(other) for other in others] == [0, 0]
    await mod.ok("session.start")
    sent = await mod.ok("chat.send", text="欢迎大家")
    await res.wait_event("chat.posted", has(message_id=sent["message_id"]))

    # A client that negotiated per-message deflate reads the uncompressed frames too.
    async with connect(
        f"ws://127.0.0.1:{served.port}/ws/{room.room_id}",
        subprotocols=[Subprotocol("yishi.v1.json")],
        proxy=None,
    ) as deflating:
        await deflating.send(json.dumps({"id": 1, "cmd": "hello", "args": {"token": person.token}}))
        assert json.loads(await deflating.recv())["ok"] is True
        await served.wait_gauge(path, 3)
        await mod.ok("chat.send", text="压缩也行")
        posted = json.loads(await deflating.recv())
        assert posted["type"] == "chat.posted" and posted["data"]["text"] == "压缩也行"

    since = res.events[-1]["seq"]
    await res.close()
    texts = [f"第{i}条通知" for i in range(150)]  # more than one pump batch
    for text in texts:
        await mod.ok("chat.send", text=text)
    back = await room.connect(person.token, since=since)
    await back.wait_seq(mod.events[-1]["seq"])
    assert [e["data"]["text"] for e in back.events if e["type"] == "chat.posted"][-150:] == texts

    await mod.ok("participant.remove", participant_id=person.participant_id)
    assert await back.wait_closed() == 4003
    await served.wait_gauge(path, 1)
    await mod.close()
    await served.wait_gauge(path, 0)
    assert [await served.gauge(other) for other in others] == [0, 0]


async def test_the_path_is_logged_once_per_process(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    fastpath._announced.clear()  # as in a fresh process
    caplog.set_level(logging.INFO, logger="yishi.sockets.fastpath")
    for _ in range(3):
        await served.room.moderator()
    said = [r for r in caplog.records if r.name == "yishi.sockets.fastpath"]
    assert len(said) == 1, [r.getMessage() for r in said]
    if served.path == "native":
        assert said[0].levelno == logging.INFO
        assert "Yishi's own protocol" in said[0].getMessage()
    elif served.path == "direct":
        assert said[0].levelno == logging.INFO
        assert "straight to the transport" in said[0].getMessage()
    else:
        assert said[0].levelno == logging.WARNING
        assert "through ASGI" in said[0].getMessage()


class RawSocket:
    """A WebSocket client that keeps every byte the server sent after the handshake,
    to check what follows the close frame on the wire (``websockets`` itself
    discards it). Offers no extension: the server's frames are plain."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, protocol: ClientProtocol
    ) -> None:
        self.reader, self.writer, self.protocol = reader, writer, protocol
        self.raw = b""

    @classmethod
    async def open(cls, port: int, room_id: str, token: str) -> RawSocket:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        protocol = ClientProtocol(
            parse_uri(f"ws://127.0.0.1:{port}/ws/{room_id}"),
            subprotocols=[Subprotocol("yishi.v1.json")],
        )
        protocol.send_request(protocol.connect())
        writer.write(b"".join(protocol.data_to_send()))
        async with asyncio.timeout(WAIT):
            while not any(isinstance(e, Response) for e in protocol.events_received()):
                protocol.receive_data(await reader.read(65536))
        sock = cls(reader, writer, protocol)
        sock.send_text(json.dumps({"id": 1, "cmd": "hello", "args": {"token": token}}))
        await sock.read_until(lambda frames: any(op == OP_TEXT for op, _ in frames))
        return sock

    @property
    def local_port(self) -> int:
        return int(self.writer.get_extra_info("sockname")[1])

    def send_text(self, text: str) -> None:
        self.protocol.send_text(text.encode())
        self.writer.write(b"".join(self.protocol.data_to_send()))

    def frames(self) -> list[tuple[int, bytes]]:
        """The server's frames so far (unmasked, RFC 6455 section 5.2), and a
        partial one last as ``(-1, rest)``."""
        out, raw, i = [], self.raw, 0
        while i < len(raw):
            if len(raw) - i < 2:
                return [*out, (-1, raw[i:])]
            opcode, size, i = raw[i] & 0x0F, raw[i + 1] & 0x7F, i + 2
            width = {126: 2, 127: 8}.get(size, 0)
            if width:
                size, i = int.from_bytes(raw[i : i + width], "big"), i + width
            if len(raw) < i + size:
                return [*out, (-1, raw[i - 2 - width :])]
            out.append((opcode, raw[i : i + size]))
            i += size
        return out

    async def read_until(self, done: Callable[[list[tuple[int, bytes]]], bool]) -> None:
        async with asyncio.timeout(WAIT):
            while not done(self.frames()):
                chunk = await self.reader.read(65536)
                assert chunk, "the server hung up first"
                self.raw += chunk

    async def finish(self) -> list[tuple[int, bytes]]:
        """Answer the server's close frame and read until the server hangs up."""
        answered = False
        async with asyncio.timeout(WAIT):
            while True:
                if not answered and any(op == OP_CLOSE for op, _ in self.frames()):
                    self.writer.write(b"\x88\x80\x00\x00\x00\x00")  # masked, empty close
                    answered = True
                chunk = await self.reader.read(65536)
                if not chunk:
                    break
                self.raw += chunk
        self.writer.close()
        return self.frames()


def live_event(served: Served) -> Event:
    state = served.services.node.hosts[served.room.room_id].state
    return Event(
        seq=state.event_seq + 1,
        type="chat.posted",
        at=state.last_at,
        data={"message_id": "m-late", "text": "迟到的消息"},
    )


def assert_close_is_last(frames: list[tuple[int, bytes]], code: int) -> None:
    ops = [op for op, _ in frames]
    assert OP_CLOSE in ops, frames
    close_at = ops.index(OP_CLOSE)
    assert int.from_bytes(frames[close_at][1][:2], "big") == code
    assert frames[close_at + 1 :] == [], f"bytes after the close frame: {frames[close_at + 1 :]}"
    assert b"m-late" not in b"".join(data for _, data in frames)


async def test_a_live_event_racing_the_servers_shutdown_never_follows_its_close_frame(
    served: Served,
) -> None:
    person = await served.room.join("乙")
    sock = await RawSocket.open(served.port, served.room.room_id, person.token)
    (subscriber,) = served.subscribers_of(person.participant_id)
    connection = served.connection_of(sock.local_port)
    hub = served.services.node.hosts[served.room.room_id].hub
    # In one go on the server's loop, as on SIGTERM with the room busy: uvicorn sends
    # 1012 to the connection, and an event is published before our reader hears of it.
    connection.shutdown()
    assert subscriber in hub.subscribers  # the race is real
    hub.publish([live_event(served)])
    assert_close_is_last(await sock.finish(), 1012)


@pytest.mark.parametrize("ws", ["native", "websockets-sansio", "wsproto"])
async def test_a_live_event_racing_a_close_sent_by_the_server_never_follows_it(
    ws: str, tmp_path: Path
) -> None:
    """A close the outbox did not send (uvicorn's, or an error path's) while the
    transport stays open for the client's answer. (uvicorn's legacy ``websockets``
    implementation waits for the answer inside ``send``, so the race cannot be
    staged there in one go; its shutdown is in the test above.)"""
    async with serve(tmp_path, ws) as served:
        person = await served.room.join("丙")
        sock = await RawSocket.open(served.port, served.room.room_id, person.token)
        (subscriber,) = served.subscribers_of(person.participant_id)
        connection = served.connection_of(sock.local_port)
        hub = served.services.node.hosts[served.room.room_id].hub
        await connection.send({"type": "websocket.close", "code": 1001, "reason": "going"})
        assert subscriber in hub.subscribers  # the race is real: nothing ran in between
        hub.publish([live_event(served)])
        assert_close_is_last(await sock.finish(), 1001)


def wrapping_send(app: Asgi) -> Asgi:
    """An ASGI middleware that wraps ``send``, as many do (e.g. to add headers)."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        async def send_on(message: Any) -> None:
            await send(message)

        await app(scope, receive, send_on)

    return wrapped


@pytest.mark.parametrize("ws", ["native", "websockets-sansio"])
async def test_a_wrapped_send_takes_the_asgi_path_and_says_why(
    ws: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Yishi's own protocol finds no Yishi app behind a plain function (nothing
    holds ``.app``): it hands every socket to uvicorn's websockets-sansio, where
    the wrapped ``send`` takes ASGI."""
    fastpath._announced.clear()
    caplog.set_level(logging.INFO, logger="yishi.sockets.fastpath")
    async with serve(tmp_path, ws, wrap=wrapping_send) as served:
        mod = await served.room.moderator()
        _, res = await served.room.resident("丁")
        await served.wait_gauge("asgi", 2)
        assert await served.gauge("direct") == 0
        assert await served.gauge("native") == 0
        sent = await mod.ok("chat.send", text="包了一层")
        await res.wait_event("chat.posted", has(message_id=sent["message_id"]))
    said = [r.getMessage() for r in caplog.records if r.name == "yishi.sockets.fastpath"]
    why = fastpath.UNAVAILABLE or "a middleware may wrap it"  # an untested uvicorn comes first
    assert len(said) == 1 and "through ASGI" in said[0] and why in said[0], said


def test_the_declared_uvicorn_range_is_the_one_fastpath_was_tested_with() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    (uvicorn_req,) = [r for r in pyproject["project"]["dependencies"] if r.startswith("uvicorn")]
    first, past = (".".join(map(str, v)) for v in uvicorn_parts.VERSIONS)
    assert uvicorn_req.endswith(f">={first},<{past}"), uvicorn_req
