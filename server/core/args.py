"""The arguments of every command and system entry, one frozen dataclass each.

Each field carries its check (``schema.arg``/``schema.opt``); the command
table (``commands.py``) names the class of each command, and handlers receive
an instance, already checked. Fields that name a ``ServerValue`` are set by
the server when it appends the entry; a client cannot send them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from .schema import (
    MAX_AGENDA_ITEMS,
    MAX_OPTIONS,
    SETTINGS_CHECKS,
    ServerValue,
    arg,
    boolean,
    choice_lists,
    code,
    distinct,
    ident,
    integer,
    iso_date,
    list_of,
    one_of,
    opt,
    sealed_text,
    settings_patch,
    text,
    word,
)
from .state import STANCES
from .tally import THRESHOLD_BASES, THRESHOLDS
from .types import CommandError, ErrorCode
from .versions import DEFAULT_SETTINGS

POLL_KINDS = ("single", "multi", "yes_no_abstain", "ranked", "score")  # the last two: rules 6
MAX_SCORE = 10

STANCE = one_of(*STANCES)


@dataclass(frozen=True, slots=True, kw_only=True)
class NoArgs:
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class AudioListen:
    on: bool = opt(boolean, default=True)


# -- the floor ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class HandRaise:
    stance: str = arg(STANCE)
    note: str | None = opt(text("note", allow_empty=True))
    on_behalf_of: str | None = opt(ident)


@dataclass(frozen=True, slots=True, kw_only=True)
class ForSomeone:
    on_behalf_of: str | None = opt(ident)


@dataclass(frozen=True, slots=True, kw_only=True)
class StatementPost:
    text: str = arg(text("statement"))
    on_behalf_of: str | None = opt(ident)


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    participant_id: str = arg(ident)


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnGrant:
    participant_id: str = arg(ident)
    stance: str | None = opt(STANCE)


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnEnd:
    turn_id: str | None = opt(ident)


@dataclass(frozen=True, slots=True, kw_only=True)
class TurnExtend:
    seconds: int = arg(integer(1, 600))
    turn_id: str | None = opt(ident)


# -- polls -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PollOpen:
    question: str = arg(text("question"))
    options: list[str] | None = opt(list_of(text("option"), low=0, high=MAX_OPTIONS))
    kind: str = arg(one_of(*POLL_KINDS))
    max_choices: int | None = opt(integer(1, MAX_OPTIONS))
    secret: bool = opt(boolean, default=False)
    live_results: bool = opt(boolean, default=False)
    # Rules 6 (polls.py has their rules): a score poll's top score; the quorum and the
    # threshold a poll decides by.
    max_score: int | None = opt(integer(1, MAX_SCORE))
    quorum: int | None = opt(integer(1, 1_000_000))
    threshold: str | None = opt(one_of(*THRESHOLDS))
    threshold_base: str | None = opt(one_of(*THRESHOLD_BASES))
    # Rules 4, secret polls: names the poll's key in the server's side store.
    ballot_key: str | None = opt(code, server=ServerValue.BALLOT_KEY)


CHOICES = list_of(integer(0, MAX_OPTIONS - 1), low=0, high=MAX_OPTIONS)
SCORES = list_of(integer(0, MAX_SCORE), low=1, high=MAX_OPTIONS)


@dataclass(frozen=True, slots=True, kw_only=True)
class PollVote:
    """A client sends ``choices`` (``scores`` for a score poll, rules 6); for a sealed
    (secret, rules 4) poll the server replaces them with ``sealed`` before the entry
    is appended."""

    poll_id: str = arg(ident)
    choices: list[int] | None = opt(CHOICES)
    scores: list[int] | None = opt(SCORES)  # rules 6: a score poll's ballot, one per option
    on_behalf_of: str | None = opt(ident)
    salt: str | None = opt(code, server=ServerValue.SALT)
    sealed: str | None = opt(sealed_text, server=ServerValue.SEALED)


@dataclass(frozen=True, slots=True, kw_only=True)
class PollRef:
    poll_id: str = arg(ident)


# -- chat --------------------------------------------------------------------------------


EVIDENCE = list_of(text("why"), low=0, high=20)  # (a field of ChatSend is named text)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatSend:
    text: str = arg(text("chat"))
    status: str | None = opt(one_of("visible", "masked", "held"), server=ServerValue.VERDICT)
    reasons: list[str] | None = opt(list_of(word, low=0, high=20), server=ServerValue.VERDICT)
    # What fired, with its weight, for the moderator who reviews a held message.
    why: list[str] | None = opt(EVIDENCE, server=ServerValue.VERDICT)


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageRef:
    message_id: str = arg(ident)


# -- the session and its record ----------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class AgendaGoto:
    index: int = arg(integer(0, MAX_AGENDA_ITEMS - 1))


AGENDA = distinct(list_of(text("title"), low=1, high=MAX_AGENDA_ITEMS), "agenda titles")


@dataclass(frozen=True, slots=True, kw_only=True)
class AgendaSet:
    items: list[str] = arg(AGENDA)


@dataclass(frozen=True, slots=True, kw_only=True)
class OfflineAdd:
    name: str = arg(text("name"))


@dataclass(frozen=True, slots=True, kw_only=True)
class ParticipantMute:
    participant_id: str = arg(ident)
    seconds: int = arg(integer(0, 86400))


@dataclass(frozen=True, slots=True, kw_only=True)
class MinutesNote:
    text: str = arg(text("minutes_note"))


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionRecord:
    text: str = arg(text("decision"))
    poll_id: str | None = opt(ident)


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionAdd:
    title: str = arg(text("title"))
    owner: str = arg(text("owner"))
    due: str = arg(iso_date)


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionUpdate:
    action_id: str = arg(ident)
    status: str = arg(one_of("open", "in_progress", "done", "dropped"))
    note: str | None = opt(text("minutes_note", allow_empty=True))


@dataclass(frozen=True, slots=True, kw_only=True)
class MinutesPublish:
    minutes_url: str | None = opt(text("topic"), server=ServerValue.MINUTES_URL)


@dataclass(frozen=True, slots=True, kw_only=True)
class SettingsUpdate:
    """Any keys of ``settings``; at least one."""

    turn_seconds: int | None = opt(SETTINGS_CHECKS["turn_seconds"])
    policy: str | None = opt(SETTINGS_CHECKS["policy"])
    revote: bool | None = opt(SETTINGS_CHECKS["revote"])
    chat_mode: str | None = opt(SETTINGS_CHECKS["chat_mode"])
    spam_action: str | None = opt(SETTINGS_CHECKS["spam_action"])
    chat_rate: int | None = opt(SETTINGS_CHECKS["chat_rate"])
    invite_mode: str | None = opt(SETTINGS_CHECKS["invite_mode"])
    lang: str | None = opt(SETTINGS_CHECKS["lang"])
    record_audio: bool | None = opt(SETTINGS_CHECKS["record_audio"])  # rules 5
    cue_seconds: list[int] | None = opt(SETTINGS_CHECKS["cue_seconds"])  # rules 6


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingsPublish:
    """Rules 5: whether the public minutes link the turns' recordings."""

    on: bool = arg(boolean)


assert set(SETTINGS_CHECKS) == set(DEFAULT_SETTINGS) == {f.name for f in fields(SettingsUpdate)}


# -- system entries ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RoomCreate:
    title: str = arg(text("title"))
    topic: str = opt(text("topic", allow_empty=True), default="")
    # Empty lists and objects: the HTTP API wrote them for "none" before rules 3.
    agenda: list[str] | None = opt(
        distinct(list_of(text("title"), low=0, high=MAX_AGENDA_ITEMS), "agenda titles")
    )
    settings: dict[str, Any] | None = opt(settings_patch)
    moderator_name: str | None = opt(text("name"))
    invite_code: str = arg(code, server=ServerValue.INVITE_CODE)
    # Absent from logs written before the version travelled with the room.
    rules_version: int | None = opt(integer(1, 1000), server=ServerValue.RULES_VERSION)


@dataclass(frozen=True, slots=True, kw_only=True)
class ParticipantJoin:
    name: str = arg(text("name"))
    role: str = opt(
        one_of("participant", "observer", "moderator", "clerk", "office"), default="participant"
    )
    invite: str | None = opt(code)
    device: str | None = opt(code, server=ServerValue.DEVICE)  # rules 4: a keyed hash


@dataclass(frozen=True, slots=True, kw_only=True)
class InvitesCreate:
    codes: list[str] = arg(list_of(code, low=1, high=1000), server=ServerValue.INVITE_CODES)


@dataclass(frozen=True, slots=True, kw_only=True)
class PollRelease:
    """A live tally of a sealed poll, released by the server (which can open the seals)
    once at least ``polls.BATCH`` ballots were cast since the last one."""

    poll_id: str = arg(ident)
    cast: int = arg(integer(1, 1 << 62))  # the ballots it covers (revotes included)
    counts: list[int] = arg(list_of(integer(0, 1 << 62), low=2, high=MAX_OPTIONS))
    voters: int = arg(integer(0, 1 << 62))


@dataclass(frozen=True, slots=True, kw_only=True)
class PollCount:
    """The count of a sealed poll after its close: the tally and every ballot's choices
    in shuffled order; or ``lost`` when its key was gone (counts unknown)."""

    poll_id: str = arg(ident)
    counts: list[int] | None = opt(list_of(integer(0, 1 << 62), low=2, high=MAX_OPTIONS))
    voters: int | None = opt(integer(0, 1 << 62))
    eligible: int | None = opt(integer(0, 1 << 62))
    choices: list[list[int]] | None = opt(choice_lists)
    lost: bool = opt(boolean, default=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Presence:
    participant_id: str = arg(ident)
    node: str = arg(code, server=ServerValue.FROM_NODE)
    online: bool = arg(boolean)
    since: int | None = opt(integer(0, 1 << 62))


@dataclass(frozen=True, slots=True, kw_only=True)
class NodeGone:
    node: str = arg(code, server=ServerValue.FROM_NODE)


# -- rules 6: minutes approved and signed (approval.py) ---------------------------------


def chain_digest(name: str, value: Any) -> str:
    """A log digest as the minutes state it: 64 lower-case hex digits."""
    if (
        not isinstance(value, str)
        or len(value) != 64
        or any(c not in "0123456789abcdef" for c in value)
    ):
        raise CommandError(ErrorCode.BAD_COMMAND, f"{name} must be a log digest (64 hex digits)")
    return value


def seal(name: str, value: Any) -> dict[str, Any]:
    """The server's signature of an approval: the statement it signed, the signature and
    the public key (both base64); the reducer checks the statement against the room."""
    if (
        not isinstance(value, dict)
        or set(value) != {"statement", "signature", "public_key"}
        or not isinstance(value["statement"], dict)
        or not all(
            isinstance(value[k], str) and 0 < len(value[k]) <= 200
            for k in ("signature", "public_key")
        )
    ):
        raise CommandError(ErrorCode.BAD_COMMAND, f"{name} must be a signed approval")
    return dict(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class MinutesApprove:
    """The moderator approves the minutes built from the log's first ``entries`` entries,
    whose digest they reviewed; ``cosigner`` names a second signatory (a clerk or an
    office). Without one, the approval is complete and the server signs it."""

    entries: int = arg(integer(1, 1 << 62))
    digest: str = arg(chain_digest)
    cosigner: str | None = opt(ident)
    seal: dict[str, Any] | None = opt(seal, server=ServerValue.SIGNATURE)


@dataclass(frozen=True, slots=True, kw_only=True)
class MinutesSign:
    """The second signatory signs the approval waiting for them (the same digest)."""

    entries: int = arg(integer(1, 1 << 62))
    digest: str = arg(chain_digest)
    seal: dict[str, Any] | None = opt(seal, server=ServerValue.SIGNATURE)


@dataclass(frozen=True, slots=True, kw_only=True)
class MinutesAmend:
    text: str = arg(text("minutes_note"))
