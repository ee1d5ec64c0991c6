"""A room driven entry by entry through the core's public API, for given/when/then tests.

`Room` keeps the log it appended (so a test can replay it), stamps each entry with
an increasing `at` (1 ms after the previous one unless told otherwise), and checks
client commands' arguments with `commands.client_args` first, as the server does
before it appends anything. Every client command is also put to the edge's
``precheck`` on the state before it: whatever the edge refuses, the reducer must
refuse the same way (the edge never keeps out of the log what the room would
have accepted). Nothing here reaches into the reducer's internals:
what a test asserts comes from outcomes, events, snapshots and `next_deadline`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from yishi.core import commands, views
from yishi.core.reducer import apply, next_deadline, precheck, remembered, replay
from yishi.core.schema import parse
from yishi.core.state import RoomState
from yishi.core.types import CommandError, Entry, ErrorCode, Event, Json, Outcome, Role
from yishi.core.versions import RULES_VERSION

T0 = 1_764_158_400_000
INVITE = "INVITE01"
ROLE_OF = {r.value: r for r in Role}


def types(events: Iterable[Event]) -> list[str]:
    return [e.type for e in events]


def only(events: Iterable[Event], type_: str) -> Event:
    found = [e for e in events if e.type == type_]
    assert len(found) == 1, (type_, types(events))
    return found[0]


def of_type(events: Iterable[Event], type_: str) -> list[Event]:
    return [e for e in events if e.type == type_]


@dataclass
class Room:
    """A live test room: `Room.create()` makes it and its first moderator (`mod`)."""

    state: RoomState
    now: int
    mod: str = ""
    entries: list[Entry] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    # -- making one -------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        *,
        settings: Json | None = None,
        agenda: list[str] | None = None,
        start: bool = False,
        at: int = T0,
        rules_version: int = RULES_VERSION,
    ) -> Room:
        room = cls(state=replay("room1", []), now=at - 1)
        args: Json = {
            "title": "旧小区加装电梯",
            "invite_code": INVITE,
            "rules_version": rules_version,
        }
        if settings:
            args["settings"] = settings
        if agenda:
            args["agenda"] = agenda
        outcome = room.system("room.create", args)
        assert outcome.ok, outcome.error
        assert outcome.result is not None
        room.mod = outcome.result["participant_id"]
        room.online(room.mod)
        if start:
            room.ok(room.mod, "session.start")
        return room

    # -- appending entries --------------------------------------------------------------

    def append(
        self,
        kind: str,
        *,
        actor: str | None = None,
        args: Json | None = None,
        at: int | None = None,
        nonce: str | None = None,
    ) -> Outcome:
        """Append one raw entry (no argument checks) and apply it."""
        if at is None:
            at = self.now + 1
        assert at >= self.now, "the log's clock never runs backwards"
        self.now = at
        entry = Entry(
            seq=len(self.entries) + 1,
            at=at,
            kind=kind,
            actor=actor,
            args=dict(args or {}),
            nonce=nonce,
        )
        self.entries.append(entry)
        outcome = apply(self.state, entry)
        self.outcomes.append(outcome)
        self.events.extend(outcome.events)
        return outcome

    def system(
        self,
        kind: str,
        args: Json | None = None,
        *,
        actor: str | None = None,
        at: int | None = None,
    ) -> Outcome:
        return self.append(kind, actor=actor, args=args, at=at)

    def send(
        self,
        actor: str,
        cmd: str,
        *,
        at: int | None = None,
        nonce: str | None = None,
        server_args: Json | None = None,
        **args: Any,
    ) -> Outcome:
        """A client command: arguments checked as the server checks them, then appended.

        ``server_args`` are what the server adds after its checks (the moderation
        verdict of a chat message, the minutes URL).
        """
        row = commands.client_command(cmd)
        checked = commands.client_args(cmd, args) if row else args
        logged = {**checked, **(server_args or {})}
        edge = (
            self.edge(row, actor, logged, at=self.now + 1 if at is None else at, nonce=nonce)
            if row
            else None
        )
        outcome = self.append(cmd, actor=actor, args=logged, at=at, nonce=nonce)
        if edge is not None:
            assert outcome.error is not None, (
                cmd,
                "refused at the edge, accepted in the log",
                edge.to_wire(),
            )
            assert outcome.error.to_wire() == edge.to_wire(), (
                cmd,
                outcome.error.to_wire(),
                edge.to_wire(),
            )
        return outcome

    def edge(
        self, row: commands.Command, actor: str, logged: Json, *, at: int, nonce: str | None = None
    ) -> CommandError | None:
        """What the server's precheck says of this command on the state now (None: pass)."""
        if nonce is not None and remembered(self.state, actor, nonce, now=at) is not None:
            return None  # the server answers a repeated nonce with the first reply
        try:
            parsed = parse(row.args, logged, client=False)
        except CommandError:
            return None  # not a command the server would append (a test of the reducer's)
        try:
            precheck(self.state, row, parsed, actor=actor, now=at)
        except CommandError as error:
            return error
        return None

    def ok(self, actor: str, cmd: str, **kwargs: Any) -> Json:
        outcome = self.send(actor, cmd, **kwargs)
        assert outcome.ok, (cmd, outcome.error and outcome.error.to_wire())
        assert outcome.result is not None
        return outcome.result

    def fail(self, actor: str, cmd: str, code: ErrorCode | str, **kwargs: Any) -> CommandError:
        """The command fails with ``code`` and changes nothing anybody can see.

        The failure may come from the argument checks (then nothing is appended,
        as on the server) or from the reducer.
        """
        before = self.views()
        entries_before = len(self.entries)
        try:
            outcome = self.send(actor, cmd, **kwargs)
        except CommandError as error:
            assert error.code == ErrorCode(code), (cmd, error.to_wire())
            assert len(self.entries) == entries_before
            return error
        assert outcome.error is not None, (cmd, outcome.result)
        assert outcome.error.code == ErrorCode(code), (cmd, outcome.error.to_wire())
        assert outcome.error.message
        # A failed command may follow a clock advance (an expiry); it adds nothing itself.
        if not outcome.events:
            assert self.views() == before, cmd
        return outcome.error

    def tick(self, at: int | None = None) -> Outcome:
        return self.system("tick", at=at)

    def wait(self, ms: int) -> None:
        """Let ``ms`` pass before the next entry (which is stamped 1 ms later still)."""
        self.now += ms

    def tick_when_due(self) -> Outcome | None:
        """What the server does: tick at `next_deadline` (None when nothing is due)."""
        due = next_deadline(self.state)
        if due is None:
            return None
        return self.tick(at=max(due, self.now))

    # -- people ------------------------------------------------------------------------

    def join(self, name: str, *, observer: bool = False, online: bool = True) -> str:
        args: Json = {"invite": INVITE, "name": name}
        if observer:
            args["role"] = "observer"
        outcome = self.system("participant.join", args)
        assert outcome.ok, outcome.error and outcome.error.to_wire()
        assert outcome.result is not None
        pid: str = outcome.result["participant_id"]
        if online:
            self.online(pid)
        return pid

    def residents(self, *names: str) -> list[str]:
        return [self.join(n) for n in names]

    def staff(self, role: str, name: str, *, online: bool = True) -> str:
        outcome = self.system("participant.join", {"role": role, "name": name}, actor=self.mod)
        assert outcome.ok, outcome.error and outcome.error.to_wire()
        assert outcome.result is not None
        pid: str = outcome.result["participant_id"]
        if online:
            self.online(pid)
        return pid

    def in_hall(self, name: str) -> str:
        pid: str = self.ok(self.mod, "offline.add", name=name)["participant_id"]
        return pid

    def online(self, pid: str, node: str = "n1", *, at: int | None = None) -> Outcome:
        return self.system("presence", {"participant_id": pid, "online": True, "node": node}, at=at)

    def offline(self, pid: str, node: str = "n1", *, at: int | None = None) -> Outcome:
        return self.system(
            "presence", {"participant_id": pid, "online": False, "node": node}, at=at
        )

    # -- the floor ---------------------------------------------------------------------

    def raise_hand(self, pid: str, stance: str, **kwargs: Any) -> Json:
        return self.ok(pid, "hand.raise", stance=stance, **kwargs)

    def next_turn(self, **kwargs: Any) -> Event:
        """`turn.next`; the `turn.started` event it caused."""
        outcome = self.send(self.mod, "turn.next", **kwargs)
        assert outcome.ok, outcome.error and outcome.error.to_wire()
        return only(outcome.events, "turn.started")

    def end_turn(self, **kwargs: Any) -> Event:
        outcome = self.send(self.mod, "turn.end", **kwargs)
        assert outcome.ok, outcome.error and outcome.error.to_wire()
        return only(outcome.events, "turn.ended")

    def speak(self, ms: int) -> tuple[Event, Event]:
        """`turn.next`, then `turn.end` exactly ``ms`` later: (started, ended)."""
        started = self.next_turn()
        ended = self.end_turn(at=started.at + ms)
        assert ended.data["duration_ms"] == ms
        return started, ended

    # -- looking -------------------------------------------------------------------------

    def viewer(self, pid: str) -> views.Viewer:
        role = (
            next(
                p["role"]
                for p in self.snapshot(self.mod)["participants"]
                if p["participant_id"] == pid
            )
            if pid != self.mod
            else "moderator"
        )
        return views.Viewer(participant_id=pid, role=ROLE_OF[role])

    def snapshot(self, pid: str, role: Role | None = None) -> Json:
        if role is None:
            role = Role.MODERATOR if pid == self.mod else None
        if role is None:
            return views.snapshot(self.state, self.viewer(pid))
        return views.snapshot(self.state, views.Viewer(participant_id=pid, role=role))

    def views(self) -> list[Json]:
        """Every participant's snapshot: what 'nothing changed' is checked against."""
        out = []
        for p in self.snapshot(self.mod)["participants"]:
            out.append(self.snapshot(p["participant_id"], ROLE_OF[p["role"]]))
        return out

    def queue(self) -> Json:
        q: Json = self.snapshot(self.mod)["queue"]
        return q

    def balance(self) -> Json:
        b: Json = self.snapshot(self.mod)["balance"]
        return b

    def visible_to(self, pid: str) -> list[Event]:
        viewer = self.viewer(pid)
        heard = views.heard_by(viewer)
        return [e for e in self.events if set(views.audience_of(e)).intersection(heard)]

    def deadline(self) -> int | None:
        return next_deadline(self.state)


def pids(entries: list[Json]) -> list[str]:
    return [e["participant_id"] for e in entries]
