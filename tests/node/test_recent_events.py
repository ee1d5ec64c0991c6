"""The replay ring answers a resuming client exactly as filtering every kept event
with ``may_see`` (the rule in the protocol's words) would, and says so when the
events asked for are gone."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from visibility import may_see
from yishi.core.recent import RecentEvents
from yishi.core.types import MODERATORS, PUBLIC, Audience, AudienceKind, Event, Role, person
from yishi.core.views import Viewer

PEOPLE = ["p1", "p2", "p3"]
audiences = st.one_of(
    st.just(PUBLIC),
    st.just(MODERATORS),
    st.just(Audience(AudienceKind.PERSON, None)),
    st.sampled_from(PEOPLE).map(person),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(audiences, max_size=60),
    st.integers(1, 20),
    st.builds(Viewer, st.sampled_from(PEOPLE), st.sampled_from(list(Role))),
    st.integers(0, 70),
)
def test_since_is_may_see_over_the_kept_events(
    audience_list: list[Any], limit: int, viewer: Viewer, since: int
) -> None:
    events = [
        Event(seq=n, type="x", at=0, data={}, audience=a) for n, a in enumerate(audience_list, 1)
    ]
    recent = RecentEvents(limit)
    for i in range(0, len(events), 7):  # in batches, as outcomes arrive
        recent.extend(events[i : i + 7])
    last = len(events)
    kept = events[-limit:] if events else []
    assert [e.seq for e in recent] == [e.seq for e in kept]
    got = recent.since(since, last, viewer)
    if since > last or (since < last and (not kept or kept[0].seq > since + 1)):
        assert got is None
    else:
        assert got is not None
        assert [e.seq for e in got] == [e.seq for e in kept if e.seq > since and may_see(e, viewer)]
