"""The load generator's machinery: sockets, the publisher, and what each client received.

A :class:`Generator` holds one session's sockets to one server under test (spread
over its nodes) and a publisher socket (B0: ``/pub``; B1: a Socket.IO client;
Yishi: the moderator). Each message carries its key and publish time
(bench.payload); each client records end-to-end latency against this machine's
shared wall clock. A *window* of keys is what a phase measures; a *barrier* is a
message every reading client must receive before the generator goes on (rooms
are ordered, so it follows everything published before it). Phases live in
bench.workloads; the entry point is bench.loadgen. Every wait has a deadline.
"""

from __future__ import annotations

import asyncio
import math
import resource
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


def pct(sorted_us: list[int], q: float) -> float | None:
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
        conn = await self.connect(peer, since=since)
        if peer.publisher:
            self.pub_conn = conn
        else:
            self.conns[peer.index] = conn
            peer.live = True
            conn.closed.add_done_callback(lambda f: self._on_close(peer, conn, f.result()))

    async def connect(self, peer: Peer, *, since: int | None = None) -> Any:
        """A connection for ``peer``, once the server has said it is ready (hello answered)."""
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
        return conn

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
        self.invite_code: str = room["invite_code"]
        self.pub.cred = room["moderator_token"]
        # Memory per joined resident starts here: the room exists, nobody has joined.
        self.out["rss_before_join"] = procinfo.usage(self.pids)[1]
        t0 = time.perf_counter()
        await self.join_yishi(self.peers)
        self.out["join_s"] = round(time.perf_counter() - t0, 2)

    async def join_yishi(self, peers: list[Peer]) -> None:
        """Each peer joins the room with the invite code (``peer.cred`` gets its token)."""
        host, port = self.nodes[0]
        assert isinstance(self.dialect, Yishi)
        dialect = self.dialect
        sem = asyncio.Semaphore(32)

        async def join(peer: Peer) -> None:
            a = abs(peer.index) // JOINS_PER_ADDRESS
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
                    body={"invite": self.invite_code, "name": name},
                    local_addr=addr,
                )
            if st not in (200, 201) or not isinstance(got, dict):
                raise SessionError(f"join answered {st}: {str(got)[:300]}")
            peer.cred = got["token"]

        await asyncio.gather(*(join(p) for p in peers))

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
        if self.pub_conn.closed.done():
            # Without this, a dead publisher would read as "no client got anything".
            raise SessionError(
                f"the publisher's socket was closed ({self.pub_conn.closed.result()})"
            )
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
            "p50_ms": pct(lat, 0.50),
            "p95_ms": pct(lat, 0.95),
            "p99_ms": pct(lat, 0.99),
            "max_ms": pct(lat, 1.0),
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
            out["p50_ms_by_node"] = [pct(sorted(v), 0.5) for v in self.lat_node]
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

    async def close(self) -> None:
        self.expecting_close = True
        for conn in [*self.conns, self.pub_conn]:
            if conn is not None:
                conn.abort()
