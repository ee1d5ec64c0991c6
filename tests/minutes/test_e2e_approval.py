"""End to end (rules 6): a real ``yishi serve``; over WebSockets the moderator approves
the minutes they reviewed, naming the clerk, who signs; an amendment follows; the
public minutes, fetched as JSON, verify against the server's data folder, their
signature included, with the deployment's key and with the key it publishes."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .live import ADMIN, TIMEOUT, Server, Socket


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    proc = Server(tmp_path / "data")
    proc.start()
    yield proc
    proc.stop()


def _yishi(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "yishi", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_approve_sign_amend_and_verify(server: Server, tmp_path: Path) -> None:
    async with httpx.AsyncClient(base_url=server.url, trust_env=False, timeout=TIMEOUT) as http:
        created = await http.post(
            "/api/rooms",
            headers={"authorization": f"Bearer {ADMIN}"},
            json={"title": "加装电梯议事会", "agenda": ["方案"]},
        )
        room = created.json()
        room_id = room["room_id"]
        as_mod = {"authorization": f"Bearer {room['moderator_token']}"}
        staff = (
            await http.post(
                f"/api/rooms/{room_id}/staff",
                headers=as_mod,
                json={"role": "clerk", "name": "李书记员"},
            )
        ).json()
        key = (await http.get("/api/signing-key")).json()
        assert key["algorithm"] == "Ed25519" and "BEGIN PUBLIC KEY" in key["pem"]

        mod = await Socket.open(server, room_id, room["moderator_token"], "mod")
        clerk = await Socket.open(server, room_id, staff["token"], "clerk")
        try:
            await mod.online(staff["participant_id"])
            await mod.call("session.start")
            await mod.call("minutes.note", text="会议记录开始。")
            refused = await mod.reply("minutes.approve", entries=1, digest="0" * 64)
            assert refused["error"]["code"] == "conflict", refused
            await mod.call("session.end")

            async def draft() -> dict[str, object]:
                got = await http.get(
                    f"/api/rooms/{room_id}/minutes",
                    params={"format": "json", "copy": "moderator"},
                    headers=as_mod,
                )
                assert got.status_code == 200, got.text
                body: dict[str, object] = got.json()
                return body

            reviewed = (await draft())["integrity"]
            assert isinstance(reviewed, dict)
            n, digest = reviewed["entries"], reviewed["digest"]
            # a digest that is not the log's: refused at the edge, nothing appended
            wrong = await mod.reply(
                "minutes.approve", entries=n, digest="ab" * 32, cosigner=staff["participant_id"]
            )
            assert wrong["error"]["code"] == "conflict", wrong
            assert "review them again" in wrong["error"]["message"]
            assert (await draft())["integrity"] == reviewed
            early = await mod.reply("minutes.amend", text="太早")
            assert early["error"]["code"] == "conflict"

            pending = await mod.call(
                "minutes.approve", entries=n, digest=digest, cosigner=staff["participant_id"]
            )
            assert pending == {"status": "pending"}
            waiting = await clerk.event("minutes.approval_pending")
            assert waiting["cosigner"]["name"] == "李书记员"
            signed = await clerk.call(
                "minutes.sign", entries=waiting["entries"], digest=waiting["digest"]
            )
            assert signed == {"status": "approved", "approval": 1}
            approved = await mod.event("minutes.approved")
            statement = approved["statement"]
            assert [s["role"] for s in statement["signers"]] == ["moderator", "clerk"]
            assert statement["signers"][1]["name"] == "李书记员"
            assert (statement["entries"], statement["digest"]) == (n, digest)
            assert statement["key_id"] == key["key_id"]
            assert approved["public_key"] == key["public_key"]

            await mod.call("minutes.amend", text="更正：会议于 19:30 结束。")
            await mod.call("minutes.publish")
            public = await http.get(f"/api/rooms/{room_id}/minutes", params={"format": "json"})
            assert public.status_code == 200
            body = public.json()
            assert body["copy"] == "public"
            assert body["approval"]["approvals"] == [approved]
            assert body["after_approval"]["amendments"][0]["text"] == "更正：会议于 19:30 结束。"
            md = await http.get(
                f"/api/rooms/{room_id}/minutes", params={"format": "md", "lang": "en"}
            )
            assert "Approved by " in md.text and "(clerk) on " in md.text and digest in md.text

            export = tmp_path / "public.json"
            export.write_text(public.text, encoding="utf-8")
            keyfile = tmp_path / "signing-key.json"
            keyfile.write_text(json.dumps(key), encoding="utf-8")
            for extra in ([], ["--key", str(keyfile)]):
                verified = await asyncio.to_thread(
                    _yishi,
                    "minutes",
                    room_id,
                    "--data-dir",
                    str(server.data_dir),
                    "--verify",
                    str(export),
                    *extra,
                )
                assert verified.returncode == 0, verified.stdout + verified.stderr
                assert "approval 1: signed by" in verified.stdout
                assert "Ed25519 signature is valid under" in verified.stdout
                assert key["key_id"] in verified.stdout
        finally:
            await mod.close()
            await clerk.close()
