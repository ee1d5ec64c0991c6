"""The attacker test of a secret poll on one node (sqlite): see ``ballotattack``.

After the close the attacker also reads the data folder: the SQLite file holds
who voted and seals that nothing can open (the poll's key is destroyed), and the
folder and its files are the server's user's alone.
"""

from __future__ import annotations

import json
import sqlite3
import stat

import msgpack
from ballotattack import Nodes, _no_ballot_in, attack, check_stored_log, sealed_votes
from roomclient import Api, Client, has
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
        for seq, at, body in db.execute(
            "SELECT seq, at, body FROM entries WHERE room = ? ORDER BY seq", (outcome.room_id,)
        ):
            record = msgpack.unpackb(body, raw=False, strict_map_key=False)
            entries.append({**record, "seq": seq, "at": at})
    finally:
        db.close()
    check_stored_log(entries, outcome)


RANKINGS = {"r0": [2, 0], "r1": [0], "r2": [1, 2, 0], "r3": [2]}  # who ranked what: secret
SCORES = {"r0": [5, 0, 1], "r1": [2, 2, 2], "r2": [0, 5, 3], "r3": [1, 1, 0]}


async def test_secret_ranked_and_score_ballots_are_sealed_at_one_size(
    own_server: ServerProcess,
) -> None:
    """Rules 6: a secret ranked and a secret score poll. Every stored ballot is a seal of
    the same length whatever was ranked or scored; after the close nothing the
    moderator reads, and nothing in the stored log, ties a voter to a ranking or to
    scores; the result (rounds, totals, means, outcome) is announced."""
    api = Api(own_server.base_url, ADMIN)
    opened: list[Client] = []

    async def connect(room_id: str, token: str, label: str) -> Client:
        client = await Client.open(own_server.ws_base, room_id, "json", label=label)
        opened.append(client)
        assert (await client.hello(token)).ok
        return client

    try:
        room = await api.create_room()
        room_id, mod_token = room["room_id"], room["moderator_token"]
        mod = await connect(room_id, mod_token, "mod")
        people = {
            name: await api.join(
                room_id, room["invite_code"], name, device=f"phone-of-household-{name}"
            )
            for name in RANKINGS
        }
        clients = {name: await connect(room_id, p.token, name) for name, p in people.items()}
        await mod.ok("session.start")
        options = ["甲", "乙", "丙"]
        ranked = (
            await mod.ok(
                "poll.open",
                question="排序",
                kind="ranked",
                options=options,
                secret=True,
                quorum=4,
                threshold="simple",
            )
        )["poll_id"]
        scored = (
            await mod.ok(
                "poll.open",
                question="打分",
                kind="score",
                options=options,
                max_score=5,
                secret=True,
            )
        )["poll_id"]
        for name, client in clients.items():
            await client.ok("poll.vote", poll_id=ranked, choices=RANKINGS[name])
            await client.ok("poll.vote", poll_id=scored, scores=SCORES[name])
        assert (
            await clients["r0"].fail("poll.vote", "conflict", poll_id=ranked, choices=[0])
        ).code == "conflict"
        await mod.ok("poll.close", poll_id=ranked)
        await mod.ok("poll.close", poll_id=scored)
        # Round 1: 甲1 乙1 丙2 of 4: no majority; 甲 and 乙 tie (first preferences too):
        # 乙 (listed later) is out, its ballot to 丙: 丙 3 of 4.
        closed = (await mod.wait_event("poll.closed", has(poll_id=ranked)))["data"]
        assert closed["counts"] == [1, 1, 2] and closed["winner"] == 2
        assert [r["eliminated"] for r in closed["rounds"]] == [1, None]
        assert closed["outcome"] == "carried"
        assert closed["decided_by"] == {
            "quorum": 4,
            "present": 4,
            "threshold": "simple",
            "threshold_base": "cast",
            "votes": 3,
            "base": 4,
            "needed": 3,
        }
        totals = (await mod.wait_event("poll.closed", has(poll_id=scored)))["data"]
        assert totals["counts"] == [8, 8, 6] and totals["means"] == [2.0, 2.0, 1.5]
        seen: list[object] = [mod.events, [c.events for c in clients.values()]]
        reload = await connect(room_id, mod_token, "reload")
        assert reload.welcome is not None
        seen.append(reload.welcome)
        seen.append((await api.minutes(room_id, mod_token, "json")).json())
        for fmt in ("md", "html"):
            seen.append((await api.minutes(room_id, mod_token, fmt)).text)
        households = {p.participant_id: name for name, p in people.items()}
        for poll_id in (ranked, scored):
            _no_ballot_in(seen, households, poll_id)
        for client in clients.values():  # each voter learns only that they voted
            mine = [e for e in client.events if e["type"] == "poll.ballot"]
            assert mine == []
    finally:
        for client in opened:
            await client.close()
        await api.aclose()
    own_server.stop()

    db = sqlite3.connect(own_server.data_dir / "yishi.db")
    try:
        assert db.execute("SELECT count(*) FROM ballot_keys").fetchone() == (0,)
        entries = []
        for seq, at, body in db.execute(
            "SELECT seq, at, body FROM entries WHERE room = ? ORDER BY seq", (room_id,)
        ):
            entries.append(
                {**msgpack.unpackb(body, raw=False, strict_map_key=False), "seq": seq, "at": at}
            )
    finally:
        db.close()
    for poll_id in (ranked, scored):
        votes = sealed_votes(entries, poll_id)
        assert len(votes) == 4 and all("scores" not in v["args"] for v in votes)
        assert len({len(v["args"]["sealed"]) for v in votes}) == 1  # one size for every ballot
        count = next(
            e for e in entries if e["kind"] == "poll.count" and e["args"]["poll_id"] == poll_id
        )
        text = json.dumps(count["args"])
        assert not any(pid in text for pid in households)
    ranked_count = next(
        e for e in entries if e["kind"] == "poll.count" and e["args"]["poll_id"] == ranked
    )
    assert sorted(ranked_count["args"]["choices"]) == sorted(RANKINGS.values())
