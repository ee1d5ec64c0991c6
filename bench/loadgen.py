"""The load generator: one process of asyncio clients running one session.

    python3 -m bench.loadgen SPEC.json OUT.json

A session opens ``clients`` sockets to one server under test, waits until the
room is quiet, runs its phases (bench.workloads) in order and writes their
figures to OUT.json. The whole session has a deadline (``timeout``), and so
does opening the sockets (``connect_timeout``). A voice session (``"voice": true``)
runs bench.voice's phases instead.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys

from bench import procinfo, voice
from bench.generator import Generator, Json, SessionError
from bench.workloads import PHASES


async def run_session(gen: Generator) -> Json:
    if gen.kind == "yishi":
        gen.stage = "creating the room and joining"
        await gen.setup_yishi()
    gen.stage = "opening the publisher"
    await gen.open(gen.pub)
    if gen.kind == "yishi":
        gen.stage = "starting the session"
        await gen.start_session_yishi()
    gen.out["rss_before_connect"] = procinfo.usage(gen.pids)[1]
    # Servers without joins (B0, B1): a resident is just a socket.
    gen.out.setdefault("rss_before_join", gen.out["rss_before_connect"])
    gen.stage = "opening the sockets"
    start = gen.snapshot()
    gen.out["connect_s"] = round(await gen.open_all(gen.peers), 2)
    _, gen_cpu, srv_cpu, _ = gen.snapshot()
    gen.out["connect_gen_cpu_s"] = round(gen_cpu - start[1], 2)
    gen.out["connect_server_cpu_s"] = round(srv_cpu - start[2], 2)
    gen.stage = "waiting for a quiet room"
    gen.out["settle_s"] = round(await gen.settle(quiet=1.5 if gen.kind == "yishi" else 0), 2)
    for phase in gen.spec["phases"]:
        name = phase["name"]
        gen.stage = f"phase {name}"
        kind = phase["type"]
        args = {k: v for k, v in phase.items() if k not in ("name", "type", "compare")}
        if args.get("rate") == "half":
            if gen.best_rate is None:
                gen.out["phases"][name] = {"error": "no passing sweep step to halve"}
                continue
            args["rate"] = gen.best_rate / 2
        fig = await PHASES[kind](gen, **args)
        if "compare" in phase:
            fig["compare"] = phase["compare"]
        gen.out["phases"][name] = fig
        if kind not in ("idle", "reconnect"):
            await gen.barrier()
    return gen.out


async def _main(spec: Json) -> Json:
    gen = voice.VoiceGenerator(spec) if spec.get("voice") else Generator(spec)
    try:
        async with asyncio.timeout(float(spec.get("timeout", 300))):
            if isinstance(gen, voice.VoiceGenerator):
                return await voice.run_session(gen)
            return await run_session(gen)
    except (SessionError, ConnectionError, OSError, TimeoutError) as e:
        gen.out["error"] = f"{gen.stage}: {type(e).__name__}" + (f": {e}" if str(e) else "")
        return gen.out
    finally:
        await gen.close()


def main() -> None:
    spec_path, out_path = sys.argv[1], sys.argv[2]
    with open(spec_path) as f:
        spec = json.load(f)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    try:
        import uvloop

        out = uvloop.run(_main(spec))
        out["generator"] = "python asyncio + uvloop"
    except ImportError:
        out = asyncio.run(_main(spec))
        out["generator"] = "python asyncio"
    with open(out_path, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
