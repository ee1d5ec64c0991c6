"""The hall screen's token (docs/protocol.md, "The hall screen"): made by a
moderator alone, an observer's, that watches and listens and can do nothing
else; it may fetch the invite QR code, a resident may not."""

from __future__ import annotations

from roomclient import Api, assert_http_error
from roomharness import Room


async def screen(api: Api, room: Room, token: str) -> tuple[int, dict[str, str]]:
    response = await api.http.post(f"/api/rooms/{room.room_id}/screen", headers=Api.bearer(token))
    return response.status_code, response.json()


async def test_only_a_moderator_makes_a_screen_link(api: Api, room: Room) -> None:
    resident = await room.join("居民甲")
    clerk = await room.staff("clerk", "记录员")
    for token, status in ((resident.token, 403), (clerk.token, 403), ("", 401)):
        code, body = await screen(api, room, token)
        assert code == status, (code, body)
    code, body = await screen(api, room, room.mod_token)
    assert code == 201, body
    assert body["url"].endswith(f"/r/{room.room_id}/screen#token={body['token']}")
    assert room.mod_token not in body["url"]
    other, _ = await screen(api, room, room.mod_token)
    assert other == 201  # each call: a screen of its own


async def test_the_screen_watches_and_listens_and_does_nothing_else(api: Api, room: Room) -> None:
    mod = await room.moderator()
    _, body = await screen(api, room, room.mod_token)
    watcher = await room.connect(body["token"], "msgpack", label="screen")
    assert watcher.you is not None and watcher.you["role"] == "observer"
    assert watcher.you["name"] == "会场大屏"
    resident, res = await room.resident("居民甲")
    await mod.ok("session.start")
    await res.ok("hand.raise", stance="support")
    for cmd, args in (
        ("hand.raise", {"stance": "oppose"}),
        ("hand.lower", {}),
        ("chat.send", {"text": "大家好"}),
        ("turn.yield", {}),
        ("statement.post", {"text": "我来说两句"}),
    ):
        await watcher.fail(cmd, "forbidden", **args)
    poll = await mod.ok(
        "poll.open", question="是否同意？", options=[], kind="yes_no_abstain", live_results=True
    )
    await watcher.fail("poll.vote", "forbidden", poll_id=poll["poll_id"], choices=[0])
    await mod.fail("turn.grant", "conflict", participant_id=body["participant_id"])
    # It hears the floor, and counts for nothing: the poll's eligible is the one resident.
    assert (await watcher.ok("audio.listen", on=True)) == {"listening": True}
    closed = await mod.ok("poll.close", poll_id=poll["poll_id"])
    assert closed["eligible"] == 1, closed
    del resident


async def test_the_qr_code_for_moderators_and_screens(api: Api, room: Room) -> None:
    _, body = await screen(api, room, room.mod_token)
    resident = await room.join("居民甲")
    path = f"/api/rooms/{room.room_id}/qr.svg"
    for token in (room.mod_token, body["token"]):
        response = await api.http.get(path, headers=Api.bearer(token))
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("image/svg+xml")
    response = await api.http.get(path, headers=Api.bearer(resident.token))
    assert_http_error(response, (403, "forbidden"))
    # An observer who came with a personal code does not learn the room's code.
    codes = await api.invites(room.room_id, room.mod_token, 1)
    personal = await room.join("旁听者", observer=True, invite=codes[0])
    response = await api.http.get(path, headers=Api.bearer(personal.token))
    assert_http_error(response, (403, "forbidden"))
