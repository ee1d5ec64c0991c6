"""What a command handler works with: the state, the entry, and an event sink.

Handlers validate everything first and only then change the state, so that a
``CommandError`` leaves the room exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from . import queue as policy
from .state import STANCES, Participant, RoomState
from .types import MODERATORS, PUBLIC, Audience, CommandError, Entry, ErrorCode, Event, Json, Role
from .types import person as person_audience

QUEUE_INTERVAL_MS = 500  # at most one queue.changed per window while hands move

Handler = Callable[["Context", Json], Json]
HANDLERS: dict[str, Handler] = {}


def handles(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


@dataclass(slots=True)
class Context:
    state: RoomState
    entry: Entry
    events: list[Event] = field(default_factory=list)

    @property
    def at(self) -> int:
        return self.entry.at

    def new_id(self, prefix: str, index: int | None = None) -> str:
        """Ids derive from the entry's log position, so every node makes the same ones."""
        base = f"{prefix}{self.entry.seq}"
        return base if index is None else f"{base}-{index}"

    def emit(self, type_: str, data: Json, audience: Audience = PUBLIC) -> None:
        self.state.event_seq += 1
        self.events.append(Event(self.state.event_seq, type_, self.at, data, audience))

    # -- who is asking -------------------------------------------------------------

    def actor(self) -> Participant:
        pid = self.entry.actor
        person = self.state.participants.get(pid) if pid else None
        if person is None or person.removed:
            raise CommandError(ErrorCode.UNAUTHORIZED, "unknown or removed participant")
        return person

    def require(self, *roles: Role) -> Participant:
        person = self.actor()
        if person.role not in roles:
            raise CommandError(ErrorCode.FORBIDDEN,
                               f"{self.entry.kind} is not allowed for a {person.role.value}")
        return person

    def participant(self, participant_id: str) -> Participant:
        person = self.state.participants.get(participant_id)
        if person is None or person.removed:
            raise CommandError(ErrorCode.NOT_FOUND, f"no participant {participant_id}")
        return person

    def acting_for(self, args: Json, *, staff_roles: Iterable[Role]) -> Participant:
        """The person a command is for: the sender, or with ``on_behalf_of`` someone
        a staff member acts for. Residents act for themselves only."""
        sender = self.actor()
        target_id = args.get("on_behalf_of")
        if target_id is None or target_id == sender.participant_id:
            if sender.role is not Role.PARTICIPANT:
                raise CommandError(ErrorCode.FORBIDDEN,
                                   f"a {sender.role.value} may only act on behalf of someone")
            return sender
        if sender.role not in set(staff_roles):
            raise CommandError(ErrorCode.FORBIDDEN, "on_behalf_of is for staff")
        target = self.participant(target_id)
        if target.role is not Role.PARTICIPANT:
            raise CommandError(ErrorCode.FORBIDDEN, "only residents can be acted for")
        if sender.role is Role.CLERK and not target.in_hall:
            raise CommandError(ErrorCode.FORBIDDEN, "a clerk acts for attendees in the hall")
        return target

    # -- room status ---------------------------------------------------------------

    def require_live(self) -> None:
        if self.state.status != "live":
            raise CommandError(ErrorCode.CONFLICT, f"the session is {self.state.status}, not live")

    def require_not_ended(self) -> None:
        if self.state.status == "ended":
            raise CommandError(ErrorCode.CONFLICT, "the session has ended")

    # -- announcements shared by several handlers -----------------------------------

    def queue_data(self) -> Json:
        item = self.state.item
        data: Json = {}
        for side in STANCES:
            data[side] = [self.queue_entry(e.participant_id) for e in policy.side_order(item, side)]
        nxt = policy.pick_next(item, self.state.settings["policy"])
        data["next"] = self.queue_entry(nxt.participant_id) if nxt else None
        return data

    def queue_entry(self, participant_id: str) -> Json:
        entry = self.state.item.queue[participant_id]
        out: Json = {"participant_id": entry.participant_id,
                     "name": self.state.participants[entry.participant_id].name,
                     "stance": entry.stance, "raised_at": entry.raised_at}
        if entry.note:
            out["note"] = entry.note
        return out

    def emit_queue(self) -> None:
        """Announce the waiting list now (and start a new coalescing window)."""
        self.state.queue_announced_at = self.at
        self.state.queue_due = False
        self.emit("queue.changed", self.queue_data())

    def hands_moved(self) -> None:
        """Announce the waiting list now, or when the window since the last one ends.

        A rush of raised hands (a meeting opens, a hot question) would otherwise
        send every socket the whole growing list once per hand. The raiser learns
        their position from the reply; the moderators' own actions announce at once.
        """
        last = self.state.queue_announced_at
        if (self.state.rules_version < 2 or last is None
                or self.at - last >= QUEUE_INTERVAL_MS):
            self.emit_queue()
        else:
            self.state.queue_due = True

    def queue_deadline(self) -> int | None:
        last = self.state.queue_announced_at
        return last + QUEUE_INTERVAL_MS if self.state.queue_due and last is not None else None

    def balance_data(self) -> Json:
        return {side: tally.to_wire() for side, tally in self.state.item.balance.items()}

    def emit_participant(self, person: Participant, type_: str = "participant.updated") -> None:
        self.emit(type_, person.to_wire(),
                  PUBLIC if person.announced else person_audience(person.participant_id))

    def emit_moderators(self, type_: str, data: Json) -> None:
        self.emit(type_, data, MODERATORS)
