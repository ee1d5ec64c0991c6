"""The moderator's console as a cockpit for a real session (issue 14, items 6
to 12): a 30-resident room at 1280x800, the prediction of who is next, the
invite mode and duplicate names, secret polls by default, a cockpit that stays
on screen, compact queue rows with per-row menus, the invite link and staff
links, keyboard shortcuts and section links.

The residents join through the HTTP API and raise their hands over raw
websockets (`Resident` below): the test needs thirty people in the queue, not
thirty browsers. Every wait is for something the page shows.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

# Imported with the module: by run time `conftest` may name another folder's conftest.
from conftest import SCREENSHOTS, Pages, Room, Server, assert_accessible, screenshot
from helpers import confirm_next_dialog, expect_connected, join, moderator, open_poll
from playwright.sync_api import Page, expect
from websockets.sync.client import ClientConnection, connect

pytestmark = pytest.mark.e2e

LAPTOP = {"width": 1280, "height": 800}
WS_TIMEOUT_S = 15.0
CROWD = 30


class Socket:
    """One participant's websocket speaking yishi.v1.json: commands and their replies."""

    def __init__(self, server: Server, room: Room, token: str) -> None:
        self._stack = ExitStack()
        self.ws: ClientConnection = self._stack.enter_context(
            connect(
                f"ws://127.0.0.1:{server.port}/ws/{room.room_id}",
                subprotocols=["yishi.v1.json"],  # type: ignore[list-item]
                # Unbounded: the test reads only replies, so the events it skips pile up; past
                # a bounded queue the client stops reading, misses the server's close frame
                # and close() waits out its 10 s timeout.
                open_timeout=WS_TIMEOUT_S,
                max_queue=None,
            )
        )
        self.ids = itertools.count(1)
        self.cmd("hello", token=token)

    def cmd(self, command: str, /, **args: Any) -> Any:
        """Send one command and wait for its reply (events before it are skipped)."""
        cid = next(self.ids)
        self.ws.send(json.dumps({"id": cid, "cmd": command, "args": args}))
        while True:
            frame = json.loads(self.ws.recv(timeout=WS_TIMEOUT_S))
            if frame.get("re") == cid:
                assert frame.get("ok") is True, (command, args, frame)
                return frame.get("result")

    def close(self) -> None:
        self._stack.close()


def join_resident(server: Server, room: Room, name: str) -> str:
    """Join through the HTTP API, as the room page does; return the token."""
    status, raw = server.request(
        "POST", f"/api/rooms/{room.room_id}/join", body={"invite": room.invite_code, "name": name}
    )
    assert status == 200, (status, raw)
    return str(json.loads(raw)["token"])


def raise_hands(server: Server, room: Room, people: list[tuple[str, str, str | None]]) -> None:
    """Each (name, stance, note) joins and raises a hand, then hangs up: a hand
    stays raised without a socket (only a floor holder needs one)."""
    for name, stance, note in people:
        sock = Socket(server, room, join_resident(server, room, name))
        try:
            args: dict[str, Any] = {"stance": stance}
            if note:
                args["note"] = note
            sock.cmd("hand.raise", **args)
        finally:
            sock.close()


def crowd(n: int = CROWD) -> list[tuple[str, str, str | None]]:
    """`n` residents: support, oppose and other views in turn, a few with a note."""
    stances = ("support", "oppose", "neutral")
    return [
        (
            f"{i // 6 + 1}号楼住户{i + 1:02d}",
            stances[i % 3],
            "想说说停车的事" if i % 7 == 3 else None,
        )
        for i in range(n)
    ]


@pytest.fixture
def chair(server: Server, pages: Pages) -> Iterator[tuple[Room, Page, Socket]]:
    """A started room, its moderator's console at 1280x800, and a second socket
    of the moderator's for arranging the room from the test."""
    room = server.create_room(
        title="小区停车与充电桩议事会",
        agenda=["停车位划分", "充电桩选址"],
        settings={"turn_seconds": 120},
    )
    mod = moderator(pages, room)
    mod.set_viewport_size(LAPTOP)
    sock = Socket(server, room, room.moderator_token)
    sock.cmd("session.start")
    expect(mod.locator("#room-status")).to_have_text("会议进行中")
    yield room, mod, sock
    sock.close()


def in_hall(sock: Socket, name: str, stance: str | None = None) -> str:
    """An attendee in the hall (no phone), with a hand raised for them."""
    pid = str(sock.cmd("offline.add", name=name)["participant_id"])
    if stance:
        sock.cmd("hand.raise", stance=stance, on_behalf_of=pid)
    return pid


def in_viewport(page: Page, selector: str) -> bool:
    """Whether the element is rendered and wholly inside the window."""
    return bool(
        page.evaluate(
            """(sel) => { const el = document.querySelector(sel); if (!el || !el.offsetParent) return false;
            const r = el.getBoundingClientRect();
            return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight
              && r.left >= 0 && r.right <= window.innerWidth; }""",
            selector,
        )
    )


def viewport_shot(page: Page, name: str) -> None:
    """What the moderator sees right now (the window, not the whole page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-viewport-1280.png"), animations="disabled")


# -- item 9: a cockpit that stays put -------------------------------------------------


def test_the_cockpit_stays_on_screen_wherever_the_moderator_scrolls(
    server: Server, chair: tuple[Room, Page, Socket]
) -> None:
    room, mod, sock = chair
    raise_hands(server, room, crowd())
    in_hall(sock, "周奶奶", "support")
    expect(mod.locator("#queue [data-queue] > li:not(.empty)")).to_have_count(CROWD + 1)
    confirm_next_dialog(mod)  # the crowd hung up: the console asks before calling one of them
    mod.get_by_role("button", name="请下一位发言").click()
    expect(mod.locator("#floor .floor-name")).not_to_be_empty()

    cockpit = [
        "#floor .floor-name",
        "#floor .floor-timer",
        "#next-who",
        '[data-queue="support"] li:first-child',
        '[data-queue="oppose"] li:first-child',
        '[data-queue="neutral"] li:first-child',
    ]
    # From the top of the page to the very bottom (settings, minutes, chat...):
    for target in ("#room-title", "#polls", "#chat", "#people", "#minutes", "#settings"):
        mod.evaluate("(sel) => document.querySelector(sel).scrollIntoView({block: 'end'})", target)
        for sel in cockpit:
            assert in_viewport(mod, sel), f"{sel} is off screen with {target} in view"
    mod.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    assert mod.evaluate("() => window.scrollY") > 400  # the page did scroll a long way
    for sel in cockpit:
        assert in_viewport(mod, sel), f"{sel} is off screen at the bottom of the page"
    viewport_shot(mod, "cockpit-scrolled")

    # The QR code has done its job once the session runs: it waits behind a button.
    mod.evaluate("() => window.scrollTo(0, 0)")
    expect(mod.locator("#qr-img")).to_be_hidden()
    show = mod.get_by_role("button", name="显示二维码")
    show.click()
    expect(mod.locator("#qr-img")).to_be_visible()
    expect(mod.get_by_role("button", name="收起二维码")).to_have_attribute("aria-expanded", "true")
    mod.get_by_role("button", name="收起二维码").click()
    expect(mod.locator("#qr-img")).to_be_hidden()
    assert_accessible(mod, "cockpit-30")


# -- item 6: the prediction of who is next counts the running turn ---------------------


def test_the_next_speaker_is_predicted_with_the_running_turn_counted(
    chair: tuple[Room, Page, Socket],
) -> None:
    _room, mod, sock = chair
    # Oppose has spoken 6 s (an expired turn counts exactly its limit).
    sock.cmd("settings.update", turn_seconds=6)
    in_hall(sock, "欧阿姨", "oppose")
    sock.cmd("turn.next")
    expect(mod.locator("#floor .floor-idle")).to_contain_text("时间到", timeout=30_000)
    sock.cmd("settings.update", turn_seconds=60)
    for name, stance in (("孙大爷", "support"), ("宋阿姨", "support"), ("欧师傅", "oppose")):
        in_hall(sock, name, stance)
    sock.cmd("turn.next")  # support has no time yet: 孙大爷
    expect(mod.locator("#floor .floor-name")).to_have_text("孙大爷")

    # The server's pick counts finished turns only (宋阿姨, support has 0 s). Counted
    # as ending now, support has less than 6 s at first; at its limit (60 s) it has more.
    predicted = mod.locator("#next-predicted")
    expect(predicted).to_have_text("预计")
    when = mod.locator("#next-when")
    expect(when).to_contain_text("按本次发言现在结束计算")
    # Once the speaker has had more than 6 s, the prediction is oppose's 欧师傅
    # (today's console shows the server's pick, 宋阿姨, until the turn ends).
    expect(mod.locator("#next-who")).to_have_text("欧师傅（反对）", timeout=30_000)
    expect(when).not_to_contain_text("若用满时间")
    viewport_shot(mod, "cockpit-predicted-next")
    # The turn ends: the name the moderator announced stays, now certain.
    mod.get_by_role("button", name="结束本次发言").click()
    expect(mod.locator("#floor .floor-idle")).to_contain_text("主持人结束")
    expect(mod.locator("#next-who")).to_have_text("欧师傅（反对）")
    expect(predicted).to_be_hidden()
    expect(when).to_be_hidden()
    mod.get_by_role("button", name="请下一位发言").click()
    expect(mod.locator("#floor .floor-name")).to_have_text("欧师傅")
    screenshot(mod, "cockpit-predicted-next")


def test_the_prediction_names_both_outcomes_while_they_differ(
    chair: tuple[Room, Page, Socket],
) -> None:
    _room, mod, sock = chair
    # Oppose has had 20 s: a turn given at 20 s, ending by itself.
    sock.cmd("settings.update", turn_seconds=20)
    in_hall(sock, "欧阿姨", "oppose")
    sock.cmd("turn.next")
    expect(mod.locator("#floor .floor-idle")).to_contain_text("时间到", timeout=45_000)
    sock.cmd("settings.update", turn_seconds=120)
    for name, stance in (("孙大爷", "support"), ("宋阿姨", "support"), ("欧师傅", "oppose")):
        in_hall(sock, name, stance)
    sock.cmd("turn.next")
    expect(mod.locator("#floor .floor-name")).to_have_text("孙大爷")
    # For its first 20 s the turn, ended now, leaves support behind: 宋阿姨; run to
    # its limit, it puts support ahead: 欧师傅. The moderator sees both.
    expect(mod.locator("#next-who")).to_have_text("宋阿姨（支持）")
    expect(mod.locator("#next-when")).to_contain_text("若用满时间，则是 欧师傅（反对）")
    expect(mod.locator("#next-predicted")).to_be_visible()
    assert_accessible(mod, "cockpit-prediction-both")
    # Ended now (before 20 s), the prediction holds: 宋阿姨 is next.
    mod.get_by_role("button", name="结束本次发言").click()
    expect(mod.locator("#floor .floor-idle")).to_contain_text("主持人结束")
    expect(mod.locator("#next-who")).to_have_text("宋阿姨（支持）")
    expect(mod.locator("#next-predicted")).to_be_hidden()


# -- item 7: duplicate names, the invite mode, a warning before a poll -----------------


def test_duplicate_names_and_the_invite_mode_are_shown_to_the_moderator(
    server: Server, pages: Pages, chair: tuple[Room, Page, Socket]
) -> None:
    room, mod, _sock = chair
    # The mode is shown, and in open-link mode a poll form says what that risks.
    expect(mod.locator("#invite-mode")).to_have_text("入会方式：公开链接")
    expect(mod.locator("#invite-mode-line")).to_contain_text("同一人换个浏览器打开会成为第二个人")
    mod.locator("#poll-create summary").click()
    warning = mod.locator("#poll-mode-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("一户一码")

    # The same resident opens the link in WeChat and in the phone's browser.
    join(pages, room, "王阿姨")
    join_resident(server, room, "王 阿姨")
    join_resident(server, room, "李师傅")
    dup = mod.locator("#dup-names")
    expect(dup).to_be_visible()
    expect(dup).to_contain_text("王阿姨（2 人）")
    expect(dup).not_to_contain_text("李师傅")
    expect(mod.locator("#people-list > li.dup")).to_have_count(2)
    expect(mod.locator("#people-list > li", has_text="李师傅")).not_to_contain_text("同名")
    assert_accessible(mod, "cockpit-duplicates")

    # Switched to personal codes: the mode says so and the poll warning goes.
    mod.get_by_label("入会方式").select_option("personal")
    mod.locator("#settings-form").get_by_role("button", name="保存").click()
    expect(mod.locator("#invite-mode")).to_have_text("入会方式：仅限一户一码")
    expect(warning).to_be_hidden()
    # One of the two is removed: the warning goes too.
    second = mod.locator("#people-list > li", has_text="王 阿姨")
    confirm_next_dialog(mod)
    second.get_by_role("button", name="移出会议室").click()
    expect(dup).to_be_hidden()


# -- item 8: secret by default, a named poll says so -----------------------------------


def test_polls_are_secret_by_default_and_a_named_poll_says_so(
    pages: Pages, chair: tuple[Room, Page, Socket]
) -> None:
    room, mod, _sock = chair
    resident = join(pages, room, "钱奶奶")
    mod.locator("#poll-create summary").click()
    secret = mod.get_by_label("无记名投票")
    expect(secret).to_be_checked()
    note = mod.locator("#poll-named-note")
    expect(note).to_be_hidden()
    open_poll(mod, "是否同意增设充电桩？")
    card = resident.locator("#poll-list > li", has_text="是否同意增设充电桩？")
    expect(card).to_contain_text("无记名")

    secret.uncheck()
    expect(note).to_be_visible()
    expect(note).to_have_text("记名投票：结果会公布每个人的选择")
    screenshot(mod, "cockpit-named-poll-form")
    secret.check()
    expect(note).to_be_hidden()


# -- item 10: thirty people in the queue -----------------------------------------------


def test_thirty_waiting_people_fit_in_compact_rows_with_a_menu_each(
    server: Server, chair: tuple[Room, Page, Socket]
) -> None:
    room, mod, sock = chair
    raise_hands(server, room, crowd())
    in_hall(sock, "周奶奶", "neutral")
    rows = mod.locator("#queue [data-queue] > li:not(.empty)")
    expect(rows).to_have_count(CROWD + 1)
    # Compact: one control per row (its menu), rows one line high unless a note follows.
    heights = mod.evaluate("""() => Array.from(document.querySelectorAll('#queue [data-queue] > li:not(.empty)'))
        .map(li => [li.querySelectorAll('button:not([hidden]):not(.qmenu button)').length,
                    li.getBoundingClientRect().height, !!li.querySelector('.qnote:not([hidden])')])""")
    for buttons, height, noted in heights:
        assert buttons == 1
        assert height <= (80 if noted else 56), heights
    # Name, side (the list it is in), in-hall mark, note.
    zhou = mod.locator('[data-queue="neutral"] li.qrow', has_text="周奶奶")
    expect(zhou.locator(".tag-hall")).to_have_text("现场")
    noted = mod.locator('[data-queue="support"] li.qrow', has_text="1号楼住户04")
    expect(noted).to_contain_text("想说说停车的事")
    expect(mod.locator("#queue")).not_to_contain_text("请他发言")

    # The row's menu: give the floor (gender-neutral wording) or remove, asked first.
    row = mod.locator('[data-queue="oppose"] li.qrow', has_text="1号楼住户05")
    row.get_by_role("button", name="操作：1号楼住户05").click()
    expect(row.get_by_role("button", name="请发言：1号楼住户05")).to_be_visible()
    assert_accessible(mod, "cockpit-queue-30")
    messages: list[str] = []
    mod.once("dialog", lambda d: (messages.append(d.message), d.dismiss()))
    row.get_by_role("button", name="移出排队：1号楼住户05").click()
    assert messages and "1号楼住户05" in messages[0]
    expect(row).to_be_visible()  # dismissed: nothing happened
    mod.once("dialog", lambda d: d.accept())
    row.get_by_role("button", name="移出排队：1号楼住户05").click()  # the menu is still open
    expect(mod.locator('[data-queue="oppose"]')).not_to_contain_text("1号楼住户05")
    expect(rows).to_have_count(CROWD)

    other = mod.locator('[data-queue="support"] li.qrow', has_text="2号楼住户10")
    other.get_by_role("button", name="操作：2号楼住户10").click()
    other.get_by_role("button", name="请发言：2号楼住户10").click()
    expect(mod.locator("#floor .floor-name")).to_have_text("2号楼住户10")
    expect(mod.locator("#floor .floor-override")).to_be_visible()
    screenshot(mod, "cockpit-queue-30")


# -- item 11: the invite link, staff links after a reload ------------------------------


def test_the_invite_link_copies_and_staff_links_survive_a_reload(
    server: Server, chair: tuple[Room, Page, Socket]
) -> None:
    room, mod, _sock = chair
    mod.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.base_url)
    link = mod.locator("#invite-link")
    expect(link).to_have_text(f"{server.base_url}/r/{room.room_id}?invite={room.invite_code}")
    mod.get_by_role("button", name="复制邀请链接").click()
    expect(mod.get_by_role("button", name="已复制")).to_be_visible()
    assert mod.evaluate("() => navigator.clipboard.readText()") == link.inner_text()

    mod.get_by_text("工作人员链接").click()
    mod.get_by_label("身份").select_option("clerk")
    mod.get_by_label("姓名").fill("小李")
    mod.get_by_role("button", name="生成链接").click()
    staff = mod.locator("#staff-list > li")
    expect(staff).to_have_count(1)
    clerk_url = staff.locator(".link-out").inner_text()
    assert "#token=" in clerk_url

    mod.reload()
    expect_connected(mod)
    mod.get_by_text("工作人员链接").click()
    expect(link).to_have_text(f"{server.base_url}/r/{room.room_id}?invite={room.invite_code}")
    expect(staff).to_have_count(1)
    expect(staff).to_contain_text("小李")
    expect(staff).to_contain_text("记录员")
    assert staff.locator(".link-out").inner_text() == clerk_url
    staff.get_by_role("button", name="复制：小李").click()
    assert mod.evaluate("() => navigator.clipboard.readText()") == clerk_url
    screenshot(mod, "cockpit-links")


# -- item 12: keyboard -------------------------------------------------------------------


def test_keyboard_shortcuts_and_section_links(
    server: Server, chair: tuple[Room, Page, Socket]
) -> None:
    room, mod, sock = chair
    raise_hands(server, room, crowd())
    in_hall(sock, "周奶奶", "support")
    expect(mod.locator("#queue [data-queue] > li:not(.empty)")).to_have_count(CROWD + 1)
    legend = mod.locator("#keys-legend")
    expect(legend).to_contain_text("N 下一位")
    expect(legend).to_contain_text("E 结束发言")
    expect(legend).to_contain_text("+ 延长 30 秒")
    expect(legend).to_contain_text("P 发起投票")

    # The queue is one tab stop, whatever its length; arrows move within it.
    stops = mod.evaluate("""() => Array.from(document.querySelectorAll(
            '#queue button, #queue a[href], #queue input, #queue [tabindex]'))
        .filter(el => el.tabIndex >= 0 && el.offsetParent !== null).length""")
    assert stops == 1
    before_polls = mod.evaluate("""() => {
        const all = Array.from(document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]'))
          .filter(el => el.tabIndex >= 0 && el.offsetParent !== null && !el.disabled);
        return all.indexOf(document.querySelector('#poll-create summary')); }""")
    assert 0 < before_polls < 40, before_polls
    first = mod.locator("#queue .qmenu-btn").first
    first.focus()
    mod.keyboard.press("ArrowDown")
    assert (
        mod.evaluate("() => document.activeElement.getAttribute('aria-label')")
        == "操作：1号楼住户04"
    )
    mod.keyboard.press("End")
    assert mod.evaluate("() => document.activeElement.tabIndex") == 0
    stops = mod.evaluate("""() => Array.from(document.querySelectorAll('#queue .qmenu-btn'))
        .filter(el => el.tabIndex >= 0).length""")
    assert stops == 1

    # Section links: to the polls, and Tab goes on from there.
    mod.locator("#jump").get_by_role("link", name="投票").focus()
    mod.keyboard.press("Enter")
    expect(mod.locator("#polls")).to_be_focused()
    mod.keyboard.press("Tab")
    expect(mod.locator("#poll-create summary")).to_be_focused()

    # N gives the floor, + adds 30 s, E ends the turn: not while typing in a field.
    mod.locator("body").click(position={"x": 5, "y": 400})
    confirm_next_dialog(mod)  # they hung up after raising their hands: asked first
    mod.keyboard.press("n")
    expect(mod.locator("#floor .floor-name")).to_have_text("1号楼住户01")
    timer = mod.locator("#floor .floor-timer")
    expect(timer).to_have_text(re.compile(r"^(2:00|1:[0-5]\d)$"))
    mod.keyboard.press("+")
    expect(timer).to_have_text(re.compile(r"^2:[2-3]\d$"))
    mod.keyboard.press("e")
    expect(mod.locator("#floor .floor-idle")).to_contain_text("主持人结束")

    chat = mod.get_by_label("发布通知")
    chat.click()
    chat.press("n")
    chat.press("Enter")
    expect(mod.locator("#chat-list")).to_contain_text("n")
    expect(mod.locator("#floor .floor-idle")).to_contain_text("主持人结束")  # no turn began

    mod.locator("body").click(position={"x": 5, "y": 400})
    mod.keyboard.press("p")
    expect(mod.get_by_label("投票问题")).to_be_focused()
    expect(mod.get_by_label("投票问题")).to_have_value("")
    screenshot(mod, "cockpit-keyboard")

    # Single-key shortcuts can be switched off (WCAG 2.1.4).
    mod.get_by_label("启用单键快捷键（在输入框里打字时不起作用）").uncheck()
    expect(legend).to_be_hidden()
    mod.locator("body").click(position={"x": 5, "y": 400})
    mod.keyboard.press("n")
    mod.get_by_label("发布通知").fill("关闭快捷键以后")
    mod.get_by_label("发布通知").press("Enter")
    expect(mod.locator("#chat-list")).to_contain_text("关闭快捷键以后")
    expect(mod.locator("#floor .floor-idle")).to_contain_text("主持人结束")
    assert_accessible(mod, "cockpit-keys-off")
