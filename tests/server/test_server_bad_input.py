"""Input that once raised on the server now gets its error code, changes nothing,
keeps the socket and leaves no traceback in the log: JSON nested too deep for the
parser, and lone surrogates (``"\\ud800"`` is valid JSON but not UTF-8, so it
could be neither stored nor sent back)."""

from __future__ import annotations

from roomclient import Api, assert_http_error
from roomharness import Room, ServerProcess, comparable

DEEP = "[" * 5_000 + "]" * 5_000


async def test_join_with_deep_json_or_a_lone_surrogate_is_bad_command(
    room: Room, api: Api, server: ServerProcess
) -> None:
    before = await room.snapshot()
    url = f"/api/rooms/{room.room_id}/join"
    for body in (
        DEEP,
        '{"invite": "' + room.invite + '", "name": "\\ud800"}',
        '{"invite": "\\udfff", "name": "甲"}',
    ):
        response = await api.http.post(
            url, content=body.encode(), headers={"content-type": "application/json"}
        )
        assert_http_error(response, (400, "bad_command"))
    assert comparable(await room.snapshot()) == comparable(before)
    assert "Traceback" not in server.log_tail(400)


async def test_a_lone_surrogate_over_the_socket_is_bad_frame_and_the_socket_stays(
    room: Room, server: ServerProcess
) -> None:
    _, resident = await room.resident("甲")
    before = await room.snapshot()
    await resident.send_raw('{"id": 9005, "cmd": "chat.send", "args": {"text": "\\ud800"}}')
    reply = await resident.reply(9005)
    assert not reply.ok and reply.code == "bad_frame"
    await resident.send_raw(
        '{"id": 9006, "cmd": "chat.send", "args": {"text": "hi"}, "nonce": "\\udc00"}'
    )
    assert (await resident.reply(9006)).code == "bad_frame"
    assert await resident.ok("chat.send", text="还在")  # the socket is kept
    assert comparable(await room.snapshot())["chat"][:-1] == comparable(before)["chat"]
    assert "Traceback" not in server.log_tail(400)
