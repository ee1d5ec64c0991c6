"""The minutes model: a pure fold of a room's state into one JSON-ready dict.

``build_minutes(state, digest=...)`` reads the records the reducer keeps
(every turn, statement, tally, decision, action, note, pin and presence span)
and says nothing the room's public stream did not say:

* A secret poll shows its totals only: counts, voters, eligible. No ballot,
  no voter's name, in any field.
* A named (not secret) poll lists who chose what once it has closed: that is
  what makes it a named vote. While it is open, only what the room shows
  everyone: the counts if ``live_results``, else nothing but ``eligible``.
* Ranked and score polls, quorum and thresholds (rules 6 rooms only, so older
  exports rebuild unchanged): each poll adds the rules it set, the presence at
  its close and, once counted, what it decided (``_procedure``): the outcome
  and its numbers, a ranked poll's rounds and winner, a score poll's means.
  Only totals and rounds: a secret poll's rankings and scores stay sealed.
* Held chat never appears; approved or pinned messages do, as the room saw
  them (a masked text stays masked). Removed messages do not.
* Recordings (rooms under rules 5 only, so older exports rebuild unchanged):
  each turn the room recorded, and did not erase since, has a ``recording``
  link, and ``recordings`` says whether they are published, the chair's link
  and when they were erased. The public copy has the links only once the
  moderator published them (``recordings.publish``); otherwise ``null``.

Two copies are made from the same state. The moderator's copy (``public=False``)
keeps the attendance record: who joined, how, and their online spans. The
public copy (``public=True``, what anyone reads once the minutes are
published) names people only for what they did in the record (speakers,
voters of a named poll, authors of pinned chat, owners of actions, the staff)
and gives attendance as counts: nobody's comings and goings, and nobody who
came and said nothing, are published. It says ``"copy": "public"``; the
moderator's copy has no ``copy`` field (as every export made before there
were two), so each is checked against the log by rebuilding the same copy.

The same state always gives the same dict (no clock, no randomness), so an
export can be checked by rebuilding it from the stored log (verify.py). The
schema is documented in docs/minutes.md; bump ``SCHEMA`` when it changes.

Overdue depends on the day, not on the log. Minutes made ``as_of`` a day say so
(``"as_of": "YYYY-MM-DD"``) and flag each action past due that day
(``"overdue"``, server/minutes/deadlines.py); verify.py rebuilds an export with the day
it states, so an export still verifies on any later day. Without ``as_of`` (the
default, and every export made before) neither field appears.
"""

from __future__ import annotations

import datetime

from ..core.state import AgendaItem, ChatMessage, Participant, Poll, RoomState, Turn
from ..core.types import Json, Role
from .approved import approval_block, with_approval
from .balance import balance_of
from .deadlines import is_overdue
from .digest import ALGORITHM

SCHEMA = "yishi.minutes/1"
# Minutes are dated in China Standard Time (no daylight saving): the rooms are
# held there, and a fixed offset keeps one log's minutes the same on every
# machine. The offset is stated in every export.
UTC_OFFSET_MINUTES = 8 * 60
ROLL_CALL_FOR_NAMED_POLLS = True


PUBLIC = "public"  # the ``copy`` field of the public copy
CHAIR = "chair"  # the recording of the chair's voice (never a turn id: those are t<seq>)


def build_minutes(
    state: RoomState,
    *,
    digest: str,
    public: bool = False,
    as_of: datetime.date | None = None,
    approved: RoomState | None = None,
) -> Json:
    """The minutes of ``state``, made from the log whose chain digest is ``digest``.

    ``digest`` must be :func:`~yishi.minutes.log_digest` of the entries that
    produced ``state`` (its ``entry_seq`` of them). The result is final once
    the session has ended, a draft before. ``public``: the public copy (see
    above), else the moderator's. ``as_of``: the day overdue actions are flagged
    for (module docstring). ``approved`` (rules 6): once the minutes are
    approved, the state of the log's first ``approved_entries(state)`` entries,
    whose minutes are kept exactly as approved (approved.py).
    """
    if approved is not None:
        return with_approval(
            build_minutes(approved, digest=digest, public=public, as_of=as_of),
            build_minutes(state, digest=digest, public=public, as_of=as_of),
            state,
            approved,
        )
    item_ids = {item.item_id for item in state.agenda}
    links = not public or state.recordings_published
    model: Json = {
        "schema": SCHEMA,
        "room_id": state.room_id,
        "title": state.title,
        "topic": state.topic,
        "lang": state.settings.get("lang", "zh"),
        "final": state.status == "ended",
        "status": state.status,
        "date": session_date(state),
        "utc_offset": _offset_text(UTC_OFFSET_MINUTES),
        "created_at": state.created_at,
        "started_at": state.started_at,
        "ended_at": state.ended_at,
        "duration_ms": _duration(state),
        "record_until": state.last_at,
        "policy": state.settings.get("policy"),
        "turn_seconds": state.settings.get("turn_seconds"),
        "people": _people(state),
        "attendance": [_attendee(state, p) for p in state.participants.values()],
        # Personal codes a moderator freed from their device (each one announced).
        "code_resets": [
            {
                "participant_id": r["participant_id"],
                "name": r["name"],
                "by": state.participants[r["by"]].name,
                "at": r["at"],
            }
            for r in state.code_resets
        ],
        "agenda": [_item(state, n, item, links=links) for n, item in enumerate(state.agenda)],
        "actions": [_action(state, a.action_id, as_of) for a in state.actions.values()],
        # Notes taken on an item that agenda.set later dropped.
        "unfiled_notes": [n.to_wire() for n in state.notes if n.item_id not in item_ids],
        "chat": [_message(m) for m in state.chat.values() if m.public and (m.pinned or m.approved)],
        "integrity": {"algorithm": ALGORITHM, "digest": digest, "entries": state.entry_seq},
    }
    if as_of is not None:
        model["as_of"] = as_of.isoformat()
    if state.rules.recordings:
        model["recordings"] = {
            "published": state.recordings_published,
            "chair": recording_url(state.room_id, CHAIR)
            if links and state.chair_recorded
            else None,
            "erased_at": list(state.recordings_erased),
        }
    if state.rules.procedure:  # rules 6: approved and signed (approved.py)
        model["approval"] = approval_block(state)
    if not public:
        return model
    copy: Json = {"schema": SCHEMA, "copy": PUBLIC}
    for key, value in model.items():
        if key == "attendance":
            copy["present"] = _present(value)  # in its place: counts, no names, no times
        elif key != "schema":
            copy[key] = value
    return copy


def _present(attendance: list[Json]) -> Json:
    """Who attended, as counts (the public copy's attendance)."""
    present = [p for p in attendance if p["attended"]]
    residents = [p for p in present if p["role"] == "participant"]
    return {
        "residents": len(residents),
        "online": sum(1 for p in residents if p["mode"] == "online"),
        "hall": sum(1 for p in residents if p["mode"] == "hall"),
        "staff": sum(1 for p in present if p["role"] in ("moderator", "clerk", "office")),
        "observers": sum(1 for p in present if p["role"] == "observer"),
    }


def session_date(state: RoomState) -> str:
    """The day of the session (its start, else the room's creation) in the minutes' zone."""
    return _date(state.started_at if state.started_at is not None else state.created_at)


def _date(ms: int) -> str:
    zone = datetime.timezone(datetime.timedelta(minutes=UTC_OFFSET_MINUTES))
    return datetime.datetime.fromtimestamp(ms / 1000, tz=zone).date().isoformat()


def _offset_text(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _duration(state: RoomState) -> int | None:
    if state.started_at is None:
        return None
    # While live: the session so far, up to the last entry the minutes include.
    end = state.ended_at if state.ended_at is not None else state.last_at
    return end - state.started_at


def _people(state: RoomState) -> Json:
    def names(role: Role) -> list[str]:
        return [p.name for p in state.participants.values() if p.role is role]

    return {
        "moderators": names(Role.MODERATOR),
        "clerks": names(Role.CLERK),
        "offices": names(Role.OFFICE),
    }


def _attendee(state: RoomState, person: Participant) -> Json:
    spans = [[start, end] for start, end in person.presence]
    mode: str
    arrived: int | None
    left: int | None
    if person.in_hall:
        mode, arrived, left = "hall", person.joined_at, None
    elif spans:
        mode, arrived = "online", spans[0][0]
        left = spans[-1][1] if not person.online else None
    else:
        mode, arrived, left = "absent", None, None
    return {
        "participant_id": person.participant_id,
        "name": person.name,
        "role": person.role.value,
        "mode": mode,
        "attended": _attended(state, person),
        "joined_at": person.joined_at,
        "arrived_at": arrived,
        "left_at": left,
        "online_spans": spans,
        "removed": person.removed,
    }


def _attended(state: RoomState, person: Participant) -> bool:
    """In the hall, or online at some time during the session (or, before it
    starts, at all): staff who only came for the follow-up did not attend."""
    if person.in_hall:
        return True
    start = state.started_at
    end = state.ended_at
    for span_start, span_end in person.presence:
        assert span_start is not None
        if start is None:
            return True
        if (span_end is None or span_end >= start) and (end is None or span_start <= end):
            return True
    return False


def recording_url(room_id: str, track: str) -> str:
    """Where a turn's recording (or the chair's, ``CHAIR``) is downloaded."""
    return f"/api/rooms/{room_id}/recordings/{track}.ogg"


def _item(state: RoomState, index: int, item: AgendaItem, *, links: bool) -> Json:
    names = {pid: p.name for pid, p in state.participants.items()}
    turns = [_turn(names, n, turn) for n, turn in enumerate(item.turns, 1)]
    if state.rules.recordings:
        for turn, out in zip(item.turns, turns):
            out["recording"] = (
                recording_url(state.room_id, turn.turn_id) if links and turn.recorded else None
            )
    return {
        "item_id": item.item_id,
        "index": index,
        "title": item.title,
        "turns": turns,
        "balance": balance_of(item),
        "polls": [_poll(state, p) for p in state.polls.values() if p.item_id == item.item_id],
        "decisions": [d.to_wire() for d in state.decisions if d.item_id == item.item_id],
        "notes": [n.to_wire() for n in state.notes if n.item_id == item.item_id],
    }


def _turn(names: dict[str, str], number: int, turn: Turn) -> Json:
    return {
        "turn_id": turn.turn_id,
        "number": number,
        "participant_id": turn.participant_id,
        "speaker": turn.name,
        "stance": turn.stance,
        "started_at": turn.started_at,
        "ended_at": turn.ended_at,
        "duration_ms": turn.duration_ms,
        "limit_ms": turn.ends_at - turn.started_at - turn.extended_ms,
        "extended_ms": turn.extended_ms,
        "reason": turn.reason,
        "override": turn.override,
        "statements": [
            {
                "statement_id": s.statement_id,
                "text": s.text,
                "at": s.at,
                "recorded_by": names.get(s.by) if s.by != s.participant_id else None,
            }
            for s in turn.statements
        ],
    }


def _poll(state: RoomState, poll: Poll) -> Json:
    shown = poll.status == "closed" or poll.live_results
    # A secret poll's tally is the room's: the last batch released until its count.
    tally = poll.shown_tally()
    out: Json = {
        "poll_id": poll.poll_id,
        "question": poll.question,
        "options": list(poll.options),
        "kind": poll.kind,
        "max_choices": poll.max_choices,
        "secret": poll.secret,
        "status": poll.status,
        "opened_at": poll.opened_at,
        "closed_at": poll.closed_at,
        "counts": tally["counts"] if shown else None,
        "voters": tally["voters"] if shown else None,
        "eligible": tally["eligible"],
        "turnout": (
            round(tally["voters"] / tally["eligible"], 4) if shown and tally["eligible"] else None
        ),
        "roll_call": None,
    }
    if ROLL_CALL_FOR_NAMED_POLLS and not poll.secret and poll.status == "closed":
        out["roll_call"] = [
            {"participant_id": pid, "name": state.participants[pid].name, "choices": list(ballot)}
            for pid, ballot in poll.ballots.items()
        ]
    if state.rules.procedure:
        out.update(_procedure(poll))
    return out


PROCEDURE_KEYS = ("max_score", "quorum", "threshold", "threshold_base")
DECIDED_KEYS = ("outcome", "decided_by", "winner", "rounds", "means")


def _procedure(poll: Poll) -> Json:
    """Rules 6: the rules a poll set, the presence at its close, and what it decided
    (each key present, null when it does not apply; a roll call of a ranked poll
    lists each ranking in order, of a score poll each option's score)."""
    rules = poll.procedure()
    decided = poll.decided or {}
    out: Json = {key: rules.get(key) for key in PROCEDURE_KEYS}
    out["present"] = poll.present
    out.update({key: decided.get(key) for key in DECIDED_KEYS})
    return out


def _action(state: RoomState, action_id: str, as_of: datetime.date | None) -> Json:
    action = state.actions[action_id]
    item = state.item_by_id(action.item_id)
    out = {**action.to_wire(), "item_title": item.title if item is not None else None}
    if as_of is not None:
        out["overdue"] = is_overdue(action.due, action.status, as_of)
    return out


def _message(message: ChatMessage) -> Json:
    return {
        "message_id": message.message_id,
        "participant_id": message.participant_id,
        "name": message.name,
        "text": message.text,
        "at": message.at,
        "pinned": message.pinned,
        "approved": message.approved,
    }
