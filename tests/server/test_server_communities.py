"""Communities over a real `yishi serve`: the issue's flow, refusals, held topics,
clerk entries, merges, exports, and the figures after a restart."""

from __future__ import annotations

import signal
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from communityclient import CommunityApi, device, hold_meeting, run_flow, status_code
from roomharness import ADMIN, ServerProcess


@pytest.fixture
async def capi(server: ServerProcess) -> AsyncIterator[CommunityApi]:
    client = CommunityApi(server.base_url, ADMIN)
    yield client
    await client.aclose()


async def test_the_whole_flow_on_one_node(server: ServerProcess, capi: CommunityApi) -> None:
    await run_flow([capi], [server.ws_base])


SPAM = "免 费 视 频 在 线 观 看，加微信 abc12345"


async def new_community(capi: CommunityApi) -> tuple[str, str]:
    made = await capi.create(categories=["加装电梯", "停车", "其他"])
    return made["community_id"], made["staff_token"]


async def test_moderation_holds_unsure_topics_and_rejects_abuse(capi: CommunityApi) -> None:
    cid, mod = await new_community(capi)
    held = await capi.ok(
        await capi.submit(cid, title="免费福利", description=SPAM, device=device(10))
    )
    assert held["state"] == "held"
    assert (await capi.topics(cid))["topics"] == []
    assert status_code(await capi.get(f"/api/communities/{cid}/topics/{held['topic_id']}")) == (
        404,
        "not_found",
    )
    assert status_code(await capi.get(f"/api/communities/{cid}/held")) == (401, "unauthorized")
    review = await capi.ok(await capi.get(f"/api/communities/{cid}/held", mod))
    assert [t["topic_id"] for t in review["topics"]] == [held["topic_id"]]
    assert "spam" in review["topics"][0]["reasons"]
    refused = await capi.submit(cid, title="物业", description="你他妈的傻逼", device=device(11))
    assert status_code(refused) == (400, "rejected")
    masked = await capi.ok(
        await capi.submit(cid, title="楼道堆物", description="联系我13812345678", device=device(12))
    )
    assert masked["state"] == "submitted"
    assert "13812345678" not in (await capi.topic(cid, masked["topic_id"]))["description"]
    await capi.ok(await capi.move(cid, held["topic_id"], mod, "reject", reason="广告"))
    assert (await capi.ok(await capi.get(f"/api/communities/{cid}/held", mod)))["topics"] == []
    assert (await capi.stats(cid))["submitted"] == 1


async def test_clerk_entries_staff_roles_and_refusals(capi: CommunityApi) -> None:
    cid, mod = await new_community(capi)
    clerk = (await capi.staff(cid, mod, "clerk", "王文书"))["token"]
    office = (await capi.staff(cid, mod, "office", "街道办"))["token"]
    summary = await capi.ok(await capi.get(f"/api/communities/{cid}", clerk))
    assert summary["staff"]["role"] == "clerk" and summary["categories"][0] == "加装电梯"
    entered = await capi.ok(
        await capi.submit(
            cid, title="楼道灯坏了", description="5号楼", household="5-2-301 李奶奶", token=clerk
        )
    )
    topic = await capi.topic(cid, entered["topic_id"])
    assert topic["by_clerk"] is True and topic["timeline"][0]["actor"]["role"] == "clerk"
    tid = entered["topic_id"]
    assert status_code(
        await capi.submit(cid, title="x", description="y", household="h", token=office)
    ) == (403, "forbidden")
    assert status_code(await capi.submit(cid, title="x", description="y")) == (400, "bad_command")
    assert status_code(
        await capi.submit(cid, title="长" * 61, description="y", device=device(20))
    ) == (413, "too_large")
    assert status_code(
        await capi.submit(cid, title="x", description="y", category="无", device=device(20))
    ) == (400, "bad_command")
    assert status_code(await capi.move(cid, tid, "", "accepted")) == (401, "unauthorized")
    assert status_code(await capi.move(cid, tid, "forged.token", "accepted")) == (
        401,
        "unauthorized",
    )
    assert status_code(await capi.move(cid, tid, office, "accepted")) == (403, "forbidden")
    assert status_code(await capi.move(cid, tid, mod, "deliberated")) == (409, "conflict")
    assert status_code(await capi.move(cid, tid, mod, "declined")) == (400, "bad_command")
    assert status_code(await capi.move(cid, "t99", mod, "accepted")) == (404, "not_found")
    assert status_code(await capi.move(cid, tid, mod, "flying")) == (400, "bad_command")
    assert [s["state"] for s in (await capi.topic(cid, tid))["timeline"]] == ["submitted"]
    other, _ = await new_community(capi)
    assert status_code(await capi.move(other, "t1", mod, "accepted")) == (401, "unauthorized")
    assert status_code(await capi.get("/api/communities/nosuch/stats")) == (404, "not_found")
    await capi.ok(await capi.move(cid, tid, mod, "declined", reason="属物业职责，已转交"))
    assert (await capi.topic(cid, tid))["timeline"][-1]["reason"] == "属物业职责，已转交"


async def test_merge_and_cosigns_over_http(capi: CommunityApi) -> None:
    cid, mod = await new_community(capi)
    a = (
        await capi.ok(
            await capi.submit(
                cid, title="停车难", description="晚上没车位", category="停车", device=device(30)
            )
        )
    )["topic_id"]
    b = (
        await capi.ok(
            await capi.submit(
                cid, title="车位不够", description="外来车多", category="停车", device=device(31)
            )
        )
    )["topic_id"]
    slips = await capi.households(cid, mod, "1-101", "1-102", "1-103")
    for slip, dev in zip(slips, (32, 33, 34), strict=True):
        await capi.ok(await capi.claim(cid, slip["code"], device(dev)))
    for dev in (32, 33):
        await capi.ok(await capi.cosign(cid, a, device(dev)))
    for dev in (33, 34):
        await capi.ok(await capi.cosign(cid, b, device(dev)))
    await capi.ok(await capi.move(cid, b, mod, "merged", into=a, reason="同一问题"))
    target, merged = await capi.topic(cid, a), await capi.topic(cid, b)
    assert target["merged"] == [b] and merged["merged_into"] == a
    assert target["cosigns"] == 3  # three households, the one on both topics once
    assert status_code(await capi.cosign(cid, b, device(35))) == (409, "conflict")
    assert status_code(await capi.cosign(cid, a, device(34))) == (409, "conflict")
    assert status_code(await capi.cosign(cid, a, "short")) == (400, "bad_command")
    stats = await capi.stats(cid)
    assert (stats["submitted"], stats["merged"]) == (1, 1)
    listed = await capi.topics(cid, category="停车", state="merged")
    assert [t["topic_id"] for t in listed["topics"]] == [b]


async def test_submissions_are_rate_limited_per_device(capi: CommunityApi) -> None:
    cid, _ = await new_community(capi)
    for n in range(6):
        await capi.ok(
            await capi.submit(cid, title=f"议题{n}", description="说明", device=device(40))
        )
    assert status_code(
        await capi.submit(cid, title="再来", description="说明", device=device(40))
    ) == (429, "rate_limited")
    await capi.ok(await capi.submit(cid, title="别人", description="说明", device=device(41)))


async def test_a_community_is_not_a_room(capi: CommunityApi, server: ServerProcess) -> None:
    cid, _ = await new_community(capi)
    assert status_code(await capi.get(f"/api/rooms/community:{cid}")) == (404, "not_found")
    qr = await capi.get(f"/api/communities/{cid}/qr.svg")
    assert qr.status_code == 200 and qr.text.lstrip().startswith(("<svg", "<?xml"))
    for name in ("by_month", "by_category", "funnel"):
        chart = await capi.get(f"/api/communities/{cid}/charts/{name}.svg")
        assert chart.status_code == 200 and "<svg" in chart.text
    assert (await capi.get(f"/api/communities/{cid}/charts/pie.svg")).status_code == 404
    assert status_code(await capi.post("/api/communities", {"name": "x"})) == (401, "unauthorized")


async def test_figures_survive_a_restart_from_snapshot_and_tail(tmp_path: Path) -> None:
    proc = ServerProcess(tmp_path / "data", env={"YISHI_COMMUNITY_SNAPSHOT_EVERY": "5"})
    proc.start()
    capi = CommunityApi(proc.base_url, ADMIN)
    try:
        flow = await run_flow([capi], [proc.ws_base])
        cid, tid = flow["community_id"], flow["topic_id"]
        before = (
            await capi.stats(cid),
            await capi.topic(cid, tid),
            (await capi.get(f"/api/communities/{cid}/export.json")).json(),
        )
        proc.stop(signal.SIGKILL)  # no snapshot at shutdown: the periodic one, and the tail
        with sqlite3.connect(proc.data_dir / "yishi.db") as db:
            [(snap_seq,)] = db.execute(
                "SELECT seq FROM snapshots WHERE room = ?", (f"community:{cid}",)
            ).fetchall()
            [(last,)] = db.execute(
                "SELECT last_seq FROM rooms WHERE room = ?", (f"community:{cid}",)
            ).fetchall()
        assert 0 < snap_seq < last  # a tail to replay after the snapshot
        proc.start()
        after = (
            await capi.stats(cid),
            await capi.topic(cid, tid),
            (await capi.get(f"/api/communities/{cid}/export.json")).json(),
        )
        assert after == before
    finally:
        await capi.aclose()
        proc.stop()


async def test_bad_list_parameters_get_bad_command(capi: CommunityApi) -> None:
    """Digits Python's int() refuses (a superscript, more than 4300 of them) are bad
    input, not a server error."""
    cid, _ = await new_community(capi)
    for params in (
        {"limit": "²"},
        {"limit": "9" * 5000},
        {"limit": "0"},
        {"after": "t²"},
        {"after": "t" + "9" * 5000},
    ):
        response = await capi.get(f"/api/communities/{cid}/topics", **params)
        assert status_code(response) == (400, "bad_command"), params


async def test_a_topics_place_is_screened_like_its_title(capi: CommunityApi) -> None:
    """The place is public too: personal data in it is masked, abuse refused."""
    cid, _ = await new_community(capi)
    masked = await capi.ok(
        await capi.submit(
            cid,
            title="楼道堆物",
            description="请处理",
            place="3号楼，电话13812345678",
            device=device(50),
        )
    )
    assert "13812345678" not in (await capi.topic(cid, masked["topic_id"]))["place"]
    refused = await capi.submit(
        cid, title="物业", description="请处理", place="你他妈的傻逼", device=device(51)
    )
    assert status_code(refused) == (400, "rejected")


async def test_only_a_room_this_community_scheduled_can_be_linked(
    capi: CommunityApi, server: ServerProcess
) -> None:
    """Linking copies a room's decisions onto the public page: a room of the deployment
    that the community did not make (its minutes perhaps unpublished) is refused."""
    cid, mod = await new_community(capi)
    first, second = [
        (
            await capi.ok(
                await capi.submit(cid, title=title, description="请处理", device=device(60 + n))
            )
        )["topic_id"]
        for n, title in enumerate(("楼道堆物", "车棚漏雨"))
    ]
    for tid in (first, second):
        await capi.ok(await capi.move(cid, tid, mod, "accepted"))
    other = await capi.ok(await capi.post("/api/rooms", {"title": "别的议事会"}, ADMIN))
    refused = await capi.move(cid, first, mod, "scheduled", room_id=other["room_id"])
    assert status_code(refused) == (403, "forbidden")
    assert (await capi.topic(cid, first))["state"] == "accepted"
    made = await capi.ok(await capi.move(cid, first, mod, "scheduled"))
    linked = await capi.ok(await capi.move(cid, second, mod, "scheduled", room_id=made["room_id"]))
    assert linked["room_id"] == made["room_id"]


async def test_a_moderator_revokes_a_staff_link(capi: CommunityApi) -> None:
    """A leaked or departed staff member's link stops working; only a moderator may
    revoke, not their own link, and an unknown id is not_found."""
    cid, mod = await new_community(capi)
    clerk = await capi.staff(cid, mod, "clerk", "王文书")
    office = (await capi.staff(cid, mod, "office", "街道城建科"))["token"]
    me = f"/api/communities/{cid}"
    assert (await capi.ok(await capi.get(me, clerk["token"])))["staff"]["role"] == "clerk"

    async def revoke(staff_id: str, token: str) -> object:
        response = await capi.http.delete(f"{me}/staff/{staff_id}", headers=capi.bearer(token))
        return response.json() if response.status_code == 200 else status_code(response)

    assert await revoke(clerk["staff_id"], office) == (403, "forbidden")
    assert await revoke("s99", mod) == (404, "not_found")
    assert await revoke("s1", mod) == (409, "conflict")  # the founder's own link
    assert await revoke(clerk["staff_id"], mod) == {"staff_id": clerk["staff_id"], "revoked": True}
    assert status_code(await capi.get(me, clerk["token"])) == (401, "unauthorized")
    entry = await capi.submit(
        cid, title="楼道堆物", description="请处理", household="3-201 张", token=clerk["token"]
    )
    assert status_code(entry) == (401, "unauthorized")
    assert (await capi.ok(await capi.get(me, office)))["staff"]["role"] == "office"


async def test_each_role_is_sent_the_steps_the_topic_graph_gives_it(capi: CommunityApi) -> None:
    """The staff page renders the moves it is sent (one topic graph, core/community/
    graph.py), not a copy of its own."""
    cid, mod = await new_community(capi)
    office = (await capi.staff(cid, mod, "office", "街道城建科"))["token"]
    clerk = (await capi.staff(cid, mod, "clerk", "王文书"))["token"]
    me = f"/api/communities/{cid}"

    def steps(summary: dict[str, Any], state: str) -> list[str]:
        return [step["to"] for step in summary["staff"]["moves"].get(state, [])]

    as_mod = await capi.ok(await capi.get(me, mod))
    assert steps(as_mod, "submitted") == ["accepted", "merged", "declined"]
    assert steps(as_mod, "deliberated") == ["scheduled", "in_progress"]
    [scheduled] = [s for s in as_mod["staff"]["moves"]["accepted"] if s["to"] == "scheduled"]
    assert scheduled["fields"] == [
        {"name": "when", "required": True},
        {"name": "place", "required": True},
    ]
    as_office = await capi.ok(await capi.get(me, office))
    assert steps(as_office, "deliberated") == ["in_progress", "solved", "not_solved"]
    assert steps(as_office, "submitted") == []
    assert (await capi.ok(await capi.get(me, clerk)))["staff"]["moves"] == {}
    assert "staff" not in await capi.ok(await capi.get(me))  # nobody's moves in public


async def test_figures_count_meetings_held_triage_and_satisfaction(
    server: ServerProcess, capi: CommunityApi
) -> None:
    """Figures count what their labels say (issue 26): 召开议事会 counts meetings held,
    not scheduled; a topic is marked deliberated only once its meeting took place;
    采纳率 has no figure before anything was triaged; 满意率 is (满意 + 基本满意) over
    all ratings, as 12345 hotlines report it."""
    made = await capi.create(categories=["加装电梯", "其他"])
    cid, mod = made["community_id"], made["staff_token"]
    office = (await capi.staff(cid, mod, "office", "街道办"))["token"]
    clerk = (await capi.staff(cid, mod, "clerk", "王文书"))["token"]
    tid = (
        await capi.ok(
            await capi.submit(cid, title="加装电梯", description="七楼太高", device=device(1))
        )
    )["topic_id"]
    stats = await capi.stats(cid)
    assert (stats["submitted"], stats["triaged"], stats["adoption_rate"]) == (1, 0, None)

    await capi.ok(await capi.move(cid, tid, mod, "accepted"))
    scheduled = await capi.ok(
        await capi.move(cid, tid, mod, "scheduled", when="2099-12-05T19:00", place="社区活动室")
    )
    stats = await capi.stats(cid)
    assert (stats["adoption_rate"], stats["sessions"]) == (1, 0)  # next week's: not held

    early = await capi.move(cid, tid, mod, "deliberated")
    assert status_code(early) == (409, "conflict")
    assert "not taken place" in early.json()["error"]["message"]
    assert (await capi.topic(cid, tid))["state"] == "scheduled"

    await hold_meeting(server.ws_base, scheduled, "同意加装")
    await capi.ok(await capi.move(cid, tid, mod, "deliberated"))
    assert (await capi.stats(cid))["sessions"] == 1
    assert (await capi.topic(cid, tid))["rooms"][0]["decisions"] == ["同意加装"]

    await capi.ok(await capi.move(cid, tid, office, "solved", report="已开工"))
    first, second = await capi.households(cid, mod, "301", "302")
    await capi.ok(
        await capi.rate(cid, tid, None, "partly", token=clerk, household=first["household_id"])
    )
    assert (await capi.stats(cid))["satisfaction"]["rate"] == 1  # 基本满意 is satisfied
    await capi.ok(
        await capi.rate(cid, tid, None, "not", token=clerk, household=second["household_id"])
    )
    assert (await capi.stats(cid))["satisfaction"] == {
        "satisfied": 0,
        "partly": 1,
        "not": 1,
        "rate": 0.5,
    }


async def test_a_masked_phone_number_is_said_to_her_and_kept_for_staff(capi: CommunityApi) -> None:
    """Her receipt says what the public page shows of her number (masked) and gives her
    a number to quote; staff, and only staff, read the number to call her back."""
    cid, mod = await new_community(capi)
    clerk = (await capi.staff(cid, mod, "clerk", "王文书"))["token"]
    made = await capi.ok(
        await capi.submit(
            cid, title="楼道灯坏了", description="有事请联系我 13812345678", device=device(70)
        )
    )
    assert made["number"] == 1
    assert made["private"] == [{"kind": "phone", "shown": "138****5678"}]
    tid = made["topic_id"]
    assert (await capi.topic(cid, tid))["description"] == "有事请联系我 138****5678"
    path = f"/api/communities/{cid}/contacts"
    assert status_code(await capi.get(path)) == (401, "unauthorized")
    for token in (mod, clerk):
        assert (await capi.ok(await capi.get(path, token)))["contacts"] == {tid: "13812345678"}
    exported = (await capi.get(f"/api/communities/{cid}/export.json")).text
    assert (
        "13812345678" not in exported
        and "13812345678" not in (await capi.get(f"/api/communities/{cid}/export.csv")).text
    )
    plain = await capi.ok(
        await capi.submit(cid, title="车棚漏雨", description="请修一下", device=device(71))
    )
    assert (plain["number"], plain["private"]) == (2, [])
