"""A room's slot resharded while its residents chat: the slot moves to another
master key by key (as ``redis-cli --cluster reshard`` does it: ``SETSLOT
IMPORTING``/``MIGRATING``, ``MIGRATE``, ``SETSLOT NODE``), then on to a third.
Meanwhile appends meet ``ASK``, ``TRYAGAIN`` (the room's keys split between two
masters) and ``MOVED``, and answer ``unavailable``; resent with their nonce
they go through. Against the stored log on the last master:

* every acknowledged message is in the log, once;
* no client holds a message the log lacks, and no seq has two contents;
* every client converges to the log: the session's end reaches everyone.

A real 3+3 cluster of its own (its slot map is changed), three Yishi nodes.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from redisclusterserver import RedisClusterServer, start_cluster
from roomclient import Client
from test_redis_cluster_backend import migrate_slot
from test_redis_cluster_durability import converged_to_log, gather_room, slot_of, stream_texts
from test_redis_failures import until
from yishinodes import Cluster, wait_all

PACE_S = 0.2  # between one resident's messages: the workload
PER_MOVE = 6  # messages acknowledged between two moves (and after the last)


async def test_a_room_resharded_while_it_chats_loses_nothing_and_shows_no_phantom(
    tmp_path: Path,
) -> None:
    server: RedisClusterServer = await asyncio.to_thread(start_cluster, tmp_path / "cluster")
    cluster = Cluster(server, tmp_path)
    try:
        await _experiment(server, cluster)
    finally:
        await cluster.aclose()
        server.stop()


async def _experiment(server: RedisClusterServer, cluster: Cluster) -> None:
    cluster.start(3)
    # No chat limit: how many messages a resident sends depends on how long the moves
    # take on this machine, and the limit (10 a minute) would refuse them, not the move.
    room = await cluster.create_room(node=0, settings={"chat_rate": 0})
    room_id = room["room_id"]
    mod, residents, watchers = await gather_room(cluster, room, residents=6)
    clients = [mod, *residents, *watchers]
    await mod.ok("session.start")

    acknowledged: list[str] = []
    refused: list[str] = []  # sends answered `unavailable` (then resent with their nonce)
    stop = asyncio.Event()

    async def attempt(client: Client, text: str, nonce: str) -> bool:
        reply = await client.call("chat.send", text=text, _nonce=nonce, _timeout=15)
        if not reply.ok:
            assert reply.code == "unavailable", reply.raw
            refused.append(text)
        return bool(reply.ok)

    async def chatter(k: int, client: Client) -> None:
        i = 0
        while not stop.is_set():
            text, nonce = f"居民{k}第{i}条", f"r{k}-{i}"
            await until(
                lambda t=text, n=nonce: attempt(client, t, n), f"{text} acknowledged", timeout=60
            )
            acknowledged.append(text)
            i += 1
            await asyncio.sleep(PACE_S)

    async def more_acknowledged() -> None:
        goal = len(acknowledged) + PER_MOVE
        await until(lambda: _true(len(acknowledged) >= goal), "the room goes on", timeout=60)

    chatting = [asyncio.create_task(chatter(k, r)) for k, r in enumerate(residents)]
    try:
        await more_acknowledged()
        slot = slot_of(room_id)
        first = server.owner(slot)
        for target in [m for m in server.masters() if m.port != first.port]:
            await asyncio.to_thread(migrate_slot, server, slot, target, keys_at_once=1)
            assert server.owner(slot).port == target.port
            await more_acknowledged()
    finally:
        stop.set()
        await asyncio.gather(*chatting)
    await mod.ok("session.end")
    await wait_all(clients, "session.ended", timeout=30)

    log = stream_texts(server.owner(slot), room_id)
    assert len(log) == len(set(log)), "a message resent with its nonce is stored once"
    assert set(acknowledged) <= set(log), (
        f"lost: {sorted(set(acknowledged) - set(log))} ({len(refused)} sends were refused)"
    )
    await converged_to_log(cluster, room, clients, log)


async def _true(value: bool) -> bool:
    return value
