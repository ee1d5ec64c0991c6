"""Minutes approved and signed (rules 6, core/approval.py): approval, the second
signatory, amendments, given/when/then over events, and replay.

The core cannot hash the log nor sign: the digest here is any well-formed one
(the edge checks it against the log: tests/server/test_server_approval.py), and
the seal's signature any string (the signature is checked by --verify:
tests/minutes/test_verify_signature.py). What the core holds to is the seal's
statement: exactly the approval the room's state gives.
"""

from __future__ import annotations

from typing import Any

from roombuilder import Room, of_type, only, types
from yishi.core.approval import signer, statement
from yishi.core.reducer import replay
from yishi.core.types import ErrorCode, Json

DIGEST = "ab" * 32
OTHER = "cd" * 32
KEY_ID = "0123456789abcdef"


def seal(
    room: Room,
    *signers: str,
    entries: int,
    digest: str = DIGEST,
    at: int | None = None,
    **change: Any,
) -> Json:
    people = [signer(room.state.participants[p]) for p in signers]
    said = statement(
        room.state,
        entries=entries,
        digest=digest,
        signers=people,
        approved_at=room.now if at is None else at,
        key_id=KEY_ID,
    )
    said.update(change)
    return {"seal": {"statement": said, "signature": "c2ln", "public_key": "a2V5"}}


def ended(room: Room) -> int:
    """End the session; the number of entries the approval may cover from then."""
    room.ok(room.mod, "session.end")
    return len(room.entries)


def test_approve_before_the_end_is_refused(room: Room) -> None:
    error = room.fail(room.mod, "minutes.approve", ErrorCode.CONFLICT, entries=1, digest=DIGEST)
    assert "ended" in error.message


def test_only_the_moderator_approves(room: Room) -> None:
    clerk = room.staff("clerk", "李书记员")
    (a,) = room.residents("a")
    n = ended(room)
    for who in (clerk, a):
        room.fail(who, "minutes.approve", ErrorCode.FORBIDDEN, entries=n, digest=DIGEST)


def test_the_approval_covers_the_end_and_no_more_than_the_log(room: Room) -> None:
    n = ended(room)
    room.fail(room.mod, "minutes.approve", ErrorCode.CONFLICT, entries=n - 1, digest=DIGEST)
    past = len(room.entries) + 1  # (a refused command is in the log too)
    room.fail(room.mod, "minutes.approve", ErrorCode.CONFLICT, entries=past, digest=DIGEST)


def test_a_seal_of_another_statement_is_refused_and_changes_nothing(room: Room) -> None:
    clerk = room.staff("clerk", "李书记员")
    n = ended(room)
    for wrong in (
        seal(room, clerk, entries=n),
        seal(room, room.mod, entries=n, digest=OTHER),
        seal(room, room.mod, entries=n, room_id="other"),
    ):
        room.fail(
            room.mod,
            "minutes.approve",
            ErrorCode.CONFLICT,
            entries=n,
            digest=DIGEST,
            server_args=wrong,
        )
    assert room.state.approvals == []
    # and a complete approval must be sealed at all
    room.fail(room.mod, "minutes.approve", ErrorCode.BAD_COMMAND, entries=n, digest=DIGEST)


def test_the_moderator_alone_approves_at_once(room: Room) -> None:
    n = ended(room)
    sealed = seal(room, room.mod, entries=n, at=room.now + 1)
    result = room.ok(room.mod, "minutes.approve", entries=n, digest=DIGEST, server_args=sealed)
    assert result == {"status": "approved", "approval": 1}
    event = only(room.events, "minutes.approved")
    assert event.data == sealed["seal"]
    said = event.data["statement"]
    moderator = room.state.participants[room.mod]
    assert said["signers"] == [
        {"participant_id": room.mod, "name": moderator.name, "role": "moderator"}
    ]
    assert (said["entries"], said["digest"], said["room_id"]) == (n, DIGEST, "room1")
    assert room.snapshot(room.mod)["room"]["approval"]["approvals"] == [sealed["seal"]]
    # approving the same minutes again is refused; a longer log may be approved again
    room.fail(
        room.mod,
        "minutes.approve",
        ErrorCode.CONFLICT,
        entries=n,
        digest=DIGEST,
        server_args=seal(room, room.mod, entries=n, at=room.now + 1),
    )
    room.ok(room.mod, "minutes.note", text="补记")
    m = len(room.entries)
    room.ok(
        room.mod,
        "minutes.approve",
        entries=m,
        digest=OTHER,
        server_args=seal(room, room.mod, entries=m, digest=OTHER, at=room.now + 1),
    )
    assert [x["statement"]["entries"] for x in room.state.approvals] == [n, m]


def test_a_second_signatory_completes_the_approval(room: Room) -> None:
    clerk = room.staff("clerk", "李书记员")
    office = room.staff("office", "街道办")
    (a,) = room.residents("a")
    n = ended(room)
    room.fail(
        room.mod, "minutes.approve", ErrorCode.FORBIDDEN, entries=n, digest=DIGEST, cosigner=a
    )
    room.fail(
        room.mod,
        "minutes.approve",
        ErrorCode.NOT_FOUND,
        entries=n,
        digest=DIGEST,
        cosigner="nobody",
    )
    # a seal on an approval that waits for someone is not the server's
    room.fail(
        room.mod,
        "minutes.approve",
        ErrorCode.BAD_COMMAND,
        entries=n,
        digest=DIGEST,
        cosigner=clerk,
        server_args=seal(room, room.mod, entries=n),
    )
    room.fail(clerk, "minutes.sign", ErrorCode.CONFLICT, entries=n, digest=DIGEST)

    result = room.ok(room.mod, "minutes.approve", entries=n, digest=DIGEST, cosigner=clerk)
    assert result == {"status": "pending"}
    pending = only(room.events, "minutes.approval_pending").data
    assert pending["cosigner"] == {"participant_id": clerk, "name": "李书记员", "role": "clerk"}
    assert pending["by"]["participant_id"] == room.mod
    assert room.snapshot(clerk)["room"]["approval"]["pending"] == pending
    assert room.state.approvals == []
    room.fail(room.mod, "minutes.amend", ErrorCode.CONFLICT, text="太早")

    # only the one named signs, and only the version approved
    room.fail(
        office,
        "minutes.sign",
        ErrorCode.FORBIDDEN,
        entries=n,
        digest=DIGEST,
        server_args=seal(room, room.mod, office, entries=n, at=room.now + 1),
    )
    room.fail(room.mod, "minutes.sign", ErrorCode.FORBIDDEN, entries=n, digest=DIGEST)
    room.fail(
        clerk,
        "minutes.sign",
        ErrorCode.CONFLICT,
        entries=n,
        digest=OTHER,
        server_args=seal(room, room.mod, clerk, entries=n, digest=OTHER, at=room.now + 1),
    )
    # the seal must name both signers, the moderator first
    room.fail(
        clerk,
        "minutes.sign",
        ErrorCode.CONFLICT,
        entries=n,
        digest=DIGEST,
        server_args=seal(room, clerk, room.mod, entries=n, at=room.now + 1),
    )

    sealed = seal(room, room.mod, clerk, entries=n, at=room.now + 1)
    assert room.ok(clerk, "minutes.sign", entries=n, digest=DIGEST, server_args=sealed) == {
        "status": "approved",
        "approval": 1,
    }
    approved = only(room.events, "minutes.approved").data
    assert [s["role"] for s in approved["statement"]["signers"]] == ["moderator", "clerk"]
    view = room.snapshot(office)["room"]["approval"]
    assert view["pending"] is None and view["approvals"] == [sealed["seal"]]
    room.fail(clerk, "minutes.sign", ErrorCode.CONFLICT, entries=n, digest=DIGEST)


def test_a_new_approval_replaces_one_still_waiting(room: Room) -> None:
    clerk = room.staff("clerk", "李书记员")
    office = room.staff("office", "街道办")
    n = ended(room)
    room.ok(room.mod, "minutes.approve", entries=n, digest=DIGEST, cosigner=clerk)
    room.ok(room.mod, "minutes.approve", entries=n, digest=DIGEST, cosigner=office)
    assert len(of_type(room.events, "minutes.approval_pending")) == 2
    room.fail(clerk, "minutes.sign", ErrorCode.FORBIDDEN, entries=n, digest=DIGEST)
    room.ok(
        office,
        "minutes.sign",
        entries=n,
        digest=DIGEST,
        server_args=seal(room, room.mod, office, entries=n, at=room.now + 1),
    )


def test_amendments_only_after_approval_and_replay(room: Room) -> None:
    clerk = room.staff("clerk", "李书记员")
    n = ended(room)
    room.fail(room.mod, "minutes.amend", ErrorCode.CONFLICT, text="更正")
    room.ok(
        room.mod,
        "minutes.approve",
        entries=n,
        digest=DIGEST,
        server_args=seal(room, room.mod, entries=n, at=room.now + 1),
    )
    room.fail(clerk, "minutes.amend", ErrorCode.FORBIDDEN, text="更正")
    result = room.ok(room.mod, "minutes.amend", text="第二项决定的票数应为 12 票")
    amended = only(room.events, "minutes.amended").data
    assert amended == {
        "amendment_id": result["amendment_id"],
        "text": "第二项决定的票数应为 12 票",
        "by": room.state.participants[room.mod].name,
        "at": room.now,
    }
    assert types(room.events)[-1] == "minutes.amended"

    again = replay("room1", room.entries)
    assert again.approvals == room.state.approvals
    assert again.amendments == room.state.amendments
    assert again.ended_seq == room.state.ended_seq == n
    assert room.snapshot(room.mod) == room.snapshot(room.mod)


def test_rooms_before_rules_6_cannot_approve() -> None:
    room = Room.create(start=True, rules_version=5)
    n = ended(room)
    error = room.fail(
        room.mod,
        "minutes.approve",
        ErrorCode.CONFLICT,
        entries=n,
        digest=DIGEST,
        server_args=seal(room, room.mod, entries=n, at=room.now + 1),
    )
    assert "before" in error.message
    room.fail(room.mod, "minutes.amend", ErrorCode.CONFLICT, text="x")


def test_arguments_are_checked(room: Room) -> None:
    n = ended(room)
    for digest in ("AB" * 32, "ab" * 31, 7):
        room.fail(room.mod, "minutes.approve", ErrorCode.BAD_COMMAND, entries=n, digest=digest)
    # a client cannot send the server's seal
    room.fail(
        room.mod,
        "minutes.approve",
        ErrorCode.BAD_COMMAND,
        entries=n,
        digest=DIGEST,
        seal={"statement": {}, "signature": "x", "public_key": "y"},
    )
