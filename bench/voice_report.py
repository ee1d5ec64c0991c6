"""The voice session's tables (bench.voice), for bench.report: ratios against B0's run.

Only servers that ran the voice session appear (B1 has no voice).
"""

from __future__ import annotations

from typing import Any

from bench.report import DASH, _f, _ratio, _table

Json = dict[str, Any]
SESSION = "voice"
EVENTS_ALONE = "voice-events"  # bench.run's session run only when named


def _voice(results: Json, server: str, phase: str, session: str = SESSION) -> Json | None:
    run = results["servers"].get(server, {}).get("sessions", {}).get(session)
    got = (run or {}).get("phases", {}).get(phase)
    return got if isinstance(got, dict) and "error" not in got else None


def _servers(results: Json, session: str = SESSION) -> list[str]:
    return [s for s, srv in results["servers"].items() if session in srv["sessions"]]


def _label(results: Json, server: str) -> str:
    return str(results["servers"][server]["label"])


def _failed(results: Json, server: str) -> list[str] | None:
    """A row saying why the server has no voice figures, or None when it has them."""
    run = results["servers"][server]["sessions"][SESSION]
    if run.get("error"):
        return [_label(results, server), f"failed: {run['error'].splitlines()[0][:120]}"]
    return None


def _drops(g: Json) -> str:
    counts = g.get("server_counts")
    if not counts:
        return DASH
    return _f(int(counts.get("listener_drops", 0)))


def _speak_table(results: Json, phase: str) -> list[str]:
    servers = _servers(results)
    some = next((g for s in servers if (g := _voice(results, s, phase))), None)
    if some is None:
        return []
    base = _voice(results, "b0", phase)
    rows = []
    for s in servers:
        g = _voice(results, s, phase)
        if g is None:
            rows.append(_failed(results, s) or [_label(results, s), "not run"])
            continue
        by_node = " / ".join(_f(x) for x in g.get("p50_ms_by_node", [])) or DASH
        rows.append(
            [
                _label(results, s),
                _f(g["frame_bytes"]),
                _f(g["p50_ms"]),
                _f(g["p95_ms"]),
                _f(g["p99_ms"]),
                _ratio(g["p99_ms"], base and base["p99_ms"]),
                by_node,
                _f(g["delivered_per_s"]),
                _f(g["reach"], 4),
                _f(g["server_us_per_delivery"]),
                _ratio(g["server_us_per_delivery"], base and base["server_us_per_delivery"]),
                _f(g.get("redis_us_per_delivery"), 2),
                _f(g["server_cpu_pct"], 0),
                _f(g["gen_cpu_pct"], 0),
                _drops(g),
            ]
        )
    head = (
        f"## Voice: one speaker to {some['listeners']:,} listening sockets, "
        f"{some['frame_ms']} ms frames ({some['rate']:g}/s)"
    )
    return [
        head,
        "",
        *_table(
            [
                "server",
                "frame bytes",
                "p50",
                "p95",
                "p99",
                "p99 x B0",
                "p50 node 1 / node 2",
                "delivered/s",
                "reach",
                "server µs/frame delivered",
                "x B0",
                "Redis µs/frame",
                "server CPU %",
                "gen CPU %",
                "listener drops",
            ],
            rows,
        ),
    ]


def _frames_table(results: Json) -> list[str]:
    phases = [("speak", 60), ("frames-40", 40), ("frames-20", 20)]
    rows = []
    for s in _servers(results):
        ref = _voice(results, s, "speak")
        for phase, _ in phases:
            g = _voice(results, s, phase)
            if g is None:
                continue
            base = _voice(results, "b0", phase)
            rows.append(
                [
                    _label(results, s),
                    _f(g["frame_ms"]),
                    _f(g["rate"]),
                    _f(g["payload_bytes"]),
                    _f(g["frame_bytes"]),
                    _f(g["server_us_per_delivery"]),
                    _f(g["server_ms_per_sound_s"]),
                    _ratio(g["server_ms_per_sound_s"], base and base["server_ms_per_sound_s"]),
                    _ratio(g["server_ms_per_sound_s"], ref and ref["server_ms_per_sound_s"]),
                    _f(g["p50_ms"]),
                    _f(g["p99_ms"]),
                    _f(g["reach"], 4),
                ]
            )
    if not rows:
        return []
    listeners = next(
        g["listeners"] for s in _servers(results) if (g := _voice(results, s, "speak"))
    )
    return [
        f"## Voice: frame duration, {listeners:,} listening sockets (about 24 kbit/s of Opus)",
        "",
        "Server CPU per second of sound: the server's CPU time over the seconds of sound "
        "sent, for all the listeners.",
        "",
        *_table(
            [
                "server",
                "frame ms",
                "frames/s",
                "payload bytes",
                "frame bytes",
                "server µs/frame delivered",
                "server CPU ms per s of sound",
                "x B0",
                "x 60 ms",
                "p50",
                "p99",
                "reach",
            ],
            rows,
        ),
    ]


def _events_table(results: Json, session: str = SESSION) -> list[str]:
    rows = []
    some: Json | None = None
    for s in _servers(results, session):
        g = _voice(results, s, "events", session)
        if g is None:
            continue
        some = some or g
        silent, speech = g["silent"], g["speech"]
        rows.append(
            [
                _label(results, s),
                _f(silent["p50_ms"]),
                _f(silent["p99_ms"]),
                _f(speech["p50_ms"]),
                _f(speech["p99_ms"]),
                _pct(g["p99_change"]),
                " / ".join(_f(x) for x in silent.get("p99_ms_rounds", [])),
                " / ".join(_f(x) for x in speech.get("p99_ms_rounds", [])),
                _pct(g.get("p99_change_median_round")),
                f"{_worse(silent, speech)} of {g['rounds']}",
                _f(silent["reach"], 4),
                _f(speech["reach"], 4),
                _f(speech["audio_reach"], 4),
                _f(silent["server_cpu_s"], 2),
                _f(speech["server_cpu_s"], 2),
            ]
        )
    if some is None:
        return []
    alone = " (a session of its own)" if session == EVENTS_ALONE else ""
    return [
        (
            f"## Voice: event latency during speech{alone} "
            f"({some['listeners']:,} listening sockets, "
            f"chat at {some['rate']:g} msg/s, {some['frame_ms']} ms frames; "
            f"{some['rounds']} x {some['seconds']:g} s silent and speaking, alternately)"
        ),
        "",
        *_table(
            [
                "server",
                "silent p50",
                "silent p99",
                "speech p50",
                "speech p99",
                "p99 change",
                "p99 each round, silent",
                "p99 each round, speech",
                "change of the median round's p99",
                "rounds with speech p99 above silent",
                "event reach silent",
                "event reach speech",
                "audio reach",
                "server CPU s silent",
                "server CPU s speech",
            ],
            rows,
        ),
    ]


def _worse(silent: Json, speech: Json) -> int:
    """Rounds whose speech p99 is above the silent round's just before it: a sign test,
    robust to load that comes and goes on a shared machine (no effect: about half)."""
    pairs = zip(silent.get("p99_ms_rounds", []), speech.get("p99_ms_rounds", []))
    return sum(1 for a, b in pairs if a is not None and b is not None and b > a)


def _pct(change: float | None) -> str:
    return DASH if change is None else f"{100 * change:+.0f}%"


def _steps(results: Json, server: str) -> list[Json]:
    """Every 60 ms speaking step of the session in its order (listeners only grow)."""
    run = results["servers"][server]["sessions"][SESSION]
    out: list[Json] = []
    for g in run.get("phases", {}).values():
        if not isinstance(g, dict) or "error" in g or g.get("frame_ms") != 60:
            continue
        if g.get("type") == "speak":
            out.append(g)
        elif g.get("type") == "saturate":
            out += g["steps"]
    return out


def _saturation_table(results: Json) -> list[str]:
    rows = []
    for s in _servers(results):
        steps = _steps(results, s)
        sat = _voice(results, s, "saturate")
        if not steps:
            continue
        best = next((st for st in reversed(steps) if st["pass"]), None)
        fail = next((st for st in steps if not st["pass"]), None)
        rows.append(
            [
                _label(results, s),
                ", ".join(f"{st['listeners']:,}{'✓' if st['pass'] else '✗'}" for st in steps),
                _f(best and best["listeners"]),
                _f(best and best["delivered_per_s"]),
                _f(best and best["server_us_per_delivery"]),
                _f(best and best["server_cpu_pct"], 0),
                _f(best and best["gen_cpu_pct"], 0),
                _fail_text(fail),
                sat["stopped"] if sat else DASH,
            ]
        )
    if not rows:
        return []
    return [
        "## Voice: where the machine saturates (60 ms frames, listeners stepped up)",
        "",
        "A step passes with reach 1.0, p99 under 250 ms and the speaker keeping its rate.",
        "",
        *_table(
            [
                "server",
                "steps (listeners)",
                "most listeners passing",
                "delivered/s there",
                "server µs/frame there",
                "server CPU % there",
                "gen CPU % there",
                "first failed step",
                "stopped",
            ],
            rows,
        ),
    ]


def _fail_text(step: Json | None) -> str:
    if step is None:
        return DASH
    if step.get("error"):
        return str(step["error"])[:100]
    return (
        f"reach {_f(step.get('reach'), 4)}, p99 {_f(step.get('p99_ms'))} ms, "
        f"server CPU {_f(step.get('server_cpu_pct'), 0)}%, "
        f"gen CPU {_f(step.get('gen_cpu_pct'), 0)}%"
    )


def _targets(results: Json) -> list[str]:
    rows = []
    for server in ("yishi", "yishi-2n"):
        if server not in _servers(results):
            continue
        label = _label(results, server)
        for session in (SESSION, EVENTS_ALONE):
            ev = _voice(results, server, "events", session)
            if ev is None or ev["p99_change"] is None:
                continue
            change = ev["p99_change"]
            worse = _worse(ev["silent"], ev["speech"])
            rows.append(
                [
                    f"{label}: event p99 during speech within 10% of a silent room ({session})",
                    f"{_pct(change)} (median round: {_pct(ev.get('p99_change_median_round'))}; "
                    f"speech above silent in {worse} of {ev['rounds']} rounds)",
                    "met" if change <= 0.10 else "not met",
                ]
            )
        for phase in ("speak", "speak-more"):
            g, b = _voice(results, server, phase), _voice(results, "b0", phase)
            if g is None:
                continue
            us = g["server_us_per_delivery"]
            rows.append(
                [
                    f"{label}: server µs per delivered frame, {g['listeners']:,} listeners",
                    f"{_f(us)} ({_ratio(us, b and b['server_us_per_delivery'])} B0)",
                    "reach 1.0" if g["reach"] == 1.0 else f"reach {g['reach']}",
                ]
            )
    if not rows:
        return []
    return ["## Voice targets (Yishi, issue 13)", "", *_table(["target", "measured", ""], rows)]


def markdown(results: Json) -> list[str]:
    """The voice tables, or nothing when no server ran the voice session."""
    events_alone = _events_table(results, EVENTS_ALONE)
    if not _servers(results):
        return events_alone
    return (
        _speak_table(results, "speak")
        + _speak_table(results, "speak-more")
        + _frames_table(results)
        + _events_table(results)
        + _saturation_table(results)
        + events_alone
        + _targets(results)
    )
