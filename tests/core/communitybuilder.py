"""A community built entry by entry for the core tests: the pure reducer alone, with
``fail()`` asserting that a refused entry changes nothing anybody can see."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from yishi.core.community.reducer import apply, new_community
from yishi.core.community.state import CommunityState
from yishi.core.types import Entry, Outcome


def day(iso: str, hour: int = 12) -> int:
    """Unix ms of ``iso`` (YYYY-MM-DD) at ``hour`` UTC."""
    moment = datetime.fromisoformat(iso).replace(hour=hour, tzinfo=UTC)
    return int(moment.timestamp() * 1000)


@dataclass
class Community:
    state: CommunityState = field(default_factory=lambda: new_community("c1"))
    entries: list[Entry] = field(default_factory=list)
    at: int = day("2026-01-01")

    @classmethod
    def create(cls, **args: Any) -> Community:
        built = cls()
        args.setdefault("name", "幸福里")
        args.setdefault("categories", ["加装电梯", "停车", "其他"])
        built.ok("community.create", None, **args)
        built.ok("staff.add", "s1", role="office", name="街道办")  # s2
        built.ok("staff.add", "s1", role="clerk", name="王文书")  # s3
        return built

    def send(self, kind: str, actor: str | None, *, at: int | None = None, **args: Any) -> Outcome:
        self.at = max(self.at, at or self.at)
        entry = Entry(
            seq=len(self.entries) + 1,
            at=self.at,
            kind=kind,
            actor=actor,
            args={k: v for k, v in args.items() if v is not None},
        )
        self.entries.append(entry)
        return apply(self.state, entry)

    def ok(self, kind: str, actor: str | None, **args: Any) -> Any:
        outcome = self.send(kind, actor, **args)
        assert outcome.error is None, outcome.error.message
        return outcome.result

    def fail(self, kind: str, actor: str | None, code: str, /, **args: Any) -> str:
        before = copy.deepcopy(self.state)
        outcome = self.send(kind, actor, **args)
        assert outcome.error is not None, f"{kind} {args} was not refused"
        assert outcome.error.code.value == code, outcome.error.message
        before.entry_seq, before.last_at = self.state.entry_seq, self.state.last_at
        assert before == self.state, "a refused entry changed the state"
        return outcome.error.message

    # -- shortcuts ------------------------------------------------------------------

    def submit(
        self,
        title: str = "加装电梯",
        *,
        device: str = "dev-submitter",
        at: int | None = None,
        category: str = "加装电梯",
        status: str = "submitted",
    ) -> str:
        result = self.ok(
            "topic.submit",
            None,
            at=at,
            title=title,
            description=f"{title}的说明",
            category=category,
            device=device,
            status=status,
        )
        return str(result["topic_id"])

    def move(self, topic_id: str, to: str, actor: str = "s1", **args: Any) -> Any:
        return self.ok("topic.transition", actor, topic_id=topic_id, to=to, **args)

    def to_state(self, topic_id: str, target: str, *, at: int | None = None) -> None:
        """Move a submitted topic along the main path until it is in ``target``."""
        path = {
            "submitted": [],
            "held": [],
            "accepted": [("accepted", "s1", {})],
            "merged": [("merged", "s1", {"into": "t1"})],
            "declined": [("declined", "s1", {"reason": "不属于社区事务"})],
            "rejected": [("reject", "s1", {})],
        }
        main = [
            ("accepted", "s1", {}),
            ("scheduled", "s1", {"room_id": f"room-{topic_id}"}),
            ("deliberated", "s1", {"decisions": ["同意"]}),
            ("in_progress", "s2", {"actions": []}),
        ]
        for name, steps in (("scheduled", 2), ("deliberated", 3), ("in_progress", 4)):
            path[name] = main[:steps]
        path["solved"] = [*main, ("solved", "s2", {"report": "已完成"})]
        path["not_solved"] = [*main, ("not_solved", "s2", {"report": "资金未落实"})]
        for to, actor, args in path[target]:
            self.ok("topic.transition", actor, at=at, topic_id=topic_id, to=to, **args)
