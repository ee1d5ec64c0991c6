"""Two Yishi nodes on one redis-server vs on a six-process Redis Cluster, in one run:
many rooms busy at once, fan-out cost per delivery and cross-node latency.

    python3 -m bench.cluster_fanout [--rooms 20] [--listeners 10] [--rate 5]
                                    [--seconds 10] [--rounds 2] [--out DIR]

For each store (``redis://`` then ``redis+cluster://``, each started fresh: an
append-only redis-server with ``appendfsync always``, or three masters and
three replicas configured alike) two ``yishi serve`` nodes start; every room
gets a moderator on node 0 who publishes ``chat.send`` at ``--rate`` messages a
second, and ``--listeners`` observers, half on node 0 and half on node 1. All
rooms publish at once. Each chat text carries its send time; every listener
notes when it arrives (one process, one clock), so:

* **cross-node p50 / p99**: send to arrival at a listener on node 1 (the entry
  went through Redis pub/sub: the room's shard, on the cluster);
* **same-node p50**: the same at node 0's listeners, for reference;
* **fan-out µs per delivery**: CPU seconds of both Yishi nodes during the load,
  divided by the messages delivered to listeners;
* **Redis µs per entry**: CPU seconds of every redis-server process (replicas
  included) divided by the entries appended.

With ``--rounds 2`` (the default) the stores run in the order one, cluster,
cluster, one, so that a machine getting busier or quieter during the run
weighs on both alike; the table gives the median of each figure.

It uses the test suite's black-box client (tests/server/roomclient.py) and
Redis launchers (tests/redis), and prints a Markdown table (also written to
DIR/cluster-fanout.md with the raw figures in cluster-fanout.json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
for sub in ("tests/server", "tests/redis"):
    sys.path.insert(0, str(REPO / sub))

from redisclusterserver import RedisClusterServer  # noqa: E402
from redisserver import RedisServer  # noqa: E402
from roomclient import Api, Client  # noqa: E402
from yishinodes import ADMIN, NodeProcess  # noqa: E402

from bench import procinfo  # noqa: E402

Json = dict[str, Any]
MARK = "bench:"


class TimedClient(Client):
    """A client that notes when each benchmark chat message arrives."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.arrivals: list[tuple[int, int]] = []  # (sent ns, arrived ns)

    def _file(self, message: Any) -> None:
        if isinstance(message, dict) and message.get("type") == "chat.posted":
            text = message.get("data", {}).get("text", "")
            if text.startswith(MARK):
                self.arrivals.append((int(text[len(MARK) :].split(":")[0]), time.perf_counter_ns()))
                return
        super()._file(message)


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def session(url: str, store_pids: list[int], workdir: Path, args: argparse.Namespace) -> Json:
    nodes = [NodeProcess(f"node{i}", url, workdir) for i in range(2)]
    for node in nodes:
        node.launch()
    for node in nodes:
        await asyncio.to_thread(node.wait_healthy)
    apis = [Api(node.base_url, ADMIN) for node in nodes]
    clients: list[Client] = []
    try:
        publishers: list[TimedClient] = []
        listeners: list[tuple[int, TimedClient]] = []
        for r in range(args.rooms):
            room = await apis[0].create_room(title=f"bench {r}")
            pub = await TimedClient.open(nodes[0].ws_base, room["room_id"], label=f"pub{r}")
            assert isinstance(pub, TimedClient)
            clients.append(pub)
            assert (await pub.hello(room["moderator_token"])).ok
            await pub.ok("session.start")
            publishers.append(pub)
            for i in range(args.listeners):
                side = i % 2
                person = await apis[side].join(
                    room["room_id"], room["invite_code"], f"l{i}", observer=True
                )
                listener = await TimedClient.open(
                    nodes[side].ws_base, room["room_id"], label=f"r{r}l{i}"
                )
                assert isinstance(listener, TimedClient)
                clients.append(listener)
                assert (await listener.hello(person.token)).ok
                listeners.append((side, listener))
        node_pids = [n.proc.pid for n in nodes if n.proc is not None]
        cpu0 = procinfo.usage(node_pids)[0]
        rcpu0 = procinfo.usage(store_pids)[0]
        count = int(args.rate * args.seconds)
        began = time.perf_counter()

        async def publish(pub: TimedClient, offset: float) -> None:
            await asyncio.sleep(offset)  # the rooms' sends spread over one interval
            start = time.perf_counter()
            for k in range(count):
                delay = start + k / args.rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)  # pacing: the rate is the workload
                await pub.send("chat.send", {"text": f"{MARK}{time.perf_counter_ns()}:{k}"})

        await asyncio.gather(
            *(publish(p, i / args.rate / args.rooms) for i, p in enumerate(publishers))
        )
        deadline = time.monotonic() + 60
        while any(len(c.arrivals) < count for _, c in listeners):
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)  # arrivals have no single event to wait on
        elapsed = time.perf_counter() - began
        cpu = procinfo.usage(node_pids)[0] - cpu0
        rcpu = procinfo.usage(store_pids)[0] - rcpu0
        delivered = sum(len(c.arrivals) for _, c in listeners)
        lat = {
            node: [(a - s) / 1e6 for n, c in listeners if n == node for s, a in c.arrivals]
            for node in (0, 1)
        }
        return {
            "rooms": args.rooms,
            "listeners": len(listeners),
            "messages": count * args.rooms,
            "delivered": delivered,
            "expected": count * len(listeners),
            "seconds": round(elapsed, 2),
            "cross_p50_ms": pct(lat[1], 0.5),
            "cross_p99_ms": pct(lat[1], 0.99),
            "same_p50_ms": pct(lat[0], 0.5),
            "us_per_delivery": cpu * 1e6 / delivered if delivered else None,
            "redis_us_per_entry": rcpu * 1e6 / (count * args.rooms),
            "node_cpu_s": round(cpu, 2),
            "redis_cpu_s": round(rcpu, 2),
            "mean_ms": statistics.fmean(lat[1]) if lat[1] else None,
        }
    finally:
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
        for api in apis:
            await api.aclose()
        for node in nodes:
            node.stop()


def _f(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def table(results: dict[str, Json]) -> str:
    one, many = results["redis"], results["cluster"]
    rows = [
        "| store | delivered | cross-node p50 ms | p99 ms | same-node p50 ms |"
        " fan-out µs/delivery | Redis µs/entry |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in (("one redis-server", one), ("cluster, 3 masters + 3 replicas", many)):
        rows.append(
            f"| {name} | {r['delivered']}/{r['expected']} | {_f(r['cross_p50_ms'])} |"
            f" {_f(r['cross_p99_ms'])} | {_f(r['same_p50_ms'])} |"
            f" {_f(r['us_per_delivery'])} | {_f(r['redis_us_per_entry'])} |"
        )

    def ratio(key: str) -> str:
        a, b = one.get(key), many.get(key)
        return "-" if not a or b is None else f"{b / a:.2f}"

    rows.append(
        f"| cluster / one server | | {ratio('cross_p50_ms')} | {ratio('cross_p99_ms')} |"
        f" {ratio('same_p50_ms')} | {ratio('us_per_delivery')} |"
        f" {ratio('redis_us_per_entry')} |"
    )
    return "\n".join(rows)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", type=int, default=20)
    parser.add_argument("--listeners", type=int, default=10, help="per room, half per node")
    parser.add_argument("--rate", type=float, default=5.0, help="messages a second per room")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2, help="one round: both stores")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args()
    runs: dict[str, list[Json]] = {"redis": [], "cluster": []}
    order = [("redis", "cluster"), ("cluster", "redis")]
    with tempfile.TemporaryDirectory(prefix="yishi-cluster-bench-") as tmp:
        for n in range(args.rounds):
            for store in order[n % 2]:
                work = Path(tmp) / f"{store}-{n}"
                runs[store].append(await run_on(store, work, args))
    results = {store: median_of(each) for store, each in runs.items()}
    text = table(results)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "cluster-fanout.md").write_text(text + "\n")
    (args.out / "cluster-fanout.json").write_text(
        json.dumps(
            {
                "args": vars(args) | {"out": str(args.out)},
                "cpus": os.cpu_count(),
                "results": results,
                "runs": runs,
            },
            indent=2,
        )
    )
    ok = all(r["delivered"] == r["expected"] for each in runs.values() for r in each)
    return 0 if ok else 1


async def run_on(store: str, work: Path, args: argparse.Namespace) -> Json:
    """One session on a fresh store of that kind, stopped afterwards."""
    if store == "redis":
        single = RedisServer(work / "redis")
        single.start()
        try:
            assert single.proc is not None
            return await session(single.url, [single.proc.pid], work, args)
        finally:
            single.stop()
    cluster = RedisClusterServer(work / "cluster")
    await asyncio.to_thread(cluster.start)
    try:
        pids = [m.proc.pid for m in cluster.members if m.proc is not None]
        return await session(cluster.url, pids, work, args)
    finally:
        cluster.stop()


def median_of(runs: list[Json]) -> Json:
    """Each figure's median over the runs (the counts summed)."""
    out: Json = {}
    for key in runs[0]:
        values = [r[key] for r in runs if r[key] is not None]
        if key in ("delivered", "expected"):
            out[key] = sum(values)
        else:
            out[key] = statistics.median(values) if values else None
    return out


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
