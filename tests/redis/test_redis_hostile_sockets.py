"""Issue 23's room-socket attacks on two nodes of one Redis, each answered as on one
node: pings from a client that never reads, frames nested 600 deep, and one voice
sent from sockets on both nodes (tests/server has each on one node).
"""

from __future__ import annotations

import os
import time

from pingflood import GROWTH_AT_MOST, flood_all, slow_closed
from roomclient import Client, start_turn
from test_server_deep_frames import DEEP_ID, LOG_BYTES_AT_MOST, deep, encoded
from test_server_voice_budget import budget, send_from_all
from yishi.host.voicebudget import BYTE_BURST, FRAME_BURST
from yishinodes import Cluster


async def test_pings_from_a_client_that_never_reads_are_bounded_on_a_second_node(
    cluster: Cluster,
) -> None:
    _, second = cluster.start(2)
    room = await cluster.create_room(0)
    person = await cluster.join(1, room, "只发不收")
    before = await slow_closed(cluster.api(1))
    assert second.proc is not None
    growth = await flood_all(second.proc.pid, second.port, room["room_id"], [None, person.token])
    assert growth <= GROWTH_AT_MOST, f"node1 grew by {growth / 2**20:.0f} MB"
    assert await slow_closed(cluster.api(1)) == before + 1
    resident = await cluster.connect(1, (await cluster.join(1, room, "照常")).token, label="after")
    assert (await resident.call("ping")).ok


async def test_deep_frames_on_a_second_node_are_bad_frames_and_log_nothing(
    cluster: Cluster,
) -> None:
    _, second = cluster.start(2)
    room = await cluster.create_room(0)
    before = os.path.getsize(second.log_path)
    person = await cluster.join(1, room, "深")
    for proto in ("json", "msgpack"):
        first = await Client.open(second.ws_base, room["room_id"], proto, label="deep-hello")
        cluster.clients.append(first)
        await first.send_raw(encoded(proto, deep("hello", {"token": person.token})))
        assert await first.wait_closed() == 4001
        resident = await cluster.connect(1, person.token, label=f"deep-{proto}", proto=proto)
        for _ in range(5):
            await resident.send_raw(encoded(proto, deep("chat.send", {"text": "x"})))
            reply = await resident.reply(DEEP_ID)
            assert reply.code == "bad_frame", reply.raw
            del resident.replies[DEEP_ID]
        assert await resident.ok("chat.send", text="还在")
    assert os.path.getsize(second.log_path) - before <= LOG_BYTES_AT_MOST
    assert "Traceback" not in second.log_tail(400)


async def test_one_voice_from_sockets_on_two_nodes_is_heard_as_one_on_each(
    cluster: Cluster,
) -> None:
    cluster.start(2)
    room = await cluster.create_room(0, settings={"record_audio": True})
    mod = await cluster.connect(0, room["moderator_token"], label="mod", proto="msgpack")
    await mod.ok("session.start")
    ears = [
        await cluster.connect(
            n, (await cluster.join(n, room, f"听众{n}")).token, label="ear", proto="msgpack"
        )
        for n in (0, 1)
    ]
    for ear in ears:
        assert await ear.ok("audio.listen", on=True) == {"listening": True}
    person = await cluster.join(0, room, "两边开麦")
    sockets = [
        await cluster.connect(n % 2, person.token, label=f"mic{n}", proto="msgpack")
        for n in range(4)
    ]
    await sockets[0].ok("hand.raise", stance="support")
    turn = await start_turn(mod, person.participant_id)
    turn_id = str(turn["turn_id"])
    await ears[1].wait_event("turn.started", lambda d: d["turn_id"] == turn_id)

    size = 180
    chairs = [mod, await cluster.connect(1, room["moderator_token"], label="mod", proto="msgpack")]
    started = time.monotonic()
    await send_from_all(sockets, turn_id, size)
    # A chair's frame sent on each node after the flood: once both have reached both
    # ears, so has all that either node relayed before (one publisher's order holds).
    for n, chair in enumerate(chairs):
        await chair.send_audio("", n, b"\xf8\xff\xfe")
    for ear in ears:
        await ear.wait_heard(
            lambda frames: sum(1 for f in frames if f[6]) >= 2, "both chairs' frames"
        )
    seconds = time.monotonic() - started
    heard = [sum(1 for f in ear.audio if not f[6]) for ear in ears]
    for count in heard:
        assert min(FRAME_BURST, BYTE_BURST // size) <= count <= budget(seconds, size), (
            heard,
            seconds,
        )
    for node in (0, 1):  # each node writes what it still holds before it answers
        answer = await cluster.api(node).http.get(
            f"/api/rooms/{room['room_id']}/recordings/{turn_id}.ogg",
            headers=cluster.api(node).bearer(room["moderator_token"]),
        )
        assert answer.status_code == 200, answer.text
    r = cluster.redis.client()
    try:
        kept = r.llen(f"yishi:{{{room['room_id']}}}:rec:{turn_id}")
    finally:
        r.close()
    assert kept <= sum(heard)  # nothing kept that nobody was let hear
