"""What the HTTP API's resource modules share: errors as responses, the handler
wrapper, reading a JSON body, the bearer token, the admin check, the client's
address, new codes, and the node's services.

Errors answer ``{"error": {"code", "message"}}`` with the status that fits the code.
"""

from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING, Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from ..backends.base import BackendUnavailable, CorruptEntry
from ..core.types import CommandError, ErrorCode, Json
from ..wire import loads_json

if TYPE_CHECKING:
    from ..services import Services

STATUS = {
    ErrorCode.BAD_FRAME: 400,
    ErrorCode.BAD_COMMAND: 400,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.TOO_LARGE: 413,
    ErrorCode.REJECTED: 400,
    ErrorCode.UNAVAILABLE: 503,
}
MAX_BODY_BYTES = 64 * 1024
CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: read aloud and typed by hand


def fail(code: ErrorCode, message: str) -> CommandError:
    return CommandError(code, message)


def error_response(error: CommandError) -> JSONResponse:
    return JSONResponse({"error": error.to_wire()}, status_code=STATUS[error.code])


def new_code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def services_of(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def api(handler: Any) -> Any:
    """Turns a handler's ``CommandError``/``BackendUnavailable`` into an error response."""

    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)  # type: ignore[no-any-return]
        except CommandError as error:
            return error_response(error)
        except BackendUnavailable:
            return error_response(fail(ErrorCode.UNAVAILABLE, "the log is unreachable; retry"))
        except CorruptEntry as damage:  # met by a read of the whole log (minutes, feeds)
            room_id = request.path_params.get("room_id", "?")
            return error_response(
                services_of(request).node.damaged.record(room_id, damage.seq, damage.reason)
            )

    endpoint.__name__ = handler.__name__
    return endpoint


async def read_json(request: Request) -> Json:
    too_large = fail(ErrorCode.TOO_LARGE, "the request body is too large")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large
    chunks, size = [], 0
    try:
        async for chunk in request.stream():  # counted as it arrives: never buffer a flood
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise too_large
            chunks.append(chunk)
    except ClientDisconnect:  # gone, or cut off for sending too slowly (server/web/guard.py)
        raise fail(ErrorCode.BAD_COMMAND, "the body did not arrive") from None
    body = b"".join(chunks)
    try:
        data = loads_json(body or b"{}")
    except ValueError as problem:
        raise fail(ErrorCode.BAD_COMMAND, f"the body must be JSON ({problem})") from None
    if not isinstance(data, dict):
        raise fail(ErrorCode.BAD_COMMAND, "the body must be a JSON object")
    return data


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


def same_secret(given: str, expected: str) -> bool:
    """Whether a secret given equals the expected one, in constant time."""
    return hmac.compare_digest(
        given.encode("utf-8", "replace"), expected.encode("utf-8", "replace")
    )


def check_admin(request: Request) -> None:
    """The admin token, with ``FAILED_ADMIN_PER_MINUTE`` wrong ones an address (services.py)."""
    services = services_of(request)
    failures = services.admin_failures.get(client_address(request))
    if failures.empty():
        raise fail(ErrorCode.RATE_LIMITED, "too many wrong admin tokens from this address; wait")
    token = bearer(request)
    if not token or not same_secret(token, services.admin_token):
        failures.take()
        raise fail(ErrorCode.UNAUTHORIZED, "the admin token is required")


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
