"""Issue 16, part 3 in real Chromium: the chair opens a ranked poll with a quorum and a
threshold from the console (and a score poll), two residents on 360 px phones rank
by tapping and score with big buttons, the chair sees the presence against the
quorum, closes, and every page shows what was decided."""

from __future__ import annotations

import pytest
from conftest import Pages, Server, screenshot
from helpers import join, moderator, open_poll
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def rank(page: Page, question: str, *options: str) -> None:
    card = page.locator("#poll-list > li", has_text=question)
    for option in options:
        card.locator(".rank-option", has_text=option).click()


def test_ranked_and_score_ballots_and_their_outcome(server: Server, pages: Pages) -> None:
    room = server.create_room(title="楼道改造议事会")
    mod = moderator(pages, room)
    zhang = join(pages, room, "张奶奶")
    li = join(pages, room, "李大爷")
    mod.get_by_role("button", name="开始会议").click()
    expect(zhang.locator("#room-status")).to_have_text("会议进行中")
    expect(mod.locator("#poll-presence")).to_contain_text("有投票权居民 2 人")

    # The console's form: a ranked poll, quorum 2, a simple majority of votes cast.
    question = "楼道先改哪一项？"
    details = mod.locator("#poll-create")
    details.locator("summary").click()
    mod.get_by_label("法定人数").fill("2")
    mod.get_by_label("通过门槛").select_option("simple")
    open_poll(
        mod, question, kind="ranked", options=["照明", "扶手", "粉刷"], live=True, secret=False
    )
    expect(mod.locator("#poll-presence")).to_contain_text(f"“{question}”：已达法定人数 2。")

    # 张奶奶 taps 扶手, then 照明, undoes 照明, taps 粉刷: her order is 扶手, 粉刷.
    card = zhang.locator("#poll-list > li", has_text=question)
    expect(card).to_contain_text("排序选择")
    rank(zhang, question, "扶手", "照明")
    card.get_by_role("button", name="撤销上一个").click()
    rank(zhang, question, "粉刷")
    expect(card.locator(".rank-order li")).to_have_text(["扶手", "粉刷"])
    box = card.locator(".rank-option", has_text="扶手").bounding_box()
    assert box is not None and box["height"] >= 48 and box["width"] >= 280  # a big target
    screenshot(zhang, "ranked-ballot-360")
    card.get_by_role("button", name="投票").click()
    expect(card.locator(".voted")).to_contain_text("1. 扶手；2. 粉刷")
    # 李大爷 ranks only 照明.
    rank(li, question, "照明")
    li.locator("#poll-list > li", has_text=question).get_by_role("button", name="投票").click()
    expect(li.locator("#poll-list > li", has_text=question).locator(".voted")).to_contain_text(
        "照明"
    )

    # A score poll (0..3), opened from the form too.
    scored = "楼道照明满意度"
    mod.locator("#poll-form").get_by_label("投票方式").select_option("score")
    mod.get_by_label("最高分").fill("3")
    open_poll(mod, scored, kind="score", options=["一楼", "二楼"], live=True, secret=True)
    for page, scores in ((zhang, ("3", "1")), (li, ("2", "2"))):
        card = page.locator("#poll-list > li", has_text=scored)
        card.get_by_role("button", name="投票").click()
        expect(card.locator(".error")).to_have_text("请给每一项都打分。")
        for row, score in zip(("一楼", "二楼"), scores):
            card.get_by_role("button", name=f"{row} {score}", exact=True).click()
        if page is zhang:
            screenshot(zhang, "score-ballot-360")
        card.get_by_role("button", name="投票").click()
        expect(card.locator(".voted")).to_be_visible()

    # The chair closes both; every page says what was decided.
    # Round 1: 照明 1, 扶手 1, 粉刷 0: 粉刷 out; round 2: a tie on every count: no winner.
    for q in (question, scored):
        mod.locator("#poll-list > li", has_text=q).get_by_role("button", name="结束投票").click()
    for page in (zhang, li, mod):
        card = page.locator("#poll-list > li", has_text=question)
        expect(card.locator(".outcome")).to_contain_text("未通过：")
        expect(card.locator(".outcome")).to_contain_text("法定人数 2 人，到会 2 人")
        expect(card.locator(".winner")).to_contain_text("无胜出者")
        score_card = page.locator("#poll-list > li", has_text=scored)
        expect(score_card.locator(".means")).to_contain_text("一楼 2.50、二楼 1.50")
    mod.locator("#polls").scroll_into_view_if_needed()
    screenshot(mod, "console-poll-outcomes")
    card = zhang.locator("#poll-list > li", has_text=question)
    card.locator(".rounds summary").click()
    expect(card.locator(".rounds-steps")).to_contain_text("第 1 轮：淘汰 粉刷")
    screenshot(zhang, "ranked-outcome-360")

    # The draft minutes page (the moderator's link) says the same.
    minutes = pages.open(f"{room.minutes_url}#token={room.moderator_token}")
    card = minutes.locator("li", has_text=question).filter(has=minutes.locator(".poll-decision"))
    expect(card.locator(".outcome")).to_contain_text("未通过：")
    expect(minutes.locator(".means")).to_contain_text("一楼 2.50、二楼 1.50")
