"""Session, agenda, settings, participants and the record (notes, decisions, actions).

Rules:

* ``session.start`` makes a pending room live; ``session.end`` ends a running
  turn (``moderator``), closes open polls and ends the session. After it only
  ``action.update``, ``minutes.publish`` and ``minutes.note`` work (plus joins
  and presence): everything else is ``conflict``.
* ``agenda.goto`` and ``participant.remove`` end a running turn
  (``moderator``). Each agenda item keeps its own queue, balance and turn
  counts. ``agenda.set`` keeps the records of items whose titles stay; an
  item with records cannot be dropped (``conflict``).
"""

from __future__ import annotations

from . import args as a
from .context import Context
from .floor import end_turn
from .polls import close_poll
from .recordings import recording_switched
from .schema import to_log
from .state import Action, AgendaItem, Decision, Note, Participant
from .types import CommandError, ErrorCode, Json, Role


def session_start(ctx: Context, args: a.NoArgs) -> Json:
    ctx.state.status = "live"
    ctx.state.started_at = ctx.at
    ctx.emit("session.started", {"status": "live"})
    return {}


def session_end(ctx: Context, args: a.NoArgs) -> Json:
    state = ctx.state
    if state.turn is not None:
        end_turn(ctx, "moderator")
    for poll in state.polls.values():
        if poll.status == "open":
            close_poll(ctx, poll)
    state.status = "ended"
    state.ended_at = ctx.at
    state.ended_seq = ctx.entry.seq  # rules 6: approvals cover at least this far
    ctx.emit("session.ended", {"status": "ended"})
    return {}


def agenda_data(ctx: Context) -> Json:
    return {
        "items": [{"item_id": i.item_id, "title": i.title} for i in ctx.state.agenda],
        "current": ctx.state.current,
        "balance": ctx.balance_data(),
    }


def agenda_goto_check(ctx: Context, args: a.AgendaGoto) -> None:
    """no such item"""
    if args.index >= len(ctx.state.agenda):
        raise CommandError(ErrorCode.NOT_FOUND, f"no agenda item {args.index}")


def agenda_goto(ctx: Context, args: a.AgendaGoto) -> Json:
    index = args.index
    if ctx.state.turn is not None:
        end_turn(ctx, "moderator")
    ctx.state.current = index
    ctx.emit("agenda.changed", agenda_data(ctx))
    ctx.emit_queue()
    return {}


def agenda_set_check(ctx: Context, args: a.AgendaSet) -> None:
    """dropping an item with records"""
    state = ctx.state
    kept = set(args.items)
    for item in state.agenda:
        used = (
            item.has_records()
            or any(p.item_id == item.item_id for p in state.polls.values())
            or any(d.item_id == item.item_id for d in state.decisions)
        )
        if item.title not in kept and (used or (item is state.item and state.turn is not None)):
            raise CommandError(ErrorCode.CONFLICT, f"agenda item {item.title!r} has records")


def agenda_set(ctx: Context, args: a.AgendaSet) -> Json:
    state = ctx.state
    titles: list[str] = args.items
    by_title = {i.title: i for i in state.agenda}
    current = state.item
    state.agenda = [
        by_title.get(t) or AgendaItem(item_id=ctx.new_id("i", n), title=t)
        for n, t in enumerate(titles)
    ]
    state.current = state.agenda.index(current) if current in state.agenda else 0
    ctx.emit("agenda.changed", agenda_data(ctx))
    ctx.emit_queue()
    return {}


POLL_MEANING = ("revote", "invite_mode")  # settings that change what an open poll means


def settings_update_check(ctx: Context, args: a.SettingsUpdate) -> None:
    """no setting (record_audio: 5, cue_seconds: 6); revote or invite_mode while a poll is open"""
    patch = to_log(args)
    if not patch:
        raise CommandError(ErrorCode.BAD_COMMAND, "settings.update needs at least one setting")
    state = ctx.state
    unknown = sorted(k for k in patch if k not in state.settings)
    if unknown:  # a setting newer than the room's rules
        raise CommandError(
            ErrorCode.BAD_COMMAND,
            f"this room has no setting {', '.join(unknown)} (its rules predate it)",
        )
    if state.rules.sealed_ballots and any(p.status == "open" for p in state.polls.values()):
        # A ballot cast under one rule must be counted under it: with revote switched
        # on, whoever holds a voter's code could vote again and read the change.
        frozen = [k for k in POLL_MEANING if k in patch and patch[k] != state.settings[k]]
        if frozen:
            raise CommandError(
                ErrorCode.CONFLICT, f"{', '.join(frozen)} cannot change while a poll is open"
            )


def settings_update(ctx: Context, args: a.SettingsUpdate) -> Json:
    patch = to_log(args)
    ctx.state.settings.update(patch)
    recording_switched(ctx.state)
    ctx.emit("settings.changed", dict(ctx.state.settings))
    if "policy" in patch:
        ctx.emit_queue()
    return {}


def offline_add(ctx: Context, args: a.OfflineAdd) -> Json:
    person = Participant(
        participant_id=ctx.new_id("u"),
        name=args.name,
        role=Role.PARTICIPANT,
        joined_at=ctx.at,
        in_hall=True,
    )
    ctx.state.add_participant(person)
    ctx.emit_participant(person, "participant.joined")
    return {"participant_id": person.participant_id}


def participant_mute_check(ctx: Context, args: a.ParticipantMute) -> None:
    """no such person; a moderator"""
    if ctx.participant(args.participant_id).role is Role.MODERATOR:
        raise CommandError(ErrorCode.FORBIDDEN, "moderators cannot be muted")


def participant_mute(ctx: Context, args: a.ParticipantMute) -> Json:
    person = ctx.participant(args.participant_id)
    person.muted_until = ctx.at + args.seconds * 1000 if args.seconds else None
    ctx.emit_participant(person)
    return {}


def participant_remove_check(ctx: Context, args: a.Person) -> None:
    """no such person; oneself"""
    moderator = ctx.actor()
    if ctx.participant(args.participant_id).participant_id == moderator.participant_id:
        raise CommandError(ErrorCode.CONFLICT, "a moderator cannot remove themselves")


def participant_remove(ctx: Context, args: a.Person) -> Json:
    person = ctx.participant(args.participant_id)
    state = ctx.state
    if state.turn is not None and state.turn.participant_id == person.participant_id:
        end_turn(ctx, "moderator")
    person.removed = True
    if state.item.queue.pop(person.participant_id, None) is not None:
        ctx.emit_queue()
    for item in state.agenda:
        item.queue.pop(person.participant_id, None)
    ctx.emit_participant(person)
    return {}


def minutes_note(ctx: Context, args: a.MinutesNote) -> Json:
    author = ctx.actor()
    note = Note(
        note_id=ctx.new_id("n"),
        text=args.text,
        by=author.name,
        at=ctx.at,
        item_id=ctx.state.item.item_id,
    )
    ctx.state.notes.append(note)
    ctx.emit("minutes.noted", note.to_wire())
    return {"note_id": note.note_id}


def decision_record_check(ctx: Context, args: a.DecisionRecord) -> None:
    """no such poll"""
    if args.poll_id is not None and args.poll_id not in ctx.state.polls:
        raise CommandError(ErrorCode.NOT_FOUND, f"no poll {args.poll_id}")


def decision_record(ctx: Context, args: a.DecisionRecord) -> Json:
    poll_id = args.poll_id
    decision = Decision(
        decision_id=ctx.new_id("d"),
        text=args.text,
        poll_id=poll_id,
        item_id=ctx.state.item.item_id,
        at=ctx.at,
    )
    ctx.state.decisions.append(decision)
    ctx.emit("decision.recorded", decision.to_wire())
    return {"decision_id": decision.decision_id}


def action_add(ctx: Context, args: a.ActionAdd) -> Json:
    action = Action(
        action_id=ctx.new_id("a"),
        title=args.title,
        owner=args.owner,
        due=args.due,
        item_id=ctx.state.item.item_id,
        at=ctx.at,
    )
    ctx.state.actions[action.action_id] = action
    ctx.emit("action.added", action.to_wire())
    return {"action_id": action.action_id}


def action_update_check(ctx: Context, args: a.ActionUpdate) -> None:
    """no such action"""
    if args.action_id not in ctx.state.actions:
        raise CommandError(ErrorCode.NOT_FOUND, f"no action {args.action_id}")


def action_update(ctx: Context, args: a.ActionUpdate) -> Json:
    author = ctx.actor()
    action = ctx.state.actions[args.action_id]
    action.status = args.status
    action.updates.append(
        {"status": action.status, "note": args.note or None, "at": ctx.at, "by": author.name}
    )
    ctx.emit("action.updated", action.to_wire())
    return {}


def minutes_publish(ctx: Context, args: a.MinutesPublish) -> Json:
    url = str(args.minutes_url or f"/r/{ctx.state.room_id}/minutes")
    ctx.state.minutes_published = True
    ctx.state.minutes_url = url
    ctx.emit("minutes.published", {"minutes_url": url})
    return {"minutes_url": url}
