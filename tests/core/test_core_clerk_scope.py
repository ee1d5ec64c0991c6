"""A clerk records for attendees in the hall, and only for them."""

from __future__ import annotations

from roombuilder import Room


def test_a_clerk_acts_only_for_attendees_in_the_hall(room: Room) -> None:
    online, = room.residents("在线居民")
    hall = room.in_hall("现场居民")
    clerk = room.staff("clerk", "书记员")
    room.fail(clerk, "hand.raise", "forbidden", stance="oppose", on_behalf_of=online)
    assert room.ok(clerk, "hand.raise", stance="oppose", on_behalf_of=hall) == {"position": 1}
    # The moderator may act for anyone.
    assert room.ok(room.mod, "hand.raise", stance="support", on_behalf_of=online)
