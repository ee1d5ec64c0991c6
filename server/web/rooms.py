"""The HTTP API of rooms (PROTOCOL.md, "HTTP API"). What every resource module shares
(errors, the body, tokens) is ``common.py``; the node's health is ``health.py``."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.commands import TABLE
from ..core.schema import integer, one_of, parse, printable, text, to_log
from ..core.types import CommandError, ErrorCode, Json, Role
from ..core.versions import RULES_VERSION
from ..core.views import RECORD_KEEPERS, summary
from ..minutes import FORMATS, render_minutes
from ..minutes.deadlines import local_today
from ..minutes.filename import content_disposition
from ..minutes.model import CHAIR, session_date
from ..minutes.render_html import CSP as MINUTES_CSP
from ..tokens import InvalidToken, TokenClaims
from .common import (
    api,
    bearer,
    check_admin,
    client_address,
    fail,
    new_code,
    read_json,
    services_of,
)
from .oggopus import Frame, ogg_opus
from .qr import qr_svg

if TYPE_CHECKING:
    from ..host.node import RoomHost
    from ..services import Services

MAX_INVITES = 1000


async def room_host(request: Request) -> RoomHost:
    host = await services_of(request).node.host(request.path_params["room_id"])
    if host is None:
        raise fail(ErrorCode.NOT_FOUND, "no such room")
    return host


def moderator_claims(
    request: Request, host: RoomHost, roles: frozenset[Role] = frozenset({Role.MODERATOR})
) -> TokenClaims:
    """The bearer token's claims, if it is a valid token of one of ``roles``
    (the moderator's alone unless told)."""
    token = bearer(request)
    if not token:
        raise fail(ErrorCode.UNAUTHORIZED, "a moderator token is required")
    try:
        claims, person = services_of(request).signer.admit(host.state, token)
    except InvalidToken:
        raise fail(ErrorCode.UNAUTHORIZED, "bad token") from None
    if person.role not in roles:
        raise fail(
            ErrorCode.FORBIDDEN,
            "moderators only"
            if len(roles) == 1
            else f"{', '.join(sorted(r.value for r in roles))} only",
        )
    return claims


def issue_token(
    services: Services, room_id: str, participant_id: str, role: Role, version: int
) -> str:
    return services.signer.issue(TokenClaims(room_id, participant_id, role, version))


def room_links(services: Services, room_id: str, invite_code: str) -> Json:
    base = services.config.public_url
    return {
        "invite_url": f"{base}/r/{room_id}?invite={invite_code}",
        "qr_url": f"{base}/api/rooms/{room_id}/qr.svg",
    }


@api
async def create_room(request: Request) -> Response:
    services = services_of(request)
    check_admin(request)
    body = await read_json(request)
    return JSONResponse(await open_room(services, body), status_code=201)


async def open_room(services: Services, body: Json) -> Json:
    """Create a room from ``body`` (``room.create``'s fields) and answer its links and
    moderator token: ``POST /api/rooms``, and a community's ``scheduled`` topic."""
    room_id, invite_code = new_code(10), new_code(8)
    # The body's fields are room.create's own; an empty agenda or topic is none.
    given = {
        k: body.get(k) or None for k in ("title", "topic", "agenda", "settings", "moderator_name")
    }
    row = TABLE["room.create"]
    args: Any = parse(
        row.args,
        {**given, "invite_code": invite_code, "rules_version": RULES_VERSION},
        client=False,
    )
    # Shown on notice boards and in public minutes: personal data is masked here too.
    screened = services.screener.command(
        row,
        to_log(args),
        spam_action="reject",
        room_id=room_id,
        participant_id=None,
        now_ms=services.clock(),
    )
    outcome = await services.node.submit(room_id, row.name, args=screened)
    if outcome.error is not None:
        raise outcome.error
    assert outcome.result is not None
    pid = outcome.result["participant_id"]
    token = issue_token(services, room_id, pid, Role.MODERATOR, 0)
    return {
        "room_id": room_id,
        "moderator_token": token,
        "participant_id": pid,
        "moderator_url": f"{services.config.public_url}/m/{room_id}#token={token}",
        "invite_code": invite_code,
        **room_links(services, room_id, invite_code),
    }


async def _submit(
    request: Request, host: RoomHost, kind: str, *, actor: str | None, args: Json
) -> Json:
    outcome = await services_of(request).node.submit(host.room_id, kind, actor=actor, args=args)
    if outcome.error is not None:
        raise outcome.error
    return outcome.result or {}


@api
async def create_invites(request: Request) -> Response:
    body = await read_json(request)  # before the room: no room object is held across a read
    host = await room_host(request)
    claims = moderator_claims(request, host)
    count = integer(1, MAX_INVITES)("count", body.get("count", 1))
    codes = [new_code(10) for _ in range(count)]
    result = await _submit(
        request, host, "invites.create", actor=claims.participant_id, args={"codes": codes}
    )
    base = services_of(request).config.public_url
    return JSONResponse(
        {
            "codes": result["codes"],
            "urls": [f"{base}/r/{host.room_id}?invite={c}" for c in result["codes"]],
        }
    )


@api
async def join(request: Request) -> Response:
    services = services_of(request)
    limiter, address = services.joins, client_address(request)
    refusal = limiter.admit(address)
    if refusal is not None:
        services.metrics.http_joins.labels("rate_limited").inc()
        raise fail(ErrorCode.RATE_LIMITED, refusal)
    body = await read_json(request)
    host = await room_host(request)
    room_id, invite = host.room_id, body.get("invite")
    code = invite if isinstance(invite, str) else ""
    refusal = limiter.check(room_id, address, code)
    if refusal is not None:
        services.metrics.http_joins.labels("rate_limited").inc()
        raise fail(ErrorCode.RATE_LIMITED, refusal)
    if not code:
        limiter.failed(room_id, address, code)
        raise fail(ErrorCode.BAD_COMMAND, "invite is required")
    row = TABLE["participant.join"]
    role = "observer" if body.get("observer") is True else "participant"
    try:
        args: Any = parse(
            row.args, {"invite": code, "name": body.get("name"), "role": role}, client=False
        )
    except CommandError:
        limiter.failed(room_id, address, code)  # a malformed code is a failed attempt too
        raise
    device = body.get("device")
    if device is not None and not (isinstance(device, str) and 16 <= len(device) <= 128):
        raise fail(ErrorCode.BAD_COMMAND, "device must be a string of 16 to 128 characters")
    if device is not None and code in host.state.personal_codes:
        # The log keeps a keyed hash of the device that claims a personal code, never
        # the device's secret (rules 4 bind the code to it).
        args = dataclasses.replace(
            args, device=await services.node.ballots.device_hash(room_id, code, device)
        )
    screened = services.screener.command(
        row,
        to_log(args),
        spam_action="reject",
        room_id=room_id,
        participant_id=None,
        now_ms=services.clock(),
    )
    try:
        result = await _submit(request, host, row.name, actor=None, args=screened)
    except CommandError as error:
        if error.code is ErrorCode.UNAUTHORIZED:
            limiter.failed(room_id, address, code)
        elif error.code is ErrorCode.FORBIDDEN and code in host.state.personal_codes:
            limiter.refused(room_id, address, code)
        services.metrics.http_joins.labels(error.code.value).inc()
        raise
    services.metrics.http_joins.labels("ok").inc()
    pid = result["participant_id"]
    person = host.state.participants[pid]
    return JSONResponse(
        {
            "participant_id": pid,
            "role": person.role.value,
            "name": person.name,
            "token": issue_token(services, room_id, pid, person.role, result["token_version"]),
        }
    )


@api
async def add_staff(request: Request) -> Response:
    body = await read_json(request)
    host = await room_host(request)
    claims = moderator_claims(request, host)
    role = one_of("moderator", "clerk", "office")("role", body.get("role"))
    name = printable("name", text("name")("name", body.get("name")))
    services = services_of(request)
    # Staff names are shown to the whole room like residents': personal data masked.
    name, _, _, _ = services.screener.text(
        name,
        kind="name",
        spam_action="reject",
        room_id=host.room_id,
        participant_id=None,
        now_ms=services.clock(),
        abuse_action="reject",
    )
    pid, token = await _added_by(request, host, claims, name=name, role=Role(role))
    return JSONResponse({"participant_id": pid, "role": role, "token": token})


async def _added_by(
    request: Request, host: RoomHost, claims: TokenClaims, *, name: str, role: Role
) -> tuple[str, str]:
    """A moderator adds someone (staff, a hall screen): their participant id and token."""
    result = await _submit(
        request,
        host,
        "participant.join",
        actor=claims.participant_id,
        args={"name": name, "role": role.value},
    )
    pid = result["participant_id"]
    return pid, issue_token(services_of(request), host.room_id, pid, role, result["token_version"])


# The hall screen's name in the room's people list, in the room's language.
SCREEN_NAMES = {"zh": "会场大屏", "en": "Hall screen"}


@api
async def create_screen(request: Request) -> Response:
    """A hall screen's link (docs/protocol.md, "The hall screen"): a new observer
    added by a moderator, whose token can watch and listen but not raise a hand,
    vote, chat or speak, and who never counts as eligible. The token travels after
    ``#`` so that it never reaches a server log; revoke it like anyone's
    (``DELETE /api/rooms/{id}/tokens/{participant_id}``)."""
    services = services_of(request)
    host = await room_host(request)
    claims = moderator_claims(request, host)
    name = SCREEN_NAMES.get(host.state.settings["lang"], SCREEN_NAMES["zh"])
    pid, token = await _added_by(request, host, claims, name=name, role=Role.OBSERVER)
    return JSONResponse(
        {
            "participant_id": pid,
            "token": token,
            "url": f"{services.config.public_url}/r/{host.room_id}/screen#token={token}",
        },
        status_code=201,
    )


@api
async def revoke_tokens(request: Request) -> Response:
    host = await room_host(request)
    claims = moderator_claims(request, host)
    await _submit(
        request,
        host,
        "token.revoke",
        actor=claims.participant_id,
        args={"participant_id": request.path_params["participant_id"]},
    )
    return JSONResponse({})


@api
async def room_summary(request: Request) -> Response:
    host = await room_host(request)
    return JSONResponse(summary(host.state))


@api
async def room_qr(request: Request) -> Response:
    """The invite link as a QR code: the moderator's, since it lets anyone in; a
    clerk's, who keeps the door with them and shows it to those who arrive; and an
    observer's who came without a personal code, who knows the room's code already or
    is a hall screen (``create_screen``) that shows it on the wall. Not an office's."""
    services = services_of(request)
    host = await room_host(request)
    refused = fail(ErrorCode.FORBIDDEN, "moderators, clerks and hall screens only")
    try:
        claims = moderator_claims(
            request, host, frozenset({Role.MODERATOR, Role.CLERK, Role.OBSERVER})
        )
    except CommandError as error:
        raise refused if error.code is ErrorCode.FORBIDDEN else error from None
    if claims.role is Role.OBSERVER and claims.participant_id in host.state.personal_codes.values():
        raise refused
    url = room_links(services, host.room_id, host.state.invite_code)["invite_url"]
    return Response(
        qr_svg(url), media_type="image/svg+xml", headers={"cache-control": "private, no-store"}
    )


@api
async def minutes(request: Request) -> Response:
    services = services_of(request)
    host = await room_host(request)
    # The moderator's copy keeps the attendance record: moderators and clerks read it
    # (RECORD_KEEPERS), a draft included; anyone else reads the public copy, once
    # published. Either may ask for the public copy (?copy=public) to see exactly what
    # is published.
    copy = request.query_params.get("copy")
    if copy not in (None, "public", "moderator"):
        raise fail(ErrorCode.BAD_COMMAND, "copy must be public or moderator")
    moderator = False
    if bearer(request) or copy == "moderator" or not host.state.minutes_published:
        try:
            moderator_claims(request, host, RECORD_KEEPERS)
            moderator = True
        except CommandError:
            if copy == "public" and _cosigner(request, host):
                pass  # rules 6: the second signatory reads what they are asked to sign
            elif copy == "moderator" or not host.state.minutes_published:
                raise  # (a resident's token on published minutes reads the public copy)
    public = copy == "public" or not moderator
    fmt = request.query_params.get("format", "json")
    if fmt not in FORMATS:
        raise fail(ErrorCode.BAD_COMMAND, f"format must be one of {', '.join(FORMATS)}")
    lang = request.query_params.get("lang") or host.state.settings["lang"]
    if lang not in ("zh", "en"):
        raise fail(ErrorCode.BAD_COMMAND, "lang must be zh or en")
    # The state and the digest must describe the same entries: the log may already
    # hold one this node has not applied yet, and the room may move on while we read.
    cache = services.minutes
    seq = -1
    while seq != host.state.entry_seq:
        seq = host.state.entry_seq
        digest = await cache.digest(services.backend, host.room_id, seq)
        # Rules 6: the approved part of approved minutes (the state of its entries).
        approved = await services.approved.of(services.backend, host.room_id, host.state)
    as_of = local_today(services.clock())  # overdue flags: docs/minutes.md, "Overdue"
    body, media_type = cache.rendered(
        host.room_id,
        seq,
        digest,
        fmt,
        lang,
        lambda: render_minutes(
            host.state,
            digest=digest,
            fmt=fmt,
            lang=lang,
            public=public,
            as_of=as_of,
            approved=approved,
        ),
        public=public,
        as_of=as_of.isoformat(),
    )
    headers = {"content-security-policy": MINUTES_CSP} if fmt == "html" else {}
    # Saved as the room's title and date; Word cannot be shown in a browser: a download.
    disposition = content_disposition(
        "attachment" if fmt == "docx" else "inline",
        room_id=host.room_id,
        title=host.state.title,
        date=session_date(host.state),
        fmt=fmt,
    )
    return Response(
        body,
        media_type=media_type,
        headers={**headers, "cache-control": "no-store", "content-disposition": disposition},
    )


def _cosigner(request: Request, host: RoomHost) -> bool:
    """Whether the bearer is the second signatory an approval waits for (rules 6)."""
    pending = host.state.approval_pending
    if pending is None:
        return False
    try:
        claims = moderator_claims(request, host, frozenset({Role.CLERK, Role.OFFICE}))
    except CommandError:
        return False
    return bool(claims.participant_id == pending["cosigner"]["participant_id"])


@api
async def recording(request: Request) -> Response:
    """A turn's recording as Ogg Opus (``chair``: the chair's voice outside the turns).

    The record keepers' (a moderator's or a clerk's bearer token: they read the
    draft minutes that link it) until the moderator publishes the recordings,
    then anyone's. ``404`` for a turn the room did not record, or whose recording
    was erased (the log says which: core/recordings.py), or with no audio kept.
    """
    services = services_of(request)
    host = await room_host(request)
    if not host.state.recordings_published:
        moderator_claims(request, host, RECORD_KEEPERS)
    frames = await _recorded_frames(services, host, request.path_params["track"])
    if not frames:
        raise fail(ErrorCode.NOT_FOUND, "no recording of that turn")
    body = await asyncio.to_thread(ogg_opus, frames)
    track = request.path_params["track"]
    return Response(
        body,
        media_type="audio/ogg",
        headers={
            "cache-control": "private, no-store",
            "content-disposition": f'attachment; filename="{host.room_id}-{track}.ogg"',
        },
    )


async def _recorded_frames(services: Services, host: RoomHost, track: str) -> list[Frame]:
    """The turn's floor holder's frames; or, for ``chair``, everyone else's (the chair
    outside a turn, and speaking during one), in the order they were captured."""
    state = host.state
    turns = {t.turn_id: t for item in state.agenda for t in item.turns if t.recorded}
    recordings = services.recordings
    if track != CHAIR:
        turn = turns.get(track)
        if turn is None:
            return []
        frames = await recordings.frames(host.room_id, turn.turn_id)
        return [f for f in frames if f[0] == turn.participant_id]
    if not state.chair_recorded:
        return []
    chair = await recordings.frames(host.room_id, "")
    for turn_id in await services.backend.recorded_turns(host.room_id):
        turn = turns.get(turn_id)
        if turn is not None:
            chair += [
                f
                for f in await services.backend.recording_frames(host.room_id, turn_id)
                if f[0] != turn.participant_id
            ]
    return sorted(chair, key=lambda f: f[2])  # by capture time (a stable sort)


async def signing_key(request: Request) -> Response:
    """The public half of the deployment's key that signs approved minutes (rules 6)."""
    return JSONResponse(
        services_of(request).signing_key.published(), headers={"cache-control": "no-cache"}
    )
