"""The moderator console beyond the basic session: attendees in the hall and
hands raised for them, review of held messages, mutes, personal invite codes,
staff links (a clerk sees a clerk's console), the QR code, exports.
"""

from __future__ import annotations

import re

import pytest

# Imported with the module: by run time `conftest` may name another folder's conftest.
from conftest import ADMIN, Pages, Server, screenshot
from helpers import expect_connected, fill_join, join, moderator, open_poll
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

TITLE = "社区花园认养议事会"


def test_console_tools(server: Server, pages: Pages) -> None:
    room = server.create_room(
        title=TITLE, agenda=["认养规则"], settings={"chat_mode": "premoderated"}
    )
    mod = moderator(pages, room)
    wang = join(pages, room, "王阿姨")
    mod.get_by_role("button", name="开始会议").click()
    expect(wang.locator("#room-status")).to_have_text("会议进行中")

    # The invite QR code loads, and can be shown full screen.
    # (fetched with the moderator's token, shown as a data: URL)
    mod.wait_for_function(
        "() => { const img = document.querySelector('#qr-img');"
        " return img.src.startsWith('data:image/svg+xml') && img.complete"
        " && img.naturalWidth > 0; }"
    )
    mod.get_by_role("button", name="全屏投影二维码").click()
    dialog = mod.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(TITLE)
    mod.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # An attendee in the hall, and a hand raised on her behalf.
    mod.get_by_label("登记现场居民（没有手机的居民）").fill("周奶奶")
    mod.get_by_role("button", name="登记", exact=True).click()
    row = mod.locator("#people-list > li", has_text="周奶奶")
    expect(row).to_contain_text("现场")
    row.get_by_role("button", name="支持：周奶奶").click()
    expect(wang.locator('[data-queue="support"]')).to_contain_text("周奶奶")
    row.get_by_role("button", name="撤下：周奶奶").click()
    expect(wang.locator('[data-queue="support"]')).not_to_contain_text("周奶奶")

    # Premoderated chat: the author sees why the message waits; the moderator approves it.
    wang.get_by_label("写留言").fill("建议每户认养一小块")
    wang.locator("#chat-form").get_by_role("button", name="发送").click()
    mine = wang.locator("#chat-list > li", has_text="建议每户认养一小块")
    expect(mine).to_contain_text("仅您可见")
    held = mod.locator("#held-list > li", has_text="建议每户认养一小块")
    expect(held).to_be_visible()
    expect(mod.locator("#review-count")).to_have_text("(1)")
    held.get_by_role("button", name="通过").click()
    expect(mod.locator("#review-empty")).to_be_visible()
    expect(mine.locator(".msg-note")).to_be_hidden()
    expect(mod.locator("#chat-list")).to_contain_text("建议每户认养一小块")

    # A mute shows on the resident's page.
    mod.locator("#people-list > li", has_text="王阿姨").get_by_role(
        "button", name="禁言 10 分钟"
    ).click()
    expect(wang.locator("#chat-hint")).to_contain_text("您暂时不能留言")
    expect(wang.get_by_label("写留言")).to_be_disabled()

    # Personal invite codes: one household, one link.
    mod.get_by_text("一户一码（个人邀请码）").click()
    mod.get_by_label("生成数量").fill("2")
    mod.get_by_role("button", name="生成邀请码").click()
    expect(mod.locator("#codes-list > li")).to_have_count(2)
    personal_url = mod.locator("#codes-list > li .link-out").first.inner_text()
    household = pages.open(personal_url)
    fill_join(household, "吴先生")
    expect(mod.locator("#people-list")).to_contain_text("吴先生")

    # A staff link: the clerk's console has no moderator-only tools.
    mod.get_by_text("工作人员链接").click()
    mod.get_by_label("身份").select_option("clerk")
    mod.get_by_label("姓名").fill("小李")
    mod.get_by_role("button", name="生成链接").click()
    clerk_url = mod.locator("#staff-list .link-out").first.inner_text()
    assert "#token=" in clerk_url
    clerk = pages.open(clerk_url, width=1280)
    expect_connected(clerk)
    expect(clerk.locator("#me-line")).to_contain_text("记录员")
    expect(clerk.get_by_role("button", name="结束会议")).to_be_hidden()
    expect(clerk.locator("#people")).to_be_visible()
    # Her lists agree: everyone 出席核对 names is among 参会人员, and counted there.
    expect(clerk.locator("#att-list > li")).to_have_count(3)
    for name in ("王阿姨", "周奶奶", "吴先生"):
        expect(clerk.locator("#people-list")).to_contain_text(name)
    expect(clerk.locator("#people-count")).to_contain_text("共 4 人")  # and the moderator
    expect(clerk.locator("#people-list")).to_contain_text("主持人 · 在线")
    expect(clerk.locator("#people-list")).not_to_contain_text("主持人 · 主持人")  # said once
    # The QR code to show at the door loads for her (it was refused, 403); the codes,
    # staff links and hall screen stay the moderator's.
    clerk.wait_for_function(
        "() => { const img = document.querySelector('#qr-img');"
        " return img.src.startsWith('data:image/svg+xml') && img.complete"
        " && img.naturalWidth > 0; }"
    )
    clerk.locator("#qr-toggle").click()  # folded once the session is live
    expect(clerk.locator("#qr-img")).to_be_visible()
    for tool in ("#codes-form", "#staff-form", "#screen-open"):
        expect(clerk.locator(tool)).to_be_hidden()
    # "下载纪要：" is followed by its buttons (a clerk reads the moderator's copy too).
    expect(clerk.locator("#minutes").get_by_role("button", name="Word")).to_be_visible()

    # Given the floor, her words are recorded by the clerk and seen by all.
    row.get_by_role("button", name="反对：周奶奶").click()
    oppose = mod.locator('[data-queue="oppose"]')
    oppose.get_by_role("button", name="操作：周奶奶").click()
    oppose.get_by_role("button", name="请发言：周奶奶").click()
    expect(wang.locator("#floor .floor-name")).to_have_text("周奶奶")
    expect(
        mod.locator("#behalf-statement")
    ).to_be_hidden()  # the contract: clerks record, not moderators
    clerk.get_by_label("代现场居民记录发言").fill("花园里要留出老人晒太阳的地方。")
    clerk.locator("#behalf-statement").get_by_role("button", name="发表").click()
    expect(wang.locator("#statement-list")).to_contain_text("花园里要留出老人晒太阳的地方。")
    expect(wang.locator("#statement-list .statement").first).to_contain_text("周奶奶")
    mod.get_by_role("button", name="结束本次发言").click()
    expect(wang.locator("#floor .floor-active")).to_be_hidden()

    # Exports: fetched with the moderator token and saved as a file.
    with mod.expect_download() as download:
        mod.get_by_role("button", name="Markdown").click()
    path = download.value.path()
    assert download.value.suggested_filename.endswith(".md")
    assert TITLE in path.read_text(encoding="utf-8")
    screenshot(mod, "console-tools")

    # In English, the name the server gave the moderator reads in English too.
    clerk.get_by_role("button", name="Switch to English").click()
    expect(clerk.locator("#people-list")).to_contain_text("Moderator · online")
    expect(clerk.locator("#people-list")).not_to_contain_text("主持人")


def test_draft_minutes_and_unpublished_minutes(server: Server, pages: Pages) -> None:
    room = server.create_room(title="电动车充电桩议事会", agenda=["选址"])
    mod = moderator(pages, room)
    mod.get_by_role("button", name="开始会议").click()
    expect(mod.locator("#room-status")).to_have_text("会议进行中")
    # Not published: the public page says so, without an error dump.
    public = pages.open(room.minutes_url)
    expect(public.get_by_role("heading", name="纪要尚未发布")).to_be_visible()
    # The moderator's draft link carries the token in the fragment.
    draft_url = mod.get_by_role("link", name="查看纪要草稿").get_attribute("href")
    assert draft_url and "#token=" in draft_url
    draft = pages.open(server.base_url + draft_url)
    expect(draft.locator("#doc-title")).to_have_text("电动车充电桩议事会")
    expect(draft.locator("#draft-flag")).to_contain_text("草稿")
    expect(draft.locator("#doc-body")).to_contain_text("选址")
    with draft.expect_download() as download:
        draft.get_by_role("button", name="下载 Markdown").click()
    assert "电动车充电桩议事会" in download.value.path().read_text(encoding="utf-8")


def test_landing_page_creates_a_room(server: Server, pages: Pages) -> None:
    page = pages.open(f"{server.base_url}/", width=1280)
    page.get_by_label("管理员密钥").fill("wrong-token")
    page.get_by_label("会议名称").fill("楼顶光伏议事会")
    page.get_by_role("button", name="创建会议室").click()
    expect(page.get_by_role("alert")).to_contain_text("管理员密钥不正确")
    page.get_by_label("管理员密钥").fill(ADMIN)
    page.get_by_role("button", name="创建会议室").click()
    expect(page.locator("#mod-link")).to_contain_text("#token=")
    invite = page.locator("#invite-link").inner_text()
    resident = pages.open(invite)
    expect(resident.locator("#join-title")).to_have_text("楼顶光伏议事会")


def test_a_turn_ends_by_itself_on_the_server_clock(server: Server, pages: Pages) -> None:
    room = server.create_room(title="快递柜议事会", settings={"turn_seconds": 3})
    mod = moderator(pages, room)
    resident = join(pages, room, "郑阿姨")
    mod.get_by_role("button", name="开始会议").click()
    resident.get_by_role("button", name="我有其他意见").click()
    expect(resident.locator("#my-queue")).to_contain_text("第 1 位")
    mod.get_by_role("button", name="请下一位发言").click()
    expect(resident.locator("#your-turn")).to_be_visible()
    expect(resident.locator("#your-timer")).to_have_text(re.compile(r"^0:0[0-3]$"))
    # Nobody presses anything: the server ends the turn at its deadline.
    expect(resident.locator("#your-turn")).to_be_hidden()
    expect(resident.locator("#floor .floor-idle")).to_contain_text("时间到")
    expect(resident.locator("#announcer-polite")).to_contain_text("您的发言时间已结束")
    expect(mod.locator('[data-balance="neutral"] .bar-text')).to_contain_text("1 次，共 0:03")


def test_poll_kinds_and_hidden_results(server: Server, pages: Pages) -> None:
    room = server.create_room(title="小区绿化议事会")
    mod = moderator(pages, room)
    resident = join(pages, room, "钱奶奶")
    mod.get_by_role("button", name="开始会议").click()
    expect(resident.locator("#room-status")).to_have_text("会议进行中")

    # Several choices, results hidden until the poll closes, secret ballot.
    question = "希望种哪些树？"
    open_poll(
        mod,
        question,
        kind="multi",
        options=["桂花", "银杏", "香樟", "樱花"],
        live=False,
        secret=False,
    )
    mod.get_by_label("无记名投票").check()  # for the next poll (the form's default again)
    card = resident.locator("#poll-list > li", has_text=question)
    expect(card).to_contain_text("可多选，最多 2 项")  # the form's default
    expect(card).to_contain_text("投票结束后公布结果")
    card.get_by_label("桂花").check()
    card.get_by_label("香樟").check()
    card.get_by_role("button", name="投票").click()
    expect(card.locator(".voted")).to_contain_text("桂花、香樟")
    expect(card.locator(".results")).to_have_count(0)
    # The moderator watches the count come in.
    expect(
        mod.locator("#poll-list > li", has_text=question).locator(".poll-turnout")
    ).to_contain_text("已投票 1 人")
    mod.locator("#poll-list > li", has_text=question).get_by_role("button", name="结束投票").click()
    expect(card.locator(".results li").first).to_contain_text("1 票")
    expect(card.locator(".results li").nth(1)).to_contain_text("0 票")

    secret = "是否同意调整绿化带？"
    open_poll(mod, secret, kind="single", options=["同意", "不同意"])
    card = resident.locator("#poll-list > li", has_text=secret)
    expect(card).to_contain_text("无记名")
    card.get_by_label("同意", exact=True).check()
    card.get_by_role("button", name="投票").click()
    expect(card.locator(".voted")).to_contain_text("无记名")
    expect(mod.locator("#poll-list > li", has_text=secret).locator("details")).to_have_count(0)


def test_wrong_links_are_explained(server: Server, pages: Pages) -> None:
    room = server.create_room(title="门禁系统议事会")
    page = pages.open(f"{server.base_url}/r/{room.room_id}?invite=WRONGCODE")
    expect(page.locator("#join-title")).to_have_text("门禁系统议事会")
    page.get_by_label("您的称呼").fill("冯师傅")
    page.get_by_role("button", name="进入会客厅").click()
    expect(page.get_by_role("alert")).to_contain_text("邀请码无效")
    nowhere = pages.open(f"{server.base_url}/r/no-such-room?invite=x")
    expect(nowhere.get_by_role("heading", name="找不到这个会议室")).to_be_visible()
    bad_mod = pages.open(f"{server.base_url}/m/{room.room_id}#token=not-a-token", width=1280)
    expect(bad_mod.get_by_role("heading", name="主持人密钥无效")).to_be_visible()
