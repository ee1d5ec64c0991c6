"""The attacker of a secret poll: a moderator with every power the contract gives.

Shared by the one-node test (tests/server) and the three-node one (tests/redis):
``Nodes`` says how to reach each node. The moderator re-joins with a household's
code from another device, resets codes, toggles revote, reads every event,
snapshot, replay and minutes export; a household votes twice from two tabs (on
two nodes when there are several). What the test then reads of the stores, after
the close, is each test's own (the SQLite file; Redis).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from roomclient import Api, Client, Json, assert_http_error, has

CHOICES = {"h0": 0, "h1": 1, "h2": 0, "h3": 2, "h4": 0}  # who chose what: the secret
OPTIONS = ["甲方案", "乙方案", "丙方案"]


@dataclass
class Nodes:
    apis: list[Api]
    connect: Callable[[int, str, str, str], Awaitable[Client]]  # (node, room, token, label)


@dataclass
class Outcome:
    room_id: str
    poll_id: str
    household_ids: dict[str, str]
    seen: list[Any] = field(default_factory=list)  # everything the moderator could read


def _no_ballot_in(what: Any, households: dict[str, str], poll_id: str) -> None:
    """Nothing the moderator read ties a household to a choice: a secret poll's events
    carry counts only, no snapshot lists its ballots, no export has a roll call."""
    text = json.dumps(what, ensure_ascii=False)
    for item in _walk(what):
        if item.get("poll_id") == poll_id:
            assert "ballots" not in item and item.get("roll_call") is None, item
            assert "participant_id" not in item and "choices" not in item, item
    assert "sealed" not in text


def _walk(value: Any) -> list[Json]:
    found: list[Json] = []
    if isinstance(value, dict):
        found.append(value)
        for v in value.values():
            found += _walk(v)
    elif isinstance(value, list):
        for v in value:
            found += _walk(v)
    return found


async def attack(nodes: Nodes) -> Outcome:
    count = len(nodes.apis)
    api = nodes.apis[0]
    room = await api.create_room(settings={"invite_mode": "personal"})
    room_id, mod_token = room["room_id"], room["moderator_token"]
    mod = await nodes.connect(0, room_id, mod_token, "mod")
    codes = await api.invites(room_id, mod_token, len(CHOICES) + 1)
    households: dict[str, str] = {}
    clients: dict[str, Client] = {}
    tokens: dict[str, str] = {}
    for n, name in enumerate(CHOICES):
        person = await nodes.apis[n % count].join(
            room_id, codes[n], name, device=f"phone-of-household-{name}"
        )
        households[name] = person.participant_id
        tokens[name] = person.token
        clients[name] = await nodes.connect(n % count, room_id, person.token, name)
    spare = codes[len(CHOICES)]  # a household that never came

    # The moderator claims a household's code from their own device: refused.
    stolen = await api.join_raw(
        room_id, {"invite": codes[1], "name": "h1", "device": "the-moderators-own-phone"}
    )
    assert_http_error(stolen, (403, "forbidden"))
    assert "device" in stolen.json()["error"]["message"]

    await mod.ok("session.start")
    opened = await mod.ok(
        "poll.open",
        question="选哪个方案？",
        kind="single",
        options=OPTIONS,
        secret=True,
        live_results=False,
    )
    poll_id = opened["poll_id"]
    # Settings that change the poll's meaning wait for its close.
    assert (await mod.fail("settings.update", "conflict", revote=True)).code == "conflict"
    assert (await mod.fail("settings.update", "conflict", invite_mode="open")).code == "conflict"

    # Two ballots: no tally yet (a batch is 3), neither in events nor in a reload.
    await clients["h0"].ok("poll.vote", poll_id=poll_id, choices=[CHOICES["h0"]])
    # h1 votes from two tabs at once (on two nodes when there are several): one counts.
    second_tab = await nodes.connect(2 % count, room_id, tokens["h1"], "h1-tab2")
    both = await asyncio.gather(
        clients["h1"].call("poll.vote", poll_id=poll_id, choices=[CHOICES["h1"]]),
        second_tab.call("poll.vote", poll_id=poll_id, choices=[2]),
    )
    assert sorted(r.ok for r in both) == [False, True], [r.raw for r in both]
    assert [r.code for r in both if not r.ok] == ["conflict"]
    if not both[0].ok:  # the second tab's ballot counted: that is h1's choice now
        now = {**CHOICES, "h1": 2}
    else:
        now = dict(CHOICES)
    snap = await _snapshot(nodes, room_id, mod_token)
    poll = next(p for p in snap["polls"] if p["poll_id"] == poll_id)
    assert poll["counts"] == [0, 0, 0] and poll["voters"] == 0 and poll["eligible"] == 5
    assert not [e for e in mod.events if e["type"] == "poll.tally"]

    # Reset h1's code, claim it from the moderator's phone, vote as h1: the room is
    # told, h1's sockets close, and the ballot is refused (h1 voted already).
    await mod.ok("invite.reset", participant_id=households["h1"])
    told = await clients["h4"].wait_event(
        "participant.code_reset", has(participant_id=households["h1"])
    )
    assert told["data"]["name"] == "h1"
    assert await clients["h1"].wait_closed() == 4003
    claimed = await api.join(room_id, codes[1], "h1", device="the-moderators-own-phone")
    impostor = await nodes.connect(0, room_id, claimed.token, "impostor")
    assert (
        await impostor.fail("poll.vote", "conflict", poll_id=poll_id, choices=[0])
    ).code == "conflict"
    # The household that never came can be claimed (that is what a code is); it
    # votes like anyone, once, and the room was told of no reset for it.
    ghost = await api.join(room_id, spare, "ghost", device="the-moderators-own-phone")
    ghost_client = await nodes.connect(count - 1, room_id, ghost.token, "ghost")

    # Three more ballots: the first batch is released (counts of 3 ballots at once).
    for name in ("h2", "h3"):
        await clients[name].ok("poll.vote", poll_id=poll_id, choices=[now[name]])
    tally = await mod.wait_event("poll.tally", has(poll_id=poll_id))
    assert tally["data"]["voters"] >= 3 and tally["data"]["eligible"] == 5
    snap = await _snapshot(nodes, room_id, mod_token)
    poll = next(p for p in snap["polls"] if p["poll_id"] == poll_id)
    latest = [e for e in mod.events if e["type"] == "poll.tally"][-1]["data"]
    assert {k: poll[k] for k in latest} == latest  # a reload shows what the stream did
    await clients["h4"].ok("poll.vote", poll_id=poll_id, choices=[now["h4"]])
    await ghost_client.ok("poll.vote", poll_id=poll_id, choices=[1])

    closed = await mod.ok("poll.close", poll_id=poll_id)
    expected = [0, 0, 0]
    for choice in now.values():
        expected[choice] += 1
    expected[1] += 1  # the ghost's
    final = await clients["h0"].wait_event("poll.closed", has(poll_id=poll_id))
    assert final["data"] == {"poll_id": poll_id, "counts": expected, "voters": 6, "eligible": 6}
    if closed.get("counts") is not None:
        assert closed == {k: final["data"][k] for k in ("counts", "voters", "eligible")}
    await mod.ok("settings.update", revote=True)  # closed: settings are free again

    # Everything the moderator can read: events (live and replayed from the start),
    # a snapshot, every minutes export.
    seen: list[Any] = [mod.events, snap]
    replay = await nodes.connect(count - 1, room_id, mod_token, "replay")
    seen.append(replay.welcome)
    minutes = await api.minutes(room_id, mod_token, "json")
    assert minutes.status_code == 200
    seen.append(minutes.json())
    assert minutes.json()["code_resets"][0]["participant_id"] == households["h1"]
    for fmt in ("md", "html"):
        seen.append((await api.minutes(room_id, mod_token, fmt)).text)
    for item in seen:
        _no_ballot_in(item, households, poll_id)
    for client in [mod, *clients.values(), second_tab, impostor, ghost_client, replay]:
        await client.close()
    households["ghost"] = ghost.participant_id
    return Outcome(room_id, poll_id, households, seen)


async def _snapshot(nodes: Nodes, room_id: str, token: str) -> Json:
    client = await nodes.connect(len(nodes.apis) - 1, room_id, token, "reload")
    assert client.welcome is not None
    state = client.welcome["state"]
    await client.close()
    return dict(state)


def sealed_votes(entries: list[Json], poll_id: str) -> list[Json]:
    """The stored ballots of the poll: each must carry a seal and no choice."""
    votes = [e for e in entries if e["kind"] == "poll.vote" and e["args"].get("poll_id") == poll_id]
    for vote in votes:
        assert "choices" not in vote["args"] and "sealed" in vote["args"], vote
    return votes


def check_stored_log(entries: list[Json], outcome: Outcome) -> None:
    """What an operator reads in the stored log after the close: who voted, seals no
    key opens (the key is gone), and the count with the choices in an order that is
    not the ballots' (shuffled), naming nobody."""
    votes = sealed_votes(entries, outcome.poll_id)
    assert len({v["actor"] for v in votes if "actor" in v}) >= 5
    counts = [
        e for e in entries if e["kind"] == "poll.count" and e["args"]["poll_id"] == outcome.poll_id
    ]
    assert counts, "the count is in the log"
    text = json.dumps(counts[0]["args"])
    assert not any(pid in text for pid in outcome.household_ids.values())
    opened = [e for e in entries if e["kind"] == "poll.open"]
    assert opened and all(
        len(e["args"].get("ballot_key", "")) == 32 for e in opened if e["args"].get("secret")
    )
