"""Issue 17 end to end in real Chromium: a neighbourhood's whole consultation cycle.

A resident submits a topic from the notice board's QR link on a 360 px phone;
two neighbours enter their household codes and co-sign it from their own phones
(after a reload the button still says so), a phone without a code is shown as
anonymous support and not counted; staff accept it and schedule a session on
the triage page; the session runs on the moderator console and records a
decision and an action; staff mark the topic deliberated and in progress; the
office marks it solved with its report; the first resident rates it; and the
public page's figures, read before and after, changed accordingly.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import ADMIN, Pages, Server, assert_accessible
from helpers import confirm_next_dialog, expect_connected
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

NAME = "幸福里社区议事厅"
TITLE = "3 号楼想加装电梯"
DETAILS = "楼里老人多，七楼上下太难，希望社区牵头商量加装电梯。"
DECISION = "同意 3 号楼启动加装电梯，费用按楼层分摊"
ACTION = "联系电梯公司做可行性评估"
LATE_ACTION = "清理 3 号楼楼道堆物"
REPORT = "电梯公司已完成评估，加装方案经住户签字同意，工程已开工。"
FIGURES = (
    "submitted",
    "sessions",
    "adoption_rate",
    "solved",
    "solved_rate",
    "median_days",
    "satisfaction",
)


def watch_policy(page: Page, violations: list[str]) -> Page:
    """Collect what the page's security policy blocked (no inline script or style)."""
    page.on(
        "console",
        lambda m: (
            violations.append(f"{page.url}: {m.text}")
            if "Content Security Policy" in m.text
            else None
        ),
    )
    return page


def create_community(server: Server) -> dict[str, str]:
    status, raw = server.request(
        "POST",
        "/api/communities",
        token=ADMIN,
        body={"name": NAME, "description": "扫码提议题，一事一议，结果公开。"},
    )
    assert status == 201, (status, raw)
    created: dict[str, str] = json.loads(raw)
    return created


def figures(page: Page) -> dict[str, str]:
    """The numbers on the public page, as a resident reads them."""
    expect(page.locator("#figure-list .figure")).to_have_count(len(FIGURES))
    return {key: page.locator(f'[data-figure="{key}"] .fig-value').inner_text() for key in FIGURES}


def household_codes(server: Server, community: dict[str, str], *labels: str) -> list[str]:
    """Printed household codes, one per label (the staff page's batch, through the API)."""
    status, raw = server.request(
        "POST",
        f"/api/communities/{community['community_id']}/households",
        token=community["staff_token"],
        body={"labels": list(labels)},
    )
    assert status == 201, (status, raw)
    return [slip["code"] for slip in json.loads(raw)["households"]]


def enter_household_code(page: Page, code: str, label: str) -> None:
    """What a resident does once on her phone: type the code from her slip."""
    page.get_by_label("输入您家的门牌码").fill(code)
    page.get_by_role("button", name="确认门牌码").click()
    expect(page.locator("#hh-bound")).to_contain_text(f"这台手机已登记为：{label}")
    expect(page.get_by_label("输入您家的门牌码")).to_be_hidden()


def topic_card(page: Page, topic_id: str) -> Page:
    card = page.locator(f'#topic-list [data-topic="{topic_id}"]')
    expect(card).to_be_visible()
    return card  # type: ignore[return-value]


def staff_step(
    staff: Page, topic_id: str, step: str, state_text: str, fields: dict[str, str] | None = None
) -> None:
    """Choose the next step on the triage page, fill its fields, apply it."""
    card = staff.locator(f'#st-list [data-topic="{topic_id}"]')
    card.get_by_label("下一步").select_option(step)
    for label, value in (fields or {}).items():
        card.get_by_label(label).fill(value)
    card.get_by_role("button", name="确定").click()
    expect(staff.locator(f'#st-list [data-topic="{topic_id}"] .tag-state')).to_have_text(state_text)


def test_community_cycle(server: Server, pages: Pages, tmp_path: Path) -> None:
    community = create_community(server)
    public_url, staff_url = community["url"], community["staff_url"]
    blocked: list[str] = []
    doors = ("3号楼1单元701", "3号楼1单元201", "3号楼1单元502")
    wang_code, *neighbour_codes = household_codes(server, community, *doors)

    # The public page before: nothing collected yet.
    watcher = watch_policy(pages.open(None, width=360), blocked)
    watcher.goto(public_url)
    expect(watcher.locator("#com-name")).to_have_text(NAME)
    before = figures(watcher)
    assert before == {
        "submitted": "0",
        "sessions": "0",
        "adoption_rate": "—",
        "solved": "0",
        "solved_rate": "—",
        "median_days": "—",
        "satisfaction": "—",
    }
    expect(watcher.locator("#topic-count")).to_have_text("暂时没有符合条件的议题。")

    # 1. A resident scans the notice board's code: the form, at 360 px.
    wang = watch_policy(pages.open(None, width=360), blocked)
    wang.goto(f"{public_url}?submit=1")
    expect(wang.get_by_role("heading", name="提一个议题")).to_be_visible()
    expect(wang.locator("#public-view")).to_be_hidden()
    wang.get_by_label("议题（一句话）").fill(TITLE)
    wang.get_by_label("具体情况").fill(f"{DETAILS}有事请联系我 13812345678")
    wang.locator("#sub-cats").get_by_text("加装电梯").click()
    expect(wang.get_by_role("radio", name="加装电梯")).to_be_checked()
    wang.get_by_label("地点（可不填）").fill("3 号楼")
    wang.screenshot(path=str(tmp_path / "submit-form-360.png"), full_page=True)
    assert_accessible(wang, "community-submit")
    wang.get_by_role("button", name="提交议题").click()
    done = wang.locator("#sub-done-text")
    expect(done).to_contain_text("已收到您的议题（第 1 号）")  # a number, not an internal id
    # Her number is masked publicly, and she is told so.
    expect(done).to_contain_text("您留的电话将只给工作人员看到，公开显示为 138****5678。")
    topic_id = topic_id_in(done.inner_text())

    # 2. Two neighbours enter their household codes and co-sign from their own phones;
    # after a reload the button still says so (the server's word); a phone without a
    # code is anonymous support, shown apart and not counted.
    for code, door in zip(neighbour_codes, doors[1:], strict=True):
        neighbour = pages.open(public_url, width=360)
        enter_household_code(neighbour, code, door)
        card = topic_card(neighbour, topic_id)
        card.get_by_role("button", name="附议").click()
        expect(card.locator(".cosign-msg")).to_have_text("已附议，谢谢您。")
        expect(card.get_by_role("button", name="已附议")).to_be_disabled()
    neighbour.reload()
    card = topic_card(neighbour, topic_id)
    expect(card.locator(".cosign-count")).to_have_text("附议 2 户")
    expect(card.get_by_role("button", name="已附议")).to_be_disabled()
    expect(neighbour.locator("#hh-bound")).to_contain_text(doors[2])
    stranger = pages.open(public_url, width=360)
    card = topic_card(stranger, topic_id)
    card.get_by_role("button", name="附议").click()
    expect(card.locator(".cosign-msg")).to_have_text(
        "已记为匿名支持（未核实门牌，不计入附议数）。输入门牌码后，您的附议按户计入。"
    )
    expect(card.locator(".cosign-anon")).to_have_text(
        "另有匿名支持 1 人（未核实门牌，不计入附议数）。"
    )
    expect(card.locator(".cosign-count")).to_have_text("附议 2 户")

    # 3. Staff accept it and schedule a session: the new room's console link appears.
    staff = watch_policy(pages.open(None, width=1280), blocked)
    staff.goto(staff_url)
    expect(staff.locator("#whoami")).to_have_text("您的身份：主持人")
    assert "#" not in staff.url  # the key left the address bar, and a reload still works
    staff.reload()
    expect(staff.locator("#whoami")).to_have_text("您的身份：主持人")
    # Staff, and only staff, read her number to call her back.
    expect(staff.locator(f'#st-list [data-topic="{topic_id}"] .topic-contact')).to_have_text(
        "联系方式（仅工作人员可见）：13812345678"
    )
    staff_step(staff, topic_id, "accepted", "已受理")
    staff_step(
        staff,
        topic_id,
        "scheduled",
        "已安排议事",
        {"日期": "2030-06-01", "时间": "19:30", "地点": "社区活动室"},
    )
    room_link = staff.locator(f'#st-list [data-topic="{topic_id}"]').get_by_role(
        "link", name="打开议事会主持页"
    )
    moderator_url = room_link.get_attribute("href")
    assert moderator_url and "/m/" in moderator_url

    # 4. The session runs on the moderator console: a decision and an action.
    mod = pages.open(moderator_url, width=1280)
    expect_connected(mod)
    expect(mod.locator("body")).to_contain_text(TITLE)
    mod.get_by_role("button", name="开始会议").click()
    mod.get_by_label("记录一项决定").fill(DECISION)
    mod.get_by_role("button", name="记录决定", exact=True).click()
    expect(mod.locator("#decision-list")).to_contain_text(DECISION)
    mod.get_by_label("新的待办事项").fill(ACTION)
    mod.get_by_label("负责人或部门").fill("住建办")
    mod.get_by_label("完成期限").fill("2030-06-30")
    mod.get_by_role("button", name="添加待办").click()
    expect(mod.locator("#action-list")).to_contain_text(ACTION)
    mod.get_by_label("新的待办事项").fill(LATE_ACTION)  # due long ago: overdue from the start
    mod.get_by_label("负责人或部门").fill("物业")
    mod.get_by_label("完成期限").fill("2024-01-31")
    # A date already past is asked about, not taken silently: first she says no...
    asked: list[str] = []
    mod.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    mod.get_by_role("button", name="添加待办").click()
    expect(mod.get_by_label("完成期限")).to_be_focused()
    assert asked == [
        "完成期限 2024-01-31 已经过去了。是填错了年份或日期吗？确定仍按这个期限添加？"
    ], asked
    expect(mod.locator("#action-list")).not_to_contain_text(LATE_ACTION)
    confirm_next_dialog(mod)  # ...then she means it
    mod.get_by_role("button", name="添加待办").click()
    expect(mod.locator("#action-list")).to_contain_text(LATE_ACTION)

    # 5. Not before the meeting has taken place: then staff link the room's decisions,
    # then its actions.
    card = staff.locator(f'#st-list [data-topic="{topic_id}"]')
    card.get_by_label("下一步").select_option("deliberated")
    card.get_by_role("button", name="确定").click()
    expect(card.get_by_role("alert")).to_have_text(
        "会议还没有开：请先在议事会主持页开始并结束会议，再标记为已协商。"
    )
    expect(card.locator(".tag-state")).to_have_text("已安排议事")
    watcher.reload()
    expect(watcher.locator('[data-figure="sessions"] .fig-value')).to_have_text("0")
    confirm_next_dialog(mod)
    mod.get_by_role("button", name="结束会议").click()
    expect(mod.locator("#room-status")).to_have_text("会议已结束")
    staff_step(staff, topic_id, "deliberated", "已协商")
    staff_step(staff, topic_id, "in_progress", "办理中")

    # 6. The office, given its own link by the moderator, reports it solved.
    staff.get_by_label("身份").select_option("office")
    staff.get_by_label("称呼").fill("住建办")
    staff.get_by_role("button", name="生成链接").click()
    office_url = staff.locator("#pp-result a").get_attribute("href")
    assert office_url
    office = pages.open(office_url, width=1280)
    expect(office.locator("#whoami")).to_have_text("您的身份：承办部门")
    expect(office.locator("#held-section")).to_be_hidden()  # a moderator's work
    office_card = office.locator(f'#st-list [data-topic="{topic_id}"]')
    options = office_card.get_by_label("下一步").locator("option").all_inner_texts()
    assert options == [
        "标记为办理中（关联待办事项）",
        "已解决（需办理结果）",
        "未能解决（需办理结果）",
    ]
    office_card.get_by_label("下一步").select_option("solved")
    office_card.get_by_role("button", name="确定").click()  # the report is required
    expect(office_card.get_by_role("alert")).to_have_text("请填写：办理结果说明（将公开）")
    staff_step(office, topic_id, "solved", "已解决", {"办理结果说明（将公开）": REPORT})

    # 7. The first resident enters her household code and rates it from her phone;
    # after a reload the buttons show her rating and take no second one.
    wang.goto(public_url)
    enter_household_code(wang, wang_code, doors[0])
    card = topic_card(wang, topic_id)
    expect(card.locator(".tag-state")).to_have_text("已解决")
    card.get_by_role("button", name="满意", exact=True).click()
    expect(card.locator(".rate-msg")).to_have_text("已记录您的评价，谢谢。")
    expect(card.locator(".rate-line")).to_have_text("满意 1 · 基本满意 0 · 不满意 0")
    wang.reload()
    card = topic_card(wang, topic_id)
    expect(card.locator(".rate-msg")).to_have_text("您已评价：满意")
    expect(card.locator('.rate-btn[aria-pressed="true"]')).to_have_text("满意")
    expect(card.locator(".rate-btn:disabled")).to_have_count(3)

    # 8. The public page's figures changed accordingly, and the timeline tells the story.
    watcher.reload()
    expect(watcher.locator('[data-figure="satisfaction"] .fig-value')).to_have_text("100%")
    after = figures(watcher)
    assert after == {
        "submitted": "1",
        "sessions": "1",
        "adoption_rate": "100%",
        "solved": "1",
        "solved_rate": "100%",
        "median_days": "0",
        "satisfaction": "100%",
    }
    expect(watcher.locator('[data-figure="satisfaction"] .fig-detail')).to_have_text("（1 人评价）")
    card = topic_card(watcher, topic_id)
    expect(card.locator(".cosign-count")).to_have_text("附议 2 户")
    expect(card.locator(".topic-desc")).to_contain_text("有事请联系我 138****5678")
    expect(watcher.locator("body")).not_to_contain_text("13812345678")
    card.locator("summary").click()
    timeline = card.locator(".timeline")
    for text in (
        "已提交",
        "已受理",
        "已安排议事",
        "已协商",
        "办理中",
        "已解决",
        REPORT,
        DECISION,
        ACTION,
        "住建办",
    ):
        expect(timeline).to_contain_text(text)
    expect(timeline.locator(".tl-actions li.is-overdue")).to_have_count(1)
    expect(timeline.locator(".tl-actions li.is-overdue")).to_contain_text(LATE_ACTION)
    expect(timeline.locator(".tl-actions li.is-overdue .tag-overdue")).to_have_text("已逾期")
    expect(watcher.locator("#fig-note")).to_have_text("有 1 项待办已逾期。")
    for img in ("#chart-by_month", "#chart-by_category", "#chart-funnel", "#com-qr"):
        expect(watcher.locator(img)).to_have_js_property("complete", True)  # loaded, as images
        assert watcher.locator(img).evaluate("img => img.naturalWidth") > 0, img
    # Beside each chart, its numbers as a table (read aloud, zoomed), in large text.
    funnel = watcher.locator("#chart-funnel-table table")
    assert [row.inner_text().split() for row in funnel.locator("tbody tr").all()] == [
        ["提交", "1"],
        ["受理", "1"],
        ["已协商", "1"],
        ["解决", "1"],
    ]
    by_category = watcher.locator("#chart-by_category-table table")
    assert by_category.locator("tbody tr").first.inner_text().split() == ["加装电梯", "1", "1"]
    # The charts' own text, as drawn at 360 px: no label under 18 px (it was about 9 px).
    for img in ("#chart-by_month", "#chart-by_category", "#chart-funnel"):
        svg = watcher.request.get(
            server.base_url + (watcher.locator(img).get_attribute("src") or "")
        )
        sizes = [float(x) for x in re.findall(r'font-size="([\d.]+)"', svg.text())]
        scale = watcher.locator(img).evaluate(
            "i => i.getBoundingClientRect().width / i.naturalWidth"
        )
        assert sizes and min(sizes) * scale >= 18, (img, min(sizes), scale)
    smallest = watcher.evaluate("""() => Math.min(...[...document.querySelectorAll(
        '.chart-numbers th, .chart-numbers td')].map((e) => parseFloat(getComputedStyle(e).fontSize)))""")
    assert smallest >= 18, smallest
    expect(watcher.locator("#submit-link")).to_have_text(f"{public_url}?submit=1")
    watcher.screenshot(path=str(tmp_path / "public-page-360.png"), full_page=True)
    assert_accessible(watcher, "community-public")
    assert not blocked, blocked


def test_export_feed_and_english(server: Server, pages: Pages) -> None:
    community = create_community(server)
    status, raw = server.request(
        "POST",
        f"/api/communities/{community['community_id']}/topics",
        body={
            "title": "楼道灯坏了",
            "description": "5 号楼",
            "device": "resident-device-0001-abcdefgh",
        },
    )
    assert status == 201, raw
    page = pages.open(community["url"], width=1280)
    expect(page.locator("#com-name")).to_have_text(NAME)
    for link, kind in (
        ("导出 CSV", "text/csv"),
        ("导出 JSON", "application/json"),
        ("订阅进展（Atom）", "application/atom+xml"),
    ):
        href = page.get_by_role("link", name=link).get_attribute("href")
        assert href
        response = page.request.get(server.base_url + href)
        assert response.ok and response.headers["content-type"].startswith(kind), href
    page.get_by_role("button", name="Switch to English").click()
    expect(page.get_by_role("heading", name="Results")).to_be_visible()
    expect(page.locator('[data-figure="submitted"] dt')).to_have_text("Topics collected")
    expect(page.locator("#chart-funnel")).to_have_attribute("src", re.compile(r"lang=en"))
    svg = page.request.get(
        server.base_url + (page.locator("#chart-funnel").get_attribute("src") or "")
    )
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"Submitted" in svg.body()
    # English plurals through Intl.PluralRules: "1 topic", not "1 topics".
    expect(page.locator("#topic-count")).to_have_text("1 topic shown")
    expect(page.locator('[data-figure="satisfaction"] .fig-detail')).to_have_text("(0 ratings)")
    expect(page.locator(".cosign-count")).to_have_text("0 households co-signed")


SPAM = "免 费 视 频 在 线 观 看，加微信 abc12345"


def topic_id_in(receipt: str) -> str:
    """The topic id of the number her receipt gives ("第 3 号": t3, as the API names it)."""
    match = re.search(r"第 (\d+) 号", receipt)
    assert match, receipt
    return f"t{match.group(1)}"


def submit(page: Page, title: str, description: str, category: str) -> str:
    """Fill the resident's form and send it; return the answer she reads."""
    page.get_by_label("议题（一句话）").fill(title)
    page.get_by_label("具体情况").fill(description)
    page.locator("#sub-cats").get_by_text(category, exact=True).click()
    expect(page.locator("#sub-done")).to_be_hidden()
    page.get_by_role("button", name="提交议题").click()
    done = page.locator("#sub-done-text")
    expect(done).to_contain_text("已收到")
    return done.inner_text()


def staff_link(staff: Page, role: str, name: str) -> str:
    staff.get_by_label("身份").select_option(role)
    staff.get_by_label("称呼").fill(name)
    staff.get_by_role("button", name="生成链接").click()
    expect(staff.locator("#pp-result")).to_contain_text(name)
    href = staff.locator("#pp-result a").get_attribute("href")
    assert href
    return href


def test_staff_triage_roles_and_clerk_entry(server: Server, pages: Pages) -> None:
    community = create_community(server)
    resident = pages.open(f"{community['url']}?submit=1", width=360)
    # Moderation unsure: she is told it waits for review, and it is not public.
    answer = submit(resident, "免费福利", SPAM, "其他")
    assert "工作人员需要先看一下" in answer
    resident.get_by_role("button", name="再提一个议题").click()
    first = submit(resident, "北门外电动车乱停", "晚上北门外电动车堆满人行道。", "停车")
    parking_id = topic_id_in(first)
    resident.get_by_role("button", name="再提一个议题").click()
    clutter = topic_id_in(submit(resident, "楼道堆物", "5 号楼楼道里堆满纸箱。", "安全"))
    resident.get_by_role("button", name="再提一个议题").click()
    again = topic_id_in(submit(resident, "5 号楼楼道纸箱没人管", "纸箱堵住了消防通道。", "安全"))

    staff = pages.open(community["staff_url"], width=1280)
    held = staff.locator("#held-list > li")
    expect(held).to_have_count(1)
    expect(held).to_contain_text("免费福利")
    expect(held).to_contain_text("疑似广告或诈骗")
    assert_accessible(staff, "community-staff")
    held.get_by_role("button", name="不予公开").click()
    expect(staff.locator("#held-list")).to_have_text("没有待审核的议题。")

    # A decline needs its public reason, and the public timeline shows it.
    card = staff.locator(f'#st-list [data-topic="{parking_id}"]')
    card.get_by_label("下一步").select_option("declined")
    card.get_by_role("button", name="确定").click()
    expect(card.get_by_role("alert")).to_have_text("请填写：不予受理的理由（将公开）")
    staff_step(
        staff,
        parking_id,
        "declined",
        "不予受理",
        {"不予受理的理由（将公开）": "北门外属市政道路，已转交街道城管处理。"},
    )

    # The same problem twice: the second is merged into the first, by its number.
    expect(staff.locator(f'#st-list [data-topic="{again}"]')).to_contain_text(f"第 {again[1:]} 号")
    staff_step(staff, again, "merged", "已合并", {"并入第几号议题（填数字）": clutter[1:]})

    # The clerk enters a household's topic; the clerk's page shows no triage at all.
    clerk = pages.open(staff_link(staff, "clerk", "小周"), width=1280)
    expect(clerk.locator("#whoami")).to_have_text("您的身份：记录员")
    expect(clerk.locator("#held-section")).to_be_hidden()
    expect(clerk.locator("#people-section")).to_be_hidden()
    expect(clerk.locator("#st-list > li")).to_have_count(3)
    expect(clerk.locator("#st-list .step-form")).to_have_count(0)
    clerk.get_by_label("住户（姓名或门牌）").fill("7 号楼 302 张奶奶")
    clerk.locator("#clerk-form").get_by_label("议题（一句话）").fill("小区路灯坏了")
    clerk.get_by_role("button", name="登记议题").click()
    expect(clerk.locator("#ck-result")).to_have_text("请填写：具体情况")
    clerk.locator("#clerk-form").get_by_label("具体情况").fill(
        "7 号楼前的路灯坏了一个月，晚上看不清台阶。"
    )
    clerk.locator("#clerk-form").get_by_label("属于哪一类").select_option("安全")
    clerk.get_by_role("button", name="登记议题").click()
    expect(clerk.locator("#ck-result")).to_contain_text("已收到您的议题")
    expect(clerk.locator("#st-list > li")).to_have_count(4)

    # The public page: the clerk's mark, the filters, the declined reason.
    public = pages.open(community["url"], width=360)
    expect(public.locator("#topic-list > li")).to_have_count(4)
    expect(public.locator("#topic-list")).not_to_contain_text("免费福利")
    merged = public.locator(f'#topic-list [data-topic="{again}"]')
    expect(merged.locator(".tag-state")).to_have_text("已合并")
    merged.locator("summary").click()
    expect(merged.locator(".timeline")).to_contain_text(f"已并入第 {clutter[1:]} 号议题")
    lamp = public.locator("#topic-list > li", has_text="小区路灯坏了")
    expect(lamp).to_contain_text("工作人员代录")
    public.get_by_label("状态").select_option("declined")
    expect(public.locator("#topic-list > li")).to_have_count(1)
    declined = public.locator("#topic-list > li")
    expect(declined.locator(".tag-state")).to_have_text("不予受理")
    expect(declined.get_by_role("button", name="附议")).to_have_count(0)  # closed: no co-signs
    declined.locator("summary").click()
    expect(declined.locator(".timeline")).to_contain_text(
        "理由：北门外属市政道路，已转交街道城管处理。"
    )
    public.get_by_label("状态").select_option("")
    public.get_by_label("类别").select_option("安全")
    expect(public.locator("#topic-list > li")).to_have_count(3)
    public.get_by_label("搜索").fill("路灯")
    public.get_by_role("button", name="筛选").click()
    expect(public.locator("#topic-list > li")).to_have_count(1)
    expect(public.locator("#topic-list")).to_contain_text("小区路灯坏了")
    public.get_by_label("搜索").fill("没有这种议题")
    public.get_by_role("button", name="筛选").click()
    expect(public.locator("#topic-count")).to_have_text("暂时没有符合条件的议题。")
