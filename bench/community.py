"""How fast a large community loads and answers: ``python3 -m bench.community``.

Builds a community of 50,000 topics and 5,000 rooms' sessions (co-signs, triage,
decisions, actions, solutions, ratings: about 200,000 log entries) in a real SQLite
log (the embedded default), then measures, on this machine:

* load from the log alone (every entry replayed through the reducer);
* load as a node does it: the stored snapshot, then the tail after it;
* a filtered list (state, category, month, text; the API's 50 per page), each
  timed over repeated calls, median and worst;
* the figures (whole, by category, by month), computed afresh.

Not a test: nothing here asserts a speed. ``--topics``/``--rooms`` scale it down.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from yishi.backends.sqlite import SqliteBackend
from yishi.core.community.figures import figures
from yishi.core.community.views import listing
from yishi.host.communities import Communities, Community, log_id
from yishi.minutes.deadlines import is_overdue

DAY = 86_400_000
START = 1_767_225_600_000  # 2026-01-01 UTC
CATEGORIES = ["加装电梯", "停车", "垃圾分类", "环境卫生", "安全", "其他"]
TAIL = 500


def entries(topics: int, rooms: int) -> Iterator[tuple[str, str | None, dict[str, Any], int]]:
    """(kind, actor, args, at) of the community's log, in order."""
    yield "community.create", None, {"name": "幸福里", "categories": CATEGORIES}, START
    yield "staff.add", "s1", {"role": "office", "name": "街道办"}, START
    for n in range(1, topics + 1):
        at = START + n * (365 * DAY // topics)
        yield (
            "topic.submit",
            None,
            {
                "title": f"议题{n} {CATEGORIES[n % 6]}",
                "description": f"第{n}号议题，楼栋{n % 40}",
                "category": CATEGORIES[n % 6],
                "device": f"dev{n:08d}",
                "status": "submitted",
            },
            at,
        )
        for k in range(n % 3):
            yield "topic.cosign", None, {"topic_id": f"t{n}", "device": f"co{n}-{k}"}, at
        if n % 10 == 3:
            yield (
                "topic.transition",
                "s1",
                {"topic_id": f"t{n}", "to": "declined", "reason": "不属于社区事务"},
                at,
            )
        elif n % 10 == 4 and n > 10:
            yield (
                "topic.transition",
                "s1",
                {"topic_id": f"t{n}", "to": "merged", "into": f"t{n - 10}"},
                at,
            )
        elif n % 2 == 0:
            yield "topic.transition", "s1", {"topic_id": f"t{n}", "to": "accepted"}, at
        if n % 10 == 0 and n // 10 <= rooms:
            tid = f"t{n}"
            yield (
                "topic.transition",
                "s1",
                {"topic_id": tid, "to": "scheduled", "room_id": f"room{n}", "room_title": tid},
                at,
            )
            yield (
                "topic.transition",
                "s1",
                {"topic_id": tid, "to": "deliberated", "decisions": ["同意实施"]},
                at + DAY,
            )
            actions = [
                {
                    "action_id": "a1",
                    "title": "实施",
                    "owner": "物业",
                    "due": "2026-06-30",
                    "status": "open",
                }
            ]
            yield (
                "topic.transition",
                "s2",
                {"topic_id": tid, "to": "in_progress", "actions": actions},
                at + 2 * DAY,
            )
            if n % 20 == 0:
                yield (
                    "topic.transition",
                    "s2",
                    {"topic_id": tid, "to": "solved", "report": "已完成", "actions": actions},
                    at + 9 * DAY,
                )
                yield (
                    "topic.rate",
                    None,
                    {"topic_id": tid, "device": f"co{n}-0", "rating": "satisfied"},
                    at + 10 * DAY,
                )


def timed(fn: Any, repeat: int) -> str:
    """Median and worst milliseconds of ``fn()`` over ``repeat`` calls, wall clock and
    this process's CPU (on a shared machine the CPU time is the steadier figure)."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return (
        f"{statistics.median(wall):.1f} ms (worst {max(wall):.1f}) | "
        f"{statistics.median(cpu):.1f} ms (worst {max(cpu):.1f})"
    )


class Stopwatch:
    """Wall and CPU seconds since it was made, as one table cell pair."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def __str__(self) -> str:
        return f"{time.perf_counter() - self.wall:.2f} s | {time.process_time() - self.cpu:.2f} s"


async def build(path: Path, topics: int, rooms: int) -> int:
    now = [START]
    backend = SqliteBackend(path=path, clock=lambda: now[0])
    await backend.start()
    count = 0
    batch: list[Any] = []
    for kind, actor, args, at in entries(topics, rooms):
        now[0] = at
        batch.append(backend.append(log_id("bench"), kind, actor=actor, args=args))
        count += 1
        if len(batch) >= 2000:
            await asyncio.gather(*batch)
            batch = []
    await asyncio.gather(*batch)
    await backend.close()
    return count


async def measure(path: Path) -> list[tuple[str, str]]:
    rows = []
    backend = SqliteBackend(path=path, clock=lambda: START)
    await backend.start()
    try:
        watch = Stopwatch()
        community = Community(backend, "bench", snapshot_every=10**9)
        await community.catch_up()
        rows.append(("load: replay the whole log", str(watch)))
        state = community.state
        rows.append(
            (
                "entries / topics / sessions",
                f"{state.entry_seq} / {len(state.topics)} / "
                f"{sum(len(t.sessions) for t in state.topics.values())} |",
            )
        )
        # A snapshot TAIL entries before the end, as a node would have stored it.
        tail = Community(backend, "bench", snapshot_every=10**9)
        first = await backend.read(tail.log_id, after=0, limit=state.entry_seq - TAIL)
        for entry in first:
            tail._apply(entry)
        watch = Stopwatch()
        await tail._save_snapshot()
        rows.append(("store a snapshot (pickle in a thread, write)", str(watch)))
        watch = Stopwatch()
        loaded = await Communities(backend).get("bench")
        rows.append((f"load: snapshot + tail of {TAIL} entries", str(watch)))
        assert loaded is not None and loaded.state == state and loaded.chain == community.chain
        filters: list[tuple[str, dict[str, Any]]] = [
            ("list: no filter", {}),
            ("list: state=solved", {"status": "solved"}),
            ("list: state=accepted", {"status": "accepted"}),
            ("list: category=停车", {"category": "停车"}),
            ("list: month=2026-06", {"month": "2026-06"}),
            (
                "list: state+category+month",
                {"status": "accepted", "category": "停车", "month": "2026-06"},
            ),
            ("list: q=楼栋7 (text, all topics)", {"q": "楼栋7"}),
            ("list: q=不存在 (text, no match)", {"q": "不存在"}),
        ]
        for name, kwargs in filters:
            rows.append((name, timed(lambda kwargs=kwargs: listing(state, **kwargs), 20)))
        rows.append(
            (
                "figures, computed afresh",
                timed(lambda: figures(state, today=date(2026, 12, 31), is_overdue=is_overdue), 5),
            )
        )
    finally:
        await backend.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topics", type=int, default=50_000)
    parser.add_argument("--rooms", type=int, default=5_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        start = time.perf_counter()
        count = asyncio.run(build(path, args.topics, args.rooms))
        print(f"built {count} entries in {time.perf_counter() - start:.0f} s")
        rows = asyncio.run(measure(path))
    print("| measure | wall | CPU |\n|---|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
