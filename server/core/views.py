"""What each person may see: event visibility and the welcome snapshot.

* Public events reach everyone in the room.
* Moderator events (held chat, hidden tallies, open-poll ballots) reach
  moderators only. Clerks, offices and observers see the public stream.
* Personal events reach one participant (and the moderators): among them a
  resident's own joining, presence, mute and removal. Everyone sees staff and
  attendees in the hall.
* A snapshot lists, for a moderator, everyone; for others, the staff, the
  attendees in the hall, whoever waits or holds the floor, and themselves.
* A secret poll's ballots appear nowhere; a voter learns only that they voted.

The event rule is written once, as two functions: ``audience_of(event)`` names
the audiences an event is addressed to, ``heard_by(viewer)`` the audiences a
viewer hears, and a viewer sees an event when the two meet. The hub's fan-out
and the replay ring index by these two and decide nothing of their own.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from .approval import approval_view
from .context import Context
from .session import agenda_data
from .state import Poll, RoomState
from .types import MODERATORS, PUBLIC, Audience, AudienceKind, Entry, Event, Json, Role, person

CHAT_IN_SNAPSHOT = 100
# Who reads the moderator's copy of the minutes (the draft, with the attendance
# record) and the recordings: the moderators, and the clerks who keep the record with
# them. Not an office: it follows up the actions, which its own snapshot and the
# public copy carry, and has no need of who was online when.
RECORD_KEEPERS = frozenset({Role.MODERATOR, Role.CLERK})


@dataclass(frozen=True, slots=True)
class Viewer:
    participant_id: str
    role: Role

    @property
    def moderator(self) -> bool:
        return self.role is Role.MODERATOR


def audience_of(event: Event) -> tuple[Audience, ...]:
    """The audiences ``event`` is addressed to (the rule at the top of this module).

    A viewer sees an event when it hears one of these (``heard_by``). An event's
    audiences are chosen so that no viewer hears two of them: each socket is
    handed an event once, and each stream of the replay ring holds it once.
    """
    audience = event.audience
    if audience.kind is AudienceKind.PUBLIC:
        return _PUBLIC_ONLY
    if audience.kind is AudienceKind.PERSON and audience.participant_id is not None:
        return (audience, MODERATORS)
    return _MODERATORS_ONLY  # and a personal event naming nobody is the moderators' alone


def heard_by(viewer: Viewer) -> tuple[Audience, ...]:
    """The audiences ``viewer`` hears: a moderator, the public and the moderators'
    (which every personal event is addressed to as well); anyone else, the public
    and their own."""
    if viewer.moderator:
        return (PUBLIC, MODERATORS)
    return (PUBLIC, person(viewer.participant_id))


_PUBLIC_ONLY = (PUBLIC,)
_MODERATORS_ONLY = (MODERATORS,)


def _poll_view(poll: Poll, viewer: Viewer) -> Json:
    """A poll with its tally as ``viewer`` may see it: a secret poll's is the one its
    events showed (the last batch released, the eligibility at opening) until its
    count, so a reload shows nothing fresher than the stream did."""
    data = poll.to_wire()
    tally = poll.shown_tally()
    if viewer.moderator or poll.live_results or poll.status == "closed":
        data.update(tally)
        if viewer.moderator and not poll.secret:
            data["ballots"] = {pid: list(b) for pid, b in poll.ballots.items()}
    else:
        data.update({"counts": None, "voters": None, "eligible": tally["eligible"]})
    data["turnout"] = poll.turnout()  # public for every poll, and exact: no choice in it
    return data


def _listed(state: RoomState, viewer: Viewer) -> Iterable[str]:
    """Whom ``viewer``'s snapshot lists: everyone for a moderator; for others, the
    people everyone hears of, themselves, and whoever waits or holds the floor."""
    if viewer.moderator:
        return state.participants
    listed = dict(state.announced_ids)
    listed[viewer.participant_id] = None
    listed.update(dict.fromkeys(state.item.queue))
    if state.turn is not None:
        listed[state.turn.participant_id] = None
    return listed


def snapshot(state: RoomState, viewer: Viewer) -> Json:
    """The room as ``viewer`` may see it now (the ``state`` of the welcome reply)."""
    ctx = Context(state, Entry(seq=state.entry_seq, at=state.last_at, kind="view"))
    agenda = agenda_data(ctx)
    recent_chat = list(
        itertools.islice((m for m in reversed(state.chat.values()) if m.public), CHAT_IN_SNAPSHOT)
    )[::-1]
    you = state.participants[viewer.participant_id]
    ballots: dict[str, list[int] | bool] = {}
    for poll in state.polls.values():
        ballot = poll.ballots.get(viewer.participant_id)
        if ballot is not None:
            ballots[poll.poll_id] = True if poll.secret else list(ballot)
    waiting = state.item.queue.get(viewer.participant_id)
    out: Json = {
        "room": {
            "room_id": state.room_id,
            "title": state.title,
            "topic": state.topic,
            "status": state.status,
            "agenda": {"items": agenda["items"], "current": agenda["current"]},
            "settings": dict(state.settings),
            "minutes_published": state.minutes_published,
        },
        "participants": [state.participants[pid].to_wire() for pid in _listed(state, viewer)],
        "queue": ctx.queue_data(),
        "turn": state.turn.to_wire() if state.turn else None,
        "balance": agenda["balance"],
        "polls": [_poll_view(p, viewer) for p in state.polls.values()],
        "chat": [m.to_wire() for m in recent_chat],
        "pins": [state.chat[mid].to_wire() for mid in state.pinned_ids],
        "decisions": [d.to_wire() for d in state.decisions],
        "actions": [a.to_wire() for a in state.actions.values()],
        "notes": [n.to_wire() for n in state.notes],
        "you": {
            **you.to_wire(),
            "ballots": ballots,
            "queue_entry": ctx.queue_entry(viewer.participant_id) if waiting else None,
        },
    }
    if state.rules.recordings:  # rules 5: as recordings.published/erased said
        out["room"]["recordings"] = {
            "published": state.recordings_published,
            "erased_at": list(state.recordings_erased),
        }
    if state.rules.procedure:  # rules 6: the minutes' approval (core/approval.py)
        out["room"]["approval"] = approval_view(state)
    if viewer.moderator:
        out["room"]["invite_code"] = state.invite_code
        out["held"] = [m.to_review() for m in state.chat.values() if m.status == "held"]
    return out


def summary(state: RoomState) -> Json:
    """The public summary (``GET /api/rooms/{id}``): nothing a stranger should not see."""
    return {
        "room_id": state.room_id,
        "title": state.title,
        "topic": state.topic,
        "status": state.status,
        "agenda": [i.title for i in state.agenda],
        "current": state.current,
        "lang": state.settings["lang"],
        "invite_mode": state.settings["invite_mode"],
        "minutes_published": state.minutes_published,
        "minutes_url": state.minutes_url,
        # The join page says so when a room records its turns' audio (rules 5).
        "record_audio": bool(state.settings.get("record_audio")),
        "created_at": state.created_at,
        "started_at": state.started_at,
        "ended_at": state.ended_at,
        "participants": sum(1 for p in state.participants.values() if not p.removed),
        "online": sum(1 for p in state.participants.values() if p.online),
    }
