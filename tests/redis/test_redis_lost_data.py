"""Redis restarted without its data under a running node.

Before the fix nothing was logged, /readyz said 200, and joins to old rooms
answered 500 (``LookupError: outcome of entry 1 is no longer kept``) after
starting the room's log again at seq 1. Now the node notices the deployment's
marker is gone: /readyz 503 naming it, one log line, and joins and commands
answer ``unavailable``.
"""

from __future__ import annotations

import shutil

from redisserver import RedisServer
from roomclient import assert_http_error
from test_redis_failures import until
from yishinodes import Cluster


async def test_a_redis_that_lost_its_data_makes_the_node_unready_and_refuses_writes(
    cluster: Cluster, own_redis: RedisServer
) -> None:
    cluster.start(1)
    room = await cluster.create_room(node=0)
    await cluster.join(0, room, "甲")
    assert await cluster.readyz(0) == 200

    own_redis.stop()
    shutil.rmtree(own_redis.workdir / "appendonlydir")  # restarted without persistence
    own_redis.start()

    async def lost() -> bool:  # (a 503 while the node re-subscribes is not yet that)
        ready = await cluster.api(0).http.get("/readyz")
        named = "store_lost_data" in [p["what"] for p in ready.json().get("problems", [])]
        return ready.status_code == 503 and named

    await until(lost, "/readyz 503 naming the data Redis lost")

    joined = await cluster.api(0).join_raw(
        room["room_id"], {"invite": room["invite_code"], "name": "乙"}
    )
    assert_http_error(joined, (503, "unavailable"))
    mod = await cluster.connect(0, room["moderator_token"], label="mod")
    reply = await mod.call("session.start")
    assert reply.code == "unavailable", reply.raw
    with own_redis.client() as r:  # no log started again at seq 1 under the clients
        assert not r.exists(f"yishi:{{{room['room_id']}}}:log")
    log = cluster.nodes[0].log_tail(200)
    assert log.count("store lost data:") == 1, log
