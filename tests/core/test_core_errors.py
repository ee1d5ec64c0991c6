"""Every error code the core can produce, and argument checks (`commands.client_args`)."""

from __future__ import annotations

from typing import Any

import pytest
from roombuilder import Room
from yishi.core import commands
from yishi.core.types import CommandError, ErrorCode

CONTRACT_CODES = [
    "bad_frame",
    "bad_command",
    "unauthorized",
    "forbidden",
    "not_found",
    "conflict",
    "rate_limited",
    "too_large",
    "rejected",
    "unavailable",
]


def test_error_codes_are_the_contracts() -> None:
    assert [c.value for c in ErrorCode] == CONTRACT_CODES
    error = CommandError(ErrorCode.CONFLICT, "a turn is running")
    assert error.to_wire() == {"code": "conflict", "message": "a turn is running"}


def test_each_code_the_core_produces(room: Room) -> None:
    (a,) = room.residents("a")
    room.ok(room.mod, "settings.update", chat_rate=1)
    unknown = room.append("no.such.entry", actor=a)
    assert unknown.error is not None and unknown.error.code is ErrorCode.BAD_COMMAND
    assert room.fail("u404", "chat.send", "unauthorized", text="谁").code is ErrorCode.UNAUTHORIZED
    room.fail(a, "turn.next", "forbidden")
    room.fail(room.mod, "queue.remove", "not_found", participant_id=a)
    room.fail(room.mod, "turn.end", "conflict")
    room.ok(a, "chat.send", text="一")
    room.fail(a, "chat.send", "rate_limited", text="二")
    room.fail(a, "chat.send", "too_large", text="x" * 501)
    room.fail(room.mod, "poll.vote", "bad_command", poll_id="p1", choices="0")


def test_a_removed_participant_is_unauthorized(room: Room) -> None:
    (a,) = room.residents("a")
    room.ok(room.mod, "participant.remove", participant_id=a)
    for cmd, args in (
        ("chat.send", {"text": "x"}),
        ("hand.lower", {}),
        ("turn.yield", {}),
        ("statement.post", {"text": "x"}),
    ):
        room.fail(a, cmd, "unauthorized", **args)


def test_queue_remove_takes_a_waiting_hand_down(room: Room) -> None:
    (a,) = room.residents("a")
    room.raise_hand(a, "neutral")
    room.fail(a, "queue.remove", "forbidden", participant_id=a)
    room.ok(room.mod, "queue.remove", participant_id=a)
    assert room.queue()["neutral"] == []
    room.fail(room.mod, "queue.remove", "not_found", participant_id=a)


def test_a_failed_command_still_takes_its_log_place_and_no_event_number(room: Room) -> None:
    (a,) = room.residents("a")
    seq = room.state.event_seq
    outcome = room.send(a, "turn.yield")
    assert outcome.error is not None and outcome.events == ()
    room.ok(a, "chat.send", text="下一条")
    assert room.events[-1].seq == seq + 1


# -- commands.client_args ------------------------------------------------------------------------

VALID: list[tuple[str, dict[str, Any]]] = [
    ("hand.raise", {"stance": "neutral", "note": "", "on_behalf_of": "u3"}),
    ("poll.vote", {"poll_id": "p1", "choices": [0, 19]}),
    ("agenda.goto", {"index": 49}),
    ("agenda.set", {"items": [f"第{n}项" for n in range(50)]}),
    ("turn.extend", {"seconds": 600}),
    ("turn.extend", {"seconds": 1, "turn_id": "t1"}),
    ("participant.mute", {"participant_id": "u1", "seconds": 0}),
    (
        "poll.open",
        {
            "question": "q",
            "kind": "multi",
            "options": ["a", "b"],
            "max_choices": 2,
            "secret": True,
            "live_results": False,
        },
    ),
    ("action.add", {"title": "t", "owner": "o", "due": "2026-02-28"}),
    ("action.update", {"action_id": "a1", "status": "dropped", "note": ""}),
    (
        "settings.update",
        {
            "turn_seconds": 3600,
            "policy": "alternate",
            "revote": True,
            "chat_mode": "premoderated",
            "spam_action": "reject",
            "chat_rate": 600,
            "invite_mode": "personal",
            "lang": "en",
        },
    ),
]

INVALID: list[tuple[str, Any, str]] = [
    ("no.such", {}, "bad_command"),
    ("hello", {"token": "t"}, "bad_command"),
    ("chat.send", [], "bad_command"),
    ("chat.send", {}, "bad_command"),
    ("chat.send", {"text": 5}, "bad_command"),
    ("chat.send", {"text": "hi", "extra": 1}, "bad_command"),
    ("chat.send", {"text": "x" * 501}, "too_large"),
    ("statement.post", {"text": "x" * 2001}, "too_large"),
    ("offline.add", {"name": "x" * 41}, "too_large"),
    ("hand.raise", {"stance": "support", "note": "x" * 201}, "too_large"),
    ("hand.raise", {"stance": "abstain"}, "bad_command"),
    ("hand.raise", {"stance": "support", "on_behalf_of": ""}, "bad_command"),
    ("hand.raise", {"stance": "support", "on_behalf_of": "u" * 65}, "bad_command"),
    ("turn.extend", {"seconds": 0}, "bad_command"),
    ("turn.extend", {"seconds": 601}, "bad_command"),
    ("turn.extend", {"seconds": True}, "bad_command"),
    ("turn.extend", {"seconds": 1.5}, "bad_command"),
    ("agenda.goto", {"index": -1}, "bad_command"),
    ("agenda.set", {"items": []}, "bad_command"),
    ("agenda.set", {"items": [f"第{n}项" for n in range(51)]}, "bad_command"),
    ("agenda.set", {"items": ["一", "一"]}, "bad_command"),
    ("ping", {}, "bad_command"),
    ("tick", {}, "bad_command"),
    ("poll.vote", {"poll_id": "p1", "choices": [0], "salt": "chosen"}, "bad_command"),
    ("chat.send", {"text": "hi", "status": "visible"}, "bad_command"),
    ("poll.vote", {"poll_id": "p1", "choices": [20]}, "bad_command"),
    ("poll.vote", {"poll_id": "p1", "choices": ["0"]}, "bad_command"),
    ("poll.open", {"question": "q", "kind": "single", "secret": "yes"}, "bad_command"),
    ("action.add", {"title": "t", "owner": "o", "due": "2026-13-01"}, "bad_command"),
    ("action.add", {"title": "t", "owner": "o", "due": 20260101}, "bad_command"),
    ("action.update", {"action_id": "a1", "status": "closed"}, "bad_command"),
    ("participant.mute", {"participant_id": "u1", "seconds": 86401}, "bad_command"),
    ("settings.update", {"turn_seconds": 0}, "bad_command"),
    ("settings.update", {"chat_rate": -1}, "bad_command"),
    ("settings.update", {"policy": "random"}, "bad_command"),
    ("settings.update", {"revote": 1}, "bad_command"),
    ("settings.update", {"colour": "red"}, "bad_command"),
]


@pytest.mark.parametrize("cmd,args", VALID, ids=[c for c, _ in VALID])
def test_validate_accepts_the_contracts_shapes(cmd: str, args: dict[str, Any]) -> None:
    assert commands.client_command(cmd)
    checked = commands.client_args(cmd, args)
    assert set(checked) == set(args)


@pytest.mark.parametrize(
    "cmd,args,code", INVALID, ids=[f"{c}-{n}" for n, (c, _, _) in enumerate(INVALID)]
)
def test_validate_refuses_bad_shapes(cmd: str, args: Any, code: str) -> None:
    with pytest.raises(CommandError) as caught:
        commands.client_args(cmd, args)
    assert caught.value.code is ErrorCode(code)
    assert caught.value.message


def test_validate_normalises() -> None:
    assert commands.client_args("session.start", None) == {}
    assert commands.client_args("chat.send", {"text": "  你好\n"}) == {"text": "你好"}
    assert commands.client_args("hand.raise", {"stance": "oppose", "note": None}) == {
        "stance": "oppose"
    }
    assert (
        commands.client_args("action.add", {"title": "t", "owner": "o", "due": "2026-01-05"})["due"]
        == "2026-01-05"
    )
    assert not commands.client_command("tick") and not commands.client_command("hello")


def test_settings_update_needs_a_setting(room: Room) -> None:
    room.fail(room.mod, "settings.update", "bad_command")
