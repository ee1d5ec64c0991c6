"""What the reducer would refuse for a reason the node can already see is refused at
the edge: nothing is appended, and no text is screened for it.

A real server runs in process (so the test can read its log and its screener's
count), with real WebSocket clients. Each refusal is checked by what the stored log
holds afterwards, not by the reply alone: a refused command must not grow the
permanent record (the issue: 100 rate-limited chats appended 101 entries).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from inprocess import Served, serve_in_process
from roomclient import Client, Person, Reply, has
from roomharness import Room

SOCKETS = 4  # a resident may hold four; each may send 20 commands a second
PER_SOCKET = 15
LONG = "我不同意这个方案，" * 222  # 1,998 characters: a statement near its limit


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Served]:
    async with serve_in_process(tmp_path) as it:
        yield it


async def live(room: Room) -> Client:
    mod = await room.moderator()
    await mod.ok("session.start")
    return mod


async def sockets(room: Room, name: str) -> tuple[Person, list[Client]]:
    """A resident with all the sockets one may hold, so a burst is not cut short by the
    per-socket command limit (each command must reach the room's rules)."""
    person, first = await room.resident(name)
    more = [await room.connect(person.token, label=f"{name}{n}") for n in range(1, SOCKETS)]
    return person, [first, *more]


async def burst(clients: list[Client], cmd: str, **args: Any) -> list[Reply]:
    replies = []
    for client in clients:
        replies += [await client.call(cmd, **args) for _ in range(PER_SOCKET)]
    return replies


async def test_rate_limited_chats_are_not_appended(served: Served) -> None:
    room = served.room
    await live(room)
    person, clients = await sockets(room, "甲")
    replies = await burst(clients, "chat.send", text="大家好，我想问一下")
    accepted = sum(1 for r in replies if r.ok)
    refusals = [r.raw["error"]["message"] for r in replies if not r.ok]
    assert {r.code for r in replies if not r.ok} == {"rate_limited"}
    assert all("messages a minute" in m for m in refusals), refusals  # the room's rule
    assert 1 <= accepted <= 11  # ten a minute, plus what refills while the test runs
    assert (await served.kinds(person.participant_id)).count("chat.send") == accepted


async def test_refusals_visible_on_the_replica_append_nothing(served: Served) -> None:
    room = served.room
    mod = await live(room)
    _, ca = await room.resident("甲")
    b, cb = await room.resident("乙")
    await mod.fail("turn.next", "conflict")  # nobody waiting
    await ca.ok("hand.raise", stance="support")
    await mod.ok("turn.next")
    await ca.fail("hand.raise", "conflict", stance="oppose")  # a holds the floor
    await cb.fail("statement.post", "conflict", text="我来说两句")  # b does not
    await cb.fail("turn.yield", "conflict")
    poll = (await mod.ok("poll.open", question="是否同意？", kind="yes_no_abstain"))["poll_id"]
    await cb.ok("poll.vote", poll_id=poll, choices=[0])
    await cb.fail("poll.vote", "conflict", poll_id=poll, choices=[1])  # no revote
    await cb.fail("poll.vote", "not_found", poll_id="p999", choices=[1])
    await cb.fail("poll.vote", "bad_command", poll_id=poll, choices=[7])
    await mod.ok("poll.close", poll_id=poll)
    await ca.fail("poll.vote", "conflict", poll_id=poll, choices=[1])  # closed
    await mod.fail("poll.close", "conflict", poll_id=poll)
    await mod.ok("participant.mute", participant_id=b.participant_id, seconds=600)
    await cb.fail("chat.send", "forbidden", text="我被禁言了吗")
    await mod.ok("settings.update", chat_mode="closed")
    await ca.fail("chat.send", "forbidden", text="聊天关了吗")
    await mod.fail("chat.pin", "not_found", message_id="m999")
    await mod.fail("agenda.goto", "not_found", index=9)
    await mod.fail(
        "participant.mute", "forbidden", participant_id=mod.you["participant_id"], seconds=60
    )
    await mod.fail("settings.update", "bad_command")
    kinds = [k for k in await served.kinds() if k not in ("presence", "tick")]
    # What was accepted, and nothing else: each refusal above left no entry.
    assert kinds == [
        "room.create",
        "session.start",
        "participant.join",
        "participant.join",
        "hand.raise",
        "turn.next",
        "poll.open",
        "poll.vote",
        "poll.close",
        "participant.mute",
        "settings.update",
    ]


async def test_a_resident_without_the_floor_costs_no_screening(served: Served) -> None:
    room = served.room
    mod = await live(room)
    a, ca = await room.resident("甲")
    b, clients = await sockets(room, "乙")
    cb = clients[0]
    _, observer = await room.resident("丙", observer=True)  # (a name is screened on joining)
    await ca.ok("hand.raise", stance="support")
    await mod.ok("turn.next")
    await ca.ok("statement.post", text="我支持加装电梯")
    screened = served.services.screener.texts_screened
    assert screened >= 1  # the holder's statement was screened
    replies = await burst(clients, "statement.post", text=LONG)
    assert len(replies) >= 40 and {r.code for r in replies} == {"conflict"}
    assert served.services.screener.texts_screened == screened
    assert (await served.kinds(b.participant_id)).count("statement.post") == 0
    # A muted resident's chat and an observer's statement cost no screening either.
    await mod.ok("participant.mute", participant_id=b.participant_id, seconds=600)
    await cb.fail("chat.send", "forbidden", text="加我微信 13812345678")
    await observer.fail("statement.post", "forbidden", text=LONG)
    assert served.services.screener.texts_screened == screened
    await mod.wait_event("statement.posted", has(participant_id=a.participant_id))
