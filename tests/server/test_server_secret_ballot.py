"""The attacker test of a secret poll on one node (sqlite): see ``ballotattack``.

After the close the attacker also reads the data folder: the SQLite file holds
who voted and seals that nothing can open (the poll's key is destroyed), and the
folder and its files are the server's user's alone.
"""

from __future__ import annotations

import sqlite3
import stat

import msgpack
from ballotattack import Nodes, attack, check_stored_log
from roomclient import Api, Client
from roomharness import ADMIN, ServerProcess


async def test_no_choice_can_be_tied_to_a_voter_on_one_node(own_server: ServerProcess) -> None:
    api = Api(own_server.base_url, ADMIN)
    opened: list[Client] = []

    async def connect(node: int, room_id: str, token: str, label: str) -> Client:
        client = await Client.open(own_server.ws_base, room_id, "json", label=label)
        opened.append(client)
        reply = await client.hello(token)
        assert reply.ok, reply.raw
        return client

    try:
        outcome = await attack(Nodes([api], connect))
    finally:
        for client in opened:
            await client.close()
        await api.aclose()
    own_server.stop()

    data = own_server.data_dir
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    files = [p for p in data.iterdir() if p.name.startswith("yishi.db")]
    assert files
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    db = sqlite3.connect(data / "yishi.db")
    try:
        assert db.execute("SELECT count(*) FROM ballot_keys").fetchone() == (0,)
        entries = []
        for seq, at, body in db.execute("SELECT seq, at, body FROM entries WHERE room = ?"
                                        " ORDER BY seq", (outcome.room_id,)):
            record = msgpack.unpackb(body, raw=False, strict_map_key=False)
            entries.append({**record, "seq": seq, "at": at})
    finally:
        db.close()
    check_stored_log(entries, outcome)
