"""What each person may see: event audiences and the welcome snapshot."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from roombuilder import Room
from visibility import may_see
from yishi.core import views
from yishi.core.types import MODERATORS, PUBLIC, Audience, AudienceKind, Event, Role, person
from yishi.core.views import CHAT_IN_SNAPSHOT

ROLES = list(Role)


PEOPLE = ["u8", "u9"]
audiences = st.one_of(
    st.just(PUBLIC),
    st.just(MODERATORS),
    st.just(Audience(AudienceKind.PERSON, None)),
    st.sampled_from(PEOPLE).map(person),
)


@settings(max_examples=200, deadline=None)
@given(audiences, st.builds(views.Viewer, st.sampled_from(PEOPLE), st.sampled_from(ROLES)))
def test_a_viewer_hears_exactly_one_audience_of_each_event_they_may_see(
    audience: Audience, viewer: views.Viewer
) -> None:
    event = Event(seq=1, type="x", at=0, data={}, audience=audience)
    heard = set(views.audience_of(event)) & set(views.heard_by(viewer))
    assert len(heard) == (1 if may_see(event, viewer) else 0)


def test_audiences_by_role() -> None:
    for role in ROLES:
        viewer = views.Viewer(participant_id="u9", role=role)
        seen = [
            views.audience_of(Event(seq=1, type="x", at=0, data={}, audience=a))
            for a in (PUBLIC, MODERATORS, person("u9"), person("u8"))
        ]
        heard = set(views.heard_by(viewer))
        assert [bool(heard.intersection(s)) for s in seen] == [
            True,
            role is Role.MODERATOR,
            True,
            role is Role.MODERATOR,
        ]


def test_snapshots_per_viewer(room: Room) -> None:
    room.ok(room.mod, "settings.update", revote=True)
    a, b = room.residents("a", "b")
    clerk = room.staff("clerk", "书记员")
    office = room.staff("office", "街道办")
    obs = room.join("obs", observer=True)
    room.ok(a, "chat.send", text="可疑", server_args={"status": "held", "reasons": ["abuse"]})
    room.ok(b, "chat.send", text="正常")
    poll = room.ok(room.mod, "poll.open", question="q", kind="single", options=["x", "y"])[
        "poll_id"
    ]
    room.ok(a, "poll.vote", poll_id=poll, choices=[1])
    room.raise_hand(b, "oppose", note="噪音")
    mod_view = room.snapshot(room.mod)
    assert [m["text"] for m in mod_view["held"]] == ["可疑"]
    assert mod_view["held"][0]["reasons"] == ["abuse"]
    assert mod_view["polls"][0]["counts"] == [0, 1]
    assert mod_view["polls"][0]["ballots"] == {a: [1]}
    for pid in (a, b, clerk, office, obs):
        view = room.snapshot(pid)
        assert "held" not in view
        assert [m["text"] for m in view["chat"]] == ["正常"]
        assert view["polls"][0]["counts"] is None and "ballots" not in view["polls"][0]
        assert view["polls"][0]["eligible"] == 2
        assert view["queue"] == mod_view["queue"] and view["turn"] is None
        assert view["you"]["participant_id"] == pid
    assert room.snapshot(a)["you"]["ballots"] == {poll: [1]}
    assert room.snapshot(b)["you"]["ballots"] == {}
    assert room.snapshot(b)["you"]["queue_entry"]["note"] == "噪音"
    assert room.snapshot(a)["you"]["queue_entry"] is None
    assert room.snapshot(clerk)["you"]["role"] == "clerk"


def test_snapshot_shapes(room: Room) -> None:
    (a,) = room.residents("a")
    view = room.snapshot(a)
    assert set(view) == {
        "room",
        "participants",
        "queue",
        "turn",
        "balance",
        "polls",
        "chat",
        "pins",
        "decisions",
        "actions",
        "notes",
        "you",
    }
    assert set(view["room"]) == {
        "room_id",
        "title",
        "topic",
        "status",
        "agenda",
        "settings",
        "minutes_published",
        "recordings",
        "approval",
    }
    assert set(view["queue"]) == {"support", "oppose", "neutral", "next"}
    assert view["balance"] == {s: {"turns": 0, "ms": 0} for s in ("support", "oppose", "neutral")}
    me = next(p for p in view["participants"] if p["participant_id"] == a)
    assert me == {
        "participant_id": a,
        "name": "a",
        "role": "participant",
        "online": True,
        "in_hall": False,
        "muted_until": None,
        "removed": False,
    }
    assert set(view["you"]) == set(me) | {"ballots", "queue_entry"}


def test_a_residents_snapshot_lists_whom_their_page_needs(room: Room) -> None:
    a, b, c, d = room.residents("a", "b", "c", "d")
    clerk = room.staff("clerk", "书记员")
    hall = room.in_hall("王阿姨")
    room.raise_hand(b, "support")
    room.ok(room.mod, "turn.grant", participant_id=c)
    listed = [p["participant_id"] for p in room.snapshot(a)["participants"]]
    # Staff and the hall (everyone hears of them), themselves, the queue, the floor:
    # each once, and not d, a resident nobody else needs to know is there.
    assert sorted(listed) == sorted({room.mod, clerk, hall, a, b, c})
    assert len(listed) == len(set(listed))
    everyone = [p["participant_id"] for p in room.snapshot(room.mod)["participants"]]
    assert sorted(everyone) == sorted({room.mod, clerk, hall, a, b, c, d})


def test_the_snapshot_carries_the_last_visible_chat_and_the_pins(room: Room) -> None:
    room.ok(room.mod, "settings.update", chat_rate=0)
    a, b = room.residents("a", "b")
    sent = []
    for i in range(CHAT_IN_SNAPSHOT + 30):
        held = i % 7 == 0  # moderation held it: nobody but the moderators sees it
        server_args = {"status": "held", "reasons": ["spam"]} if held else None
        mid = room.ok(b, "chat.send", text=f"第{i}条", server_args=server_args)
        if not held:
            sent.append(mid["message_id"])
    room.ok(room.mod, "chat.pin", message_id=sent[3])
    room.ok(room.mod, "chat.pin", message_id=sent[-1])
    room.ok(room.mod, "chat.pin", message_id=sent[5])
    room.ok(room.mod, "chat.remove", message_id=sent[-1])
    view = room.snapshot(a)
    kept = sent[:-1]
    assert [m["message_id"] for m in view["chat"]] == kept[-CHAT_IN_SNAPSHOT:]
    assert [m["message_id"] for m in view["pins"]] == [sent[3], sent[5]]
