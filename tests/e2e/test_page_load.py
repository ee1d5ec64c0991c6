"""A weak network (issue 26 item 7): what a page promises before its scripts arrive,
and how many round trips stand, one after another, before the join form works.

Nothing here depends on speed: the loading message is checked with scripts off,
the HTML's script tags and hints against the scripts the page ran, and the chain of round
trips under an emulated 1 s latency (far longer than it takes to issue the
requests of one round), by the rule bench/page_load.py reports: a request depends
on every request whose response had begun before it started.
"""

from __future__ import annotations

import re
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Pages, Server
from playwright.sync_api import Request, Route, expect
from test_community import NAME, create_community
from yishi.app import static_dir
from yishi.web import bundles
from yishi.web.pages import module_graph

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # bench/ is a top-level folder, not part of the installed package
    sys.path.insert(0, str(REPO))

from bench.page_load import CHAIN_DEPTH, WATCH_JOIN  # noqa: E402  (after the path above)

pytestmark = pytest.mark.e2e

LOADING = "正在加载……"
PAGES = ["/r/{room}", "/m/{room}", "/r/{room}/minutes", "/r/{room}/screen", "/my"]
LOADED = re.compile(r'<(?:script [^>]*src|link rel="(?:stylesheet|icon)" href)="(/static/[^"]+)"')
NAMED = re.compile(r'<(?:link rel="modulepreload" href|script [^>]*src)="([^"]+)"')


def test_the_loading_message_is_in_the_page_itself(server: Server, pages: Pages) -> None:
    room = server.create_room(title="加装电梯议事会")
    for path in PAGES:
        status, body = server.request("GET", path.format(room=room.room_id))
        assert status == 200 and LOADING in body.decode(), (path, status)
    # Visible with no script at all (as on a line where the scripts have not arrived).
    ctx = pages.browser.new_context(java_script_enabled=False, locale="zh-CN")
    pages.contexts.append(ctx)
    page = ctx.new_page()
    for path in PAGES:
        page.goto(server.base_url + path.format(room=room.room_id))
        expect(page.locator("#loading")).to_be_visible()
        expect(page.locator("#loading")).to_have_text(LOADING)


def test_the_join_form_is_two_round_trips_away(server: Server, pages: Pages) -> None:
    room = server.create_room(title="加装电梯议事会")
    url = f"{server.base_url}/r/{room.room_id}"
    status, body = server.request("GET", f"/r/{room.room_id}")
    assert status == 200
    named = {server.base_url + href for href in NAMED.findall(body.decode())}

    page = pages.open(None)
    page.context.add_init_script(WATCH_JOIN)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 1000, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    requests: list[Request] = []
    page.on("request", lambda r: requests.append(r))
    page.goto(url)
    page.wait_for_function("() => window.__joinUsable !== undefined")
    expect(page.locator("#join-title")).to_have_text("加装电梯议事会")
    expect(page.locator("#loading")).to_be_hidden()

    # Every script the page ran was named by the HTML: none waited for the one importing it.
    scripts = {r.url for r in requests if r.resource_type == "script"}
    assert scripts and scripts <= named, sorted(scripts - named)
    # The room's summary was preloaded and fetched once (the page took the preload).
    summary = [r for r in requests if r.url == f"{url.replace('/r/', '/api/rooms/')}"]
    assert len(summary) == 1, [(r.url, r.resource_type) for r in summary]
    chain = page.evaluate(CHAIN_DEPTH, page.evaluate("window.__joinUsable"))
    assert chain["depth"] <= 2, chain


def test_the_community_page_takes_its_preloaded_summary(server: Server, pages: Pages) -> None:
    community = create_community(server)
    summary = f"{server.base_url}/api/communities/{community['community_id']}"
    page = pages.open(None)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    page.goto(f"{server.base_url}/c/{community['community_id']}")
    expect(page.locator("#com-name")).to_have_text(NAME)
    assert asked.count(summary) == 1, asked


def test_the_pages_bundles_are_made_from_the_sources() -> None:
    """The committed bundles are those of today's modules (else pages fall back to the
    modules, twenty requests instead of one): `npm install && python -m yishi.web.bundles`."""
    static = static_dir()
    entries = bundles.entries(static)
    assert "js/room.js" in entries and "js/screen.js" in entries, entries
    stale = [e for e in entries if bundles.fresh(static, e) is None]
    assert not stale, f"{stale}: run `npm install && python -m yishi.web.bundles`"


def headers_of(url: str, **sent: str) -> tuple[int, dict[str, str], str]:
    req = urllib.request.Request(url, headers=sent)
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            return res.status, dict(res.headers.items()), res.read().decode()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, dict(err.headers.items()), ""


def test_a_warm_load_asks_only_for_the_page(server: Server) -> None:
    """The page revalidates (ETag); what it names carries its digest and is kept for good."""
    room = server.create_room(title="加装电梯议事会")
    status, sent, body = headers_of(f"{server.base_url}/r/{room.room_id}")
    assert status == 200 and sent["cache-control"] == "no-cache" and sent["etag"], sent
    again, _, _ = headers_of(
        f"{server.base_url}/r/{room.room_id}", **{"If-None-Match": sent["etag"]}
    )
    assert again == 304
    named = LOADED.findall(body)
    assert any(u.startswith("/static/app.css?v=") for u in named), named
    assert all("?v=" in u for u in named), named
    for url in named:
        status, got, _ = headers_of(server.base_url + url)
        assert status == 200 and got["cache-control"] == "public, max-age=31536000, immutable", (
            url,
            got,
        )
    # Any other address (another digest, none) revalidates.
    for url in ["/static/app.css", "/static/app.css?v=0123456789abcdef"]:
        status, got, _ = headers_of(server.base_url + url)
        assert status == 200 and got["cache-control"] == "no-cache" and got["etag"], (url, got)


def page_loading(entry: str) -> Callable[[Route], None]:
    """A route handler answering with a page that loads only ``entry``."""
    body = f'<!doctype html><script type="module" src="/static/{entry}"></script>'
    return lambda route: route.fulfill(content_type="text/html", body=body)


def test_the_hints_name_every_module_the_browser_imports(server: Server, pages: Pages) -> None:
    """Where a bundle is stale the page is served with its modules and hints
    (server/web/pages.py): the hints, read from the imports, are what Chromium fetches."""
    static = static_dir().resolve()
    ctx = pages.browser.new_context(locale="zh-CN")  # English would import its catalogue
    pages.contexts.append(ctx)
    page = ctx.new_page()
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url))
    own = f"{server.base_url}/static/"
    for entry in bundles.entries(static):
        probe = f"{server.base_url}/probe/{entry}"
        page.route(probe, page_loading(entry))
        fetched.clear()
        page.goto(probe, wait_until="load")  # a module graph is fetched before the load event
        modules = {u.removeprefix(own) for u in fetched if u.startswith(own) and u.endswith(".js")}
        hinted = {p.relative_to(static).as_posix() for p in module_graph(static / entry)}
        assert modules - {entry} == hinted, (
            entry,
            sorted(modules - {entry} - hinted),
            sorted(hinted - modules),
        )
