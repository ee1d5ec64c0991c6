"""The HTTP API of communities and their topics (docs/protocol.md, "Communities and topics"):
creating one and its staff, submissions, co-signs, ratings, transitions, the held
queue; the public reads are in server/web/community_reads.py.

Every handler loads the community caught up with its log (read your writes, across
nodes: server/host/communities.py), checks the cheap things first (the bearer's role,
the topic's state against this node's state, the rate limits), and only then
screens texts and appends. The reducer decides at the entry's place in the log;
its refusal answers the same error body as a room's.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.community import args as cargs
from ..core.community.graph import moves_for
from ..core.community.reducer import precheck
from ..core.community.state import RULES_VERSION, Staff
from ..core.community.views import community_wire, contacts, held
from ..core.schema import parse, to_log
from ..core.types import ErrorCode, Json, Role
from ..host.communities import Community, log_id
from ..minutes.deadlines import local_today, utc_offset_min
from ..ratelimit import KeyedBuckets
from ..tokens import InvalidToken, TokenClaims
from .common import api, bearer, check_admin, client_address, fail, new_code, read_json, services_of
from .community_contacts import contact_of, masked_spans
from .qr import qr_svg
from .rooms import open_room

if TYPE_CHECKING:
    from ..services import Services


def _take(buckets: KeyedBuckets, key: str, message: str) -> None:
    if not buckets.get(key).take():
        raise fail(ErrorCode.RATE_LIMITED, message)


async def community_of(request: Request) -> Community:
    community = await services_of(request).communities.get(request.path_params["community_id"])
    if community is None:
        raise fail(ErrorCode.NOT_FOUND, "no such community")
    return community


def _staff(request: Request, community: Community) -> Staff:
    """The bearer's staff record in this community; raises ``unauthorized``."""
    token = bearer(request)
    if not token:
        raise fail(ErrorCode.UNAUTHORIZED, "a staff token is required")
    try:
        claims = services_of(request).signer.verify(token)
    except InvalidToken:
        raise fail(ErrorCode.UNAUTHORIZED, "bad token") from None
    staff = community.state.staff.get(claims.participant_id)
    if (
        claims.room_id != community.log_id
        or staff is None
        or staff.role != claims.role.value
        or staff.token_version != claims.version
    ):
        raise fail(ErrorCode.UNAUTHORIZED, "bad token")
    return staff


def _staff_token(services: Services, community: Community, staff_id: str, role: str) -> str:
    return services.signer.issue(TokenClaims(community.log_id, staff_id, Role(role), 0))


async def _device(services: Services, community: Community, body: Json) -> str:
    """The keyed hash the log keeps of the body's device; ``bad_command`` if absent."""
    device = body.get("device")
    if not (isinstance(device, str) and 16 <= len(device) <= 128):
        raise fail(ErrorCode.BAD_COMMAND, "device must be a string of 16 to 128 characters")
    # Keyed and bound to the community (not to the topic): a device that co-signed a
    # merged topic and its target is recognised as one (docs/protocol.md).
    return await services.node.ballots.device_hash(community.log_id, "device", device)


async def _append(community: Community, kind: str, *, actor: str | None, args: Json) -> Json:
    outcome = await community.submit(kind, actor=actor, args=args)
    if outcome.error is not None:
        raise outcome.error
    return outcome.result or {}


def _mask(services: Services, args: Json, keys: tuple[str, ...], room_id: str) -> None:
    """Screen the public texts ``keys`` of ``args`` as a record: personal data masked,
    spam refused (``rejected``), in place."""
    for key in keys:
        if args.get(key):
            args[key] = services.screener.text(
                args[key],
                kind="record",
                spam_action="reject",
                room_id=room_id,
                participant_id=None,
                now_ms=services.clock(),
            )[0]


def _links(services: Services, community_id: str) -> Json:
    base = services.config.public_url
    return {"url": f"{base}/c/{community_id}", "qr_url": f"/api/communities/{community_id}/qr.svg"}


def today_of(services: Services) -> date:
    return local_today(services.clock())


# -- the community ----------------------------------------------------------------------


@api
async def create_community(request: Request) -> Response:
    services = services_of(request)
    check_admin(request)
    body = await read_json(request)
    parsed: Any = parse(cargs.CommunityCreate, body, client=True)
    args = to_log(parsed)
    _mask(services, args, ("name", "description"), "community")  # shown on notice boards
    args["utc_offset_min"] = utc_offset_min(services.clock())
    args["rules_version"] = RULES_VERSION  # households count, devices alone do not
    community_id = new_code(10)
    outcome = await services.communities.create(community_id, args)
    if outcome.error is not None:
        raise outcome.error
    assert outcome.result is not None
    token = services.signer.issue(
        TokenClaims(log_id(community_id), outcome.result["staff_id"], Role.MODERATOR, 0)
    )
    links = _links(services, community_id)
    return JSONResponse(
        {
            "community_id": community_id,
            "staff_id": outcome.result["staff_id"],
            "staff_token": token,
            **links,
            "staff_url": f"{links['url']}/staff#{token}",
        },
        status_code=201,
    )


@api
async def community_summary(request: Request) -> Response:
    community = await community_of(request)
    out = {**community_wire(community.state), "log": community.digest}
    if bearer(request):
        staff = _staff(request, community)
        out["staff"] = {
            "staff_id": staff.staff_id,
            "role": staff.role,
            "name": staff.name,
            "moves": moves_for(staff.role),
        }  # the graph, as this role walks it
    return JSONResponse(out)


@api
async def add_staff(request: Request) -> Response:
    services = services_of(request)
    body = await read_json(request)
    community = await community_of(request)
    staff = _staff(request, community)
    parsed: Any = parse(cargs.StaffAdd, body, client=True)
    result = await _append(community, "staff.add", actor=staff.staff_id, args=to_log(parsed))
    return JSONResponse(
        {
            "staff_id": result["staff_id"],
            "role": parsed.role,
            "name": parsed.name,
            "token": _staff_token(services, community, result["staff_id"], parsed.role),
        },
        status_code=201,
    )


@api
async def revoke_staff(request: Request) -> Response:
    community = await community_of(request)
    staff = _staff(request, community)
    args = {"staff_id": request.path_params["staff_id"]}
    parse(cargs.StaffRevoke, args, client=True)
    result = await _append(community, "staff.revoke", actor=staff.staff_id, args=args)
    return JSONResponse({"staff_id": result["staff_id"], "revoked": True})


@api
async def community_qr(request: Request) -> Response:
    community = await community_of(request)
    url = f"{services_of(request).config.public_url}/c/{community.community_id}?submit=1"
    return Response(
        qr_svg(url), media_type="image/svg+xml", headers={"cache-control": "public, max-age=3600"}
    )


# -- residents ---------------------------------------------------------------------------


@api
async def submit_topic(request: Request) -> Response:
    services = services_of(request)
    body = await read_json(request)
    community = await community_of(request)
    state = community.state
    actor: str | None = None
    raw = {k: v for k, v in body.items() if k != "device"}
    if bearer(request):  # a clerk's entry for a household
        actor = _staff(request, community).staff_id
        device_hash = None
    else:
        address = client_address(request)
        _take(
            services.community_limits.submit_address,
            f"{community.community_id}:{address}",
            "too many topics from this address; wait an hour",
        )
        device_hash = await _device(services, community, body)
        _take(
            services.community_limits.submit_device,
            device_hash,
            "too many topics from this device; wait an hour",
        )
    parsed: Any = parse(cargs.TopicSubmit, raw, client=True)
    # Role, household and category now, as the core rules them: before the screening.
    precheck(state, "topic.submit", dataclasses.replace(parsed, device=device_hash), actor=actor)
    args = to_log(parsed)
    # The costly step last: the same pipeline as chat, held when unsure, refused for abuse.
    status, reasons, masked = "submitted", [], []
    context = f"{state.name} {parsed.category or ''}"
    for key in ("title", "description", "place"):  # all three are public
        if not args.get(key):
            continue
        kept, verdict, why, _ = services.screener.text(
            args[key],
            kind="chat",
            spam_action="hold",
            room_id=community.log_id,
            participant_id=None,
            now_ms=services.clock(),
            topic=context,
            abuse_action="reject",
        )
        masked += masked_spans(args[key], kept)
        args[key] = kept
        if verdict == "held":
            status = "held"
            reasons += list(why)
    args.update(
        status=status, reasons=reasons or None, device=device_hash, contact=contact_of(masked)
    )
    result = await _append(
        community,
        "topic.submit",
        actor=actor,
        args={k: v for k, v in args.items() if v is not None},
    )
    # Her receipt: a number to quote, and what the public page shows of her contact.
    topic = community.state.topics[result["topic_id"]]
    return JSONResponse(
        {
            **result,
            "number": topic.number,
            "private": [{"kind": m.kind, "shown": m.shown} for m in masked],
        },
        status_code=201,
    )


async def _support(request: Request, kind: str, extra: tuple[str, ...]) -> Json:
    """A co-sign or a rating: a resident's (limits, device), or a clerk's entered for a
    household in person (bearer, ``household``); a precheck, then the entry. Whom it
    counts for is the core's rule (support.py)."""
    services = services_of(request)
    body = await read_json(request)
    community = await community_of(request)
    raw = {"topic_id": request.path_params["topic_id"], **{k: body.get(k) for k in extra}}
    actor: str | None = None
    if bearer(request):
        actor = _staff(request, community).staff_id
        raw["household"] = body.get("household")
    else:
        _take(
            services.community_limits.support_address,
            f"{community.community_id}:{client_address(request)}",
            "too many co-signs and ratings from this address; wait",
        )
        raw["device"] = await _device(services, community, body)
    row_args = cargs.TopicCosign if kind == "topic.cosign" else cargs.TopicRate
    parsed: Any = parse(row_args, raw, client=False)
    precheck(community.state, kind, parsed, actor=actor)
    return await _append(community, kind, actor=actor, args=to_log(parsed))


@api
async def cosign(request: Request) -> Response:
    return JSONResponse(await _support(request, "topic.cosign", ()))


@api
async def rate(request: Request) -> Response:
    return JSONResponse(await _support(request, "topic.rate", ("rating",)))


# -- staff ------------------------------------------------------------------------------


@api
async def transition(request: Request) -> Response:
    services = services_of(request)
    body = await read_json(request)
    community = await community_of(request)
    staff = _staff(request, community)
    parsed: Any = parse(
        cargs.TopicTransition, {**body, "topic_id": request.path_params["topic_id"]}, client=True
    )
    # Role and state first, against this node's state (a room is created only for a
    # transition that would be taken).
    precheck(
        community.state,
        "topic.transition",
        dataclasses.replace(parsed, room_id=parsed.room_id or "-"),
        actor=staff.staff_id,
    )
    topic = community.state.topics[parsed.topic_id]
    extra: Json = {}
    created: Json | None = None
    if parsed.to == "scheduled":
        if parsed.room_id:
            # Linking copies the room's decisions onto the public page: only a room this
            # community made (a follow-up session of another topic, say), never any room
            # on the deployment whose id a staff member happens to know.
            if not any(
                s.room_id == parsed.room_id
                for t in community.state.topics.values()
                for s in t.sessions
            ):
                raise fail(
                    ErrorCode.FORBIDDEN,
                    "only a room this community scheduled can be "
                    "linked; schedule without room_id to create one",
                )
            host = await services.node.host(parsed.room_id)
            if host is None:
                raise fail(ErrorCode.NOT_FOUND, "no such room")
            extra["room_title"] = host.state.title
        else:
            created = await open_room(services, {"title": topic.title, "topic": topic.description})
            extra["room_id"], extra["room_title"] = created["room_id"], topic.title
    elif parsed.to in ("deliberated", "in_progress", "solved", "not_solved") and topic.sessions:
        host = await services.node.host(topic.sessions[-1].room_id)
        if host is not None:
            await host.catch_up()  # the session may have ended on another node
        if parsed.to == "deliberated" and (host is None or host.state.status != "ended"):
            # The public figures count meetings held: one only scheduled is not.
            raise fail(
                ErrorCode.CONFLICT,
                "the meeting has not taken place yet: end its "
                "session in the room, then mark it deliberated",
            )
        if host is not None and parsed.to == "deliberated":
            extra["decisions"] = [d.text for d in host.state.decisions]
        elif host is not None:
            extra["actions"] = [
                {
                    "action_id": x.action_id,
                    "title": x.title,
                    "owner": x.owner,
                    "due": x.due,
                    "status": x.status,
                }
                for x in host.state.actions.values()
            ]
    args = {**to_log(parsed), **extra}
    _mask(services, args, ("reason", "report", "place", "when"), community.log_id)  # public
    result = await _append(community, "topic.transition", actor=staff.staff_id, args=args)
    if created is not None:
        result.update(
            moderator_url=created["moderator_url"],
            moderator_token=created["moderator_token"],
            invite_url=created["invite_url"],
        )
    return JSONResponse(result)


@api
async def topic_contacts(request: Request) -> Response:
    """What residents left to be reached by, unmasked: staff only (any role: the
    moderator, the clerk and the office each may need to call her back)."""
    community = await community_of(request)
    _staff(request, community)
    return JSONResponse(
        {"contacts": contacts(community.state)}, headers={"cache-control": "private, no-store"}
    )


@api
async def held_topics(request: Request) -> Response:
    community = await community_of(request)
    staff = _staff(request, community)
    if staff.role != "moderator":
        raise fail(ErrorCode.FORBIDDEN, "held topics are for moderators")
    return JSONResponse(
        {"topics": held(community.state)}, headers={"cache-control": "private, no-store"}
    )
