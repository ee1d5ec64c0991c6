"""Time cues and screen-reader announcements (issue 16, part 2) in real Chromium.

* The moderator sets the room's cues in the console; a short turn passes them,
  and every countdown (the speaker's, the console's, the hall screen's) takes
  its cue state; the speaker's page and the hall screen chime (OscillatorNode
  starts, counted by an init script around AudioContext.prototype
  .createOscillator), the console does not, and the toggles silence it.
* The live regions' text after each event: whose turn it is, her place, a poll
  opened and closed (polite), and "it's your turn" (the one assertive one).

Waits are on the pages' state (the countdown's `data-cue`, the regions' text),
never on the clock.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Pages, Server
from helpers import expect_connected, fill_join, moderator
from playwright.sync_api import Page, expect
from test_hall_screen import mint_screen
from test_resident_page import LONG_WAIT_MS, People

pytestmark = pytest.mark.e2e

# Counts the oscillators started on the page (the chime's tones).
COUNT_OSCILLATORS = """
(() => {
  window.__oscStarts = 0;
  const C = window.AudioContext;
  if (!C) return;
  const make = C.prototype.createOscillator;
  C.prototype.createOscillator = function () {
    const node = make.call(this);
    const start = node.start.bind(node);
    node.start = (...args) => { window.__oscStarts += 1; return start(...args); };
    return node;
  };
})();
"""


def counted(pages: Pages, url: str | None, *, width: int = 360) -> Page:
    page = pages.open(None, width=width)
    page.add_init_script(COUNT_OSCILLATORS)
    if url is not None:
        page.goto(url)
    return page


def starts(page: Page) -> int:
    return int(page.evaluate("window.__oscStarts"))


def test_cues_change_every_countdown_and_chime_where_they_should(
    server: Server, pages: Pages, people: list[People], tmp_path: Path
) -> None:
    room = server.create_room(title="加装电梯议事会", settings={"turn_seconds": 16})
    folk = People(room)
    people.append(folk)
    wire = folk.moderator()

    # The moderator sets the cues in the console's settings.
    mod = counted(pages, room.moderator_url, width=1280)
    expect_connected(mod)
    cues = mod.get_by_label("倒计时提醒（剩余多少秒时提醒，最多 3 个）")
    expect(cues).to_have_value("30，10")
    cues.fill("4, 10")
    mod.locator("#settings-form").get_by_role("button", name="保存").click()
    mod.wait_for_function(
        "() => JSON.stringify(window.yishiClient.state.room.settings.cue_seconds) === '[10,4]'"
    )

    speaker = counted(pages, room.invite_url)
    fill_join(speaker, "钱阿姨")
    screen = counted(pages, mint_screen(room)["url"], width=1280)
    expect_connected(screen)
    screen.get_by_role("button", name="不需要扩音").click()

    wire.call("session.start")
    speaker.get_by_role("button", name="我支持").click()
    expect(speaker.locator("#my-queue")).to_contain_text("第 1 位")
    wire.call("turn.next")
    mine = speaker.locator("#your-timer")
    expect(mine).to_be_visible()
    timers = [
        mine,
        speaker.locator("#floor .floor-timer"),
        mod.locator("#floor .floor-timer"),
        screen.locator("#s-timer"),
    ]
    for timer in timers:
        expect(timer).to_have_attribute("data-cue", "")

    # The first cue: amber, one tone; the last: red and pulsing, two more.
    for timer in timers:
        expect(timer).to_have_attribute("data-cue", "warn", timeout=LONG_WAIT_MS)
    expect(speaker.locator("#time-warning")).to_contain_text("还剩 10 秒")
    colour = screen.evaluate("getComputedStyle(document.querySelector('#s-timer')).color")
    assert colour == "rgb(255, 197, 61)", colour
    for timer in timers:
        expect(timer).to_have_attribute("data-cue", "last", timeout=LONG_WAIT_MS)
    expect(speaker.locator("#time-warning")).to_contain_text("还剩 4 秒")
    assert (
        screen.evaluate("getComputedStyle(document.querySelector('#s-timer')).animationName")
        == "s-pulse"
    )
    shot = tmp_path / "hall-screen-cue-last-1280x900.png"
    screen.screenshot(path=str(shot))
    print(f"hall screen at its last cue: {shot}")
    for page in (speaker, screen):
        page.wait_for_function("() => window.__oscStarts === 3")
    assert starts(mod) == 0  # the console shows the cue and stays quiet

    # Both toggles off: the next turn passes its cues in silence.
    speaker.get_by_label("轮到我发言时，倒计时到点发出提示音").uncheck()
    screen.get_by_role("button", name="提示音：开").click()
    expect(screen.locator("#chime-btn")).to_have_text("提示音：关")
    expect(screen.locator("#chime-btn")).to_have_attribute("aria-pressed", "false")
    expect(speaker.locator("#your-turn")).to_be_hidden(timeout=LONG_WAIT_MS)
    speaker.get_by_role("button", name="我支持").click()
    expect(speaker.locator("#my-queue")).to_contain_text("第 1 位")
    wire.call("turn.next")
    expect(mine).to_be_visible()
    for timer in (mine, screen.locator("#s-timer")):
        expect(timer).to_have_attribute("data-cue", "last", timeout=LONG_WAIT_MS)
    assert starts(speaker) == 3 and starts(screen) == 3, (starts(speaker), starts(screen))


def test_live_regions_say_what_matters(server: Server, pages: Pages, people: list[People]) -> None:
    room = server.create_room(title="加装电梯议事会", settings={"turn_seconds": 600})
    folk = People(room)
    people.append(folk)
    wire = folk.moderator()
    wang = folk.neighbour("王阿姨")
    page = pages.open(room.invite_url)
    fill_join(page, "钱阿姨")
    console = moderator(pages, room)
    polite = page.locator("#announcer-polite")
    assertive = page.locator("#announcer")
    expect(polite).to_have_attribute("aria-live", "polite")
    expect(assertive).to_have_attribute("aria-live", "assertive")

    wire.call("session.start")
    wang.call("hand.raise", stance="support")
    page.get_by_role("button", name="我支持").click()
    # Her place, politely.
    expect(polite).to_contain_text("您现在排在支持方第 2 位。")

    # Someone else's turn: who and which side; and her place moved up.
    wire.call("turn.next")
    expect(polite).to_contain_text("王阿姨 开始发言（支持）。")
    expect(polite).to_contain_text("您现在排在支持方第 1 位。")
    expect(console.locator("#announcer")).to_contain_text("王阿姨 开始发言（支持）。")
    expect(assertive).to_be_empty()

    # A reconnect that brings nothing new says nothing.
    said = page.evaluate("window.yishiAnnouncer.history.length")
    page.evaluate("window.yishiClient._drop(window.yishiClient.ws)")
    expect_connected(page)
    assert page.evaluate("window.yishiAnnouncer.history.length") == said

    # Her turn: assertive, and only that.
    wang.call("turn.yield")
    wire.call("turn.next")
    expect(assertive).to_contain_text("轮到您发言了")

    # A poll opened and closed: politely, on her page and on the console.
    wire.call(
        "poll.open", question="是否同意加装电梯？", options=[], kind="yes_no_abstain", secret=False
    )
    expect(polite).to_contain_text("新投票：是否同意加装电梯？")
    expect(console.locator("#announcer")).to_contain_text("新投票：是否同意加装电梯？")
    poll_id = page.evaluate("window.yishiClient.state.polls[0].poll_id")
    wire.call("poll.close", poll_id=poll_id)
    expect(polite).to_contain_text("投票结束：是否同意加装电梯？")
    expect(console.locator("#announcer")).to_contain_text("投票结束：是否同意加装电梯？")

    history = page.evaluate("window.yishiAnnouncer.history")
    loud = [h["text"] for h in history if h["assertive"]]
    assert loud == ["轮到您发言了！您有 10:00 的时间。"], history
    # Each place said once, when it changed.
    places = [h["text"] for h in history if h["text"].startswith("您现在排在")]
    assert places == ["您现在排在支持方第 2 位。", "您现在排在支持方第 1 位。"], history
