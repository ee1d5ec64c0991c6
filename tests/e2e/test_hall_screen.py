"""The hall screen (issue 16, part 1) in real Chromium: read from the back of the
room at 1920x1080 and 1280x720 without scrolling, on an observer's token that can
neither raise a hand nor vote, opened from the console, and back by itself after
the server drops its socket.

The moderator and the neighbours act through the wire protocol (a WebSocket
each, JSON), as in test_resident_page: what is tested is what the screen shows.
Screenshots go to a folder under the test's tmp path (printed, and named in the
assertion messages).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Pages, Room, Server, axe_violations, screenshot
from helpers import expect_connected, moderator
from playwright.sync_api import Page, ViewportSize, expect
from test_resident_page import WIRE_TIMEOUT_S, People, Wire

pytestmark = pytest.mark.e2e

SIZES: list[ViewportSize] = [{"width": 1920, "height": 1080}, {"width": 1280, "height": 720}]
TITLE = "加装电梯议事会"


def mint_screen(room: Room) -> dict[str, Any]:
    """POST /api/rooms/{id}/screen with the moderator's token: {participant_id, token, url}."""
    status, raw = room.server.request(
        "POST", f"/api/rooms/{room.room_id}/screen", token=room.moderator_token, body={}
    )
    assert status == 201, (status, raw)
    return dict(json.loads(raw))


def refusal(wire: Wire, cmd: str, **args: Any) -> str:
    """Send `cmd` and return the error code of its reply ("" if it succeeded)."""
    cid = wire.next_id
    wire.next_id += 1
    wire.ws.send(json.dumps({"id": cid, "cmd": cmd, "args": args}))
    while True:
        frame = json.loads(wire.ws.recv(timeout=WIRE_TIMEOUT_S))
        if frame.get("re") == cid:
            return "" if frame["ok"] else str(frame["error"]["code"])


def open_screen(pages: Pages, url: str, size: ViewportSize) -> Page:
    page = pages.open(None, width=1280)
    page.set_viewport_size(size)
    page.goto(url)
    expect_connected(page)
    return page


def each_size(pages: Pages, room: Room, shots: Path) -> Iterator[tuple[ViewportSize, Page, Path]]:
    """The room's hall screen at each size, with where to put its screenshot."""
    screen = mint_screen(room)
    shots.mkdir()
    for size in SIZES:
        page = open_screen(pages, screen["url"], size)
        yield size, page, shots / f"{shots.name}-{size['width']}x{size['height']}.png"


# A panel that hides what it holds below its edge (lists are cut with "+N more").
OVERFLOWING = """() => Array.from(document.querySelectorAll('.s-panel, .s-panel ol, .s-panel ul'))
    .filter(el => el.offsetParent !== null && el.scrollHeight > el.clientHeight + 1)
    .map(el => `${el.id || el.className}: ${el.scrollHeight} > ${el.clientHeight}`)"""


def busy_room(server: Server, people: list[People]) -> tuple[Room, People, dict[str, Any]]:
    """A room in full swing: a turn running, a queue on both sides (longer than a
    screen holds), a live poll with votes, decisions, and actions (one overdue)."""
    room = server.create_room(
        title=TITLE, agenda=["是否加装电梯", "费用分摊"], settings={"turn_seconds": 900}
    )
    folk = People(room)
    people.append(folk)
    mod = folk.moderator()
    voters = [folk.neighbour(name) for name in ("王阿姨", "李师傅", "张老师")]
    mod.call("session.start")
    voters[0].call("hand.raise", stance="support")
    sides = {"support": 14, "oppose": 5, "neutral": 2}
    for side, count in sides.items():
        for i in range(count):
            pid = mod.call("offline.add", name=f"{side[:2]}居民{i + 1}号")["participant_id"]
            mod.call("hand.raise", stance=side, on_behalf_of=pid)
    mod.call("turn.next")
    poll_id = mod.call(
        "poll.open",
        question="是否同意 3 号楼加装电梯？",
        options=[],
        kind="yes_no_abstain",
        live_results=True,
        secret=False,
    )["poll_id"]
    for wire, choice in zip(voters, (0, 0, 1), strict=True):
        wire.call("poll.vote", poll_id=poll_id, choices=[choice])
    mod.call("decision.record", text="同意成立加装电梯工作小组")
    mod.call("decision.record", text="下次会议讨论费用分摊方案")
    mod.call("action.add", title="收集各户意见", owner="居委会", due="2020-01-15")
    mod.call("action.add", title="联系电梯公司报价", owner="物业", due="2099-12-31")
    return room, folk, {"poll_id": poll_id, "mod": mod}


def test_the_hall_screen_reads_from_the_back_of_the_room(
    server: Server, pages: Pages, people: list[People], tmp_path: Path
) -> None:
    room, _folk, _ = busy_room(server, people)
    for size, page, path in each_size(pages, room, tmp_path / "hall-screen"):
        # The first click turns the hall's speakers on (voice.js's listening).
        page.get_by_role("button", name="点击开启会场扩音").click()
        expect(page.locator("#listen-btn")).to_have_attribute("aria-pressed", "true")
        expect(page.locator("#audio-gate")).to_be_hidden()

        # The speaker, with side, and the countdown.
        expect(page.locator("#floor .floor-name")).to_have_text("王阿姨")
        expect(page.locator("#floor .floor-stance")).to_have_text("支持")
        expect(page.locator("#s-timer")).to_have_text(re.compile(r"^1[45]:\d\d$"))
        # The queue by side, cut with "+N more"; the next speaker; the live poll; the record.
        expect(page.locator('[data-queue="support"]')).to_contain_text("su居民1号")
        expect(page.locator('[data-queue="oppose"]')).to_contain_text("op居民1号")
        expect(page.locator('[data-queue="neutral"]')).to_contain_text("ne居民2号")
        expect(page.locator('[data-queue="support"] .s-more')).to_contain_text("另有")
        expect(page.locator("#s-next")).to_contain_text("下一位")
        expect(page.locator("#s-poll-q")).to_have_text("是否同意 3 号楼加装电梯？")
        expect(page.locator("#s-poll-options")).to_contain_text("2 票（67%）")
        expect(page.locator("#s-decisions")).to_contain_text("同意成立加装电梯工作小组")
        overdue = page.locator("#s-actions li", has_text="收集各户意见")
        expect(overdue.locator(".tag-overdue")).to_have_text("已逾期")
        expect(
            page.locator("#s-actions li", has_text="联系电梯公司报价").locator(".tag-overdue")
        ).to_have_count(0)
        expect(page.locator("#s-qr")).to_be_visible()
        page.wait_for_function("() => document.querySelector('#s-qr').naturalWidth > 0")

        w, h = size["width"], size["height"]
        page.screenshot(path=str(path))
        print(f"hall screen screenshot: {path}")
        violations = axe_violations(page)
        assert not violations, json.dumps(violations, ensure_ascii=False, indent=1)
        assert page.evaluate("window.yishiScreen.wake") in ("held", "refused", "unavailable")
        # Nothing scrolls: the document is exactly the viewport...
        scroll = page.evaluate("""() => [document.documentElement.scrollWidth,
            document.documentElement.scrollHeight, innerWidth, innerHeight]""")
        assert scroll == [w, h, w, h], (path, scroll)
        # ...and no panel hides what it holds below its edge (lists are cut with "+N more").
        clipped = page.evaluate(OVERFLOWING)
        assert not clipped, (path, clipped)
        # The countdown is at least a fifth of the screen's height.
        box = page.locator("#s-timer").bounding_box()
        assert box is not None and box["height"] >= 0.2 * h, (path, box)
        assert box["y"] >= 0 and box["y"] + box["height"] <= h, (path, box)


def test_the_screen_token_is_an_observers(
    server: Server, pages: Pages, people: list[People]
) -> None:
    room, folk, ctx = busy_room(server, people)
    screen = mint_screen(room)
    # The link carries the screen's own token after '#', never the moderator's.
    assert room.moderator_token not in screen["url"]
    assert screen["url"].endswith(f"/r/{room.room_id}/screen#token={screen['token']}")
    wire = folk._open(screen["token"])
    assert wire.you["role"] == "observer"
    assert refusal(wire, "hand.raise", stance="support") == "forbidden"
    assert refusal(wire, "poll.vote", poll_id=ctx["poll_id"], choices=[0]) == "forbidden"
    assert refusal(wire, "chat.send", text="大家好") == "forbidden"
    # Not eligible: a poll opened while the screen watches counts the residents alone
    # (three online, twenty-one seated in the hall).
    mod = ctx["mod"]
    poll_id = mod.call(
        "poll.open",
        question="第二个问题？",
        options=[],
        kind="yes_no_abstain",
        live_results=True,
        secret=False,
    )["poll_id"]
    closed = mod.call("poll.close", poll_id=poll_id)
    assert closed["eligible"] == 3 + 21, closed
    # It may show the room's QR code; a resident's token may not fetch it.
    qr = f"/api/rooms/{room.room_id}/qr.svg"
    status, body = server.request("GET", qr, token=screen["token"])
    assert status == 200 and b"<svg" in body[:300], (status, body[:100])
    status, _ = server.request("GET", qr, token=resident_token(room, "钱阿姨"))
    assert status == 403, status

    # The console's button opens the screen with the observer's link.
    mod_page = moderator(pages, room)
    with mod_page.expect_popup() as popup_info:
        mod_page.get_by_role("button", name="大屏：打开会场大屏").click()
    popup = popup_info.value
    expect(popup.locator("#s-title")).to_have_text(TITLE)
    expect_connected(popup)
    assert room.moderator_token not in popup.url
    used = popup.evaluate("window.yishiClient.token")
    assert used != room.moderator_token
    assert popup.evaluate("window.yishiClient.state.you.role") == "observer"


def resident_token(room: Room, name: str) -> str:
    status, raw = room.server.request(
        "POST", f"/api/rooms/{room.room_id}/join", body={"invite": room.invite_code, "name": name}
    )
    assert status == 200, (status, raw)
    return str(json.loads(raw)["token"])


def test_the_hall_screen_comes_back_by_itself(pages: Pages, tmp_path: Path) -> None:
    own = Server(tmp_path / "data")
    own.start()
    try:
        room = own.create_room(title=TITLE)
        screen = mint_screen(room)
        page = open_screen(pages, screen["url"], SIZES[1])
        expect(page.locator("#s-status")).to_have_text("会议尚未开始")
        own.stop()  # the server goes: every socket is dropped
        expect(page.locator("#conn")).to_contain_text("正在重新连接")
        own.start()
        expect_connected(page)
        folk = People(room)
        try:
            folk.moderator().call("session.start")
        finally:
            folk.close()
        # The resumed socket hears what happens after it came back.
        expect(page.locator("#s-status")).to_have_text("会议进行中")
    finally:
        own.stop()


# Issue 26 item 11: what the back row reads at 1280x720 as at 1920x1080.
LONG_NAMES = ["5号楼3单元李秀英阿姨", "12号楼东单元王建国师傅", "老年活动室张桂兰"]
SIZES_READ = """() => {
  const px = (sel) => Array.from(document.querySelectorAll(sel))
    .filter((el) => el.offsetParent !== null && el.textContent.trim())
    .map((el) => [sel, el.textContent.trim().slice(0, 20), parseFloat(getComputedStyle(el).fontSize)]);
  return {
    options: px('#s-poll-options .s-opt, #s-poll-options .s-count'),
    footer: px('.s-foot .s-conn, .s-foot .s-btn, .s-foot .s-voice-who'),
    hints: px('.s-poll-meta, .s-side .count, .s-balance .bar-text, .s-act-meta, .tag-overdue'),
    cut: Array.from(document.querySelectorAll('.s-side li, .s-side h3'))
      .filter((el) => el.scrollWidth > el.clientWidth)
      .map((el) => `${el.textContent}: ${el.scrollWidth} > ${el.clientWidth}`),
  };
}"""


def test_the_back_row_reads_the_hall_screen(
    server: Server, pages: Pages, people: list[People], tmp_path: Path
) -> None:
    room, _folk, ctx = busy_room(server, people)
    mod = ctx["mod"]
    for name in LONG_NAMES:  # names a narrow column would cut
        pid = mod.call("offline.add", name=name)["participant_id"]
        mod.call("hand.raise", stance="neutral", on_behalf_of=pid)
    for _size, page, path in each_size(pages, room, tmp_path / "hall-legible"):
        page.get_by_role("button", name="不需要扩音").click()
        expect(page.locator('[data-queue="neutral"]')).to_contain_text(LONG_NAMES[0])
        page.wait_for_function("() => document.querySelector('#s-qr').naturalWidth > 0")
        # The hint names the button as it reads.
        label = page.locator("#listen-btn").inner_text()
        assert label == "用会场扬声器播放"
        expect(page.locator("#voice-who")).to_have_text(f"点「{label}」就能听到发言。")
        page.screenshot(path=str(path))
        print(f"hall screen screenshot: {path}, kept as {screenshot(page, 'hall-legible')}")
        got = page.evaluate(SIZES_READ)
        # Names wrap inside their column: none is cut off.
        assert not got["cut"], (path, got["cut"])
        small = (
            [s for s in got["options"] if s[2] < 24]
            + [s for s in got["footer"] if s[2] < 18]
            + [s for s in got["hints"] if s[2] < 18]
        )
        assert got["options"] and got["footer"] and got["hints"], got
        assert not small, (path, small)
        qr = page.locator("#s-qr").bounding_box()
        assert qr is not None and min(qr["width"], qr["height"]) >= 200, (path, qr)
        # Still nothing scrolls or hides below a panel's edge.
        clipped = page.evaluate(OVERFLOWING)
        assert not clipped, (path, clipped)
