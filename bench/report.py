"""Turn a results JSON (bench.run) into Markdown tables and a list of failures.

One table per workload, every server side by side; ratios are against B0 from
the same run ("x B0"), because the machine is shared and absolute figures drift.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Json = dict[str, Any]
DASH = "–"


def _f(value: Any, digits: int = 1) -> str:
    if value is None:
        return DASH
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _ratio(value: Any, base: Any) -> str:
    if not isinstance(value, (int, float)) or not isinstance(base, (int, float)) or not base:
        return DASH
    return f"{value / base:.2f}x"


def _phase(results: Json, server: str, session: str, phase: str) -> Json | None:
    run = results["servers"].get(server, {}).get("sessions", {}).get(session)
    if not run:
        return None
    got = run.get("phases", {}).get(phase)
    return got if isinstance(got, dict) and "error" not in got else None


def _find(results: Json, phase: str) -> list[tuple[str, str]]:
    """(session, phase) pairs present in the run for a phase name, in session order."""
    seen: list[tuple[str, str]] = []
    for srv in results["servers"].values():
        for session, run in srv["sessions"].items():
            if phase in run.get("phases", {}) and (session, phase) not in seen:
                seen.append((session, phase))
    return seen


def _clients(results: Json, session: str) -> int:
    """Sockets in a session (the same for every server)."""
    for srv in results["servers"].values():
        if srv["sessions"].get(session, {}).get("clients"):
            return int(srv["sessions"][session]["clients"])
    return 0


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return [*out, ""]


def _rows(
    results: Json, session: str, phase: str, cols: Callable[[str, Json, Json | None], list[str]]
) -> list[list[str]]:
    base = _phase(results, "b0", session, phase)
    rows = []
    for server, srv in results["servers"].items():
        got = _phase(results, server, session, phase)
        if got is None:
            run = srv["sessions"].get(session, {})
            why = (
                run.get("error")
                or (run.get("phases", {}).get(phase) or {}).get("error")
                or "not run"
            )
            rows.append([srv["label"], f"failed: {why.splitlines()[0][:120]}"])
            continue
        rows.append([srv["label"], *cols(server, got, base)])
    return rows


def markdown(results: Json) -> str:
    m = results["machine"]
    v = m["versions"]
    lines = [
        f"# Yishi benchmark ({results['mode']} run, {results['started']})",
        "",
        f"Command: `{results['command']}` ({results.get('total_s', 0):.0f} s).  ",
        (
            f"Machine: {m['cpus']} cores ({m['cpu'] or 'unknown CPU'}), {m['mem_gib']} GiB, "
            f"Linux {m['kernel']}; Python {v.get('python')}, websockets {v.get('websockets')}, "
            f"python-socketio {v.get('socketio')}, uvicorn {v.get('uvicorn')}, "
            f"uvloop {v.get('uvloop')}, redis-server {v.get('redis-server')}.  "
        ),
        (
            "Load generator: one Python asyncio (uvloop) process on the same machine; "
            '"gen CPU" is its CPU time over wall time (100% = one core: the client is saturated).'
        ),
        "Latency is publish to receipt, in ms. 200-byte messages, compression off.",
        "",
    ]

    for session, phase in _find(results, "fanout"):
        some = next(p for s in results["servers"] if (p := _phase(results, s, session, phase)))
        clients = _clients(results, session)
        lines += [f"## Fan-out: {clients:,} sockets in one room, {some.get('rate')} msg/s", ""]
        lines += _table(
            [
                "server",
                "p50",
                "p95",
                "p99",
                "p99 x B0",
                "delivered/s",
                "reach",
                "server µs/delivery",
                "x B0",
                "gen CPU %",
            ],
            _rows(
                results,
                session,
                phase,
                lambda s, g, b: [
                    _f(g["p50_ms"]),
                    _f(g["p95_ms"]),
                    _f(g["p99_ms"]),
                    _ratio(g["p99_ms"], b and b["p99_ms"]),
                    _f(g["delivered_per_s"]),
                    _f(g["reach"], 4),
                    _f(g["server_us_per_delivery"]),
                    _ratio(g["server_us_per_delivery"], b and b["server_us_per_delivery"]),
                    _f(g["gen_cpu_pct"], 0),
                ],
            ),
        )

    for session, phase in _find(results, "burst"):
        lines += [
            "## Chat bursts (messages sent back to back; each burst drains before the next)",
            "",
        ]
        lines += _table(
            [
                "server",
                "bursts x size",
                "p50",
                "p99",
                "p99 x B0",
                "delivered/s",
                "x B0",
                "reach",
                "gen CPU %",
            ],
            _rows(
                results,
                session,
                phase,
                lambda s, g, b: [
                    f"{g['bursts']} x {g['size']}",
                    _f(g["p50_ms"]),
                    _f(g["p99_ms"]),
                    _ratio(g["p99_ms"], b and b["p99_ms"]),
                    _f(g["delivered_per_s"]),
                    _ratio(g["delivered_per_s"], b and b["delivered_per_s"]),
                    _f(g["reach"], 4),
                    _f(g["gen_cpu_pct"], 0),
                ],
            ),
        )

    for session, phase in _find(results, "sweep"):
        lines += ["## Sustainable rate (highest steady rate with reach 1.0 and p99 < 250 ms)", ""]

        def sweep_cols(s: str, g: Json, b: Json | None) -> list[str]:
            best = g.get("best") or {}
            steps = ", ".join(f"{st['rate']:g}{'✓' if st['pass'] else '✗'}" for st in g["steps"])
            fail = next((st for st in g["steps"] if not st["pass"]), None)
            return [
                _f(g["best_rate"]),
                _ratio(g["best_rate"], b and b["best_rate"]),
                _f(best.get("delivered_per_s")),
                _f(best.get("p99_ms")),
                steps,
                _f(fail and fail["gen_cpu_pct"], 0),
            ]

        lines += _table(
            [
                "server",
                "msg/s",
                "x B0",
                "deliveries/s",
                "p99 at best",
                "steps (msg/s)",
                "gen CPU % at first failed step",
            ],
            _rows(results, session, phase, sweep_cols),
        )

    for session, phase in _find(results, "half-b0"):
        lines += ["## Latency at half of B0's best rate", ""]
        lines += _table(
            ["server", "msg/s", "p50", "p99", "p99 x B0", "reach", "gen CPU %"],
            _rows(
                results,
                session,
                phase,
                lambda s, g, b: [
                    _f(g["rate"]),
                    _f(g["p50_ms"]),
                    _f(g["p99_ms"]),
                    _ratio(g["p99_ms"], b and b["p99_ms"]),
                    _f(g["reach"], 4),
                    _f(g["gen_cpu_pct"], 0),
                ],
            ),
        )

    for session, phase in _find(results, "idle"):
        clients = _clients(results, session)
        lines += [f"## Idle memory per socket, {clients:,} sockets (RSS growth / sockets)", ""]

        def idle_cols(s: str, g: Json, b: Json | None, session: str = session) -> list[str]:
            run = results["servers"][s]["sessions"][session]
            return [
                _f(g["sockets"]),
                _f(g["rss_before_mb"]),
                _f(g["rss_idle_mb"]),
                _f(g["kib_per_socket"]),
                _ratio(g["kib_per_socket"], b and b["kib_per_socket"]),
                _f(run.get("connect_s"), 2),
                _f(run.get("join_s"), 2),
            ]

        lines += _table(
            [
                "server",
                "sockets",
                "RSS before MB",
                "RSS idle MB",
                "KiB/socket",
                "x B0",
                "connect s",
                "join s",
            ],
            _rows(results, session, phase, idle_cols),
        )

    for session, phase in _find(results, "idle"):
        clients = _clients(results, session)
        lines += [
            f"## Memory per joined resident, {clients:,} residents",
            "",
            "RSS growth from before the first join to the idle room, divided by the residents:",
            "the socket, the participant and everything the joins left behind. Against B0's",
            "idle memory per socket (B0 has no joins: a resident is a socket).",
            "",
        ]

        def resident_cols(s: str, g: Json, b: Json | None) -> list[str]:
            per = g.get("kib_per_resident", g["kib_per_socket"])
            return [
                _f(g["sockets"]),
                _f(g.get("rss_before_join_mb", g["rss_before_mb"])),
                _f(g["rss_idle_mb"]),
                _f(per),
                _f(g["kib_per_socket"]),
                _ratio(per, b and b["kib_per_socket"]),
            ]

        lines += _table(
            [
                "server",
                "residents",
                "RSS before joins MB",
                "RSS idle MB",
                "KiB/resident",
                "KiB/socket",
                "x B0 KiB/socket",
            ],
            _rows(results, session, phase, resident_cols),
        )

    for session, phase in _find(results, "slow"):
        lines += ["## Slow readers (1% of clients stop reading; figures for the others)", ""]

        def slow_cols(s: str, g: Json, b: Json | None, session: str = session) -> list[str]:
            ref = _phase(results, s, session, g.get("compare", ""))
            ref_p99 = ref and ref["p99_ms"]
            change = (
                f"{100 * (g['p99_ms'] / ref_p99 - 1):+.0f}%"
                if g["p99_ms"] is not None and ref_p99
                else DASH
            )
            closed = _after(g)
            return [
                _f(g["slow_clients"]),
                _f(g["rate"]),
                _f(g["p99_ms"]),
                _f(ref_p99),
                change,
                _f(g["reach"], 4),
                _f(g["server_rss_growth_mb"]),
                closed,
            ]

        lines += _table(
            [
                "server",
                "slow",
                "msg/s",
                "p99",
                "p99 without",
                "change",
                "reach",
                "RSS growth MB",
                "slow sockets, once they read again",
            ],
            _rows(results, session, phase, slow_cols),
        )

    for session, phase in _find(results, "flood"):
        lines += [
            "## A stalled socket, flooded (1 of 10 stops reading; the others drain each burst)",
            "",
        ]

        def flood_cols(s: str, g: Json, b: Json | None) -> list[str]:
            return [
                _f(g["slow_clients"]),
                _f(g["messages"]),
                _f(g["server_rss_growth_mb"]),
                _f(g.get("stalled_kernel_kib")),
                f"{g.get('stalled_closed_by_server', 0)} of {g['slow_clients']}",
                _after(g),
                " / ".join(_f(x) for x in g["slow_received"]),
                _f(g["reach"], 4),
                _f(g["p99_ms"]),
            ]

        lines += _table(
            [
                "server",
                "stalled",
                "messages",
                "RSS growth MB",
                "in kernel queues KiB",
                "closed by the server while stalled",
                "stalled socket, once it reads again",
                "it received",
                "others' reach",
                "others' p99",
            ],
            _rows(results, session, phase, flood_cols),
        )

    for session, phase in _find(results, "reconnect"):
        lines += ["## Reconnect storm (every socket drops, all come back within the window)", ""]
        lines += _table(
            [
                "server",
                "sockets",
                "window s",
                "back p50",
                "back p99",
                "all back s",
                "failed",
                "missed msgs replayed",
                "reach after",
            ],
            _rows(
                results,
                session,
                phase,
                lambda s, g, b: [
                    _f(g["sockets"]),
                    _f(g["window_s"]),
                    _f(g["back_p50_ms"]),
                    _f(g["back_p99_ms"]),
                    _f(g["all_back_s"], 2),
                    _f(g["failed"]),
                    _f(g["replay_reach"], 4) if g["replay_reach"] is not None else "no resume",
                    _f(g["reach"], 4),
                ],
            ),
        )

    lines += _two_nodes(results) + _targets(results)
    from bench import voice_report  # it builds on this module's helpers

    lines += voice_report.markdown(results)
    failures = results.get("failures") or []
    lines += ["## Failures", ""] + ([f"* {f}" for f in failures] or ["None."]) + [""]
    return "\n".join(lines)


def _after(g: Json) -> str:
    """What became of the stalled sockets once they read again."""
    return "; ".join(f"{n} {what}" for what, n in g.get("slow_after_resume", {}).items()) or DASH


def _two_nodes(results: Json) -> list[str]:
    rows = []
    for single, double in (("b1", "b1-2n"), ("yishi", "yishi-2n")):
        if double not in results["servers"]:
            continue
        for session, phase in _find(results, "fanout"):
            one = _phase(results, single, session, phase)
            two = _phase(results, double, session, phase)
            if two is None:
                continue
            delta = (
                two["p50_ms"] - one["p50_ms"]
                if one and two["p50_ms"] is not None and one["p50_ms"] is not None
                else None
            )
            by_node = " / ".join(_f(x) for x in two.get("p50_ms_by_node", []))
            rows.append(
                [
                    results["servers"][double]["label"],
                    session,
                    _f(one and one["p50_ms"]),
                    _f(two["p50_ms"]),
                    _f(delta),
                    by_node,
                ]
            )
    if not rows:
        return []
    return [
        "## Cross-node delivery (fan-out p50, two nodes vs one)",
        "",
        *_table(
            ["server", "room", "p50 one node", "p50 two nodes", "added ms", "p50 node 1 / node 2"],
            rows,
        ),
    ]


def _targets(results: Json) -> list[str]:
    """The issue's targets for Yishi, with what this run measured."""
    if (
        "yishi" not in results["servers"]
        or results["mode"] != "full"
        or not _find(results, "fanout")
    ):
        return []

    def sweep(s: str) -> Any:
        g = _phase(results, s, "room-1k", "sweep")
        return g and g["best_rate"]

    def val(s: str, session: str, phase: str, key: str) -> Any:
        g = _phase(results, s, session, phase)
        return g and g.get(key)

    rows: list[list[str]] = []

    def target(name: str, measured: str, ok: bool | None) -> None:
        rows.append([name, measured, DASH if ok is None else ("met" if ok else "**not met**")])

    def compared(
        name: str,
        ours: float | None,
        base: float | None,
        *,
        at_most: float | None = None,
        at_least: float | None = None,
    ) -> None:
        """A target stated as a ratio of Yishi's figure to a baseline's from the same run."""
        ok = None
        if ours and base:
            ok = ours <= at_most * base if at_most is not None else ours >= (at_least or 0) * base
        target(name, _ratio(ours, base), ok)

    y, b0, b1 = sweep("yishi"), sweep("b0"), sweep("b1")
    compared("fan-out rate >= 0.5x B0", y, b0, at_least=0.5)
    compared("fan-out rate >= 2x B1", y, b1, at_least=2)
    compared(
        "p99 at half B0's best <= 2x B0",
        val("yishi", "room-1k", "half-b0", "p99_ms"),
        val("b0", "room-1k", "half-b0", "p99_ms"),
        at_most=2,
    )
    for room in ("room-5k", "room-1k"):
        compared(
            f"idle memory per socket <= 2x B0 ({room})",
            val("yishi", room, "idle", "kib_per_socket"),
            val("b0", room, "idle", "kib_per_socket"),
            at_most=2,
        )
    for room in ("room-5k", "residents-2k"):
        compared(
            f"memory per joined resident <= 1.5x B0 per socket ({room})",
            val("yishi", room, "idle", "kib_per_resident"),
            val("b0", room, "idle", "kib_per_socket"),
            at_most=1.5,
        )
    one, two = (
        val("yishi", "room-1k", "fanout", "p50_ms"),
        val("yishi-2n", "room-1k", "fanout", "p50_ms"),
    )
    added = two - one if one is not None and two is not None else None
    target(
        "cross-node adds <= 2 ms at p50", f"{_f(added)} ms", None if added is None else added <= 2
    )
    slow = _phase(results, "yishi", "room-1k", "slow")
    ref = _phase(results, "yishi", "room-1k", "half-b0")
    if slow and ref and slow["p99_ms"] and ref["p99_ms"]:
        cost = slow["p99_ms"] / ref["p99_ms"] - 1
        target("slow readers cost healthy p99 <= 10%", f"{100 * cost:+.0f}%", cost <= 0.10)
    else:
        target("slow readers cost healthy p99 <= 10%", DASH, None)
    flood = _phase(results, "yishi", "slow-flood", "flood")
    b0_flood = _phase(results, "b0", "slow-flood", "flood")
    if flood:
        closed = flood.get("stalled_closed_by_server", 0)
        target(
            "memory bounded with slow readers",
            f"RSS +{_f(flood['server_rss_growth_mb'])} MB (B0 +"
            f"{_f(b0_flood and b0_flood['server_rss_growth_mb'])} MB); "
            f"{closed} of {flood['slow_clients']} stalled sockets closed by the server",
            closed == flood["slow_clients"],
        )
    heading = "## Targets (Yishi, from issues 7 and 11)"
    return [heading, "", *_table(["target", "measured", ""], rows)]


def failures(results: Json) -> list[str]:
    """What makes this run a failure: errors, and reach below 1.0 where it must be 1.0."""
    out: list[str] = []
    for server, srv in results["servers"].items():
        for session, run in srv["sessions"].items():
            where = f"{server} {session}"
            if run.get("error"):
                out.append(f"{where}: {run['error'].splitlines()[0]}")
            for name, ph in run.get("phases", {}).items():
                if "error" in ph:
                    out.append(f"{where} {name}: {ph['error']}")
                    continue
                if name == "sweep" or ph.get("reach") is None:
                    continue
                if ph["reach"] < 1.0:
                    out.append(f"{where} {name}: reach {ph['reach']}")
                if ph.get("replay_reach") is not None and ph["replay_reach"] < 1.0:
                    out.append(f"{where} {name}: replay reach {ph['replay_reach']}")
                if ph.get("failed"):
                    out.append(
                        f"{where} {name}: {ph['failed']} reconnects failed ({ph['first_error']})"
                    )
                if server.startswith("yishi") and ph.get("order_violations"):
                    out.append(
                        f"{where} {name}: {ph['order_violations']} duplicates or reorderings"
                    )
    return out
