"""A room's most recent events, kept for clients that resume with ``since``.

The contract keeps at least the last 10,000 events ready. A resident may see
only the public events and their own, so the events are also indexed by who
may see them: after a storm of reconnects the ring is full of other people's
presence events, and each of two thousand residents resuming must not walk
through all of them to find the few that are theirs. The index answers
exactly as ``can_see`` does.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Iterable, Iterator

from .core.types import AudienceKind, Event
from .core.views import Viewer


def _after(events: deque[Event], since: int) -> list[Event]:
    """The events of ``events`` (in seq order) numbered after ``since``; O(result)."""
    newer = itertools.takewhile(lambda e: e.seq > since, reversed(events))
    return list(newer)[::-1]


class RecentEvents:
    def __init__(self, limit: int) -> None:
        self._all: deque[Event] = deque()
        self._limit = limit
        self._public: deque[Event] = deque()
        self._moderators: deque[Event] = deque()
        self._personal: dict[str, deque[Event]] = {}

    def __iter__(self) -> Iterator[Event]:
        return iter(self._all)

    def __len__(self) -> int:
        return len(self._all)

    def extend(self, events: Iterable[Event]) -> None:
        for event in events:
            if len(self._all) >= self._limit:
                self._forget(self._all.popleft())
            self._all.append(event)
            self._stream(event).append(event)

    def since(self, since: int, last: int, viewer: Viewer) -> list[Event] | None:
        """What ``viewer`` may see of the events after ``since`` (``last`` being the
        room's newest), or None when some of them are no longer kept."""
        if since == last:
            return []
        if since > last or not self._all or self._all[0].seq > since + 1:
            return None
        if viewer.moderator:
            return _after(self._all, since)
        own = self._personal.get(viewer.participant_id)
        if own is None:
            return _after(self._public, since)
        return list(heapq.merge(_after(self._public, since), _after(own, since),
                                key=lambda e: e.seq))

    def _stream(self, event: Event) -> deque[Event]:
        audience = event.audience
        if audience.kind is AudienceKind.PUBLIC:
            return self._public
        if audience.kind is AudienceKind.PERSON and audience.participant_id is not None:
            return self._personal.setdefault(audience.participant_id, deque())
        return self._moderators

    def _forget(self, event: Event) -> None:
        stream = self._stream(event)
        stream.popleft()  # the oldest of all is the oldest of its own stream too
        if not stream and event.audience.kind is AudienceKind.PERSON:
            del self._personal[event.audience.participant_id or ""]
