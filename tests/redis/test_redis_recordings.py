"""Recording across nodes: the node that accepted a frame keeps it in Redis, any
node serves the turn's recording, and an erase sent through another node empties
Redis of the room's audio."""

from __future__ import annotations

import asyncio

from yishinodes import Cluster

OPUS = b"\xf8\xff\xfe"  # 20 ms of Opus silence: a real packet


async def test_kept_on_one_node_served_and_erased_through_another(cluster: Cluster) -> None:
    cluster.start(2)
    room = await cluster.create_room(0, settings={"record_audio": True})
    room_id = room["room_id"]
    mod = await cluster.connect(1, room["moderator_token"], label="mod", proto="msgpack")
    await mod.ok("session.start")
    person = await cluster.join(0, room, "发言人")
    speaker = await cluster.connect(0, person.token, label="speaker", proto="msgpack")
    turn = (await mod.ok("turn.grant", participant_id=person.participant_id))["turn_id"]
    await speaker.wait_event("turn.started", lambda d: d["turn_id"] == turn)
    for seq in range(10):
        await speaker.send_audio(turn, seq, OPUS, ts=1_000 + 20 * seq)
    await speaker.ok("ping")

    r = cluster.redis.client()
    key = f"yishi:{{{room_id}}}:rec:{turn}"
    try:
        async with asyncio.timeout(10):  # node 0 writes its batch within a second
            while r.llen(key) < 10:
                await asyncio.sleep(0.05)
        url = f"/api/rooms/{room_id}/recordings/{turn}.ogg"
        bearer = {"Authorization": f"Bearer {room['moderator_token']}"}
        got = await cluster.api(1).http.get(url, headers=bearer)
        assert got.status_code == 200 and got.content[:4] == b"OggS"

        await mod.ok("recordings.erase")
        await mod.wait_event("recordings.erased")
        async with asyncio.timeout(10):  # the nodes erase once they hear the entry
            while r.keys(f"yishi:{{{room_id}}}:rec*"):
                await asyncio.sleep(0.05)
        assert (await cluster.api(0).http.get(url, headers=bearer)).status_code == 404
    finally:
        r.close()
