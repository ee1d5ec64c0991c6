"""Every page, in the states people see, at 360 px (a small phone) and 1280 px
(a laptop): no axe-core violation (WCAG 2.2 A/AA rules), no sideways scrolling,
targets of at least 44 px. Screenshots of each go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import pytest
from conftest import Pages, Server, assert_accessible
from helpers import confirm_next_dialog, fill_join, join, moderator, open_poll
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

TITLE = "老旧小区停车位改造议事会"


@pytest.mark.parametrize("width", [360, 1280])
def test_every_page_passes_the_audit(server: Server, pages: Pages, width: int) -> None:
    room = server.create_room(
        title=TITLE,
        topic="地面停车位如何重新划分，非机动车棚放在哪里",
        agenda=["车位划分", "车棚位置"],
    )
    landing = pages.open(f"{server.base_url}/", width=width)
    expect(landing.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(landing, "index")

    mod = moderator(pages, room, width=width)
    resident = pages.open(room.invite_url, width=width)
    expect(resident.locator("#join-title")).to_have_text(TITLE)
    assert_accessible(resident, "join")
    fill_join(resident, "刘奶奶")
    other = join(pages, room, "陈叔叔")

    mod.get_by_role("button", name="开始会议").click()
    expect(resident.locator("#room-status")).to_have_text("会议进行中")
    other.get_by_role("button", name="我反对").click()
    expect(other.locator("#my-queue")).to_contain_text("第 1 位")
    resident.get_by_role("button", name="我支持").click()
    expect(resident.locator("#my-queue")).to_contain_text("第 1 位")
    open_poll(mod, "车棚放在哪里？", kind="single", options=["3 号楼北侧", "小区东门", "暂不建设"])
    resident.get_by_label("写留言").fill("希望保留消防通道")
    resident.locator("#chat-form").get_by_role("button", name="发送").click()
    expect(resident.locator("#poll-list")).to_contain_text("车棚放在哪里？")
    expect(resident.locator("#chat-list")).to_contain_text("希望保留消防通道")
    assert_accessible(resident, "room")

    support = mod.locator('[data-queue="support"]')
    support.get_by_role("button", name="操作").first.click()
    support.get_by_role("button", name="请发言").click()
    expect(resident.locator("#your-turn")).to_be_visible()
    assert_accessible(resident, "room-your-turn")
    mod.get_by_label("记录一项决定").fill("车位按楼栋重新划分，优先保障老人和残疾人车位。")
    mod.get_by_role("button", name="记录决定", exact=True).click()
    mod.get_by_label("新的待办事项").fill("画出新的车位线")
    mod.get_by_label("负责人或部门").fill("物业公司")
    mod.get_by_label("完成期限").fill("2030-03-31")
    mod.get_by_role("button", name="添加待办").click()
    expect(mod.locator("#action-list")).to_contain_text("画出新的车位线")
    assert_accessible(mod, "moderator")

    confirm_next_dialog(mod)
    mod.get_by_role("button", name="结束会议").click()
    expect(resident.locator("#room-status")).to_have_text("会议已结束")
    confirm_next_dialog(mod)
    mod.get_by_role("button", name="公开发布纪要").click()
    expect(mod.locator("#published-line")).to_be_visible()
    minutes = pages.open(room.minutes_url, width=width)
    expect(minutes.locator("#doc-title")).to_have_text(TITLE)
    expect(minutes.locator("#actions-body")).to_contain_text("画出新的车位线")
    assert_accessible(minutes, "minutes")

    # The same pages in English.
    resident.get_by_role("button", name="English").click()
    expect(resident.locator("#room-status")).to_have_text("Session ended")
    expect(resident.locator("html")).to_have_attribute("lang", "en")
    assert_accessible(resident, "room-en")
