"""The attacker test of a secret poll on three nodes over one Redis (see
tests/server/ballotattack.py): the households are spread over the nodes, the
two tabs of one household sit on two nodes, and after the close the attacker
reads all of Redis: the stream holds who voted and seals nothing opens (no
ballot key is left), the snapshots only seals."""

from __future__ import annotations

import msgpack
from ballotattack import Nodes, attack, check_stored_log
from roomclient import Client
from yishinodes import Cluster


async def test_no_choice_can_be_tied_to_a_voter_on_three_nodes(cluster: Cluster) -> None:
    cluster.start(3)

    async def connect(node: int, room_id: str, token: str, label: str) -> Client:
        client = await Client.open(
            cluster.nodes[node].ws_base, room_id, "json", label=f"{label}@node{node}"
        )
        cluster.clients.append(client)
        reply = await client.hello(token)
        assert reply.ok, reply.raw
        return client

    outcome = await attack(Nodes(cluster.apis, connect))
    r = cluster.redis.client()
    try:
        assert list(r.scan_iter("yishi:ballotkey:*")) == []
        stream = r.xrange(f"yishi:{{{outcome.room_id}}}:log")
        entries = []
        for row_id, fields in stream:
            record = msgpack.unpackb(fields[b"b"], raw=False, strict_map_key=False)
            entries.append({**record, "seq": int(row_id.split(b"-")[0]), "at": int(fields[b"a"])})
        check_stored_log(entries, outcome)
        every_key = list(r.scan_iter("*"))
        assert not [k for k in every_key if b"ballotkey" in k]
    finally:
        r.close()
