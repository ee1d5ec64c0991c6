"""The resident's page for a real session (issue 14, items 1 to 5 and the
resident's half of 7 and 8), on a 360x740 phone in real Chromium.

The moderator and the other neighbours act through the wire protocol (a
WebSocket each, JSON), not through their pages: what is tested here is what
the resident sees, and this keeps the tests independent of the console's
layout. Every item keeps a screenshot in test-artifacts/screenshots/ and is
audited with axe-core.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from conftest import Pages, Room, Server, assert_accessible, screenshot
from helpers import expect_connected, fill_join
from playwright.sync_api import Page, ViewportSize, expect
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

pytestmark = pytest.mark.e2e

PHONE_740: ViewportSize = {"width": 360, "height": 740}
WIRE_TIMEOUT_S = 30.0
LONG_WAIT_MS = 40_000  # a turn running out, a ping going unanswered, on a busy machine


class Wire:
    """One person's WebSocket (yishi.v1.json): commands in, replies matched by id.

    Events are read and dropped while waiting for a reply; the server sends few
    in these rooms, so an idle socket never falls behind."""

    def __init__(self, ws: ClientConnection, token: str) -> None:
        self.ws = ws
        self.next_id = 1
        self.you = self.call("hello", token=token)["you"]

    def call(self, cmd: str, **args: Any) -> dict[str, Any]:
        cid = self.next_id
        self.next_id += 1
        self.ws.send(json.dumps({"id": cid, "cmd": cmd, "args": args}))
        while True:
            frame = json.loads(self.ws.recv(timeout=WIRE_TIMEOUT_S))
            if frame.get("re") == cid:
                assert frame["ok"], (cmd, frame)
                return dict(frame.get("result") or {})


class People:
    """The moderator and neighbours of one test, closed at its end."""

    def __init__(self, room: Room) -> None:
        self.room = room
        self.sockets = ExitStack()

    def moderator(self) -> Wire:
        return self._open(self.room.moderator_token)

    def neighbour(self, name: str) -> Wire:
        status, raw = self.room.server.request(
            "POST",
            f"/api/rooms/{self.room.room_id}/join",
            body={"invite": self.room.invite_code, "name": name},
        )
        assert status == 200, (status, raw)
        return self._open(json.loads(raw)["token"])

    def _open(self, token: str) -> Wire:
        url = self.room.server.base_url.replace("http://", "ws://") + f"/ws/{self.room.room_id}"
        ws = self.sockets.enter_context(
            connect(url, subprotocols=[Subprotocol("yishi.v1.json")], open_timeout=WIRE_TIMEOUT_S)
        )
        return Wire(ws, token)

    def close(self) -> None:
        self.sockets.close()


def resident(pages: Pages, url: str, name: str) -> Page:
    """A resident on a 360x740 phone, joined under `name`."""
    page = pages.open(url)
    page.set_viewport_size(PHONE_740)
    fill_join(page, name)
    return page


def in_first_screen(page: Page, selector: str) -> None:
    """The element is fully inside the 360x740 viewport with the page scrolled to the top."""
    page.evaluate("window.scrollTo(0, 0)")
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE_740["height"], (selector, box)


def scroll_to_bottom(page: Page) -> None:
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    page.wait_for_function("() => window.scrollY > 0")


def setup(server: Server, people: list[People], **settings: Any) -> tuple[Room, People]:
    room = server.create_room(title="加装电梯议事会", topic="3 号楼是否加装电梯", settings=settings)
    folk = People(room)
    people.append(folk)
    return room, folk


# ---- 1. a poll that opens and "your turn" come to her; long statements fold --------------

LONG = "我认为加装电梯对老人非常重要。" * 20


def test_poll_and_turn_come_to_her(server: Server, pages: Pages, people: list[People]) -> None:
    room, folk = setup(server, people)
    mod = folk.moderator()
    li = folk.neighbour("李师傅")
    page = resident(pages, room.invite_url, "周奶奶")
    mod.call("session.start")
    expect(page.locator("#room-status")).to_have_text("会议进行中")

    # A long statement shows a few lines, with a control for the rest.
    li.call("hand.raise", stance="support")
    mod.call("turn.next")
    li.call("statement.post", text=LONG)
    li.call("turn.yield")
    text = page.locator("#statement-list .st-text").first
    expect(text).to_have_class(re.compile(r"\bst-clamp\b"))
    more = page.get_by_role("button", name="展开全文")
    expect(more).to_have_attribute("aria-expanded", "false")
    folded = text.bounding_box()
    assert folded is not None and folded["height"] < 200, folded
    more.click()
    expect(page.get_by_role("button", name="收起")).to_have_attribute("aria-expanded", "true")
    opened = text.bounding_box()
    assert opened is not None and opened["height"] > folded["height"] * 2, (folded, opened)
    page.get_by_role("button", name="收起").click()

    # She reads further down; a poll opens: it comes to her, politely announced.
    scroll_to_bottom(page)
    mod.call(
        "poll.open", question="是否同意加装电梯？", options=[], kind="yes_no_abstain", secret=True
    )
    banner = page.locator("#banner-poll")
    # Said once, by the page's polite announcer (announce.js), not by the banner too.
    expect(page.locator("#announcer-polite")).to_contain_text("新投票：是否同意加装电梯？")
    expect(banner).to_contain_text("新投票：是否同意加装电梯？")
    expect(banner).to_be_in_viewport()
    screenshot(page, "resident-1-poll-banner")
    assert_accessible(page, "resident-1-poll-banner-audit")
    # One tap to the ballot.
    banner.get_by_role("button", name="去投票").click()
    card = page.locator("#poll-list > li", has_text="是否同意加装电梯？")
    expect(card.get_by_label("赞成", exact=True)).to_be_focused()
    expect(card.get_by_label("赞成", exact=True)).to_be_in_viewport()
    card.get_by_label("赞成", exact=True).check()
    card.get_by_role("button", name="投票").click()
    expect(card.locator(".voted")).to_be_visible()
    expect(banner).to_be_empty()

    # Her turn comes to her too, assertively, wherever she scrolled.
    page.get_by_role("button", name="我支持").click()
    expect(page.locator("#my-queue")).to_contain_text("第 1 位")
    scroll_to_bottom(page)
    mod.call("turn.next")
    turn = page.locator("#banner-turn")
    expect(turn).to_contain_text("轮到您发言了")
    expect(page.locator("#announcer")).to_have_attribute("aria-live", "assertive")
    expect(page.locator("#announcer")).to_contain_text("轮到您发言了")
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    expect(turn).to_be_in_viewport()
    turn.get_by_role("button", name="去发言").click()
    # The microphone, not the text box: a phone keyboard would cover her panel.
    expect(page.get_by_role("button", name="开麦说话")).to_be_focused()
    screenshot(page, "resident-1-turn-banner")
    assert_accessible(page, "resident-1-turn-banner-audit")


# ---- 2. "connected" while offline --------------------------------------------------------


class FreezableProxy:
    """A TCP proxy on loopback that can stop forwarding without closing anything
    (a dead Wi-Fi: the sockets stay open, nothing arrives), then resume."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.flowing = threading.Event()
        self.flowing.set()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.closed = False
        self.socks: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:
                client.close()
                continue
            self.socks += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                # Frozen: hold what was read (nothing is lost, nothing moves) until resumed.
                self.flowing.wait()
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def freeze(self) -> None:
        self.flowing.clear()

    def resume(self) -> None:
        self.flowing.set()

    def close(self) -> None:
        self.closed = True
        self.flowing.set()
        self.listener.close()
        for s in self.socks:
            s.close()


@pytest.fixture
def proxy(server: Server) -> Iterator[FreezableProxy]:
    p = FreezableProxy(server.port)
    yield p
    p.close()


def test_offline_is_shown_at_once_and_taps_wait_visibly(
    server: Server, pages: Pages, people: list[People], proxy: FreezableProxy
) -> None:
    room, folk = setup(server, people)
    mod = folk.moderator()
    url = room.invite_url.replace(server.base_url, f"http://127.0.0.1:{proxy.port}")
    page = resident(pages, url, "吴阿姨")
    mod.call("session.start")
    expect(page.locator("#room-status")).to_have_text("会议进行中")

    # The network drops without closing anything: an unanswered ping says so,
    # without waiting for a close handshake that cannot happen.
    proxy.freeze()
    conn = page.locator("#conn")
    expect(conn).to_contain_text("正在重新连接", timeout=25_000)
    expect(conn).to_have_class(re.compile(r"\bconn-bad\b"))
    # A tap while offline waits, and says so where she looks.
    page.get_by_role("button", name="我支持").click()
    note = page.locator("#offline-note")
    expect(note).to_contain_text("连上后自动发送")
    expect(note).to_contain_text("举手（支持）")
    expect(note).to_be_in_viewport()
    screenshot(page, "resident-2-offline")
    assert_accessible(page, "resident-2-offline-audit")

    proxy.resume()
    expect_connected(page)
    expect(page.locator(".notice-ok")).to_contain_text("网络已恢复", timeout=LONG_WAIT_MS)
    expect(page.locator("#my-queue")).to_contain_text("第 1 位")
    expect(note).to_be_empty()
    expect(page.locator(".notice-error")).to_have_count(0)
    screenshot(page, "resident-2-back")


def test_a_dead_line_is_noticed_when_she_taps(
    server: Server, pages: Pages, people: list[People], proxy: FreezableProxy
) -> None:
    room, folk = setup(server, people)
    mod = folk.moderator()
    url = room.invite_url.replace(server.base_url, f"http://127.0.0.1:{proxy.port}")
    page = resident(pages, url, "郑大爷")
    mod.call("session.start")
    expect(page.locator("#room-status")).to_have_text("会议进行中")
    # Right after a successful check, so only the tap's own probe can notice in time.
    page.evaluate("""() => new Promise((resolve) => {
        const c = window.yishiClient;
        c._ping();
        const wait = () => (c.pingId ? setTimeout(wait, 50) : resolve());
        wait();
    })""")
    proxy.freeze()
    page.get_by_role("button", name="我反对").click()
    # The tap's probe goes unanswered within 5 s; the next regular check would take 10.
    expect(page.locator("#conn")).to_contain_text("正在重新连接", timeout=9_000)
    expect(page.locator("#offline-note")).to_contain_text("举手（反对）")
    proxy.resume()
    expect_connected(page)
    expect(page.locator("#my-queue")).to_contain_text("第 1 位")


# ---- 3. her turn ended while she typed ----------------------------------------------------


def test_her_words_outlive_her_turn(server: Server, pages: Pages, people: list[People]) -> None:
    room, folk = setup(server, people, turn_seconds=14)
    mod = folk.moderator()
    page = resident(pages, room.invite_url, "钱阿姨")
    mod.call("session.start")
    page.get_by_role("button", name="我支持").click()
    expect(page.locator("#my-queue")).to_contain_text("第 1 位")
    mod.call("turn.next")
    box = page.get_by_label("您的发言要点")
    expect(box).to_be_visible()
    words = "电梯费用应按楼层分摊，\n一楼住户应当得到补偿。"
    box.fill(words)

    # Warned before the time runs out, visibly and to screen readers.
    warning = page.locator("#time-warning")
    expect(warning).to_contain_text("还剩 10 秒", timeout=LONG_WAIT_MS)
    expect(page.locator("#announcer-polite")).to_contain_text("还剩 10 秒")
    screenshot(page, "resident-3-warning")

    # Time is up: the words stay, and she chooses what happens to them.
    card = page.locator("#draft")
    expect(card).to_be_visible(timeout=LONG_WAIT_MS)
    expect(page.locator("#your-turn")).to_be_hidden()
    expect(card.locator("#draft-text")).to_have_text(words)
    expect(page.locator("#draft-title")).to_be_focused()
    screenshot(page, "resident-3-draft")
    assert_accessible(page, "resident-3-draft-audit")
    card.get_by_role("button", name="留到下次发言").click()
    expect(card).to_be_hidden()

    # Kept across a reload, and back in the box when her next turn starts.
    page.reload()
    expect_connected(page)
    page.get_by_role("button", name="我支持").click()
    expect(page.locator("#my-queue")).to_contain_text("第 1 位")
    mod.call("turn.next")
    expect(page.get_by_label("您的发言要点")).to_have_value(words)

    # The moderator ends this one: she sends her words as a chat message instead.
    mod.call("turn.end")
    expect(card).to_be_visible()
    card.get_by_role("button", name="作为留言发送").click()
    expect(card).to_be_hidden()
    expect(page.locator("#chat-list")).to_contain_text("电梯费用应按楼层分摊")


# ---- 4. one mis-tap must not change her side --------------------------------------------


def test_changing_side_asks_first_and_says_what_it_costs(
    server: Server, pages: Pages, people: list[People]
) -> None:
    room, folk = setup(server, people)
    mod = folk.moderator()
    page = resident(pages, room.invite_url, "孙奶奶")
    mod.call("session.start")
    for name in ("甲", "乙"):
        folk.neighbour(name).call("hand.raise", stance="support")
    page.get_by_role("button", name="我反对").click()
    expect(page.locator("#my-queue")).to_contain_text("反对")

    page.get_by_role("button", name="我支持").click()
    ask = page.locator("#stance-confirm")
    expect(ask).to_be_visible()
    expect(ask).to_contain_text("改为支持方将排到支持方末尾（第 3 位）")
    expect(ask).to_contain_text("反对方第 1 位")
    screenshot(page, "resident-4-ask")
    assert_accessible(page, "resident-4-ask-audit")
    # Keeping her place changes nothing.
    ask.get_by_role("button", name="不改，仍为反对方").click()
    expect(ask).to_be_hidden()
    expect(page.get_by_role("button", name="我反对")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#my-queue")).to_contain_text("反对")
    # Confirming moves her.
    page.get_by_role("button", name="我支持").click()
    ask.get_by_role("button", name="确定改为支持方").click()
    expect(page.locator("#my-queue")).to_contain_text("支持")
    expect(page.locator("#my-queue")).to_contain_text("第 3 位")


# ---- 5. where she stands ------------------------------------------------------------------


def test_her_place_in_one_line_on_the_first_screen(
    server: Server, pages: Pages, people: list[People]
) -> None:
    room, folk = setup(server, people)
    mod = folk.moderator()
    page = resident(pages, room.invite_url, "冯阿姨")
    mod.call("session.start")
    jia = folk.neighbour("甲")
    yi = folk.neighbour("乙")
    jia.call("hand.raise", stance="support")
    yi.call("hand.raise", stance="support")
    expect(page.locator('[data-queue="support"] li')).to_have_count(2)
    page.get_by_role("button", name="我支持").click()

    place = page.locator("#my-place")
    expect(place).to_have_text("支持方第 3 位，前面还有约 2 位发言")
    in_first_screen(page, "#my-place")
    one_line = page.evaluate("""() => { const el = document.querySelector('#my-place');
        return el.getClientRects().length === 1
            && el.clientHeight < 2 * parseFloat(getComputedStyle(el).lineHeight); }""")
    assert one_line, "the place takes more than one line at 360 px"
    screenshot(page, "resident-5-place")
    mod.call("queue.remove", participant_id=jia.you["participant_id"])
    expect(place).to_have_text("支持方第 2 位，前面还有约 1 位发言")
    # While 乙 speaks she is next, and the line says after whom.
    mod.call("turn.next")
    expect(place).to_contain_text("下一位就是您")
    expect(place).to_contain_text("乙")
    expect(page.locator("#announcer-polite")).to_contain_text("下一位就是您")
    mod.call("turn.end")
    expect(place).to_have_text("下一位就是您（支持方第 1 位）")
    in_first_screen(page, "#my-place")
    assert_accessible(page, "resident-5-next-audit")
    # The moderator takes her hand down: she is told.
    mod.call(
        "queue.remove", participant_id=page.evaluate("window.yishiClient.state.you.participant_id")
    )
    expect(place).to_contain_text("主持人撤下了您的发言申请")
    expect(page.locator("#announcer-polite")).to_contain_text("主持人撤下了您的发言申请")
    in_first_screen(page, "#my-place")
    screenshot(page, "resident-5-removed")
    # Lowering her own hand is not reported as the moderator's doing.
    page.get_by_role("button", name="我支持").click()
    expect(place).to_contain_text("支持方第 1 位")
    page.get_by_role("button", name="撤回发言申请").click()
    expect(place).to_be_hidden()


# ---- 7. which invite mode the room uses -------------------------------------------------


def test_everyone_sees_how_people_join(server: Server, pages: Pages, people: list[People]) -> None:
    room, _folk = setup(server, people)
    page = resident(pages, room.invite_url, "褚大爷")
    expect(page.locator("#invite-mode")).to_contain_text("公开链接")

    personal, _ = setup(server, people, invite_mode="personal")
    status, raw = server.request(
        "POST",
        f"/api/rooms/{personal.room_id}/invites",
        token=personal.moderator_token,
        body={"count": 1},
    )
    assert status == 200, (status, raw)
    url = json.loads(raw)["urls"][0]
    other = pages.open(url)
    other.set_viewport_size(PHONE_740)
    expect(other.locator("#join-invite-mode")).to_contain_text("一户一码")
    assert_accessible(other, "resident-7-join-personal")
    fill_join(other, "卫阿姨")
    expect(other.locator("#invite-mode")).to_contain_text("一户一码")
    screenshot(other, "resident-7-room-personal")


# ---- 8. a named ballot says so ---------------------------------------------------------


def test_the_ballot_says_whether_it_is_named(
    server: Server, pages: Pages, people: list[People]
) -> None:
    room, folk = setup(server, people)
    mod = folk.moderator()
    page = resident(pages, room.invite_url, "蒋阿姨")
    mod.call("session.start")
    mod.call(
        "poll.open", question="电梯放在北侧？", options=[], kind="yes_no_abstain", secret=False
    )
    expect(page.locator("#banner-poll")).to_contain_text("记名投票：结果会公布您的选择")
    named = page.locator("#poll-list > li", has_text="电梯放在北侧？")
    expect(named.locator(".ballot-kind")).to_have_text("记名投票：结果会公布您的选择。")
    mod.call("poll.open", question="是否聘请监理？", options=[], kind="yes_no_abstain", secret=True)
    secret = page.locator("#poll-list > li", has_text="是否聘请监理？")
    expect(secret.locator(".ballot-kind")).to_contain_text("无记名投票")
    screenshot(page, "resident-8-ballots")
    assert_accessible(page, "resident-8-ballots-audit")
    named.get_by_label("赞成", exact=True).check()
    named.get_by_role("button", name="投票").click()
    expect(named.locator(".voted")).to_be_visible()
    expect(named.locator(".ballot-kind")).to_contain_text("记名投票")
