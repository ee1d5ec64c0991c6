"""The HTTP API: shapes of the answers, and error bodies with fitting statuses."""

from __future__ import annotations

import json

from roomclient import Api, assert_http_error, has
from roomharness import ADMIN, Room, ServerProcess, make_room

DEFAULT_SETTINGS = {
    "turn_seconds": 120,
    "policy": "balanced",
    "revote": False,
    "chat_mode": "open",
    "spam_action": "hold",
    "chat_rate": 10,
    "invite_mode": "open",
    "lang": "zh",
    "record_audio": False,  # rules 5: recording is off unless the room says so
    "cue_seconds": [30, 10],  # rules 6: warnings 30 s and 10 s before a turn ends
}


async def test_create_room_answers_links_and_applies_settings(api: Api) -> None:
    info = await api.create_room(
        "加装电梯议事会",
        topic="3号楼",
        agenda=["方案", "费用"],
        settings={"turn_seconds": 90, "policy": "alternate"},
    )
    assert set(info) >= {
        "room_id",
        "moderator_token",
        "moderator_url",
        "invite_code",
        "invite_url",
        "qr_url",
    }
    room_id, code, token = info["room_id"], info["invite_code"], info["moderator_token"]
    assert info["invite_url"].endswith(f"/r/{room_id}?invite={code}")
    # The token rides after '#', so it never reaches a server log.
    assert info["moderator_url"].endswith(f"/m/{room_id}#token={token}")
    assert token not in info["moderator_url"].split("#", 1)[0]
    response = await api.http.get(f"/api/rooms/{room_id}")
    assert response.status_code == 200
    summary = response.json()
    assert "加装电梯议事会" in json.dumps(summary, ensure_ascii=False)
    assert token not in response.text


async def test_new_room_snapshot(room: Room) -> None:
    mod = await room.moderator()
    welcome = mod.welcome
    assert welcome is not None
    assert set(welcome) >= {"you", "server_time", "seq", "state", "replayed"}
    assert welcome["replayed"] is False and isinstance(welcome["seq"], int)
    state = welcome["state"]
    assert state["room"]["room_id"] == room.room_id
    assert state["room"]["title"] == "加装电梯议事会"
    assert state["room"]["topic"] == "3号楼是否加装电梯"
    assert state["room"]["status"] == "pending"
    assert [i["title"] for i in state["room"]["agenda"]["items"]] == ["加装电梯方案", "费用分摊"]
    assert state["room"]["agenda"]["current"] == 0
    assert state["room"]["settings"] == DEFAULT_SETTINGS
    assert state["turn"] is None
    assert state["queue"] == {"support": [], "oppose": [], "neutral": [], "next": None}
    assert state["polls"] == [] and state["chat"] == [] and state["pins"] == []
    assert state["decisions"] == [] and state["actions"] == []
    assert mod.you is not None and mod.you["role"] == "moderator"
    assert set(mod.you) >= {"participant_id", "name", "role", "online", "in_hall"}


async def test_settings_update_round_trip(room: Room) -> None:
    mod = await room.moderator()
    _, res = await room.resident("甲", "msgpack")
    await mod.ok("settings.update", turn_seconds=60, revote=True, lang="en")
    ev = await res.wait_event("settings.changed", has(turn_seconds=60))
    assert ev["data"] == {**DEFAULT_SETTINGS, "turn_seconds": 60, "revote": True, "lang": "en"}
    snap = await room.snapshot()
    assert snap["room"]["settings"] == ev["data"]


async def test_join_staff_and_observer_roles(room: Room) -> None:
    res = await room.join("居民甲")
    obs = await room.join("旁听者", observer=True)
    co = await room.staff("moderator", "副主持")
    clerk = await room.staff("clerk", "记录员")
    office = await room.staff("office", "街道办")
    ids = {p.participant_id for p in (res, obs, co, clerk, office)}
    assert len(ids) == 5
    for person, role, proto in (
        (res, "participant", "json"),
        (obs, "observer", "msgpack"),
        (co, "moderator", "json"),
        (clerk, "clerk", "msgpack"),
        (office, "office", "json"),
    ):
        client = await room.connect(person.token, proto)
        assert client.you is not None
        assert client.you["role"] == role and client.you["participant_id"] == person.participant_id
        assert client.you["name"] == person.name
    # A co-moderator runs the session like the first.
    comod = await room.connect(co.token)
    await comod.ok("session.start")


async def test_no_subprotocol_offered_gets_json(room: Room) -> None:
    client = await room.open(None)
    reply = await client.hello(room.mod_token)
    assert reply.ok
    assert client.problems == []


async def test_qr_svg_and_service_endpoints(room: Room) -> None:
    response = await room.api.qr(room.room_id, room.mod_token)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in response.text
    http = room.api.http
    assert (await http.get("/healthz")).status_code == 200
    assert (await http.get("/readyz")).status_code == 200
    metrics = await http.get("/metrics")
    assert metrics.status_code == 200 and "# TYPE" in metrics.text


async def test_minutes_need_the_moderator_until_published(room: Room) -> None:
    mod = await room.moderator()
    person = await room.join("甲")
    await mod.ok("session.start")
    await mod.ok("decision.record", text="先做方案公示")
    draft = await room.api.minutes(room.room_id, room.mod_token)
    assert draft.status_code == 200
    assert draft.headers["content-type"].startswith("application/json")
    assert draft.json()["title"] == "加装电梯议事会"
    assert_http_error(await room.api.minutes(room.room_id), (401, "unauthorized"))
    assert_http_error(
        await room.api.minutes(room.room_id, person.token),
        (403, "forbidden"),
        (401, "unauthorized"),
    )
    assert_http_error(
        await room.api.minutes(room.room_id, room.mod_token, "pdf"), (400, "bad_command")
    )
    result = await mod.ok("minutes.publish")
    assert isinstance(result["minutes_url"], str)
    ev = await mod.wait_event("minutes.published")
    assert ev["data"]["minutes_url"] == result["minutes_url"]
    public = await room.api.minutes(room.room_id)
    assert public.status_code == 200
    assert public.json()["title"] == "加装电梯议事会"
    # The minutes hold what the room decided.
    assert "先做方案公示" in draft.text and "先做方案公示" in public.text


async def test_http_error_bodies(room: Room) -> None:
    api, rid = room.api, room.room_id
    person = await room.join("甲")
    # Rooms need the admin token.
    assert_http_error(await api.create_room_raw({"title": "x"}, token=None), (401, "unauthorized"))
    assert_http_error(
        await api.create_room_raw({"title": "x"}, token="wrong"),
        (401, "unauthorized"),
        (403, "forbidden"),
    )
    assert_http_error(
        await api.create_room_raw({"title": "x"}, token=room.mod_token),
        (401, "unauthorized"),
        (403, "forbidden"),
    )
    assert_http_error(await api.create_room_raw({"topic": "no title"}), (400, "bad_command"))
    assert_http_error(await api.create_room_raw({"title": 42}), (400, "bad_command"))
    bad_json = await api.http.post(
        "/api/rooms",
        content=b"{nope",
        headers={**api.bearer(ADMIN), "Content-Type": "application/json"},
    )
    assert_http_error(bad_json, (400, "bad_command"), (400, "bad_frame"))
    # No such room.
    assert_http_error(await api.summary("no-such-room"), (404, "not_found"))
    assert_http_error(await api.qr("no-such-room", room.mod_token), (404, "not_found"))
    assert_http_error(
        await api.join_raw("no-such-room", {"invite": room.invite, "name": "甲"}),
        (404, "not_found"),
    )
    # Moderator-only endpoints.
    invites = f"/api/rooms/{rid}/invites"
    assert_http_error(await api.http.post(invites, json={"count": 2}), (401, "unauthorized"))
    assert_http_error(
        await api.http.post(invites, json={"count": 2}, headers=api.bearer(person.token)),
        (403, "forbidden"),
    )
    assert_http_error(
        await api.http.post(invites, json={"count": "two"}, headers=api.bearer(room.mod_token)),
        (400, "bad_command"),
    )
    staff = f"/api/rooms/{rid}/staff"
    assert_http_error(
        await api.http.post(
            staff, json={"role": "clerk", "name": "x"}, headers=api.bearer(person.token)
        ),
        (403, "forbidden"),
    )
    assert_http_error(
        await api.http.post(
            staff, json={"role": "participant", "name": "x"}, headers=api.bearer(room.mod_token)
        ),
        (400, "bad_command"),
    )
    assert_http_error(await api.revoke(rid, None, person.participant_id), (401, "unauthorized"))
    assert_http_error(
        await api.revoke(rid, person.token, person.participant_id), (403, "forbidden")
    )
    # Joining.
    assert_http_error(
        await api.join_raw(rid, {"invite": "wrong-code", "name": "乙"}),
        (401, "unauthorized"),
        (403, "forbidden"),
    )
    assert_http_error(await api.join_raw(rid, {"invite": room.invite}), (400, "bad_command"))
    assert_http_error(
        await api.join_raw(rid, {"invite": room.invite, "name": "名" * 41}), (413, "too_large")
    )
    # Nobody joined through any of that.
    snap = await room.snapshot()
    names = sorted(p["name"] for p in snap["participants"] if p["role"] == "participant")
    assert names == ["甲"]


async def test_join_attempts_are_limited_per_address(own_server: ServerProcess) -> None:
    api = Api(own_server.base_url, ADMIN)
    try:
        room = await make_room(own_server, api)
        statuses = []
        for i in range(300):
            response = await api.join_raw(room.room_id, {"invite": f"guess-{i:04d}", "name": "猜"})
            statuses.append(response.status_code)
            if response.status_code == 429:
                assert_http_error(response, (429, "rate_limited"))
                break
        assert statuses[-1] == 429, f"no 429 after {len(statuses)} wrong guesses"
        assert set(statuses[:-1]) <= {401, 403}
    finally:
        await api.aclose()


async def test_personal_invites_map_to_one_participant(room: Room) -> None:
    api = room.api
    codes = await api.invites(room.room_id, room.mod_token, 2)
    assert len(set(codes)) == 2
    first = await api.join(room.room_id, codes[0], "张家")
    again = await api.join(room.room_id, codes[0], "张家")
    other = await api.join(room.room_id, codes[1], "李家")
    assert again.participant_id == first.participant_id
    assert other.participant_id != first.participant_id
    client = await room.connect(again.token, "msgpack")
    assert client.you is not None and client.you["participant_id"] == first.participant_id
    # invite_mode personal: the room code no longer lets anyone in; personal codes do.
    mod = await room.moderator()
    await room.join("路人")  # still open
    await mod.ok("settings.update", invite_mode="personal")
    await mod.wait_event("settings.changed", has(invite_mode="personal"))
    refused = await api.join_raw(room.room_id, {"invite": room.invite, "name": "路人乙"})
    assert_http_error(refused, (401, "unauthorized"), (403, "forbidden"))
    third = await api.join(room.room_id, codes[1], "李家")
    assert third.participant_id == other.participant_id
    snap = await room.snapshot()
    names = sorted(p["name"] for p in snap["participants"] if p["role"] == "participant")
    assert names == sorted(["张家", "李家", "路人"])


async def test_http_rejects_bodies_that_are_not_objects(room: Room) -> None:
    response = await room.api.http.post(f"/api/rooms/{room.room_id}/join", json=["a", "b"])
    assert_http_error(response, (400, "bad_command"))
