"""A store that lost entries a node had delivered (a failover with ``?wait=0``, a Redis
restored from an old copy): the node's history is no longer the log's. The backend
says so (``subscribe_resets``) and goes on from the stored seq; the node forgets the
room, sends its sockets back, reloads the room from the log, and answers a resent
nonce from the log, never from its memory of an entry the log lacks.

The loss is made by hand (the last entries deleted from the room's keys), then a
lost pub/sub connection makes the node look at the store again.
"""

from __future__ import annotations

from redisserver import RedisServer, lose_entries_after
from roomclient import has
from test_redis_backend import Heard, backends, eventually
from test_redis_failures import _ok, until
from yishinodes import Cluster, public

CLOSE_RESTARTING = 1012


async def test_a_log_that_lost_delivered_entries_resets_the_room_and_goes_on(
    own_redis: RedisServer,
) -> None:
    async with backends(own_redis, 2) as [a, b]:
        heard, resets = Heard(), []
        b.subscribe(heard)
        b.subscribe_resets(resets.append)
        for _ in range(5):
            await a.append("r", "tick")
        await heard.until(lambda: heard.seqs("r") == [1, 2, 3, 4, 5], "the first five")
        lose_entries_after(own_redis, "r", 3)
        with own_redis.client() as c:
            c.client_kill_filter(_type="pubsub")

        async def reset_heard() -> bool:
            return resets == ["r"]

        await eventually(reset_heard, "the reset")
        fourth = await a.append("r", "tick", args={"again": True})
        await heard.until(lambda: heard.seqs("r")[-1:] == [4], "the new seq 4")
        assert heard.entries["r"][-1] == fourth, "the new entry 4 is not taken for the old"
        assert await b.read("r", after=3) == [fourth]


async def test_a_mark_behind_what_was_delivered_is_raised_not_taken_for_a_loss(
    own_redis: RedisServer,
) -> None:
    """A replica promoted with the entries but an older durable mark (its master died
    after marking and publishing, before the mark reached it): on hearing the room
    again, the node finds the entry it delivered last in the log and raises the mark
    to it; nothing is reset, and the next entry follows on."""
    async with backends(own_redis, 2) as [a, b]:
        heard, resets = Heard(), []
        b.subscribe(heard)
        b.subscribe_resets(resets.append)
        for _ in range(5):
            await a.append("r", "tick")
        await heard.until(lambda: heard.seqs("r") == [1, 2, 3, 4, 5], "the first five")
        with own_redis.client() as c:
            c.set("yishi:{r}:durable", 3)
            c.client_kill_filter(_type="pubsub")

        async def raised() -> bool:
            with own_redis.client() as c:
                return int(c.get("yishi:{r}:durable")) == 5

        await eventually(raised, "the mark raised to what was delivered")
        assert resets == [], "the log holds everything delivered: no reset"
        sixth = await a.append("r", "tick")
        await heard.until(lambda: heard.seqs("r") == [1, 2, 3, 4, 5, 6], "the sixth")
        assert sixth.seq == 6 and await b.read("r", after=4) == heard.entries["r"][4:]


async def test_a_node_reloads_a_room_whose_log_lost_what_it_showed(
    cluster: Cluster,
) -> None:
    cluster.start(1)
    room = await cluster.create_room(node=0)
    mod = await cluster.connect(0, room["moderator_token"], label="mod")
    person = await cluster.join(0, room, "居民")
    resident = await cluster.connect(0, person.token, label="resident")
    watcher_person = await cluster.join(0, room, "旁听", observer=True)
    watcher = await cluster.connect(0, watcher_person.token, label="watcher")
    await mod.ok("session.start")
    await resident.ok("chat.send", text="留下的")
    with cluster.redis.client() as c:
        keep = int(c.get(f"yishi:{{{room['room_id']}}}:seq"))
    await resident.ok("chat.send", text="会丢的", _nonce="lost-1")
    await mod.wait_event("chat.posted", has(text="会丢的"))
    await watcher.wait_event("chat.posted", has(text="会丢的"))
    await watcher.close()  # away during the loss: it comes back once the log passed it

    lose_entries_after(cluster.redis, room["room_id"], keep)
    with cluster.redis.client() as c:
        c.client_kill_filter(_type="pubsub")
    assert await resident.wait_closed(timeout=20) == CLOSE_RESTARTING
    assert await mod.wait_closed(timeout=20) == CLOSE_RESTARTING

    ahead = resident.events[-1]["seq"]
    again = await cluster.connect(0, person.token, label="resident-again", since=ahead)
    assert again.welcome is not None and again.welcome["replayed"] is False, again.welcome
    texts = [m["text"] for m in again.welcome["state"]["chat"]]
    assert texts == ["留下的"], "the state the log holds replaces the client's"
    reply = await until(
        lambda: _ok(again.call("chat.send", text="会丢的", _nonce="lost-1")), "the room goes on"
    )
    assert reply.ok
    posted = await again.wait_event("chat.posted", has(text="会丢的"))
    mod_again = await cluster.connect(0, room["moderator_token"], label="mod-again", since=0)
    await mod_again.wait_event("chat.posted", has(text="会丢的"))
    assert [d["text"] for _, kind, d in public(mod_again) if kind == "chat.posted"] == [
        "留下的",
        "会丢的",
    ]
    assert posted["seq"] == mod_again.find("chat.posted", has(text="会丢的"))[0]["seq"]
    assert again.welcome["epoch"] != watcher.welcome["epoch"], "the log's history changed"  # type: ignore[index]

    # The log is past the watcher's seq now, under other entries: its epoch says so,
    # and a full state replaces its history rather than a replay on top of it.
    for i in range(3):
        await mod_again.ok("chat.send", text=f"之后{i}")
    await mod_again.wait_event("chat.posted", has(text="之后2"))
    held = watcher.events[-1]["seq"]
    assert mod_again.events[-1]["seq"] > held
    back = await cluster.connect(
        0, watcher_person.token, label="watcher-again", since=held, epoch=watcher.welcome["epoch"]
    )  # type: ignore[index]
    assert back.welcome is not None and back.welcome["replayed"] is False, back.welcome
    assert [m["text"] for m in back.welcome["state"]["chat"]] == [
        "留下的",
        "会丢的",
        "之后0",
        "之后1",
        "之后2",
    ]
    assert back.welcome["epoch"] == again.welcome["epoch"]
    same = await cluster.connect(
        0, watcher_person.token, label="watcher-same", since=held, epoch=back.welcome["epoch"]
    )
    assert same.welcome is not None and same.welcome["replayed"] is True, same.welcome
