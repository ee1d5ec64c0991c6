"""The hub's fan-out index sends each event to exactly the sockets allowed to see it
(``may_see``, the rule in the protocol's words), in order, each socket once; and
removed sockets get nothing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from visibility import may_see
from yishi.core.types import MODERATORS, PUBLIC, Audience, AudienceKind, Event, Role, person
from yishi.core.views import Viewer
from yishi.host.hub import Close, Outbox, RoomHub, Subscriber
from yishi.wire import CODECS, JSON_PROTOCOL

PEOPLE = ["p1", "p2", "p3", "p4"]

viewers = st.builds(Viewer, st.sampled_from(PEOPLE), st.sampled_from(list(Role)))
audiences = st.one_of(
    st.just(PUBLIC),
    st.just(MODERATORS),
    st.just(Audience(AudienceKind.PERSON, None)),
    st.sampled_from([*PEOPLE, "nobody"]).map(person),
)


class Recorder:
    """An ASGI send that keeps what a socket was sent."""

    def __init__(self) -> None:
        self.seqs: list[int] = []

    async def __call__(self, message: dict[str, Any]) -> None:
        if message["type"] == "websocket.send":
            self.seqs.append(json.loads(message["text"])["seq"])


async def _deliver(viewer_list: list[Viewer], audience_list: list[Any], removed: set[int]) -> None:
    hub = RoomHub()
    sockets = []
    for viewer in viewer_list:
        recorder = Recorder()
        sub = Subscriber(viewer, CODECS[JSON_PROTOCOL], Outbox(recorder))
        hub.add(sub)
        sockets.append((sub, recorder))
    for i in removed:
        hub.remove(sockets[i][0])
    events = [
        Event(seq=n, type="x", at=0, data={}, audience=a) for n, a in enumerate(audience_list, 1)
    ]
    hub.publish(events)
    for i, (sub, recorder) in enumerate(sockets):
        sub.outbox.close_after_pending(Close(1000))
        sub.outbox.start()
        await sub.outbox.wait_sent(5)
        expected = [] if i in removed else [e.seq for e in events if may_see(e, sub.viewer)]
        assert recorder.seqs == expected, (sub.viewer, i in removed)
    assert hub.frames_sent == sum(
        may_see(e, s.viewer)
        for e in events
        for s, _ in (sockets[i] for i in range(len(sockets)) if i not in removed)
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(viewers, min_size=1, max_size=8),
    st.lists(audiences, max_size=12),
    st.sets(st.integers(0, 7)),
)
def test_each_socket_gets_exactly_what_it_may_see(
    viewer_list: list[Viewer], audience_list: list[Any], removed: set[int]
) -> None:
    asyncio.run(_deliver(viewer_list, audience_list, {i for i in removed if i < len(viewer_list)}))
