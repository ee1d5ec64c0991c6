"""After the session has ended (issue 26, item 12): the invite page no longer speaks
as if it were today's meeting, and her unsent draft is not offered "for her next
turn" (there is none), at a phone's width and a laptop's."""

from __future__ import annotations

import json

import pytest

# Imported with the module: by run time `conftest` may name another folder's conftest.
from conftest import Pages, Server, assert_accessible, screenshot
from helpers import join
from playwright.sync_api import expect
from test_cockpit import Socket

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("width", [360, 1280])
def test_after_the_session_the_pages_say_it_has_ended(
    server: Server, pages: Pages, width: int
) -> None:
    room = server.create_room(title="楼道堆物议事会", agenda=["楼道堆物怎么清"])
    sock = Socket(server, room, room.moderator_token)
    sock.cmd("session.start")
    wang = join(pages, room, "王阿姨", width=width)
    sock.cmd("session.end")
    expect(wang.locator("#room-status")).to_have_text("会议已结束")

    # Her words from before, not yet sent: after a reload the page asks what to do
    # with them, without offering to keep them for a next turn.
    wang.evaluate(
        "([key, text]) => localStorage.setItem(key, text)",
        [f"yishi.draft.{room.room_id}", json.dumps({"text": "楼道里的纸箱要清走", "kept": False})],
    )
    wang.reload()
    draft = wang.locator("#draft")
    expect(draft).to_be_visible()
    expect(draft).to_contain_text("楼道里的纸箱要清走")
    expect(wang.locator("#draft-keep")).to_be_hidden()
    expect(wang.locator("#draft-drop")).to_be_visible()

    # The invite link opened after the meeting: its agenda is this session's, not today's.
    late = pages.open(room.invite_url, width=width)
    expect(late.locator("#join-agenda h2")).to_have_text("这次会议的议题（会议已结束）")
    expect(late.get_by_role("button", name="查看会议情况")).to_be_visible()
    expect(late.get_by_text("今天的议题")).to_have_count(0)
    expect(late.get_by_role("button", name="进入会客厅")).to_have_count(0)
    screenshot(late, f"invite-after-session-{width}")
    assert_accessible(late, f"invite-after-session-{width}")
    sock.close()
