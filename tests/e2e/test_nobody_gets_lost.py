"""A session nobody gets lost in (issue 26, items 1 to 4 and 8), in real Chromium:
the resident on a 360x740 phone, the moderator at 1280x800, the hall at 1920x1080.

Whatever a notice sends her to must be in view and uncovered: each control is
checked with document.elementFromPoint at its centre, so a pinned strip or a
notice over it fails the test. Screenshots go to test-artifacts/screenshots/,
and each page is audited with axe-core.
"""

from __future__ import annotations

import pytest
from conftest import Pages, Room, Server, assert_accessible, screenshot
from helpers import expect_connected
from playwright.sync_api import Dialog, Locator, Page, expect
from test_hall_screen import mint_screen, open_screen
from test_resident_page import People, Wire, resident, scroll_to_bottom, setup
from test_voice import two_nodes  # noqa: F401  (a fixture: two nodes on one redis-server)

pytestmark = pytest.mark.e2e

DESK_800 = {"width": 1280, "height": 800}

UNCOVERED = """el => {
    const r = el.getBoundingClientRect();
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    if (r.width === 0 || y < 0 || y > innerHeight || x < 0 || x > innerWidth) {
        return `outside the window: ${JSON.stringify(r)}`;
    }
    const top = document.elementFromPoint(x, y);
    const mine = top && (el === top || el.contains(top)
        || Array.from(el.labels || []).some((label) => label.contains(top)));
    return mine ? "" : `covered by ${top ? top.outerHTML.slice(0, 120) : "nothing"}`;
}"""


def assert_uncovered(control: Locator, what: str) -> None:
    """In the window and the topmost thing at its centre (nothing pinned over it)."""
    expect(control).to_be_visible()
    problem = control.evaluate(UNCOVERED)
    assert problem == "", f"{what}: {problem}"


def live_room(
    server: Server, pages: Pages, people: list[People], name: str
) -> tuple[Room, People, Wire, Page]:
    """A room whose session runs: its people, the moderator's socket, and her phone."""
    room, folk = setup(server, people)
    mod = folk.moderator()
    page = resident(pages, room.invite_url, name)
    mod.call("session.start")
    expect(page.locator("#room-status")).to_have_text("会议进行中")
    return room, folk, mod, page


def first_in_line_reading_on(page: Page) -> None:
    """She asks to speak (her place joins the pinned strip), then reads on below."""
    page.get_by_role("button", name="我支持").click()
    expect(page.locator("#my-queue")).to_contain_text("第 1 位")
    expect(page.locator("#my-place")).to_be_visible()
    scroll_to_bottom(page)


def moderator_page(pages: Pages, url: str) -> Page:
    page = pages.open(None, width=1280)
    page.set_viewport_size(DESK_800)  # type: ignore[arg-type]
    page.goto(url)
    expect_connected(page)
    return page


# ---- 1. 去投票 brings the whole ballot into view, below the pinned strip -------------------


def test_the_ballot_she_is_sent_to_is_in_view_and_uncovered(
    server: Server, pages: Pages, people: list[People]
) -> None:
    _, _, mod, page = live_room(server, pages, people, "周奶奶")
    first_in_line_reading_on(page)  # her place and the poll notice: both pinned
    mod.call(
        "poll.open", question="是否同意加装电梯？", options=[], kind="yes_no_abstain", secret=True
    )
    page.locator("#banner-poll").get_by_role("button", name="去投票").click()
    card = page.locator("#poll-list > li", has_text="是否同意加装电梯？")
    yes = card.get_by_label("赞成", exact=True)
    expect(yes).to_be_focused()
    assert_uncovered(card.locator(".poll-q"), "the question")
    for choice in ("赞成", "反对", "弃权"):
        assert_uncovered(card.get_by_label(choice, exact=True), choice)
    assert_uncovered(card.get_by_role("button", name="投票"), "投票")
    screenshot(page, "issue26-1-ballot")
    assert_accessible(page, "issue26-1-ballot-audit")


# ---- 2. turnout, live, on every page, for a secret poll too ------------------------------


def test_a_secret_polls_turnout_is_live_everywhere_and_its_choices_are_not(
    server: Server, pages: Pages, people: list[People]
) -> None:
    room, folk = setup(server, people)
    mod = folk.moderator()
    li = folk.neighbour("李师傅")
    page = resident(pages, room.invite_url, "周奶奶")
    console = moderator_page(pages, room.moderator_url)
    hall = open_screen(pages, mint_screen(room)["url"], {"width": 1920, "height": 1080})
    mod.call("session.start")
    poll_id = mod.call(
        "poll.open",
        question="选哪家施工单位？",
        options=["甲公司", "乙公司"],
        kind="single",
        secret=True,
        live_results=True,
    )["poll_id"]
    card = page.locator("#poll-list > li", has_text="选哪家施工单位？")
    mod_card = console.locator("#poll-list > li", has_text="选哪家施工单位？")
    expect(card.locator(".poll-turnout")).to_have_text("已投票 0 人 / 应投 2 人")
    card.get_by_label("甲公司", exact=True).check()
    card.get_by_role("button", name="投票").click()
    expect(card).to_contain_text("您已投票（无记名）")
    expect(card.locator(".poll-turnout")).to_have_text("已投票 1 人 / 应投 2 人")
    li.call("poll.vote", poll_id=poll_id, choices=[1])
    done = "已投票 2 人 / 应投 2 人"
    expect(card.locator(".poll-turnout")).to_have_text(done)
    expect(mod_card.locator(".poll-turnout")).to_have_text(done)
    expect(hall.locator("#s-poll-meta")).to_contain_text(done)
    # Two ballots are fewer than a batch: nobody's choice shows anywhere yet.
    for where in (card, mod_card, hall.locator("#s-poll-options")):
        expect(where).not_to_contain_text("1 票")
    expect(card).not_to_contain_text("还没有人投票")
    # A reload shows the same turnout (the snapshot carries it).
    page.reload()
    expect_connected(page)
    expect(page.locator("#poll-list > li .poll-turnout")).to_have_text(done)
    screenshot(page, "issue26-2-turnout-resident")
    screenshot(hall, "issue26-2-turnout-hall")
    assert_accessible(console, "issue26-2-turnout-moderator-audit")
    assert_accessible(page, "issue26-2-turnout-resident-audit")


# ---- 3. her turn: her panel, countdown and microphone in view; ending asks ---------------


def test_her_turn_brings_her_panel_and_ending_it_asks(
    server: Server, pages: Pages, people: list[People]
) -> None:
    _, _, mod, page = live_room(server, pages, people, "周奶奶")
    first_in_line_reading_on(page)
    mod.call("turn.next")
    mic = page.get_by_role("button", name="开麦说话")
    # The page moves to her panel by itself; the keyboard stays closed.
    expect(mic).to_be_focused()
    assert_uncovered(page.locator("#your-turn-title"), "her panel's heading")
    assert_uncovered(page.locator("#your-timer"), "her countdown")
    assert_uncovered(mic, "开麦说话")
    # The notice counts down with her time.
    banner = page.locator("#banner-turn .banner-text")
    first = banner.inner_text()
    expect(banner).not_to_have_text(first, timeout=5_000)
    expect(banner).to_contain_text("还剩")
    # 去发言 from anywhere does the same.
    scroll_to_bottom(page)
    page.locator("#banner-turn").get_by_role("button", name="去发言").click()
    expect(mic).to_be_focused()
    assert_uncovered(page.locator("#your-timer"), "her countdown after 去发言")
    assert_uncovered(mic, "开麦说话 after 去发言")
    screenshot(page, "issue26-3-her-turn")
    assert_accessible(page, "issue26-3-her-turn-audit")

    # 我讲完了 asks first; "not yet" keeps her turn.
    page.get_by_role("button", name="我讲完了").click()
    ask = page.locator("#yield-confirm")
    expect(ask).to_contain_text("结束您的发言吗？")
    expect(page.get_by_role("button", name="还没讲完")).to_be_focused()
    assert_uncovered(page.get_by_role("button", name="是，我讲完了"), "是，我讲完了")
    assert_uncovered(page.get_by_role("button", name="还没讲完"), "还没讲完")
    screenshot(page, "issue26-3-yield-ask")
    assert_accessible(page, "issue26-3-yield-ask-audit")
    page.get_by_role("button", name="还没讲完").click()
    expect(ask).to_be_hidden()
    assert page.evaluate("window.yishiClient.state.turn !== null")
    expect(page.locator("#your-turn")).to_be_visible()
    page.get_by_role("button", name="我讲完了").click()
    page.get_by_role("button", name="是，我讲完了").click()
    expect(page.locator("#your-turn")).to_be_hidden()
    assert page.evaluate("window.yishiClient.state.turn === null")


# ---- 4. the floor to someone who left: marked (离线), and the chair is asked --------------


def test_someone_who_left_is_marked_and_the_chair_asked_before_calling_her(
    server: Server, pages: Pages, people: list[People]
) -> None:
    """Decided: 请下一位发言 asks the chair (give her the floor anyway, or cancel and
    skip her), rather than skipping on its own: she may be back in a moment."""
    room, folk, _, page = live_room(server, pages, people, "周奶奶")
    li = folk.neighbour("李师傅")
    li.call("hand.raise", stance="support")
    console = moderator_page(pages, room.moderator_url)
    hall = open_screen(pages, mint_screen(room)["url"], {"width": 1920, "height": 1080})
    row = console.locator('[data-queue="support"] li', has_text="李师傅")
    expect(row).to_be_visible()
    expect(row.locator(".tag-away")).to_be_hidden()
    li.ws.close()  # she closed her phone
    expect(row.locator(".tag-away")).to_have_text("离线")
    expect(console.locator("#next-who")).to_contain_text("李师傅（离线）")
    expect(page.locator("#queue")).to_contain_text("李师傅（离线）")
    expect(page.locator("#queue-next")).to_contain_text("李师傅（离线）")
    expect(hall.locator("#s-next")).to_contain_text("李师傅（离线）")
    screenshot(console, "issue26-4-away-console")
    screenshot(page, "issue26-4-away-resident")
    assert_accessible(console, "issue26-4-away-console-audit")

    asked: list[str] = []

    def decline(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    console.once("dialog", decline)
    console.get_by_role("button", name="请下一位发言").click()
    skip = console.get_by_role("button", name="跳过（移出队列）")
    expect(skip).to_be_focused()
    assert asked and "李师傅 已离线" in asked[0], asked
    assert console.evaluate("window.yishiClient.state.turn") is None
    console.once("dialog", lambda dialog: dialog.accept())
    skip.click()
    expect(console.locator("#next-who")).to_have_text("暂时没有人排队。")
    assert console.evaluate("window.yishiClient.state.turn") is None


# ---- 2 and 4 with her on a second node behind Redis ---------------------------------------


def test_turnout_and_her_leaving_reach_the_chair_on_another_node(
    two_nodes: tuple[Server, Server],  # noqa: F811  (the fixture imported above)
    pages: Pages,
    people: list[People],
) -> None:
    near, far = two_nodes
    room = near.create_room(title="加装电梯议事会", topic="3 号楼是否加装电梯")
    folk = People(room)
    people.append(folk)
    mod = folk.moderator()
    li = folk.neighbour("李师傅")
    page = resident(pages, room.invite_url.replace(near.base_url, far.base_url), "周奶奶")
    console = moderator_page(pages, room.moderator_url)
    mod.call("session.start")
    first_in_line_reading_on(page)
    poll_id = mod.call(
        "poll.open",
        question="选哪家施工单位？",
        options=["甲公司", "乙公司"],
        kind="single",
        secret=True,
        live_results=True,
    )["poll_id"]
    card = page.locator("#poll-list > li", has_text="选哪家施工单位？")
    card.get_by_label("乙公司", exact=True).check()
    card.get_by_role("button", name="投票").click()
    li.call("poll.vote", poll_id=poll_id, choices=[0])
    done = "已投票 2 人 / 应投 2 人"
    mod_card = console.locator("#poll-list > li", has_text="选哪家施工单位？")
    expect(mod_card.locator(".poll-turnout")).to_have_text(done)
    expect(card.locator(".poll-turnout")).to_have_text(done)
    row = console.locator('[data-queue="support"] li', has_text="周奶奶")
    expect(row.locator(".tag-away")).to_be_hidden()
    page.close()  # her phone, on the other node, closes
    expect(row.locator(".tag-away")).to_have_text("离线")
    expect(console.locator("#next-who")).to_contain_text("周奶奶（离线）")


# ---- 8. offline: told at once, and which message waits -----------------------------------


def test_offline_is_said_at_once_and_names_her_message(
    server: Server, pages: Pages, people: list[People]
) -> None:
    _, _, _, page = live_room(server, pages, people, "吴阿姨")
    page.context.set_offline(True)
    # The browser knows at once, so the bar does: well before any ping could time out.
    expect(page.locator("#conn")).not_to_have_text("已连接", timeout=2_000)
    page.get_by_label("写留言").fill("请问电梯什么时候开始安装施工呢")
    page.locator("#chat-form").get_by_role("button", name="发送").click()
    note = page.locator("#offline-note")
    expect(note).to_contain_text("您的留言「请问电梯什么时候开始安装…」")
    expect(note).not_to_contain_text("：发送")
    assert_uncovered(note, "the offline notice")
    screenshot(page, "issue26-8-offline")
    assert_accessible(page, "issue26-8-offline-audit")
    page.context.set_offline(False)
    expect_connected(page)
    expect(page.locator("#chat-list")).to_contain_text("请问电梯什么时候开始安装施工呢")
    expect(note).to_be_empty()
