"""End to end: a real server, a short session over WebSockets, the minutes over
HTTP (moderator only until published, then anyone), the follow-up after the
session, and the exported JSON verified against the server's own data folder.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .docxtext import docx_lines
from .live import ADMIN, TIMEOUT, Server, Socket


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    proc = Server(tmp_path / "data")
    proc.start()
    yield proc
    proc.stop()


async def test_minutes_of_a_live_session(server: Server, tmp_path: Path) -> None:
    async with httpx.AsyncClient(base_url=server.url, trust_env=False, timeout=TIMEOUT) as http:
        created = await http.post(
            "/api/rooms",
            headers={"authorization": f"Bearer {ADMIN}"},
            json={"title": "加装电梯议事会", "topic": "3号楼", "agenda": ["方案", "分摊"]},
        )
        assert created.status_code == 201, created.text
        room = created.json()
        room_id, mod_token = room["room_id"], room["moderator_token"]
        as_mod = {"authorization": f"Bearer {mod_token}"}

        async def person(name: str) -> tuple[str, str]:
            joined = await http.post(
                f"/api/rooms/{room_id}/join", json={"invite": room["invite_code"], "name": name}
            )
            assert joined.status_code == 200, joined.text
            return joined.json()["participant_id"], joined.json()["token"]

        office = await http.post(
            f"/api/rooms/{room_id}/staff", headers=as_mod, json={"role": "office", "name": "城建科"}
        )
        assert office.status_code == 200, office.text
        zhang_id, zhang_token = await person("张三")
        li_id, li_token = await person("李四")

        async def minutes(
            fmt: str, *, token: bool = True, lang: str | None = None
        ) -> httpx.Response:
            params = {"format": fmt, **({"lang": lang} if lang else {})}
            return await http.get(
                f"/api/rooms/{room_id}/minutes", params=params, headers=as_mod if token else {}
            )

        mod = await Socket.open(server, room_id, mod_token, "mod")
        zhang = await Socket.open(server, room_id, zhang_token, "张三")
        li = await Socket.open(server, room_id, li_token, "李四")
        sockets = [mod, zhang, li]
        try:
            for pid in (zhang_id, li_id):
                await mod.online(pid)

            await mod.call("session.start")
            await zhang.call("hand.raise", stance="support")
            await li.call("hand.raise", stance="oppose")
            await mod.call("turn.next")
            await zhang.call("statement.post", text="支持加装，老人上下楼太难。")
            await zhang.call("turn.yield")
            await mod.call("turn.next")
            await li.call("statement.post", text="反对，一楼采光受影响。")
            await mod.call("turn.end")
            await mod.call("turn.grant", participant_id=zhang_id, stance="support")
            await mod.call("turn.end")
            poll = (
                await mod.call(
                    "poll.open", question="是否加装？", kind="yes_no_abstain", secret=True
                )
            )["poll_id"]
            await zhang.call("poll.vote", poll_id=poll, choices=[0])
            await li.call("poll.vote", poll_id=poll, choices=[1])
            await mod.call("poll.close", poll_id=poll)
            await mod.call("decision.record", text="同意加装。", poll_id=poll)
            action = (
                await mod.call("action.add", title="出具设计方案", owner="城建科", due="2025-12-31")
            )["action_id"]
            message = (await li.call("chat.send", text="噪音怎么办？"))["message_id"]
            await mod.call("chat.pin", message_id=message)
            await mod.call("minutes.note", text="居民关心噪音。")

            draft = await minutes("md")
            assert draft.status_code == 200, draft.text
            assert draft.headers["content-type"].startswith("text/markdown")
            assert "草稿：会议仍在进行" in draft.text

            await mod.call("session.end")

            assert (await minutes("json", token=False)).status_code == 401
            final = (await minutes("json")).json()
            assert final["final"] is True and final["room_id"] == room_id
            turns = final["agenda"][0]["turns"]
            assert [(t["speaker"], t["stance"], t["reason"], t["override"]) for t in turns] == [
                ("张三", "support", "yielded", False),
                ("李四", "oppose", "moderator", False),
                ("张三", "support", "moderator", True),
            ]
            secret = final["agenda"][0]["polls"][0]
            assert secret["counts"] == [1, 1, 0] and secret["voters"] == 2
            assert secret["eligible"] == 2 and secret["roll_call"] is None
            assert final["chat"][0]["text"] == "噪音怎么办？"
            html = await minutes("html")
            assert html.headers["content-type"].startswith("text/html")
            assert "@page" in html.text and "<script" not in html.text
            word = await minutes("docx")
            assert word.headers["content-type"] == (
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            )
            rows = [line for line in docx_lines(word.content) if line.startswith("| ")]
            assert any(r.startswith("| 3 | 张三 | 支持 |") and "主持人指定" in r for r in rows)
            assert "| 赞成 | 1 |" in rows and "| 反对 | 1 |" in rows
            english = await minutes("md", lang="en")
            assert "Minutes: 加装电梯议事会" in english.text and "| Yes | 1 |" in english.text
            assert (await minutes("pdf")).status_code == 400

            published = await mod.call("minutes.publish")
            assert published["minutes_url"].endswith(f"/r/{room_id}/minutes")
            public = await minutes("md", token=False)
            assert public.status_code == 200 and "同意加装。" in public.text

            # The follow-up: the office reports progress after the session.
            desk = await Socket.open(server, room_id, office.json()["token"], "城建科")
            sockets.append(desk)
            await desk.call("action.update", action_id=action, status="done", note="方案已出具。")
            await mod.online(office.json()["participant_id"])  # the log is quiet again
            followed_response = await minutes("json", token=False)
            followed = followed_response.json()
            item = followed["actions"][0]
            assert item["status"] == "done"
            assert item["updates"] == [
                {
                    "status": "done",
                    "note": "方案已出具。",
                    "at": item["updates"][0]["at"],
                    "by": "城建科",
                }
            ]
            assert "方案已出具。" in (await minutes("md", token=False)).text

            export = tmp_path / "minutes.json"
            export.write_bytes(followed_response.content)  # as downloaded
            verified = await asyncio.to_thread(
                subprocess.run,
                [
                    sys.executable,
                    "-m",
                    "yishi",
                    "minutes",
                    room_id,
                    "--data-dir",
                    str(server.data_dir),
                    "--verify",
                    str(export),
                ],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert verified.returncode == 0, verified.stdout + verified.stderr
        finally:
            for sock in sockets:
                await sock.close()
