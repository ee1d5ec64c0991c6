"""The Redis backend on a six-process Redis Cluster, in process: each room lives on
one shard, its traffic (entries and audio, by SPUBLISH) goes through that shard
only, a node hears the rooms it asked about from their shard, and follows a
room whose slot moves to another master.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from redis.crc import key_slot
from redisclusterserver import ClusterMember, RedisClusterServer, flush_cluster, start_cluster
from yishi.backends import BackendUnavailable, backend_from_url
from yishi.backends.redis.backend import RedisBackend
from yishi.backends.redis.cluster_link import parse_cluster_url


def clock() -> int:
    return time.time_ns() // 1_000_000


def slot_of(room_id: str) -> int:
    return key_slot(f"yishi:{{{room_id}}}:ch".encode())


def rooms_on_every_master(server: RedisClusterServer, per_master: int) -> dict[int, list[str]]:
    """Room ids, ``per_master`` of them on each master (keyed by its port)."""
    wanted: dict[int, list[str]] = {m.port: [] for m in server.masters()}
    owners = {
        slot: server.owner(slot).port for slot in {slot_of(f"shard-room-{i}") for i in range(200)}
    }
    for i in range(200):
        room = f"shard-room-{i}"
        port = owners[slot_of(room)]
        if len(wanted[port]) < per_master:
            wanted[port].append(room)
    assert all(len(rooms) == per_master for rooms in wanted.values()), wanted
    return wanted


def calls(member: ClusterMember, command: str) -> int:
    stats = member.info("commandstats").get(f"cmdstat_{command}")
    return int(stats["calls"]) if stats else 0


async def until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@pytest.fixture
async def two_nodes(
    redis_cluster_server: RedisClusterServer,
) -> AsyncIterator[tuple[RedisBackend, RedisBackend]]:
    flush_cluster(redis_cluster_server)
    a = RedisBackend(url=redis_cluster_server.url, clock=clock, node_id="node-a")
    b = RedisBackend(url=redis_cluster_server.url, clock=clock, node_id="node-b")
    await a.start()
    await b.start()
    yield a, b
    await a.close()
    await b.close()


async def test_a_node_hears_the_rooms_it_asked_about_from_their_shard(
    two_nodes: tuple[RedisBackend, RedisBackend],
) -> None:
    a, b = two_nodes
    heard: list[tuple[str, int]] = []
    b.subscribe(lambda room, entry: heard.append((room, entry.seq)))
    await a.append("asked", "tick")
    await a.append("not-asked", "tick")
    assert await b.last_seq("asked") == 1  # b hosts "asked" from here on
    for _ in range(3):
        await a.append("asked", "tick")
        await a.append("not-asked", "tick")
    await until(lambda: len(heard) == 3, "b hears the three entries of the room it asked about")
    assert heard == [("asked", 2), ("asked", 3), ("asked", 4)]
    assert (await b.append("asked", "tick")).seq == 5
    assert await b.room_ids() == ["asked", "not-asked"]
    # What b subscribed: the room it asked about and the one it appended to, nothing else.
    assert sorted(r for rooms in b.shard_rooms.values() for r in rooms) == ["asked"]


async def test_rooms_land_on_every_shard_and_their_traffic_stays_on_it(
    redis_cluster_server: RedisClusterServer,
    two_nodes: tuple[RedisBackend, RedisBackend],
) -> None:
    a, b = two_nodes
    server = redis_cluster_server
    by_master = rooms_on_every_master(server, per_master=2)
    masters = {m.port: m for m in server.masters()}
    assert len(masters) == 3
    heard: list[tuple[str, int]] = []
    audio: list[tuple[str, bytes]] = []
    b.subscribe(lambda room, entry: heard.append((room, entry.seq)))
    b.subscribe_audio(lambda room, frame: audio.append((room, frame)))
    for rooms in by_master.values():
        for room in rooms:
            await a.append(room, "room.create")
            assert await b.last_seq(room) == 1
    # Each master carries the channels of its own rooms, and of no other room.
    for port, rooms in by_master.items():
        with masters[port].client() as c:
            channels = {ch.decode() for ch in c.execute_command("PUBSUB SHARDCHANNELS")}
        assert channels == {f"yishi:{{{r}}}:{kind}" for r in rooms for kind in ("ch", "au")}

    before = {port: (calls(m, "spublish"), calls(m, "publish")) for port, m in masters.items()}
    sent: dict[int, int] = {}
    for n, (port, rooms) in enumerate(sorted(by_master.items())):
        count = 5 * (n + 1)  # a different number per shard
        for i in range(count):
            await a.append(rooms[i % 2], "tick")
        a.publish_audio(rooms[0], b"frame-%d" % n)
        sent[port] = count + 1  # the entries and the frame
    entries = sum(sent.values()) - len(sent)
    await until(lambda: len(heard) == entries and len(audio) == 3, "b hears every entry and frame")
    for port, m in masters.items():
        spublish, publish = calls(m, "spublish"), calls(m, "publish")
        assert spublish - before[port][0] == sent[port], f"master {port}"
        assert publish == before[port][1], "classic PUBLISH would reach every shard"
    assert sorted(audio) == sorted(
        (rooms[0], b"frame-%d" % n) for n, (_, rooms) in enumerate(sorted(by_master.items()))
    )


def migrate_slot(
    server: RedisClusterServer, slot: int, target: ClusterMember, *, keys_at_once: int = 100
) -> None:
    """Move one slot and its keys to ``target``, the way ``redis-cli --cluster reshard``
    does it, one slot at a time, ``keys_at_once`` keys per ``MIGRATE`` (fewer: longer
    while a room's keys are split between the two masters)."""
    source = server.owner(slot)
    with source.client() as src, target.client() as dst:
        src_id = src.execute_command("CLUSTER MYID").decode()
        dst_id = dst.execute_command("CLUSTER MYID").decode()
        dst.execute_command("CLUSTER SETSLOT", slot, "IMPORTING", src_id)
        src.execute_command("CLUSTER SETSLOT", slot, "MIGRATING", dst_id)
        while names := src.execute_command("CLUSTER GETKEYSINSLOT", slot, keys_at_once):
            src.execute_command("MIGRATE", "127.0.0.1", target.port, "", 0, 5000, "KEYS", *names)
        for member in server.masters():
            with member.client() as c:
                c.execute_command("CLUSTER SETSLOT", slot, "NODE", dst_id)
    server.wait_ok()


async def test_a_room_whose_slot_moves_is_followed_to_its_new_master(tmp_path: Path) -> None:
    server = await asyncio.to_thread(start_cluster, tmp_path / "cluster")
    a = RedisBackend(url=server.url, clock=clock, node_id="node-a")
    b = RedisBackend(url=server.url, clock=clock, node_id="node-b")
    try:
        await a.start()
        await b.start()
        heard: list[int] = []
        b.subscribe(lambda room, entry: heard.append(entry.seq))
        await a.append("moving", "room.create")
        assert await b.last_seq("moving") == 1
        for _ in range(3):
            await a.append("moving", "tick")
        await until(lambda: heard == [2, 3, 4], "b hears the room on its first master")
        slot = slot_of("moving")
        before = server.owner(slot)
        target = next(m for m in server.masters() if m.port != before.port)
        await asyncio.to_thread(migrate_slot, server, slot, target)

        async def append_once_moved() -> int:
            while True:
                try:
                    return int((await a.append("moving", "tick")).seq)
                except BackendUnavailable:  # MOVED: not stored; the map is learnt again
                    continue

        assert await append_once_moved() == 5
        assert await append_once_moved() == 6
        await until(lambda: heard == [2, 3, 4, 5, 6], "b hears the room on its new master")
        assert b.shard_rooms.get(f"127.0.0.1:{target.port}") == {"moving"}
        assert b.reconnects >= 1
        assert [e.seq for e in await b.read("moving")] == [1, 2, 3, 4, 5, 6]
    finally:
        await a.close()
        await b.close()
        server.stop()


def test_cluster_urls_name_seeds_credentials_and_the_replicas_to_wait_for() -> None:
    parsed = parse_cluster_url("redis+cluster://user:p%40ss@10.0.0.1:7000,10.0.0.2:7001?wait=0")
    assert parsed.seeds == [("10.0.0.1", 7000), ("10.0.0.2", 7001)]
    assert (parsed.username, parsed.password, parsed.wait) == ("user", "p@ss", 0)
    assert parse_cluster_url("redis+cluster://h").seeds == [("h", 6379)]
    assert parse_cluster_url("redis+cluster://h:1").wait == 1
    backend = backend_from_url("redis+cluster://h:1,h:2", clock=clock, node_id="n")
    assert isinstance(backend, RedisBackend) and backend.cluster
    for bad in ("redis+cluster://", "redis+cluster://h:port", "redis+cluster://h:1?wait=all"):
        with pytest.raises(ValueError):
            backend_from_url(bad, clock=clock)


async def test_a_released_room_is_unsubscribed_and_heard_again_when_asked_about(
    redis_cluster_server: RedisClusterServer,
    two_nodes: tuple[RedisBackend, RedisBackend],
) -> None:
    a, b = two_nodes
    master = redis_cluster_server.owner(slot_of("released"))
    heard: list[tuple[str, int]] = []
    b.subscribe(lambda room, entry: heard.append((room, entry.seq)))

    def subscribers() -> int:
        with master.client() as c:
            [(_, count)] = c.pubsub_shardnumsub("yishi:{released}:ch")
        return int(count)

    await a.append("released", "room.create")  # a subscribes: it appended to the room
    assert await b.last_seq("released") == 1
    assert subscribers() == 2
    b.release("released")  # b unloaded the room
    await until(
        lambda: (
            subscribers() == 1 and not any("released" in rooms for rooms in b.shard_rooms.values())
        ),
        "b's subscription released",
    )
    await a.append("released", "tick")
    assert await b.last_seq("released") == 2  # asked again: heard again
    assert subscribers() == 2
    await a.append("released", "tick")
    await until(lambda: ("released", 3) in heard, "b hears the room again")
    assert ("released", 2) not in heard, "released, b heard nothing of the room"
