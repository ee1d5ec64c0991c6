"""The command table: everything about a command or a system entry, in one row.

A row says what a command takes (its arguments class), who may send it for
themselves (``senders``), who may send it for someone else (``for_others``,
with ``on_behalf_of``: only for an attendee seated in the hall), in which
session states it is allowed (``states``), which of its texts the moderation
pipeline screens (``screened``), whether a client may send it at all
(``client``: system entries are appended by the server), whether it may leave
secret-ballot work for the host to settle once it is in the log (``settles``),
whether it goes to the log at all (``logged``: ``audio.listen`` is the socket's
own), and its handler.

Everyone reads this table: the reducer checks role and state from the row
before it calls the handler; the WebSocket edge parses a client's arguments
with the row's class, pre-checks role and state against its replica before it
screens any text, and fills the arguments the server sets; the HTTP API
checks a new room's arguments with ``room.create``'s class; the tests' room
builder and ``docs/protocol.md``'s command table are held against it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

from . import approval, chat, floor, polls, recordings, session, system, voice
from . import args as a
from .schema import parse, to_log
from .types import CommandError, ErrorCode, Json, Role

Handler = Callable[[Any, Any], Json]  # (Context, the row's arguments) -> result
Check = Callable[[Any, Any], None]  # (Context, the row's arguments); raises CommandError
# The moderation pipeline's kinds ("record": staff's text, only masked).
TextKind = Literal["chat", "statement", "name", "note", "record"]

PENDING, LIVE, ENDED = "pending", "live", "ended"
ANY_STATE = frozenset({PENDING, LIVE, ENDED})
NOT_ENDED = frozenset({PENDING, LIVE})
ONLY_LIVE = frozenset({LIVE})

MODERATOR = frozenset({Role.MODERATOR})
RESIDENT = frozenset({Role.PARTICIPANT})
SPEAKERS = frozenset({Role.PARTICIPANT, Role.CLERK, Role.MODERATOR})
CLERK = frozenset({Role.CLERK})
STAFF_FOR_HANDS = frozenset({Role.CLERK, Role.MODERATOR})
RECORDERS = frozenset({Role.MODERATOR, Role.CLERK})
NOBODY: frozenset[Role] = frozenset()
EVERYONE = frozenset(Role)


class Settle(Enum):
    """When the host settles the secret-ballot work a command may leave (a full batch
    of ballots to release, a closed poll to count: server/host/ballots.py)."""

    AFTER = "after"  # in the background: the sender need not wait for the tally
    BEFORE_REPLY = "before the reply"  # the reply carries the count


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    args: type
    handler: Handler
    senders: frozenset[Role]
    for_others: frozenset[Role] = NOBODY
    states: frozenset[str] = ANY_STATE
    check: Check | None = None
    screened: tuple[tuple[str, TextKind], ...] = ()  # (argument, moderation kind)
    client: bool = True
    settles: Settle | None = None
    logged: bool = True


def _rows(*rows: Command) -> dict[str, Command]:
    return {row.name: row for row in rows}


C = Command
REC: TextKind = "record"  # staff's text: personal data masked, never held or refused
TABLE: dict[str, Command] = _rows(
    # -- the floor: hands, turns, statements (floor.py) --------------------------------
    C(
        "hand.raise",
        a.HandRaise,
        floor.hand_raise,
        RESIDENT,
        STAFF_FOR_HANDS,
        ONLY_LIVE,
        check=floor.hand_raise_check,
        screened=(("note", "note"),),
    ),
    C(
        "hand.lower",
        a.ForSomeone,
        floor.hand_lower,
        RESIDENT,
        STAFF_FOR_HANDS,
        NOT_ENDED,
        check=floor.hand_lower_check,
    ),
    C(
        "statement.post",
        a.StatementPost,
        floor.statement_post,
        SPEAKERS,
        CLERK,
        ONLY_LIVE,
        check=floor.statement_check,
        screened=(("text", "statement"),),
    ),
    C(
        "turn.yield",
        a.NoArgs,
        floor.turn_yield,
        SPEAKERS,
        states=ONLY_LIVE,
        check=floor.turn_yield_check,
    ),
    C(
        "turn.next",
        a.NoArgs,
        floor.turn_next,
        MODERATOR,
        states=ONLY_LIVE,
        check=floor.turn_next_check,
    ),
    C(
        "turn.grant",
        a.TurnGrant,
        floor.turn_grant,
        MODERATOR,
        states=ONLY_LIVE,
        check=floor.turn_grant_check,
    ),
    C(
        "turn.end",
        a.TurnEnd,
        floor.turn_end,
        MODERATOR,
        states=ONLY_LIVE,
        check=floor.turn_end_check,
    ),
    C(
        "turn.extend",
        a.TurnExtend,
        floor.turn_extend,
        MODERATOR,
        states=ONLY_LIVE,
        check=floor.turn_end_check,
    ),
    C(
        "queue.remove",
        a.Person,
        floor.queue_remove,
        MODERATOR,
        states=NOT_ENDED,
        check=floor.queue_remove_check,
    ),
    # -- polls (polls.py) ----------------------------------------------------------------
    C(
        "poll.open",
        a.PollOpen,
        polls.poll_open,
        MODERATOR,
        states=ONLY_LIVE,
        check=polls.poll_open_check,
        screened=(("question", REC), ("options", REC)),
    ),
    C(
        "poll.vote",
        a.PollVote,
        polls.poll_vote,
        RESIDENT,
        CLERK,
        ONLY_LIVE,
        check=polls.poll_vote_check,
        settles=Settle.AFTER,
    ),
    C(
        "poll.close",
        a.PollRef,
        polls.poll_close,
        MODERATOR,
        states=NOT_ENDED,
        check=polls.poll_close_check,
        settles=Settle.BEFORE_REPLY,
    ),
    C("poll.release", a.PollRelease, polls.poll_release, NOBODY, client=False),
    C("poll.count", a.PollCount, polls.poll_count, NOBODY, client=False),
    # -- voice: a socket's own, answered there (core/voice.py, server/sockets/voicegate.py) ------
    C("audio.listen", a.AudioListen, voice.audio_listen, EVERYONE, logged=False),
    # -- chat (chat.py) ------------------------------------------------------------------
    C(
        "chat.send",
        a.ChatSend,
        chat.chat_send,
        SPEAKERS,
        states=NOT_ENDED,
        check=chat.chat_send_check,
        screened=(("text", "chat"),),
    ),
    C(
        "chat.approve",
        a.MessageRef,
        chat.chat_approve,
        MODERATOR,
        states=NOT_ENDED,
        check=chat.chat_approve_check,
    ),
    C(
        "chat.remove",
        a.MessageRef,
        chat.chat_remove,
        MODERATOR,
        states=NOT_ENDED,
        check=chat.message_check,
    ),
    C(
        "chat.pin",
        a.MessageRef,
        chat.chat_pin,
        MODERATOR,
        states=NOT_ENDED,
        check=chat.chat_pin_check,
    ),
    # -- the session, its people and its record (session.py) -----------------------------
    C("session.start", a.NoArgs, session.session_start, MODERATOR, states=frozenset({PENDING})),
    C(
        "session.end",
        a.NoArgs,
        session.session_end,
        MODERATOR,
        states=ONLY_LIVE,
        settles=Settle.AFTER,
    ),
    C(
        "agenda.goto",
        a.AgendaGoto,
        session.agenda_goto,
        MODERATOR,
        states=NOT_ENDED,
        check=session.agenda_goto_check,
    ),
    C(
        "agenda.set",
        a.AgendaSet,
        session.agenda_set,
        MODERATOR,
        states=NOT_ENDED,
        check=session.agenda_set_check,
        screened=(("items", REC),),
    ),
    C(
        "settings.update",
        a.SettingsUpdate,
        session.settings_update,
        MODERATOR,
        states=NOT_ENDED,
        check=session.settings_update_check,
    ),
    C(
        "offline.add",
        a.OfflineAdd,
        session.offline_add,
        RECORDERS,
        states=NOT_ENDED,
        screened=(("name", "name"),),
    ),
    C(
        "participant.mute",
        a.ParticipantMute,
        session.participant_mute,
        MODERATOR,
        states=NOT_ENDED,
        check=session.participant_mute_check,
    ),
    C(
        "participant.remove",
        a.Person,
        session.participant_remove,
        MODERATOR,
        states=NOT_ENDED,
        check=session.participant_remove_check,
    ),
    C("minutes.note", a.MinutesNote, session.minutes_note, RECORDERS, screened=(("text", REC),)),
    C(
        "decision.record",
        a.DecisionRecord,
        session.decision_record,
        MODERATOR,
        states=NOT_ENDED,
        check=session.decision_record_check,
        screened=(("text", REC),),
    ),
    C(
        "action.add",
        a.ActionAdd,
        session.action_add,
        MODERATOR,
        states=NOT_ENDED,
        screened=(("title", REC), ("owner", REC)),
    ),
    C(
        "action.update",
        a.ActionUpdate,
        session.action_update,
        frozenset({Role.MODERATOR, Role.OFFICE}),
        check=session.action_update_check,
        screened=(("note", REC),),
    ),
    C("minutes.publish", a.MinutesPublish, session.minutes_publish, MODERATOR),
    # -- recordings of the turns' audio, rules 5 (recordings.py) ---------------------------
    C(
        "recordings.publish",
        a.RecordingsPublish,
        recordings.recordings_publish,
        MODERATOR,
        check=recordings.recordings_check,
    ),
    C(
        "recordings.erase",
        a.NoArgs,
        recordings.recordings_erase,
        MODERATOR,
        check=recordings.recordings_check,
    ),
    # -- minutes approved and signed, rules 6 (approval.py) ---------------------------------
    # (Each check refuses them before the session has ended, saying so.)
    C(
        "minutes.approve",
        a.MinutesApprove,
        approval.minutes_approve,
        MODERATOR,
        check=approval.approve_check,
    ),
    C(
        "minutes.sign",
        a.MinutesSign,
        approval.minutes_sign,
        approval.COSIGNERS,
        check=approval.sign_check,
    ),
    C(
        "minutes.amend",
        a.MinutesAmend,
        approval.minutes_amend,
        MODERATOR,
        check=approval.amend_check,
        screened=(("text", REC),),
    ),
    # -- entries the server appends (system.py) ------------------------------------------
    C(
        "room.create",
        a.RoomCreate,
        system.room_create,
        NOBODY,
        client=False,
        screened=(("title", REC), ("topic", REC), ("agenda", REC), ("moderator_name", "name")),
    ),
    C(
        "participant.join",
        a.ParticipantJoin,
        system.participant_join,
        NOBODY,
        screened=(("name", "name"),),
        client=False,
    ),
    C("invites.create", a.InvitesCreate, system.invites_create, MODERATOR, client=False),
    C("token.revoke", a.Person, system.token_revoke, MODERATOR, client=False),
    C(
        "invite.reset",
        a.Person,
        system.invite_reset,
        MODERATOR,
        states=NOT_ENDED,
        check=system.invite_reset_check,
    ),
    C("presence", a.Presence, system.presence, NOBODY, client=False),
    C("node.gone", a.NodeGone, system.node_gone, NOBODY, client=False),
    C("tick", a.NoArgs, system.tick, NOBODY, client=False),
)


def client_command(name: str) -> Command | None:
    """The row of a command a client may send, or None."""
    row = TABLE.get(name)
    return row if row is not None and row.client else None


def client_args(name: str, raw: Any) -> Json:
    """A client's arguments to ``name``, checked and normalised as the log stores them
    (before the server screens texts and adds what it sets). Raises ``CommandError``."""
    row = client_command(name)
    if row is None:
        raise CommandError(ErrorCode.BAD_COMMAND, f"unknown command {name!r}")
    return to_log(parse(row.args, raw, client=True))
