"""The public reads of a community (docs/protocol.md, "Communities and topics"): the
filtered list, a topic's full record, the figures, the exports, the feed and the charts.

Every read first catches the community up with its log (server/host/communities.py), so a
write answered by any node is seen. Held and rejected topics never appear.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..backends.base import BackendUnavailable
from ..core.community.figures import figures
from ..core.community.rules import public_topic
from ..core.community.views import changes, community_wire, detail, export_rows, listing
from ..core.types import ErrorCode, Json
from ..host.communities import Community
from ..minutes import atom
from ..minutes.deadlines import is_overdue
from ..minutes.glossary import terms
from .charts import CHART_NAMES, chart_svg
from .charts import MEDIA_TYPE as CHART_MEDIA_TYPE
from .common import api, fail, services_of
from .communities import community_of, today_of
from .spreadsheet import csv_bytes

if TYPE_CHECKING:
    from ..services import Services

LIVE_STATUS_TIMEOUT_S = 1.0
K = TypeVar("K")
V = TypeVar("V")


@api
async def list_topics(request: Request) -> Response:
    community = await community_of(request)
    query = request.query_params
    limit_text = query.get("limit") or "50"
    # ASCII digits only, and few: int() refuses "²" and 4300 digits (a 500, not a 400).
    if not (limit_text.isascii() and limit_text.isdigit() and len(limit_text) <= 9):
        raise fail(ErrorCode.BAD_COMMAND, "limit must be a number")
    topics, after = listing(
        community.state,
        status=query.get("state") or None,
        category=query.get("category") or None,
        month=query.get("month") or None,
        q=query.get("q") or None,
        limit=int(limit_text),
        after=query.get("after") or None,
    )
    return JSONResponse({"topics": topics, "next": after})


async def _live_statuses(services: Services, room_ids: list[str]) -> dict[tuple[str, str], str]:
    """The rooms' action statuses now, for those that answer in time (else none)."""
    found: dict[tuple[str, str], str] = {}
    for room_id in room_ids:
        with contextlib.suppress(BackendUnavailable, asyncio.TimeoutError):
            host = await asyncio.wait_for(services.node.host(room_id), LIVE_STATUS_TIMEOUT_S)
            if host is not None:
                await host.catch_up()
                found.update(
                    {(room_id, a.action_id): a.status for a in host.state.actions.values()}
                )
    return found


@api
async def topic_detail(request: Request) -> Response:
    services = services_of(request)
    community = await community_of(request)
    topic = public_topic(community.state, request.path_params["topic_id"])
    live = await _live_statuses(services, [s.room_id for s in topic.sessions])
    return JSONResponse(
        detail(
            topic,
            today=today_of(services),
            is_overdue=is_overdue,
            live=lambda room, action: live.get((room, action)),
        )
    )


_STATS_CACHE: dict[tuple[str, int, date], Json] = {}
_ROWS_CACHE: dict[tuple[str, int], list[Json]] = {}


async def _fold_once(cache: dict[K, V], key: K, fold: Callable[[], V], *, most: int) -> V:
    """``fold()`` of a community's state, computed once per ``key`` and in a thread: a
    large community's takes a fifth of a second, and these reads need no token, so the
    event loop and every room on the node go on. Call it holding the community's lock,
    so that no entry is applied meanwhile."""
    value = cache.get(key)
    if value is None:
        value = await asyncio.to_thread(fold)
        if len(cache) > most:
            cache.clear()
        cache[key] = value
    return value


async def stats_of(services: Services, community: Community) -> Json:
    """The figures, computed once per (entry applied, day): they are a fold of the state."""
    today = today_of(services)
    cached = _STATS_CACHE.get((community.community_id, community.state.entry_seq, today))
    if cached is not None:
        return cached
    async with community.lock:
        key = (community.community_id, community.state.entry_seq, today)  # may have moved
        return await _fold_once(
            _STATS_CACHE,
            key,
            partial(figures, community.state, today=today, is_overdue=is_overdue),
            most=256,
        )


@api
async def stats(request: Request) -> Response:
    community = await community_of(request)
    return JSONResponse(await stats_of(services_of(request), community))


async def _rows_of(community: Community) -> list[Json]:
    """The export's rows, made once per entry applied (call it holding the lock)."""
    return await _fold_once(
        _ROWS_CACHE,
        (community.community_id, community.state.entry_seq),
        partial(export_rows, community.state),
        most=16,
    )


@api
async def export_json(request: Request) -> Response:
    services = services_of(request)
    community = await community_of(request)
    figures_now = await stats_of(services, community)
    # The digest and the rows are read together, under the lock: the same entries.
    # (The figures may be of a moment before, if an entry came in meanwhile.)
    async with community.lock:  # rows and digest of the same entries
        digest, rows = community.digest, await _rows_of(community)
    body = {
        "community": community_wire(community.state),
        "log": digest,
        "figures": figures_now,
        "topics": rows,
    }
    return JSONResponse(
        body,
        headers={
            "content-disposition": f'attachment; filename="{community.community_id}-topics.json"'
        },
    )


@api
async def export_csv(request: Request) -> Response:
    community = await community_of(request)
    async with community.lock:
        rows = await _rows_of(community)
    body = await asyncio.to_thread(_csv_body, rows)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="{community.community_id}-topics.csv"'
        },
    )


def _csv_body(rows: list[Json]) -> bytes:
    columns = [*rows[0], "state_label"] if rows else ["topic_id"]
    return csv_bytes(
        columns,
        (
            {
                **row,
                "state_label": state_label(row["state"]),
                "submitted_at": atom.rfc3339(row["submitted_at"]),
                "solved_at": atom.rfc3339(row["solved_at"]) if row["solved_at"] else "",
                "by_clerk": "yes" if row["by_clerk"] else "",
            }
            for row in rows
        ),
    )


def state_label(state: str) -> str:
    """A topic's state as the pages name it (the glossary's word)."""
    return terms("zh").get(f"cstate.{state}", state)


@api
async def feed(request: Request) -> Response:
    services = services_of(request)
    community = await community_of(request)
    base = services.config.public_url
    cid = community.community_id
    entries = []
    for topic, index, step in changes(community.state):
        summary = step.reason or step.report or ""
        entries.append(
            atom.FeedEntry(
                entry_id=f"urn:yishi:community:{cid}:{topic.topic_id}:{index}",
                title=f"{topic.title}: {state_label(step.state)}",
                at_ms=step.at,
                summary=summary,
                link=f"{base}/c/{cid}#{topic.topic_id}",
            )
        )
    body = atom.atom_feed(
        feed_id=f"urn:yishi:community:{cid}",
        title=community.state.name,
        self_url=f"{base}/api/communities/{cid}/feed.atom",
        alternate_url=f"{base}/c/{cid}",
        entries=entries,
        updated_ms=community.state.created_at,
    )
    return Response(body, media_type=atom.MEDIA_TYPE)


@api
async def chart(request: Request) -> Response:
    """A chart of the figures as SVG, drawn by the pure ``server/web/charts.py`` (``?lang=``
    zh or en; the by_month window ends at this month, in the deployment's calendar)."""
    name = request.path_params["name"]
    if name not in CHART_NAMES:
        raise fail(ErrorCode.NOT_FOUND, f"charts: {', '.join(CHART_NAMES)}")
    services = services_of(request)
    community = await community_of(request)
    until = today_of(services).isoformat()[:7]
    svg = chart_svg(
        name,
        await stats_of(services, community),
        lang=request.query_params.get("lang") or "zh",
        until=until,
    )
    return Response(svg, media_type=CHART_MEDIA_TYPE, headers={"cache-control": "no-cache"})
