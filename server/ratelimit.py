"""Limits at the edge: token buckets (commands per socket, admin attempts), counts over
the last minute, and the join limiter."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable


class TokenBucket:
    """``burst`` tokens, refilled at ``rate`` a second; ``take()`` says whether one (or
    the amount asked) was left."""

    __slots__ = ("at", "burst", "clock", "rate", "tokens")

    def __init__(self, *, rate: float, burst: float, clock: Callable[[], int]) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens = burst
        self.at = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate / 1000)
        self.at = now

    def take(self, amount: float = 1) -> bool:
        """Take ``amount`` tokens if there are that many (else take none)."""
        self._refill()
        if self.tokens < amount:
            return False
        self.tokens -= amount
        return True

    def empty(self) -> bool:
        self._refill()
        return self.tokens < 1


class KeyedBuckets:
    """One bucket per key (an address), the least recently used forgotten first."""

    def __init__(
        self, *, rate: float, burst: float, clock: Callable[[], int], keep: int = 100_000
    ) -> None:
        self._rate, self._burst, self._clock = rate, burst, clock
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()
        self._keep = keep

    def get(self, key: str) -> TokenBucket:
        bucket = self._buckets.pop(key, None) or TokenBucket(
            rate=self._rate, burst=self._burst, clock=self._clock
        )
        self._buckets[key] = bucket
        while len(self._buckets) > self._keep:
            self._buckets.popitem(last=False)
        return bucket


class RecentKeys:
    """When each key was last seen, for ``window_ms``; the oldest forgotten first."""

    def __init__(self, *, window_ms: int, clock: Callable[[], int], keep: int = 100_000) -> None:
        self._window, self._clock, self._keep = window_ms, clock, keep
        self._seen: OrderedDict[tuple[str, str], int] = OrderedDict()

    def recent(self, key: tuple[str, str]) -> bool:
        at = self._seen.get(key)
        return at is not None and self._clock() - at < self._window

    def see(self, key: tuple[str, str]) -> None:
        self._seen.pop(key, None)
        self._seen[key] = self._clock()
        while len(self._seen) > self._keep:
            self._seen.popitem(last=False)


class WindowCounts:
    """How often each key was counted in the last ``window_ms``, the oldest key forgotten
    first.

    A count, not a bucket: "60 failures in the last minute" stays true however slowly
    the 60 came, where a bucket would have refilled while they were being made. Counts
    are kept per slot of a sixth of the window, so a key costs a few integers however
    often it is counted; a count leaves the window up to a slot late.
    """

    SLOTS = 6

    def __init__(self, *, window_ms: int, clock: Callable[[], int], keep: int = 100_000) -> None:
        self._slot_ms, self._clock, self._keep = window_ms // self.SLOTS, clock, keep
        self._slots: OrderedDict[str, dict[int, int]] = OrderedDict()

    def _current(self, key: str) -> tuple[dict[int, int], int]:
        now = self._clock() // self._slot_ms
        slots = self._slots.pop(key, None) or {}
        for old in [slot for slot in slots if slot <= now - self.SLOTS]:
            del slots[old]
        self._slots[key] = slots
        while len(self._slots) > self._keep:
            self._slots.popitem(last=False)
        return slots, now

    def add(self, key: str) -> None:
        slots, now = self._current(key)
        slots[now] = slots.get(now, 0) + 1

    def count(self, key: str) -> int:
        return sum(self._current(key)[0].values())


class JoinLimiter:
    """Who may try an invite code, so codes cannot be guessed and a hall still gets in.

    Rules (a "failure" is a wrong or malformed code, counted over the last minute):

    1. Successful joins: ``JOINS_PER_ADDRESS`` a minute per address (a token bucket
       of that size refilled over a minute); a whole hall may share one address
       behind its NAT.
    2. A failure counts against its room (from every address) and its address (in
       every room). The same wrong code tried again in the same room within a minute
       counts once: it is no new guess, and a resident retyping a typo must not use
       up the hall's allowance.
    3. Before a code is checked, 429 for an address with ``FAILURES_PER_ADDRESS``
       failures in the last minute, wherever (a coarse backstop: one address guesses
       at most that fast).
    4. Before a code is checked, while a room has had ``FAILURES_PER_ROOM`` failures
       in the last minute (someone is guessing), 429 for an address that itself
       failed in that room in the last minute. Addresses that have not failed there
       are still let in: a flood of wrong codes does not lock the hall out, and
       each guessing address gets about one guess a minute.
    5. A personal code refused because another device holds it counts against that
       code: ``REFUSALS_PER_CODE`` a minute, then 429 for that code.
    """

    JOINS_PER_ADDRESS = 300
    FAILURES_PER_ADDRESS = 60
    FAILURES_PER_ROOM = 60
    REFUSALS_PER_CODE = 10
    WINDOW_MS = 60_000

    def __init__(self, *, clock: Callable[[], int]) -> None:
        def last_minute() -> WindowCounts:
            return WindowCounts(window_ms=self.WINDOW_MS, clock=clock)

        self._joins = KeyedBuckets(
            rate=self.JOINS_PER_ADDRESS / 60, burst=self.JOINS_PER_ADDRESS, clock=clock
        )
        self._by_address = last_minute()
        self._by_room = last_minute()
        self._by_code = last_minute()
        self._wrong_codes = RecentKeys(window_ms=self.WINDOW_MS, clock=clock)
        self._failed_here = RecentKeys(window_ms=self.WINDOW_MS, clock=clock)

    def admit(self, address: str) -> str | None:
        """Why an attempt from ``address`` is refused before its body is read, or None."""
        if not self._joins.get(address).take():
            return "too many joins from this address; wait a minute"
        if self._by_address.count(address) >= self.FAILURES_PER_ADDRESS:
            return "too many failed attempts from this address; wait a minute"
        return None

    def check(self, room_id: str, address: str, code: str) -> str | None:
        """Why trying ``code`` in ``room_id`` from ``address`` is refused now, or None."""
        if self._by_room.count(room_id) >= self.FAILURES_PER_ROOM and self._failed_here.recent(
            (room_id, address)
        ):
            return "too many failed attempts in this room; wait a minute"
        if self._by_code.count(f"{room_id}\0{code}") >= self.REFUSALS_PER_CODE:
            return "this code was refused too often; wait a minute"
        return None

    def failed(self, room_id: str, address: str, code: str) -> None:
        """A wrong or malformed ``code`` was tried (rule 2)."""
        self._failed_here.see((room_id, address))
        if self._wrong_codes.recent((room_id, code)):
            return
        self._wrong_codes.see((room_id, code))
        self._by_room.add(room_id)
        self._by_address.add(address)

    def refused(self, room_id: str, address: str, code: str) -> None:
        """A right personal ``code`` was refused to this device (rule 5)."""
        self._by_code.add(f"{room_id}\0{code}")
        self._by_address.add(address)
