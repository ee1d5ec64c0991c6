"""What a command handler works with: the state, the entry, and an event sink.

Handlers validate everything first and only then change the state, so that a
``CommandError`` leaves the room exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import queue as policy
from .state import STANCES, Participant, RoomState
from .types import MODERATORS, PUBLIC, Audience, CommandError, Entry, ErrorCode, Event, Json, Role
from .types import person as person_audience

QUEUE_INTERVAL_MS = 500  # at most one queue.changed per window while hands move


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

    def participant(self, participant_id: str) -> Participant:
        person = self.state.participants.get(participant_id)
        if person is None or person.removed:
            raise CommandError(ErrorCode.NOT_FOUND, f"no participant {participant_id}")
        return person

    def acting_for(self, on_behalf_of: str | None) -> Participant:
        """The person a command is for: the sender, or the attendee ``on_behalf_of`` names.

        Whether the sender's role may act for others at all is the command's row
        (checked before the handler runs). Only residents seated in the hall can
        be acted for: someone with a phone of their own speaks and votes for
        themselves, and nobody else may put words or a ballot in their name.
        """
        sender = self.actor()
        if on_behalf_of is None or on_behalf_of == sender.participant_id:
            return sender
        target = self.participant(on_behalf_of)
        if target.role is not Role.PARTICIPANT:
            raise CommandError(ErrorCode.FORBIDDEN, "only residents can be acted for")
        if not target.in_hall:
            raise CommandError(
                ErrorCode.FORBIDDEN, "only attendees seated in the hall can be acted for"
            )
        return target

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
        out: Json = {
            "participant_id": entry.participant_id,
            "name": self.state.participants[entry.participant_id].name,
            "stance": entry.stance,
            "raised_at": entry.raised_at,
        }
        if entry.note:
            out["note"] = entry.note
        if entry.by:
            out["by"] = entry.by
        if self.state.rules.away_marks:
            out["away"] = not self.state.participants[entry.participant_id].present
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
        if (
            not self.state.rules.coalesce_hands
            or last is None
            or self.at - last >= QUEUE_INTERVAL_MS
        ):
            self.emit_queue()
        else:
            self.state.queue_due = True

    def queue_deadline(self) -> int | None:
        last = self.state.queue_announced_at
        return last + QUEUE_INTERVAL_MS if self.state.queue_due and last is not None else None

    def balance_data(self) -> Json:
        return {side: tally.to_wire() for side, tally in self.state.item.balance.items()}

    def emit_participant(self, person: Participant, type_: str = "participant.updated") -> None:
        self.emit(
            type_,
            person.to_wire(),
            PUBLIC if person.announced else person_audience(person.participant_id),
        )

    def emit_moderators(self, type_: str, data: Json) -> None:
        self.emit(type_, data, MODERATORS)
