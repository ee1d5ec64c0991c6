"""A room's most recent events, kept for clients that resume with ``since``.

The contract keeps at least the last 10,000 events ready. A resident may see
only the public events and their own, so the events are also kept in one
stream per audience (``audience_of``), and a viewer's replay merges the
streams they hear (``heard_by``): after a storm of reconnects the ring is full
of other people's presence events, and each of two thousand residents resuming
must not walk through all of them to find the few that are theirs.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Iterable, Iterator

from .types import Audience, Event
from .views import Viewer, audience_of, heard_by


def _after(events: deque[Event], since: int) -> list[Event]:
    """The events of ``events`` (in seq order) numbered after ``since``; O(result)."""
    newer = itertools.takewhile(lambda e: e.seq > since, reversed(events))
    return list(newer)[::-1]


def _seq(event: Event) -> int:
    return event.seq


class RecentEvents:
    def __init__(self, limit: int) -> None:
        self._all: deque[Event] = deque()
        self._limit = limit
        self._streams: dict[Audience, deque[Event]] = {}

    def __iter__(self) -> Iterator[Event]:
        return iter(self._all)

    def __len__(self) -> int:
        return len(self._all)

    def extend(self, events: Iterable[Event]) -> None:
        streams = self._streams
        for event in events:
            if len(self._all) >= self._limit:
                self._forget(self._all.popleft())
            self._all.append(event)
            for audience in audience_of(event):
                stream = streams.get(audience)
                if stream is None:
                    stream = streams[audience] = deque()
                stream.append(event)

    def since(self, since: int, last: int, viewer: Viewer) -> list[Event] | None:
        """What ``viewer`` may see of the events after ``since`` (``last`` being the
        room's newest), or None when some of them are no longer kept."""
        if since == last:
            return []
        if since > last or not self._all or self._all[0].seq > since + 1:
            return None
        parts = [
            _after(stream, since)
            for stream in (self._streams.get(a) for a in heard_by(viewer))
            if stream
        ]
        if len(parts) == 1:
            return parts[0]
        return list(heapq.merge(*parts, key=_seq))

    def _forget(self, event: Event) -> None:
        for audience in audience_of(event):
            stream = self._streams[audience]
            stream.popleft()  # the oldest of all is the oldest of its own streams too
            if not stream:  # a person's stream goes with their last kept event
                del self._streams[audience]
