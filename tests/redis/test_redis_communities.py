"""Communities over three nodes on one real redis-server: the issue's whole flow with
each step on the next node (a write on one node is read on the next), and the
communities' logs kept out of the rooms' list."""

from __future__ import annotations

import redis.asyncio as aioredis
from communityclient import CommunityApi, device, run_flow, status_code
from yishinodes import ADMIN, Cluster


async def test_the_whole_flow_across_three_nodes(cluster: Cluster) -> None:
    nodes = cluster.start(3)
    apis = [CommunityApi(node.base_url, ADMIN) for node in nodes]
    try:
        flow = await run_flow(apis, [node.ws_base for node in nodes])
        cid, tid = flow["community_id"], flow["topic_id"]
        # Every node answers the same figures and the same timeline.
        answers = [(await api.stats(cid), await api.topic(cid, tid)) for api in apis]
        assert all(answer == answers[0] for answer in answers)
        assert answers[0][0]["solved"] == 1
        client = aioredis.from_url(cluster.redis.url)
        try:
            keys = {k.decode() for k in await client.keys(f"yishi:{{community:{cid}}}:*")}
            assert {f"yishi:{{community:{cid}}}:log", f"yishi:{{community:{cid}}}:seq"} <= keys
        finally:
            await client.aclose()
        # The room list (node start, yishi labels) names the room, never the community.
        room_id = (await apis[0].topic(cid, tid))["rooms"][0]["room_id"]
        assert (await apis[1].http.get(f"/api/rooms/{room_id}")).status_code == 200
        assert (await apis[2].http.get(f"/api/rooms/community:{cid}")).status_code == 404
    finally:
        for api in apis:
            await api.aclose()


async def test_a_household_counts_once_across_two_nodes(cluster: Cluster) -> None:
    """A code bound on node A is refused to another phone on node B, and that household's
    co-sign made on B counts once on both; a forged device on A is anonymous on B."""
    a, b = (CommunityApi(node.base_url, ADMIN) for node in cluster.start(2))
    try:
        made = await a.create(categories=["加装电梯", "其他"])
        cid, mod = made["community_id"], made["staff_token"]
        tid = (
            await b.ok(
                await b.submit(cid, title="加装电梯", description="七楼太高", device=device(1))
            )
        )["topic_id"]
        [slip] = await b.households(cid, mod, "5号楼2单元301")
        await a.ok(await a.claim(cid, slip["code"], device(2)))
        assert status_code(await b.claim(cid, slip["code"], device(3))) == (403, "forbidden")
        assert (await b.ok(await b.cosign(cid, tid, device(2))))["cosigns"] == 1
        assert status_code(await a.cosign(cid, tid, device(2))) == (409, "conflict")
        assert status_code(await a.cosign(cid, tid, device(1))) == (403, "forbidden")
        await a.ok(await a.cosign(cid, tid, device(9)))
        topics = [await api.topic(cid, tid) for api in (a, b)]
        assert [(t["cosigns"], t["anonymous_cosigns"]) for t in topics] == [(1, 1), (1, 1)]
        assert (await a.mine(cid, device(2)))["cosigned"] == [tid]
    finally:
        await a.aclose()
        await b.aclose()
