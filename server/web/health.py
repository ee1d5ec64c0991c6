"""The node's health (``/healthz``: the process answers), readiness (``/readyz``: what
is degraded, server/readiness.py) and metrics (``/metrics``, Prometheus text)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..backends.base import BackendUnavailable
from ..core.types import ErrorCode
from ..readiness import BACKEND_UNREACHABLE
from .common import bearer, error_response, fail, same_secret, services_of


async def healthz(request: Request) -> Response:
    return JSONResponse({"ok": True})


async def readyz(request: Request) -> Response:
    """200 when ready, 503 when not, with what is wrong (server/readiness.py)."""
    services = services_of(request)
    readiness = services.readiness
    try:
        with services.metrics.backend_latency.time():
            await services.backend.ping()
    except BackendUnavailable as problem:
        readiness.report(BACKEND_UNREACHABLE, str(problem))
    else:
        readiness.clear(BACKEND_UNREACHABLE)
    return JSONResponse(readiness.answer(), status_code=200 if readiness.ready else 503)


async def metrics(request: Request) -> Response:
    """Prometheus text; with ``--metrics-token``, for its bearer only."""
    services = services_of(request)
    expected = services.config.metrics_token
    if expected is not None:
        given = bearer(request)
        if not given or not same_secret(given, expected):
            return error_response(fail(ErrorCode.UNAUTHORIZED, "the metrics token is required"))
    return Response(
        services.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8"
    )
