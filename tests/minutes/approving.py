"""Approving the scripted session's minutes as the server does (server/host/signing.py):
the digest of the log's first N entries, and the seal of the complete approval,
signed with a fixed test key (so the log and its digest are the same every run)."""

from __future__ import annotations

from yishi.core import commands
from yishi.core.approval import signers_of, statement
from yishi.core.schema import parse
from yishi.host.signing import SigningKey
from yishi.minutes import log_digest

from .script import Script

SEED = bytes(range(32, 64))
KEY = SigningKey.from_seed(SEED)
OTHER_KEY = SigningKey.from_seed(bytes(range(64, 96)))


def _sealed(s: Script, who: str, cmd: str, key: SigningKey, **args: object) -> dict[str, object]:
    parsed = parse(commands.TABLE[cmd].args, args, client=True)
    signers = signers_of(s.state, cmd, parsed, s.ids[who])
    if signers is None:
        return {}
    said = statement(
        s.state,
        entries=parsed.entries,
        digest=parsed.digest,
        signers=signers,
        approved_at=s.at,
        key_id=key.key_id,
    )
    return {"seal": key.seal(said)}


def approve(
    s: Script, who: str = "王主任", *, cosigner: str | None = None, key: SigningKey = KEY
) -> None:
    """``who`` approves the minutes of the whole log so far (naming ``cosigner``)."""
    n = len(s.entries)
    args: dict[str, object] = {"entries": n, "digest": log_digest(s.entries[:n])}
    if cosigner is not None:
        args["cosigner"] = s.ids[cosigner]
    s.do(who, "minutes.approve", _sealed(s, who, "minutes.approve", key, **args), **args)


def sign(s: Script, who: str, *, key: SigningKey = KEY) -> None:
    pending = s.state.approval_pending
    assert pending is not None
    args = {"entries": pending["entries"], "digest": pending["digest"]}
    s.do(who, "minutes.sign", _sealed(s, who, "minutes.sign", key, **args), **args)


def approved_by_two(s: Script) -> None:
    """The moderator approves, naming the clerk; a minute later the clerk signs."""
    s.wait(120)
    approve(s, cosigner="李记录")
    s.wait(60)
    sign(s, "李记录")


def amended(s: Script) -> None:
    s.wait(600)
    s.do("王主任", "minutes.amend", text="更正：第一项表决中，按楼层系数分摊为 2 票。")
