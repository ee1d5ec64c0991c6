"""A scripted room, written as log entries, for the minutes tests and the bench.

:class:`Script` appends entries the way the server would (commands checked by
``commands.client_args`` first, chat carrying the moderation verdict, presence and
joins as system entries), applies each one to a live state to get its result,
and keeps the entries so a test can ``replay`` them from scratch.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from yishi.core import commands
from yishi.core.reducer import apply, new_room
from yishi.core.tally import count
from yishi.core.types import Entry, Json, Outcome
from yishi.core.versions import RULES_VERSION
from yishi.host import ballots

SCRIPT_KEY = bytes(range(32))


def _nonce(room_id: str, poll_id: str, voter: str) -> bytes:
    return hashlib.sha256(f"{room_id}/{poll_id}/{voter}".encode()).digest()[:12]


def _seal(room_id: str, poll_id: str, voter: str, choices: list[int], kind: str) -> str:
    bits = ballots._plain(kind, tuple(choices))
    nonce = _nonce(room_id, poll_id, voter)
    box = AESGCM(SCRIPT_KEY).encrypt(nonce, bits, ballots._aad(room_id, poll_id, voter))
    return base64.b64encode(nonce + box).decode()


def _unseal(room_id: str, poll_id: str, voter: str, sealed: str, kind: str) -> list[int]:
    return ballots.unseal(
        SCRIPT_KEY, sealed, room_id=room_id, poll_id=poll_id, voter=voter, kind=kind
    )


# 2025-11-26 19:00:00 in UTC+08:00: an evening session.
T0 = 1_764_154_800_000


class Script:
    def __init__(self, room_id: str = "r7demo2025", *, at: int = T0) -> None:
        self.room_id = room_id
        self.at = at
        self.entries: list[Entry] = []
        self.state = new_room(room_id)
        self.ids: dict[str, str] = {}  # name -> participant id

    def wait(self, seconds: float) -> None:
        self.at += int(seconds * 1000)

    def append(self, kind: str, actor: str | None = None, /, **args: Any) -> Outcome:
        entry = Entry(seq=len(self.entries) + 1, at=self.at, kind=kind, actor=actor, args=args)
        self.entries.append(entry)
        return apply(self.state, entry)

    def system(self, kind: str, actor: str | None = None, /, **args: Any) -> Json:
        outcome = self.append(kind, actor, **args)
        assert outcome.ok, (kind, args, outcome.error and outcome.error.message)
        return outcome.result or {}

    def do(self, who: str, cmd: str, extra: Mapping[str, Any] | None = None, **args: Any) -> Json:
        """``who`` (a name) sends ``cmd``; it must succeed. A secret poll's ballots are
        sealed, and its count appended after the close, as the server does (with a
        fixed key and nonces, so the log and its digest are the same every run)."""
        checked = commands.client_args(cmd, args)
        extra = dict(extra or {})
        sealed = self.state.polls.get(args.get("poll_id", ""))
        if cmd == "poll.open" and args.get("secret"):
            extra["ballot_key"] = "script-key"
        if cmd == "poll.vote" and sealed is not None and sealed.sealed_ballots:
            voter = args.get("on_behalf_of") or self.ids[who]
            ballot = checked.pop("scores" if sealed.kind == "score" else "choices")
            extra["sealed"] = _seal(self.room_id, sealed.poll_id, voter, ballot, sealed.kind)
        outcome = self.append(cmd, self.ids[who], **checked, **extra)
        assert outcome.ok, (who, cmd, args, outcome.error and outcome.error.message)
        for poll in self.state.polls.values():
            if poll.uncounted:
                self._count(poll.poll_id)
        return outcome.result or {}

    def _count(self, poll_id: str) -> None:
        poll = self.state.polls[poll_id]
        choices = sorted(
            _unseal(self.room_id, poll_id, voter, sealed, poll.kind)
            for voter, sealed in poll.sealed.items()
        )
        counts = count(poll.kind, len(poll.options), choices)
        self.system(
            "poll.count",
            poll_id=poll_id,
            counts=counts,
            voters=poll.voters,
            eligible=poll.eligible,
            choices=choices,
        )

    # -- people --------------------------------------------------------------------

    def create(
        self,
        *,
        title: str,
        topic: str,
        agenda: list[str],
        moderator: str,
        settings: Json | None = None,
    ) -> None:
        result = self.system(
            "room.create",
            title=title,
            topic=topic,
            agenda=agenda,
            settings=settings or {},
            invite_code="k7m2p9qx",
            rules_version=RULES_VERSION,
            moderator_name=moderator,
        )
        self.ids[moderator] = result["participant_id"]

    def join(self, name: str, *, role: str = "participant", by: str | None = None) -> str:
        args: Json = {"name": name, "role": role}
        if role in ("participant", "observer"):
            args["invite"] = "k7m2p9qx"
        result = self.system("participant.join", self.ids[by] if by else None, **args)
        self.ids[name] = result["participant_id"]
        return self.ids[name]

    def in_hall(self, name: str, *, by: str) -> str:
        self.ids[name] = self.do(by, "offline.add", name=name)["participant_id"]
        return self.ids[name]

    def online(self, name: str, online: bool = True, *, node: str = "node-a") -> None:
        self.system("presence", participant_id=self.ids[name], node=node, online=online)

    def chat(self, who: str, text: str, *, status: str = "visible") -> str:
        result = self.do(who, "chat.send", {"status": status}, text=text)
        return str(result["message_id"])
