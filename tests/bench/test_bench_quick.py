"""The benchmark harness keeps working: its quick mode, run for real, reaches every client.

This checks reach (every message to every client that should get it), never speed:
the machine is shared and timings are noise here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # bench/ is a top-level folder, not part of the installed package
    sys.path.insert(0, str(REPO))

from bench import payload  # noqa: E402  (after the path above)


def test_payload_is_200_bytes_and_round_trips() -> None:
    text = payload.encode(payload.MEASURED, 1234, 1764158400123456)
    assert len(text.encode()) == payload.SIZE
    assert not any(c.isdigit() for c in text)  # moderation masks digit runs
    assert payload.decode(text) == (payload.MEASURED, 1234, 1764158400123456)
    assert payload.decode("hello") is None


def _quick(server: str, out: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--only", server, "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    latest = out / "latest.json"
    assert latest.exists(), f"bench.run wrote no results:\n{proc.stderr[-3000:]}"
    results: dict[str, Any] = json.loads(latest.read_text())
    return results


@pytest.mark.parametrize("server", ["b0", "yishi"])
def test_quick_mode_reaches_every_client(server: str, tmp_path: Path) -> None:
    results = _quick(server, tmp_path)
    sessions = results["servers"][server]["sessions"]
    assert sessions, "no session ran"
    for name, run in sessions.items():
        # An error here (say, the server does not start) carries the server's own log tail.
        assert not run.get("error"), f"{server} {name}: {run['error']}"
        phases = run["phases"]
        if name == "voice":
            _voice_reaches_every_listener(server, phases)
            continue
        assert {"fanout", "burst", "slow", "reconnect"} <= set(phases)
        for phase in ("fanout", "burst", "slow"):
            assert phases[phase]["reach"] == 1.0, f"{server} {phase}: {phases[phase]}"
        reconnect = phases["reconnect"]
        assert reconnect["failed"] == 0, reconnect["first_error"]
        assert reconnect["reach"] == 1.0, reconnect["after"]
        if server == "yishi":
            # Yishi resumes with `since`: what was missed while away arrives, once, in order.
            assert reconnect["replay_reach"] == 1.0, reconnect["replay"]
            for phase in phases.values():
                assert phase.get("order_violations", 0) == 0
    assert results["failures"] == []


def _voice_reaches_every_listener(server: str, phases: dict[str, Any]) -> None:
    """The voice session: every frame to every listener, every event too, figures present."""
    assert {"speak", "frames-20", "events", "grow", "speak-more", "saturate"} <= set(phases)
    for name in ("speak", "frames-20", "speak-more"):
        fig = phases[name]
        assert fig["reach"] == 1.0, f"{server} {name}: {fig}"
        assert fig["frame_bytes"] > fig["payload_bytes"]  # the frame around the Opus packet
        assert fig["server_us_per_delivery"] is not None and fig["p99_ms"] is not None
        assert fig["order_violations"] == 0
    assert phases["speak-more"]["listeners"] == phases["grow"]["listeners"]
    events = phases["events"]
    for cond in ("silent", "speech"):
        assert events[cond]["reach"] == 1.0, f"{server} events {cond}: {events[cond]}"
    assert events["speech"]["audio_reach"] == 1.0 and events["p99_change"] is not None
    steps = phases["saturate"]["steps"]
    assert steps and all(step.get("reach") is not None for step in steps), steps
    if server == "yishi":
        # Yishi counts what it relayed: one speaker's frames, none dropped by its gate.
        counts = phases["speak"]["server_counts"]
        assert counts["frames:relayed"] == phases["speak"]["frames"]
        assert counts["deliveries"] == phases["speak"]["expected"]
