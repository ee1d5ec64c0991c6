"""Three `yishi serve --redis` nodes on one Redis, clients spread over all three:
one room, one order, everywhere.
"""

from __future__ import annotations

import asyncio

from roomclient import Client, has
from yishinodes import Cluster, public, wait_all

SIDES = ("support", "oppose", "neutral")


async def test_a_whole_session_over_three_nodes_is_one_stream(nodes_on_any: Cluster) -> None:
    """On one redis-server, and on a Redis Cluster (``redis+cluster://``)."""
    cluster = nodes_on_any
    cluster.start(3)
    room = await cluster.create_room(node=0)
    mod = await cluster.connect(0, room["moderator_token"], label="mod")
    people: list[tuple[str, Client]] = []
    people_tokens: list[str] = []
    for i in range(6):
        node = i % 3
        person = await cluster.join(node, room, f"居民{i}")
        people_tokens.append(person.token)
        people.append(
            (
                person.participant_id,
                await cluster.connect(
                    node, person.token, label=f"p{i}", proto="msgpack" if i % 2 else "json"
                ),
            )
        )
    observer = await cluster.connect(
        2, (await cluster.join(1, room, "旁听", observer=True)).token, label="observer"
    )
    clients = [mod, observer, *(c for _, c in people)]
    start = max(c.welcome["seq"] for c in clients if c.welcome)

    await mod.ok("session.start")
    # Hands from every node; the queue is the same everywhere.
    for i, (_, client) in enumerate(people):
        await client.ok("hand.raise", stance=SIDES[i % 3])
    # Two turns that are yielded, from speakers on different nodes.
    for _ in range(2):
        turn = (await mod.ok("turn.next"))["turn_id"]
        [started, *_] = await wait_all(clients, "turn.started", has(turn_id=turn))
        speaker = dict(people)[started["data"]["participant_id"]]
        await speaker.ok("statement.post", text="我认为应当先做结构评估。")
        await speaker.ok("turn.yield")
        await wait_all(clients, "turn.ended", has(turn_id=turn, reason="yielded"))
    # A turn that runs out: nobody ends it, some node appends the expiry.
    await mod.ok("settings.update", turn_seconds=1)
    turn = (await mod.ok("turn.next"))["turn_id"]
    ended = await wait_all(clients, "turn.ended", has(turn_id=turn), timeout=10)
    assert {e["data"]["reason"] for e in ended} == {"expired"}
    assert {e["data"]["duration_ms"] for e in ended} == {1000}

    # A poll with a ballot from every node.
    poll = (
        await mod.ok(
            "poll.open", question="是否同意加装?", options=["同意", "反对", "再议"], kind="single"
        )
    )["poll_id"]
    await wait_all(clients, "poll.opened", has(poll_id=poll))
    choices = [i % 3 for i in range(len(people))]
    replies = await asyncio.gather(
        *(
            client.call("poll.vote", poll_id=poll, choices=[choice])
            for (_, client), choice in zip(people, choices)
        )
    )
    assert all(r.ok for r in replies), [r.raw for r in replies]
    # A second ballot from the same person, through a second socket on another node.
    p0_again = await cluster.connect(1, people_tokens[0], label="p0-again")
    await p0_again.fail("poll.vote", "conflict", poll_id=poll, choices=[2])
    closed = await mod.ok("poll.close", poll_id=poll)
    assert closed["counts"] == [choices.count(k) for k in range(3)]
    assert closed["voters"] == len(people)

    # Chat from every node.
    for i, (_, client) in enumerate(people):
        await client.ok("chat.send", text=f"第{i}位居民的留言")
    await mod.ok("minutes.note", text="散会")
    final = await wait_all(clients, "minutes.noted", has(text="散会"))
    last = final[0]["seq"]
    assert {e["seq"] for e in final} == {last}

    reference = public(mod, after=start)
    assert reference[-1][0] == last
    for client in clients:
        seen = [e for e in public(client, after=start) if e[0] <= last]
        assert seen == reference, f"{client.label} saw another stream than mod"
        assert not client.order_problems(), client.order_problems()
    chats = [e for e in reference if e[1] == "chat.posted"]
    assert len(chats) == len(people)
    polls = [e for e in reference if e[1] == "poll.closed"]
    assert len(polls) == 1 and polls[0][2]["counts"] == closed["counts"]


async def test_two_moderators_on_two_nodes_pressing_next_at_once_start_one_turn(
    cluster: Cluster,
) -> None:
    cluster.start(2)
    room = await cluster.create_room(node=0)
    mod_a = await cluster.connect(0, room["moderator_token"], label="mod-a")
    second = await cluster.staff(1, room, "moderator", "副主持")
    mod_b = await cluster.connect(1, second.token, label="mod-b")
    waiting = []
    for i in range(3):
        person = await cluster.join(i % 2, room, f"发言人{i}")
        waiting.append(await cluster.connect(i % 2, person.token, label=f"p{i}"))
    await mod_a.ok("session.start")
    for i, client in enumerate(waiting):
        await client.ok("hand.raise", stance=SIDES[i])
    start = mod_a.mark()
    for _ in range(3):
        ids = await asyncio.gather(mod_a.send("turn.next"), mod_b.send("turn.next"))
        replies = await asyncio.gather(mod_a.reply(ids[0]), mod_b.reply(ids[1]))
        assert sorted((r.ok, r.code) for r in replies) == [(False, "conflict"), (True, None)], [
            r.raw for r in replies
        ]
        [winner] = [r for r in replies if r.ok]
        turn = winner.result["turn_id"]
        await wait_all([mod_a, mod_b], "turn.started", has(turn_id=turn))
        await mod_a.ok("turn.end")
        await wait_all([mod_a, mod_b], "turn.ended", has(turn_id=turn))
    assert len(mod_a.find("turn.started", start=start)) == 3
    await mod_b.wait_seq(mod_a.events[-1]["seq"])  # the queue.changed after the last turn
    assert public(mod_a, after=mod_b.welcome["seq"]) == public(mod_b, after=mod_b.welcome["seq"])


BURST = 5000


async def test_a_burst_of_5000_chat_messages_from_three_nodes_arrives_whole_in_one_order(
    cluster: Cluster,
) -> None:
    # This process reads 30,000 frames on a machine it shares with three nodes and Redis:
    # a ping can wait behind the backlog longer than the default 20 s, and the server
    # rightly closes that socket (1011). What is tested here is order and completeness;
    # the keepalive is tested in tests/server/test_room_socket.py.
    cluster.start(3, options=["--ws-ping", "300"])
    room = await cluster.create_room(node=0)
    senders = [await cluster.connect(0, room["moderator_token"], label="mod0")]
    for node in (1, 2):
        staff = await cluster.staff(node, room, "moderator", f"主持{node}")
        senders.append(await cluster.connect(node, staff.token, label=f"mod{node}"))
    watchers = [
        await cluster.connect(
            node,
            (await cluster.join(node, room, f"旁听{node}", observer=True)).token,
            label=f"observer{node}",
        )
        for node in range(3)
    ]
    clients = senders + watchers
    start = max(c.welcome["seq"] for c in clients if c.welcome)

    async def send_share(n: int, sender: Client) -> list[str]:
        texts = [f"第{n}组第{i}条" for i in range(n, BURST, len(senders))]
        ids = [await sender.send("chat.send", {"text": text}) for text in texts]
        replies = [await sender.reply(cid, timeout=120) for cid in ids]
        assert all(r.ok and r.result["status"] == "visible" for r in replies), [
            r.raw for r in replies if not r.ok
        ][:3]
        return texts

    shares = await asyncio.gather(*(send_share(n, s) for n, s in enumerate(senders)))
    await senders[0].ok("minutes.note", text="burst over")
    await wait_all(clients, "minutes.noted", has(text="burst over"), timeout=60)

    def chats(client: Client) -> list[tuple[int, str, str]]:
        return [
            (seq, data["message_id"], data["text"])
            for seq, kind, data in public(client, after=start)
            if kind == "chat.posted"
        ]

    reference = chats(watchers[0])
    assert len(reference) == BURST
    assert sorted(text for _, _, text in reference) == sorted(t for s in shares for t in s)
    for client in clients:
        assert chats(client) == reference, f"{client.label} saw another order"
        assert not client.order_problems()

    # A node that joins late starts from a snapshot, not from 5,000 entries.
    cluster.start(1)
    late = await cluster.connect(3, room["moderator_token"], label="late-node")
    assert late.welcome is not None
    early = await cluster.connect(0, room["moderator_token"], label="early-node")
    assert late.welcome["state"] == early.welcome["state"]  # type: ignore[index]
    metrics = (await cluster.api(3).http.get("/metrics")).text
    applied = next(
        float(line.split()[-1])
        for line in metrics.splitlines()
        if line.startswith("yishi_entries_applied")
    )
    assert applied < 1000, f"the late node replayed {applied:.0f} entries"
