"""Co-signs and ratings that mean people (rules 2): household codes bound to a phone,
a clerk's entry in person, anonymous support shown apart and never counted, no
co-sign of one's own topic; and communities of rules 1 replaying as they were."""

from __future__ import annotations

from datetime import date

from communitybuilder import Community
from yishi.core.community import views
from yishi.core.community.figures import figures
from yishi.core.community.reducer import replay
from yishi.core.community.support import device_support, staff_households

CLERK, OFFICE = "s3", "s2"


def never_overdue(due: str | None, status: str, today: date) -> bool:
    return False


def with_households(*labels: str) -> Community:
    """A rules 2 community with households h1.. (codes ``code-h1``..) and a topic t1
    submitted from ``dev-author``."""
    c = Community.create(rules_version=2)
    c.ok(
        "household.issue",
        "s1",
        labels=list(labels),
        codes=[f"code-h{n + 1}" for n in range(len(labels))],
    )
    c.submit("加装电梯", device="dev-author")
    return c


def claim(c: Community, household: str, device: str) -> object:
    return c.ok("household.claim", None, code=f"code-{household}", device=device)


def test_forged_devices_are_anonymous_support_never_counted() -> None:
    c = with_households("5号楼2单元301")
    for n in range(12):
        got = c.ok("topic.cosign", None, topic_id="t1", device=f"forged-{n}")
        assert got["counted"] is False
    summary = views.summary(c.state.topics["t1"])
    assert (summary["cosigns"], summary["anonymous_cosigns"]) == (0, 12)
    assert (
        c.fail("topic.cosign", None, "conflict", topic_id="t1", device="forged-3")
        == "already co-signed from this device"
    )


def test_a_household_counts_once_whichever_device() -> None:
    c = with_households("5号楼2单元301", "5号楼2单元302")
    assert claim(c, "h1", "phone-a") == {"household_id": "h1", "label": "5号楼2单元301"}
    assert claim(c, "h1", "phone-a") == {"household_id": "h1", "label": "5号楼2单元301"}
    assert "another phone" in c.fail(
        "household.claim", None, "forbidden", code="code-h1", device="phone-b"
    )
    assert (
        c.fail("household.claim", None, "unauthorized", code="code-h9", device="phone-b")
        == "unknown household code"
    )
    assert "another household" in c.fail(
        "household.claim", None, "conflict", code="code-h2", device="phone-a"
    )
    assert c.ok("topic.cosign", None, topic_id="t1", device="phone-a")["counted"] is True
    # A new phone: staff free the code, the new phone binds it, and it is the same household.
    c.ok("household.reset", "s1", household_id="h1")
    claim(c, "h1", "phone-b")
    assert (
        c.fail("topic.cosign", None, "conflict", topic_id="t1", device="phone-b")
        == "already co-signed by this household"
    )
    assert c.ok("topic.cosign", None, topic_id="t1", device="phone-a")["counted"] is False
    assert views.summary(c.state.topics["t1"])["cosigns"] == 1
    assert staff_households(c.state)[0] == {
        "household_id": "h1",
        "label": "5号楼2单元301",
        "bound": True,
        "resets": 1,
        "issued_at": c.state.households["h1"].issued_at,
    }


def test_anonymous_support_becomes_the_households_once_her_code_is_entered() -> None:
    c = with_households("301")
    c.ok("topic.cosign", None, topic_id="t1", device="phone-a")
    claim(c, "h1", "phone-a")
    assert c.ok("topic.cosign", None, topic_id="t1", device="phone-a") == {
        "cosigns": 1,
        "anonymous_cosigns": 0,
        "counted": True,
    }


def test_the_author_cannot_cosign_by_device_or_by_household() -> None:
    c = Community.create(rules_version=2)
    c.ok("household.issue", "s1", labels=["301"], codes=["code-h1"])
    c.ok("household.claim", None, code="code-h1", device="dev-author")
    tid = c.submit("加装电梯", device="dev-author")
    assert (
        c.fail("topic.cosign", None, "forbidden", topic_id=tid, device="dev-author")
        == "the author of a topic cannot co-sign it"
    )
    c.ok("household.reset", "s1", household_id="h1")
    claim(c, "h1", "phone-new")  # the author's household, on another phone
    c.fail("topic.cosign", None, "forbidden", topic_id=tid, device="phone-new")
    c.fail("topic.cosign", CLERK, "forbidden", topic_id=tid, household="h1")
    # An anonymous author's device is refused too.
    other = c.submit("停车", device="dev-anon-author")
    c.fail("topic.cosign", None, "forbidden", topic_id=other, device="dev-anon-author")


def test_a_clerks_entry_counts_once_per_household_and_is_marked() -> None:
    c = with_households("7号楼302 张奶奶", "7号楼303")
    assert c.ok("topic.cosign", CLERK, topic_id="t1", household="h1")["counted"] is True
    assert (
        c.fail("topic.cosign", CLERK, "conflict", topic_id="t1", household="h1")
        == "already co-signed by this household"
    )
    claim(c, "h1", "phone-zhang")  # her grandson's phone later: still one household
    c.fail("topic.cosign", None, "conflict", topic_id="t1", device="phone-zhang")
    c.fail("topic.cosign", CLERK, "not_found", topic_id="t1", household="h9")
    c.fail("topic.cosign", CLERK, "bad_command", topic_id="t1")
    c.fail("topic.cosign", CLERK, "bad_command", topic_id="t1", household="h2", device="d")
    c.fail("topic.cosign", OFFICE, "forbidden", topic_id="t1", household="h2")
    c.fail("topic.cosign", None, "forbidden", topic_id="t1", household="h2", device="d")
    summary = views.summary(c.state.topics["t1"])
    assert (summary["cosigns"], summary["clerk_cosigns"]) == (1, 1)


def test_ratings_count_households_only() -> None:
    c = with_households("301", "302")
    c.to_state("t1", "solved")
    claim(c, "h1", "phone-a")
    c.ok("topic.rate", None, topic_id="t1", device="phone-a", rating="satisfied")
    c.ok("topic.rate", CLERK, topic_id="t1", household="h2", rating="not")
    c.fail("topic.rate", CLERK, "conflict", topic_id="t1", household="h1", rating="not")
    for n in range(12):
        c.ok("topic.rate", None, topic_id="t1", device=f"forged-{n}", rating="satisfied")
    got = figures(c.state, today=date(2026, 1, 2), is_overdue=never_overdue)
    assert got["satisfaction"] == {"satisfied": 1, "partly": 0, "not": 1, "rate": 0.5}
    summary = views.summary(c.state.topics["t1"])
    assert summary["anonymous_ratings"] == {"satisfied": 12, "partly": 0, "not": 0}
    [row] = views.export_rows(c.state)
    assert (row["satisfied"], row["not"], row["anonymous_ratings"]) == (1, 1, 12)


def test_what_a_device_gave_is_read_back_for_its_page() -> None:
    c = with_households("301")
    c.submit("停车", device="dev-author")
    c.to_state("t2", "solved")
    c.ok("topic.cosign", None, topic_id="t1", device="phone-a")  # anonymous
    claim(c, "h1", "phone-a")
    c.ok("topic.rate", None, topic_id="t2", device="phone-a", rating="partly")
    claim(c, "h1", "phone-a")
    assert device_support(c.state, "phone-a") == {
        "household": {"household_id": "h1", "label": "301"},
        "cosigned": ["t1"],
        "rated": {"t2": "partly"},
    }
    assert device_support(c.state, "stranger") == {"household": None, "cosigned": [], "rated": {}}


def test_merging_keeps_each_supporter_once() -> None:
    c = with_households("301", "302")
    dup = c.submit("电梯", device="dev-author-2")
    claim(c, "h1", "phone-a")
    for tid in ("t1", dup):
        c.ok("topic.cosign", None, topic_id=tid, device="phone-a")
        c.ok("topic.cosign", None, topic_id=tid, device="anon")
    c.ok("topic.cosign", CLERK, topic_id=dup, household="h2")
    c.move(dup, "merged", into="t1")
    summary = views.summary(c.state.topics["t1"])
    assert (summary["cosigns"], summary["clerk_cosigns"], summary["anonymous_cosigns"]) == (2, 1, 1)


def test_only_moderators_issue_and_free_codes() -> None:
    c = with_households("301")
    c.fail("household.issue", CLERK, "forbidden", labels=["302"], codes=["code-x"])
    c.fail("household.issue", None, "unauthorized", labels=["302"], codes=["code-x"])
    c.fail("household.issue", "s1", "conflict", labels=["302"], codes=["code-h1"])
    c.fail("household.reset", CLERK, "forbidden", household_id="h1")
    c.fail("household.reset", "s1", "not_found", household_id="h9")
    outcome = c.send("household.issue", "s1", labels=["302", "303"], codes=["code-y"])
    assert outcome.error is not None and c.state.faults[-1][1] == "household.issue"


def test_a_community_of_rules_1_replays_as_it_was() -> None:
    """An old log (no rules_version): a device counts, an author may co-sign, and
    households are not issued there."""
    c = Community.create()
    tid = c.submit("加装电梯", device="dev-author")
    assert c.ok("topic.cosign", None, topic_id=tid, device="dev-author")["counted"] is True
    for n in range(3):
        c.ok("topic.cosign", None, topic_id=tid, device=f"d{n}")
    assert views.summary(c.state.topics[tid])["cosigns"] == 4
    for kind, args in (
        ("household.issue", {"labels": ["301"], "codes": ["code-h1"]}),
        ("household.claim", {"code": "code-h1", "device": "d1"}),
        ("household.reset", {"household_id": "h1"}),
    ):
        assert "rules version 2" in c.fail(
            kind, "s1" if kind != "household.claim" else None, "conflict", **args
        )
    c.fail("topic.cosign", CLERK, "conflict", topic_id=tid, household="h1")
    assert views.community_wire(c.state)["household_codes"] is False
    assert replay("c1", c.entries) == c.state


def test_replay_of_a_rules_2_log_gives_the_same_state() -> None:
    c = with_households("301", "302")
    claim(c, "h1", "phone-a")
    c.ok("topic.cosign", None, topic_id="t1", device="phone-a")
    c.ok("topic.cosign", CLERK, topic_id="t1", household="h2")
    c.ok("topic.cosign", None, topic_id="t1", device="anon")
    c.ok("household.reset", "s1", household_id="h1")
    assert replay("c1", c.entries) == c.state
