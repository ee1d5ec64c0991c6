"""The phases a session runs, each over a :class:`bench.generator.Generator`'s sockets.

* ``steady``: messages at a fixed rate; ``burst``: back to back, each burst drained;
* ``sweep``: steady steps at rising rates, up to the last with reach 1.0, p99 < 250 ms;
* ``idle``: server memory per open socket, and per joined resident (for Yishi, the
  growth since before the joins: the socket, the participant and all the joins left);
* ``slow``: designated clients stop reading while the others are measured;
* ``reconnect``: every socket drops and all come back, with ``since`` where the
  server can resume, while messages keep coming.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from typing import Any

from bench import payload, procinfo
from bench.dialects import Peer
from bench.generator import Generator, Json, SessionError, pct


async def steady(gen: Generator, *, rate: float, seconds: float = 0, count: int = 0) -> Json:
    n = count or max(2, round(rate * seconds))
    start = gen.snapshot()
    gen.open_window(n, reset=True)
    achieved = await gen.paced(n, rate)
    # Generous: a message that arrives this late already fails p99; reach is for losses.
    await gen.drain(timeout=max(10.0, n / rate))
    return gen.figures(start, rate=rate, messages=n, achieved_rate=round(achieved, 1))


async def burst(
    gen: Generator, *, bursts: int, size: int, until_stalled_closed: bool = False
) -> Json:
    """``bursts`` times: ``size`` messages back to back, then wait until all are delivered."""
    start = gen.snapshot()
    sent = 0
    for b in range(bursts):
        gen.open_window(size, reset=b == 0)
        for _ in range(size):
            gen.publish()
        sent += 1
        await gen.drain(timeout=max(30.0, size / 20))
        if not gen.done.is_set():
            break
        if until_stalled_closed and not procinfo.server_open(_stalled_ports(gen)):
            break  # the server dropped every stalled socket: its bound is shown
    return gen.figures(start, bursts=sent, size=size)


def _passes(step: Json) -> bool:
    return (
        step["reach"] == 1.0
        and step["p99_ms"] is not None
        and step["p99_ms"] < 250
        and step["achieved_rate"] >= 0.95 * step["rate"]
    )


async def sweep(gen: Generator, *, rates: list[float], seconds: float) -> Json:
    steps: list[Json] = []
    best: float | None = None
    failed_at: float | None = None
    todo = list(rates)
    while todo:
        rate = todo.pop(0)
        step = await steady(gen, rate=rate, seconds=seconds)
        step["pass"] = _passes(step)
        steps.append(step)
        try:
            await gen.barrier(timeout=20)  # let a backlog drain before the next step
        except SessionError as e:
            step["after"] = str(e)
            break
        if step["pass"]:
            best = rate
        else:
            if failed_at is None and best is not None:
                todo = [round(math.sqrt(best * rate))]  # one step between pass and fail
                failed_at = rate
            else:
                break
    gen.best_rate = best
    keep = (
        "rate",
        "achieved_rate",
        "reach",
        "p50_ms",
        "p99_ms",
        "delivered_per_s",
        "gen_cpu_pct",
        "server_us_per_delivery",
        "pass",
    )
    return {
        "best_rate": best,
        "best": next((s for s in steps if s["rate"] == best), None),
        "steps": [{k: s.get(k) for k in keep} for s in steps],
    }


async def slow(
    gen: Generator,
    *,
    rate: float = 0,
    seconds: float = 0,
    bursts: int = 0,
    size: int = 0,
    text_bytes: int = payload.SIZE,
) -> Json:
    """Designated clients (1%) stop reading; the others get a steady stream or bursts.

    Bursts (each drained by the healthy clients before the next) push more
    messages at the stalled sockets than a steady phase can afford to: enough
    to fill kernel buffers and any bounded outbox, so memory bounds show.
    """
    slow = [gen.peers[i] for i in sorted(gen.slow_designated) if gen.peers[i].live]
    gen.slow_closes.clear()
    for p in slow:
        conn = gen.conns[p.index]
        assert conn is not None and conn.transport is not None
        p.slow = True
        conn.transport.pause_reading()
    rss0 = procinfo.usage(gen.pids)[1]
    got0 = {p.index: p.got for p in slow}
    first = gen.next_key
    gen.text_bytes = text_bytes
    if bursts:
        out = await burst(gen, bursts=bursts, size=size, until_stalled_closed=True)
    else:
        out = await steady(gen, rate=rate, seconds=seconds)
    gen.text_bytes = payload.SIZE
    out["text_bytes"] = text_bytes
    out["messages"] = gen.next_key - first
    out["slow_clients"] = len(slow)
    out["server_rss_growth_mb"] = round((procinfo.usage(gen.pids)[1] - rss0) / 2**20, 1)
    ports = _stalled_ports(gen)
    out["stalled_kernel_kib"] = round(procinfo.tcp_queues(ports) / 1024)
    out["stalled_closed_by_server"] = len(ports - procinfo.server_open(ports))
    out["slow_after_resume"] = await _resume(gen, slow, last_key=gen.next_key - 1)
    out["slow_received"] = [p.got - got0[p.index] for p in slow]
    out["slow_closed_by_server"] = dict(gen.slow_closes)
    gen.expecting_close = True
    for p in slow:
        conn = gen.conns[p.index]
        if conn is not None:
            conn.abort()
    await asyncio.gather(*(c.closed for p in slow if (c := gen.conns[p.index])))
    gen.expecting_close = False
    return out


def _stalled_ports(gen: Generator) -> set[int]:
    return {
        c.transport.get_extra_info("sockname")[1]
        for p in gen.peers
        if p.slow and (c := gen.conns[p.index]) is not None and not c.closed.done()
    }


async def _resume(gen: Generator, slow: list[Peer], *, last_key: int) -> dict[str, int]:
    """Let the stalled clients read again: did the server close them, or hold everything?"""
    loop = asyncio.get_running_loop()
    gen.catchup_key = last_key
    waits: list[asyncio.Future[Any]] = []
    for p in slow:
        conn = gen.conns[p.index]
        assert conn is not None
        if p.last_key >= last_key or conn.closed.done():
            continue
        gen.catchup[p.index] = loop.create_future()
        waits += [gen.catchup[p.index], conn.closed]
        conn.transport.resume_reading()
    # Each stalled client either catches up or is closed; wait for one of the two per client.
    deadline = loop.time() + 20
    while any(not f.done() for f in gen.catchup.values()) and loop.time() < deadline:
        pending = [f for f in waits if not f.done()]
        await asyncio.wait(pending, timeout=deadline - loop.time(), return_when="FIRST_COMPLETED")
        for p in slow:
            conn = gen.conns[p.index]
            if conn is not None and conn.closed.done() and p.index in gen.catchup:
                gen.catchup.pop(p.index).cancel()
    outcome: dict[str, int] = {}
    for p in slow:
        conn = gen.conns[p.index]
        assert conn is not None
        if conn.closed.done():
            what = f"closed {conn.closed.result()}"
        elif p.last_key >= last_key:
            what = "caught up: the server held every message"
        else:
            what = "neither closed nor caught up in 20 s"
        outcome[what] = outcome.get(what, 0) + 1
    gen.catchup.clear()
    gen.catchup_key = 2**62
    return outcome


async def idle(gen: Generator) -> Json:
    """The quiet room's memory: per open socket (growth since before the sockets opened)
    and per joined resident (growth since before the first join; for servers without
    joins the two are the same)."""
    rss = procinfo.usage(gen.pids)[1]
    before: int = gen.out["rss_before_connect"]
    before_join: int = gen.out.get("rss_before_join") or before
    n = len(gen.peers)
    return {
        "sockets": n,
        "rss_before_mb": round(before / 2**20, 1),
        "rss_before_join_mb": round(before_join / 2**20, 1),
        "rss_idle_mb": round(rss / 2**20, 1),
        "kib_per_socket": round((rss - before) / n / 1024, 2),
        "kib_per_resident": round((rss - before_join) / n / 1024, 2),
    }


async def reconnect(gen: Generator, *, window: float, gap: int, after: int, rate: float) -> Json:
    """Drop every socket, publish while they are gone, bring all back within ``window``."""
    loop = asyncio.get_running_loop()
    warm = await steady(gen, rate=rate, count=gap)
    gen.expecting_close = True
    live = [p for p in gen.peers if p.live]
    for p in live:
        conn = gen.conns[p.index]
        assert conn is not None
        conn.abort()
    async with asyncio.timeout(30):
        await asyncio.gather(*(c.closed for p in live if (c := gen.conns[p.index])))
    gen.expecting_close = False
    # Missed messages: published while the sockets are gone and while they come back.
    start = gen.snapshot()
    gen.open_window(0, reset=True, audience=0)
    gen.hi = 2**62  # until the storm is over, everything published is "missed"
    await gen.paced(gap, rate)
    t0 = loop.time()
    times: list[float] = []
    errors: list[str] = []

    async def back(i: int, peer: Peer) -> None:
        due = t0 + i * window / len(live)
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)  # spreading the storm over the window
        try:
            await gen.open(peer, since=peer.seq if gen.dialect.resumes else None)
            times.append(loop.time() - due)
        except (ConnectionError, OSError, TimeoutError) as e:
            errors.append(repr(e))

    storm = asyncio.gather(*(back(i, p) for i, p in enumerate(live)))
    # Messages keep coming while the sockets come back (for the window, not for as long as
    # a slow server takes: that would make its storm ever bigger).
    await gen.paced(max(1, round(window * rate)), rate)
    await storm
    all_back = loop.time() - t0
    missed = gen.next_key - gen.lo
    gen.hi = gen.next_key - 1
    replay: Json | None = None
    if gen.dialect.resumes:
        gen.expected = missed * sum(1 for p in live if p.live)
        gen.done.clear()
        if gen.received >= gen.expected:
            gen.done.set()
        await gen.drain(timeout=30)
        replay = gen.figures(start, messages=missed)
    lat_times = sorted(int(t * 1e6) for t in times)
    after_fig = await steady(gen, rate=rate, count=after)
    return {
        "sockets": len(live),
        "window_s": window,
        "back_p50_ms": pct(lat_times, 0.5),
        "back_p95_ms": pct(lat_times, 0.95),
        "back_p99_ms": pct(lat_times, 0.99),
        "all_back_s": round(all_back, 2),
        "failed": len(errors),
        "first_error": errors[0] if errors else None,
        "missed_messages": missed,
        "replay_reach": replay["reach"] if replay else None,
        "replay": replay,
        "warm": warm,
        "after": after_fig,
        "reach": after_fig["reach"],
    }


# ---------------------------------------------------------------- session


PHASES: dict[str, Callable[..., Awaitable[Json]]] = {
    "steady": steady,
    "burst": burst,
    "sweep": sweep,
    "slow": slow,
    "idle": idle,
    "reconnect": reconnect,
}
