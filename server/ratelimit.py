"""Token buckets for the edge: commands per socket, failed joins per address."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable


class TokenBucket:
    """``burst`` tokens, refilled at ``rate`` a second; ``take()`` says whether one was left."""

    __slots__ = ("at", "burst", "clock", "rate", "tokens")

    def __init__(self, *, rate: float, burst: float, clock: Callable[[], int]) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens = burst
        self.at = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate / 1000)
        self.at = now

    def take(self) -> bool:
        self._refill()
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def empty(self) -> bool:
        self._refill()
        return self.tokens < 1


class KeyedBuckets:
    """One bucket per key (an address), the least recently used forgotten first."""

    def __init__(self, *, rate: float, burst: float, clock: Callable[[], int],
                 keep: int = 100_000) -> None:
        self._rate, self._burst, self._clock = rate, burst, clock
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()
        self._keep = keep

    def get(self, key: str) -> TokenBucket:
        bucket = self._buckets.pop(key, None) or TokenBucket(
            rate=self._rate, burst=self._burst, clock=self._clock)
        self._buckets[key] = bucket
        while len(self._buckets) > self._keep:
            self._buckets.popitem(last=False)
        return bucket
