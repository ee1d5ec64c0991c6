"""Voice on the floor, over real sockets on a real `yishi serve`: who is heard, who
hears, and what every other frame costs (docs/protocol.md, "Voice on the floor").

A frame that is dropped is never answered, so these tests learn what the server
did from what the listeners hear and from /metrics; a `ping` answered on the
sending socket shows the server has handled every frame sent before it.
"""

from __future__ import annotations

import re
import socket

import httpx
import msgpack
from roomclient import Client, start_turn
from roomharness import Room, ServerProcess

OPUS = bytes(range(180))  # stands for a 60 ms Opus packet: the server never decodes it


async def audio_counts(server: ServerProcess) -> dict[str, float]:
    """The audio counters of /metrics, by name (and result)."""
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"{server.base_url}/metrics")).text
    counts: dict[str, float] = {}
    for name, label, value in re.findall(
        r'^(yishi_audio_\w+?)(?:\{result="(\w+)"\})? ([0-9.e+]+)$', text, re.M
    ):
        counts[f"{name}:{label}" if label else name] = float(value)
    return counts


def moved(before: dict[str, float], after: dict[str, float], result: str) -> float:
    """How far the frame counter of ``result`` moved between two readings."""
    key = f"yishi_audio_frames_total:{result}"
    return after.get(key, 0) - before.get(key, 0)


async def handled(client: Client) -> None:
    """Every frame ``client`` sent before this has been handled by the server."""
    await client.ok("ping")


async def listening(client: Client) -> Client:
    assert await client.ok("audio.listen", on=True) == {"listening": True}
    return client


async def live_with_a_listener(room: Room) -> tuple[Client, Client]:
    """A started session's moderator, and a resident who listens: (mod, ear)."""
    mod = await room.moderator("msgpack")
    await mod.ok("session.start")
    _, ear = await room.resident("听众", "msgpack")
    return mod, await listening(ear)


async def floor_for(room: Room, mod: Client, name: str) -> tuple[Client, dict[str, object]]:
    """A resident (msgpack) who raises a hand and is given the floor: (socket, turn)."""
    person, speaker = await room.resident(name, "msgpack")
    await speaker.ok("hand.raise", stance="support")
    return speaker, await start_turn(mod, person.participant_id)


async def test_the_floor_holder_is_heard_by_every_listener_but_no_one_else(
    room: Room, server: ServerProcess
) -> None:
    mod = await listening(await room.moderator("msgpack"))
    await mod.ok("session.start")
    _, ear = await room.resident("王阿姨", "msgpack")
    await listening(ear)
    _, deaf = await room.resident("不收听", "msgpack")
    _, json_client = await room.resident("JSON", "json")
    await json_client.fail("audio.listen", "conflict", on=True)

    speaker, turn = await floor_for(room, mod, "李师傅")
    await listening(speaker)
    for seq in range(5):
        await speaker.send_audio(str(turn["turn_id"]), seq, OPUS, ts=1_000 + 60 * seq)
    frames = await ear.wait_audio(5)
    assert frames == [
        ["audio", turn["turn_id"], seq, 1_000 + 60 * seq, OPUS, turn["participant_id"], False]
        for seq in range(5)
    ]
    assert await mod.wait_audio(5) == frames
    await handled(speaker)
    await handled(deaf)
    assert speaker.audio == [] and deaf.audio == []  # not its own voice; not listening
    assert not speaker.replies.keys() - {r for r in speaker.replies if r}  # no reply to audio
    assert speaker.orphans == []

    await ear.ok("audio.listen", on=False)
    await speaker.send_audio(str(turn["turn_id"]), 5, OPUS)
    await mod.wait_audio(6)
    await handled(ear)
    assert len(ear.audio) == 5
    assert (await audio_counts(server))["yishi_audio_frames_total:relayed"] >= 6


async def test_frames_without_the_floor_are_dropped_counted_and_never_answered(
    room: Room, server: ServerProcess
) -> None:
    mod, ear = await live_with_a_listener(room)
    speaker, turn = await floor_for(room, mod, "发言人")
    turn_id = str(turn["turn_id"])
    _, other = await room.resident("没有发言权", "msgpack")
    _, observer = await room.resident("旁听", "msgpack", observer=True)
    before = await audio_counts(server)

    await other.send_audio(turn_id, 0, OPUS)  # not the floor holder
    await observer.send_audio(turn_id, 0, OPUS)
    await speaker.send_audio("t-old", 0, OPUS)  # not the running turn
    await speaker.send_raw(msgpack.packb(["audio", turn_id, 1, 0, bytes(4000)]))  # oversize
    await speaker.send_raw(msgpack.packb(["audio", turn_id, "one", 0, OPUS]))  # malformed
    await speaker.send_raw(msgpack.packb(["audio", 7, 1, 0, OPUS]))  # malformed
    await speaker.send_raw(b"\x95\xa5audio\xc1")  # undecodable
    for client in (other, observer, speaker):
        await handled(client)
    after = await audio_counts(server)
    assert tuple(
        moved(before, after, result)
        for result in ("not_floor", "observer", "old_turn", "oversize", "malformed", "relayed")
    ) == (1, 1, 1, 1, 3, 0)
    for client in (other, observer, speaker):
        assert client.orphans == [] and not client.closed  # no error storm, still connected
    await speaker.send_audio(turn_id, 2, b"marker")
    assert [f[4] for f in await ear.wait_audio(1)] == [b"marker"]


async def test_a_flood_is_cut_to_the_rate_and_nothing_else_suffers(
    room: Room, server: ServerProcess
) -> None:
    mod, ear = await live_with_a_listener(room)
    speaker, turn = await floor_for(room, mod, "刷屏的人")
    before = await audio_counts(server)
    for seq in range(300):  # far more than 60 a second
        await speaker.send_audio(str(turn["turn_id"]), seq, OPUS)
    await handled(speaker)
    after = await audio_counts(server)
    # Cut by the socket's rate, or by the speaker's budget (one voice's worth).
    limited = moved(before, after, "rate") + moved(before, after, "over_budget")
    relayed = moved(before, after, "relayed")
    assert limited + relayed == 300
    assert limited > 0 and relayed >= 20  # the burst passes, the flood does not
    await ear.wait_audio(int(relayed))
    await speaker.ok("chat.send", text="我还在")  # its commands go on as before


async def test_the_chair_is_heard_at_any_time_and_marked(room: Room) -> None:
    mod = await room.moderator("msgpack")
    _, ear = await room.resident("听众", "msgpack")
    await listening(ear)
    await mod.send_audio("", 0, OPUS, ts=5)
    [frame] = await ear.wait_audio(1)
    assert frame == ["audio", "", 0, 5, OPUS, mod.you["participant_id"], True]  # type: ignore[index]


async def test_the_end_of_a_turn_and_a_mute_cut_the_microphone(
    room: Room, server: ServerProcess
) -> None:
    mod, ear = await live_with_a_listener(room)
    speaker, turn = await floor_for(room, mod, "发言人")
    turn_id = str(turn["turn_id"])
    await speaker.send_audio(turn_id, 0, OPUS)
    await ear.wait_audio(1)

    await mod.ok("participant.mute", participant_id=str(turn["participant_id"]), seconds=60)
    await speaker.wait_event("participant.updated", lambda d: bool(d.get("muted_until")))
    await speaker.send_audio(turn_id, 1, OPUS)
    await mod.ok("participant.mute", participant_id=str(turn["participant_id"]), seconds=0)
    await speaker.wait_event("participant.updated", lambda d: d.get("muted_until") is None)
    await speaker.send_audio(turn_id, 2, OPUS)
    assert [f[2] for f in await ear.wait_audio(2)] == [0, 2]

    await speaker.ok("turn.yield")
    await speaker.wait_event("turn.ended", lambda d: d["turn_id"] == turn_id)
    before = await audio_counts(server)
    await speaker.send_audio(turn_id, 3, OPUS)
    await handled(speaker)
    after = await audio_counts(server)
    assert moved(before, after, "old_turn") == 1
    await mod.send_audio("", 0, b"chair")  # the listener is still there, and hears the chair
    assert [f[4] for f in await ear.wait_audio(3)][2:] == [b"chair"]


async def test_a_clerk_is_the_microphone_of_a_floor_holder_seated_in_the_hall(room: Room) -> None:
    mod, ear = await live_with_a_listener(room)
    clerk_person = await room.staff("clerk", "书记员")
    clerk = await room.connect(clerk_person.token, "msgpack", label="clerk")
    seated = await clerk.ok("offline.add", name="张大爷")
    attendee = seated["participant_id"]
    await clerk.ok("hand.raise", stance="oppose", on_behalf_of=attendee)
    turn = await start_turn(mod, attendee)
    await clerk.send_audio(str(turn["turn_id"]), 0, OPUS)
    [frame] = await ear.wait_audio(1)
    assert frame[5:] == [attendee, False]


async def test_a_listener_that_stalls_loses_audio_but_keeps_every_event_and_its_socket(
    room: Room, server: ServerProcess
) -> None:
    mod = await room.moderator("msgpack")
    await mod.ok("session.start")
    # The stalled listener reads through a small receive buffer, so its connection
    # is full after a few kilobytes instead of the megabytes of loopback's default.
    stalled_sock = socket.create_connection(("127.0.0.1", server.port))
    stalled_sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    person = await room.join("卡住的手机")
    stalled = await Client.open(
        server.ws_base, room.room_id, "msgpack", label="stalled", sock=stalled_sock
    )
    room.clients.append(stalled)
    assert (await stalled.hello(person.token)).ok
    await listening(stalled)
    seen_before = stalled.mark()
    stalled.ws.transport.pause_reading()  # type: ignore[attr-defined]

    chairs = [await room.moderator("msgpack", label=f"chair{i}") for i in range(4)]
    before = await audio_counts(server)
    big = bytes(1900)
    seq = 0
    while True:  # until the server reports dropping this listener's oldest frames
        for chair in chairs:
            for _ in range(15):
                await chair.send_audio("", seq, big)
                seq += 1
            await handled(chair)
        drops = (await audio_counts(server))["yishi_audio_listener_drops_total"]
        if drops > before.get("yishi_audio_listener_drops_total", 0):
            break
        assert seq < 100_000, "the stalled listener never dropped a frame"

    await mod.ok("chat.send", text="事件照常送达")
    stalled.ws.transport.resume_reading()  # type: ignore[attr-defined]
    await stalled.wait_event(
        "chat.posted", lambda d: d.get("text") == "事件照常送达", start=seen_before, timeout=30
    )
    assert not stalled.closed
    assert await stalled.ok("ping")
    assert len(stalled.audio) < seq  # it lost audio


async def test_every_listener_of_a_large_room_hears_every_frame_in_order(room: Room) -> None:
    """More listeners than one slice of the fan-out (yishi.host.voice.SLICE = 200): the later
    slices go out on later turns of the loop, and each listener still hears the
    frames once each, in order."""
    mod = await room.moderator("msgpack")
    await mod.ok("session.start")
    ears = [await listening(await room.moderator("msgpack", label=f"ear{i}")) for i in range(450)]
    speaker, turn = await floor_for(room, mod, "发言人")
    for seq in range(5):
        await speaker.send_audio(str(turn["turn_id"]), seq, OPUS)
    for ear in ears:
        assert [f[2] for f in await ear.wait_audio(5)] == [0, 1, 2, 3, 4]
    await handled(speaker)
    assert all(len(ear.audio) == 5 for ear in ears)
