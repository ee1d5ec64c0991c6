"""One room's deadline timer: armed for the replica's next deadline (replica.py's rule
3); when it fires and the replica says the deadline has come, a ``tick`` is appended
(the log's own clock ends the turn), and the timer is armed again."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from ..backends.base import BackendUnavailable
from ..core.replica import Replica
from ..core.types import Entry


class DeadlineTimer:
    def __init__(
        self,
        replica: Replica,
        *,
        clock: Callable[[], int],
        spawn: Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]],
        append_tick: Callable[[], Awaitable[Entry]],
    ) -> None:
        self._replica, self._clock, self._spawn = replica, clock, spawn
        self._append_tick = append_tick
        self._handle: asyncio.TimerHandle | None = None
        self._due: int | None = None

    def arm(self) -> None:
        """Arm the timer for the replica's next deadline, if it moved."""
        due = self._replica.timer()
        if due == self._due:
            return
        self.cancel()
        self._due = due
        if due is not None:
            delay = max(0.0, (due - self._clock()) / 1000)
            self._handle = asyncio.get_running_loop().call_later(delay, self._fire)

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._handle = None
        self._due = None

    def _fire(self) -> None:
        self._handle = None
        self._due = None
        if self._replica.handle_timer(self._clock()):
            self._spawn(self._tick())
        self.arm()

    async def _tick(self) -> None:
        at: int | None = None
        try:
            at = (await self._append_tick()).at
        except BackendUnavailable:
            pass
        finally:
            self._replica.tick_done(at, now=self._clock())
            self.arm()
