"""Run the benchmark: every server under test, every workload, one report.

    python3 -m bench.run [--quick] [--only b0,yishi,...] [--out DIR]

For each server and each session, the server starts as its own process(es) on
free loopback ports (with its own redis-server when it has two nodes), the load
generator runs as another process (bench.loadgen), and everything stops before
the next session, so sessions do not share memory or backlog. B0 runs first:
its best sustainable rate sets the "half of B0's best" rate for the others.
Results go to DIR (default bench/results/) as JSON and Markdown; the Markdown
is printed. The exit status is 1 when any run failed (an error, or reach < 1.0).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: python3 bench/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import report
from bench.launch import REPO, SERVERS, LaunchError, running

Json = dict[str, Any]

FULL: list[tuple[str, Json]] = [
    (
        "room-5k",
        {
            "clients": 5000,
            "timeout": 300,
            "connect_timeout": 120,
            "phases": [
                {"name": "idle", "type": "idle"},
                {"name": "fanout", "type": "steady", "rate": 5, "seconds": 6},
            ],
        },
    ),
    (
        # Memory per joined resident at 2,000 (room-5k gives it at 5,000): join, connect,
        # say hello, wait for the quiet room, measure.
        "residents-2k",
        {
            "clients": 2000,
            "timeout": 240,
            "connect_timeout": 120,
            "phases": [{"name": "idle", "type": "idle"}],
        },
    ),
    (
        "room-1k",
        {
            "clients": 1000,
            "slow_fraction": 0.01,
            "timeout": 270,
            "connect_timeout": 90,
            "phases": [
                {"name": "idle", "type": "idle"},
                {"name": "fanout", "type": "steady", "rate": 20, "seconds": 5},
                {"name": "burst", "type": "burst", "bursts": 5, "size": 100},
                {
                    "name": "sweep",
                    "type": "sweep",
                    "rates": [5, 10, 25, 50, 100, 200, 400, 800],
                    "seconds": 3,
                },
                {"name": "half-b0", "type": "steady", "rate": "half", "seconds": 4},
                {
                    "name": "slow",
                    "type": "slow",
                    "rate": "half",
                    "seconds": 5,
                    "compare": "half-b0",
                },
            ],
        },
    ),
    (
        "slow-flood",
        {
            # Few sockets, many larger messages (chat allows 500 characters): a stalled
            # socket must be sent more than the kernel buffers for it (about 4 MiB on
            # loopback here) before a server's memory bound, or its absence, shows.
            "clients": 10,
            "slow_fraction": 0.1,
            "timeout": 180,
            "connect_timeout": 60,
            "phases": [
                {"name": "flood", "type": "slow", "bursts": 32, "size": 500, "text_bytes": 480}
            ],
        },
    ),
    (
        "reconnect-2k",
        {
            "clients": 2000,
            "timeout": 330,
            "connect_timeout": 180,
            "phases": [
                {
                    "name": "reconnect",
                    "type": "reconnect",
                    "window": 1.0,
                    "gap": 10,
                    "after": 10,
                    "rate": 20,
                },
            ],
        },
    ),
]
# Voice on the floor (bench.voice): one speaker, listening sockets; B0 broadcasts the same
# bytes. Servers without a voice (B1) sit it out.
VOICE_SERVERS = ["b0", "yishi", "yishi-2n"]
VOICE: Json = {
    "voice": True,
    "servers": VOICE_SERVERS,
    "clients": 1000,
    "timeout": 330,
    "connect_timeout": 120,
    "phases": [
        {"name": "speak", "type": "speak", "frame_ms": 60, "seconds": 6},
        {"name": "frames-20", "type": "speak", "frame_ms": 20, "seconds": 5},
        {"name": "frames-40", "type": "speak", "frame_ms": 40, "seconds": 5},
        {"name": "events", "type": "events", "rate": 10, "seconds": 3, "rounds": 5},
        {"name": "ramp", "type": "saturate", "steps": [2500], "seconds": 4, "budget_s": 30},
        {"name": "grow", "type": "grow", "to": 5000},
        {"name": "speak-more", "type": "speak", "frame_ms": 60, "seconds": 6},
        {
            "name": "saturate",
            "type": "saturate",
            "steps": [7500, 10000],
            "seconds": 4,
            "budget_s": 60,
            "after_pass": True,
        },
    ],
}
VOICE_QUICK: Json = {
    **VOICE,
    "clients": 100,
    "timeout": 90,
    "connect_timeout": 30,
    "phases": [
        {"name": "speak", "type": "speak", "frame_ms": 60, "seconds": 2},
        {"name": "frames-20", "type": "speak", "frame_ms": 20, "seconds": 1},
        {"name": "events", "type": "events", "rate": 10, "seconds": 1, "rounds": 1},
        {"name": "grow", "type": "grow", "to": 150},
        {"name": "speak-more", "type": "speak", "frame_ms": 60, "seconds": 1},
        {"name": "saturate", "type": "saturate", "steps": [200], "seconds": 1, "budget_s": 20},
    ],
}
FULL.append(("voice", VOICE))
# Run only when named (--sessions): event latency during speech alone, in more and shorter
# alternating rounds than the voice session's, for a sign test on a shared machine.
ON_REQUEST: list[tuple[str, Json]] = [
    (
        "voice-events",
        {
            **VOICE,
            "phases": [
                {"name": "events", "type": "events", "rate": 10, "seconds": 2, "rounds": 10}
            ],
        },
    ),
]
QUICK: list[tuple[str, Json]] = [
    (
        "quick",
        {
            "clients": 200,
            "slow_fraction": 0.01,
            "timeout": 60,
            "connect_timeout": 30,
            "phases": [
                {"name": "idle", "type": "idle"},
                {"name": "fanout", "type": "steady", "rate": 20, "seconds": 2},
                {"name": "burst", "type": "burst", "bursts": 2, "size": 20},
                {"name": "slow", "type": "slow", "rate": 20, "seconds": 2, "compare": "fanout"},
                {
                    "name": "reconnect",
                    "type": "reconnect",
                    "window": 0.5,
                    "gap": 5,
                    "after": 5,
                    "rate": 20,
                },
            ],
        },
    ),
    ("voice", VOICE_QUICK),
]


def _machine() -> Json:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next(
                (ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), ""
            )
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions: Json = {"python": platform.python_version()}
    for mod in ("websockets", "socketio", "engineio", "uvicorn", "uvloop"):
        try:
            from importlib.metadata import version

            versions[mod] = version(
                {"socketio": "python-socketio", "engineio": "python-engineio"}.get(mod, mod)
            )
        except Exception:
            versions[mod] = None
    try:
        out = subprocess.run(
            ["redis-server", "--version"], capture_output=True, text=True, timeout=10, check=False
        )
        versions["redis-server"] = out.stdout.split()[2].removeprefix("v=")
    except (OSError, IndexError, subprocess.SubprocessError):
        versions["redis-server"] = None
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "mem_gib": round(mem, 1),
        "kernel": platform.release(),
        "versions": versions,
    }


def _session(server: str, name: str, spec: Json, *, logdir: Path) -> Json:
    tag = f"{server}-{name}"
    try:
        with (
            running(SERVERS[server], logdir=logdir, tag=tag) as target,
            tempfile.TemporaryDirectory() as tmp,
        ):
            spec_path, out_path = Path(tmp, "spec.json"), Path(tmp, "out.json")
            spec_path.write_text(json.dumps({**spec, "target": target}))
            limit = spec["timeout"] + 30
            with open(logdir / f"{tag}-loadgen.log", "w") as log:
                try:
                    proc = subprocess.run(
                        [sys.executable, "-m", "bench.loadgen", str(spec_path), str(out_path)],
                        cwd=REPO,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        timeout=limit,
                        check=False,
                    )
                except subprocess.TimeoutExpired:
                    return {"error": f"load generator still running after {limit} s: stopped"}
            if not out_path.exists():
                tail = (logdir / f"{tag}-loadgen.log").read_text(errors="replace")[-1500:]
                return {"error": f"load generator exited with {proc.returncode}:\n{tail}"}
            result: Json = json.loads(out_path.read_text())
            return result
    except LaunchError as e:
        return {"error": str(e)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m bench.run", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="small rooms, short phases (< 1 min)")
    parser.add_argument(
        "--only",
        default=",".join(SERVERS),
        help=f"comma-separated servers, of: {', '.join(SERVERS)}",
    )
    parser.add_argument(
        "--sessions",
        default=None,
        help=(
            "comma-separated sessions to run (full: room-5k, residents-2k, room-1k, "
            "slow-flood, reconnect-2k, voice; quick: quick, voice; only when named: "
            "voice-events; memory per joined resident alone: "
            "--only b0,yishi --sessions residents-2k,room-5k)"
        ),
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SERVERS]
    if unknown:
        parser.error(f"unknown server(s): {', '.join(unknown)}")
    chosen = [s for s in SERVERS if s in chosen]  # B0 first: it sets the half-B0 rate

    # Thousands of sockets on both ends: raise the open-file limit to the hard limit.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    stamp = time.strftime("%Y%m%d-%H%M%S")
    args.out.mkdir(parents=True, exist_ok=True)
    logdir = args.out / f"logs-{stamp}"
    logdir.mkdir()
    sessions = QUICK if args.quick else FULL
    if args.sessions:
        wanted = args.sessions.split(",")
        sessions = [(name, spec) for name, spec in sessions + ON_REQUEST if name in wanted]
    results: Json = {
        "mode": "quick" if args.quick else "full",
        "command": "python3 -m bench.run " + shlex.join(argv if argv is not None else sys.argv[1:]),
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": _machine(),
        "b0_best_rate": None,
        "servers": {},
    }
    t0 = time.monotonic()
    for server in chosen:
        runs: Json = {}
        results["servers"][server] = {"label": SERVERS[server].label, "sessions": runs}
        for name, spec in sessions:
            if server not in spec.get("servers", SERVERS):
                continue  # e.g. B1 has no voice
            spec = json.loads(json.dumps(spec))
            best = results["b0_best_rate"]
            for phase in spec["phases"]:
                if phase.get("rate") == "half" and server != "b0" and best:
                    phase["rate"] = best / 2
            print(
                f"[bench] {server} {name} ({spec['clients']} sockets)...",
                file=sys.stderr,
                flush=True,
            )
            t1 = time.monotonic()
            runs[name] = _session(server, name, spec, logdir=logdir)
            runs[name]["session_s"] = round(time.monotonic() - t1, 1)
            if runs[name].get("error"):
                print(f"[bench]   error: {runs[name]['error']}", file=sys.stderr, flush=True)
            sweep = runs[name].get("phases", {}).get("sweep")
            if server == "b0" and sweep:
                results["b0_best_rate"] = sweep.get("best_rate")
    results["total_s"] = round(time.monotonic() - t0, 1)
    failures = report.failures(results)
    results["failures"] = failures
    text = report.markdown(results)
    for base in (f"bench-{stamp}", "latest"):
        (args.out / f"{base}.json").write_text(json.dumps(results, indent=1))
        (args.out / f"{base}.md").write_text(text)
    print(text)
    print(
        f"[bench] results in {args.out}/bench-{stamp}.json and .md, logs in {logdir}",
        file=sys.stderr,
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
