"""``--metrics-port``: that port serves ``/metrics`` and nothing else; the main port
serves everything else.

The listening socket a request came in on is ``scope["server"]``; both sockets
belong to one uvicorn server (server/cli/main.py), so the node, its lifespan and its
signals stay one. A WebSocket upgrade on the metrics port is refused before any
protocol takes it (server/web/guard.py); one that reaches the app here is closed.
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

METRICS_PATH = "/metrics"


class MetricsPort:
    def __init__(self, app: ASGIApp, *, port: int | None) -> None:
        self.app, self.port = app, port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.port is None or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        server = scope.get("server")
        on_metrics_port = server is not None and server[1] == self.port
        if on_metrics_port == (scope["path"] == METRICS_PATH and scope["type"] == "http"):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        message = (
            "not served on the metrics port"
            if on_metrics_port
            else "served on the metrics port only"
        )
        response = JSONResponse(
            {"error": {"code": "not_found", "message": message}}, status_code=404
        )
        await response(scope, receive, send)
