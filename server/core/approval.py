"""Minutes approved and signed (rules 6): approval, the second signature, amendments.

Rules:

* Rooms under rules before 6 refuse all three commands, and so does a session
  that has not ended (``conflict``).
* ``minutes.approve {entries, digest, cosigner?}``: the moderator approves the
  minutes built from the log's first ``entries`` entries, whose chain digest
  they reviewed. Only once the session has ended, and ``entries`` reaches at
  least the entry that ended it (a draft of a running session cannot be
  approved) and no further than the entry before this one (``conflict``). That
  ``digest`` is the digest of those entries is checked at the edge before the
  entry is appended (the core cannot hash the log; ``server/host/signing.py``): a
  draft that no longer matches is refused there and never reaches the log.
* Without ``cosigner`` the approval is complete at once. With one (a clerk or
  an office of the room, not removed: else ``forbidden``/``not_found``), it
  waits for them (``minutes.approval_pending``); a later ``minutes.approve``
  replaces an approval still waiting.
* ``minutes.sign {entries, digest}``: the named second signatory signs the
  approval waiting for them, with the same entries and digest (``conflict``
  for another version, or when nothing waits; ``forbidden`` for anyone else).
  That completes it.
* A complete approval carries the server's ``seal``: the statement it signed
  (``statement`` below: room, entries, digest, the signers with id, name and
  role, the time, the key's id), an Ed25519 signature and the public key. The
  reducer checks that the statement is exactly the one this room's state
  gives for the approval (``conflict`` otherwise: it changed while it was
  signed), so the log holds only signatures of what the room approved; the
  signature itself is checked by whoever reads the minutes
  (``yishi minutes --verify``). Each complete approval is listed, in order
  (``minutes.approved``); a further one must cover more of the log than the
  last.
* ``minutes.amend {text}``: after the first approval, the moderator corrects
  the minutes by appending an amendment; before it, ``conflict`` (the draft
  is still theirs to change). The approved minutes are never rewritten: they
  stay the fold of the first ``entries`` entries, and what came after is
  shown after them (``server/minutes/approved.py``).
"""

from __future__ import annotations

from typing import Any

from . import args as a
from .context import Context
from .state import Participant, RoomState
from .types import CommandError, ErrorCode, Json, Role

STATEMENT_FORMAT = "yishi.minutes-approval/1"
CHAIN = "sha256-chain/1"  # the digest's algorithm (minutes/digest.py, ALGORITHM)
COSIGNERS = frozenset({Role.CLERK, Role.OFFICE})


def signer(person: Participant) -> Json:
    return {"participant_id": person.participant_id, "name": person.name, "role": person.role.value}


def statement(
    state: RoomState,
    *,
    entries: int,
    digest: str,
    signers: list[Json],
    approved_at: int,
    key_id: str,
) -> Json:
    """What the server signs for a complete approval (docs/minutes.md, "Approval")."""
    return {
        "format": STATEMENT_FORMAT,
        "room_id": state.room_id,
        "algorithm": CHAIN,
        "entries": entries,
        "digest": digest,
        "signers": signers,
        "approved_at": approved_at,
        "key_id": key_id,
    }


def signers_of(state: RoomState, kind: str, args: Any, actor: str) -> list[Json] | None:
    """The signers of the approval that ``kind`` (from ``actor``) would complete, or None
    when it completes none (an approval naming a cosigner, or nothing to sign)."""
    person = state.participants.get(actor)
    if person is None:
        return None
    if kind == "minutes.approve":
        return None if args.cosigner is not None else [signer(person)]
    pending = state.approval_pending
    if kind == "minutes.sign" and pending is not None:
        return [pending["by"], signer(person)]
    return None


def _procedure(ctx: Context) -> None:
    if not ctx.state.rules.procedure:
        raise CommandError(
            ErrorCode.CONFLICT, "this room was created before minutes could be approved"
        )
    if ctx.state.status != "ended":
        raise CommandError(
            ErrorCode.CONFLICT, "the minutes are approved once the session has ended"
        )


def _check_seal(ctx: Context, kind: str, args: Any) -> None:
    """A completing command carries the server's seal of exactly this approval."""
    state = ctx.state
    signers = signers_of(state, kind, args, ctx.actor().participant_id)
    if signers is None:
        if args.seal is not None:
            raise CommandError(ErrorCode.BAD_COMMAND, "only a complete approval is sealed")
        return
    if args.seal is None:
        return  # the edge's precheck: the seal is made after it
    said = args.seal["statement"]
    at, key_id = said.get("approved_at"), said.get("key_id")
    if (
        not isinstance(at, int)
        or not isinstance(key_id, str)
        or said
        != statement(
            state,
            entries=args.entries,
            digest=args.digest,
            signers=signers,
            approved_at=at,
            key_id=key_id,
        )
    ):
        raise CommandError(
            ErrorCode.CONFLICT, "the approval changed while it was being signed; review it again"
        )


def approve_check(ctx: Context, args: a.MinutesApprove) -> None:
    """rules before 6; not ended; entries not from the end to now; approved; a cosigner not staff"""
    _procedure(ctx)
    state = ctx.state
    first = state.ended_seq or 1  # (None only in a state from before it was kept)
    last = ctx.entry.seq - 1
    if not first <= args.entries <= last:
        raise CommandError(
            ErrorCode.CONFLICT,
            f"approve the minutes as of the end of the session or later "
            f"(entries {first} to {last}), not {args.entries}",
        )
    if state.approvals and args.entries <= state.approvals[-1]["statement"]["entries"]:
        raise CommandError(ErrorCode.CONFLICT, "these minutes are approved already")
    if args.cosigner is not None:
        cosigner = ctx.participant(args.cosigner)
        if cosigner.role not in COSIGNERS:
            raise CommandError(
                ErrorCode.FORBIDDEN, "the second signatory must be a clerk or an office"
            )
    _check_seal(ctx, "minutes.approve", args)


def minutes_approve(ctx: Context, args: a.MinutesApprove) -> Json:
    state = ctx.state
    moderator = ctx.actor()
    if args.cosigner is None:
        return _complete(ctx, args)
    state.approval_pending = {
        "entries": args.entries,
        "digest": args.digest,
        "by": signer(moderator),
        "cosigner": signer(ctx.participant(args.cosigner)),
        "at": ctx.at,
    }
    ctx.emit("minutes.approval_pending", dict(state.approval_pending))
    return {"status": "pending"}


def sign_check(ctx: Context, args: a.MinutesSign) -> None:
    """rules before 6; not ended; nothing waiting; not the named signatory; another version"""
    _procedure(ctx)
    pending = ctx.state.approval_pending
    if pending is None:
        raise CommandError(ErrorCode.CONFLICT, "no approval is waiting for a signature")
    if pending["cosigner"]["participant_id"] != ctx.actor().participant_id:
        raise CommandError(
            ErrorCode.FORBIDDEN, f"the moderator asked {pending['cosigner']['name']} to sign"
        )
    if (args.entries, args.digest) != (pending["entries"], pending["digest"]):
        raise CommandError(
            ErrorCode.CONFLICT,
            "the moderator approved another version of the minutes; review that one",
        )
    _check_seal(ctx, "minutes.sign", args)


def minutes_sign(ctx: Context, args: a.MinutesSign) -> Json:
    return _complete(ctx, args)


def _complete(ctx: Context, args: a.MinutesApprove | a.MinutesSign) -> Json:
    if args.seal is None:
        raise CommandError(ErrorCode.BAD_COMMAND, "a complete approval must be sealed")
    state = ctx.state
    approval = {
        "statement": dict(args.seal["statement"]),
        "signature": args.seal["signature"],
        "public_key": args.seal["public_key"],
    }
    state.approvals.append(approval)
    state.approval_pending = None
    ctx.emit("minutes.approved", dict(approval))
    return {"status": "approved", "approval": len(state.approvals)}


def amend_check(ctx: Context, args: a.MinutesAmend) -> None:
    """rules before 6; not ended; before the first approval"""
    _procedure(ctx)
    if not ctx.state.approvals:
        raise CommandError(
            ErrorCode.CONFLICT, "the minutes are not approved yet: add a note to the draft instead"
        )


def minutes_amend(ctx: Context, args: a.MinutesAmend) -> Json:
    amendment = {
        "amendment_id": ctx.new_id("m"),
        "text": args.text,
        "by": ctx.actor().name,
        "at": ctx.at,
    }
    ctx.state.amendments.append(amendment)
    ctx.emit("minutes.amended", dict(amendment))
    return {"amendment_id": amendment["amendment_id"]}


def approval_view(state: RoomState) -> Json:
    """The approval as the welcome snapshot carries it (``room.approval``)."""
    return {
        "pending": dict(state.approval_pending) if state.approval_pending else None,
        "approvals": [dict(x) for x in state.approvals],
        "amendments": [dict(x) for x in state.amendments],
    }
