"""Yishi's own protocol for room sockets (``roomsocket.RoomSocket``), as ``yishi serve``
runs it: what an idle socket costs, the keep-alive that one timer drives, and
the sockets it hands to uvicorn.

In-process servers (``test_write_paths.serve``) with real clients: raw ones
where the bytes on the wire, or the absence of any client task, matter.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from roomclient import Api, has
from roomharness import ADMIN, ServerProcess, make_room
from test_write_paths import OP_CLOSE, WAIT, RawSocket, Served, serve
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Subprotocol
from yishi.host.hub import CLOSE_GRACE_S
from yishi.sockets.roomsocket import ServerSockets

OP_PING = 0x9
SOCKETS = 50
# Room-wide work a join may leave running for a moment (presence reports): not per socket.
ROOM_TASKS = 3


def shared(served: Served) -> ServerSockets:
    found = getattr(served.server.config, "_yishi_room_sockets", None)
    assert isinstance(found, ServerSockets)
    return found


async def settle(at_most: int) -> int:
    """The number of tasks on the loop once it is at most ``at_most`` (or the last
    count, after WAIT seconds)."""
    count = len(asyncio.all_tasks())
    try:
        async with asyncio.timeout(WAIT):
            while (count := len(asyncio.all_tasks())) > at_most:
                await asyncio.sleep(0.05)
    except TimeoutError:
        pass
    return count


@pytest.mark.parametrize("ws", ["native", "websockets-sansio"])
async def test_an_idle_room_socket_holds_no_task(ws: str, tmp_path: Path) -> None:
    """Under Yishi's protocol, 50 idle sockets add no task to the server's loop (the
    raw clients run none). Under uvicorn's own, each holds its ASGI task: the
    count is the one that would see them."""
    async with serve(tmp_path, ws) as served:
        people = [await served.room.join(f"住户{i}") for i in range(SOCKETS)]
        before = len(asyncio.all_tasks())
        socks = [await RawSocket.open(served.port, served.room.room_id, p.token) for p in people]
        await served.wait_gauge(served.path, SOCKETS)
        try:
            if ws == "native":
                assert await settle(before + ROOM_TASKS) - before <= ROOM_TASKS
            else:
                assert len(asyncio.all_tasks()) - before >= SOCKETS
        finally:
            for sock in socks:
                sock.writer.close()


async def test_the_shared_timer_pings_every_socket_and_real_clients_answer(tmp_path: Path) -> None:
    """Pings every 0.1 s, a socket closed if one is unanswered 0.1 s later: a real
    ``websockets`` client lives through many rounds (it answers each ping), all
    driven by one timer for the server."""
    async with serve(tmp_path, "native", ws_ping_interval=0.1, ws_ping_timeout=0.1) as served:
        mod = await served.room.moderator()
        _, res = await served.room.resident("己")
        timer = shared(served)  # made with the server's first WebSocket
        start = timer.tick
        async with asyncio.timeout(WAIT):
            while timer.tick < start + 10:
                await asyncio.sleep(0.05)
        assert len(timer.sockets) == 2 and timer.timer is not None
        assert not mod.closed and not res.closed
        sent = await mod.ok("chat.send", text="还在吗")
        await res.wait_event("chat.posted", has(message_id=sent["message_id"]))
        await mod.close()
        await res.close()
        async with asyncio.timeout(WAIT):
            while timer.sockets:
                await asyncio.sleep(0.05)
        assert timer.timer is None  # no socket, no timer


async def test_a_client_that_answers_no_ping_is_closed_with_1011(tmp_path: Path) -> None:
    async with serve(tmp_path, "native", ws_ping_interval=0.2, ws_ping_timeout=0.2) as served:
        person = await served.room.join("庚")
        sock = await RawSocket.open(served.port, served.room.room_id, person.token)
        # The raw client reads the ping (and answers nothing).
        await sock.read_until(lambda frames: any(op == OP_PING for op, _ in frames))
        ping = next(data for op, data in sock.frames() if op == OP_PING)
        assert len(ping) == 4
        await sock.read_until(lambda frames: any(op == OP_CLOSE for op, _ in frames))
        close = next(data for op, data in sock.frames() if op == OP_CLOSE)
        assert int.from_bytes(close[:2], "big") == 1011
        async with asyncio.timeout(WAIT):  # and the server hangs up
            while await sock.reader.read(65536):
                pass
        sock.writer.close()
        await served.wait_gauge("native", 0)


async def test_other_websockets_are_served_as_websockets_sansio_serves_them(tmp_path: Path) -> None:
    """A path that is no room's goes to the ASGI app (here: no such route, 403);
    a room socket's sub-protocol is negotiated as before."""
    async with serve(tmp_path, "native") as served:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"ws://127.0.0.1:{served.port}/ws/a/b", proxy=None):
                pass
        assert refused.value.response.status_code == 403
        for offered, chosen in (
            (["yishi.v1.msgpack", "yishi.v1.json"], "yishi.v1.msgpack"),
            (["other"], None),
            ([], None),
        ):
            async with connect(
                f"ws://127.0.0.1:{served.port}/ws/{served.room.room_id}",
                subprotocols=[Subprotocol(o) for o in offered] or None,
                proxy=None,
            ) as ws:
                assert ws.subprotocol == chosen
                await ws.send(json.dumps({"id": 1, "cmd": "hello", "args": {"token": "x"}}))
                await ws.wait_closed()
                assert ws.close_code == 4001


async def test_yishi_serve_serves_room_sockets_natively(tmp_path: Path) -> None:
    proc = ServerProcess(tmp_path / "data")
    proc.start()
    try:
        api = Api(proc.base_url, ADMIN)
        room = await make_room(proc, api)
        mod = await room.moderator()
        async with httpx.AsyncClient(trust_env=False) as http:
            text = (await http.get(f"{proc.base_url}/metrics")).text
        assert 'yishi_sockets_by_path{path="native"} 1.0' in text, text
        await mod.close()
        await room.close_all()
        await api.aclose()
    finally:
        proc.stop()


async def test_a_client_that_reads_nothing_is_closed_4008_then_cut_off(tmp_path: Path) -> None:
    """Past its bound the server gives up on a socket (4008); a client that does not
    read even that close frame has its connection aborted after the grace."""
    async with serve(tmp_path, "native") as served:
        mod = await served.room.moderator()
        person = await served.room.join("不读")
        stalled = await RawSocket.open(served.port, served.room.room_id, person.token)
        await served.wait_gauge("native", 2)
        registry = served.services.metrics.registry

        def given_up() -> float:
            return registry.get_sample_value("yishi_slow_clients_closed_total") or 0.0

        for _ in range(100):  # ~1.5 KB events, 15 MB at most: far beyond any bound
            ids = [await mod.send("chat.send", {"text": "长" * 500}) for _ in range(100)]
            assert (await mod.reply(ids[-1], timeout=60)).ok
            if given_up():
                break
        assert given_up() == 1
        async with asyncio.timeout(CLOSE_GRACE_S + WAIT):
            while await served.gauge("native") != 1:
                await asyncio.sleep(0.1)
        assert not mod.closed
        stalled.writer.close()
