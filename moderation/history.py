"""One participant's recent chat, for repeats and machine-like bursts.

Rules (numbers from ``rules.json``, "history"):

* Repeat: the same text for the third time within 10 minutes. "The same"
  compares the ``dense`` view without digits, so a bot that varies a number,
  the spacing, the case or the punctuation still repeats. Texts shorter than
  6 such characters ("同意", "+1", "支持！") never count as repeats.
* Burst: the 5th message within 5 seconds, or a 5th message after 4 gaps
  that are all under a minute and within 40 ms of each other: no person
  types like a metronome.
* A :class:`History` keeps at most ``capacity`` messages (32) and forgets
  those older than the repeat window, so it stays small however long the
  session. It is plain data: the pipeline reads it, then appends the message
  it just checked, whatever the verdict (a refused bot still counts).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from .lexicon import HistoryRules


@dataclass(slots=True)
class History:
    """The last messages of one participant: (time in ms, comparison key)."""

    capacity: int = 32
    entries: deque[tuple[int, str]] = field(default_factory=deque)

    def __post_init__(self) -> None:
        if self.capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.entries = deque(self.entries, maxlen=self.capacity)

    def __len__(self) -> int:
        return len(self.entries)


def repeat_key(dense: str, *, min_chars: int) -> str:
    """What two texts must share to be "the same"; empty if too short to count."""
    key = "".join(c for c in dense if not c.isdigit())
    return key if len(key) >= min_chars else ""


def assess(history: History, *, key: str, now_ms: int, rules: HistoryRules) -> list[str]:
    """Reasons ("repeat", "burst") for this message given the history; then records it."""
    entries = history.entries
    while entries and now_ms - entries[0][0] > rules.repeat_window_ms:
        entries.popleft()
    found: list[str] = []
    if key and sum(1 for _, k in entries if k == key) >= rules.repeat_allowed:
        found.append("repeat")
    times = [t for t, _ in entries] + [now_ms]
    recent = [t for t in times if now_ms - t < rules.burst_window_ms]
    burst = len(recent) >= rules.burst_count
    n = rules.metronome_intervals
    if not burst and len(times) > n:
        gaps = [b - a for a, b in zip(times[-n - 1 :], times[-n:])]
        burst = (
            max(gaps) <= rules.metronome_max_interval_ms
            and max(gaps) - min(gaps) <= rules.metronome_jitter_ms
        )
    if burst:
        found.append("burst")
    entries.append((now_ms, key))
    return found
