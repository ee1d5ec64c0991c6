"""A frame nested deeper than any command is (600 levels, JSON or MessagePack) is a
bad frame like any other, before ``hello`` and after it: never a traceback in the
log, never a 1011 (issue 23: one client once wrote 28.8 MB of log in 10 s, a
96 KB traceback per 1.2 KB frame).
"""

from __future__ import annotations

import json
import os

import msgpack
from roomharness import Room, ServerProcess

DEPTH = 600
DEEP_ID = 9_000_001  # no id the client library gives its own commands
FRAMES = 15  # fewer than the 20 bad frames in a row that close a socket with 1008
SOCKETS = 10
LOG_BYTES_AT_MOST = 8 * 1024  # for all of them: a few short lines, no traceback


def deep(cmd: str, args: dict[str, object] | None = None) -> dict[str, object]:
    """``{"id": DEEP_ID, "cmd": cmd, "args": {..., "a": [[[...]]]}}``, ``DEPTH`` lists deep."""
    nested: list[object] = []
    for _ in range(DEPTH - 1):
        nested = [nested]
    return {"id": DEEP_ID, "cmd": cmd, "args": {**(args or {}), "a": nested}}


def encoded(proto: str, message: dict[str, object]) -> str | bytes:
    if proto == "json":
        return json.dumps(message)
    return msgpack.packb(message, use_bin_type=True)  # type: ignore[no-any-return]


def log_size(server: ServerProcess) -> int:
    return os.path.getsize(server.log_path)


async def test_a_deep_hello_is_refused_with_4001_and_no_traceback(
    room: Room, server: ServerProcess
) -> None:
    person = await room.join("深")
    before = log_size(server)
    for i in range(SOCKETS):
        proto = ("json", "msgpack")[i % 2]
        client = await room.open(proto, label=f"deep-hello-{i}")
        await client.send_raw(encoded(proto, deep("hello", {"token": person.token})))
        assert await client.wait_closed() == 4001  # the first frame must be hello
    _, resident = await room.resident("后来")  # the server serves on
    assert (await resident.call("ping")).ok
    assert log_size(server) - before <= LOG_BYTES_AT_MOST
    assert "Traceback" not in server.log_tail(400)


async def test_a_deep_command_is_bad_frame_and_the_socket_stays(
    room: Room, server: ServerProcess
) -> None:
    before = log_size(server)
    for proto in ("json", "msgpack"):
        _, resident = await room.resident(f"深-{proto}", proto)
        for _ in range(FRAMES):
            await resident.send_raw(encoded(proto, deep("chat.send", {"text": "x"})))
            reply = await resident.reply(DEEP_ID)
            assert not reply.ok and reply.code == "bad_frame", reply.raw
            del resident.replies[DEEP_ID]
        assert await resident.ok("chat.send", text="还在")  # the socket is kept
    assert log_size(server) - before <= LOG_BYTES_AT_MOST
    assert "Traceback" not in server.log_tail(400)
