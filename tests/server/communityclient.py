"""A black-box client of the communities' HTTP API, and the issue's whole flow over it
(one node or several: each step may go to another node). Nothing from `yishi` is
imported: the tests speak the wire contract only."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from typing import Any, cast

import httpx
from roomclient import Client, Json

ATOM = "{http://www.w3.org/2005/Atom}"


def device(n: int) -> str:
    return f"resident-device-{n:04d}-abcdefgh"


class CommunityApi:
    """One node's HTTP API for communities (``base_url``), with the admin token."""

    def __init__(self, base_url: str, admin_token: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=15, trust_env=False)
        self.admin_token = admin_token

    async def aclose(self) -> None:
        await self.http.aclose()

    @staticmethod
    def bearer(token: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"} if token else {}

    async def post(self, path: str, body: Json, token: str | None = None) -> httpx.Response:
        return await self.http.post(path, json=body, headers=self.bearer(token))

    async def get(self, path: str, token: str | None = None, **params: Any) -> httpx.Response:
        return await self.http.get(path, params=params, headers=self.bearer(token))

    async def ok(self, response: httpx.Response) -> Json:
        assert response.status_code in (200, 201), (response.status_code, response.text)
        return cast(Json, response.json())

    async def create(self, name: str = "幸福里社区议事厅", **body: Any) -> Json:
        return await self.ok(
            await self.post("/api/communities", {"name": name, **body}, self.admin_token)
        )

    async def staff(self, cid: str, token: str, role: str, name: str) -> Json:
        return await self.ok(
            await self.post(f"/api/communities/{cid}/staff", {"role": role, "name": name}, token)
        )

    async def submit(self, cid: str, **body: Any) -> httpx.Response:
        token = body.pop("token", None)
        return await self.post(f"/api/communities/{cid}/topics", body, token)

    async def cosign(
        self,
        cid: str,
        tid: str,
        dev: str | None = None,
        *,
        token: str | None = None,
        household: str | None = None,
    ) -> httpx.Response:
        """A resident's co-sign from ``dev``, or a clerk's (``token``) for ``household``."""
        body = {"device": dev} if token is None else {"household": household}
        return await self.post(f"/api/communities/{cid}/topics/{tid}/cosign", body, token)

    async def rate(
        self,
        cid: str,
        tid: str,
        dev: str | None,
        rating: str,
        *,
        token: str | None = None,
        household: str | None = None,
    ) -> httpx.Response:
        body = {"device": dev} if token is None else {"household": household}
        return await self.post(
            f"/api/communities/{cid}/topics/{tid}/rate", {**body, "rating": rating}, token
        )

    async def households(self, cid: str, token: str, *labels: str) -> list[Json]:
        """Issue one household code per label: ``[{household_id, label, code}]``."""
        made = await self.ok(
            await self.post(f"/api/communities/{cid}/households", {"labels": list(labels)}, token)
        )
        return cast(list[Json], made["households"])

    async def claim(self, cid: str, code: str, dev: str) -> httpx.Response:
        return await self.post(
            f"/api/communities/{cid}/households/claim", {"code": code, "device": dev}
        )

    async def mine(self, cid: str, dev: str) -> Json:
        return await self.ok(await self.post(f"/api/communities/{cid}/mine", {"device": dev}))

    async def move(self, cid: str, tid: str, token: str, to: str, **body: Any) -> httpx.Response:
        return await self.post(
            f"/api/communities/{cid}/topics/{tid}/transition", {"to": to, **body}, token
        )

    async def topic(self, cid: str, tid: str) -> Json:
        return await self.ok(await self.get(f"/api/communities/{cid}/topics/{tid}"))

    async def stats(self, cid: str) -> Json:
        return await self.ok(await self.get(f"/api/communities/{cid}/stats"))

    async def topics(self, cid: str, **params: Any) -> Json:
        return await self.ok(await self.get(f"/api/communities/{cid}/topics", **params))


async def hold_meeting(ws_base: str, scheduled: Json, *decisions: str) -> None:
    """The scheduled room's meeting takes place: its moderator starts the session,
    records ``decisions`` and ends it (a topic is marked deliberated only after)."""
    chair = await Client.open(ws_base, scheduled["room_id"], "json", label="chair")
    try:
        assert (await chair.hello(scheduled["moderator_token"])).ok
        await chair.ok("session.start")
        for text in decisions:
            await chair.ok("decision.record", text=text)
        await chair.ok("session.end")
    finally:
        await chair.close()


def status_code(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    return response.status_code, body["error"]["code"] if "error" in body else ""


async def run_flow(apis: list[CommunityApi], ws_bases: list[str]) -> Json:
    """The issue's flow, step ``i`` on node ``i % len(apis)``: create, submit, co-sign,
    accept, schedule (a real room), the room records a decision and an action,
    deliberated and in_progress link them, the office marks it solved, a resident rates
    it; every read checks the write before it (read your writes across nodes).
    Returns the final stats."""
    step = 0

    def api() -> CommunityApi:
        nonlocal step
        step += 1
        return apis[step % len(apis)]

    made = await api().create(categories=["加装电梯", "停车", "其他"])
    cid, mod = made["community_id"], made["staff_token"]
    assert made["url"].endswith(f"/c/{cid}") and made["staff_url"].endswith(f"#{mod}")
    office = (await api().staff(cid, mod, "office", "街道办"))["token"]
    before = await api().stats(cid)
    assert before["submitted"] == 0 and before["adoption_rate"] is None

    response = await api().submit(
        cid,
        title="3号楼加装电梯",
        description="老人上下楼困难，希望加装电梯",
        category="加装电梯",
        place="3号楼",
        device=device(1),
    )
    made_topic = await api().ok(response)
    assert made_topic["state"] == "submitted", made_topic
    tid = made_topic["topic_id"]
    # Two households enter their printed codes on their phones and co-sign: they count;
    # a phone without a code is anonymous support, and the author cannot co-sign.
    slips = await api().households(cid, mod, "3号楼1单元201", "3号楼1单元502")
    for slip, dev in zip(slips, (2, 3), strict=True):
        await api().ok(await api().claim(cid, slip["code"], device(dev)))
    assert (await api().ok(await api().cosign(cid, tid, device(2))))["cosigns"] == 1
    assert (await api().ok(await api().cosign(cid, tid, device(3))))["cosigns"] == 2
    assert status_code(await api().cosign(cid, tid, device(2))) == (409, "conflict")
    anonymous = await api().ok(await api().cosign(cid, tid, device(4)))
    assert (anonymous["cosigns"], anonymous["anonymous_cosigns"]) == (2, 1)
    assert status_code(await api().cosign(cid, tid, device(1))) == (403, "forbidden")
    topic = await api().topic(cid, tid)
    assert (topic["cosigns"], topic["anonymous_cosigns"]) == (2, 1)
    assert (await api().mine(cid, device(2)))["cosigned"] == [tid]

    assert (await api().ok(await api().move(cid, tid, mod, "accepted")))["state"] == "accepted"
    scheduled = await api().ok(
        await api().move(cid, tid, mod, "scheduled", when="2026-12-05T19:00", place="社区活动室")
    )
    room_id = scheduled["room_id"]
    assert scheduled["state"] == "scheduled" and f"/m/{room_id}" in scheduled["moderator_url"]
    room = await api().ok(await api().http.get(f"/api/rooms/{room_id}"))
    assert room["title"] == "3号楼加装电梯"

    chair = await Client.open(ws_bases[step % len(ws_bases)], room_id, "json", label="chair")
    try:
        assert (await chair.hello(scheduled["moderator_token"])).ok
        await chair.ok("session.start")
        await chair.ok("decision.record", text="同意加装，费用按楼层分摊")
        added = await chair.ok("action.add", title="提交加装申请", owner="街道办", due="2000-01-31")
        await chair.ok("session.end")
    finally:
        await chair.close()

    await api().ok(await api().move(cid, tid, mod, "deliberated"))
    topic = await api().topic(cid, tid)
    assert topic["rooms"][0]["decisions"] == ["同意加装，费用按楼层分摊"]
    await api().ok(await api().move(cid, tid, office, "in_progress", report="已提交申请"))
    topic = await api().topic(cid, tid)
    [action] = topic["rooms"][0]["actions"]
    assert action["action_id"] == added["action_id"] and action["owner"] == "街道办"
    assert action["due"] == "2000-01-31" and action["overdue"] is True
    assert (await api().stats(cid))["overdue_actions"] == 1
    assert status_code(await api().rate(cid, tid, device(2), "satisfied")) == (409, "conflict")
    assert status_code(await api().move(cid, tid, mod, "solved", report="x")) == (403, "forbidden")

    await api().ok(await api().move(cid, tid, office, "solved", report="电梯已开工"))
    rated = await api().ok(await api().rate(cid, tid, device(2), "satisfied"))
    assert rated["ratings"] == {"satisfied": 1, "partly": 0, "not": 0}
    assert status_code(await api().rate(cid, tid, device(2), "not")) == (409, "conflict")
    anonymous = await api().ok(await api().rate(cid, tid, device(4), "not"))  # not counted
    assert anonymous["anonymous_ratings"] == {"satisfied": 0, "partly": 0, "not": 1}

    stats = await api().stats(cid)
    assert stats["submitted"] == 1 and stats["accepted"] == 1 and stats["sessions"] == 1
    assert stats["deliberated"] == 1 and stats["solved"] == 1
    assert stats["adoption_rate"] == 1 and stats["solved_rate"] == 1
    assert stats["median_days_to_solve"] is not None
    assert stats["satisfaction"] == {"satisfied": 1, "partly": 0, "not": 0, "rate": 1}
    assert stats["by_category"]["加装电梯"]["solved"] == 1

    topic = await api().topic(cid, tid)
    states = [s["state"] for s in topic["timeline"]]
    assert states == ["submitted", "accepted", "scheduled", "deliberated", "in_progress", "solved"]
    assert topic["timeline"][-1]["actor"] == {"role": "office", "name": "街道办"}
    assert topic["timeline"][-1]["report"] == "电梯已开工"

    exported = await api().ok(await api().get(f"/api/communities/{cid}/export.json"))
    assert [t["topic_id"] for t in exported["topics"]] == [tid]
    assert exported["log"]["entries"] > 0 and len(exported["log"]["digest"]) == 64
    response = await api().get(f"/api/communities/{cid}/export.csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0]["topic_id"] == tid and rows[0]["state"] == "solved"
    response = await api().get(f"/api/communities/{cid}/feed.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    titles = [e.findtext(f"{ATOM}title") for e in feed.iter(f"{ATOM}entry")]
    assert len(titles) == 6 and titles[0] == "3号楼加装电梯: 已解决"
    return {
        "community_id": cid,
        "staff_token": mod,
        "office_token": office,
        "topic_id": tid,
        "stats": stats,
    }
