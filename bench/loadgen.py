"""The load generator: one process of asyncio clients running one session.

    python3 -m bench.loadgen SPEC.json OUT.json

A session opens ``clients`` sockets to one server under test (spread over its
nodes), waits until the room is quiet, then runs its phases in order and writes
their figures to OUT.json. The publisher is one more socket (B0: ``/pub``;
B1: a Socket.IO client; Yishi: the moderator). Every message carries its key
and publish time (bench.payload); each client records end-to-end latency
against the shared wall clock of this machine. Every wait has a deadline, and
the whole session has one too.
"""

from __future__ import annotations

import asyncio
import json
import math
import resource
import sys
import time
from typing import Any

from bench import payload, procinfo
from bench.dialects import B0, Dialect, Peer, SocketIO, Yishi
from bench.wire import WsConn, http_json, ws_connect

Json = dict[str, Any]
JOINS_PER_ADDRESS = 4  # joins from one loopback source address (a household)
SLOW_RCVBUF = 4096  # slow readers' receive buffer: they fill up quickly once they stop reading


class SessionError(Exception):
    """The session could not run as specified (the message says why)."""


def _pct(sorted_us: list[int], q: float) -> float | None:
    if not sorted_us:
        return None
    return round(sorted_us[min(len(sorted_us) - 1, math.ceil(q * len(sorted_us)) - 1)] / 1000, 2)


def _gen_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


class Generator:
    def __init__(self, spec: Json) -> None:
        self.spec = spec
        target = spec["target"]
        self.nodes: list[tuple[str, int]] = [(h, int(p)) for h, p in target["nodes"]]
        self.pids: list[int] = target["pids"]
        self.dialect: Dialect = SocketIO() if target["kind"] == "sio" else B0()
        self.kind: str = target["kind"]
        n = int(spec["clients"])
        slow_every = int(1 / spec["slow_fraction"]) if spec.get("slow_fraction") else 0
        track = any(p["type"] == "reconnect" for p in spec["phases"])
        self.peers = [Peer(index=i, node=i % len(self.nodes), track_seq=track) for i in range(n)]
        self.slow_designated = {
            i for i in range(n) if slow_every and i % slow_every == slow_every // 2
        }
        self.conns: list[WsConn | None] = [None] * n
        self.pub = Peer(index=-1, publisher=True, track_seq=True)
        self.pub_conn: WsConn | None = None
        self.replies = 0
        self.reply_event = asyncio.Event()
        self.pub.on_reply = self._on_reply
        self.other_event = asyncio.Event()
        self.pub.on_other = self.other_event.set
        self.next_key = 0
        # The measured window: keys lo..hi, counted for non-slow peers.
        self.lo, self.hi = 0, -1
        self.expected = 0
        self.received = 0
        self.lat: list[int] = []
        self.lat_node: list[list[int]] = [[] for _ in self.nodes]
        self.last_recv_us = 0
        self.first_pub_us = 0
        self.done = asyncio.Event()
        self.late = 0
        self.ooo = 0
        self.barrier_key = -1
        self.barrier_left = 0
        self.barrier_done = asyncio.Event()
        self.expecting_close = False
        self.unexpected_closes: dict[int, int] = {}
        self.slow_closes: dict[int, int] = {}
        self.catchup_key = 2**62
        self.catchup: dict[int, asyncio.Future[None]] = {}
        self.text_bytes = payload.SIZE
        self.best_rate: float | None = None
        self.out: Json = {"clients": n, "nodes": len(self.nodes), "phases": {}}
        self.stage = "starting"

    # ---------------------------------------------------------------- receiving

    def on_message(self, conn: WsConn, data: bytes, now_us: int) -> None:
        peer: Peer = conn.peer
        text = self.dialect.text_of(conn, peer, data)
        if text is None or peer.publisher:
            return
        decoded = payload.decode(text)
        if decoded is None:
            return
        kind, key, sent_us = decoded
        if kind == payload.BARRIER:
            if key > peer.barrier:
                peer.barrier = key
                if key == self.barrier_key and not peer.slow:
                    self._barrier_tick()
            return
        peer.got += 1
        if key <= peer.last_key:
            self.ooo += 1  # a duplicate or a reordering: never allowed for Yishi
        else:
            peer.last_key = key
        if peer.slow and key >= self.catchup_key and peer.index in self.catchup:
            self.catchup.pop(peer.index).set_result(None)
        if self.lo <= key <= self.hi and not peer.slow:
            self.received += 1
            lat = now_us - sent_us
            self.lat.append(lat)
            self.lat_node[peer.node].append(lat)
            self.last_recv_us = max(self.last_recv_us, now_us)
            if self.received >= self.expected:
                self.done.set()
        else:
            self.late += 1

    def _barrier_tick(self) -> None:
        self.barrier_left -= 1
        if self.barrier_left <= 0:
            self.barrier_done.set()

    def _on_reply(self) -> None:
        self.replies += 1
        self.reply_event.set()

    def _on_close(self, peer: Peer, conn: WsConn, code: int) -> None:
        if self.conns[peer.index] is not conn:
            return
        peer.live = False
        if self.expecting_close:
            return
        closes = self.slow_closes if peer.slow else self.unexpected_closes
        closes[code] = closes.get(code, 0) + 1
        if not peer.slow and peer.barrier < self.barrier_key and not self.barrier_done.is_set():
            self._barrier_tick()  # a closed socket will not see the barrier: do not wait for it

    # ---------------------------------------------------------------- connecting

    async def open(self, peer: Peer, *, since: int | None = None) -> None:
        host, port = self.nodes[peer.node]
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()

        def on_ready(error: str | None) -> None:
            if not ready.done():
                if error is None:
                    ready.set_result(None)
                else:
                    ready.set_exception(ConnectionError(error))

        peer.ready = on_ready
        conn = await ws_connect(
            host=host,
            port=port,
            path=self.dialect.path(publisher=peer.publisher),
            on_message=self.on_message,
            subprotocol=self.dialect.subprotocol,
            peer=peer,
            rcvbuf=SLOW_RCVBUF if peer.index in self.slow_designated else None,
        )
        self.dialect.opened(conn, peer, since=since)
        waits: set[asyncio.Future[Any]] = {ready, conn.closed}
        done, _ = await asyncio.wait(waits, timeout=30, return_when="FIRST_COMPLETED")
        if ready not in done:
            conn.abort()
            if conn.closed in done:
                raise ConnectionError(f"closed with {conn.closed.result()} before ready")
            raise ConnectionError("not ready within 30 s")
        ready.result()
        if peer.publisher:
            self.pub_conn = conn
        else:
            self.conns[peer.index] = conn
            peer.live = True
            conn.closed.add_done_callback(lambda f: self._on_close(peer, conn, f.result()))

    async def open_all(self, peers: list[Peer]) -> float:
        sem = asyncio.Semaphore(int(self.spec.get("connect_concurrency", 200)))

        opened = 0

        async def one(peer: Peer) -> None:
            nonlocal opened
            async with sem:
                await self.open(peer)
                opened += 1

        t0 = time.perf_counter()
        budget = float(self.spec.get("connect_timeout", 120))
        try:
            async with asyncio.timeout(budget):
                results = await asyncio.gather(*(one(p) for p in peers), return_exceptions=True)
        except TimeoutError:
            raise SessionError(
                f"only {opened} of {len(peers)} sockets open (ready) after {budget:.0f} s"
            ) from None
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            raise SessionError(
                f"{len(failed)} of {len(peers)} sockets failed to open: {failed[0]!r}"
            )
        return time.perf_counter() - t0

    async def setup_yishi(self) -> None:
        host, port = self.nodes[0]
        admin = self.spec["target"]["admin_token"]
        body = {"title": "bench room", "settings": {"chat_rate": 0}}
        status, room = await http_json("POST", host, port, "/api/rooms", body=body, token=admin)
        if status not in (200, 201) or not isinstance(room, dict):
            raise SessionError(f"POST /api/rooms answered {status}: {str(room)[:300]}")
        dialect = Yishi(room_id=room["room_id"])
        self.dialect = dialect
        self.pub.cred = room["moderator_token"]
        sem = asyncio.Semaphore(32)

        async def join(peer: Peer) -> None:
            a = peer.index // JOINS_PER_ADDRESS
            addr = f"127.77.{a // 250}.{a % 250 + 1}"
            name = "resident " + str(peer.index).translate(
                str.maketrans("0123456789", "abcdefghij")
            )
            async with sem:
                st, got = await http_json(
                    "POST",
                    host,
                    port,
                    f"/api/rooms/{dialect.room_id}/join",
                    body={"invite": room["invite_code"], "name": name},
                    local_addr=addr,
                )
            if st not in (200, 201) or not isinstance(got, dict):
                raise SessionError(f"join answered {st}: {str(got)[:300]}")
            peer.cred = got["token"]

        t0 = time.perf_counter()
        await asyncio.gather(*(join(p) for p in self.peers))
        self.out["join_s"] = round(time.perf_counter() - t0, 2)

    async def start_session_yishi(self) -> None:
        assert isinstance(self.dialect, Yishi) and self.pub_conn is not None
        self.dialect.command(self.pub_conn, "session.start", {})
        await self.wait_replies(1, timeout=15)
        self.pub.replies.clear()  # "conflict" would only mean: already live
        self.replies = 0

    async def wait_replies(self, target: int, *, timeout: float) -> None:
        async with asyncio.timeout(timeout):
            while self.replies < target:
                self.reply_event.clear()
                await self.reply_event.wait()

    # ---------------------------------------------------------------- publishing

    def publish(self, kind: str = payload.MEASURED) -> int:
        assert self.pub_conn is not None
        key = self.next_key
        self.next_key += 1
        self.dialect.publish(
            self.pub_conn,
            self.pub,
            payload.encode(kind, key, time.time_ns() // 1000, size=self.text_bytes),
        )
        return key

    async def barrier(self, *, timeout: float = 30.0) -> None:
        """Wait until every live, reading client has everything published so far."""
        self.barrier_done.clear()
        self.barrier_left = sum(1 for p in self.peers if p.live and not p.slow)
        self.barrier_key = self.publish(payload.BARRIER)
        if self.barrier_left <= 0:
            return
        try:
            async with asyncio.timeout(timeout):
                await self.barrier_done.wait()
        except TimeoutError:
            raise SessionError(
                f"barrier: {self.barrier_left} clients still behind after {timeout:.0f} s"
            ) from None

    async def settle(self, *, quiet: float, timeout: float = 120.0) -> float:
        """Barriers until the publisher saw no non-benchmark event for ``quiet`` seconds.

        Yishi's presence updates are coalesced per second, so joining sockets keep
        producing events for a while after they are all connected.
        """
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        async with asyncio.timeout(timeout):
            await self.barrier()
            while quiet > 0:
                seen = self.pub.other
                self.other_event.clear()
                try:
                    await asyncio.wait_for(self.other_event.wait(), quiet)
                except TimeoutError:
                    pass
                await self.barrier()  # everything published before now has been delivered
                if self.pub.other == seen:
                    break
        return loop.time() - t0

    # ---------------------------------------------------------------- measuring

    def _audience(self) -> int:
        return sum(1 for p in self.peers if p.live and not p.slow)

    def open_window(self, n_msgs: int, *, reset: bool, audience: int | None = None) -> None:
        if reset:
            self.lo = self.next_key
            self.expected = 0
            self.received = 0
            self.lat = []
            self.lat_node = [[] for _ in self.nodes]
            self.late = 0
            self.ooo = 0
            self.first_pub_us = time.time_ns() // 1000
        self.hi = self.next_key + n_msgs - 1
        self.expected += n_msgs * (self._audience() if audience is None else audience)
        self.done.clear()
        if self.received >= self.expected:
            self.done.set()

    async def drain(self, timeout: float) -> None:
        try:
            async with asyncio.timeout(timeout):
                await self.done.wait()
        except TimeoutError:
            pass

    async def paced(self, n: int, rate: float) -> float:
        """Publish ``n`` messages at ``rate``; returns the achieved rate."""
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        for i in range(n):
            delay = t0 + i / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing the load, not waiting for a condition
            self.publish()
        elapsed = loop.time() - t0
        return (n - 1) / elapsed if n > 1 and elapsed > 0 else rate

    def snapshot(self) -> tuple[float, float, float, int]:
        cpu, rss = procinfo.usage(self.pids)
        return time.perf_counter(), _gen_cpu(), cpu, rss

    def figures(self, start: tuple[float, float, float, int], **extra: Any) -> Json:
        wall1, gen1, srv1, rss1 = self.snapshot()
        wall0, gen0, srv0, _ = start
        lat = sorted(self.lat)
        span = (self.last_recv_us - self.first_pub_us) / 1e6 if self.received else 0
        out: Json = {
            "expected": self.expected,
            "received": self.received,
            "reach": round(self.received / self.expected, 6) if self.expected else None,
            "p50_ms": _pct(lat, 0.50),
            "p95_ms": _pct(lat, 0.95),
            "p99_ms": _pct(lat, 0.99),
            "max_ms": _pct(lat, 1.0),
            "delivered_per_s": round(self.received / span) if span > 0 else None,
            "order_violations": self.ooo,
            "gen_cpu_pct": round(100 * (gen1 - gen0) / (wall1 - wall0), 1),
            "server_cpu_s": round(srv1 - srv0, 3),
            "server_us_per_delivery": round((srv1 - srv0) * 1e6 / self.received, 2)
            if self.received
            else None,
            "server_rss_mb": round(rss1 / 2**20, 1),
            "wall_s": round(wall1 - wall0, 2),
        }
        if len(self.nodes) > 1:
            out["p50_ms_by_node"] = [_pct(sorted(v), 0.5) for v in self.lat_node]
        if self.pub.replies:
            out["publisher_replies"] = dict(self.pub.replies)
            if self.pub.first_error:
                out["publisher_first_error"] = self.pub.first_error
            self.pub.replies.clear()
        if self.unexpected_closes:
            out["unexpected_closes"] = dict(self.unexpected_closes)
            self.unexpected_closes.clear()
        out.update(extra)
        return out

    async def steady(self, *, rate: float, seconds: float = 0, count: int = 0) -> Json:
        n = count or max(2, round(rate * seconds))
        start = self.snapshot()
        self.open_window(n, reset=True)
        achieved = await self.paced(n, rate)
        await self.drain(timeout=max(3.0, n / rate))
        return self.figures(start, rate=rate, messages=n, achieved_rate=round(achieved, 1))

    async def burst(self, *, bursts: int, size: int, until_stalled_closed: bool = False) -> Json:
        """``bursts`` times: ``size`` messages back to back, then wait until all are delivered."""
        start = self.snapshot()
        sent = 0
        for b in range(bursts):
            self.open_window(size, reset=b == 0)
            for _ in range(size):
                self.publish()
            sent += 1
            await self.drain(timeout=max(10.0, size / 20))
            if not self.done.is_set():
                break
            if until_stalled_closed and not procinfo.server_open(self._stalled_ports()):
                break  # the server dropped every stalled socket: its bound is shown
        return self.figures(start, bursts=sent, size=size)

    def _passes(self, step: Json) -> bool:
        return (
            step["reach"] == 1.0
            and step["p99_ms"] is not None
            and step["p99_ms"] < 250
            and step["achieved_rate"] >= 0.95 * step["rate"]
        )

    async def sweep(self, *, rates: list[float], seconds: float) -> Json:
        steps: list[Json] = []
        best: float | None = None
        failed_at: float | None = None
        todo = list(rates)
        while todo:
            rate = todo.pop(0)
            step = await self.steady(rate=rate, seconds=seconds)
            step["pass"] = self._passes(step)
            steps.append(step)
            try:
                await self.barrier(timeout=20)  # let a backlog drain before the next step
            except SessionError as e:
                step["after"] = str(e)
                break
            if step["pass"]:
                best = rate
            else:
                if failed_at is None and best is not None:
                    todo = [round(math.sqrt(best * rate))]  # one step between pass and fail
                    failed_at = rate
                else:
                    break
        self.best_rate = best
        keep = (
            "rate",
            "achieved_rate",
            "reach",
            "p50_ms",
            "p99_ms",
            "delivered_per_s",
            "gen_cpu_pct",
            "server_us_per_delivery",
            "pass",
        )
        return {
            "best_rate": best,
            "best": next((s for s in steps if s["rate"] == best), None),
            "steps": [{k: s.get(k) for k in keep} for s in steps],
        }

    async def slow(
        self,
        *,
        rate: float = 0,
        seconds: float = 0,
        bursts: int = 0,
        size: int = 0,
        text_bytes: int = payload.SIZE,
    ) -> Json:
        """Designated clients (1%) stop reading; the others get a steady stream or bursts.

        Bursts (each drained by the healthy clients before the next) push more
        messages at the stalled sockets than a steady phase can afford to: enough
        to fill kernel buffers and any bounded outbox, so memory bounds show.
        """
        slow = [self.peers[i] for i in sorted(self.slow_designated) if self.peers[i].live]
        self.slow_closes.clear()
        for p in slow:
            conn = self.conns[p.index]
            assert conn is not None and conn.transport is not None
            p.slow = True
            conn.transport.pause_reading()
        rss0 = procinfo.usage(self.pids)[1]
        got0 = {p.index: p.got for p in slow}
        first = self.next_key
        self.text_bytes = text_bytes
        if bursts:
            out = await self.burst(bursts=bursts, size=size, until_stalled_closed=True)
        else:
            out = await self.steady(rate=rate, seconds=seconds)
        self.text_bytes = payload.SIZE
        out["text_bytes"] = text_bytes
        out["messages"] = self.next_key - first
        out["slow_clients"] = len(slow)
        out["server_rss_growth_mb"] = round((procinfo.usage(self.pids)[1] - rss0) / 2**20, 1)
        ports = self._stalled_ports()
        out["stalled_kernel_kib"] = round(procinfo.tcp_queues(ports) / 1024)
        out["stalled_closed_by_server"] = len(ports - procinfo.server_open(ports))
        out["slow_after_resume"] = await self._resume(slow, last_key=self.next_key - 1)
        out["slow_received"] = [p.got - got0[p.index] for p in slow]
        out["slow_closed_by_server"] = dict(self.slow_closes)
        self.expecting_close = True
        for p in slow:
            conn = self.conns[p.index]
            if conn is not None:
                conn.abort()
        await asyncio.gather(*(c.closed for p in slow if (c := self.conns[p.index])))
        self.expecting_close = False
        return out

    def _stalled_ports(self) -> set[int]:
        return {
            c.transport.get_extra_info("sockname")[1]
            for p in self.peers
            if p.slow and (c := self.conns[p.index]) is not None and not c.closed.done()
        }

    async def _resume(self, slow: list[Peer], *, last_key: int) -> dict[str, int]:
        """Let the stalled clients read again: did the server close them, or hold everything?"""
        loop = asyncio.get_running_loop()
        self.catchup_key = last_key
        waits: list[asyncio.Future[Any]] = []
        for p in slow:
            conn = self.conns[p.index]
            assert conn is not None
            if p.last_key >= last_key or conn.closed.done():
                continue
            self.catchup[p.index] = loop.create_future()
            waits += [self.catchup[p.index], conn.closed]
            conn.transport.resume_reading()
        # Each stalled client either catches up or is closed; wait for one of the two per client.
        deadline = loop.time() + 20
        while any(not f.done() for f in self.catchup.values()) and loop.time() < deadline:
            pending = [f for f in waits if not f.done()]
            await asyncio.wait(
                pending, timeout=deadline - loop.time(), return_when="FIRST_COMPLETED"
            )
            for p in slow:
                conn = self.conns[p.index]
                if conn is not None and conn.closed.done() and p.index in self.catchup:
                    self.catchup.pop(p.index).cancel()
        outcome: dict[str, int] = {}
        for p in slow:
            conn = self.conns[p.index]
            assert conn is not None
            if conn.closed.done():
                what = f"closed {conn.closed.result()}"
            elif p.last_key >= last_key:
                what = "caught up: the server held every message"
            else:
                what = "neither closed nor caught up in 20 s"
            outcome[what] = outcome.get(what, 0) + 1
        self.catchup.clear()
        self.catchup_key = 2**62
        return outcome

    async def idle(self) -> Json:
        rss = procinfo.usage(self.pids)[1]
        before = self.out["rss_before_connect"]
        n = len(self.peers)
        return {
            "sockets": n,
            "rss_before_mb": round(before / 2**20, 1),
            "rss_idle_mb": round(rss / 2**20, 1),
            "kib_per_socket": round((rss - before) / n / 1024, 2),
        }

    async def reconnect(self, *, window: float, gap: int, after: int, rate: float) -> Json:
        """Drop every socket, publish while they are gone, bring all back within ``window``."""
        loop = asyncio.get_running_loop()
        warm = await self.steady(rate=rate, count=gap)
        self.expecting_close = True
        live = [p for p in self.peers if p.live]
        for p in live:
            conn = self.conns[p.index]
            assert conn is not None
            conn.abort()
        async with asyncio.timeout(30):
            await asyncio.gather(*(c.closed for p in live if (c := self.conns[p.index])))
        self.expecting_close = False
        # Missed messages: published while the sockets are gone and while they come back.
        start = self.snapshot()
        self.open_window(0, reset=True, audience=0)
        self.hi = 2**62  # until the storm is over, everything published is "missed"
        await self.paced(gap, rate)
        t0 = loop.time()
        times: list[float] = []
        errors: list[str] = []

        async def back(i: int, peer: Peer) -> None:
            due = t0 + i * window / len(live)
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)  # spreading the storm over the window
            try:
                await self.open(peer, since=peer.seq if self.dialect.resumes else None)
                times.append(loop.time() - due)
            except (ConnectionError, OSError, TimeoutError) as e:
                errors.append(repr(e))

        storm = asyncio.gather(*(back(i, p) for i, p in enumerate(live)))
        interval = 1 / rate
        while not storm.done() and loop.time() - t0 < 60:
            self.publish()
            try:
                await asyncio.wait_for(asyncio.shield(storm), interval)
            except TimeoutError:
                pass
        await storm
        all_back = loop.time() - t0
        missed = self.next_key - self.lo
        self.hi = self.next_key - 1
        replay: Json | None = None
        if self.dialect.resumes:
            self.expected = missed * sum(1 for p in live if p.live)
            self.done.clear()
            if self.received >= self.expected:
                self.done.set()
            await self.drain(timeout=30)
            replay = self.figures(start, messages=missed)
        lat_times = sorted(int(t * 1e6) for t in times)
        after_fig = await self.steady(rate=rate, count=after)
        return {
            "sockets": len(live),
            "window_s": window,
            "back_p50_ms": _pct(lat_times, 0.5),
            "back_p95_ms": _pct(lat_times, 0.95),
            "back_p99_ms": _pct(lat_times, 0.99),
            "all_back_s": round(all_back, 2),
            "failed": len(errors),
            "first_error": errors[0] if errors else None,
            "missed_messages": missed,
            "replay_reach": replay["reach"] if replay else None,
            "replay": replay,
            "warm": warm,
            "after": after_fig,
            "reach": after_fig["reach"],
        }

    # ---------------------------------------------------------------- session

    async def run(self) -> Json:
        if self.kind == "yishi":
            self.stage = "creating the room and joining"
            await self.setup_yishi()
        self.stage = "opening the publisher"
        await self.open(self.pub)
        if self.kind == "yishi":
            self.stage = "starting the session"
            await self.start_session_yishi()
        self.out["rss_before_connect"] = procinfo.usage(self.pids)[1]
        self.stage = "opening the sockets"
        start = self.snapshot()
        self.out["connect_s"] = round(await self.open_all(self.peers), 2)
        _, gen, srv, _ = self.snapshot()
        self.out["connect_gen_cpu_s"] = round(gen - start[1], 2)
        self.out["connect_server_cpu_s"] = round(srv - start[2], 2)
        self.stage = "waiting for a quiet room"
        self.out["settle_s"] = round(await self.settle(quiet=1.5 if self.kind == "yishi" else 0), 2)
        for phase in self.spec["phases"]:
            name = phase["name"]
            self.stage = f"phase {name}"
            kind = phase["type"]
            args = {k: v for k, v in phase.items() if k not in ("name", "type", "compare")}
            if args.get("rate") == "half":
                if self.best_rate is None:
                    self.out["phases"][name] = {"error": "no passing sweep step to halve"}
                    continue
                args["rate"] = self.best_rate / 2
            fig = await getattr(self, kind)(**args)
            if "compare" in phase:
                fig["compare"] = phase["compare"]
            self.out["phases"][name] = fig
            if kind not in ("idle", "reconnect"):
                await self.barrier()
        return self.out

    async def close(self) -> None:
        self.expecting_close = True
        for conn in [*self.conns, self.pub_conn]:
            if conn is not None:
                conn.abort()


async def _main(spec: Json) -> Json:
    gen = Generator(spec)
    try:
        async with asyncio.timeout(float(spec.get("timeout", 300))):
            return await gen.run()
    except (SessionError, ConnectionError, OSError, TimeoutError) as e:
        gen.out["error"] = f"{gen.stage}: {type(e).__name__}" + (f": {e}" if str(e) else "")
        return gen.out
    finally:
        await gen.close()


def main() -> None:
    spec_path, out_path = sys.argv[1], sys.argv[2]
    with open(spec_path) as f:
        spec = json.load(f)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        import uvloop

        out = uvloop.run(_main(spec))
        out["generator"] = "python asyncio + uvloop"
    except ImportError:
        out = asyncio.run(_main(spec))
        out["generator"] = "python asyncio"
    with open(out_path, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
