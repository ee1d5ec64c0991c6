"""Session, agenda, settings, people and the record; what still works after the end."""

from __future__ import annotations

from typing import Any

import pytest
from roombuilder import INVITE, Room, of_type, only, types
from yishi.core.versions import DEFAULT_SETTINGS


def test_room_create_announces_the_agenda_and_its_moderator() -> None:
    room = Room.create(agenda=["选址", "费用"], settings={"turn_seconds": 60})
    first = room.outcomes[0]
    assert types(first.events) == ["agenda.changed", "participant.joined"]
    assert [e.seq for e in first.events] == [1, 2]
    agenda = first.events[0].data
    assert [i["title"] for i in agenda["items"]] == ["选址", "费用"] and agenda["current"] == 0
    assert first.events[1].data["role"] == "moderator"
    snap = room.snapshot(room.mod)
    assert snap["room"]["status"] == "pending"
    assert snap["room"]["settings"] == {**DEFAULT_SETTINGS, "turn_seconds": 60}
    again = room.system("room.create", {"title": "x", "invite_code": "y"})
    assert again.error is not None and again.error.code.value == "conflict"


def test_session_start_makes_the_room_live_once(pending_room: Room) -> None:
    room = pending_room
    (a,) = room.residents("a")
    room.fail(a, "session.start", "forbidden")
    outcome = room.send(room.mod, "session.start")
    assert only(outcome.events, "session.started").data == {"status": "live"}
    room.fail(room.mod, "session.start", "conflict")
    assert room.snapshot(a)["room"]["status"] == "live"


def test_session_end_closes_open_polls_and_ends_the_session(room: Room) -> None:
    (a,) = room.residents("a")
    p1 = room.ok(room.mod, "poll.open", question="装不装", kind="yes_no_abstain")["poll_id"]
    p2 = room.ok(room.mod, "poll.open", question="哪家", kind="single", options=["甲", "乙"])[
        "poll_id"
    ]
    room.ok(room.mod, "poll.close", poll_id=p2)
    room.ok(a, "poll.vote", poll_id=p1, choices=[0])
    room.fail(a, "session.end", "forbidden")
    outcome = room.send(room.mod, "session.end")
    assert types(outcome.events) == ["poll.closed", "session.ended"]
    assert outcome.events[0].data == {
        "poll_id": p1,
        "counts": [1, 0, 0],
        "voters": 1,
        "eligible": 1,
    }
    assert room.snapshot(a)["room"]["status"] == "ended"
    assert [p["status"] for p in room.snapshot(a)["polls"]] == ["closed", "closed"]
    room.fail(room.mod, "session.end", "conflict")


def test_session_end_before_start_is_conflict(pending_room: Room) -> None:
    pending_room.fail(pending_room.mod, "session.end", "conflict")


@pytest.fixture
def ended() -> tuple[Room, dict[str, str]]:
    """An ended room with a little of everything left in it."""
    room = Room.create(start=True)
    a, b = room.residents("a", "b")
    ids = {"a": a, "b": b}
    ids["clerk"] = room.staff("clerk", "书记员")
    ids["office"] = room.staff("office", "街道办")
    ids["poll"] = room.ok(room.mod, "poll.open", question="q", kind="single", options=["x", "y"])[
        "poll_id"
    ]
    ids["held"] = room.ok(
        a, "chat.send", text="待审", server_args={"status": "held", "reasons": ["spam"]}
    )["message_id"]
    ids["visible"] = room.ok(a, "chat.send", text="大家好")["message_id"]
    ids["action"] = room.ok(
        room.mod, "action.add", title="报规划", owner="街道办", due="2025-12-31"
    )["action_id"]
    room.raise_hand(a, "support")
    room.ok(room.mod, "session.end")
    return room, ids


AFTER_END_CONFLICTS: list[tuple[str, str, dict[str, Any]]] = [
    ("a", "hand.raise", {"stance": "oppose"}),
    ("a", "hand.lower", {}),
    ("a", "statement.post", {"text": "t"}),
    ("a", "turn.yield", {}),
    ("a", "poll.vote", {"poll_id": "{poll}", "choices": [0]}),
    ("a", "chat.send", {"text": "还在吗"}),
    ("mod", "chat.send", {"text": "公告"}),
    ("mod", "session.start", {}),
    ("mod", "session.end", {}),
    ("mod", "agenda.goto", {"index": 0}),
    ("mod", "agenda.set", {"items": ["新议题"]}),
    ("mod", "turn.next", {}),
    ("mod", "turn.grant", {"participant_id": "{b}"}),
    ("mod", "turn.end", {}),
    ("mod", "turn.extend", {"seconds": 10}),
    ("mod", "queue.remove", {"participant_id": "{a}"}),
    ("mod", "offline.add", {"name": "晚到的人"}),
    ("clerk", "offline.add", {"name": "晚到的人"}),
    ("mod", "poll.open", {"question": "q2", "kind": "yes_no_abstain"}),
    ("mod", "poll.close", {"poll_id": "{poll}"}),
    ("mod", "chat.approve", {"message_id": "{held}"}),
    ("mod", "chat.remove", {"message_id": "{visible}"}),
    ("mod", "chat.pin", {"message_id": "{visible}"}),
    ("mod", "participant.mute", {"participant_id": "{a}", "seconds": 60}),
    ("mod", "participant.remove", {"participant_id": "{a}"}),
    ("mod", "decision.record", {"text": "通过"}),
    ("mod", "action.add", {"title": "t", "owner": "o", "due": "2026-01-01"}),
    ("mod", "settings.update", {"chat_mode": "closed"}),
]


@pytest.mark.parametrize(
    "who,cmd,args", AFTER_END_CONFLICTS, ids=[f"{c}-{w}" for w, c, _ in AFTER_END_CONFLICTS]
)
def test_after_the_end_everything_else_is_conflict(
    ended: tuple[Room, dict[str, str]], who: str, cmd: str, args: dict[str, Any]
) -> None:
    room, ids = ended
    actor = room.mod if who == "mod" else ids[who]
    filled = {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in args.items()}
    room.fail(actor, cmd, "conflict", **filled)


def test_after_the_end_follow_up_still_works(ended: tuple[Room, dict[str, str]]) -> None:
    room, ids = ended
    outcome = room.send(
        ids["office"],
        "action.update",
        action_id=ids["action"],
        status="in_progress",
        note="已报区规划局",
    )
    action = only(outcome.events, "action.updated").data
    assert action["status"] == "in_progress"
    assert action["updates"] == [
        {
            "status": "in_progress",
            "note": "已报区规划局",
            "at": outcome.events[0].at,
            "by": "街道办",
        }
    ]
    room.ok(room.mod, "action.update", action_id=ids["action"], status="done")
    room.fail(ids["a"], "action.update", "forbidden", action_id=ids["action"], status="done")
    room.fail(room.mod, "action.update", "not_found", action_id="a999", status="done")
    note = only(
        room.send(ids["clerk"], "minutes.note", text="会后补记").events, "minutes.noted"
    ).data
    assert note["text"] == "会后补记" and note["by"] == "书记员"
    room.ok(room.mod, "minutes.note", text="主持人补记")
    room.fail(ids["office"], "minutes.note", "forbidden", text="x")
    room.fail(ids["a"], "minutes.note", "forbidden", text="x")
    outcome = room.send(
        room.mod, "minutes.publish", server_args={"minutes_url": "http://h/r/room1/minutes"}
    )
    assert outcome.result == {"minutes_url": "http://h/r/room1/minutes"}
    assert only(outcome.events, "minutes.published").data == outcome.result
    assert room.snapshot(ids["a"])["room"]["minutes_published"] is True
    room.fail(ids["a"], "minutes.publish", "forbidden")
    # people may still join and come and go
    late = room.join("会后来的人")
    room.offline(late)
    assert room.snapshot(late)["room"]["status"] == "ended"


def test_minutes_publish_without_a_server_url_uses_the_room_path(room: Room) -> None:
    assert room.ok(room.mod, "minutes.publish") == {"minutes_url": "/r/room1/minutes"}


def test_agenda_set_keeps_records_and_refuses_to_drop_used_items(room: Room) -> None:
    room.ok(room.mod, "agenda.set", items=["选址", "费用", "施工"])
    (a,) = room.residents("a")
    room.ok(room.mod, "agenda.goto", index=1)
    room.raise_hand(a, "support")
    room.speak(5_000)
    items = {i["title"]: i["item_id"] for i in room.snapshot(room.mod)["room"]["agenda"]["items"]}
    room.fail(room.mod, "agenda.set", "conflict", items=["选址", "施工"])
    room.fail(room.mod, "agenda.set", "bad_command", items=["选址", "选址", "费用"])
    outcome = room.send(room.mod, "agenda.set", items=["维修基金", "费用"])
    changed = only(outcome.events, "agenda.changed").data
    assert changed["items"][1] == {"item_id": items["费用"], "title": "费用"}
    assert changed["items"][0]["item_id"] not in items.values()
    assert changed["current"] == 1  # still on 费用, with its balance
    assert changed["balance"]["support"] == {"turns": 1, "ms": 5_000}
    room.fail(a, "agenda.set", "forbidden", items=["x"])
    room.fail(a, "agenda.goto", "forbidden", index=0)


def test_agenda_set_cannot_drop_the_item_a_poll_or_decision_belongs_to(room: Room) -> None:
    room.ok(room.mod, "agenda.set", items=["一", "二"])
    room.ok(room.mod, "decision.record", text="原则同意")
    room.fail(room.mod, "agenda.set", "conflict", items=["二"])
    room.ok(room.mod, "agenda.goto", index=1)
    room.ok(room.mod, "poll.open", question="q", kind="yes_no_abstain")
    room.fail(room.mod, "agenda.set", "conflict", items=["一"])


def test_settings_update_announces_the_whole_settings(room: Room) -> None:
    (a,) = room.residents("a")
    outcome = room.send(room.mod, "settings.update", revote=True, chat_rate=0)
    assert only(outcome.events, "settings.changed").data == {
        **DEFAULT_SETTINGS,
        "revote": True,
        "chat_rate": 0,
    }
    room.fail(a, "settings.update", "forbidden", revote=False)
    room.fail(room.mod, "settings.update", "bad_command", colour="red")
    room.fail(room.mod, "settings.update", "bad_command", turn_seconds=3601)
    room.fail(room.mod, "settings.update", "bad_command")


def test_offline_add_seats_an_attendee_in_the_hall(room: Room) -> None:
    clerk = room.staff("clerk", "书记员")
    (a,) = room.residents("a")
    outcome = room.send(clerk, "offline.add", name="  刘大爷 ")
    joined = only(outcome.events, "participant.joined").data
    assert joined["name"] == "刘大爷" and joined["in_hall"] is True
    assert joined["online"] is False and joined["role"] == "participant"
    assert outcome.result == {"participant_id": joined["participant_id"]}
    room.fail(a, "offline.add", "forbidden", name="x")
    room.fail(clerk, "offline.add", "too_large", name="名" * 41)


def test_participant_mute_and_who_cannot_be_muted(room: Room) -> None:
    (a,) = room.residents("a")
    mod2 = room.staff("moderator", "副主持")
    outcome = room.send(room.mod, "participant.mute", participant_id=a, seconds=60)
    updated = only(outcome.events, "participant.updated").data
    assert updated["muted_until"] == outcome.events[0].at + 60_000
    assert room.snapshot(a)["you"]["muted_until"] == updated["muted_until"]
    room.ok(room.mod, "participant.mute", participant_id=a, seconds=0)
    assert room.snapshot(a)["you"]["muted_until"] is None
    room.fail(room.mod, "participant.mute", "forbidden", participant_id=mod2, seconds=60)
    room.fail(a, "participant.mute", "forbidden", participant_id=a, seconds=60)
    room.fail(room.mod, "participant.mute", "not_found", participant_id="u999", seconds=60)


def test_decisions_and_actions_are_recorded_on_the_current_item(room: Room) -> None:
    (a,) = room.residents("a")
    poll = room.ok(room.mod, "poll.open", question="q", kind="yes_no_abstain")["poll_id"]
    outcome = room.send(room.mod, "decision.record", text="同意加装", poll_id=poll)
    decision = only(outcome.events, "decision.recorded").data
    item = room.snapshot(a)["room"]["agenda"]["items"][0]["item_id"]
    assert decision == {
        "decision_id": outcome.result["decision_id"],
        "text": "同意加装",
        "poll_id": poll,
        "item_id": item,
        "at": outcome.events[0].at,
    }
    room.fail(room.mod, "decision.record", "not_found", text="x", poll_id="p999")
    room.fail(a, "decision.record", "forbidden", text="x")
    outcome = room.send(room.mod, "action.add", title="出方案", owner="物业", due="2026-03-01")
    action = only(outcome.events, "action.added").data
    assert action["status"] == "open" and action["due"] == "2026-03-01"
    assert action["updates"] == []
    room.fail(room.mod, "action.add", "bad_command", title="x", owner="y", due="明天")
    room.fail(room.mod, "action.add", "bad_command", title="x", owner="y", due="2026-02-30")
    room.fail(a, "action.add", "forbidden", title="x", owner="y", due="2026-01-01")
    snap = room.snapshot(a)
    assert [d["text"] for d in snap["decisions"]] == ["同意加装"]
    assert [x["title"] for x in snap["actions"]] == ["出方案"]


# -- joining ---------------------------------------------------------------------------------


def test_joins_need_the_room_code_unless_personal_codes_are_used(room: Room) -> None:
    outcome = room.system("participant.join", {"invite": "WRONG", "name": "x"})
    assert outcome.error is not None and outcome.error.code.value == "unauthorized"
    outcome = room.system(
        "participant.join", {"invite": INVITE, "name": "观察员", "role": "observer"}
    )
    assert only(outcome.events, "participant.joined").data["role"] == "observer"
    codes = room.system("invites.create", {"codes": ["P1", "P2"]}, actor=room.mod)
    assert codes.result == {"codes": ["P1", "P2"]} and codes.events == ()
    room.ok(room.mod, "settings.update", invite_mode="personal")
    outcome = room.system("participant.join", {"invite": INVITE, "name": "x"})
    assert outcome.error is not None and outcome.error.code.value == "forbidden"
    first = room.system("participant.join", {"invite": "P1", "name": "一户", "device": "d1"})
    pid = first.result["participant_id"]
    assert types(first.events) == ["participant.joined"]
    # the same code: the same participant again, no second join
    again = room.system("participant.join", {"invite": "P1", "name": "一户", "device": "d1"})
    assert again.result == {"participant_id": pid, "token_version": 0} and again.events == ()
    room.ok(room.mod, "participant.remove", participant_id=pid)
    removed = room.system("participant.join", {"invite": "P1", "name": "一户", "device": "d1"})
    assert removed.error is not None and removed.error.code.value == "forbidden"


def test_only_moderators_add_staff_and_revoke_tokens(room: Room) -> None:
    (a,) = room.residents("a")
    outcome = room.system("participant.join", {"role": "clerk", "name": "x"}, actor=a)
    assert outcome.error is not None and outcome.error.code.value == "forbidden"
    outcome = room.system("token.revoke", {"participant_id": a}, actor=room.mod)
    assert outcome.result == {"participant_id": a, "token_version": 1}
    assert types(outcome.events) == ["participant.left"]
    outcome = room.system("token.revoke", {"participant_id": room.mod}, actor=a)
    assert outcome.error is not None and outcome.error.code.value == "forbidden"


def test_presence_changes_are_announced_once_per_change(room: Room) -> None:
    a = room.join("a", online=False)
    joined = of_type(room.outcomes[-1].events, "participant.joined")
    assert joined and joined[0].data["online"] is False
    assert only(room.online(a).events, "participant.updated").data["online"] is True
    assert room.online(a, node="n2").events == ()
    assert room.offline(a).events == ()
    assert only(room.offline(a, node="n2").events, "participant.updated").data["online"] is False
    assert room.system("presence", {"participant_id": "u999", "online": True, "node": "n1"}).ok
