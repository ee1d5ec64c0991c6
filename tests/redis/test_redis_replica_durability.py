"""Issue 24's experiment on one redis-server with a replica (``redis://...?wait=1``):
the replica is made to lag, residents send, the master is SIGKILLed, the replica is
promoted by hand (``REPLICAOF NO ONE``) and the nodes are restarted on its URL (how
a single-Redis deployment learns its new master: docs/operations.md). No client
ever held an entry the final log lacks, every acknowledged message is in it, and
every client, resuming with ``since``, converges to it.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest
from redisserver import RedisServer
from roomclient import PUBLIC_EVENT_TYPES, Client
from test_redis_cluster_durability import chats, stream_texts
from test_redis_failures import _ok, joined, resume, until
from yishi.backends import backend_from_url
from yishinodes import Cluster, public, wait_all

PAUSE_MS = 8_000
LAGGING = 8
LINK_TIMEOUT_S = 20.0


class Replica(RedisServer):
    """A redis-server replicating ``master``."""

    def __init__(self, workdir: Path, master: RedisServer) -> None:
        super().__init__(workdir)
        self.master = master

    def extra_args(self) -> list[str]:
        return ["--replicaof", "127.0.0.1", str(self.master.port)]

    def wait_linked(self) -> None:
        deadline = time.monotonic() + LINK_TIMEOUT_S
        while True:
            with self.client() as c:
                if c.info("replication").get("master_link_status") == "up":
                    return
            if time.monotonic() > deadline:
                raise AssertionError(f"replica never linked:\n{self.log_tail()}")
            time.sleep(0.05)  # a link coming up has no event to wait on from outside


class Waiting:
    """The store as the nodes are told about it: the master, ``?wait=1``."""

    def __init__(self, master: RedisServer) -> None:
        self.server = master

    @property
    def url(self) -> str:
        return f"{self.server.url}?wait=1"

    def log_tail(self, lines: int = 30) -> str:
        return self.server.log_tail(lines)


async def test_a_replica_promoted_by_hand_behind_its_dead_master_leaves_no_phantom(
    tmp_path: Path,
    own_redis: RedisServer,
) -> None:
    replica = Replica(tmp_path / "replica", own_redis)
    replica.start()
    cluster = Cluster(Waiting(own_redis), tmp_path)
    try:
        await asyncio.to_thread(replica.wait_linked)
        await _experiment(cluster, own_redis, replica)
    finally:
        await cluster.aclose()
        replica.stop()


async def _experiment(cluster: Cluster, master: RedisServer, replica: Replica) -> None:
    cluster.start(2)
    room = await cluster.create_room(node=0)
    mod = await cluster.connect(0, room["moderator_token"], label="mod")
    people = [await cluster.join(i % 2, room, f"居民{i}") for i in range(4)]
    residents = [await cluster.connect(i % 2, p.token, label=f"r{i}") for i, p in enumerate(people)]
    clients = [mod, *residents]
    await mod.ok("session.start")
    acknowledged: list[str] = []
    for i, resident in enumerate(residents):
        await resident.ok("chat.send", text=f"故障前{i}")
        acknowledged.append(f"故障前{i}")

    with replica.client() as c:
        c.execute_command("CLIENT", "PAUSE", PAUSE_MS, "ALL")
    paused_at = time.monotonic()
    senders = [*residents, mod]
    replies = await asyncio.gather(
        *(
            senders[i % 5].call("chat.send", text=f"故障中{i}", _nonce=f"lag-{i}", _timeout=20)
            for i in range(LAGGING)
        )
    )
    refused = [i for i, reply in enumerate(replies) if not reply.ok]
    acknowledged += [f"故障中{i}" for i, reply in enumerate(replies) if reply.ok]
    assert [r.code for r in replies] == ["unavailable"] * LAGGING, "none is durable yet"
    assert time.monotonic() - paused_at < PAUSE_MS / 1000 - 2, "the pause ended too soon"
    await asyncio.to_thread(master.stop, signal.SIGKILL)
    with replica.client() as c:
        c.execute_command("REPLICAOF", "NO", "ONE")  # runs once the pause is over

    # The nodes learn the new master from their URL: restarted on it (no replica
    # follows it yet, so nothing to wait for: ?wait=0).
    for node in cluster.nodes:
        node.stop()
        node.redis_url = f"{replica.url}?wait=0"
    for node in cluster.nodes:
        node.launch()
    for node in cluster.nodes:
        node.wait_healthy()
    tokens = [room["moderator_token"], *(p.token for p in people)]
    again = [
        await resume(cluster, i % 2, token, old, f"{old.label}-again")
        for i, (token, old) in enumerate(zip(tokens, clients, strict=True))
    ]
    senders = [*again[1:], again[0]]
    for i in refused:  # resent with its nonce, as the protocol says
        client = senders[i % 5]
        await until(
            lambda c=client, i=i: _ok(c.call("chat.send", text=f"故障中{i}", _nonce=f"lag-{i}")),
            "the room goes on",
            timeout=30,
        )
        acknowledged.append(f"故障中{i}")
    await again[1].ok("chat.send", text="故障后")
    acknowledged.append("故障后")
    await again[0].ok("session.end")
    await wait_all(again, "session.ended", timeout=30)

    log = stream_texts(replica, room["room_id"])
    reference = await cluster.connect(1, room["moderator_token"], label="reference", since=0)
    await reference.wait_event("session.ended", timeout=30)
    by_seq = {seq: (kind, data) for seq, kind, data in public(reference)}
    for old, new in zip(clients, again, strict=True):
        seen = joined(old, new)
        held = {e["data"]["text"] for e in seen if e["type"] == "chat.posted"}
        assert held <= set(log), f"{old.label} held phantoms: {sorted(held - set(log))}"
        for e in seen:
            if e["type"] in PUBLIC_EVENT_TYPES:
                assert by_seq.get(e["seq"]) == (e["type"], e["data"]), (
                    f"{old.label}: seq {e['seq']} is two things"
                )
        assert public(new) == public(reference, after=_last_seq(old)), (
            f"{old.label} did not converge to the log"
        )
    assert set(acknowledged) <= set(log), f"lost: {sorted(set(acknowledged) - set(log))}"
    assert len(chats(reference)) == len({text for _, text in chats(reference)})


def _last_seq(client: Client) -> int:
    return int(client.events[-1]["seq"] if client.events else client.welcome["seq"])  # type: ignore[index]


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:1/0?wait=one", "redis://h/0?wait=", "redis+cluster://h:1?wait=-1"]
)
def test_a_bad_wait_in_a_redis_url_is_refused_with_a_clear_error(url: str) -> None:
    with pytest.raises(ValueError, match="wait= in a Redis URL must be a number"):
        backend_from_url(url, clock=lambda: 0)
