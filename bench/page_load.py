"""Page load on weak networks: the resident's join page in real Chromium, throttled
by the DevTools protocol (Network.emulateNetworkConditions), cold and warm cache.

Reported per network and cache state (the median of ``--runs`` loads):

* ``text``: the loading message (or anything) painted (first contentful paint);
* ``join``: the join form visible with its submit handler set (usable);
* ``requests`` and ``depth``: how many requests the page made before the join
  form was usable, and the longest chain of them made one after another (a
  request depends on every request whose response had begun before it started).

Chromium's ``latency`` is the time from a request being sent to its response's
headers arriving, i.e. a whole round trip; throughput is shared by all requests.

    .venv-tests/bin/python -m bench.page_load --runs 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from bench.launch import SERVERS, running

NETWORKS = {
    # The slow 3G: a 2 s round trip and 400 kbit/s (50 KB/s) both ways.
    "slow 3G": {"latency": 2000, "downloadThroughput": 50_000, "uploadThroughput": 50_000},
    # Lighthouse's "slow 4G": 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up.
    "4G": {"latency": 150, "downloadThroughput": 200_000, "uploadThroughput": 93_750},
}

# Runs in the page from its first byte: when the join form became usable.
WATCH_JOIN = """
(() => {
  const tick = () => {
    const view = document.getElementById('join-view');
    const form = document.getElementById('join-form');
    if (view && form && !view.hidden && form.onsubmit) {
      window.__joinUsable = performance.now();
      return;
    }
    setTimeout(tick, 10);
  };
  tick();
})();
"""

# The same chain rule as tests/e2e/test_page_load.py, over the Resource Timing entries.
CHAIN_DEPTH = """
(until) => {
  const nav = performance.getEntriesByType('navigation')[0];
  const all = [nav, ...performance.getEntriesByType('resource')]
    // A file from the HTTP cache costs no round trip (a 304 does).
    .filter((e) => e.startTime <= until && !(e.transferSize === 0 && e.decodedBodySize > 0))
    .sort((a, b) => a.startTime - b.startTime);
  const depth = new Map();
  for (const r of all) {
    let d = 1;
    for (const q of all) {
      if (q !== r && depth.has(q) && q.responseStart > 0 && q.responseStart <= r.startTime) {
        d = Math.max(d, depth.get(q) + 1);
      }
    }
    depth.set(r, d);
  }
  return { requests: all.length, depth: Math.max(...depth.values()) };
}
"""


def load_once(page: Page, url: str) -> dict[str, float]:
    page.goto(url, wait_until="commit", timeout=120_000)
    page.wait_for_function("() => window.__joinUsable !== undefined", timeout=120_000, polling=100)
    usable = page.evaluate("window.__joinUsable")
    fcp = page.evaluate(
        "(performance.getEntriesByName('first-contentful-paint')[0] || {startTime: NaN}).startTime"
    )
    chain = page.evaluate(CHAIN_DEPTH, usable)
    return {"text": fcp / 1000, "join": usable / 1000, **chain}


def measure(base: str, room_id: str, runs: int) -> dict[str, dict[str, dict[str, float]]]:
    url = f"{base}/r/{room_id}"
    results: dict[str, dict[str, dict[str, float]]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium")
        for name, conditions in NETWORKS.items():
            cold: list[dict[str, float]] = []
            warm: list[dict[str, float]] = []
            for _ in range(runs):
                ctx = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
                ctx.add_init_script(WATCH_JOIN)
                page = ctx.new_page()
                cdp = ctx.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.emulateNetworkConditions", {"offline": False, **conditions})
                cold.append(load_once(page, url))
                warm.append(load_once(page, url))  # the same context: its HTTP cache
                ctx.close()
            results[name] = {"cold": median(cold), "warm": median(warm)}
        browser.close()
    return results


def median(samples: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(s[k] for s in samples) for k in samples[0]}


def create_room(base: str, admin: str) -> str:
    req = urllib.request.Request(
        f"{base}/api/rooms",
        method="POST",
        data=json.dumps({"title": "加装电梯议事会", "agenda": ["是否加装电梯"]}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {admin}"},
    )
    with urllib.request.urlopen(req, timeout=10) as res:
        return str(json.loads(res.read())["room_id"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with (
        tempfile.TemporaryDirectory() as logs,
        running(SERVERS["yishi"], logdir=Path(logs), tag="page_load") as target,
    ):
        host, port = target["nodes"][0]
        base = f"http://{host}:{port}"
        results = measure(base, create_room(base, target["admin_token"]), args.runs)
    print("| network | cache | text (s) | join form usable (s) | requests | chain depth |")
    print("|---|---|---:|---:|---:|---:|")
    for name, by_cache in results.items():
        for cache, r in by_cache.items():
            print(
                f"| {name} | {cache} | {r['text']:.1f} | {r['join']:.1f} "
                f"| {r['requests']:.0f} | {r['depth']:.0f} |"
            )


if __name__ == "__main__":
    main()
