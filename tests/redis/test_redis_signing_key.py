"""Rules 6: every node of a Redis deployment signs approved minutes with one key,
made by whichever node started first (``get_or_create_secret``), and publishes it."""

from __future__ import annotations

import httpx
from yishinodes import Cluster


async def test_every_node_publishes_the_same_signing_key(cluster: Cluster) -> None:
    cluster.start(2)
    async with httpx.AsyncClient(trust_env=False, timeout=10) as http:
        keys = [
            (await http.get(f"{node.base_url}/api/signing-key")).json() for node in cluster.nodes
        ]
    assert keys[0]["algorithm"] == "Ed25519"
    assert keys[0] == keys[1]
