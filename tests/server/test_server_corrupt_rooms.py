"""One damaged room in a real SQLite data folder stops neither the server nor the
other rooms.

Reproduced before the fix, each on a fresh `yishi serve`: an entry missing from a
room's log (no snapshot) made start-up spin at 100% CPU and /healthz never answer;
an undecodable entry gave "Application startup failed"; with a snapshot the server
started but that room's minutes answered 500.

Now: the room is logged once (room and entry seq), answers ``unavailable`` (its
socket closes with 1013, its HTTP routes 503 with a JSON error), /readyz lists it,
and every other room serves.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import httpx
import pytest
from roomclient import Api, assert_http_error
from roomharness import ADMIN, Room, ServerProcess, make_room

DAMAGED_SEQ = 2  # a room.create, two joins: seq 2 has a later entry after it


def damage(data_dir: Path, room_id: str, how: str) -> None:
    """Corrupt the stored room as an operator's disk or hand might."""
    with sqlite3.connect(data_dir / "yishi.db") as db:
        if how in ("missing", "missing, snapshot unreadable", "missing under a snapshot"):
            gone = db.execute(
                "DELETE FROM entries WHERE room = ? AND seq = ?", (room_id, DAMAGED_SEQ)
            ).rowcount
            assert gone == 1
        if how == "undecodable":
            changed = db.execute(
                "UPDATE entries SET body = ? WHERE room = ? AND seq = ?",
                (b"\xc1garbage", room_id, DAMAGED_SEQ),
            ).rowcount
            assert changed == 1
        snapshots = db.execute(
            "SELECT count(*) FROM snapshots WHERE room = ?", (room_id,)
        ).fetchone()[0]
        if how == "missing, snapshot unreadable":
            assert snapshots == 1
            db.execute("UPDATE snapshots SET blob = ? WHERE room = ?", (b"not a pickle", room_id))
        elif how == "missing under a snapshot":
            assert snapshots == 1  # the room loads from it: only whole-log reads meet the hole
        else:
            db.execute("DELETE FROM snapshots WHERE room = ?", (room_id,))


async def filled_room(server: ServerProcess, api: Api) -> Room:
    room = await make_room(server, api)
    await room.join("甲")
    await room.join("乙")
    return room


@pytest.mark.parametrize(
    "how", ["missing", "undecodable", "missing, snapshot unreadable", "missing under a snapshot"]
)
async def test_a_damaged_room_answers_unavailable_and_the_others_serve(
    own_server: ServerProcess, how: str
) -> None:
    api = Api(own_server.base_url, ADMIN)
    broken = await filled_room(own_server, api)
    healthy = await filled_room(own_server, api)
    # A restart stores a snapshot of each idle room (node.py); then the damage.
    await asyncio.to_thread(own_server.restart)
    await asyncio.to_thread(own_server.stop)
    damage(own_server.data_dir, broken.room_id, how)
    await asyncio.to_thread(own_server.start)  # /healthz answers: no spin, no failed start
    await api.aclose()
    api = broken.api = healthy.api = Api(own_server.base_url, ADMIN)
    try:
        if how == "missing under a snapshot":  # the whole log is read for the minutes
            minutes = await api.minutes(broken.room_id, broken.mod_token)
            assert_http_error(minutes, (503, "unavailable"))
        # The damaged room: 503 with a JSON error on HTTP, 1013 on its socket.
        joined = await api.join_raw(broken.room_id, {"invite": broken.invite, "name": "丙"})
        assert_http_error(joined, (503, "unavailable"))
        assert f"damaged at entry {DAMAGED_SEQ}" in joined.json()["error"]["message"]
        assert_http_error(await api.summary(broken.room_id), (503, "unavailable"))
        socket = await broken.open(label="refused")
        await socket.send("hello", {"token": broken.mod_token})
        assert await socket.wait_closed() == 1013
        assert "unavailable" in socket.close_reason

        # Every other room serves as before.
        await (await healthy.moderator()).ok("session.start")
        _, resident = await healthy.resident("丁")
        await resident.ok("hand.raise", stance="support")
        minutes = await api.minutes(healthy.room_id, healthy.mod_token)
        assert minutes.status_code == 200, minutes.text

        # /readyz: still ready (the other rooms serve), the damage named.
        ready = await api.http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["ready"] is True
        assert [p["what"] for p in ready.json()["problems"]] == ["room_corrupt"]
        assert broken.room_id in ready.json()["problems"][0]["detail"]

        # Logged once, naming the room and the entry, however often it was asked for.
        log = own_server.log_path.read_text(errors="replace").split("===== start 2 =====")[1]
        named = [
            line
            for line in log.splitlines()
            if f"room {broken.room_id}: entry {DAMAGED_SEQ}" in line
        ]
        assert len(named) == 1, log
        assert "Traceback" not in log
    finally:
        await broken.close_all()
        await healthy.close_all()
        await api.aclose()


async def test_readyz_answers_a_json_body_naming_no_problem_when_ready(
    own_server: ServerProcess,
) -> None:
    async with httpx.AsyncClient(base_url=own_server.base_url, trust_env=False) as http:
        ready = await http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"ready": True, "problems": []}
