"""Voice on the floor, measured: one speaker, N listening sockets, the same bytes through B0.

A voice session (``"voice": true`` in its spec) runs in the load generator like
every other session, over the same lean client (bench.wire), against a server
started afresh (bench.launch), with the server's CPU read from /proc:

* **Yishi**: the publisher is the room's moderator (chat messages, barriers,
  ``turn.next``); the speaker is a resident who raised a hand and was given the
  floor by ``turn.next``, sending ``["audio", turn, seq, ts, data]`` on a
  ``yishi.v1.msgpack`` socket at the frame rate (ts: the publish time, Unix ms);
  the listeners are residents on the msgpack sub-protocol who sent
  ``audio.listen {on: true}`` (docs/protocol.md, "Voice on the floor").
* **B0**: the speaker is a second ``/pub`` socket that sends, as one binary
  message, exactly the bytes Yishi relays to a listener
  (``["audio", turn, seq, ts, data, from, chair]``); B0 broadcasts them as they
  are to every socket. Same size, same rate, same client code on receipt.

Opus at about 24 kbit/s is 3 bytes per ms of sound: a 20, 40 or 60 ms frame
carries 60, 120 or 180 bytes. Each frame's publish time (µs) is kept here by its
sequence number (the speaker and the listeners are one process), so receipt
latency has µs resolution; the frame's own ``ts`` is the protocol's ms.

Phases (``PHASES``): ``speak`` (frames at a rate for a while: reach, latency,
server CPU per delivered frame and per second of sound), ``events`` (chat from
the moderator, alternately with nobody speaking and during speech: event p99
speech vs silent), ``grow`` (more listeners join and listen) and ``saturate``
(grow step by step, speaking at each step, until a step fails).
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgpack

from bench import payload, procinfo
from bench.dialects import Peer, Yishi
from bench.generator import Generator, Json, SessionError, pct
from bench.wire import WsConn, http_json

AUDIO_TAG = b"\xa5audio"  # data[1:7] of an audio frame: an array whose first item is "audio"
BYTES_PER_MS = 3  # Opus, mono, about 24 kbit/s
AUDIO_DRAIN_S = 5.0  # a frame this late is worth nothing: counted as not reached
SPEAKER_INDEX = -2
B0_TURN, B0_FROM = "t12", "p1012"  # ids as long as a small room's (core/context.new_id)


def opus(frame_ms: int) -> bytes:
    """Stand-in for one Opus packet of ``frame_ms`` (the servers never decode it)."""
    return os.urandom(frame_ms * BYTES_PER_MS)


class YishiMsgpack(Yishi):
    """Yishi on ``yishi.v1.msgpack``: listeners send ``audio.listen`` after their hello."""

    subprotocol: str | None = "yishi.v1.msgpack"

    def __init__(self, *, room_id: str) -> None:
        super().__init__(room_id=room_id)
        self.turn_started: asyncio.Future[Json] = asyncio.get_running_loop().create_future()

    def send(self, conn: WsConn, message: Json) -> None:
        conn.send_binary(msgpack.packb(message))

    def text_of(self, conn: WsConn, peer: Peer, payload: bytes) -> str | None:
        if conn.state is None and b"\xabchat.posted" not in payload and not peer.publisher:
            # A listener skips what is no chat (it does not track seq: no reconnects here).
            return None
        frame = msgpack.unpackb(payload, raw=False)
        if not isinstance(frame, dict):
            return None
        if frame.get("type") == "turn.started" and not self.turn_started.done():
            self.turn_started.set_result(frame["data"])
        return self.frame_text(conn, peer, frame)

    def _reply(self, conn: WsConn, peer: Peer, frame: Json) -> None:
        if conn.state == "hello" and frame["re"] == 1 and frame.get("ok") and not peer.publisher:
            peer.seq = max(peer.seq, int(frame["result"].get("seq") or 0))
            conn.state = "listen"
            conn.send_binary(msgpack.packb({"id": 2, "cmd": "audio.listen", "args": {"on": True}}))
            return
        if conn.state == "listen" and frame["re"] == 2:
            conn.state = None
            listening = frame.get("ok") and (frame.get("result") or {}).get("listening")
            peer.ready(None if listening else f"audio.listen refused: {frame.get('error')}")
            return
        super()._reply(conn, peer, frame)


class VoiceGenerator(Generator):
    """A :class:`Generator` with a speaker, and listeners that count audio frames."""

    def __init__(self, spec: Json) -> None:
        super().__init__(spec)
        self.speaker = Peer(index=SPEAKER_INDEX, publisher=True, node=0)
        self.speaker_conn: WsConn | None = None
        self.turn_id = B0_TURN
        self.from_id = B0_FROM
        self.seq = 0  # the speaker's next frame
        self.pub_us: dict[int, int] = {}  # frame seq -> publish time, Unix µs
        self.a_lo, self.a_hi = 0, -1  # the measured frames
        self.a_expected = 0
        self.a_received = 0
        self.a_lat: list[int] = []
        self.a_lat_node: list[list[int]] = [[] for _ in self.nodes]
        self.a_first_us = 0
        self.a_last_us = 0
        self.a_ooo = 0
        self.a_done = asyncio.Event()
        self.a_last_seq: list[int] = [-1] * len(self.peers)
        self.frame_bytes = 0  # a relayed frame as a listener gets it
        self.last_pass = True  # the last speaking phase passed (bench.voice._passes)
        redis = spec["target"].get("redis_pid")
        self.redis_pids: list[int] = [redis] if redis else []

    # ---------------------------------------------------------------- receiving

    def on_message(self, conn: WsConn, data: bytes, now_us: int) -> None:
        if data[1:7] != AUDIO_TAG:  # an event (a map), or B0's text
            super().on_message(conn, data, now_us)
            return
        peer: Peer = conn.peer
        if peer.publisher:
            return
        seq = msgpack.unpackb(data, use_list=False)[2]
        index = peer.index
        if seq <= self.a_last_seq[index]:
            self.a_ooo += 1
        else:
            self.a_last_seq[index] = seq
        if self.a_lo <= seq <= self.a_hi and not peer.slow:
            self.frame_bytes = len(data)
            self.a_received += 1
            lat = now_us - self.pub_us[seq]
            self.a_lat.append(lat)
            self.a_lat_node[peer.node].append(lat)
            if now_us > self.a_last_us:
                self.a_last_us = now_us
            if self.a_received >= self.a_expected:
                self.a_done.set()

    # ---------------------------------------------------------------- setting up

    async def setup_yishi(self) -> None:
        """The room and its listeners (Generator), then the speaker joins; all on msgpack."""
        await super().setup_yishi()
        assert isinstance(self.dialect, Yishi)
        self.dialect = YishiMsgpack(room_id=self.dialect.room_id)
        await self.join_yishi([self.speaker])

    async def moderator(self, cmd: str, args: Json) -> None:
        """One command from the moderator, answered ok (else the session cannot go on)."""
        assert self.pub_conn is not None and isinstance(self.dialect, Yishi)
        self.replies = 0
        self.pub.replies.clear()
        self.dialect.command(self.pub_conn, cmd, args)
        await self.wait_replies(1, timeout=15)
        if "ok" not in self.pub.replies:
            raise SessionError(f"{cmd}: {self.pub.first_error or self.pub.replies}")
        self.pub.replies.clear()
        self.replies = 0

    async def open_speaker(self) -> None:
        """The speaker's socket (B0: a second ``/pub``); for Yishi, given the floor."""
        peer = self.speaker
        conn = await self.connect(peer)
        self.speaker_conn = conn
        dialect = self.dialect
        if not isinstance(dialect, YishiMsgpack):
            return
        # The floor: the speaker raises a hand, the moderator gives the next turn.
        replied = asyncio.Event()
        peer.on_reply = replied.set
        dialect.command(conn, "hand.raise", {"stance": "support"})
        async with asyncio.timeout(15):
            await replied.wait()
        if "ok" not in peer.replies:
            raise SessionError(f"hand.raise: {peer.first_error or peer.replies}")
        await self.moderator("turn.next", {})
        async with asyncio.timeout(15):
            turn = await dialect.turn_started
        self.turn_id, self.from_id = str(turn["turn_id"]), str(turn["participant_id"])

    # ---------------------------------------------------------------- speaking

    def open_audio_window(self, frames: int) -> None:
        self.a_lo = self.seq
        self.a_hi = self.seq + frames - 1
        self.a_expected = frames * self._audience()
        self.a_received = 0
        self.a_lat = []
        self.a_lat_node = [[] for _ in self.nodes]
        self.a_ooo = 0
        self.a_first_us = time.time_ns() // 1000
        self.a_last_us = 0
        self.a_done.clear()

    async def speak(self, frames: int, frame_ms: int) -> float:
        """Send ``frames`` frames of ``frame_ms`` at their rate; returns the achieved rate."""
        conn = self.speaker_conn
        assert conn is not None
        data = opus(frame_ms)
        b0 = not isinstance(self.dialect, YishiMsgpack)
        loop = asyncio.get_running_loop()
        interval = frame_ms / 1000
        t0 = loop.time()
        for i in range(frames):
            delay = t0 + i * interval - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing the sound, not waiting for a condition
            if conn.closed.done():
                raise SessionError(f"the speaker's socket was closed ({conn.closed.result()})")
            seq = self.seq
            self.seq += 1
            now_us = time.time_ns() // 1000
            self.pub_us[seq] = now_us
            frame: list[Any] = ["audio", self.turn_id, seq, now_us // 1000, data]
            if b0:  # B0 relays nothing: it is sent what Yishi sends a listener
                frame += [self.from_id, False]
            conn.send_binary(msgpack.packb(frame))
        elapsed = loop.time() - t0
        return (frames - 1) / elapsed if frames > 1 and elapsed > 0 else 1000 / frame_ms

    async def audio_drain(self) -> None:
        try:
            async with asyncio.timeout(AUDIO_DRAIN_S):
                await self.a_done.wait()
        except TimeoutError:
            pass

    def audio_figures(
        self, start: tuple[float, float, float, int], frames: int, frame_ms: int, **extra: Any
    ) -> Json:
        wall1, gen1, srv1, rss1 = self.snapshot()
        wall0, gen0, srv0, _ = start
        lat = sorted(self.a_lat)
        span = (self.a_last_us - self.a_first_us) / 1e6 if self.a_received else 0
        cpu = srv1 - srv0
        sound_s = frames * frame_ms / 1000
        listeners = self._audience()
        out: Json = {
            "listeners": listeners,
            "frame_ms": frame_ms,
            "frames": frames,
            "rate": round(1000 / frame_ms, 1),
            "payload_bytes": frame_ms * BYTES_PER_MS,
            "frame_bytes": self.frame_bytes,
            "expected": self.a_expected,
            "received": self.a_received,
            "reach": round(self.a_received / self.a_expected, 6) if self.a_expected else None,
            "p50_ms": pct(lat, 0.50),
            "p95_ms": pct(lat, 0.95),
            "p99_ms": pct(lat, 0.99),
            "max_ms": pct(lat, 1.0),
            "delivered_per_s": round(self.a_received / span) if span > 0 else None,
            "order_violations": self.a_ooo,
            "gen_cpu_pct": round(100 * (gen1 - gen0) / (wall1 - wall0), 1),
            "server_cpu_s": round(cpu, 3),
            "server_cpu_pct": round(100 * cpu / (wall1 - wall0), 1),
            "server_us_per_delivery": round(cpu * 1e6 / self.a_received, 2)
            if self.a_received
            else None,
            # Server CPU per second of sound, for this many listeners (ms of CPU).
            "server_ms_per_sound_s": round(cpu * 1000 / sound_s, 1),
            "server_rss_mb": round(rss1 / 2**20, 1),
            "wall_s": round(wall1 - wall0, 2),
        }
        if len(self.nodes) > 1:
            out["p50_ms_by_node"] = [pct(sorted(v), 0.5) for v in self.a_lat_node]
            out["p99_ms_by_node"] = [pct(sorted(v), 0.99) for v in self.a_lat_node]
        out.update(extra)
        return out

    async def voice_metrics(self) -> dict[str, float]:
        """Yishi's audio counters from /metrics, summed over its nodes ({} for B0)."""
        if not isinstance(self.dialect, YishiMsgpack):
            return {}
        counts: dict[str, float] = {}
        for host, port in self.nodes:
            status, text = await http_json("GET", host, port, "/metrics")
            if status != 200 or not isinstance(text, str):
                continue
            for name, label, value in re.findall(
                r'^yishi_audio_(\w+?)(?:_total)?(?:\{result="(\w+)"\})? ([0-9.e+]+)$', text, re.M
            ):
                key = f"{name}:{label}" if label else name
                counts[key] = counts.get(key, 0) + float(value)
        return counts

    # ---------------------------------------------------------------- listeners

    async def grow(self, to: int) -> Json:
        """More listeners (spread over the nodes) join, connect, listen; then a quiet room."""
        new = [Peer(index=i, node=i % len(self.nodes)) for i in range(len(self.peers), to)]
        if not new:
            return {"listeners": len(self.peers)}
        self.peers += new
        self.conns += [None] * len(new)
        self.a_last_seq += [-1] * len(new)
        out: Json = {"listeners": to, "added": len(new)}
        if isinstance(self.dialect, Yishi):
            t0 = time.perf_counter()
            await self.join_yishi(new)
            out["join_s"] = round(time.perf_counter() - t0, 2)
        out["connect_s"] = round(await self.open_all(new), 2)
        out["settle_s"] = round(
            await self.settle(quiet=1.5 if isinstance(self.dialect, Yishi) else 0), 2
        )
        return out


# ---------------------------------------------------------------- phases


def _passes(fig: Json) -> bool:
    return bool(
        fig["reach"] == 1.0
        and fig["p99_ms"] is not None
        and fig["p99_ms"] < 250
        and fig["achieved_rate"] >= 0.95 * fig["rate"]
    )


async def speak(gen: VoiceGenerator, *, frame_ms: int = 60, seconds: float = 5) -> Json:
    """The speaker speaks for ``seconds`` in frames of ``frame_ms``; nothing else happens."""
    frames = max(2, round(seconds * 1000 / frame_ms))
    before = await gen.voice_metrics()
    redis0 = procinfo.usage(gen.redis_pids)[0] if gen.redis_pids else 0.0
    start = gen.snapshot()
    gen.open_audio_window(frames)
    achieved = await gen.speak(frames, frame_ms)
    await gen.audio_drain()
    fig = gen.audio_figures(start, frames, frame_ms, achieved_rate=round(achieved, 1))
    fig["pass"] = gen.last_pass = _passes(fig)
    if gen.redis_pids and gen.a_received:
        # Not in the server's figure (the B1 and event sessions leave Redis out too).
        redis_s = procinfo.usage(gen.redis_pids)[0] - redis0
        fig["redis_us_per_delivery"] = round(redis_s * 1e6 / gen.a_received, 2)
    after = await gen.voice_metrics()
    if after:
        fig["server_counts"] = {k: after[k] - before.get(k, 0) for k in after if k != "listeners"}
    return fig


def _pooled(runs: list[tuple[list[int], int, int, float]]) -> Json:
    lat = sorted(x for r in runs for x in r[0])
    received, expected = sum(r[1] for r in runs), sum(r[2] for r in runs)
    cpu = sum(r[3] for r in runs)
    return {
        "expected": expected,
        "received": received,
        "reach": round(received / expected, 6) if expected else None,
        "p50_ms": pct(lat, 0.50),
        "p95_ms": pct(lat, 0.95),
        "p99_ms": pct(lat, 0.99),
        "max_ms": pct(lat, 1.0),
        # Each round's own p99, and their median: a few seconds of someone else's load on
        # the shared machine move one round, not the median.
        "p99_ms_rounds": [pct(sorted(r[0]), 0.99) for r in runs],
        "p99_ms_median_round": statistics.median(p for r in runs if (p := pct(sorted(r[0]), 0.99)))
        if any(r[0] for r in runs)
        else None,
        "server_cpu_s": round(cpu, 3),
    }


async def events(
    gen: VoiceGenerator, *, rate: float, seconds: float, rounds: int = 2, frame_ms: int = 60
) -> Json:
    """Chat from the moderator at ``rate``: ``rounds`` times silent, then during speech.

    Silent and speaking alternate so that drift on a shared machine falls on both;
    each condition's latencies are pooled over its rounds (and each round's p99 kept).
    """
    runs: dict[str, list[tuple[list[int], int, int, float]]] = {"silent": [], "speech": []}
    audio: list[Json] = []
    n = max(2, round(rate * seconds))
    for _ in range(rounds):
        for cond in ("silent", "speech"):
            start = gen.snapshot()
            gen.open_window(n, reset=True)
            speaking: asyncio.Task[float] | None = None
            frames = max(2, round(seconds * 1000 / frame_ms))
            if cond == "speech":
                gen.open_audio_window(frames)
                speaking = asyncio.create_task(gen.speak(frames, frame_ms))
            await gen.paced(n, rate)
            await gen.drain(timeout=10.0)
            if speaking is not None:
                achieved = await speaking
                await gen.audio_drain()
                audio.append(
                    gen.audio_figures(start, frames, frame_ms, achieved_rate=round(achieved, 1))
                )
            cpu = gen.snapshot()[2] - start[2]
            runs[cond].append((gen.lat, gen.received, gen.expected, cpu))
            await gen.barrier()
    silent, speech = _pooled(runs["silent"]), _pooled(runs["speech"])
    a_expected = sum(a["expected"] for a in audio)
    a_received = sum(a["received"] for a in audio)
    speech["audio_reach"] = round(a_received / a_expected, 6) if a_expected else None
    speech["audio_p99_ms"] = max((a["p99_ms"] or 0) for a in audio) if audio else None
    change = (
        round(speech["p99_ms"] / silent["p99_ms"] - 1, 4)
        if speech["p99_ms"] and silent["p99_ms"]
        else None
    )
    mid = (
        round(speech["p99_ms_median_round"] / silent["p99_ms_median_round"] - 1, 4)
        if speech["p99_ms_median_round"] and silent["p99_ms_median_round"]
        else None
    )
    reaches = [
        r for r in (silent["reach"], speech["reach"], speech["audio_reach"]) if r is not None
    ]
    return {
        "rate": rate,
        "seconds": seconds,
        "rounds": rounds,
        "frame_ms": frame_ms,
        "listeners": gen._audience(),
        "silent": silent,
        "speech": speech,
        "p99_change": change,
        "p99_change_median_round": mid,
        "reach": min(reaches) if reaches else None,
        "order_violations": gen.ooo + gen.a_ooo,
    }


async def grow(gen: VoiceGenerator, *, to: int) -> Json:
    return await gen.grow(to)


async def saturate(
    gen: VoiceGenerator,
    *,
    steps: list[int],
    seconds: float,
    frame_ms: int = 60,
    budget_s: float = 120,
    after_pass: bool = False,
) -> Json:
    """Grow to each listener count in turn and speak: up to the first step that fails
    (reach below 1.0, p99 over 250 ms, or the speaker not keeping its rate), or the
    first that cannot connect, or once ``budget_s`` is spent. With ``after_pass``, not at
    all when the last speaking phase before it failed (more listeners would fail too)."""
    if after_pass and not gen.last_pass:
        return {
            "frame_ms": frame_ms,
            "seconds": seconds,
            "steps": [],
            "best_listeners": None,
            "stopped": "not run: the step before failed",
        }
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    out: list[Json] = []
    keep = (
        "listeners",
        "reach",
        "p50_ms",
        "p99_ms",
        "achieved_rate",
        "delivered_per_s",
        "server_us_per_delivery",
        "server_cpu_pct",
        "gen_cpu_pct",
        "server_counts",
        "pass",
    )
    stopped = "every step passed"
    for target in steps:
        if loop.time() - t0 > budget_s:
            stopped = f"time budget ({budget_s:.0f} s) spent"
            break
        try:
            grown = await gen.grow(target)
        except (SessionError, ConnectionError, OSError, TimeoutError) as e:
            out.append({"listeners": target, "pass": False, "error": f"growing: {e!r}"[:300]})
            stopped = f"{target} listeners could not connect"
            break
        fig = await speak(gen, frame_ms=frame_ms, seconds=seconds)
        step = {k: fig.get(k) for k in keep}
        step["connect_s"] = grown.get("connect_s")
        out.append(step)
        if not fig["pass"]:
            stopped = f"failed at {target} listeners"
            break
        try:
            await gen.barrier(timeout=20)
        except SessionError as e:
            step["after"] = str(e)
            stopped = f"no barrier after {target} listeners"
            break
    passed = [s for s in out if s["pass"]]
    return {
        "frame_ms": frame_ms,
        "seconds": seconds,
        "steps": out,
        "best_listeners": passed[-1]["listeners"] if passed else None,
        "stopped": stopped,
    }


PHASES: dict[str, Callable[..., Awaitable[Json]]] = {
    "speak": speak,
    "events": events,
    "grow": grow,
    "saturate": saturate,
}


async def run_session(gen: VoiceGenerator) -> Json:
    """Room and speaker, the listeners, a quiet room, then the phases in order."""
    yishi = gen.kind == "yishi"
    if yishi:
        gen.stage = "creating the room and joining"
        await gen.setup_yishi()
    gen.stage = "opening the publisher"
    await gen.open(gen.pub)
    if yishi:
        gen.stage = "starting the session"
        await gen.start_session_yishi()
        await gen.moderator("settings.update", {"turn_seconds": 3600})
    gen.stage = "giving the speaker the floor"
    await gen.open_speaker()
    gen.out["turn_id"] = gen.turn_id
    gen.out["rss_before_connect"] = procinfo.usage(gen.pids)[1]
    gen.stage = "opening the sockets"
    gen.out["connect_s"] = round(await gen.open_all(gen.peers), 2)
    gen.stage = "waiting for a quiet room"
    gen.out["settle_s"] = round(await gen.settle(quiet=1.5 if yishi else 0), 2)
    for phase in gen.spec["phases"]:
        name = phase["name"]
        gen.stage = f"phase {name}"
        args = {k: v for k, v in phase.items() if k not in ("name", "type")}
        fig = await PHASES[phase["type"]](gen, **args)
        fig["type"] = phase["type"]
        gen.out["phases"][name] = fig
        if phase["type"] == "speak":
            await gen.barrier()
    gen.out["text_bytes"] = payload.SIZE
    return gen.out
