"""An entry the room cannot apply is a recorded fault, never an exception.

Before this rule, any exception other than ``CommandError`` escaped ``apply``
after ``entry_seq`` had moved: the live replica skipped the entry, and after a
restart the embedded server met it again and did not start at all.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from roombuilder import Room, only
from yishi.core.commands import TABLE
from yishi.core.reducer import apply, replay
from yishi.core.types import MODERATORS, Entry, Outcome


def append_raw(room: Room, kind: str, actor: str | None, args: Any) -> Outcome:
    """An entry as something other than our server might have written it."""
    room.now += 1
    entry = Entry(seq=room.state.entry_seq + 1, at=room.now, kind=kind, actor=actor, args=args)
    room.entries.append(entry)
    outcome = apply(room.state, entry)
    room.events.extend(outcome.events)
    return outcome


def test_a_join_with_a_role_the_core_does_not_know_is_a_fault(room: Room) -> None:
    (a,) = room.residents("甲")
    before = room.views()
    outcome = room.system(
        "participant.join", {"invite": "INVITE01", "name": "巫师", "role": "wizard"}
    )
    assert outcome.error is not None and outcome.error.code.value == "bad_command"
    fault = only(outcome.events, "room.fault")
    assert fault.audience == MODERATORS
    assert fault.data["entry_seq"] == outcome.entry_seq
    assert fault.data["kind"] == "participant.join"
    assert room.state.faults == [(outcome.entry_seq, "participant.join")]
    assert room.views() == before
    # The room goes on.
    assert room.ok(a, "chat.send", text="还在吗")


def test_an_unknown_entry_kind_and_junk_arguments_are_faults(room: Room) -> None:
    assert only(room.system("room.explode", {}).events, "room.fault").data["reason"]
    outcome = room.append("turn.next", actor=room.mod, args={"surprise": 1})
    assert only(outcome.events, "room.fault").data["kind"] == "turn.next"
    outcome = append_raw(room, "tick", None, [1, 2])
    assert only(outcome.events, "room.fault")
    assert [kind for _, kind in room.state.faults] == ["room.explode", "turn.next", "tick"]


def test_a_client_command_with_a_server_argument_forged_in_the_log_applies() -> None:
    """What the server sets may be in the log (the reducer parses as the log stores)."""
    room = Room.create(start=True)
    (a,) = room.residents("甲")
    assert room.send(a, "chat.send", text="你好", server_args={"status": "held"}).ok


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
KINDS = st.sampled_from([*sorted(TABLE), "hello", "", "tick.tock"])
ACTORS = st.sampled_from([None, "u1", "u2", "u3", "nobody"])


@given(
    script=st.lists(
        st.tuples(
            KINDS,
            ACTORS,
            JSON
            | st.dictionaries(
                st.sampled_from(
                    [
                        "participant_id",
                        "poll_id",
                        "choices",
                        "text",
                        "stance",
                        "name",
                        "role",
                        "invite",
                        "node",
                        "online",
                        "index",
                        "items",
                        "seconds",
                        "on_behalf_of",
                        "title",
                        "invite_code",
                        "rules_version",
                        "agenda",
                        "settings",
                        "since",
                    ]
                ),
                JSON,
                max_size=5,
            ),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_garbage_in_any_entry_never_raises_out_of_apply(script: list[tuple[str, Any, Any]]) -> None:
    room = Room.create(start=True)
    room.residents("甲")
    for kind, actor, args in script:
        entry_seq = room.state.entry_seq
        outcome = append_raw(room, kind, actor, args)
        assert room.state.entry_seq == entry_seq + 1
        assert outcome.ok or outcome.error is not None
    # Every node would agree: replaying the same log gives the same events.
    again = replay("room1", room.entries)
    assert again.event_seq == room.state.event_seq and again.faults == room.state.faults


def test_faults_replay_identically(room: Room) -> None:
    room.system("participant.join", {"name": "x", "role": "wizard", "invite": "INVITE01"})
    room.raise_hand(room.residents("甲")[0], "support")
    again = replay("room1", room.entries)
    assert again.faults == room.state.faults
    assert again.event_seq == room.state.event_seq


def test_the_entry_itself_can_be_garbage() -> None:
    room = Room.create(start=True)
    outcome = append_raw(room, "chat.send", room.mod, {"text": "\ud800"})
    assert outcome.ok or outcome.error is not None
