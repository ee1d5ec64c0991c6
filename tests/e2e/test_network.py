"""Honest about the network: the page's weight, no request leaves the server,
a visible "reconnecting" state with automatic resume (a command pressed while
offline goes through once, after the server is back), and a command the
server refuses is shown as failed, never as done.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import SCREENSHOTS, Pages, Server
from helpers import expect_connected, fill_join, join, moderator, open_poll
from playwright.sync_api import Browser, Page, Request, WebSocketRoute, expect

pytestmark = pytest.mark.e2e

BUDGET_BYTES = 150 * 1024


def measure(pages: Pages, url: str, *, then: object = None) -> tuple[Page, dict[str, int]]:
    """Open `url` in a fresh browser and count the bytes of every response."""
    page = pages.open(None)
    sizes: dict[str, int] = {}

    def done(request: Request) -> None:
        s = request.sizes()
        sizes[request.url] = s["responseBodySize"] + s["responseHeadersSize"]

    page.on("requestfinished", done)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page, sizes


def test_resident_page_is_light_and_local(server: Server, pages: Pages) -> None:
    room = server.create_room(title="楼道堆物清理议事会")
    page, sizes = measure(pages, room.invite_url)
    fill_join(page, "赵大爷")
    expect_connected(page)
    total = sum(sizes.values())
    hosts = {urlsplit(u).netloc for u in sizes}
    assert hosts == {urlsplit(server.base_url).netloc}, hosts
    report = {
        "resident_total_bytes": total,
        "files": {urlsplit(u).path: n for u, n in sorted(sizes.items())},
    }
    for name, url in (("moderator", room.moderator_url), ("minutes", room.minutes_url)):
        _other, other_sizes = measure(pages, url)
        report[f"{name}_total_bytes"] = sum(other_sizes.values())
    SCREENSHOTS.parent.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS.parent / "page-weight.json").write_text(json.dumps(report, indent=1))
    assert total < BUDGET_BYTES, report


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "data")
    srv.start()
    yield srv
    srv.stop()


def test_reconnects_and_sends_what_was_pressed_offline(own_server: Server, pages: Pages) -> None:
    room = own_server.create_room(title="夜间噪音议事会")
    mod = moderator(pages, room)
    wang = join(pages, room, "王阿姨")
    mod.get_by_role("button", name="开始会议").click()
    expect(wang.locator("#room-status")).to_have_text("会议进行中")

    own_server.stop()
    banner = wang.locator("#conn")
    expect(banner).to_contain_text("正在重新连接")
    expect(banner).to_have_class(re.compile(r"\bconn-bad\b"))
    # Pressed while the server is away: queued with its nonce, sent on reconnect.
    wang.get_by_role("button", name="我支持").click()

    own_server.start()  # same port, same data folder: the log survived
    expect_connected(wang)
    expect_connected(mod)
    expect(wang.locator("#my-queue")).to_contain_text("第 1 位")
    expect(mod.locator('[data-queue="support"]')).to_contain_text("王阿姨")
    expect(mod.locator('[data-queue="support"] li')).to_have_count(1)
    expect(wang.locator(".notice-error")).to_have_count(0)


def test_a_refused_command_is_shown_as_failed(
    server: Server, browser: Browser, pages: Pages
) -> None:
    room = server.create_room(title="垃圾分类议事会")
    mod = moderator(pages, room)
    # This resident's network loses the poll.closed event, so the page still
    # offers the vote; the server refuses it and the page must say so.
    page = pages.open(None)

    def route(ws: WebSocketRoute) -> None:
        upstream = ws.connect_to_server()

        def from_server(message: str | bytes) -> None:
            if isinstance(message, str) and '"poll.closed"' in message:
                return
            ws.send(message)

        upstream.on_message(from_server)

    page.route_web_socket(re.compile(r"/ws/"), route)
    page.goto(room.invite_url + "&proto=json")
    fill_join(page, "孙阿姨")
    mod.get_by_role("button", name="开始会议").click()
    open_poll(mod, "是否增设厨余垃圾桶？")
    card = page.locator("#poll-list > li", has_text="是否增设厨余垃圾桶？")
    expect(card).to_be_visible()
    mod.get_by_role("button", name="结束投票").click()
    expect(mod.locator("#poll-list .poll-meta")).to_contain_text("已结束")

    card.get_by_label("赞成", exact=True).check()
    card.get_by_role("button", name="投票").click()
    alert = page.get_by_role("alert").filter(has_text="未完成")
    expect(alert).to_contain_text("投票")
    expect(alert).to_contain_text("现在不能这样做")
    expect(card.get_by_role("button", name="投票")).to_have_class(re.compile(r"\bfailed\b"))
    expect(card.locator(".voted")).to_have_count(0)
