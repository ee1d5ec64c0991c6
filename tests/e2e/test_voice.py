"""Voice on the floor in real Chromium: its fake microphone plays a tone sweep
we write as a WAV file (48 kHz mono, 16 bit; Chromium loops it), the speaker's
page encodes it as Opus and sends it over the room socket, and the listeners'
pages decode and play it. What we hold the pages to:

* the listeners hear the sweep (on the speaker's node and on another node
  sharing Redis): their decoded audio correlates with the source;
* a resident without the floor sends frames and nobody hears them;
* when the turn runs out, no frame of it captured after its end is heard
  (within one frame, 60 ms) and the speaker's microphone shows off;
* the chair (the moderator) is heard over a speaker, marked as the chair.

The pages expose what they keep for their level meter as `window.yishiVoice`.
"""

from __future__ import annotations

import json
import math
import secrets
import struct
import sys
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgpack
import pytest
from conftest import ADMIN, CHROMIUM, CHROMIUM_ARGS, Pages, Room, Server
from helpers import expect_connected, join, moderator
from playwright.sync_api import Browser, Page, Playwright, expect
from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "redis"))
from redisserver import RedisServer

pytestmark = pytest.mark.e2e

RATE = 48000
SWEEP = {"f0": 300.0, "f1": 3000.0, "period": 1.0, "amp": 0.5}
FRAME_MS = 60
AUDIO_WAIT_MS = 60_000  # first sound: the microphone, the codec and two cores shared with others
CORRELATION_MIN = 0.5


def sweep_sample(i: int) -> float:
    """One sample of the looped linear sweep f0 -> f1 over `period` seconds."""
    period = SWEEP["period"]
    t = (i % round(period * RATE)) / RATE
    phase = 2 * math.pi * (SWEEP["f0"] * t + (SWEEP["f1"] - SWEEP["f0"]) * t * t / (2 * period))
    return SWEEP["amp"] * math.sin(phase)


@pytest.fixture(scope="module")
def sweep_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("voice") / "sweep.wav"
    n = round(SWEEP["period"] * RATE)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"".join(struct.pack("<h", round(sweep_sample(i) * 32767)) for i in range(n)))
    return path


@pytest.fixture(scope="module")
def voice_browser(playwright: Playwright, sweep_wav: Path) -> Iterator[Browser]:
    """The conftest's Chromium plus a fake microphone playing the sweep, allowed without asking."""
    b = playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-audio-capture={sweep_wav}",
        ],
    )
    yield b
    b.close()


@pytest.fixture
def vpages(voice_browser: Browser) -> Iterator[Pages]:
    p = Pages(voice_browser)
    yield p
    p.close()
    assert not p.errors, p.errors


@pytest.fixture
def two_nodes(tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    """Two `yishi serve --redis` nodes on one real redis-server."""
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    nodes = [Server(tmp_path / name / "data", extra_args=["--redis", redis.url]) for name in "ab"]
    try:
        for node in nodes:
            node.start()
        yield nodes[0], nodes[1]
    finally:
        for node in nodes:
            node.stop()
        redis.stop()


# ---- what people do ---------------------------------------------------------


def voice(page: Page) -> dict[str, Any]:
    """The page's voice counters (without the PCM)."""
    result: dict[str, Any] = page.evaluate(
        "() => { const v = window.yishiVoice; return {listening: v.listening, framesHeard: v.framesHeard,"
        " framesBySource: v.framesBySource, speaking: v.speaking, sentFrames: v.sentFrames,"
        " encoderKind: v.encoderKind, decoderKind: v.decoderKind, delays: v.delays, heard: v.heard}; }"
    )
    return result


def listen(page: Page, label: str = "收听") -> None:
    page.get_by_role("button", name=label).click()
    page.wait_for_function("() => window.yishiVoice.listening")
    expect(page.locator("#voice-who")).not_to_contain_text("点「收听」")


def speak(page: Page, label: str = "开麦说话") -> None:
    page.get_by_role("button", name=label).click()
    page.wait_for_function(
        "() => window.yishiVoice.speaking && window.yishiVoice.sentFrames > 3",
        timeout=AUDIO_WAIT_MS,
    )
    expect(page.locator("#mic-state")).to_have_text("麦克风已打开，大家能听到您。")


def give_floor(mod: Page, resident: Page) -> None:
    """The moderator starts the session, the resident raises a hand, the moderator calls them."""
    mod.get_by_role("button", name="开始会议").click()
    expect(resident.locator("#room-status")).to_have_text("会议进行中")
    resident.get_by_role("button", name="我支持").click()
    expect(resident.locator("#my-queue")).to_contain_text("第 1 位")
    mod.get_by_role("button", name="请下一位发言").click()
    expect(resident.locator("#your-turn")).to_be_visible()


def wait_heard(page: Page, source: str, frames: int) -> None:
    page.wait_for_function(
        "([src, n]) => (window.yishiVoice.framesBySource[src] || 0) >= n",
        arg=[source, frames],
        timeout=AUDIO_WAIT_MS,
    )


def me(page: Page) -> str:
    return str(page.evaluate("() => window.yishiClient.state.you.participant_id"))


# The normalised cross-correlation of windows of the page's decoded audio with
# the sweep, at the best lag over one period (computed in the page: it is fast
# there, and the samples need not cross to Python).
CORRELATE = """({f0, f1, period, amp, win, count, rate}) => {
  const pcm = window.yishiVoice.recentPcm();
  const P = Math.round(period * rate);
  const src = new Float64Array(P + win);
  for (let i = 0; i < P + win; i++) {
    const t = (i % P) / rate;
    src[i] = amp * Math.sin(2 * Math.PI * (f0 * t + (f1 - f0) * t * t / (2 * period)));
  }
  const pre = new Float64Array(P + win + 1);
  for (let i = 0; i < P + win; i++) pre[i + 1] = pre[i] + src[i] * src[i];
  const out = [];
  for (let w = 0; w < count; w++) {
    const end = pcm.length - Math.round(0.2 * rate) - w * Math.round(0.5 * rate);
    const start = end - win;
    if (start < 0) break;
    const x = pcm.subarray(start, end);
    let ex = 0;
    for (let i = 0; i < win; i++) ex += x[i] * x[i];
    let best = -2, lag = 0;
    for (let l = 0; l < P; l++) {
      let s = 0;
      for (let i = 0; i < win; i++) s += x[i] * src[l + i];
      const n = s / (Math.sqrt(ex * (pre[l + win] - pre[l])) || 1);
      if (n > best) { best = n; lag = l; }
    }
    out.push({ncc: best, lag, rms: Math.sqrt(ex / win)});
  }
  return out;
}"""


def correlation(page: Page) -> list[dict[str, float]]:
    windows: list[dict[str, float]] = page.evaluate(
        CORRELATE, {**SWEEP, "win": 9600, "count": 3, "rate": RATE}
    )
    return windows


def median(values: list[float]) -> float:
    s = sorted(values)
    return s[len(s) // 2] if s else float("nan")


# ---- the tests --------------------------------------------------------------


def test_listeners_on_two_nodes_hear_the_speaker(
    two_nodes: tuple[Server, Server], vpages: Pages
) -> None:
    a, b = two_nodes
    room = a.create_room(title="加装电梯议事会", settings={"turn_seconds": 120})
    mod = moderator(vpages, room)
    speaker = join(vpages, room, "赵大爷")
    near = join(vpages, room, "钱阿姨")
    far_room = Room(
        server=b,
        room_id=room.room_id,
        moderator_token=room.moderator_token,
        moderator_url=f"{b.base_url}/m/{room.room_id}#token={room.moderator_token}",
        invite_url=f"{b.base_url}/r/{room.room_id}?invite={room.invite_code}",
        invite_code=room.invite_code,
    )
    far = join(vpages, far_room, "孙叔叔")
    for page in (near, far):
        listen(page)
    give_floor(mod, speaker)
    speak(speaker)
    who = me(speaker)
    # Three seconds of sound on each listener, then compare it with the source.
    for page in (near, far):
        wait_heard(page, who, 3000 // FRAME_MS)
        expect(page.locator("#voice-who")).to_contain_text("正在讲话：赵大爷")
    sent = voice(speaker)
    assert sent["encoderKind"] in ("webcodecs", "wasm")
    # The counters first: the correlation keeps a page busy, which its playout would feel.
    counters = [voice(page) for page in (near, far)]
    for (name, page), v in zip((("same node", near), ("other node", far)), counters, strict=True):
        windows = correlation(page)
        delay = median([float(d) for d in v["delays"]])
        nccs = [w["ncc"] for w in windows]
        print(
            f"\nvoice {name}: correlation with the sweep {[round(x, 3) for x in nccs]} "
            f"(median {median(nccs):.3f}), mouth-to-ear median {delay:.0f} ms over "
            f"{len(v['delays'])} frames, decoder {v['decoderKind']}, encoder {sent['encoderKind']}"
        )
        assert len(windows) == 3, windows
        assert median(nccs) > CORRELATION_MIN, windows
        assert all(h["from"] == who and not h["chair"] for h in v["heard"])
        assert 0 < delay < 5000, v["delays"][-20:]


def raw_resident(server: Server, room: Room, name: str) -> tuple[str, str]:
    """Join through the HTTP API, as a phone would; returns (token, participant_id)."""
    status, raw = server.request(
        "POST",
        f"/api/rooms/{room.room_id}/join",
        body={"invite": room.invite_code, "name": name, "device": secrets.token_hex(16)},
    )
    assert status in (200, 201), (status, raw)
    r = json.loads(raw)
    return r["token"], r["participant_id"]


def test_a_resident_without_the_floor_is_not_heard(server: Server, vpages: Pages) -> None:
    room = server.create_room(title="车棚改造议事会", settings={"turn_seconds": 120})
    mod = moderator(vpages, room)
    speaker = join(vpages, room, "周师傅")
    listener = join(vpages, room, "吴奶奶")
    listen(listener)
    token, rogue = raw_resident(server, room, "郑先生")
    give_floor(mod, speaker)
    speak(speaker)
    who = me(speaker)
    wait_heard(listener, who, 5)
    turn_id = listener.evaluate("() => window.yishiClient.state.turn.turn_id")
    ws_url = server.base_url.replace("http://", "ws://") + f"/ws/{room.room_id}"
    with connect(ws_url, subprotocols=["yishi.v1.msgpack"], open_timeout=15) as ws:  # type: ignore[list-item]
        ws.send(msgpack.packb({"id": 1, "cmd": "hello", "args": {"token": token}}))
        welcome = until_reply(ws, 1)
        assert welcome["ok"], welcome
        now = int(welcome["result"]["server_time"])
        # Under the burst the rate limit allows: each frame reaches the floor check.
        for seq in range(16):
            turn = turn_id if seq % 2 == 0 else ""
            ws.send(msgpack.packb(["audio", turn, seq, now + seq * FRAME_MS, bytes(120)]))
        # Frames on one socket are handled in order: once the ping is answered, all were judged.
        ws.send(msgpack.packb({"id": 2, "cmd": "ping", "args": {}}))
        assert until_reply(ws, 2)["ok"]
    heard_before = voice(listener)["framesBySource"].get(who, 0)
    # A second more of the speaker reaches the listener: anything relayed earlier has too.
    wait_heard(listener, who, heard_before + 1000 // FRAME_MS)
    v = voice(listener)
    assert rogue not in v["framesBySource"], v["framesBySource"]
    assert set(v["framesBySource"]) == {who}
    status, metrics = server.request("GET", "/metrics", token=ADMIN)
    if status == 200:
        text = metrics.decode()
        print(
            "\n"
            + "\n".join(line for line in text.splitlines() if "yishi_audio_frames_total" in line)
        )


def until_reply(ws: Any, request_id: int) -> dict[str, Any]:
    """Read frames until the reply to `request_id` (events and audio pass by)."""
    while True:
        frame = msgpack.unpackb(ws.recv(timeout=15))
        if isinstance(frame, dict) and frame.get("re") == request_id:
            return frame


def test_the_countdown_cuts_the_microphone(server: Server, vpages: Pages) -> None:
    room = server.create_room(title="快递柜议事会", settings={"turn_seconds": 6})
    mod = moderator(vpages, room)
    speaker = join(vpages, room, "冯阿姨")
    listener = join(vpages, room, "陈大爷")
    listen(listener)
    give_floor(mod, speaker)
    turn = listener.evaluate("() => window.yishiClient.state.turn")
    speaker.get_by_role("button", name="开麦说话").click()
    who = me(speaker)
    wait_heard(listener, who, 1)
    # Nobody presses anything: the server ends the turn at its deadline.
    expect(speaker.locator("#your-turn")).to_be_hidden(timeout=AUDIO_WAIT_MS)
    expect(listener.locator("#floor .floor-idle")).to_contain_text("时间到")
    speaker.wait_for_function("() => !window.yishiVoice.speaking")
    expect(speaker.locator("#mic-state")).to_have_text("麦克风已关闭。")
    expect(speaker.get_by_role("button", name="开麦说话")).to_be_hidden()
    sent = voice(speaker)["sentFrames"]
    v = voice(listener)
    of_turn = [h for h in v["heard"] if h["turn"] == turn["turn_id"] and h["from"] == who]
    last = max((h["ts"] for h in of_turn), default=None)
    print(
        f"\nvoice expiry: {len(of_turn)} frames heard of the turn, {sent} sent; last frame "
        f"captured {None if last is None else last - turn['ends_at']} ms from the turn's end"
    )
    # The microphone may open slowly on a busy machine; whatever was heard stopped in time.
    assert all(h["ts"] <= turn["ends_at"] + FRAME_MS for h in of_turn), (turn, of_turn[-5:])
    # Nothing more leaves the speaker's page.
    assert voice(speaker)["sentFrames"] == sent
    expect_connected(speaker)


def test_the_chair_is_heard_over_a_speaker_and_marked(server: Server, vpages: Pages) -> None:
    room = server.create_room(title="垃圾分类议事会", settings={"turn_seconds": 120})
    mod = moderator(vpages, room)
    speaker = join(vpages, room, "黄先生")
    listener = join(vpages, room, "林阿姨")
    listen(listener)
    listen(mod, "用会场扬声器播放")
    give_floor(mod, speaker)
    speak(speaker)
    speak(mod, "主持人讲话")
    chair = me(mod)
    who = me(speaker)
    wait_heard(listener, chair, 10)
    wait_heard(listener, who, 10)
    expect(listener.locator("#voice-who")).to_contain_text("主持人")
    v = voice(listener)
    chair_frames = [h for h in v["heard"] if h["from"] == chair]
    assert chair_frames and all(h["chair"] for h in chair_frames)
    assert all(not h["chair"] for h in v["heard"] if h["from"] == who)
    # The console hears the speaker (and not itself).
    wait_heard(mod, who, 10)
    assert chair not in voice(mod)["framesBySource"]
    # The chair's microphone goes off at a tap.
    mod.get_by_role("button", name="关麦").click()
    mod.wait_for_function("() => !window.yishiVoice.speaking")


def test_a_clerks_console_is_the_microphone_of_a_speaker_in_the_hall(
    server: Server, vpages: Pages
) -> None:
    room = server.create_room(title="老年食堂议事会", settings={"turn_seconds": 120})
    mod = moderator(vpages, room)
    status, raw = server.request(
        "POST",
        f"/api/rooms/{room.room_id}/staff",
        token=room.moderator_token,
        body={"role": "clerk", "name": "书记员"},
    )
    assert status in (200, 201), (status, raw)
    clerk = vpages.open(
        f"{server.base_url}/m/{room.room_id}#token={json.loads(raw)['token']}", width=1280
    )
    expect_connected(clerk)
    listener = join(vpages, room, "何阿姨")
    listen(listener)
    mod.get_by_role("button", name="开始会议").click()
    mod.get_by_label("登记现场居民（没有手机的居民）").fill("老王")
    mod.get_by_role("button", name="登记", exact=True).click()
    mod.get_by_role("button", name="支持：老王").click()
    mod.get_by_role("button", name="请下一位发言").click()
    # No microphone for the chair's purpose on a clerk's console; one for the hall speaker.
    expect(clerk.get_by_role("button", name="主持人讲话")).to_be_hidden()
    speak(clerk, "为 老王 开麦（会场）")
    holder = listener.evaluate("() => window.yishiClient.state.turn.participant_id")
    wait_heard(listener, holder, 10)
    expect(listener.locator("#voice-who")).to_contain_text("正在讲话：老王")
    assert all(not h["chair"] for h in voice(listener)["heard"])
    # The turn ends (the moderator ends it): the clerk's microphone goes off with it.
    mod.get_by_role("button", name="结束本次发言").click()
    clerk.wait_for_function("() => !window.yishiVoice.speaking")
    expect(clerk.locator("#mic-state")).to_have_text("麦克风已关闭。")
