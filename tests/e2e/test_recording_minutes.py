"""A recorded turn, heard again from the moderator's draft minutes in Chromium: the
minutes list the recording beside the turn, and it plays (an Ogg Opus file fetched
with the moderator's token, which an <audio> element cannot send by itself)."""

from __future__ import annotations

import json
import math
import secrets
import time
import urllib.request
from array import array
from fractions import Fraction
from typing import Any

import av
import msgpack
import pytest
from conftest import Pages, Server, screenshot
from playwright.sync_api import expect
from websockets.sync.client import ClientConnection, connect

pytestmark = pytest.mark.e2e

RATE, FRAME = 48_000, 2880  # 60 ms packets, as the pages send them


def opus_tone(seconds: float) -> list[bytes]:
    """A sweep encoded by libopus (through PyAV) into 60 ms packets."""
    encoder = av.CodecContext.create("libopus", "w")
    assert isinstance(encoder, av.AudioCodecContext)
    encoder.sample_rate, encoder.layout, encoder.format = RATE, "mono", "s16"
    encoder.bit_rate, encoder.time_base = 24_000, Fraction(1, RATE)
    encoder.options = {"frame_duration": "60"}
    encoder.open()
    n = int(seconds * RATE)
    samples = array(
        "h", (int(9000 * math.sin(2 * math.pi * (300 + 500 * i / n) * i / RATE)) for i in range(n))
    )
    packets: list[bytes] = []
    for start in range(0, n - FRAME + 1, FRAME):
        frame = av.AudioFrame(format="s16", layout="mono", samples=FRAME)
        frame.planes[0].update(samples[start : start + FRAME].tobytes())
        frame.sample_rate, frame.pts = RATE, start
        packets += [bytes(p) for p in encoder.encode(frame)]
    return packets


def call(ws: ClientConnection, cid: int, cmd: str, **args: Any) -> dict[str, Any]:
    ws.send(msgpack.packb({"id": cid, "cmd": cmd, "args": args}))
    while True:
        frame = msgpack.unpackb(ws.recv(timeout=15))
        if isinstance(frame, dict) and frame.get("re") == cid:
            assert frame["ok"], frame
            return dict(frame.get("result") or {})


def test_a_recorded_turn_plays_from_the_draft_minutes(server: Server, pages: Pages) -> None:
    room = server.create_room(title="加装电梯议事会", settings={"record_audio": True})
    status, raw = server.request(
        "POST",
        f"/api/rooms/{room.room_id}/join",
        body={"invite": room.invite_code, "name": "王阿姨", "device": secrets.token_hex(16)},
    )
    assert status in (200, 201), raw
    resident = json.loads(raw)
    ws_url = server.base_url.replace("http://", "ws://") + f"/ws/{room.room_id}"
    with (
        connect(ws_url, subprotocols=["yishi.v1.msgpack"]) as mod,  # type: ignore[list-item]
        connect(ws_url, subprotocols=["yishi.v1.msgpack"]) as speaker,
    ):  # type: ignore[list-item]
        call(mod, 1, "hello", token=room.moderator_token)
        call(speaker, 1, "hello", token=resident["token"])
        call(mod, 2, "session.start")
        call(speaker, 2, "hand.raise", stance="support")
        turn_id = call(mod, 3, "turn.next")["turn_id"]
        packets = opus_tone(1.2)  # 20 frames: within the burst the rate allows at once
        for seq, packet in enumerate(packets):
            speaker.send(msgpack.packb(["audio", turn_id, seq, seq * 60, packet]))
        call(speaker, 3, "ping")  # every frame before it has been handled
        call(mod, 4, "turn.end", turn_id=turn_id)

    url = f"{server.base_url}/api/rooms/{room.room_id}/recordings/{turn_id}.ogg"
    deadline = time.monotonic() + 30
    while True:  # the recorder writes in batches about once a second: wait for it
        request = urllib.request.Request(
            url, headers={"Authorization": f"Bearer {room.moderator_token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as res:
                if res.status == 200:
                    break
        except urllib.error.HTTPError as err:
            assert err.code == 404, err.code
        assert time.monotonic() < deadline, "the recording was never stored"
        time.sleep(0.2)

    page = pages.open(
        f"{server.base_url}/r/{room.room_id}/minutes#token={room.moderator_token}", width=1280
    )
    play = page.locator("ol.turns").get_by_role("button", name="▶ 播放录音")
    expect(play).to_have_count(1)
    play.click()
    audio = page.locator("audio")
    expect(audio).to_have_count(1)
    page.wait_for_function(
        "() => { const a = document.querySelector('audio'); return a && a.duration > 0; }"
    )
    duration = page.evaluate("() => document.querySelector('audio').duration")
    assert abs(duration - len(packets) * 0.06) < 0.2, duration
    screenshot(page, "recording-in-draft-minutes")
    # The chair never spoke: its recording is listed (the log cannot know) and says so.
    chair = page.locator("section", has_text="主持人讲话录音").get_by_role("button")
    chair.click()
    expect(page.locator("section", has_text="主持人讲话录音")).to_contain_text("没有录到声音")
