"""Voice across nodes: a frame relayed on one node reaches the listeners on another
through Redis pub/sub, as it came, and never touches the room's stream."""

from __future__ import annotations

from yishinodes import Cluster

OPUS = bytes(range(7, 187))


async def test_a_speaker_on_one_node_is_heard_on_the_other_and_the_log_is_untouched(
    cluster: Cluster,
) -> None:
    cluster.start(2)
    room = await cluster.create_room(0)
    mod = await cluster.connect(0, room["moderator_token"], label="mod", proto="msgpack")
    await mod.ok("session.start")
    speaker_person = await cluster.join(0, room, "发言人")
    speaker = await cluster.connect(0, speaker_person.token, label="speaker", proto="msgpack")
    near = await cluster.connect(
        0, (await cluster.join(0, room, "同节点")).token, label="near", proto="msgpack"
    )
    far = await cluster.connect(
        1, (await cluster.join(1, room, "另一节点")).token, label="far", proto="msgpack"
    )
    for ear in (near, far):
        assert await ear.ok("audio.listen", on=True) == {"listening": True}
    await speaker.ok("hand.raise", stance="support")
    turn = await mod.ok("turn.next")
    await speaker.wait_event("turn.started", lambda d: d["turn_id"] == turn["turn_id"])
    await far.wait_event("turn.started", lambda d: d["turn_id"] == turn["turn_id"])

    r = cluster.redis.client()
    try:
        stream_before = r.xlen(f"yishi:{{{room['room_id']}}}:log")
        for seq in range(10):
            await speaker.send_audio(turn["turn_id"], seq, OPUS, ts=seq)
        expected = [
            ["audio", turn["turn_id"], seq, seq, OPUS, speaker_person.participant_id, False]
            for seq in range(10)
        ]
        assert await far.wait_audio(10) == expected
        assert await near.wait_audio(10) == expected
        await speaker.ok("ping")
        assert r.xlen(f"yishi:{{{room['room_id']}}}:log") == stream_before
    finally:
        r.close()
    metrics = (await cluster.api(1).http.get("/metrics")).text
    assert "yishi_audio_frames_from_other_nodes_total 10.0" in metrics
    assert len(far.audio) == 10 and len(near.audio) == 10  # once each: no echo of one's own
