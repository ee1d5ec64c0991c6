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

from . import community_api, community_reads, followup_api, households_api, http_api, pages
from .backends import backend_from_url
from .bundles import static_dir
from .config import Config, check
from .headers import SecurityHeaders
from .hub import Close
from .metrics_port import MetricsPort
from .node import Node
from .readiness import Readiness
from .screening import Screener
from .services import Services
from .signing import deployment_key
from .tokens import TokenSigner
from .wire import CLOSE_RESTARTING
from .ws import RoomSockets

logger = logging.getLogger(__name__)


def wall_clock() -> int:
    return time.time_ns() // 1_000_000


def page(name: str, *, first_fetch: str | None = None) -> Callable[..., object]:
    return pages.page(static_dir, name, first_fetch=first_fetch)


def community_routes() -> list[Route]:
    """Communities and their topics (server/community_api.py, server/community_reads.py,
    server/households_api.py)."""
    c, topic = "/api/communities/{community_id}", "/api/communities/{community_id}/topics"
    return [
        Route("/api/communities", community_api.create_community, methods=["POST"]),
        Route(c, community_api.community_summary),
        Route(f"{c}/staff", community_api.add_staff, methods=["POST"]),
        Route(f"{c}/staff/{{staff_id}}", community_api.revoke_staff, methods=["DELETE"]),
        Route(f"{c}/qr.svg", community_api.community_qr),
        Route(f"{c}/stats", community_reads.stats),
        Route(f"{c}/export.csv", community_reads.export_csv),
        Route(f"{c}/export.json", community_reads.export_json),
        Route(f"{c}/feed.atom", community_reads.feed),
        Route(f"{c}/charts/{{name}}.svg", community_reads.chart),
        Route(f"{c}/held", community_api.held_topics),
        Route(f"{c}/contacts", community_api.topic_contacts),
        Route(f"{c}/households", households_api.issue, methods=["POST"]),
        Route(f"{c}/households", households_api.listing),
        Route(f"{c}/households/claim", households_api.claim, methods=["POST"]),
        Route(f"{c}/households/{{household_id}}/reset", households_api.reset,
              methods=["POST"]),
        Route(f"{c}/mine", households_api.mine, methods=["POST"]),
        Route(topic, community_reads.list_topics),
        Route(topic, community_api.submit_topic, methods=["POST"]),
        Route(f"{topic}/{{topic_id}}", community_reads.topic_detail),
        Route(f"{topic}/{{topic_id}}/cosign", community_api.cosign, methods=["POST"]),
        Route(f"{topic}/{{topic_id}}/rate", community_api.rate, methods=["POST"]),
        Route(f"{topic}/{{topic_id}}/transition", community_api.transition, methods=["POST"]),
    ]


def create_app(config: Config, *, clock: Callable[[], int] = wall_clock,
               on_ready: Callable[[Services], None] | None = None) -> Starlette:
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
            "token_secret", lambda: secrets.token_urlsafe(32))
        admin_token = config.admin_token or await backend.get_or_create_secret(
            "admin_token", lambda: secrets.token_urlsafe(24))
        node = Node(backend, clock=clock, room_idle_ms=int(config.room_idle_s * 1000),
                    readiness=readiness)
        services = Services(config=config, backend=backend, node=node, clock=clock,
                            readiness=readiness,
                            signer=TokenSigner(secret), admin_token=admin_token,
                            screener=Screener(load_pipeline(config.moderation_dir)),
                            signing_key=await deployment_key(backend))
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

    rooms = "/api/rooms/{room_id}"
    routes = [
        Route("/healthz", http_api.healthz),
        Route("/readyz", http_api.readyz),
        Route("/metrics", http_api.metrics),
        Route("/api/rooms", http_api.create_room, methods=["POST"]),
        Route(rooms, http_api.room_summary),
        Route(f"{rooms}/invites", http_api.create_invites, methods=["POST"]),
        Route(f"{rooms}/join", http_api.join, methods=["POST"]),
        Route(f"{rooms}/staff", http_api.add_staff, methods=["POST"]),
        Route(f"{rooms}/screen", http_api.create_screen, methods=["POST"]),
        Route(f"{rooms}/tokens/{{participant_id}}", http_api.revoke_tokens, methods=["DELETE"]),
        Route(f"{rooms}/qr.svg", http_api.room_qr),
        Route(f"{rooms}/minutes", http_api.minutes),
        Route(f"{rooms}/recordings/{{track}}.ogg", http_api.recording),
        # Follow-up (server/followup_api.py, docs/protocol.md "Follow-up feeds").
        Route(f"{rooms}/feed.atom", followup_api.room_feed),
        Route(f"{rooms}/actions/{{action_id}}/feed.atom", followup_api.action_feed),
        Route(f"{rooms}/followup", followup_api.followup),
        Route("/my", page("my.html")),
        Route("/api/signing-key", http_api.signing_key),
        *community_routes(),
        Route("/", page("index.html")),
        Route("/r/{room_id}", page("room.html", first_fetch="/api/rooms/{room_id}")),
        Route("/r/{room_id}/minutes", page("minutes.html")),
        Route("/r/{room_id}/screen", page("screen.html")),
        Route("/m/{room_id}", page("moderator.html")),
        Route("/c/{community_id}", page("community.html",
                                          first_fetch="/api/communities/{community_id}")),
        Route("/c/{community_id}/staff", page("community-staff.html")),
        Mount("/static", pages.Assets(directory=static_dir(), check_dir=False), name="static"),
    ]
    # Pages, scripts and minutes travel compressed to old phones on weak networks.
    middleware = [Middleware(MetricsPort, port=config.metrics_port),
                  Middleware(RoomSockets), Middleware(SecurityHeaders),
                  Middleware(GZipMiddleware, minimum_size=1024)]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
