"""The ``yishi`` command line (PROTOCOL.md, "Command line")."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..config import Config, check, default_public_url, read_secret_file
from ..redact import redact_url
from .datalock import DataFolderLock, FolderInUse


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name) or default


def _add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=_env("YISHI_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(_env("YISHI_PORT", "8000") or 8000))
    parser.add_argument(
        "--data-dir", type=Path, default=Path(_env("YISHI_DATA_DIR", "./yishi-data") or ".")
    )
    parser.add_argument("--redis", dest="redis_url", default=_env("YISHI_REDIS_URL"))
    parser.add_argument(
        "--admin-token",
        default=_env("YISHI_ADMIN_TOKEN"),
        help="at least 24 characters; prefer --admin-token-file (ps shows this)",
    )
    parser.add_argument(
        "--admin-token-file",
        type=Path,
        default=_path("YISHI_ADMIN_TOKEN_FILE"),
        help="read the admin token from this file",
    )
    parser.add_argument(
        "--secret",
        default=_env("YISHI_SECRET"),
        help="the key that signs tokens; prefer --secret-file (ps shows this)",
    )
    parser.add_argument(
        "--secret-file",
        type=Path,
        default=_path("YISHI_SECRET_FILE"),
        help="read the token-signing key from this file",
    )
    parser.add_argument("--public-url", default=_env("YISHI_PUBLIC_URL"))
    parser.add_argument(
        "--room-idle",
        dest="room_idle_s",
        type=float,
        default=float(_env("YISHI_ROOM_IDLE", "600") or 600),
        help="seconds an idle room stays in memory (default 600)",
    )
    parser.add_argument(
        "--forwarded-allow-ips",
        default=_env("YISHI_FORWARDED_ALLOW_IPS"),
        help="proxies whose X-Forwarded-For/-Proto are believed, e.g."
        " 127.0.0.1 or 10.0.0.0/8 (default: none)",
    )
    parser.add_argument(
        "--request-timeout",
        dest="request_timeout_s",
        type=float,
        default=float(_env("YISHI_REQUEST_TIMEOUT", "10") or 10),
        help="seconds a client has to send a request's headers, and again its body (default 10)",
    )
    parser.add_argument(
        "--ws-ping",
        dest="ws_ping_s",
        type=float,
        default=float(_env("YISHI_WS_PING", "20") or 20),
        help="seconds between pings to each socket, and then for its answer before it is"
        " closed with 1011: keep it under a proxy's idle timeout (default 20)",
    )
    parser.add_argument(
        "--metrics-token",
        default=_env("YISHI_METRICS_TOKEN"),
        help="/metrics then needs 'Authorization: Bearer TOKEN'",
    )
    parser.add_argument(
        "--metrics-token-file",
        type=Path,
        default=_path("YISHI_METRICS_TOKEN_FILE"),
        help="read the metrics token from this file",
    )
    parser.add_argument(
        "--metrics-port",
        type=int,
        default=_int("YISHI_METRICS_PORT"),
        help="serve /metrics on this port only (on --metrics-host)",
    )
    parser.add_argument(
        "--metrics-host",
        default=_env("YISHI_METRICS_HOST", "127.0.0.1"),
        help="the address of --metrics-port (default 127.0.0.1)",
    )
    parser.add_argument(
        "--moderation-dir",
        type=Path,
        default=_path("YISHI_MODERATION_DIR"),
        help="word lists and scorer weights of your own (a copy of the"
        " packaged folder, e.g. retrained with `yishi labels`)",
    )


def _path(name: str) -> Path | None:
    value = _env(name)
    return Path(value) if value else None


def _int(name: str) -> int | None:
    value = _env(name)
    return int(value) if value else None


def _secret(args: argparse.Namespace, name: str) -> str | None:
    """``--NAME-file`` over ``--NAME`` (each over its environment variable)."""
    path: Path | None = getattr(args, f"{name}_file", None)
    if path is not None:
        return read_secret_file(path)
    value: str | None = getattr(args, name, None)
    return value


def config_from(args: argparse.Namespace) -> Config:
    """The configuration the options describe; ``ValueError`` if a secret file is unreadable."""
    public_url = (args.public_url or default_public_url(args.host, args.port)).rstrip("/")
    return Config(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        redis_url=args.redis_url,
        admin_token=_secret(args, "admin_token"),
        secret=_secret(args, "secret"),
        public_url=public_url,
        room_idle_s=args.room_idle_s,
        forwarded_allow_ips=args.forwarded_allow_ips,
        request_timeout_s=args.request_timeout_s,
        ws_ping_s=args.ws_ping_s,
        metrics_token=_secret(args, "metrics_token"),
        metrics_port=args.metrics_port,
        metrics_host=args.metrics_host,
        moderation_dir=args.moderation_dir,
    )


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=2048)


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from ..app import create_app
    from ..services import Services
    from ..sockets import fastpath
    from ..web.guard import MAX_HEAD_BYTES, guarded_http

    try:
        config = config_from(args)
        check(config)
    except ValueError as problem:
        print(f"yishi: {problem}", file=sys.stderr)
        return 2

    def announce(services: Services) -> None:
        where = redact_url(config.redis_url) if config.redis_url else str(config.data_dir.resolve())
        print(f"Yishi is listening on {config.public_url}  (log: {where})", flush=True)
        if config.metrics_port is not None:
            print(
                f"Metrics: http://{config.metrics_host}:{config.metrics_port}/metrics", flush=True
            )
        # A token the operator gave is theirs to keep: never echo it into a log.
        if config.admin_token is None:
            print(f"Admin token: {services.admin_token}", flush=True)
        else:
            print("Admin token: the one given", flush=True)
        print(
            f"Create a room: yishi room create --title '...' --server {config.public_url}",
            flush=True,
        )

    lock = None
    if config.redis_url is None:  # the data folder is the store: one server on it
        lock = DataFolderLock(config.data_dir)
        try:
            lock.acquire()
        except (FolderInUse, OSError) as problem:
            print(f"yishi: {problem}", file=sys.stderr)
            return 1
    app = create_app(config, on_ready=announce)
    # Room sockets on Yishi's own protocol, any other WebSocket as websockets-sansio
    # does; under a uvicorn outside the tested versions, all of them on websockets-sansio
    # (through ASGI: fastpath logs why at the first socket).
    ws: type | str = "websockets-sansio"
    if fastpath.UNAVAILABLE is None:
        from ..sockets.roomsocket import RoomSocket

        ws = RoomSocket
    # X-Forwarded-* only from the proxies named: uvicorn believes 127.0.0.1 by default,
    # and anyone on the machine could then pose as any address to the join limiter.
    trusted = config.forwarded_allow_ips
    http = guarded_http(
        head_timeout_s=config.request_timeout_s,
        body_timeout_s=config.request_timeout_s,
        metrics_port=config.metrics_port,
    )
    server_config = uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        ws=ws,
        ws_max_size=64 * 1024,
        ws_per_message_deflate=False,
        ws_ping_interval=config.ws_ping_s,
        ws_ping_timeout=config.ws_ping_s,
        http=http,
        loop="uvloop",
        lifespan="on",
        log_level="warning",
        timeout_graceful_shutdown=5,
        proxy_headers=trusted is not None,
        forwarded_allow_ips=trusted or "",
        timeout_keep_alive=5,
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
    )
    try:
        sockets = [_listen(config.host, config.port)]
        if config.metrics_port is not None:
            sockets.append(_listen(config.metrics_host, config.metrics_port))
    except OSError as problem:
        print(f"yishi: cannot listen: {problem}", file=sys.stderr)
        return 1
    try:
        uvicorn.Server(server_config).run(sockets=sockets)
    finally:
        if lock is not None:
            lock.release()
    return 0


def _stored_admin_token(args: argparse.Namespace) -> str | None:
    from ..backends import backend_from_url

    config = config_from(args)

    async def read() -> str | None:
        backend = backend_from_url(config.log_url, clock=lambda: 0)
        await backend.start()
        try:
            token: str | None = None

            def missing() -> str:
                raise LookupError

            try:
                token = await backend.get_or_create_secret("admin_token", missing)
            except LookupError:
                token = None
            return token
        finally:
            await backend.close()

    return asyncio.run(read())


def _admin_post(args: argparse.Namespace, path: str, body: dict[str, Any]) -> dict[str, Any] | int:
    """POST ``body`` to a running server with the admin token: its answer, or an exit
    status (the problem printed)."""
    server = (args.server or args.public_url or f"http://{args.host}:{args.port}").rstrip("/")
    try:
        token = _secret(args, "admin_token") or _stored_admin_token(args)
    except ValueError as problem:
        print(f"yishi: {problem}", file=sys.stderr)
        return 2
    if not token:
        print("no admin token: pass --admin-token or --data-dir of the server", file=sys.stderr)
        return 2
    request = urllib.request.Request(
        f"{server}{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            answer: dict[str, Any] = json.load(response)
            return answer
    except urllib.error.HTTPError as error:
        print(f"the server refused: {error.read().decode()}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"cannot reach {server}: {error}", file=sys.stderr)
        return 1


def room_create(args: argparse.Namespace) -> int:
    from ..web.qr import qr_text

    body = {"title": args.title, "topic": args.topic or "", "agenda": args.agenda or []}
    room = _admin_post(args, "/api/rooms", body)
    if isinstance(room, int):
        return room
    print(f"Room:            {room['room_id']}")
    print(f"Moderator link:  {room['moderator_url']}")
    print(f"Invite link:     {room['invite_url']}")
    print(f"Invite code:     {room['invite_code']}")
    print(qr_text(room["invite_url"]))
    return 0


def community_create(args: argparse.Namespace) -> int:
    from ..web.qr import qr_text

    body: dict[str, Any] = {"name": args.name}
    if args.category:
        body["categories"] = args.category
    made = _admin_post(args, "/api/communities", body)
    if isinstance(made, int):
        return made
    print(f"Community:       {made['community_id']}")
    print(f"Public page:     {made['url']}")
    print(f"Staff link:      {made['staff_url']}")
    print(qr_text(f"{made['url']}?submit=1"))
    return 0


def minutes(args: argparse.Namespace) -> int:
    from .minutes import run_minutes

    return _with_config(args, run_minutes)


def labels(args: argparse.Namespace) -> int:
    from .labels import run_labels

    return _with_config(args, run_labels)


def _with_config(args: argparse.Namespace, run: Callable[[argparse.Namespace, Config], int]) -> int:
    """A command that reads the store itself (no server): 2 if the options are unusable."""
    try:
        config = config_from(args)
    except ValueError as problem:
        print(f"yishi: {problem}", file=sys.stderr)
        return 2
    return run(args, config)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="yishi", description="Online deliberation rooms")
    sub = parser.add_subparsers(dest="command", required=True)

    p_serve = sub.add_parser("serve", help="run a server node")
    _add_server_options(p_serve)
    p_serve.set_defaults(run=serve)

    p_room = sub.add_parser("room", help="manage rooms")
    room_sub = p_room.add_subparsers(dest="room_command", required=True)
    p_create = room_sub.add_parser("create", help="create a room on a running server")
    _add_server_options(p_create)
    p_create.add_argument("--title", required=True)
    p_create.add_argument("--topic")
    p_create.add_argument("--agenda", action="append", help="an agenda item (repeatable)")
    p_create.add_argument("--server", help="the server's URL (default: --public-url or host:port)")
    p_create.set_defaults(run=room_create)

    p_community = sub.add_parser("community", help="manage communities (topics and follow-up)")
    community_sub = p_community.add_subparsers(dest="community_command", required=True)
    p_ccreate = community_sub.add_parser("create", help="create a community on a running server")
    _add_server_options(p_ccreate)
    p_ccreate.add_argument("--name", required=True)
    p_ccreate.add_argument("--category", action="append", help="a topic category (repeatable)")
    p_ccreate.add_argument("--server", help="the server's URL (default: --public-url or host:port)")
    p_ccreate.set_defaults(run=community_create)

    p_minutes = sub.add_parser("minutes", help="write a room's minutes from its log")
    _add_server_options(p_minutes)
    p_minutes.add_argument("room_id", nargs="?")
    p_minutes.add_argument("--format", default="md", choices=["md", "html", "json", "docx"])
    p_minutes.add_argument("--lang", choices=["zh", "en"])
    p_minutes.add_argument("--output", "-o", type=Path)
    p_minutes.add_argument(
        "--verify",
        type=Path,
        metavar="FILE",
        help="check that a JSON export matches the stored log",
    )
    p_minutes.add_argument(
        "--key",
        type=Path,
        metavar="KEYFILE",
        action="append",
        help="with --verify: check approvals' signatures against this public "
        "key (GET /api/signing-key's JSON, or PEM) instead of the "
        "deployment's key in the backend; repeat for keys rotated out",
    )
    p_minutes.set_defaults(run=minutes)

    p_labels = sub.add_parser(
        "labels",
        help="moderators' approve/remove decisions on held chat, for"
        " python3 -m yishi.moderation.retrain --labels",
    )
    _add_server_options(p_labels)
    p_labels.add_argument("room_id", nargs="*", help="rooms to read (default: every room)")
    p_labels.add_argument("--output", "-o", type=Path)
    p_labels.set_defaults(run=labels)

    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
