"""Follow-up over HTTP: a room's Atom feed, an action's, and the follow-up view.

* ``GET /api/rooms/{id}/feed.atom``: the room's follow-up (server/minutes/followup.py).
* ``GET /api/rooms/{id}/actions/{action_id}/feed.atom``: one action's.
* ``GET /api/rooms/{id}/followup``: the same as JSON, for the "my rooms" page.

No token: each says only what followup.py makes public, to anyone who knows the
room's id. The room is read from the node's replica (``host.state``), never
replayed per request; the seqs of its follow-up entries come from
:class:`~yishi.host.followup_log.FollowUpLog`, which reads only the entries appended
since its last read.

A feed answers ``ETag`` (its version: the highest log seq among its entries,
its overdue entries and the language) and ``Last-Modified`` (its newest
entry); ``If-None-Match``, or else ``If-Modified-Since``, that still matches
gets ``304`` with no body, so a bridge polling every minute costs one look at
the replica.
"""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import formatdate, parsedate_to_datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.types import ErrorCode
from ..host.node import RoomHost
from ..minutes.atom import MEDIA_TYPE, atom_feed
from ..minutes.deadlines import local_today
from ..minutes.followup import (
    TEXT,
    Item,
    LogMarks,
    action_feed_url,
    action_items,
    action_urn,
    follow_url,
    followup_view,
    lang_of,
    room_feed_url,
    room_items,
    room_urn,
    version,
)
from .common import api, fail, services_of
from .rooms import room_host


def _not_modified(request: Request, etag: str, modified: str) -> bool:
    wanted = request.headers.get("if-none-match")
    if wanted is not None:
        tags = {t.strip().removeprefix("W/") for t in wanted.split(",")}
        return "*" in tags or etag.removeprefix("W/") in tags
    since = request.headers.get("if-modified-since")
    if since is None:
        return False
    try:
        return parsedate_to_datetime(since) >= parsedate_to_datetime(modified)
    except (TypeError, ValueError):
        return False


def _feed(
    request: Request,
    items: Sequence[Item],
    *,
    lang: str,
    feed_id: str,
    title: str,
    self_url: str,
    alternate: str,
    created_ms: int,
) -> Response:
    entries = [i.entry for i in items]
    newest = max((e.at_ms for e in entries), default=created_ms)
    etag = f'W/"{version(items, lang)}"'
    modified = formatdate(newest / 1000, usegmt=True)
    # Kept by readers and proxies, but asked again each time (the 304 is cheap).
    headers = {"etag": etag, "last-modified": modified, "cache-control": "no-cache"}
    if _not_modified(request, etag, modified):
        return Response(status_code=304, headers=headers)
    body = atom_feed(
        feed_id=feed_id,
        title=title,
        self_url=self_url,
        alternate_url=alternate,
        entries=entries,
        updated_ms=created_ms,
    )
    return Response(body, media_type=MEDIA_TYPE, headers=headers)


async def _room(request: Request) -> tuple[RoomHost, LogMarks]:
    services = services_of(request)
    host = await room_host(request)
    return host, await services.followup.marks(services.backend, host)


@api
async def room_feed(request: Request) -> Response:
    services = services_of(request)
    host, marks = await _room(request)
    state, base = host.state, services.config.public_url
    items = room_items(state, marks, today=local_today(services.clock()), tz=None, base=base)
    lang = lang_of(state)
    return _feed(
        request,
        items,
        lang=lang,
        feed_id=room_urn(state.room_id),
        title=TEXT[lang]["room"].format(title=state.title),
        self_url=room_feed_url(base, state.room_id),
        alternate=follow_url(base, state.room_id),
        created_ms=state.created_at,
    )


@api
async def action_feed(request: Request) -> Response:
    services = services_of(request)
    host, marks = await _room(request)
    state, base = host.state, services.config.public_url
    action = state.actions.get(request.path_params["action_id"])
    if action is None:
        raise fail(ErrorCode.NOT_FOUND, "no such action")
    items = action_items(
        state, marks, action, today=local_today(services.clock()), tz=None, base=base
    )
    lang = lang_of(state)
    return _feed(
        request,
        items,
        lang=lang,
        feed_id=action_urn(state.room_id, action.action_id),
        title=TEXT[lang]["action"].format(title=action.title),
        self_url=action_feed_url(base, state.room_id, action.action_id),
        alternate=follow_url(base, state.room_id),
        created_ms=action.at,
    )


@api
async def followup(request: Request) -> Response:
    services = services_of(request)
    host = await room_host(request)
    view = followup_view(
        host.state, today=local_today(services.clock()), base=services.config.public_url
    )
    return JSONResponse(view, headers={"cache-control": "no-store"})
