"""Entries the server appends on its own: room creation, joins, invites,
revocations, presence and timer ticks.

Their arguments come from the server, already checked (and, for names,
already moderated); random values such as invite codes are made by the server
and carried in the entry, because the core has no randomness of its own.
"""

from __future__ import annotations

from . import args as a
from .context import Context
from .floor import enforce_deadlines
from .recordings import recording_switched
from .session import agenda_data
from .state import AgendaItem, Participant
from .types import CommandError, ErrorCode, Json, Role
from .versions import RULES, default_settings

MAX_PARTICIPANTS = 50_000  # every snapshot and the minutes list them all
JOINABLE_ROLES = {"participant": Role.PARTICIPANT, "observer": Role.OBSERVER}
STAFF_ROLES = {"moderator": Role.MODERATOR, "clerk": Role.CLERK, "office": Role.OFFICE}
# Rooms whose room.create predates the version in its arguments: the rules of
# version 2 (coalesced hands) were in force from this moment (commit 780f89f).
UNSTAMPED_V2_FROM_MS = 1_795_712_729_000


def rules_version_of(args: a.RoomCreate, at: int) -> int:
    if args.rules_version is not None:
        return args.rules_version
    return 2 if at >= UNSTAMPED_V2_FROM_MS else 1


def room_create(ctx: Context, args: a.RoomCreate) -> Json:
    state = ctx.state
    if state.entry_seq != 1:
        raise CommandError(ErrorCode.CONFLICT, "the room exists")
    version = rules_version_of(args, ctx.at)
    if version not in RULES:
        raise CommandError(ErrorCode.BAD_COMMAND, f"rules version {version} is not known here")
    settings = default_settings(RULES[version])
    unknown = sorted(k for k in (args.settings or {}) if k not in settings)
    if unknown:
        raise CommandError(
            ErrorCode.BAD_COMMAND, f"rules version {version} has no setting {', '.join(unknown)}"
        )
    state.title = args.title
    state.topic = args.topic
    state.created_at = ctx.at
    state.rules_version = version
    state.settings = {**settings, **(args.settings or {})}
    recording_switched(state)
    titles = args.agenda or [state.title]
    state.agenda = [AgendaItem(item_id=ctx.new_id("i", n), title=t) for n, t in enumerate(titles)]
    state.invite_code = args.invite_code
    moderator = Participant(
        participant_id=ctx.new_id("u"),
        name=args.moderator_name or "主持人",
        role=Role.MODERATOR,
        joined_at=ctx.at,
    )
    state.add_participant(moderator)
    ctx.emit("agenda.changed", agenda_data(ctx))
    ctx.emit_participant(moderator, "participant.joined")
    return {"participant_id": moderator.participant_id}


def participant_join(ctx: Context, args: a.ParticipantJoin) -> Json:
    """A resident or observer joins with an invite code; or a moderator adds staff, or
    an observer without a code (the hall screen's, ``POST /api/rooms/{id}/screen``).

    No log before the hall screen holds an observer's join without a code: the join
    endpoint refuses an empty code before appending, so this replays old logs alike.
    """
    state = ctx.state
    role_name = args.role
    pid: str | None = None
    if role_name in STAFF_ROLES or (role_name == "observer" and args.invite is None):
        if ctx.actor().role is not Role.MODERATOR:
            raise CommandError(ErrorCode.FORBIDDEN, "only a moderator adds staff")
        role = STAFF_ROLES.get(role_name, Role.OBSERVER)
    else:
        role = JOINABLE_ROLES[role_name]
        code = args.invite
        pid = state.personal_codes.get(code or "")
        if pid is not None:
            bound = state.rules.sealed_ballots
            if bound and args.device is None:
                raise CommandError(
                    ErrorCode.BAD_COMMAND,
                    "a personal invite code is claimed from a device (device)",
                )
            existing = state.participants.get(pid)
            if existing is not None:
                if existing.removed:
                    raise CommandError(ErrorCode.FORBIDDEN, "this participant was removed")
                if bound:
                    if existing.device is not None and existing.device != args.device:
                        raise CommandError(
                            ErrorCode.FORBIDDEN,
                            "this invite code is in use on another device; a moderator can"
                            " reset it (the room is told)",
                        )
                    existing.device = args.device
                return {"participant_id": pid, "token_version": existing.token_version}
        elif code != state.invite_code:
            raise CommandError(ErrorCode.UNAUTHORIZED, "unknown invite code")
        elif state.settings["invite_mode"] != "open":
            raise CommandError(ErrorCode.FORBIDDEN, "this room admits personal invite codes only")
    if len(state.participants) >= MAX_PARTICIPANTS:
        raise CommandError(ErrorCode.CONFLICT, f"the room is full ({MAX_PARTICIPANTS} people)")
    person = Participant(
        participant_id=pid or ctx.new_id("u"), name=args.name, role=role, joined_at=ctx.at
    )
    if pid is not None and state.rules.sealed_ballots:
        person.device = args.device  # the first claim binds the code to its device
    state.add_participant(person)
    ctx.emit_participant(person, "participant.joined")
    return {"participant_id": person.participant_id, "token_version": person.token_version}


def invites_create(ctx: Context, args: a.InvitesCreate) -> Json:
    codes = args.codes
    for n, code in enumerate(codes):
        ctx.state.personal_codes[code] = ctx.new_id("u", n)
    return {"codes": list(codes)}


def token_revoke(ctx: Context, args: a.Person) -> Json:
    person = ctx.participant(args.participant_id)
    person.token_version += 1
    ctx.emit_participant(person, "participant.left")
    return {"participant_id": person.participant_id, "token_version": person.token_version}


def invite_reset_check(ctx: Context, args: a.Person) -> None:
    """no such person, or one without a personal code"""
    person = ctx.participant(args.participant_id)
    if person.participant_id not in ctx.state.personal_codes.values():
        raise CommandError(ErrorCode.NOT_FOUND, "that participant has no personal invite code")


def invite_reset(ctx: Context, args: a.Person) -> Json:
    """A moderator frees a personal code from its device (a household's new phone).

    The next claim binds it again. Whoever held it loses their tokens, the room is
    told (``participant.code_reset``, to everyone) and the minutes count it: a code
    cannot quietly change hands, so nobody votes as a household unseen.
    """
    moderator = ctx.actor()
    person = ctx.participant(args.participant_id)
    person.device = None
    person.token_version += 1
    ctx.state.code_resets.append(
        {
            "participant_id": person.participant_id,
            "name": person.name,
            "by": moderator.participant_id,
            "at": ctx.at,
        }
    )
    ctx.emit_participant(person, "participant.left")
    ctx.emit(
        "participant.code_reset",
        {
            "participant_id": person.participant_id,
            "name": person.name,
            "by": moderator.participant_id,
        },
    )
    return {}


def _set_online(ctx: Context, person: Participant, *, since: int | None = None) -> None:
    """Record the change of ``online`` (offline ``since`` a time the node saw) and announce it."""
    if person.online:
        person.offline_since = None
        person.presence.append([ctx.at, None])
    else:
        gone = ctx.at if since is None else min(since, ctx.at)
        if person.presence and person.presence[-1][1] is None:
            gone = max(gone, int(person.presence[-1][0] or 0))
            person.presence[-1][1] = gone
        person.offline_since = gone
    ctx.emit_participant(person)
    if ctx.state.rules.away_marks and person.participant_id in ctx.state.item.queue:
        ctx.hands_moved()  # her mark in the waiting list changed (coalesced like hands)


def presence(ctx: Context, args: a.Presence) -> Json:
    """A node reports that a participant's sockets on it came or went."""
    person = ctx.state.participants.get(args.participant_id)
    if person is None:
        return {}
    was_online = person.online
    if args.online:
        person.nodes.add(args.node)
    else:
        person.nodes.discard(args.node)
    if person.online != was_online:
        _set_online(ctx, person, since=args.since)
    return {}


def node_gone(ctx: Context, args: a.NodeGone) -> Json:
    """A node died (or restarted): whoever was only on it is offline now."""
    node = args.node
    for person in ctx.state.participants.values():
        if node in person.nodes:
            person.nodes.discard(node)
            if not person.online:
                _set_online(ctx, person)
    enforce_deadlines(ctx)
    return {}


def tick(ctx: Context, args: a.NoArgs) -> Json:
    """A timer fired: the deadlines themselves are enforced before every entry."""
    return {}
