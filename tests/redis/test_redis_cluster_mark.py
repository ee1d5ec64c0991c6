"""A master that dies after showing entries, before its durable mark reached its
replica: the promoted replica holds the entries (WAIT confirmed them before they
were shown) under an older mark. The nodes raise the mark to what they showed
rather than take the room for one whose log lost it: every client keeps its
socket and its history, nothing acknowledged is hidden from a node that loads
the room afterwards, and the room goes on. A real 3+3 cluster of its own.

The state is made exactly as that death leaves it: the mark is set back on the
master (and confirmed on its replica with ``WAIT``) before the master is killed.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import redis
from redis.crc import key_slot
from redisclusterserver import ClusterMember, start_cluster
from roomclient import Client, has
from test_redis_cluster_failover import promote
from test_redis_failures import _ok, until
from yishinodes import Cluster, public, wait_all

BEHIND = 3  # entries shown whose mark never reached the replica


def mark_of(member: ClusterMember, room_id: str) -> int:
    """The room's durable mark on ``member``, a master or a replica (``READONLY``)."""
    with member.client() as c:
        c.execute_command("READONLY")
        return int(c.get(f"yishi:{{{room_id}}}:durable") or 0)


def chats(client: Client) -> list[str]:
    return [e["data"]["text"] for e in client.events if e["type"] == "chat.posted"]


async def test_a_mark_behind_what_was_shown_is_raised_after_a_failover(tmp_path: Path) -> None:
    server = await asyncio.to_thread(start_cluster, tmp_path / "cluster")
    cluster = Cluster(server, tmp_path)
    try:
        cluster.start(2)
        room = await cluster.create_room(node=0)
        room_id = room["room_id"]
        master = server.owner(key_slot(f"yishi:{{{room_id}}}:ch".encode()))
        replica = server.replica_of(master)
        mod = await cluster.connect(0, room["moderator_token"], label="mod")
        person = await cluster.join(1, room, "居民")
        resident = await cluster.connect(1, person.token, label="resident")
        clients = [mod, resident]
        await mod.ok("session.start")
        acknowledged = []
        for i in range(2 * BEHIND):
            await (mod, resident)[i % 2].ok("chat.send", text=f"故障前{i}")
            acknowledged.append(f"故障前{i}")
        await wait_all(clients, "chat.posted", has(text=acknowledged[-1]), timeout=20)

        shown = mark_of(master, room_id)
        with master.client() as c:
            assert int(c.get(f"yishi:{{{room_id}}}:seq")) == shown, "nothing held meanwhile"
            c.set(f"yishi:{{{room_id}}}:durable", shown - BEHIND)
            assert c.execute_command("WAIT", 1, 5000) == 1, "the replica has the old mark"
        assert mark_of(replica, room_id) == shown - BEHIND
        await asyncio.to_thread(master.stop, signal.SIGKILL)
        await asyncio.to_thread(promote, server, replica)

        # The nodes hear the room again on the promoted replica, and find the entries
        # they showed in its log: the mark rises to them; nobody is sent away.
        await until(lambda: _raised(replica, room_id, shown), "the mark raised", timeout=60)
        assert not any(c.closed for c in clients), "the room was not read again"
        cluster.start(1)  # a node that loads the room now, before any new entry
        fresh = await cluster.connect(2, room["moderator_token"], label="fresh", since=0)
        assert chats(fresh) == acknowledged, "an acknowledged message is hidden"

        for i in range(2):
            await until(
                lambda c=clients[i], i=i: _ok(
                    c.call("chat.send", text=f"故障后{i}", _nonce=f"after-{i}")
                ),
                "the room goes on",
                timeout=30,
            )
            acknowledged.append(f"故障后{i}")
        await mod.ok("session.end")
        await wait_all([*clients, fresh], "session.ended", timeout=30)
        for client in clients:
            assert chats(client) == acknowledged, f"{client.label} lost or doubled a message"
            assert not client.order_problems()
        assert public(fresh, after=mod.welcome["seq"]) == public(mod)  # type: ignore[index]
    finally:
        await cluster.aclose()
        server.stop()


async def _raised(member: ClusterMember, room_id: str, shown: int) -> bool:
    try:
        return await asyncio.to_thread(mark_of, member, room_id) >= shown
    except redis.exceptions.RedisError:
        return False
