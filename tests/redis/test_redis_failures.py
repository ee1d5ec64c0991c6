"""Nodes and Redis failing under a running session: a node killed (SIGKILL) or
stopped (SIGTERM), Redis killed and restarted on the same port and AOF folder.
Clients resume on another node with `since` and miss nothing; nothing
acknowledged is lost; every node converges.
"""

from __future__ import annotations

import asyncio
import itertools
import signal
import time
from collections.abc import Awaitable, Callable
from typing import Any

from roomclient import PUBLIC_EVENT_TYPES, Client, Json, has
from yishinodes import NODE_TTL_S, Cluster, public, wait_all

LEFT_GRACE_S = 20  # PROTOCOL.md: a floor holder with no socket anywhere for 20 s loses it


def joined(*parts: Client) -> list[Json]:
    """The events one person saw over several sockets, one after the other."""
    return [e for client in parts for e in client.events]


def _public(events: list[Json], after: int, upto: int) -> list[tuple[int, str, Json]]:
    return [
        (e["seq"], e["type"], e["data"])
        for e in events
        if after < e["seq"] <= upto and e["type"] in PUBLIC_EVENT_TYPES
    ]


def strictly_increasing(events: list[Json]) -> bool:
    return all(a["seq"] < b["seq"] for a, b in itertools.pairwise(events))


async def resume(cluster: Cluster, node: int, token: str, old: Client, label: str) -> Client:
    """Reconnect a dropped client to ``node`` with the last seq it saw."""
    since = old.events[-1]["seq"] if old.events else old.welcome["seq"]  # type: ignore[index]
    client = await cluster.connect(node, token, label=label, since=since)
    assert client.welcome is not None and client.welcome["replayed"] is True, client.welcome
    return client


async def until(probe: Callable[[], Awaitable[Any]], what: str, timeout: float = 15.0) -> Any:
    """Poll for a condition nothing announces (a port answering again, readiness)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.1)


async def test_sigkill_a_node_its_clients_resume_elsewhere_and_its_floor_holder_leaves(
    cluster: Cluster,
) -> None:
    cluster.start(3)
    room = await cluster.create_room(node=0)
    mod = await cluster.connect(0, room["moderator_token"], label="mod")
    reference = await cluster.connect(
        2, (await cluster.join(2, room, "旁听", observer=True)).token, label="reference"
    )
    speaker_person = await cluster.join(1, room, "发言人")
    speaker = await cluster.connect(1, speaker_person.token, label="speaker")
    resident_person = await cluster.join(1, room, "居民")
    resident = await cluster.connect(1, resident_person.token, label="resident")
    start = resident.welcome["seq"]  # type: ignore[index]  # the last to connect

    await mod.ok("session.start")
    await speaker.ok("hand.raise", stance="support")
    turn = (await mod.ok("turn.next"))["turn_id"]
    await wait_all([mod, reference, resident, speaker], "turn.started", has(turn_id=turn))
    await resident.ok("chat.send", text="节点崩溃前")

    await asyncio.to_thread(cluster.nodes[1].stop, signal.SIGKILL)
    await resident.wait_closed(timeout=10)
    await speaker.wait_closed(timeout=10)
    for i in range(3):
        await mod.ok("chat.send", text=f"居民断线时的消息{i}")

    again = await resume(cluster, 2, resident_person.token, resident, "resident-again")
    await again.ok("chat.send", text="换了节点之后")
    await mod.ok("minutes.note", text="marker")
    await wait_all([mod, reference, again], "minutes.noted", has(text="marker"))

    marker = again.find("minutes.noted", has(text="marker"))[0]["seq"]
    person = joined(resident, again)
    assert strictly_increasing(person), "a resumed client must see no duplicate"
    assert _public(person, start, marker) == _public(reference.events, start, marker), (
        "the resumed resident missed something"
    )

    # The speaker's only node died: after its heartbeat expires a survivor appends
    # "node gone", the speaker is offline, and 20 s later the floor is gone.
    ended = await mod.wait_event(
        "turn.ended", has(turn_id=turn), timeout=NODE_TTL_S + LEFT_GRACE_S + 15
    )
    assert ended["data"]["reason"] == "left"
    offline = mod.find(
        "participant.updated", has(participant_id=speaker_person.participant_id, online=False)
    )
    assert offline, "the speaker was never marked offline"


async def test_sigterm_closes_sockets_with_1012_and_they_resume_elsewhere(
    cluster: Cluster,
) -> None:
    cluster.start(2)
    room = await cluster.create_room(node=0)
    mod = await cluster.connect(0, room["moderator_token"], label="mod")
    person = await cluster.join(1, room, "居民")
    resident = await cluster.connect(1, person.token, label="resident")
    start = resident.welcome["seq"]  # type: ignore[index]
    await mod.ok("session.start")
    await resident.ok("hand.raise", stance="oppose")

    stopping = asyncio.create_task(asyncio.to_thread(cluster.nodes[1].stop, signal.SIGTERM))
    assert await resident.wait_closed(timeout=10) == 1012
    await mod.ok("chat.send", text="重启期间")
    await stopping

    again = await resume(cluster, 0, person.token, resident, "resident-again")
    await mod.ok("minutes.note", text="marker")
    await wait_all([mod, again], "minutes.noted", has(text="marker"))
    seen = [
        (e["seq"], e["type"], e["data"])
        for e in joined(resident, again)
        if e["seq"] > start and e["type"] in PUBLIC_EVENT_TYPES
    ]
    assert strictly_increasing(joined(resident, again))
    assert seen == public(mod, after=start)


async def test_redis_restart_mid_session_loses_nothing_and_every_node_converges(
    cluster: Cluster,
) -> None:
    cluster.start(3)
    room = await cluster.create_room(node=0)
    mod = await cluster.connect(0, room["moderator_token"], label="mod")
    residents = []
    for node in range(3):
        person = await cluster.join(node, room, f"居民{node}")
        residents.append(await cluster.connect(node, person.token, label=f"r{node}"))
    clients = [mod, *residents]
    start = max(c.welcome["seq"] for c in clients if c.welcome)
    await mod.ok("session.start")
    acknowledged = []
    for i, client in enumerate(residents):
        text = f"重启前{i}"
        await client.ok("chat.send", text=text)
        acknowledged.append(text)

    await asyncio.to_thread(cluster.redis.stop, signal.SIGKILL)
    for node in range(3):
        await until(lambda n=node: _is(cluster.readyz(n), 503), f"node{node} not ready")
    down = await mod.call("chat.send", text="Redis 不在", _timeout=15)
    assert down.code == "unavailable", down.raw
    down = await residents[1].call("hand.raise", stance="support", _timeout=15)
    assert down.code == "unavailable", down.raw
    assert not any(c.closed for c in clients), "sockets must stay open while Redis is away"

    await asyncio.to_thread(cluster.redis.start)
    for node in range(3):
        await until(lambda n=node: _is(cluster.readyz(n), 200), f"node{node} ready again")
    for i, client in enumerate(residents):
        reply = await until(
            lambda c=client, i=i: _ok(c.call("chat.send", text=f"重启后{i}", _nonce=f"after-{i}")),
            "commands work again",
        )
        assert reply.ok
        acknowledged.append(f"重启后{i}")
    await mod.ok("minutes.note", text="marker")
    await wait_all(clients, "minutes.noted", has(text="marker"), timeout=20)

    reference = public(mod, after=start)
    for client in clients:
        assert public(client, after=start) == reference, f"{client.label} diverged"
        assert not client.order_problems()
    posted = [data["text"] for _, kind, data in reference if kind == "chat.posted"]
    assert posted == acknowledged  # "Redis 不在" was refused, not half-appended
    for node in range(3):  # a fresh hello on every node: the state agrees too
        fresh = await cluster.connect(node, room["moderator_token"], label=f"fresh{node}")
        texts = [m["text"] for m in fresh.welcome["state"]["chat"]]  # type: ignore[index]
        assert texts == acknowledged


async def _is(status: Awaitable[int], expected: int) -> bool:
    try:
        return await status == expected
    except Exception:
        return False


async def _ok(call: Awaitable[Any]) -> Any:
    reply = await call
    if reply.ok:
        return reply
    assert reply.code == "unavailable", reply.raw
    return None
