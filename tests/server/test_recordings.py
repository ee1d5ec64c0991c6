"""Recording, opt-in per room: a real server (uvicorn, SQLite in a data folder), real
sockets, real Opus audio (encoded by libopus through PyAV), exported as Ogg Opus.

Frames reach the recorder through ``services.recordings.keep``, the seam the voice
relay calls for every frame it accepted in a room that records.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from audio import FRAME, RATE, correlation, decode_ogg, opus_packets, tone
from inprocess import room_on, uvicorn_serving
from roomclient import Client, assert_http_error
from roomharness import ADMIN, SECRET, Room, free_port
from yishi.app import create_app
from yishi.config import Config
from yishi.services import Services
from yishi.web.oggopus import PRE_SKIP

T0 = 1_800_000_000_000


class Recording:
    def __init__(self, services: Services, room: Room, data: Path) -> None:
        self.services, self.room, self.data = services, room, data

    def url(self, track: str) -> str:
        return f"/api/rooms/{self.room.room_id}/recordings/{track}.ogg"

    async def get(self, track: str, token: str | None = None) -> httpx.Response:
        return await self.room.api.http.get(self.url(track), headers=self.room.api.bearer(token))

    def speak(
        self, turn_id: str, speaker: str, packets: list[bytes], *, seq0: int = 0, ts0: int = T0
    ) -> None:
        for n, packet in enumerate(packets):
            self.services.recordings.keep(
                self.room.room_id, turn_id, speaker, seq0 + n, ts0 + 60 * n, packet
            )


async def serving(tmp_path: Path, **room: object) -> AsyncIterator[Recording]:
    port = free_port()
    data = tmp_path / "data"
    config = Config(host="127.0.0.1", port=port, data_dir=data, admin_token=ADMIN, secret=SECRET)
    got: list[Services] = []
    async with (
        uvicorn_serving(create_app(config, on_ready=got.append), port, ws="websockets-sansio"),
        room_on(port, **room) as (_, made),
    ):
        yield Recording(got[0], made, data)


@pytest.fixture
async def rec(tmp_path: Path) -> AsyncIterator[Recording]:
    async for served in serving(tmp_path, settings={"record_audio": True}):
        yield served


async def floor(rec: Recording, name: str = "张三") -> tuple[Client, str, str]:
    """A live session whose floor ``name`` holds: (the moderator's socket, the
    speaker's participant id, the turn id)."""
    mod = await rec.room.moderator()
    person, _ = await rec.room.resident(name)
    await mod.ok("session.start")
    turn = (await mod.ok("turn.grant", participant_id=person.participant_id))["turn_id"]
    return mod, person.participant_id, turn


async def test_a_turn_exports_as_ogg_opus_that_sounds_as_sent(rec: Recording) -> None:
    summary = (await rec.room.api.summary(rec.room.room_id)).json()
    assert summary["record_audio"] is True  # the join page says so
    mod, speaker, turn = await floor(rec)
    sound = tone(3.0)
    packets = opus_packets(sound)
    rec.speak(turn, speaker, packets)
    await mod.ok("turn.end")

    response = await rec.get(turn, rec.room.mod_token)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/ogg"
    body = response.content
    assert body[:4] == b"OggS" and b"OpusHead" in body[:200]
    fmt, duration, decoded = decode_ogg(body)
    assert fmt == "ogg"
    assert len(decoded) == len(packets) * FRAME - PRE_SKIP
    assert abs(duration - len(packets) * FRAME / RATE) < 0.1
    assert correlation(sound, decoded) > 0.9
    metrics = (await rec.room.api.http.get("/metrics")).text
    assert f'yishi_recorded_frames_total{{fate="kept"}} {len(packets)}.0' in metrics


async def test_only_the_record_keepers_download_until_published(rec: Recording) -> None:
    mod, speaker, turn = await floor(rec)
    resident, _ = await rec.room.resident("李四")
    rec.speak(turn, speaker, opus_packets(tone(0.5)))
    assert_http_error(await rec.get(turn), (401, "unauthorized"))
    assert_http_error(await rec.get(turn, resident.token), (403, "forbidden"))
    office = await rec.room.staff("office", "住建办")
    assert_http_error(await rec.get(turn, office.token), (403, "forbidden"))
    clerk = await rec.room.staff("clerk", "书记员")  # reads the draft minutes that link it
    response = await rec.get(turn, clerk.token)
    assert response.status_code == 200, response.text
    minutes = (await rec.room.api.minutes(rec.room.room_id, rec.room.mod_token)).json()
    link = minutes["agenda"][0]["turns"][0]["recording"]
    assert link == rec.url(turn)
    public = (
        await rec.room.api.http.get(
            f"/api/rooms/{rec.room.room_id}/minutes",
            params={"copy": "public"},
            headers=rec.room.api.bearer(rec.room.mod_token),
        )
    ).json()
    assert public["agenda"][0]["turns"][0]["recording"] is None

    await mod.ok("recordings.publish", on=True)
    assert (await rec.get(turn)).status_code == 200
    public = (
        await rec.room.api.http.get(
            f"/api/rooms/{rec.room.room_id}/minutes",
            params={"copy": "public"},
            headers=rec.room.api.bearer(rec.room.mod_token),
        )
    ).json()
    assert public["agenda"][0]["turns"][0]["recording"] == rec.url(turn)
    md = (await rec.room.api.minutes(rec.room.room_id, rec.room.mod_token, fmt="md")).text
    assert rec.url(turn) in md


async def test_the_chair_and_unrecorded_turns(rec: Recording) -> None:
    mod, speaker, turn = await floor(rec)
    assert mod.you is not None
    chair = mod.you["participant_id"]
    rec.speak(turn, speaker, opus_packets(tone(0.6)))
    rec.speak(turn, chair, opus_packets(tone(0.3)), ts0=T0 + 100)  # the chair interjects
    rec.speak("", chair, opus_packets(tone(0.3)), ts0=T0 + 5000)
    await mod.ok("turn.end")
    await mod.ok("settings.update", record_audio=False)
    other, _ = await rec.room.resident("王五")
    quiet = (await mod.ok("turn.grant", participant_id=other.participant_id))["turn_id"]
    rec.speak(quiet, other.participant_id, opus_packets(tone(0.3)))  # (a relay would not)
    token = rec.room.mod_token
    assert_http_error(await rec.get(quiet, token), (404, "not_found"))
    assert_http_error(await rec.get("t999999", token), (404, "not_found"))
    _, _, turn_audio = decode_ogg((await rec.get(turn, token)).content)
    _, _, chair_audio = decode_ogg((await rec.get("chair", token)).content)
    assert len(turn_audio) == len(opus_packets(tone(0.6))) * FRAME - PRE_SKIP
    assert len(chair_audio) >= 2 * len(opus_packets(tone(0.3))) * FRAME - PRE_SKIP


async def test_erasing_removes_every_byte_and_every_link(rec: Recording) -> None:
    mod, speaker, turn = await floor(rec)
    packets = opus_packets(tone(1.0))
    rec.speak(turn, speaker, packets)
    await mod.ok("recordings.publish", on=True)
    assert (await rec.get(turn)).status_code == 200
    assert any(packets[5] in f.read_bytes() for f in rec.data.iterdir())

    erased_before = rec.services.recordings.erased
    await mod.ok("recordings.erase")
    await mod.wait_event("recordings.erased")
    # The node queued the erase when it heard the entry: a flush now comes after it.
    await rec.services.recordings.flush(rec.room.room_id)
    assert rec.services.recordings.erased == erased_before + 1
    assert_http_error(await rec.get(turn), (404, "not_found"))
    assert_http_error(await rec.get(turn, rec.room.mod_token), (404, "not_found"))
    minutes = (await rec.room.api.minutes(rec.room.room_id, rec.room.mod_token)).json()
    assert minutes["agenda"][0]["turns"][0]["recording"] is None
    assert minutes["recordings"]["erased_at"]
    summary = (await rec.room.api.summary(rec.room.room_id)).json()
    assert summary["record_audio"] is False  # erasing switched recording off
    assert await rec.services.backend.recorded_turns(rec.room.room_id) == []
    assert "recordings.erase" in [e.kind for e in await rec.services.backend.read(rec.room.room_id)]

    copy = rec.data.parent / "copied"
    shutil.copytree(rec.data, copy)  # what a backup taken now would hold
    files = [f for f in copy.rglob("*") if f.is_file()]
    assert files
    for file in files:
        content = file.read_bytes()
        assert not any(p in content for p in packets if len(p) > 20), file


async def test_a_room_records_nothing_unless_it_says_so(tmp_path: Path) -> None:
    async for served in serving(tmp_path):
        summary = (await served.room.api.summary(served.room.room_id)).json()
        assert summary["record_audio"] is False
        mod, speaker, turn = await floor(served)
        served.speak(turn, speaker, opus_packets(tone(0.3)))  # (a relay would not call)
        assert_http_error(await served.get(turn, served.room.mod_token), (404, "not_found"))
        minutes = (await served.room.api.minutes(served.room.room_id, served.room.mod_token)).json()
        assert minutes["agenda"][0]["turns"][0]["recording"] is None
        await mod.ok("settings.update", record_audio=True)
        assert (await served.room.api.summary(served.room.room_id)).json()["record_audio"]


async def test_frames_sent_over_the_socket_are_recorded_as_heard(rec: Recording) -> None:
    """The whole path: a floor holder's page sends real Opus frames over its msgpack
    socket, the relay accepts them, a listener hears them, and the turn's recording
    is those frames (the chair's voice, outside the turn, in the chair's file)."""
    mod = await rec.room.moderator("msgpack")
    await mod.ok("session.start")
    person, speaker = await rec.room.resident("李师傅", "msgpack")
    _, ear = await rec.room.resident("王阿姨", "msgpack")
    assert await ear.ok("audio.listen", on=True) == {"listening": True}
    turn = (await mod.ok("turn.grant", participant_id=person.participant_id))["turn_id"]
    sound = tone(1.08)  # 18 packets and the encoder's last: within the socket's burst
    packets = opus_packets(sound)
    assert len(packets) <= 20
    for seq, packet in enumerate(packets):
        await speaker.send_audio(turn, seq, packet, ts=T0 + 60 * seq)
    heard = await ear.wait_audio(len(packets))
    assert [frame[4] for frame in heard] == packets
    await mod.ok("turn.end")
    await speaker.send_audio(turn, len(packets), packets[0], ts=T0)  # too late: not kept
    await speaker.ok("ping")  # every frame it sent is handled
    chair_packets = opus_packets(tone(0.3))
    for seq, packet in enumerate(chair_packets):
        await mod.send_audio("", seq, packet, ts=T0 + 10_000 + 60 * seq)
    await mod.ok("ping")

    _, _, decoded = decode_ogg((await rec.get(turn, rec.room.mod_token)).content)
    assert len(decoded) == len(packets) * FRAME - PRE_SKIP
    assert correlation(sound, decoded) > 0.9
    _, _, chair = decode_ogg((await rec.get("chair", rec.room.mod_token)).content)
    assert len(chair) == len(chair_packets) * FRAME - PRE_SKIP
    minutes = (await rec.room.api.minutes(rec.room.room_id, rec.room.mod_token)).json()
    assert minutes["agenda"][0]["turns"][0]["recording"] == rec.url(turn)
    assert minutes["recordings"]["chair"] == rec.url("chair")
