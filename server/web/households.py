"""A community's household codes over HTTP (docs/protocol.md, "Who counts"): staff issue
a batch of printed codes, list and free them; a resident enters hers once on her
phone; a phone reads back what it (or its household) co-signed and rated.

The rules are the core's (server/core/community/rules.py, support.py). The log keeps
a keyed hash of each code, never the code: the codes are shown once, in the answer
that issues them, for printing. Wrong codes are limited exactly as a room's join
codes are (server/ratelimit.py, ``JoinLimiter``, the community's log id as the room).
"""

from __future__ import annotations

import dataclasses
import secrets
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.community import args as cargs
from ..core.community.reducer import precheck
from ..core.community.state import Household
from ..core.community.support import device_support, household_wire, staff_households
from ..core.schema import parse, to_log
from ..core.types import CommandError, ErrorCode
from ..host.communities import Community
from .common import api, client_address, fail, read_json, services_of
from .communities import _append, _device, _staff, community_of

if TYPE_CHECKING:
    from ..services import Services

CODE_DIGITS = 12  # digits: a phone's number pad, read off a slip by anyone
PRIVATE = {"cache-control": "private, no-store"}


def new_household_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))


def printed(code: str) -> str:
    """``482177301952`` as ``4821 7730 1952``, as the slip shows it."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalised(raw: Any) -> str | None:
    """The code as typed (spaces and dashes dropped), or None if it cannot be one."""
    if not isinstance(raw, str) or len(raw) > 4 * CODE_DIGITS:
        return None
    code = "".join(ch for ch in raw if ch not in " -\u3000")
    return code if len(code) == CODE_DIGITS and code.isascii() and code.isdigit() else None


async def _code_hash(services: Services, community: Community, code: str) -> str:
    # The same keyed hash as a device's, under another label: a leaked log shows no code.
    return await services.node.ballots.device_hash(community.log_id, "household", code)


@api
async def issue(request: Request) -> Response:
    services = services_of(request)
    body = await read_json(request)
    community = await community_of(request)
    staff = _staff(request, community)
    parsed: Any = parse(cargs.HouseholdIssue, body, client=True)
    precheck(community.state, "household.issue", parsed, actor=staff.staff_id)
    codes = [new_household_code() for _ in parsed.labels]
    hashes = [await _code_hash(services, community, code) for code in codes]
    result = await _append(
        community,
        "household.issue",
        actor=staff.staff_id,
        args=to_log(dataclasses.replace(parsed, codes=hashes)),
    )
    households = [
        {"household_id": hid, "label": label, "code": printed(code)}
        for hid, label, code in zip(result["households"], parsed.labels, codes, strict=True)
    ]
    return JSONResponse({"households": households}, status_code=201, headers=PRIVATE)


@api
async def listing(request: Request) -> Response:
    community = await community_of(request)
    staff = _staff(request, community)
    if staff.role not in ("moderator", "clerk"):
        raise fail(ErrorCode.FORBIDDEN, "households are for moderators and clerks")
    return JSONResponse({"households": staff_households(community.state)}, headers=PRIVATE)


@api
async def reset(request: Request) -> Response:
    community = await community_of(request)
    staff = _staff(request, community)
    args = {"household_id": request.path_params["household_id"]}
    parse(cargs.HouseholdReset, args, client=True)
    return JSONResponse(
        await _append(community, "household.reset", actor=staff.staff_id, args=args)
    )


@api
async def claim(request: Request) -> Response:
    """A resident enters her household's code: the first device binds it."""
    services = services_of(request)
    limiter, address = services.joins, client_address(request)
    refusal = limiter.admit(address)
    if refusal is not None:
        raise fail(ErrorCode.RATE_LIMITED, refusal)
    body = await read_json(request)
    community = await community_of(request)
    typed = body.get("code")
    code = normalised(typed)
    refusal = limiter.check(community.log_id, address, code or str(typed)[:64])
    if refusal is not None:
        raise fail(ErrorCode.RATE_LIMITED, refusal)
    if code is None:
        limiter.failed(community.log_id, address, str(typed)[:64])
        raise fail(ErrorCode.BAD_COMMAND, f"a household code is {CODE_DIGITS} digits")
    args: Any = parse(
        cargs.HouseholdClaim,
        {
            "code": await _code_hash(services, community, code),
            "device": await _device(services, community, body),
        },
        client=False,
    )
    try:
        household: Household = precheck(community.state, "household.claim", args, actor=None)
        if household.device == args.device:  # entered again on her phone: nothing to log
            return JSONResponse(household_wire(household), headers=PRIVATE)
        result = await _append(community, "household.claim", actor=None, args=to_log(args))
    except CommandError as error:
        if error.code is ErrorCode.UNAUTHORIZED:
            limiter.failed(community.log_id, address, code)
        elif error.code is ErrorCode.FORBIDDEN:
            limiter.refused(community.log_id, address, code)
        raise
    return JSONResponse(result, headers=PRIVATE)


@api
async def mine(request: Request) -> Response:
    """What this device (or its household) gave: its household, its co-signs and its
    ratings, so that its page shows them after a reload (POST: the device is a secret
    and stays out of addresses and access logs)."""
    services = services_of(request)
    body = await read_json(request)
    community = await community_of(request)
    device_hash = await _device(services, community, body)
    return JSONResponse(device_support(community.state, device_hash), headers=PRIVATE)
