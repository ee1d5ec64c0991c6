"""The community core: every transition of the graph, allowed and refused, by role;
merges, declines, device binding, the figures against hand-computed values, replay."""

from __future__ import annotations

import copy
from datetime import date

import pytest
from communitybuilder import Community, day
from hypothesis import given
from hypothesis import strategies as st
from yishi.core.community import views
from yishi.core.community.figures import figures
from yishi.core.community.reducer import replay
from yishi.core.community.rules import GRAPH
from yishi.core.community.state import STATES, month_of

ROLES = {"s1": "moderator", "s2": "office", "s3": "clerk"}
ARGS = {
    "merged": {"into": "t1"},
    "declined": {"reason": "不属于社区事务"},
    "scheduled": {"room_id": "room-new"},
    "solved": {"report": "已完成"},
    "not_solved": {"report": "资金未落实"},
}


def never_overdue(due: str | None, status: str, today: date) -> bool:
    return False


def overdue_rule(due: str | None, status: str, today: date) -> bool:
    return bool(due) and status not in ("done", "dropped") and date.fromisoformat(str(due)) < today


def topic_in(state: str) -> tuple[Community, str]:
    """A community whose topic t2 is in ``state`` (t1 stays submitted: a merge target)."""
    c = Community.create()
    c.submit("目标议题", device="dev-target")
    tid = c.submit("议题", status="held" if state in ("held", "rejected") else "submitted")
    c.to_state(tid, state)
    assert c.state.topics[tid].state == state
    return c, tid


@pytest.mark.parametrize("to", sorted(GRAPH))
@pytest.mark.parametrize("source", STATES)
@pytest.mark.parametrize("actor", sorted(ROLES))
def test_every_transition_by_every_role(source: str, to: str, actor: str) -> None:
    c, tid = topic_in(source)
    move = GRAPH[to]
    args = ARGS.get(to, {})
    if ROLES[actor] not in move.roles:
        message = c.fail("topic.transition", actor, "forbidden", topic_id=tid, to=to, **args)
        assert ROLES[actor] in message
    elif source not in move.sources:
        message = c.fail("topic.transition", actor, "conflict", topic_id=tid, to=to, **args)
        assert f"a {source} topic cannot become {to}" == message
    else:
        result = c.move(tid, to, actor, **args)
        topic = c.state.topics[tid]
        assert result["state"] == topic.state == move.state
        step = topic.timeline[-1]
        assert (step.state, step.role) == (move.state, ROLES[actor])
        assert step.at == c.at


def test_residents_and_unknown_staff_cannot_move_topics() -> None:
    c, tid = topic_in("submitted")
    c.fail("topic.transition", None, "unauthorized", topic_id=tid, to="accepted")
    c.fail("topic.transition", "s9", "unauthorized", topic_id=tid, to="accepted")
    c.fail("topic.transition", "s1", "not_found", topic_id="t99", to="accepted")


def test_required_arguments_are_refused_clearly_and_change_nothing() -> None:
    c, tid = topic_in("submitted")
    assert "public reason" in c.fail(
        "topic.transition", "s1", "bad_command", topic_id=tid, to="declined"
    )
    assert "into" in c.fail("topic.transition", "s1", "bad_command", topic_id=tid, to="merged")
    c.move(tid, "accepted")
    assert "room_id" in c.fail(
        "topic.transition", "s1", "bad_command", topic_id=tid, to="scheduled"
    )
    c.move(tid, "scheduled", room_id="r1")
    c.move(tid, "deliberated")
    assert "report" in c.fail("topic.transition", "s2", "bad_command", topic_id=tid, to="solved")


def test_a_declined_topic_carries_its_public_reason() -> None:
    c, tid = topic_in("submitted")
    c.move(tid, "declined", reason="属于物业职责，已转物业")
    topic = c.state.topics[tid]
    assert views.step_wire(topic.timeline[-1]) == {
        "at": c.at,
        "state": "declined",
        "actor": {"role": "moderator", "name": "社区"},
        "reason": "属于物业职责，已转物业",
    }
    assert views.export_rows(c.state)[1]["declined_reason"] == "属于物业职责，已转物业"
    c.fail("topic.cosign", None, "conflict", topic_id=tid, device="d9")


def test_merge_points_both_ways_and_unions_cosigners_once_per_device() -> None:
    c = Community.create()
    target, dup = c.submit("加装电梯A"), c.submit("加装电梯B", device="dev-b")
    for dev in ("d1", "d2"):
        c.ok("topic.cosign", None, topic_id=target, device=dev)
    for dev in ("d2", "d3"):
        c.ok("topic.cosign", None, topic_id=dup, device=dev)
    c.move(dup, "merged", into=target, reason="同一部电梯")
    t, d = c.state.topics[target], c.state.topics[dup]
    assert d.merged_into == target and t.merged == [dup] and d.state == "merged"
    assert len(t.cosigners) == 3  # d1, d2 (both topics: once), d3
    assert d.timeline[-1].into == target
    assert "merged into t1" in c.fail("topic.cosign", None, "conflict", topic_id=dup, device="d4")
    assert (
        c.fail("topic.cosign", None, "conflict", topic_id=target, device="d3")
        == "already co-signed from this device"
    )
    # Not into itself, an unknown or hidden topic, a merged one, or a declined one.
    other = c.submit("停车")
    c.fail("topic.transition", "s1", "conflict", topic_id=other, to="merged", into=other)
    c.fail("topic.transition", "s1", "not_found", topic_id=other, to="merged", into="t99")
    held = c.submit("被暂扣", status="held")
    c.fail("topic.transition", "s1", "not_found", topic_id=other, to="merged", into=held)
    assert "merged into t1" in c.fail(
        "topic.transition", "s1", "conflict", topic_id=other, to="merged", into=dup
    )
    declined = c.submit("不受理")
    c.move(declined, "declined", reason="非社区事务")
    c.fail("topic.transition", "s1", "conflict", topic_id=other, to="merged", into=declined)


def test_cosigns_one_per_device_while_open() -> None:
    c, tid = topic_in("submitted")
    assert c.ok("topic.cosign", None, topic_id=tid, device="d1")["cosigns"] == 1
    assert (
        c.fail("topic.cosign", None, "conflict", topic_id=tid, device="d1")
        == "already co-signed from this device"
    )
    assert c.ok("topic.cosign", None, topic_id=tid, device="d2")["cosigns"] == 2
    c.fail("topic.cosign", None, "not_found", topic_id="t99", device="d1")
    held_c, held_tid = topic_in("held")
    held_c.fail("topic.cosign", None, "not_found", topic_id=held_tid, device="d1")
    for state in ("solved", "not_solved", "declined"):
        done, done_tid = topic_in(state)
        done.fail("topic.cosign", None, "conflict", topic_id=done_tid, device="d1")


def test_ratings_once_per_device_and_only_when_solved_or_not() -> None:
    c, tid = topic_in("in_progress")
    assert "once it is solved" in c.fail(
        "topic.rate", None, "conflict", topic_id=tid, device="d1", rating="satisfied"
    )
    c.move(tid, "solved", "s2", report="已完成")
    assert c.ok("topic.rate", None, topic_id=tid, device="d1", rating="satisfied")["ratings"] == {
        "satisfied": 1,
        "partly": 0,
        "not": 0,
    }
    assert (
        c.fail("topic.rate", None, "conflict", topic_id=tid, device="d1", rating="not")
        == "already rated from this device"
    )
    assert c.ok("topic.rate", None, topic_id=tid, device="d2", rating="partly")["ratings"] == {
        "satisfied": 1,
        "partly": 1,
        "not": 0,
    }


def test_clerk_entries_are_marked_and_only_clerks_make_them() -> None:
    c = Community.create()
    result = c.ok(
        "topic.submit",
        "s3",
        title="楼道灯坏了",
        description="5号楼2单元",
        household="5-2-301 李奶奶",
        category="其他",
    )
    topic = c.state.topics[result["topic_id"]]
    assert topic.by_clerk and topic.household == "5-2-301 李奶奶" and topic.device is None
    shown = views.detail(topic, today=date(2026, 1, 1), is_overdue=never_overdue)
    assert shown["by_clerk"] and "household" not in shown  # staff only
    assert views.staff_view(topic)["household"] == "5-2-301 李奶奶"
    assert topic.timeline[0].role == "clerk" and topic.timeline[0].name == "王文书"
    c.fail("topic.submit", "s1", "forbidden", title="x", description="y", household="h")
    c.fail("topic.submit", "s3", "bad_command", title="x", description="y")
    c.fail("topic.submit", None, "bad_command", title="x", description="y")  # no device
    c.fail("topic.submit", None, "forbidden", title="x", description="y", device="d", household="h")
    c.fail(
        "topic.submit",
        None,
        "bad_command",
        title="x",
        description="y",
        device="d",
        category="不存在",
    )


def test_held_topics_are_hidden_until_released() -> None:
    c = Community.create()
    tid = c.submit("可疑", status="held")
    assert views.listing(c.state)[0] == [] and views.held(c.state)[0]["topic_id"] == tid
    assert figures(c.state, today=date(2026, 1, 1), is_overdue=never_overdue)["submitted"] == 0
    c.move(tid, "release", reason="误判")
    assert [t["topic_id"] for t in views.listing(c.state)[0]] == [tid]
    assert c.state.topics[tid].state == "submitted" and views.held(c.state) == []


def test_staff_are_added_by_moderators_only() -> None:
    c = Community.create()
    c.fail("staff.add", "s2", "forbidden", role="office", name="x")
    c.fail("staff.add", None, "unauthorized", role="office", name="x")
    c.fail("community.create", None, "conflict", name="again")
    assert c.ok("staff.add", "s1", role="moderator", name="二号")["staff_id"] == "s4"


def figures_scenario() -> Community:
    """The hand-computed scenario of ``test_figures_by_hand`` (UTC calendar)."""
    c = Community.create()
    t1 = c.submit("t1", category="停车", at=day("2026-01-05"))
    t2 = c.submit("t2", category="停车", at=day("2026-01-10"))
    c.to_state(t1, "in_progress")
    c.move(t1, "solved", "s2", at=day("2026-01-15"), report="已划线")  # 10 days
    c.ok("topic.rate", None, topic_id=t1, device="a", rating="satisfied")
    c.ok("topic.rate", None, topic_id=t1, device="b", rating="partly")
    t3 = c.submit("t3", category="加装电梯", at=day("2026-01-20"))
    c.move(t3, "declined", reason="已在规划")
    c.move(t2, "accepted")
    c.move(t2, "declined", reason="资金不足")
    t4 = c.submit("t4", at=day("2026-02-03"))
    c.move(t4, "merged", into=t1)
    t5 = c.submit("t5", at=day("2026-02-10"))
    c.to_state(t5, "deliberated")
    c.move(t5, "solved", "s2", at=day("2026-02-14"), report="已完成")  # 4 days
    c.ok("topic.rate", None, topic_id=t5, device="a", rating="not")
    c.ok("topic.rate", None, topic_id=t5, device="c", rating="satisfied")
    t6 = c.submit("t6", category="其他", status="held", at=day("2026-02-11"))
    c.move(t6, "reject")
    t7 = c.submit("t7", category="其他", status="held", at=day("2026-02-12"))
    c.move(t7, "release")
    t8 = c.submit("t8", category="停车", at=day("2026-02-20"))
    c.to_state(t8, "not_solved")
    t9 = c.submit("t9", category="停车", at=day("2026-02-25"))
    c.to_state(t9, "deliberated")
    c.move(
        t9,
        "in_progress",
        "s2",
        actions=[
            {
                "action_id": "a1",
                "title": "清理",
                "owner": "物业",
                "due": "2026-02-26",
                "status": "open",
            },
            {
                "action_id": "a2",
                "title": "公示",
                "owner": "居委",
                "due": "2026-02-26",
                "status": "done",
            },
        ],
    )
    return c


def test_figures_by_hand() -> None:
    c = figures_scenario()
    got = figures(c.state, today=date(2026, 3, 1), is_overdue=overdue_rule)
    # Counted: t1 t2 t3 t5 t7 t8 t9 (t4 merged: only in `merged`; t6 rejected: nowhere).
    assert {k: v for k, v in got.items() if not k.startswith("by_")} == {
        "submitted": 7,
        "accepted": 5,
        "declined": 2,
        "merged": 1,
        "sessions": 4,
        "deliberated": 4,
        "solved": 2,
        "not_solved": 1,
        "triaged": 6,  # all but t7, which nobody has decided on yet
        "adoption_rate": 0.8333,  # 5 / 6
        "solved_rate": 0.4,  # 2 / 5
        "median_days_to_solve": 7.0,  # (10 + 4) / 2
        "satisfaction": {"satisfied": 2, "partly": 1, "not": 1, "rate": 0.75},  # (2 + 1) / 4
        "overdue_actions": 1,
    }  # t9's a1 (a2 is done)
    parking = got["by_category"]["停车"]  # t1 t2 t8 t9
    assert (
        parking["submitted"],
        parking["accepted"],
        parking["adoption_rate"],
        parking["declined"],
        parking["sessions"],
        parking["solved"],
        parking["not_solved"],
        parking["solved_rate"],
        parking["median_days_to_solve"],
        parking["overdue_actions"],
    ) == (4, 4, 1.0, 1, 3, 1, 1, 0.25, 10.0, 1)
    lift = got["by_category"]["加装电梯"]  # t3 t5, t4 merged
    assert (
        lift["submitted"],
        lift["accepted"],
        lift["adoption_rate"],
        lift["merged"],
        lift["solved_rate"],
        lift["median_days_to_solve"],
        lift["satisfaction"],
    ) == (2, 1, 0.5, 1, 1.0, 4.0, {"satisfied": 1, "partly": 0, "not": 1, "rate": 0.5})
    other = got["by_category"]["其他"]  # t7 (t6 rejected)
    assert (
        other["submitted"],
        other["adoption_rate"],
        other["solved_rate"],
        other["median_days_to_solve"],
        other["satisfaction"]["rate"],
    ) == (1, None, None, None, None)  # nothing triaged: no adoption rate, not 0%
    january, february = got["by_month"]["2026-01"], got["by_month"]["2026-02"]
    assert (
        january["submitted"],
        january["accepted"],
        january["adoption_rate"],
        january["declined"],
        january["solved_rate"],
        january["median_days_to_solve"],
    ) == (3, 2, 0.6667, 2, 0.5, 10.0)
    assert (
        february["submitted"],
        february["merged"],
        february["accepted"],
        february["adoption_rate"],
        february["sessions"],
        february["solved_rate"],
        february["median_days_to_solve"],
        february["overdue_actions"],
    ) == (4, 1, 3, 1.0, 3, 0.3333, 4.0, 1)
    assert list(got["by_month"]) == ["2026-01", "2026-02"]


def test_a_meeting_counts_once_held_not_when_scheduled() -> None:
    c = Community.create()
    tid = c.submit("加装电梯")
    c.move(tid, "accepted")
    c.move(tid, "scheduled", room_id="r-lift")
    assert figures(c.state, today=date(2026, 1, 1), is_overdue=never_overdue)["sessions"] == 0
    c.move(tid, "deliberated")
    assert figures(c.state, today=date(2026, 1, 1), is_overdue=never_overdue)["sessions"] == 1


def test_figures_of_an_empty_community_are_null_rates() -> None:
    got = figures(Community.create().state, today=date(2026, 1, 1), is_overdue=never_overdue)
    assert got["submitted"] == 0 and got["adoption_rate"] is None
    assert got["solved_rate"] is None and got["median_days_to_solve"] is None
    assert got["satisfaction"]["rate"] is None and got["by_month"] == {}


def test_listing_filters_and_pages() -> None:
    c = figures_scenario()
    ids = lambda page: [t["topic_id"] for t in page]  # noqa: E731
    assert ids(views.listing(c.state)[0]) == ["t9", "t8", "t7", "t5", "t4", "t3", "t2", "t1"]
    assert ids(views.listing(c.state, status="declined")[0]) == ["t3", "t2"]
    assert ids(views.listing(c.state, category="停车", month="2026-02")[0]) == ["t9", "t8"]
    assert ids(views.listing(c.state, q="T5")[0]) == ["t5"]
    page, after = views.listing(c.state, limit=3)
    assert ids(page) == ["t9", "t8", "t7"] and after == "t7"
    assert ids(views.listing(c.state, limit=3, after=after)[0]) == ["t5", "t4", "t3"]
    assert views.listing(c.state, status="solved", limit=2)[1] is None
    with pytest.raises(Exception, match="state must be one of"):
        views.listing(c.state, status="held")


def test_a_follow_up_session_is_linked_in_order() -> None:
    c, tid = topic_in("not_solved")
    c.move(tid, "scheduled", room_id="room-2", when="2026-03-01T19:00", place="活动室")
    topic = c.state.topics[tid]
    assert [s.room_id for s in topic.sessions] == [f"room-{tid}", "room-2"]
    c.move(tid, "deliberated", decisions=["再议"])
    c.fail("topic.transition", "s1", "conflict", topic_id=tid, to="scheduled", room_id="room-2")
    detail = views.detail(topic, today=date(2026, 1, 1), is_overdue=never_overdue)
    assert [r["room_id"] for r in detail["rooms"]] == [f"room-{tid}", "room-2"]
    assert detail["rooms"][1]["decisions"] == ["再议"] and detail["rooms"][1]["place"] == "活动室"


def test_live_action_statuses_override_the_copied_ones() -> None:
    c = figures_scenario()
    topic = c.state.topics["t9"]
    copied = views.detail(topic, today=date(2026, 3, 1), is_overdue=overdue_rule)
    assert [a["overdue"] for a in copied["rooms"][0]["actions"]] == [True, False]
    live = views.detail(
        topic, today=date(2026, 3, 1), is_overdue=overdue_rule, live=lambda room, action: "done"
    )
    assert [(a["status"], a["overdue"]) for a in live["rooms"][0]["actions"]] == [
        ("done", False),
        ("done", False),
    ]


def test_months_follow_the_community_calendar() -> None:
    assert month_of(day("2026-01-31", hour=17), 0) == "2026-01"
    assert month_of(day("2026-01-31", hour=17), 8 * 60) == "2026-02"  # 01:00 in Shanghai
    assert month_of(day("2024-02-29"), 0) == "2024-02"
    assert month_of(day("1999-12-31", hour=23), 60) == "2000-01"


def test_faults_are_recorded_and_change_nothing_else() -> None:
    c = Community.create()
    before = copy.deepcopy(c.state)
    outcome = c.send("topic.explode", None)
    assert outcome.error is not None and c.state.faults == [(c.state.entry_seq, "topic.explode")]
    c.send("topic.submit", None, title=5)
    assert len(c.state.faults) == 2
    before.entry_seq, before.last_at, before.faults = (
        c.state.entry_seq,
        c.state.last_at,
        c.state.faults,
    )
    assert before == c.state


def test_the_feed_names_each_change_once_newest_first() -> None:
    c, tid = topic_in("in_progress")
    c.move(tid, "in_progress", "s2", report="进展")
    c.move(tid, "in_progress", "s2", report="进展")  # the same report again: another change
    listed = [(t.topic_id, i, s.state) for t, i, s in views.changes(c.state)]
    assert listed[:2] == [(tid, 6, "in_progress"), (tid, 5, "in_progress")]
    assert len(set(listed)) == len(listed)
    held_c, _ = topic_in("held")
    assert all(s.state != "held" for _, _, s in views.changes(held_c.state))


def test_replay_gives_identical_state() -> None:
    c = figures_scenario()
    assert replay("c1", c.entries) == c.state


OPS = st.lists(
    st.tuples(
        st.sampled_from(["submit", "cosign", "rate", "move"]),
        st.integers(1, 6),
        st.sampled_from(sorted(GRAPH)),
        st.sampled_from(sorted(ROLES)),
        st.integers(0, 3),
    ),
    max_size=40,
)


@given(OPS)
def test_any_sequence_replays_to_the_same_state(ops: list[tuple[str, int, str, str, int]]) -> None:
    c = Community.create()
    for op, n, to, actor, dev in ops:
        c.at += 3_600_000
        if op == "submit":
            c.send(
                "topic.submit",
                None,
                title=f"题{n}",
                description="说明",
                device=f"d{dev}",
                status="held" if n == 6 else "submitted",
            )
        elif op == "cosign":
            c.send("topic.cosign", None, topic_id=f"t{n}", device=f"d{dev}")
        elif op == "rate":
            c.send("topic.rate", None, topic_id=f"t{n}", device=f"d{dev}", rating="partly")
        else:
            args = dict(ARGS.get(to, {}))
            if to == "scheduled":
                args["room_id"] = f"room-{len(c.entries)}"
            if to == "merged":
                args["into"] = f"t{dev + 1}"
            c.send("topic.transition", actor, topic_id=f"t{n}", to=to, **args)
    assert replay("c1", c.entries) == c.state
    got = figures(c.state, today=date(2026, 6, 1), is_overdue=never_overdue)
    assert got["submitted"] == sum(t["submitted"] for t in got["by_month"].values())
    for topic in c.state.topics.values():  # the indexes agree with the topics
        assert topic.topic_id in c.state.by_state[topic.state]
        for merged in topic.merged:
            assert c.state.topics[merged].merged_into == topic.topic_id
