"""The failover that loses what it never showed: issue 24's experiment on a real
3+3 cluster. The replica of a room's master is made to lag (``CLIENT PAUSE ... ALL``:
it reads the replication stream and applies none of it), residents send twenty
messages, the master is SIGKILLed, the replica promoted (``CLUSTER FAILOVER
TAKEOVER``), and residents go on, resending what was refused with its nonce.

Then, against the promoted replica's own stream (the final log):

* no client ever held an entry the final log lacks (no phantom);
* no seq has two contents (every client agrees with a node that loads the room
  from the final log);
* every acknowledged message is in the log;
* every client converges to the log: the session's end reaches everyone.

``fresh``: the nodes start on a cluster created moments before, when its replicas
are not in ``CLUSTER SLOTS`` yet (they are listed once they hold data).
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

import msgpack
import pytest
import redis
from redis.crc import key_slot
from redisclusterserver import ClusterMember, RedisClusterServer, start_cluster
from roomclient import Client, Json
from test_redis_failures import _ok, until
from yishinodes import Cluster, public, wait_all

PAUSE_MS = 12_000  # the replica's lag: long enough for twenty refused sends, then the kill
LAGGING = 20
SLOTS_TIMEOUT_S = 40.0


def slot_of(room_id: str) -> int:
    return key_slot(f"yishi:{{{room_id}}}:ch".encode())


def replicas_in_slot_map(server: RedisClusterServer) -> None:
    """Until every master's replica is in ``CLUSTER SLOTS`` (it is once it holds data)."""
    deadline = time.monotonic() + SLOTS_TIMEOUT_S
    for master in server.masters():
        with master.client() as c:
            # A key of one of its own slots (any will do): the replicas' offsets move.
            slot = next(
                int(r[0]) for r in c.execute_command("CLUSTER SLOTS") if int(r[2][1]) == master.port
            )
            c.set(_key_in(slot), "x")
    while True:
        with server.members[0].client() as c:
            ranges = c.execute_command("CLUSTER SLOTS")
        if all(len(r) >= 4 for r in ranges):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"replicas never listed in CLUSTER SLOTS: {ranges}")
        time.sleep(0.2)  # gossip has no event to wait on from outside


def _key_in(slot: int) -> str:
    return next(f"warm-{i}" for i in range(100_000) if key_slot(f"warm-{i}".encode()) == slot)


def stream_texts(member: ClusterMember, room_id: str) -> list[str]:
    """The chat texts of the room's stored log on ``member`` (the final log)."""
    with member.client() as c:
        rows = c.xrange(f"yishi:{{{room_id}}}:log")
    texts = []
    for _, fields in rows:
        record = msgpack.unpackb(fields[b"b"], raw=False)
        if record["kind"] == "chat.send":
            texts.append(record["args"]["text"])
    return texts


def promote_by_takeover(server: RedisClusterServer, replica: ClusterMember) -> None:
    """``CLUSTER FAILOVER TAKEOVER`` (it runs once the replica's pause is over; by then
    the cluster may have promoted it on its own, and the command is refused)."""
    with replica.client() as c:
        try:
            c.execute_command("CLUSTER FAILOVER TAKEOVER")
        except redis.exceptions.ResponseError:
            if replica.role() != "master":
                raise
    deadline = time.monotonic() + PAUSE_MS / 1000 + 20
    while replica.role() != "master":
        if time.monotonic() > deadline:
            raise AssertionError(f"replica {replica.port} not promoted:\n{server.log_tail()}")
        time.sleep(0.05)  # a role change has no event to wait on from outside
    server.wait_ok()


def lag_of(master: ClusterMember) -> int:
    """How far the master's replication offset is ahead of what its replica applied."""
    info = master.info("replication")
    return int(info["master_repl_offset"]) - int(info["slave0"]["offset"])


def chats(client: Client) -> list[tuple[int, str]]:
    return [(e["seq"], e["data"]["text"]) for e in client.events if e["type"] == "chat.posted"]


async def gather_room(
    cluster: Cluster, room: Json, *, residents: int
) -> tuple[Client, list[Client], list[Client]]:
    """The moderator on node 0, then residents and a watcher on each of three nodes."""
    mod = await cluster.connect(0, room["moderator_token"], label="mod")
    people = [
        await cluster.connect(
            i % 3, (await cluster.join(i % 3, room, f"居民{i}")).token, label=f"r{i}"
        )
        for i in range(residents)
    ]
    watchers = [
        await cluster.connect(
            i, (await cluster.join(i, room, f"旁听{i}", observer=True)).token, label=f"w{i}"
        )
        for i in range(3)
    ]
    return mod, people, watchers


async def converged_to_log(
    cluster: Cluster, room: Json, clients: list[Client], log: list[str]
) -> Client:
    """Check every client against a new node (the next one) that loads the room from
    the log (``log``: its chat texts) once the session ended: no phantom, no seq with
    two contents, every client converged. Returns that node's client."""
    cluster.start(1)
    reference = await cluster.connect(
        len(cluster.nodes) - 1, room["moderator_token"], label="reference", since=0
    )
    await reference.wait_event("session.ended", timeout=30)
    by_seq = {seq: (kind, data) for seq, kind, data in public(reference)}
    for client in clients:
        held = {text for _, text in chats(client)}
        assert held <= set(log), f"{client.label} holds phantoms: {sorted(held - set(log))}"
        for seq, kind, data in public(client):
            assert by_seq.get(seq) == (kind, data), f"{client.label}: seq {seq} is two things"
        welcome: Json = client.welcome or {}
        assert public(client, after=welcome["seq"]) == public(reference, after=welcome["seq"]), (
            f"{client.label} did not converge to the log"
        )
        assert not client.order_problems()
    return reference


@pytest.mark.parametrize("fresh", [False, True], ids=["settled", "fresh"])
async def test_a_replica_promoted_behind_its_dead_master_leaves_no_phantom(
    tmp_path: Path,
    fresh: bool,
) -> None:
    server = await asyncio.to_thread(start_cluster, tmp_path / "cluster")
    cluster = Cluster(server, tmp_path)
    try:
        await _experiment(server, cluster, fresh=fresh)
    finally:
        await cluster.aclose()
        server.stop()


async def _experiment(server: RedisClusterServer, cluster: Cluster, *, fresh: bool) -> None:
    if not fresh:
        await asyncio.to_thread(replicas_in_slot_map, server)
    cluster.start(3)
    room = await cluster.create_room(node=0)
    room_id = room["room_id"]
    master = server.owner(slot_of(room_id))
    replica = server.replica_of(master)
    mod, residents, watchers = await gather_room(cluster, room, residents=9)
    clients = [mod, *residents, *watchers]
    await mod.ok("session.start")
    acknowledged: list[str] = []
    for i, resident in enumerate(residents):
        await resident.ok("chat.send", text=f"故障前{i}")
        acknowledged.append(f"故障前{i}")
    await wait_all(clients, "chat.posted", lambda d: d["text"] == "故障前8", timeout=20)

    with replica.client() as c:
        c.execute_command("CLIENT", "PAUSE", PAUSE_MS, "ALL")
    paused_at = time.monotonic()

    senders = [*residents, mod]  # two each: each socket's commands are answered in turn

    async def send_lagging(i: int) -> tuple[int, Any]:
        reply = await senders[i % 10].call(
            "chat.send", text=f"故障中{i}", _nonce=f"lag-{i}", _timeout=20
        )
        return i, reply

    refused: list[int] = []
    for i, reply in await asyncio.gather(*(send_lagging(i) for i in range(LAGGING))):
        if reply.ok:
            acknowledged.append(f"故障中{i}")
        else:
            assert reply.code == "unavailable", reply.raw
            refused.append(i)
    assert len(refused) == LAGGING, "none is durable while the replica lags"
    assert time.monotonic() - paused_at < PAUSE_MS / 1000 - 2, "the pause ended too soon"
    assert lag_of(master) > 0, "the replica was meant to lack the lagging entries"
    await asyncio.to_thread(master.stop, signal.SIGKILL)
    await asyncio.to_thread(promote_by_takeover, server, replica)

    for i in refused:  # resent with its nonce, as the protocol says
        client = senders[i % 10]
        await until(
            lambda c=client, i=i: _ok(c.call("chat.send", text=f"故障中{i}", _nonce=f"lag-{i}")),
            "the room goes on",
            timeout=30,
        )
        acknowledged.append(f"故障中{i}")
    for i in range(10):
        await residents[i % 9].ok("chat.send", text=f"故障后{i}")
        acknowledged.append(f"故障后{i}")
    await mod.ok("session.end")
    await wait_all(clients, "session.ended", timeout=30)

    log = stream_texts(replica, room_id)
    assert set(acknowledged) <= set(log), f"lost: {sorted(set(acknowledged) - set(log))}"
    # A node that never saw the old master: the room from the final log.
    reference = await converged_to_log(cluster, room, clients, log)
    posted = [text for _, text in chats(reference)]
    assert len(posted) == len(set(posted)), "a message resent with its nonce is shown once"
    for node in range(3):  # a fresh replay on the old nodes: the same history
        again = await cluster.connect(
            node, room["moderator_token"], label=f"since0-{node}", since=0
        )
        await again.wait_event("session.ended", timeout=30)
        assert public(again) == public(reference), f"node{node} replays another history"
