"""Assembles one node: the log backend, the room hosts, the HTTP API, the
WebSocket endpoint and the pages."""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Mount, Route
from yishi.moderation import load_pipeline

from .backends import backend_from_url
from .config import Config, check
from .host.hub import Close
from .host.node import Node
from .host.screening import Screener
from .host.signing import deployment_key
from .readiness import Readiness
from .services import Services
from .sockets.session import RoomSockets
from .tokens import TokenSigner
from .web import communities, community_reads, followup, health, households, pages, rooms
from .web.bundles import static_dir
from .web.headers import SecurityHeaders
from .web.metrics_port import MetricsPort
from .wire import CLOSE_RESTARTING

logger = logging.getLogger(__name__)


def wall_clock() -> int:
    return time.time_ns() // 1_000_000


def page(name: str, *, first_fetch: str | None = None) -> Callable[..., object]:
    return pages.page(static_dir, name, first_fetch=first_fetch)


def community_routes() -> list[Route]:
    """Communities and their topics (server/web/communities.py, server/web/community_reads.py,
    server/web/households.py)."""
    c, topic = "/api/communities/{community_id}", "/api/communities/{community_id}/topics"
    return [
        Route("/api/communities", communities.create_community, methods=["POST"]),
        Route(c, communities.community_summary),
        Route(f"{c}/staff", communities.add_staff, methods=["POST"]),
        Route(f"{c}/staff/{{staff_id}}", communities.revoke_staff, methods=["DELETE"]),
        Route(f"{c}/qr.svg", communities.community_qr),
        Route(f"{c}/stats", community_reads.stats),
        Route(f"{c}/export.csv", community_reads.export_csv),
        Route(f"{c}/export.json", community_reads.export_json),
        Route(f"{c}/feed.atom", community_reads.feed),
        Route(f"{c}/charts/{{name}}.svg", community_reads.chart),
        Route(f"{c}/held", communities.held_topics),
        Route(f"{c}/contacts", communities.topic_contacts),
        Route(f"{c}/households", households.issue, methods=["POST"]),
        Route(f"{c}/households", households.listing),
        Route(f"{c}/households/claim", households.claim, methods=["POST"]),
        Route(f"{c}/households/{{household_id}}/reset", households.reset, methods=["POST"]),
        Route(f"{c}/mine", households.mine, methods=["POST"]),
        Route(topic, community_reads.list_topics),
        Route(topic, communities.submit_topic, methods=["POST"]),
        Route(f"{topic}/{{topic_id}}", community_reads.topic_detail),
        Route(f"{topic}/{{topic_id}}/cosign", communities.cosign, methods=["POST"]),
        Route(f"{topic}/{{topic_id}}/rate", communities.rate, methods=["POST"]),
        Route(f"{topic}/{{topic_id}}/transition", communities.transition, methods=["POST"]),
    ]


def create_app(
    config: Config,
    *,
    clock: Callable[[], int] = wall_clock,
    on_ready: Callable[[Services], None] | None = None,
) -> Starlette:
    """A Starlette app for one node. ``clock`` is the one seam tests may replace.

    Raises ``ValueError`` if ``config`` is unsafe (config.check).
    """
    check(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        readiness = Readiness()
        backend = backend_from_url(config.log_url, clock=clock, readiness=readiness)
        await backend.start()
        secret = config.secret or await backend.get_or_create_secret(
            "token_secret", lambda: secrets.token_urlsafe(32)
        )
        admin_token = config.admin_token or await backend.get_or_create_secret(
            "admin_token", lambda: secrets.token_urlsafe(24)
        )
        node = Node(
            backend, clock=clock, room_idle_ms=int(config.room_idle_s * 1000), readiness=readiness
        )
        services = Services(
            config=config,
            backend=backend,
            node=node,
            clock=clock,
            readiness=readiness,
            signer=TokenSigner(secret),
            admin_token=admin_token,
            screener=Screener(load_pipeline(config.moderation_dir)),
            signing_key=await deployment_key(backend),
        )
        services.metrics.watch(node)
        services.metrics.watch_recordings(services.recordings)
        services.metrics.watch_screener(services.screener)
        app.state.services = services
        await node.start()
        services.recordings.start()  # after the node: it hears an erase once applied
        if on_ready is not None:
            on_ready(services)
        try:
            yield
        finally:
            for host in node.hosts.values():
                for sub in list(host.hub.subscribers):
                    sub.outbox.close_now(Close(CLOSE_RESTARTING, "server restarting"))
            await node.stop()
            await services.communities.close()
            await services.recordings.close()
            await backend.close()

    room = "/api/rooms/{room_id}"
    routes = [
        Route("/healthz", health.healthz),
        Route("/readyz", health.readyz),
        Route("/metrics", health.metrics),
        Route("/api/rooms", rooms.create_room, methods=["POST"]),
        Route(room, rooms.room_summary),
        Route(f"{room}/invites", rooms.create_invites, methods=["POST"]),
        Route(f"{room}/join", rooms.join, methods=["POST"]),
        Route(f"{room}/staff", rooms.add_staff, methods=["POST"]),
        Route(f"{room}/screen", rooms.create_screen, methods=["POST"]),
        Route(f"{room}/tokens/{{participant_id}}", rooms.revoke_tokens, methods=["DELETE"]),
        Route(f"{room}/qr.svg", rooms.room_qr),
        Route(f"{room}/minutes", rooms.minutes),
        Route(f"{room}/recordings/{{track}}.ogg", rooms.recording),
        # Follow-up (server/web/followup.py, docs/protocol.md "Follow-up feeds").
        Route(f"{room}/feed.atom", followup.room_feed),
        Route(f"{room}/actions/{{action_id}}/feed.atom", followup.action_feed),
        Route(f"{room}/followup", followup.followup),
        Route("/my", page("my.html")),
        Route("/api/signing-key", rooms.signing_key),
        *community_routes(),
        Route("/", page("index.html")),
        Route("/r/{room_id}", page("room.html", first_fetch="/api/rooms/{room_id}")),
        Route("/r/{room_id}/minutes", page("minutes.html")),
        Route("/r/{room_id}/screen", page("screen.html")),
        Route("/m/{room_id}", page("moderator.html")),
        Route(
            "/c/{community_id}",
            page("community.html", first_fetch="/api/communities/{community_id}"),
        ),
        Route("/c/{community_id}/staff", page("community-staff.html")),
        Mount("/static", pages.Assets(directory=static_dir(), check_dir=False), name="static"),
    ]
    # Pages, scripts and minutes travel compressed to old phones on weak networks.
    middleware = [
        Middleware(MetricsPort, port=config.metrics_port),
        Middleware(RoomSockets),
        Middleware(SecurityHeaders),
        Middleware(GZipMiddleware, minimum_size=1024),
    ]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
