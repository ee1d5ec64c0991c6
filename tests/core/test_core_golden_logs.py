"""Every log ever written replays to the events its clients saw, byte for byte.

``golden/vN.json`` holds one session's entries exactly as a server of rules
version N wrote them, and the events that server's reducer made of them
(``golden/record.py`` says how each was recorded). Today's reducer must give
the same events from the same entries, under the version the log carries, or
clients resuming with ``since`` after a restart would be told a different story.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from yishi.core.reducer import apply, new_room
from yishi.core.types import Entry
from yishi.core.versions import RULES, RULES_VERSION

GOLDEN = Path(__file__).parent / "golden"
LOGS = sorted(GOLDEN.glob("v*.json"))


def _canonical(events: list[dict[str, Any]]) -> str:
    return json.dumps(events, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def test_there_is_a_golden_log_for_every_rules_version() -> None:
    assert {int(p.stem[1:]) for p in LOGS} == set(RULES) == set(range(1, RULES_VERSION + 1))


@pytest.mark.parametrize("path", LOGS, ids=[p.stem for p in LOGS])
def test_a_golden_log_replays_to_identical_events(path: Path) -> None:
    golden = json.loads(path.read_text())
    state = new_room("golden")
    events: list[dict[str, Any]] = []
    for record in golden["entries"]:
        outcome = apply(state, Entry.from_record(record))
        events += [
            {**e.to_wire(), "audience": [e.audience.kind.value, e.audience.participant_id]}
            for e in outcome.events
        ]
    assert state.rules_version == golden["rules_version"]
    assert not state.faults
    assert _canonical(events) == _canonical(golden["events"])
