"""``yishi minutes ROOM --verify FILE`` on approved minutes (rules 6): the signature.

A real SQLite data folder holding the scripted session, approved by the moderator
and the clerk, amended afterwards, and the deployment's key (stored as the server
stores it); the CLI runs as a subprocess. Each forgery is what someone holding the
export (not the key) could do to it.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from yishi.backends.sqlite import SqliteBackend
from yishi.host.signing import SECRET_NAME
from yishi.minutes import export_json, log_digest
from yishi.minutes.signature import key_id

from .approving import KEY, OTHER_KEY, SEED, amended, approve, approved_by_two
from .scenario import deliberation
from .script import Script
from .test_verify_cli import DataDir, store

Json = dict[str, Any]


@pytest.fixture(scope="module")
def approved_session() -> Script:
    return deliberation(after_end=approved_by_two, after_follow_up=amended)


async def _store_key(path: Path, seed: bytes) -> None:
    backend = SqliteBackend(path=path, clock=lambda: 0)
    await backend.start()
    try:
        await backend.get_or_create_secret(SECRET_NAME, lambda: base64.b64encode(seed).decode())
    finally:
        await backend.close()


def _data(tmp_path: Path, session: Script, *, key: bool = True) -> DataDir:
    root = tmp_path / "data"
    root.mkdir()
    asyncio.run(store(root / "yishi.db", session.room_id, session.entries))
    if key:
        asyncio.run(_store_key(root / "yishi.db", SEED))
    return DataDir(root, session)


@pytest.fixture
def data(tmp_path: Path, approved_session: Script) -> DataDir:
    return _data(tmp_path, approved_session)


def _edit(file: Path, change: Callable[[Json], None]) -> Path:
    body = json.loads(file.read_text(encoding="utf-8"))
    change(body)
    file.write_bytes(export_json(body))
    return file


def _approval(body: Json) -> Json:
    first: Json = body["approval"]["approvals"][0]
    return first


def test_a_good_export_verifies_with_its_signature(data: DataDir) -> None:
    result = data.verify(data.export())
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert out.startswith("OK")
    assert "checked digest chain" in out
    assert "approval 1: signed by 王主任 (moderator) and 李记录 (clerk)" in out, out
    assert f"valid under the deployment's (from its backend) key {KEY.key_id}" in out
    assert "it signed the digest of the stored log's first" in out
    assert "checked content" in out and "approved part: the first" in out


def test_the_approved_part_is_the_approved_prefix(data: DataDir) -> None:
    body = json.loads(data.export().read_text(encoding="utf-8"))
    said = _approval(body)["statement"]
    n = said["entries"]
    assert said["digest"] == log_digest(data.entries[:n])
    assert body["integrity"]["entries"] == len(data.entries) > n
    # the follow-up after approval is not in the approved actions, but after them
    assert [a["status"] for a in body["actions"]] == ["open", "open"]
    after = body["after_approval"]
    assert after["from_entry"] == n + 1
    assert [u["status"] for u in after["action_updates"]] == ["in_progress"]
    assert len(after["amendments"]) == 1 and len(after["notes"]) == 1


def _resign(key: Any, *, carried: Any) -> Callable[[Json], None]:
    """Sign the (unchanged) statement with ``key``; carry ``carried``'s public key."""

    def change(body: Json) -> None:
        approval = _approval(body)
        statement = dict(approval["statement"], key_id=key.key_id)
        approval.update(key.seal(statement), public_key=carried.public_b64)

    return change


def _signer(body: Json) -> None:
    signers = _approval(body)["statement"]["signers"]
    signers[1] = {"participant_id": "u9", "name": "张三", "role": "clerk"}


FORGERIES: dict[str, tuple[Callable[[Json], None], str]] = {
    "an edited digest": (
        lambda b: _approval(b)["statement"].update(digest="0" * 64),
        "the signature does not match the statement",
    ),
    "a swapped signer": (_signer, "the signature does not match the statement"),
    "a changed time": (
        lambda b: _approval(b)["statement"].update(
            approved_at=_approval(b)["statement"]["approved_at"] + 60_000
        ),
        "the signature does not match the statement",
    ),
    "a changed signature": (
        lambda b: _approval(b).update(signature=base64.b64encode(bytes(64)).decode()),
        "the signature does not match the statement",
    ),
    "another key, its own": (
        _resign(OTHER_KEY, carried=OTHER_KEY),
        f"says it was signed with key {OTHER_KEY.key_id}, not the "
        f"deployment's (from its backend) key {KEY.key_id}",
    ),
    "another key, passed off as the deployment's": (
        _resign(OTHER_KEY, carried=KEY),
        f"its statement names key '{OTHER_KEY.key_id}'",
    ),
}


@pytest.mark.parametrize("what", list(FORGERIES))
def test_a_forged_signature_fails_with_a_clear_message(data: DataDir, what: str) -> None:
    change, says = FORGERIES[what]
    result = data.verify(_edit(data.export(), change))
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.startswith("FORGED: approval 1"), result.stdout
    assert says in result.stdout, result.stdout


def test_a_signature_of_another_prefix_fails(data: DataDir) -> None:
    """Validly signed with the deployment's key, but of a digest that is not the one of
    the entries it names: the log and the signature disagree."""

    def change(body: Json) -> None:
        approval = _approval(body)
        statement = dict(approval["statement"])
        statement["entries"] -= 1
        approval.update(KEY.seal(statement))

    result = data.verify(_edit(data.export(), change))
    assert result.returncode == 1
    assert result.stdout.startswith("MISMATCH: approval 1 signed digest"), result.stdout


def test_a_key_file_instead_of_the_backend(data: DataDir, tmp_path: Path) -> None:
    export = data.export()
    published = tmp_path / "signing-key.json"
    published.write_text(json.dumps(KEY.published()), encoding="utf-8")
    result = data.minutes("--verify", str(export), "--key", str(published))
    assert result.returncode == 0, result.stdout
    assert f"the key file {published}'s key {KEY.key_id}" in result.stdout
    pem = tmp_path / "other.pem"
    pem.write_text(OTHER_KEY.published()["pem"], encoding="utf-8")
    result = data.minutes("--verify", str(export), "--key", str(pem))
    assert result.returncode == 1
    assert f"not the key file {pem}'s key {key_id(OTHER_KEY.public)}" in result.stdout
    junk = tmp_path / "junk.key"
    junk.write_text("nonsense", encoding="utf-8")
    assert data.minutes("--verify", str(export), "--key", str(junk)).returncode == 2


def test_without_the_deployment_key_the_export_key_is_said_to_prove_little(
    tmp_path: Path, approved_session: Script
) -> None:
    data = _data(tmp_path, approved_session, key=False)
    result = data.verify(data.export())
    assert result.returncode == 0, result.stdout
    assert (
        "the key the export carries, which proves only that it agrees with itself" in result.stdout
    )


def test_approvals_across_a_rotated_key(tmp_path: Path) -> None:
    """The first approval signed with the old key, a further one with the new: both
    key files together verify it; the old alone does not vouch for the new signature."""

    def again(s: Script) -> None:
        amended(s)
        s.wait(60)
        approve(s, key=OTHER_KEY)

    session = deliberation(after_end=approved_by_two, after_follow_up=again)
    data = _data(tmp_path, session, key=False)
    export = data.export()
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(KEY.published()), encoding="utf-8")
    new.write_text(json.dumps(OTHER_KEY.published()), encoding="utf-8")
    both = data.minutes("--verify", str(export), "--key", str(old), "--key", str(new))
    assert both.returncode == 0, both.stdout
    assert "approval 2: signed by 王主任 (moderator)" in both.stdout
    alone = data.minutes("--verify", str(export), "--key", str(old))
    assert alone.returncode == 1
    assert alone.stdout.startswith(
        f"FORGED: approval 2 says it was signed with key "
        f"{OTHER_KEY.key_id}, not the key file {old}'s key"
    ), alone.stdout
