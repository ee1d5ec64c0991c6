"""No text a resident reads is under 18 px (the floor for the elderly the room is for):
hints, pills, tags, times and notes on her phone at 360x740, in the room and on the
community's page. Every element holding text of its own is measured as drawn."""

from __future__ import annotations

import pytest
from conftest import Pages, Server
from playwright.sync_api import Page, expect
from test_community import create_community, submit
from test_nobody_gets_lost import first_in_line_reading_on, live_room
from test_resident_page import PHONE_740, People

pytestmark = pytest.mark.e2e

FLOOR_PX = 18

SMALL_TEXT = """(floor) => {
    const small = [];
    for (const el of document.querySelectorAll("body *")) {
        if (el.closest("svg, script, style, template, [hidden], .sr-only")) continue;
        const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
        if (!own || el.getClientRects().length === 0) continue;
        const style = getComputedStyle(el);
        if (style.visibility === "hidden" || style.display === "none") continue;
        const size = parseFloat(style.fontSize);
        if (size < floor - 0.05) {
            small.push(`${el.tagName.toLowerCase()}.${el.className}: ${size}px`
                       + ` "${el.textContent.trim().slice(0, 20)}"`);
        }
    }
    return small;
}"""


def small_text(page: Page) -> list[str]:
    found: list[str] = page.evaluate(SMALL_TEXT, FLOOR_PX)
    return found


def test_her_room_has_no_text_under_the_floor(
    server: Server, pages: Pages, people: list[People]
) -> None:
    _, folk, mod, page = live_room(server, pages, people, "周奶奶")
    first_in_line_reading_on(page)  # her place, the queue's tags and hints
    mod.call(
        "poll.open",
        question="是否同意加装电梯？",
        options=["赞成", "反对"],
        kind="single",
        secret=True,
    )
    expect(page.locator("#poll-list > li")).to_have_count(1)
    folk.neighbour("李师傅").call("chat.send", text="我同意，楼上老人太多了")
    expect(page.locator("#chat-list")).to_contain_text("楼上老人")
    assert small_text(page) == []


def test_the_community_page_has_no_text_under_the_floor(server: Server, pages: Pages) -> None:
    community = create_community(server)
    page = pages.open(f"{community['url']}?submit=1", width=PHONE_740["width"])
    submit(page, "楼道灯坏了", "5号楼2单元三楼的灯坏了一周了", "其他")  # her receipt too
    assert small_text(page) == []
