"""Follow-up in a real Chromium at 360 px (issue 16, part 5): a resident joins, the
session ends with an action, she goes home; the office reports progress; she
opens "my rooms" from the home page and sees the new status marked, with the
room's feed. The moderator and the office speak over raw websockets.
"""

from __future__ import annotations

import json

import pytest
from conftest import Pages, Server, assert_accessible, screenshot
from helpers import join
from playwright.sync_api import expect
from test_cockpit import Socket

pytestmark = pytest.mark.e2e


def test_a_resident_sees_the_offices_progress_on_my_rooms(server: Server, pages: Pages) -> None:
    room = server.create_room(title="加装电梯议事会", agenda=["3号楼加装电梯方案"])
    mod = Socket(server, room, room.moderator_token)
    resident = join(pages, room, "王阿姨")
    mod.cmd("session.start")
    action = mod.cmd("action.add", title="征询一楼住户意见", owner="街道办", due="2099-12-31")[
        "action_id"
    ]
    expect(resident.locator("#action-list")).to_contain_text("未开始")
    mod.cmd("session.end")
    follow = resident.get_by_role("link", name="跟进本次议事的落实情况")
    expect(follow).to_be_visible()
    browser = resident.context
    resident.close()  # she goes home

    status, raw = server.request(
        "POST",
        f"/api/rooms/{room.room_id}/staff",
        token=room.moderator_token,
        body={"role": "office", "name": "街道办"},
    )
    assert status == 200, raw
    office = Socket(server, room, json.loads(raw)["token"])
    office.cmd("action.update", action_id=action, status="in_progress", note="已约一楼住户周六座谈")
    office.close()
    mod.close()

    # Days later, on the same phone: the home page, one tap.
    page = browser.new_page()
    page.goto(server.base_url + "/")
    page.get_by_role("link", name="我参加的议事：看看事项办得怎么样了").click()
    card = page.locator(".my-room", has_text="加装电梯议事会")
    item = card.locator(".my-action", has_text="征询一楼住户意见")
    expect(item).to_have_class("my-action is-new")
    expect(item.locator(".tag-status-in_progress")).to_have_text("进行中")
    expect(item.locator(".tag-new")).to_have_text("新")
    expect(item).to_contain_text("已约一楼住户周六座谈")
    expect(card.locator(".my-news")).to_contain_text("有 1 项新进展")
    feed = card.get_by_role("link", name="订阅更新（Atom）")
    href = feed.get_attribute("href") or ""
    assert href.endswith(f"/api/rooms/{room.room_id}/feed.atom")
    status, body = server.request("GET", href.removeprefix(server.base_url))
    assert status == 200 and "已约一楼住户周六座谈" in body.decode()
    screenshot(page, "followup-my-rooms")
    assert_accessible(page, "followup-my-rooms")

    # Looked at: the next visit marks nothing.
    page.reload()
    expect(card.locator(".my-action", has_text="征询一楼住户意见")).to_have_class("my-action")
    expect(card.locator(".my-news")).to_have_count(0)
