"""The lines a client can cause are held to a budget per address (server/clientlog.py):
a client repeating the input that provoked a 1011 writes a few short lines, then
one a minute saying how many were suppressed, never megabytes."""

from __future__ import annotations

import logging

from yishi.clientlog import BURST, LINE_CHARS, PER_MINUTE, ClientLog


class Kept(logging.Handler):
    """Every record formatted as the operator's log would have it."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def deep(n: int) -> int:
    return deep(n - 1) if n else 1 // 0


def recursion_error() -> BaseException:
    try:
        deep(10_000)
    except RecursionError as error:
        return error
    raise AssertionError("no RecursionError")


def logged() -> tuple[logging.Logger, Kept]:
    logger = logging.getLogger(f"test-client-log-{id(object())}")
    logger.propagate = False
    kept = Kept()
    logger.addHandler(kept)
    return logger, kept


def test_one_address_writes_a_few_short_lines_however_often_it_fails() -> None:
    now = [0]
    logger, kept = logged()
    log = ClientLog(logger, clock=lambda: now[0])
    bug = recursion_error()
    for _ in range(1000):
        log.failed("203.0.113.9", "connection 7 failed", bug)
    assert len(kept.lines) == BURST
    assert sum(len(line) for line in kept.lines) <= BURST * (LINE_CHARS + 100)
    assert all("RecursionError" in line and "203.0.113.9" in line for line in kept.lines)

    now[0] += 60_000 // PER_MINUTE  # one more line's worth of time
    log.failed("203.0.113.9", "connection 8 failed", bug)
    assert len(kept.lines) == BURST + 1
    assert f"{1000 - BURST} more from 203.0.113.9 suppressed" in kept.lines[-1]

    log.failed("198.51.100.4", "connection 9 failed", bug)  # another address: its own budget
    assert len(kept.lines) == BURST + 2 and "suppressed" not in kept.lines[-1]
