"""The vocabulary of the pure core: log entries in, events and outcomes out.

A room is a deterministic state machine. Every input is an :class:`Entry` taken
from the room's ordered log; applying it yields an :class:`Outcome`: the events
it produced (each numbered by the room) and either a result for the command's
sender or a :class:`CommandError`. Nothing here touches a clock, a socket or a
random number generator: time arrives as ``Entry.at``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]


class ErrorCode(str, enum.Enum):
    """Error codes; the values are the wire contract (PROTOCOL.md, "Error codes")."""

    BAD_FRAME = "bad_frame"
    BAD_COMMAND = "bad_command"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    RATE_LIMITED = "rate_limited"
    TOO_LARGE = "too_large"
    REJECTED = "rejected"
    UNAVAILABLE = "unavailable"


class CommandError(Exception):
    """A command the sender got wrong: the room does not change.

    Raised inside the reducer (and by the server's own checks before a command
    reaches the log); the caller turns it into an error reply.
    """

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple[type[CommandError], tuple[ErrorCode, str]]:
        # Remembered replies hold errors, and room snapshots are pickled.
        return (CommandError, (self.code, self.message))

    def to_wire(self) -> Json:
        return {"code": self.code.value, "message": self.message}


class Role(str, enum.Enum):
    MODERATOR = "moderator"
    CLERK = "clerk"
    OFFICE = "office"
    PARTICIPANT = "participant"
    OBSERVER = "observer"


STAFF_ROLES = frozenset({Role.MODERATOR, Role.CLERK, Role.OFFICE})


@dataclass(frozen=True, slots=True)
class Entry:
    """One record of a room's log.

    ``seq`` is the log's own dense number (1, 2, 3...), ``at`` the log's clock in
    Unix milliseconds (never decreasing). ``kind`` is a command name such as
    ``"hand.raise"`` or a system entry (``"room.create"``, ``"participant.join"``,
    ``"presence"``, ``"node.gone"``, ``"tick"``...). ``actor`` is the
    participant id that sent the command, or ``None`` for system entries.
    ``nonce`` is the client's retry key, if any.
    """

    seq: int
    at: int
    kind: str
    actor: str | None = None
    args: Json = field(default_factory=dict)
    nonce: str | None = None

    def to_record(self) -> Json:
        record: Json = {"seq": self.seq, "at": self.at, "kind": self.kind, "args": self.args}
        if self.actor is not None:
            record["actor"] = self.actor
        if self.nonce is not None:
            record["nonce"] = self.nonce
        return record

    @classmethod
    def from_record(cls, record: Json) -> Entry:
        return cls(
            seq=int(record["seq"]),
            at=int(record["at"]),
            kind=str(record["kind"]),
            actor=record.get("actor"),
            args=dict(record.get("args") or {}),
            nonce=record.get("nonce"),
        )


class AudienceKind(str, enum.Enum):
    PUBLIC = "public"  # everyone in the room
    MODERATORS = "moderators"  # moderators only
    PERSON = "person"  # one participant (and the moderators)


@dataclass(frozen=True, slots=True)
class Audience:
    kind: AudienceKind
    participant_id: str | None = None


PUBLIC = Audience(AudienceKind.PUBLIC)
MODERATORS = Audience(AudienceKind.MODERATORS)


def person(participant_id: str) -> Audience:
    return Audience(AudienceKind.PERSON, participant_id)


@dataclass(frozen=True, slots=True)
class Event:
    """Something the room announces. ``seq`` is the room's event number."""

    seq: int
    type: str
    at: int
    data: Json
    audience: Audience = PUBLIC

    def to_wire(self) -> Json:
        return {"seq": self.seq, "type": self.type, "at": self.at, "data": self.data}


@dataclass(frozen=True, slots=True)
class Outcome:
    """What applying one entry did: its events, and the reply owed to its sender."""

    entry_seq: int
    events: tuple[Event, ...]
    result: Json | None = None
    error: CommandError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None
