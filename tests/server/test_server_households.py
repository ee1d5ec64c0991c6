"""Co-signs and ratings that mean people, over a real `yishi serve` (issue 23's attack:
twelve forged devices from one address gave a topic 12 co-signs)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

import pytest
from communityclient import CommunityApi, device, hold_meeting, status_code
from roomharness import ADMIN, ServerProcess


@pytest.fixture
async def capi(server: ServerProcess) -> AsyncIterator[CommunityApi]:
    client = CommunityApi(server.base_url, ADMIN)
    yield client
    await client.aclose()


async def topic_of(capi: CommunityApi) -> tuple[str, str, str]:
    made = await capi.create(categories=["加装电梯", "其他"])
    cid, mod = made["community_id"], made["staff_token"]
    tid = (
        await capi.ok(
            await capi.submit(cid, title="加装电梯", description="七楼太高", device=device(1))
        )
    )["topic_id"]
    return cid, mod, tid


async def test_forged_devices_are_anonymous_and_never_in_the_figures(capi: CommunityApi) -> None:
    cid, _, tid = await topic_of(capi)
    for n in range(12):
        await capi.ok(await capi.cosign(cid, tid, f"forged-device-{n:02d}-xxxxxxxx"))
    topic = await capi.topic(cid, tid)
    assert (topic["cosigns"], topic["anonymous_cosigns"]) == (0, 12)
    [listed] = (await capi.topics(cid))["topics"]
    assert (listed["cosigns"], listed["anonymous_cosigns"]) == (0, 12)
    exported = await capi.ok(await capi.get(f"/api/communities/{cid}/export.json"))
    assert (exported["topics"][0]["cosigns"], exported["topics"][0]["anonymous_cosigns"]) == (0, 12)
    response = await capi.get(f"/api/communities/{cid}/export.csv")
    [row] = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
    assert (row["cosigns"], row["anonymous_cosigns"]) == ("0", "12")
    assert (await capi.ok(await capi.get(f"/api/communities/{cid}")))["household_codes"] is True


async def test_one_household_on_two_devices_counts_once(capi: CommunityApi) -> None:
    cid, mod, tid = await topic_of(capi)
    [slip] = await capi.households(cid, mod, "5号楼2单元301")
    assert len(slip["code"].replace(" ", "")) == 12
    claimed = await capi.ok(await capi.claim(cid, slip["code"], device(2)))
    assert claimed == {"household_id": slip["household_id"], "label": "5号楼2单元301"}
    # Typed again without spaces on the same phone: the same household.
    assert await capi.ok(await capi.claim(cid, slip["code"].replace(" ", ""), device(2))) == claimed
    assert status_code(await capi.claim(cid, slip["code"], device(3))) == (403, "forbidden")
    assert (await capi.ok(await capi.cosign(cid, tid, device(2))))["cosigns"] == 1
    # Staff free the code for her new phone: still one household, one co-sign.
    listed = await capi.ok(await capi.get(f"/api/communities/{cid}/households", mod))
    assert listed["households"][0]["bound"] is True and "code" not in listed["households"][0]
    await capi.ok(
        await capi.post(f"/api/communities/{cid}/households/{slip['household_id']}/reset", {}, mod)
    )
    await capi.ok(await capi.claim(cid, slip["code"], device(3)))
    refused = await capi.cosign(cid, tid, device(3))
    assert status_code(refused) == (409, "conflict")
    assert "household" in refused.json()["error"]["message"]
    assert (await capi.topic(cid, tid))["cosigns"] == 1
    assert (await capi.mine(cid, device(3)))["cosigned"] == [tid]


async def test_the_author_cannot_cosign(capi: CommunityApi) -> None:
    cid, mod, tid = await topic_of(capi)
    refused = await capi.cosign(cid, tid, device(1))
    assert status_code(refused) == (403, "forbidden")
    assert refused.json()["error"]["message"] == "the author of a topic cannot co-sign it"
    # By household too: her household's code, entered on the submitting phone first.
    [slip] = await capi.households(cid, mod, "3-201")
    await capi.ok(await capi.claim(cid, slip["code"], device(5)))
    own = (
        await capi.ok(await capi.submit(cid, title="停车", description="车位少", device=device(5)))
    )["topic_id"]
    await capi.ok(
        await capi.post(f"/api/communities/{cid}/households/{slip['household_id']}/reset", {}, mod)
    )
    await capi.ok(await capi.claim(cid, slip["code"], device(6)))
    assert status_code(await capi.cosign(cid, own, device(6))) == (403, "forbidden")
    assert (await capi.topic(cid, own))["cosigns"] == 0


async def test_a_clerks_entry_counts_once_per_household(capi: CommunityApi) -> None:
    cid, mod, tid = await topic_of(capi)
    clerk = (await capi.staff(cid, mod, "clerk", "王文书"))["token"]
    office = (await capi.staff(cid, mod, "office", "街道办"))["token"]
    [slip] = await capi.households(cid, mod, "7号楼302")
    hid = slip["household_id"]
    assert (await capi.ok(await capi.get(f"/api/communities/{cid}/households", clerk)))[
        "households"
    ][0]["household_id"] == hid
    assert status_code(
        await capi.post(f"/api/communities/{cid}/households", {"labels": ["x"]}, clerk)
    ) == (403, "forbidden")
    made = await capi.ok(await capi.cosign(cid, tid, token=clerk, household=hid))
    assert made["cosigns"] == 1
    assert status_code(await capi.cosign(cid, tid, token=clerk, household=hid)) == (409, "conflict")
    assert status_code(await capi.cosign(cid, tid, token=office, household=hid)) == (
        403,
        "forbidden",
    )
    assert status_code(await capi.cosign(cid, tid, token=clerk, household="h99")) == (
        404,
        "not_found",
    )
    await capi.ok(await capi.claim(cid, slip["code"], device(7)))  # later, her own phone
    assert status_code(await capi.cosign(cid, tid, device(7))) == (409, "conflict")
    topic = await capi.topic(cid, tid)
    assert (topic["cosigns"], topic["clerk_cosigns"], topic["anonymous_cosigns"]) == (1, 1, 0)


async def test_ratings_count_households_only(server: ServerProcess, capi: CommunityApi) -> None:
    cid, mod, tid = await topic_of(capi)
    office = (await capi.staff(cid, mod, "office", "街道办"))["token"]
    clerk = (await capi.staff(cid, mod, "clerk", "王文书"))["token"]
    await capi.ok(await capi.move(cid, tid, mod, "accepted"))
    await hold_meeting(server.ws_base, await capi.ok(await capi.move(cid, tid, mod, "scheduled")))
    await capi.ok(await capi.move(cid, tid, mod, "deliberated"))
    await capi.ok(await capi.move(cid, tid, office, "solved", report="已完成"))
    first, second = await capi.households(cid, mod, "301", "302")
    await capi.ok(await capi.claim(cid, first["code"], device(2)))
    await capi.ok(await capi.rate(cid, tid, device(2), "satisfied"))
    await capi.ok(
        await capi.rate(cid, tid, None, "not", token=clerk, household=second["household_id"])
    )
    for n in range(12):
        await capi.ok(await capi.rate(cid, tid, f"forged-device-{n:02d}-xxxxxxxx", "satisfied"))
    stats = await capi.stats(cid)
    assert stats["satisfaction"] == {"satisfied": 1, "partly": 0, "not": 1, "rate": 0.5}
    topic = await capi.topic(cid, tid)
    assert topic["anonymous_ratings"] == {"satisfied": 12, "partly": 0, "not": 0}
    assert (await capi.mine(cid, device(2)))["rated"] == {tid: "satisfied"}


async def test_wrong_household_codes_are_limited_like_join_codes(capi: CommunityApi) -> None:
    cid, mod, _ = await topic_of(capi)
    [slip] = await capi.households(cid, mod, "301")
    assert status_code(await capi.claim(cid, "12ab", device(2))) == (400, "bad_command")
    answers = [status_code(await capi.claim(cid, f"{n:012d}", device(2)))[0] for n in range(70)]
    assert answers[0] == 401 and 429 in answers
    # The right code, from the address that guessed, waits too: nothing learnt by guessing.
    assert status_code(await capi.claim(cid, slip["code"], device(2))) == (429, "rate_limited")
    listed = await capi.ok(await capi.get(f"/api/communities/{cid}/households", mod))
    assert listed["households"][0]["bound"] is False
