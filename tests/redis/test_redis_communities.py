"""Communities over three nodes on one real redis-server: the issue's whole flow with
each step on the next node (a write on one node is read on the next), and the
communities' logs kept out of the rooms' list."""

from __future__ import annotations

import redis.asyncio as aioredis
from communityclient import CommunityApi, run_flow
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
