"""B1: python-socketio ``AsyncServer`` under uvicorn (ASGI), the peer a Python developer picks.

    python3 -m bench.servers.b1 --port P [--redis redis://127.0.0.1:R/0]

Listeners join the room ``bench`` when they connect; the publisher connects
with the auth ``{"pub": 1}`` and emits ``pub``; the server emits the text as
``m`` to the room. With ``--redis``, ``AsyncRedisManager`` carries emits to every
node. ``GET /healthz`` answers 200. Defaults otherwise, as a user would run it;
per-message deflate is off in uvicorn, as everywhere in the benchmark.
"""

from __future__ import annotations

import argparse
from typing import Any

import socketio  # type: ignore[import-untyped]
import uvicorn

Scope = dict[str, Any]


def build(redis_url: str | None) -> Any:
    manager = socketio.AsyncRedisManager(redis_url) if redis_url else None
    sio = socketio.AsyncServer(async_mode="asgi", client_manager=manager)

    @sio.event  # type: ignore[untyped-decorator]
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        if not (isinstance(auth, dict) and auth.get("pub")):
            await sio.enter_room(sid, "bench")

    @sio.on("pub")  # type: ignore[untyped-decorator]
    async def pub(sid: str, text: str) -> None:
        await sio.emit("m", text, room="bench")

    async def health(scope: Scope, receive: Any, send: Any) -> None:
        ok = scope["type"] == "http" and scope["path"] == "/healthz"
        await send({"type": "http.response.start", "status": 200 if ok else 404, "headers": []})
        await send({"type": "http.response.body", "body": b"ok\n" if ok else b""})

    return socketio.ASGIApp(sio, other_asgi_app=health)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis", default=None)
    args = parser.parse_args()
    uvicorn.run(
        build(args.redis),
        host="127.0.0.1",
        port=args.port,
        ws_per_message_deflate=False,
        log_level="warning",
        lifespan="off",
    )
