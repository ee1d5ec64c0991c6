"""Log lines a client can cause, held to a budget per client address.

A client's input must never be a way to fill the operator's disk: a connection
that failed on one of our own bugs is worth a line and a traceback, but a client
that repeats the input that provoked it would write one each time (a 96 KB
traceback per 1.2 KB frame was seen). So, per address:

1. At most ``BURST`` lines at once, then ``PER_MINUTE`` a minute (a token bucket
   per address; the least recently seen addresses are forgotten first).
2. A line over budget is not written but counted; the next line written for the
   address says how many were suppressed before it.
3. A traceback is cut to its innermost ``TRACEBACK_FRAMES`` frames and to
   ``LINE_CHARS`` characters: where it failed, not a thousand recursive calls.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

from .ratelimit import KeyedBuckets

BURST = 5
PER_MINUTE = 6
TRACEBACK_FRAMES = 12
LINE_CHARS = 4000
ADDRESSES_KEPT = 10_000


class ClientLog:
    """``logger``'s lines that clients cause, each within its address's budget."""

    def __init__(self, logger: logging.Logger, *, clock: Callable[[], int]) -> None:
        self._logger = logger
        self._budget = KeyedBuckets(
            rate=PER_MINUTE / 60, burst=BURST, clock=clock, keep=ADDRESSES_KEPT
        )
        self._suppressed: dict[str, int] = {}

    def failed(self, address: str | None, what: str, exc: BaseException) -> None:
        """Log an error: ``what`` (no secrets in it) and a short traceback of ``exc``."""
        key = address or "?"
        if not self._budget.get(key).take():
            if len(self._suppressed) < ADDRESSES_KEPT or key in self._suppressed:
                self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return
        suppressed = self._suppressed.pop(key, 0)
        note = f" ({suppressed} more from {key} suppressed before this)" if suppressed else ""
        trace = "".join(
            traceback.format_exception(
                type(exc), exc, exc.__traceback__, limit=-TRACEBACK_FRAMES, chain=False
            )
        )
        line = f"{what} (from {key}){note}\n{trace.rstrip()}"
        if len(line) > LINE_CHARS:
            line = line[:LINE_CHARS] + " [cut]"
        self._logger.error("%s", line)
