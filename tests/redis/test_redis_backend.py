"""What the Redis backend adds to the common contract (tests/backends): one clock for
all nodes, the key layout, the repair path, Redis going away and coming back,
and node heartbeats. Real redis-server processes; several backends in one
process play several nodes.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from redisserver import RedisServer, free_port
from yishi.backends import BackendUnavailable
from yishi.backends.redis.backend import RedisBackend
from yishi.backends.redis.keys import APPEND, durable_key, log_key, seq_key
from yishi.core.types import Entry

WAIT = 10.0


def wall() -> int:
    return time.time_ns() // 1_000_000


class Heard:
    """A listener that records what it hears, per room, and can be waited on."""

    def __init__(self) -> None:
        self.entries: dict[str, list[Entry]] = {}
        self._changed = asyncio.Event()

    def __call__(self, room: str, entry: Entry) -> None:
        self.entries.setdefault(room, []).append(entry)
        self._changed.set()

    def seqs(self, room: str) -> list[int]:
        return [e.seq for e in self.entries.get(room, [])]

    async def until(self, done: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
        async def wait() -> None:
            while not done():
                self._changed.clear()
                await self._changed.wait()

        try:
            await asyncio.wait_for(wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}: heard {self.entries}") from None


@asynccontextmanager
async def backends(
    server: RedisServer, count: int, **options: Any
) -> AsyncIterator[list[RedisBackend]]:
    opened = [RedisBackend(url=server.url, clock=wall, **options) for _ in range(count)]
    for b in opened:
        await b.start()
    try:
        yield opened
    finally:
        for b in opened:
            await b.close()


@pytest.fixture
def fresh(redis_server: RedisServer) -> RedisServer:
    redis_server.flush()
    return redis_server


async def eventually(probe: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    """Poll ``probe`` (an async call) until it returns something truthy; for conditions
    that no event announces, such as Redis accepting connections again."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = await probe()
            if value:
                return value
        except BackendUnavailable:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def test_entries_are_stamped_with_redis_time_not_the_node_clock(fresh: RedisServer) -> None:
    async with backends(fresh, 1) as [b]:
        b._clock = lambda: 5
        with fresh.client() as raw:
            seconds, micros = raw.time()
        before = seconds * 1000 + micros // 1000
        entries = [await b.append("r", "tick") for _ in range(5)]
        assert all(e.at >= before for e in entries)
        assert all(e.at - before < 5_000 for e in entries)
        assert [e.at for e in entries] == sorted(e.at for e in entries)


async def test_key_layout_and_channel(fresh: RedisServer) -> None:
    async with backends(fresh, 1) as [b]:
        with fresh.client() as raw:
            sub = raw.pubsub()
            sub.subscribe("yishi:{room-1}:ch")
            assert sub.get_message(timeout=5)["type"] == "subscribe"
            entry = await b.append("room-1", "chat.send", actor="p1", args={"text": "你好"})
            published = sub.get_message(timeout=5)
            sub.close()
            assert published is not None
            seq, at, body = published["data"].split(b" ", 2)
            assert (int(seq), int(at)) == (entry.seq, entry.at)
            assert raw.type("yishi:{room-1}:seq") == b"string"
            assert raw.get("yishi:{room-1}:seq") == b"1"
            assert raw.type("yishi:{room-1}:log") == b"stream"
            [(row_id, fields)] = raw.xrange("yishi:{room-1}:log")
            assert row_id == b"1-0" and fields == {b"a": str(entry.at).encode(), b"b": body}
            assert raw.smembers("yishi:rooms") == {b"room-1"}
            await b.save_snapshot("room-1", 1, b"\x00state")
            assert raw.hgetall("yishi:{room-1}:snap") == {b"seq": b"1", b"blob": b"\x00state"}
            assert raw.exists(f"yishi:node:{b.node_id}")
            assert 0 < raw.pttl(f"yishi:node:{b.node_id}") <= b.node_ttl_s * 1000


async def test_a_lost_pubsub_message_is_read_from_the_stream(fresh: RedisServer) -> None:
    async with backends(fresh, 2) as [a, b]:
        heard = Heard()
        b.subscribe(heard)
        await a.append("r", "tick")
        # Entry 2 is stored but its message goes elsewhere: what a dropped
        # pub/sub message looks like to the other nodes.
        with fresh.client() as raw:
            raw.eval(
                APPEND,
                3,
                seq_key("r"),
                log_key("r"),
                durable_key("r"),
                b"\x82\xa4kind\xa4tick\xa4args\x80",
                "yishi:{r}:nowhere",
                "",
                "0",
            )
        await a.append("r", "tick")
        await heard.until(lambda: heard.seqs("r") == [1, 2, 3], "seq 1..3 on b")
        assert b.repair_reads >= 1
        assert heard.entries["r"] == await b.read("r")


async def test_a_lost_last_message_is_found_without_waiting_for_the_next(
    fresh: RedisServer,
) -> None:
    async with backends(fresh, 2) as [a, b]:
        heard = Heard()
        b.subscribe(heard)
        await a.append("r", "tick")
        with fresh.client() as raw:  # the last entry of a burst, its message dropped
            raw.eval(
                APPEND,
                3,
                seq_key("r"),
                log_key("r"),
                durable_key("r"),
                b"\x82\xa4kind\xa4tick\xa4args\x80",
                "yishi:{r}:nowhere",
                "",
                "0",
            )
        await heard.until(lambda: heard.seqs("r") == [1, 2], "the lost entry", timeout=5)


async def test_pubsub_reconnect_rereads_what_it_missed(fresh: RedisServer) -> None:
    async with backends(fresh, 2) as [a, b]:
        heard = Heard()
        b.subscribe(heard)
        for _ in range(5):
            await a.append("r", "tick")
        await heard.until(lambda: len(heard.seqs("r")) == 5, "the first 5")
        with fresh.client() as raw:
            killed = raw.client_kill_filter(_type="pubsub")
        assert killed == 2
        for _ in range(20):
            await a.append("r", "tick")
        await a.append("new-room", "tick")  # a room created while b was deaf
        await heard.until(
            lambda: heard.seqs("r") == list(range(1, 26)) and heard.seqs("new-room") == [1],
            "everything, once, in order",
        )
        assert b.reconnects >= 1


async def test_many_nodes_appending_at_once_agree_on_one_order(fresh: RedisServer) -> None:
    async with backends(fresh, 3) as nodes:
        heard = [Heard() for _ in nodes]
        for node, listener in zip(nodes, heard):
            node.subscribe(listener)
        await asyncio.gather(
            *(
                node.append("hot" if i % 4 else "cold", "tick", args={"n": n, "i": i})
                for i in range(200)
                for n, node in enumerate(nodes)
            )
        )
        stored = {room: await nodes[0].read(room) for room in ("hot", "cold")}
        assert len(stored["hot"]) == 450 and len(stored["cold"]) == 150
        for listener in heard:
            await listener.until(
                lambda lst=listener: len(lst.seqs("hot")) == 450 and len(lst.seqs("cold")) == 150,
                "all entries",
            )
            assert listener.entries == stored
        # Each node's own appends were numbered in the order it made them.
        for n in range(3):
            mine = [e.args["i"] for e in stored["hot"] if e.args["n"] == n]
            assert mine == sorted(mine)


async def test_redis_restart_loses_nothing_acknowledged_and_everything_recovers(
    own_redis: RedisServer,
) -> None:
    async with backends(own_redis, 2) as [a, b]:
        heard = Heard()
        b.subscribe(heard)
        acknowledged = [await a.append("r", "tick", args={"i": i}) for i in range(30)]
        own_redis.stop(signal.SIGKILL)  # no goodbye: only what was fsynced survives

        started = time.monotonic()
        with pytest.raises(BackendUnavailable):
            await a.append("r", "tick", args={"i": "lost"})
        with pytest.raises(BackendUnavailable):
            await b.ping()
        with pytest.raises(BackendUnavailable):
            await b.read("r")
        assert time.monotonic() - started < 3.0, "Redis down must fail fast, not hang"

        own_redis.start()
        await eventually(lambda: a.append("r", "tick", args={"i": "after"}), "appends again")
        await eventually(lambda: _ready(b), "b ready: Redis answers and b is subscribed again")
        stored = await b.read("r")
        assert stored[:30] == acknowledged
        await heard.until(lambda: heard.seqs("r") == [e.seq for e in stored], "b converges")
        assert heard.entries["r"] == stored
        await a.append("r", "tick")  # and pub/sub works again, both ways
        await b.append("r", "tick")
        await heard.until(lambda: len(heard.seqs("r")) == len(stored) + 2, "two more")


async def test_a_hung_redis_fails_commands_within_the_timeouts(own_redis: RedisServer) -> None:
    async with backends(own_redis, 1) as [a]:
        await a.append("r", "tick")
        assert own_redis.proc is not None
        own_redis.proc.send_signal(signal.SIGSTOP)
        try:
            started = time.monotonic()
            with pytest.raises(BackendUnavailable):
                await a.ping()
            assert time.monotonic() - started < 4.0
            started = time.monotonic()
            with pytest.raises(BackendUnavailable):
                await a.append("r", "tick")
            assert time.monotonic() - started < 12.0
        finally:
            own_redis.proc.send_signal(signal.SIGCONT)
        await eventually(lambda: a.append("r", "tick"), "appends again")
        seqs = [e.seq for e in await a.read("r")]
        assert seqs == list(range(1, len(seqs) + 1))


async def test_start_fails_fast_without_redis() -> None:
    backend = RedisBackend(url=f"redis://127.0.0.1:{free_port()}/0", clock=wall)
    started = time.monotonic()
    with pytest.raises(BackendUnavailable):
        await backend.start()
    assert time.monotonic() - started < 3.0
    with pytest.raises(BackendUnavailable):
        await backend.ping()


async def test_heartbeats_keep_a_node_alive_and_a_silent_one_expires(fresh: RedisServer) -> None:
    # The TTL leaves the heartbeat (every TTL/3) a whole second of stalled event loop
    # before `a` would lapse: a loaded machine must not fail this test.
    ttl_s = 1.5
    async with backends(fresh, 2, node_ttl_s=ttl_s) as [a, b]:
        with fresh.client() as raw:
            raw.set("yishi:node:ghost", "1", px=300)
            raw.zadd("yishi:nodes", {"ghost": wall()})
        assert await b.alive_nodes() == {a.node_id, b.node_id, "ghost"}
        await eventually(lambda: _lacks(b, "ghost"), "the ghost's heartbeat to expire")
        # The passing of time is what is under test: after 2.5 TTLs only the heartbeat
        # task keeps `a` listed.
        await asyncio.sleep(2.5 * ttl_s)
        assert await b.alive_nodes() == {a.node_id, b.node_id}
        await a.close()
        assert await b.alive_nodes() == {b.node_id}  # a clean close is noticed at once


async def _ready(backend: RedisBackend) -> bool:
    await backend.ping()
    return True


async def _lacks(backend: RedisBackend, node: str) -> bool:
    return node not in await backend.alive_nodes()


def test_node_ttl_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YISHI_NODE_TTL", "2.5")
    assert RedisBackend(url="redis://127.0.0.1:1/0", clock=wall).node_ttl_s == 2.5
    monkeypatch.delenv("YISHI_NODE_TTL")
    assert RedisBackend(url="redis://127.0.0.1:1/0", clock=wall).node_ttl_s == 10.0
    monkeypatch.setenv("YISHI_NODE_TTL", "soon")
    with pytest.raises(ValueError, match="YISHI_NODE_TTL"):
        RedisBackend(url="redis://127.0.0.1:1/0", clock=wall)


async def test_racing_nodes_share_one_secret(fresh: RedisServer) -> None:
    async with backends(fresh, 3) as nodes:
        values = await asyncio.gather(
            *(
                node.get_or_create_secret("token_secret", lambda n=n: f"secret-of-{n}")
                for n, node in enumerate(nodes)
            )
        )
        assert len(set(values)) == 1 and values[0].startswith("secret-of-")
