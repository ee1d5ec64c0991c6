"""How long the minutes of a long session take, against replaying its log.

    python3 bench/minutes_bench.py [--entries 2000] [--runs 9] [--json]

Builds one room's log of ``--entries`` entries in memory (a session of about
forty residents over four agenda items: hands, turns with statements, chat,
pins, polls, presence changes, decisions and actions), then times, as the
median of ``--runs`` runs each:

* the baseline: replaying the log into a room state (what any node does to
  host the room);
* the log digest (the hash chain every export carries);
* the minutes model, and every format rendered from the replayed state, each
  including the digest (what ``GET /api/rooms/{id}/minutes`` does on top of a
  state the node already holds).

It reports milliseconds and the ratio to the baseline. A script, not a test:
the figures go into docs/minutes.md; the target is well under a second for
2,000 entries in every format.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from yishi.core import commands
from yishi.core.reducer import apply, new_room, replay
from yishi.core.types import Entry
from yishi.minutes import FORMATS, build_minutes, log_digest, render_minutes

Json = dict[str, Any]

T0 = 1_764_154_800_000
ROOM = "benchroom01"
STANCES = ("support", "oppose", "neutral")


class Log:
    """Appends entries as the server would, checking each one applies."""

    def __init__(self) -> None:
        self.state = new_room(ROOM)
        self.entries: list[Entry] = []
        self.at = T0
        self.ids: list[str] = []

    def add(self, kind: str, actor: str | None = None, /, **args: Any) -> dict[str, Any]:
        if commands.client_command(kind):
            # Chat carries the moderation verdict, which the server adds after the check.
            verdict = {"status": args.pop("status")} if kind == "chat.send" else {}
            args = {**commands.client_args(kind, args), **verdict}
        self.at += 1500
        entry = Entry(seq=len(self.entries) + 1, at=self.at, kind=kind, actor=actor, args=args)
        outcome = apply(self.state, entry)
        if outcome.error is not None:
            raise AssertionError(f"{kind} {args}: {outcome.error.message}")
        self.entries.append(entry)
        return outcome.result or {}


def long_session(size: int) -> list[Entry]:
    """A plausible session whose log holds exactly ``size`` entries."""
    log = Log()
    mod = log.add(
        "room.create",
        title="社区议事会",
        topic="小区公共收益使用",
        agenda=["停车位", "绿化改造", "加装电梯", "物业费"],
        invite_code="benchcode",
        settings={"turn_seconds": 120},
    )["participant_id"]
    clerk = log.add("participant.join", mod, name="记录员", role="clerk")["participant_id"]
    office = log.add("participant.join", mod, name="街道办", role="office")["participant_id"]
    residents = [
        log.add(
            "participant.join", None, name=f"居民{n:02d}", role="participant", invite="benchcode"
        )["participant_id"]
        for n in range(40)
    ]
    for pid in [mod, clerk, *residents[:36]]:
        log.add("presence", participant_id=pid, node="n1", online=True)
    hall = [log.add("offline.add", clerk, name=f"现场{n}")["participant_id"] for n in range(4)]
    log.add("session.start", mod)
    actions: list[str] = []
    reserve = 12  # entries kept for the end of the session and the follow-up
    item, turn_no = 0, 0
    while len(log.entries) < size - reserve:
        speakers = [residents[(turn_no * 7 + k) % 36] for k in range(3)]
        for k, pid in enumerate(speakers):
            log.add("hand.raise", pid, stance=STANCES[(turn_no + k) % 3])
        for _ in speakers:
            if len(log.entries) >= size - reserve - 4:
                break
            log.add("turn.next", mod)
            assert log.state.turn is not None
            holder = log.state.turn.participant_id
            log.add("statement.post", holder, text=f"第{turn_no}次发言：" + "意见" * 40)
            log.add("turn.yield" if turn_no % 3 else "turn.end", holder if turn_no % 3 else mod)
            turn_no += 1
        log.add("chat.send", residents[turn_no % 36], text=f"留言{turn_no}", status="visible")
        if turn_no % 9 == 0:
            message = next(reversed(log.state.chat))
            log.add("chat.pin", mod, message_id=message)
        if turn_no % 12 == 0:
            log.add("presence", participant_id=residents[turn_no % 36], node="n1", online=False)
            log.add("presence", participant_id=residents[turn_no % 36], node="n1", online=True)
        if turn_no % 30 == 0:
            poll = log.add(
                "poll.open",
                mod,
                question=f"表决{turn_no}",
                kind="yes_no_abstain",
                secret=turn_no % 60 == 0,
            )["poll_id"]
            for n, pid in enumerate(residents[:20]):
                log.add("poll.vote", pid, poll_id=poll, choices=[n % 3])
            log.add("poll.vote", clerk, poll_id=poll, choices=[0], on_behalf_of=hall[0])
            log.add("poll.close", mod, poll_id=poll)
            log.add("decision.record", mod, text=f"决定{turn_no}", poll_id=poll)
            actions.append(
                log.add(
                    "action.add", mod, title=f"事项{turn_no}", owner="街道办", due="2026-01-31"
                )["action_id"]
            )
            log.add("minutes.note", clerk, text=f"备注{turn_no}")
            item = (item + 1) % 4
            log.add("agenda.goto", mod, index=item)
    log.add("session.end", mod)
    log.add("presence", participant_id=office, node="n1", online=True)
    while len(log.entries) < size:
        log.add(
            "action.update",
            office,
            action_id=actions[len(log.entries) % len(actions)],
            status="in_progress",
            note="办理中",
        )
    return log.entries


def measure(steps: list[tuple[str, Callable[[], object]]], runs: int) -> list[Json]:
    """Time every step once per round, ``runs`` rounds, the steps interleaved so that
    load from other processes falls on all of them alike. The ratio is the median of
    each round's step / baseline (the first step) ratio."""
    times: list[list[float]] = [[] for _ in steps]
    for _ in range(runs):
        for n, (_, fn) in enumerate(steps):
            begin = time.perf_counter()
            fn()
            times[n].append((time.perf_counter() - begin) * 1000)
    return [
        {
            "what": what,
            "median_ms": round(statistics.median(times[n]), 1),
            "best_ms": round(min(times[n]), 1),
            "ratio": round(statistics.median(t / b for t, b in zip(times[n], times[0])), 2),
        }
        for n, (what, _) in enumerate(steps)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)

    entries = long_session(args.entries)
    state = replay(ROOM, entries)
    model = build_minutes(state, digest=log_digest(entries))
    turns = sum(len(i["turns"]) for i in model["agenda"])
    polls = sum(len(i["polls"]) for i in model["agenda"])

    steps: list[tuple[str, Callable[[], object]]] = [
        ("replay the log (baseline)", lambda: replay(ROOM, entries)),
        ("log digest", lambda: log_digest(entries)),
        (
            "minutes model (digest + build)",
            lambda: build_minutes(state, digest=log_digest(entries)),
        ),
    ]
    for fmt in FORMATS:
        steps.append(
            (
                f"minutes as {fmt} (digest + build + render)",
                lambda fmt=fmt: render_minutes(
                    state,
                    digest=log_digest(entries),  # type: ignore[misc]
                    fmt=fmt,
                    lang="zh",
                ),
            )
        )
    steps.append(
        (
            "replay + minutes as docx (the CLI's work)",
            lambda: render_minutes(
                replay(ROOM, entries), digest=log_digest(entries), fmt="docx", lang="zh"
            ),
        )
    )
    results = measure(steps, args.runs)

    if args.json:
        print(
            json.dumps(
                {
                    "entries": len(entries),
                    "turns": turns,
                    "polls": polls,
                    "runs": args.runs,
                    "python": sys.version.split()[0],
                    "results": results,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    print(
        f"{len(entries)} log entries: {turns} turns, {polls} polls, "
        f"{len(model['attendance'])} people; {args.runs} interleaved rounds, "
        f"Python {sys.version.split()[0]}"
    )
    print(f"{'':46} {'median ms':>10} {'best ms':>8} {'x replay':>9}")
    for row in results:
        print(
            f"{row['what']:46} {row['median_ms']:10.1f} {row['best_ms']:8.1f} {row['ratio']:9.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
