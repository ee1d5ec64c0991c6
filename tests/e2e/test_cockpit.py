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
        self.ws: ClientConnection = self._stack.enter_context(connect(
            f"ws://127.0.0.1:{server.port}/ws/{room.room_id}",
            subprotocols=["yishi.v1.json"],  # type: ignore[list-item]
            open_timeout=WS_TIMEOUT_S))
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
    status, raw = server.request("POST", f"/api/rooms/{room.room_id}/join",
                                 body={"invite": room.invite_code, "name": name})
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
    return [(f"{i // 6 + 1}号楼住户{i + 1:02d}", stances[i % 3],
             "想说说停车的事" if i % 7 == 3 else None) for i in range(n)]


@pytest.fixture
def chair(server: Server, pages: Pages) -> Iterator[tuple[Room, Page, Socket]]:
    """A started room, its moderator's console at 1280x800, and a second socket
    of the moderator's for arranging the room from the test."""
    room = server.create_room(title="小区停车与充电桩议事会", agenda=["停车位划分", "充电桩选址"],
                              settings={"turn_seconds": 120})
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
    return bool(page.evaluate(
        """(sel) => { const el = document.querySelector(sel); if (!el || !el.offsetParent) return false;
            const r = el.getBoundingClientRect();
            return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight
              && r.left >= 0 && r.right <= window.innerWidth; }""", selector))


def viewport_shot(page: Page, name: str) -> None:
    """What the moderator sees right now (the window, not the whole page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-viewport-1280.png"), animations="disabled")


# -- item 9: a cockpit that stays put -------------------------------------------------


def test_the_cockpit_stays_on_screen_wherever_the_moderator_scrolls(
        server: Server, chair: tuple[Room, Page, Socket]) -> None:
    room, mod, sock = chair
    raise_hands(server, room, crowd())
    in_hall(sock, "周奶奶", "support")
    expect(mod.locator("#queue li.qrow")).to_have_count(CROWD + 1)
    mod.get_by_role("button", name="请下一位发言").click()
    expect(mod.locator("#floor .floor-name")).not_to_be_empty()

    cockpit = ["#floor .floor-name", "#floor .floor-timer", "#next-who",
               '[data-queue="support"] li:first-child', '[data-queue="oppose"] li:first-child',
               '[data-queue="neutral"] li:first-child']
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
