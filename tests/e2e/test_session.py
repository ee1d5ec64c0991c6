"""A whole session in real Chromium: a moderator and three residents on phones.

Join by link, hands on both sides, the floor given by the policy, a statement
seen on every page, chat, a poll answered, a decision and an action, a reload
that rejoins the same person without duplicates, the session ended, the
minutes published and read on the public minutes page.
"""

from __future__ import annotations

import re

import pytest
from conftest import Pages, Server, screenshot
from helpers import (
    confirm_next_dialog,
    expect_connected,
    fill_join,
    join,
    moderator,
    open_poll,
    vote,
)
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

TITLE = "加装电梯议事会"
TOPIC = "3 号楼是否加装电梯，费用怎样分摊"
STATEMENT_A = "我支持加装电梯，老人上下楼太难了。"
STATEMENT_B = "我反对，一楼住户的采光和噪音问题要先解决。"
QUESTION = "是否同意 3 号楼加装电梯？"


def statements(page: Page) -> list[str]:
    return page.locator("#statement-list .st-text").all_inner_texts()


def test_full_session(server: Server, pages: Pages) -> None:
    room = server.create_room(
        title=TITLE,
        topic=TOPIC,
        agenda=["是否加装电梯", "费用分摊"],
        settings={"turn_seconds": 120},
    )
    mod = moderator(pages, room)
    expect(mod.locator("#room-title")).to_have_text(TITLE)

    # Three residents join from the link; one of them speaks JSON, the others MessagePack.
    first = pages.open(room.invite_url)
    expect(first.locator("#join-title")).to_have_text(TITLE)
    expect(first.locator("#join-topic")).to_have_text(TOPIC)
    screenshot(first, "session-join")
    fill_join(first, "王阿姨")
    wang = first
    li = join(pages, room, "李师傅", proto="json")
    zhang = join(pages, room, "张老师")
    assert wang.evaluate("window.yishiClient.protocol") == "yishi.v1.msgpack"
    assert li.evaluate("window.yishiClient.protocol") == "yishi.v1.json"
    residents = [wang, li, zhang]
    everyone = [mod, *residents]
    expect(mod.locator("#people-count")).to_contain_text("共 3 人")

    # Before the session starts the hand buttons say why they wait.
    expect(wang.get_by_role("button", name="我支持")).to_be_disabled()
    mod.get_by_role("button", name="开始会议").click()
    for page in residents:
        expect(page.locator("#room-status")).to_have_text("会议进行中")

    # Hands on both sides (and a third view).
    for page, label in ((wang, "我支持"), (li, "我反对"), (zhang, "我有其他意见")):
        page.get_by_role("button", name=label).click()
        expect(page.locator("#my-queue")).to_contain_text("第 1 位")
        expect(page.get_by_role("button", name=label)).to_have_attribute("aria-pressed", "true")
    for side, name in (("support", "王阿姨"), ("oppose", "李师傅"), ("neutral", "张老师")):
        for page in everyone:
            expect(page.locator(f'[data-queue="{side}"]')).to_contain_text(name)

    # The policy's pick, and why: a tie on time and turns goes to support.
    expect(mod.locator("#next-who")).to_contain_text("王阿姨")
    expect(mod.locator("#next-why")).to_contain_text("平衡规则")
    mod.get_by_role("button", name="请下一位发言").click()

    # Wang gets an unmistakable prompt; everyone else sees who speaks and the countdown.
    prompt = wang.locator("#your-turn")
    expect(prompt).to_be_visible()
    expect(prompt.get_by_role("heading", name="轮到您发言了")).to_be_visible()
    expect(wang.locator("#announcer")).to_contain_text("轮到您发言了")
    for page in [mod, li, zhang]:
        expect(page.locator("#floor .floor-name")).to_have_text("王阿姨")
        expect(page.locator("#floor .floor-timer")).to_have_text(re.compile(r"^(2:00|1:[0-5]\d)$"))
        expect(page.locator("#your-turn")).to_be_hidden()
    screenshot(wang, "session-room-your-turn")

    wang.get_by_label("您的发言要点").fill(STATEMENT_A)
    wang.locator("#statement-form").get_by_role("button", name="发表").click()
    for page in everyone:
        expect(page.locator("#statement-list")).to_contain_text(STATEMENT_A)
    wang.get_by_role("button", name="我讲完了").click()
    wang.get_by_role("button", name="是，我讲完了").click()  # ending a turn asks first
    expect(prompt).to_be_hidden()
    for page in everyone:
        expect(page.locator('[data-balance="support"] .bar-text')).to_contain_text("1 次")

    # Next by the policy: the side with less time now is oppose.
    expect(mod.locator("#next-who")).to_contain_text("李师傅")
    expect(mod.locator("#next-why")).to_contain_text("反对方")
    mod.get_by_role("button", name="请下一位发言").click()
    expect(li.locator("#your-turn")).to_be_visible()
    li.get_by_label("您的发言要点").fill(STATEMENT_B)
    li.locator("#statement-form").get_by_role("button", name="发表").click()
    for page in everyone:
        expect(page.locator("#statement-list")).to_contain_text(STATEMENT_B)
    mod.get_by_role("button", name="延长 30 秒").click()
    mod.get_by_role("button", name="结束本次发言").click()
    expect(li.locator("#your-turn")).to_be_hidden()
    expect(mod.locator("#floor .floor-idle")).to_contain_text("主持人结束")

    # Chat, seen by all.
    zhang.get_by_label("写留言").fill("建议先做一次住户意见调查")
    zhang.locator("#chat-form").get_by_role("button", name="发送").click()
    for page in everyone:
        expect(page.locator("#chat-list")).to_contain_text("建议先做一次住户意见调查")
    # Personal data is masked, and the author is told why.
    zhang.get_by_label("写留言").fill("有意见可以打我电话 13812345678")
    zhang.locator("#chat-form").get_by_role("button", name="发送").click()
    masked = zhang.locator("#chat-list > li", has_text="有意见可以打我电话")
    expect(masked).to_contain_text("为保护隐私")
    for page in everyone:
        expect(page.locator("#chat-list")).to_contain_text("有意见可以打我电话")
        expect(page.locator("#chat-list")).not_to_contain_text("13812345678")

    # A poll with live results, answered by all three.
    open_poll(mod, QUESTION, secret=False)  # named: the roll below lists who chose what
    for page in residents:
        expect(page.locator("#poll-list")).to_contain_text(QUESTION)
    vote(wang, QUESTION, "赞成")
    vote(li, QUESTION, "反对")
    vote(zhang, QUESTION, "赞成")
    for page in everyone:
        expect(page.locator("#poll-list .poll-turnout")).to_contain_text("已投票 3 人")
        expect(page.locator("#poll-list .results li").first).to_contain_text("2 票")
    roll = mod.locator("#poll-list details", has_text="谁投了什么")
    roll.locator("summary").click()
    expect(roll).to_contain_text("李师傅：反对")
    screenshot(zhang, "session-room")
    mod.get_by_role("button", name="结束投票").click()
    for page in residents:
        expect(page.locator("#poll-list .poll-meta")).to_contain_text("已结束")

    # A decision from the poll and an action.
    mod.get_by_role("button", name="据此记录决定").click()
    expect(mod.get_by_label("记录一项决定")).to_have_value(re.compile("赞成 2"))
    mod.get_by_role("button", name="记录决定", exact=True).click()
    mod.get_by_label("新的待办事项").fill("联系电梯公司做可行性评估")
    mod.get_by_label("负责人或部门").fill("社区居委会")
    mod.get_by_label("完成期限").fill("2030-06-30")
    mod.get_by_role("button", name="添加待办").click()
    for page in residents:
        expect(page.locator("#decision-list")).to_contain_text("赞成 2")
        expect(page.locator("#action-list")).to_contain_text("联系电梯公司做可行性评估")
        expect(page.locator("#action-list")).to_contain_text("未开始")
    screenshot(mod, "session-moderator")

    # A reload rejoins the same person, resumes, and duplicates nothing.
    before_statements = statements(wang)
    before_chat = wang.locator("#chat-list > li").count()
    wang.reload()
    expect_connected(wang)
    # Resumed from the saved copy with `since`: the server replayed, sent no snapshot.
    assert wang.evaluate("window.yishiClient.replayed") is True
    expect(wang.locator("#me-line")).to_contain_text("王阿姨")
    expect(wang.locator("#join-view")).to_be_hidden()
    expect(wang.locator("#statement-list")).to_contain_text(STATEMENT_B)
    assert statements(wang) == before_statements
    expect(wang.locator("#chat-list > li")).to_have_count(before_chat)
    expect(wang.locator("#poll-list .voted")).to_contain_text("赞成")
    expect(mod.locator("#people-count")).to_contain_text("共 3 人")

    # The session ends; the minutes are published and public.
    confirm_next_dialog(mod)
    mod.get_by_role("button", name="结束会议").click()
    for page in residents:
        expect(page.locator("#room-status")).to_have_text("会议已结束")
    confirm_next_dialog(mod)
    mod.get_by_role("button", name="公开发布纪要").click()
    expect(mod.locator("#published-line")).to_be_visible()
    for page in residents:
        expect(page.get_by_role("link", name="查看会议纪要")).to_be_visible()

    # Once published, every export answers without a token.
    for fmt in ("md", "html", "json", "docx"):
        res = mod.request.get(f"{server.base_url}/api/rooms/{room.room_id}/minutes?format={fmt}")
        assert res.status == 200, (fmt, res.status, res.text()[:200])
    minutes = pages.open(room.minutes_url)
    expect(minutes.locator("#doc-title")).to_have_text(TITLE)
    expect(minutes.locator("#doc-body")).to_contain_text("是否加装电梯")
    expect(minutes.locator("#doc-body")).to_contain_text("王阿姨")
    # What was decided leads the page: the vote is in the outcome, above the discussion.
    expect(minutes.locator("#outcome")).to_contain_text(QUESTION)
    expect(minutes.locator("#outcome")).to_contain_text("赞成 2")
    expect(minutes.locator("#actions-body")).to_contain_text("联系电梯公司做可行性评估")
    expect(minutes.locator("#actions-body")).to_contain_text("未开始")
    screenshot(minutes, "session-minutes")

    # The invite link itself leads a newcomer to the published minutes, no token needed.
    newcomer = pages.open(room.invite_url)
    newcomer.get_by_role("link", name="查看会议纪要和办理进度").click()
    expect(newcomer.locator("#actions-body")).to_contain_text("联系电梯公司做可行性评估")
