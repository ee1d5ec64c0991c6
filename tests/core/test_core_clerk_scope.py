"""Staff act for attendees seated in the hall, and only for them; what they do
for someone says so (rules 3). Older rooms keep the rules they were made under."""

from __future__ import annotations

from roombuilder import Room, only
from yishi.core.types import Role


def test_a_clerk_acts_only_for_attendees_in_the_hall(room: Room) -> None:
    (online,) = room.residents("在线居民")
    hall = room.in_hall("现场居民")
    clerk = room.staff("clerk", "书记员")
    room.fail(clerk, "hand.raise", "forbidden", stance="oppose", on_behalf_of=online)
    assert room.ok(clerk, "hand.raise", stance="oppose", on_behalf_of=hall) == {"position": 1}
    # Nor may the moderator put a resident with a phone of their own in the queue.
    room.fail(room.mod, "hand.raise", "forbidden", stance="support", on_behalf_of=online)
    room.fail(room.mod, "hand.lower", "forbidden", on_behalf_of=online)


def test_a_hand_raised_for_someone_names_who_raised_it(room: Room) -> None:
    hall = room.in_hall("现场居民")
    clerk = room.staff("clerk", "书记员")
    outcome = room.send(clerk, "hand.raise", stance="oppose", on_behalf_of=hall)
    (entry,) = only(outcome.events, "queue.changed").data["oppose"]
    assert entry["participant_id"] == hall and entry["by"] == clerk
    (mine,) = room.residents("居民")
    room.wait(1000)
    outcome = room.send(mine, "hand.raise", stance="support")
    assert "by" not in only(outcome.events, "queue.changed").data["support"][0]


def test_a_clerk_cannot_post_as_an_online_resident_who_holds_the_floor(room: Room) -> None:
    """The clerk's check asked whether the holder was online, not whether they were in
    the hall: with the holder's phone merely offline, the clerk could speak as them."""
    (resident,) = room.residents("居民")
    clerk = room.staff("clerk", "书记员")
    room.raise_hand(resident, "support")
    room.next_turn()
    room.offline(resident)  # a dropped connection: still not an attendee in the hall
    room.fail(clerk, "statement.post", "forbidden", text="我替他说")
    room.fail(clerk, "statement.post", "forbidden", text="我替他说", on_behalf_of=resident)


def test_a_statement_posted_for_an_attendee_says_who_typed_it(room: Room) -> None:
    hall = room.in_hall("现场居民")
    clerk = room.staff("clerk", "书记员")
    room.ok(clerk, "hand.raise", stance="support", on_behalf_of=hall)
    room.next_turn()
    outcome = room.send(clerk, "statement.post", text="我同意加装")
    posted = only(outcome.events, "statement.posted").data
    assert posted["participant_id"] == hall and posted["by"] == clerk
    resident_view = [e for e in room.visible_to(hall) if e.type == "statement.posted"]
    assert resident_view[-1].data["by"] == clerk


def test_rooms_made_under_rules_2_keep_their_proxies() -> None:
    room = Room.create(start=True, rules_version=2)
    (online,) = room.residents("在线居民")
    clerk = room.staff("clerk", "书记员")
    assert room.ok(room.mod, "hand.raise", stance="support", on_behalf_of=online)
    room.next_turn()
    room.offline(online)
    outcome = room.send(clerk, "statement.post", text="旧规则")
    assert outcome.ok
    assert "by" not in only(outcome.events, "statement.posted").data
    assert room.viewer(clerk).role is Role.CLERK
