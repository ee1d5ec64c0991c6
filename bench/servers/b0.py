"""B0: a bare `websockets` server that fans out with ``websockets.broadcast``.

    python3 -m bench.servers.b0 --port P

Subscribers connect to ``/ws``; every message a publisher sends on ``/pub`` is
broadcast as is to every subscriber: text as text, and binary as binary (the
voice session's audio frames, from a second publisher: bench.voice).
``GET /healthz`` answers 200. This is the ceiling a Python hub can hope for: no
envelope, no log, no per-audience encoding. Compression is off, as everywhere in the benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from http import HTTPStatus

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

subscribers: set[ServerConnection] = set()


async def handler(ws: ServerConnection) -> None:
    if ws.request is not None and ws.request.path == "/pub":
        try:
            async for message in ws:
                broadcast(subscribers, message)
        except ConnectionClosed:
            pass  # the generator drops its sockets without a closing handshake
        return
    subscribers.add(ws)
    try:
        await ws.wait_closed()
    finally:
        subscribers.discard(ws)


def health(connection: ServerConnection, request: Request) -> Response | None:
    if request.path == "/healthz":
        return connection.respond(HTTPStatus.OK, "ok\n")
    return None


async def main(port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    # backlog as uvicorn's default, so that a connection storm meets the same queue.
    async with serve(
        handler, "127.0.0.1", port, compression=None, process_request=health, backlog=2048
    ):
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    try:
        import uvloop

        uvloop.run(main(port))
    except ImportError:
        asyncio.run(main(port))
