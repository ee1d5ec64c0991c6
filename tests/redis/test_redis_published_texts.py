"""What the server publishes holds across two nodes on one real redis-server: a topic
written on one node reaches the other node's CSV export without a formula; a control
character refused on one node leaves nothing for the other to publish; an ID or a card
number typed on one node is masked for every client on both and is not in Redis."""

from __future__ import annotations

import csv
import io

import redis.asyncio as aioredis
from communityclient import CommunityApi, status_code
from roomclient import has
from yishinodes import ADMIN, Cluster

FORMULAS = ['=HYPERLINK("http://x/?"&A1,"详情")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)"]


async def test_a_topic_from_one_node_is_exported_without_a_formula_on_the_other(
    cluster: Cluster,
) -> None:
    a, b = (CommunityApi(node.base_url, ADMIN) for node in cluster.start(2))
    try:
        made = await a.create(categories=["其他"])
        cid, mod = made["community_id"], made["staff_token"]
        clerk = (await a.staff(cid, mod, "clerk", "王文书"))["token"]
        for formula in FORMULAS:
            topic = await b.ok(
                await b.submit(
                    cid,
                    token=clerk,
                    household="5-2-301",
                    title=formula,
                    place=formula,
                    description="讨论",
                )
            )
            if topic["state"] == "held":
                await b.ok(await b.move(cid, topic["topic_id"], mod, "release"))
        before = (await a.get(f"/api/communities/{cid}/export.csv")).content
        refused = await b.submit(
            cid, token=clerk, household="5-2-301", title="楼道\x0b灯坏了", description="讨论"
        )
        assert status_code(refused) == (400, "bad_command"), refused.text
        exported = await a.get(f"/api/communities/{cid}/export.csv")
        assert exported.content == before  # the refusal changed nothing anywhere
        rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert [(r["title"], r["place"]) for r in rows] == [("'" + f, "'" + f) for f in FORMULAS]
    finally:
        await a.aclose()
        await b.aclose()


async def test_an_id_number_typed_on_one_node_is_masked_on_both_and_kept_nowhere(
    cluster: Cluster,
) -> None:
    cluster.start(2)
    room = await cluster.create_room(node=0)
    mod = await cluster.connect(0, room["moderator_token"], label="mod")
    speaker = await cluster.connect(1, (await cluster.join(1, room, "老王")).token, label="speaker")
    neighbour = await cluster.connect(
        0, (await cluster.join(0, room, "小李")).token, label="neighbour", proto="msgpack"
    )
    sent = await speaker.ok("chat.send", text="身份证号110101199003078881，卡号6222021234567890128")
    for client in (mod, speaker, neighbour):
        posted = await client.wait_event("chat.posted", has(message_id=sent["message_id"]))
        assert posted["data"]["text"] == "身份证号110***********8881，卡号***************0128"
    client = aioredis.from_url(cluster.redis.url)
    try:
        stored = b"".join(
            body
            for _, fields in await client.xrange(f"yishi:{{{room['room_id']}}}:log")
            for body in fields.values()
        )
    finally:
        await client.aclose()
    assert stored and b"110101199003078881" not in stored
    assert b"6222021234567890128" not in stored
