"""Household codes in real Chromium: a moderator issues and prints a batch on the staff
page; residents enter theirs on a 360 px phone (a wrong code and a code in use on
another phone are told in words); a moderator frees a code for a new phone; a clerk
enters a co-sign for a household in person, which counts once with the household's
own; anonymous support is shown apart."""

from __future__ import annotations

import pytest
from conftest import Pages, Server, assert_accessible
from playwright.sync_api import Page, expect
from test_community import (
    create_community,
    enter_household_code,
    staff_link,
    submit,
    topic_card,
    topic_id_in,
)

pytestmark = pytest.mark.e2e

DOORS = ("5号楼2单元301", "5号楼2单元302")


def issue_codes(staff: Page, *doors: str) -> list[str]:
    """The moderator types the doors and makes the codes; the slips show them once."""
    staff.get_by_label("门牌（每行一户）").fill("\n".join(doors))
    staff.get_by_role("button", name="生成门牌码").click()
    expect(staff.locator("#hs-issue-result")).to_contain_text(f"已生成 {len(doors)} 个门牌码")
    slips = staff.locator("#hs-slip-list .hh-slip")
    expect(slips).to_have_count(len(doors))
    for n, door in enumerate(doors):
        expect(slips.nth(n).locator(".slip-label")).to_have_text(door)
    return [
        code.replace(" ", "")
        for code in staff.locator("#hs-slip-list .slip-code").all_inner_texts()
    ]


def test_household_codes_from_the_staff_page_to_the_phone(server: Server, pages: Pages) -> None:
    community = create_community(server)
    staff = pages.open(community["staff_url"], width=1280)
    expect(staff.locator("#households-section")).to_be_visible()
    expect(staff.locator("#hs-list-note")).to_have_text("还没有发过门牌码。")
    codes = issue_codes(staff, *DOORS)
    assert all(len(code) == 12 and code.isdigit() for code in codes), codes
    expect(staff.get_by_role("button", name="打印门牌码")).to_be_visible()
    expect(staff.locator("#hs-list > li")).to_have_count(2)
    assert_accessible(staff, "community-staff-households")

    # A resident submits a topic; a neighbour enters her code (a typo first) and co-signs.
    author = pages.open(f"{community['url']}?submit=1", width=360)
    topic_id = submit(author, "楼下垃圾桶太少", "5 号楼下只有一个垃圾桶，经常满出来。", "垃圾分类")
    topic_id = topic_id_in(topic_id)
    neighbour = pages.open(community["url"], width=360)
    neighbour.get_by_label("输入您家的门牌码").fill("1234 5678 9012")
    neighbour.get_by_role("button", name="确认门牌码").click()
    expect(neighbour.locator("#hh-error")).to_have_text("门牌码不对，请核对纸条上的 12 位数字。")
    enter_household_code(neighbour, codes[0], DOORS[0])
    assert_accessible(neighbour, "community-household")
    card = topic_card(neighbour, topic_id)
    card.get_by_role("button", name="附议").click()
    expect(card.locator(".cosign-msg")).to_have_text("已附议，谢谢您。")
    expect(card.locator(".cosign-count")).to_have_text("附议 1 户")

    # Her new phone: refused until staff free the code; then it is the same household.
    new_phone = pages.open(community["url"], width=360)
    new_phone.get_by_label("输入您家的门牌码").fill(codes[0])
    new_phone.get_by_role("button", name="确认门牌码").click()
    expect(new_phone.locator("#hh-error")).to_have_text(
        "这个门牌码已在另一台手机上使用。换了手机的话，请找社区工作人员重置。"
    )
    staff.reload()
    first = staff.locator('#hs-list [data-household="h1"]')
    expect(first).to_contain_text("已在手机上使用")
    first.get_by_role("button", name="重置（换手机）").click()
    expect(first).to_contain_text("重置过 1 次")
    new_phone.get_by_role("button", name="确认门牌码").click()
    expect(new_phone.locator("#hh-bound")).to_contain_text(DOORS[0])
    card = topic_card(new_phone, topic_id)
    expect(card.get_by_role("button", name="已附议")).to_be_disabled()

    # The author cannot co-sign her own topic, in words.
    author.goto(community["url"])
    card = topic_card(author, topic_id)
    card.get_by_role("button", name="附议").click()
    expect(card.locator(".cosign-msg")).to_have_text("这是您提的议题，不能自己附议。")

    # A clerk co-signs in person for the second household; once only.
    clerk = pages.open(staff_link(staff, "clerk", "小周"), width=1280)
    expect(clerk.locator("#hs-issue-form")).to_be_hidden()
    clerk.get_by_label("代哪一户").select_option(label=DOORS[1])
    clerk.get_by_label("议题编号").fill(topic_id[1:])  # the number residents see
    clerk.locator("#hc-form").get_by_role("button", name="登记").click()
    expect(clerk.locator("#hc-result")).to_have_text("已代这户附议。")
    clerk.locator("#hc-form").get_by_role("button", name="登记").click()
    expect(clerk.locator("#hc-result")).to_have_text(
        "这户已经附议或评价过这个议题了，每户只计一次。"
    )

    public = pages.open(community["url"], width=360)
    card = topic_card(public, topic_id)
    expect(card.locator(".cosign-count")).to_have_text("附议 2 户（含工作人员代录 1 户）")
    expect(card.locator(".cosign-anon")).to_have_text("")
    public.get_by_role("button", name="Switch to English").click()
    expect(
        public.get_by_role("heading", name="Household code: co-sign and rate as a household")
    ).to_be_visible()
    expect(topic_card(public, topic_id).locator(".cosign-count")).to_have_text(
        "2 households co-signed (1 entered by staff)"
    )
