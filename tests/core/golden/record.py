"""Records a golden log: one session's entries, exactly as a server of some rules
version wrote them, and the events that version's reducer made of them.

    python3 tests/core/golden/record.py CORE_DIR VERSION OUT.json

``CORE_DIR`` is the ``server/core`` folder of the code that writes the log (a
checkout of the commit whose rules it is: version 1 is 780f89f^, version 2 is
b188ffa; later ones, the current tree: version 3 is de1f660, version 7 is the tree that
added ``poll.turnout``). The script imports that folder as a
package of its own, so it runs the old reducer as it was. When the rules
version changes, record a golden log under the new version and keep the old
ones: ``test_core_golden_logs.py`` replays every one with today's reducer and
asks for byte-identical events.

The session touches every rule that changed between versions: hands raised
inside the 500 ms window (coalesced from 2), a moderator raising a hand for an
online resident and a clerk posting for a holder whose phone dropped (allowed
before 3), a clerk raising a hand and posting for an attendee in the hall
(named from 3), plus turns, expiry, polls, chat, nonces and presence; from 4,
personal codes bound to devices and reset, settings frozen under an open poll,
and sealed secret ballots with their released batches and counts; from 5, the
setting ``record_audio`` (in every settings event) switched on during a turn and
before one, recordings published and erased; from 6, the setting ``cue_seconds``,
ranked and score polls with quorum and thresholds (named and sealed); from 7,
every poll's turnout announced as ballots come (the same polls, named and sealed).
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

T_V1 = 1_795_700_000_000  # before rules 2 were in force (unstamped logs)
T_V2 = 1_795_800_000_000  # after


def session(version: int) -> list[dict[str, Any]]:
    """The entries, as the server of ``version`` appends them (``at`` in ms)."""
    t = T_V1 if version == 1 else T_V2
    log: list[dict[str, Any]] = []

    def add(
        kind: str, actor: str | None = None, /, ms: int = 100, nonce: str | None = None, **args: Any
    ) -> None:
        nonlocal t
        t += ms
        record: dict[str, Any] = {"seq": len(log) + 1, "at": t, "kind": kind, "args": args}
        if actor is not None:
            record["actor"] = actor
        if nonce is not None:
            record["nonce"] = nonce
        log.append(record)

    create: dict[str, Any] = {
        "title": "3号楼加装电梯",
        "topic": "",
        "agenda": ["是否加装", "费用分摊"],
        "settings": {"turn_seconds": 30},
        "invite_code": "k7m2p9qx",
        "moderator_name": "主持人",
    }
    if version >= 3:
        create["rules_version"] = version
    add("room.create", **create)  # u1
    add("presence", participant_id="u1", node="n1", online=True)
    add("participant.join", "u1", name="书记员", role="clerk")  # u3: ids are log positions
    for name in ("甲", "乙", "丙", "丁"):  # u4, u6, u8, u10
        add("participant.join", name=name, invite="k7m2p9qx", role="participant")
        add("presence", participant_id=f"u{len(log)}", node="n1", online=True)
    a, b, c, d = "u4", "u6", "u8", "u10"
    add("presence", participant_id="u3", node="n1", online=True)
    add("offline.add", "u1", name="王阿姨")  # in the hall
    hall = f"u{len(log)}"
    add("session.start", "u1")
    # A rush of hands inside one window.
    add("hand.raise", a, ms=50, stance="support")
    add("hand.raise", b, ms=50, stance="oppose", note="费用太高")
    add("hand.raise", c, ms=50, stance="support", nonce="r1")
    add("hand.raise", c, ms=50, stance="support", nonce="r1")  # a retry
    add("hand.raise", "u3", ms=50, stance="oppose", on_behalf_of=hall)
    add("hand.raise", "u1", ms=50, stance="neutral", on_behalf_of=d)  # online: refused from 3
    add("tick", ms=400)
    add("turn.next", "u1")
    add("statement.post", a, text="支持加装，方便老人")
    add("turn.yield", a)
    add("turn.next", "u1")
    add("presence", ms=10, participant_id=b, node="n1", online=False, since=t)
    add("statement.post", "u3", text="他掉线了，我替他说")  # refused from 3
    add("turn.end", "u1")
    add("turn.grant", "u1", participant_id=hall, stance="oppose")
    add("statement.post", "u3", text="我住一楼，不需要电梯", on_behalf_of=hall)
    add("tick", ms=31_000)  # the turn expires
    add("presence", participant_id=b, node="n1", online=True)
    add("chat.send", c, text="什么时候开工？", status="visible")
    add("chat.send", d, text="加我微信 138****", status="masked", reasons=["personal.phone"])
    add("poll.open", "u1", question="是否加装电梯？", kind="yes_no_abstain", live_results=True)
    poll = f"p{len(log)}"
    for voter, choice in ((a, 0), (b, 1), (c, 0)):
        add("poll.vote", voter, ms=100, poll_id=poll, choices=[choice], salt=f"s{voter}")
    add("poll.vote", "u3", poll_id=poll, choices=[2], on_behalf_of=hall, salt="sh")
    add("tick", ms=600)
    add("poll.close", "u1", poll_id=poll)
    add("decision.record", "u1", text="同意加装", poll_id=poll)
    add("action.add", "u1", title="提交申请", owner="街道办", due="2026-12-31")
    if version >= 4:
        secret_ballots(add, log, a, b, c, d, hall)
    if version >= 5:
        recordings(add, a, b)
    if version >= 6:
        add("settings.update", "u1", cue_seconds=[60, 15, 5])
        procedure_polls(add, log, a, b, c, d, hall)
    add("agenda.goto", "u1", index=1)
    add("hand.raise", d, stance="oppose")
    add("hand.lower", d, ms=50)
    if version >= 4:
        add(
            "poll.open",
            "u1",
            question="谁来监督施工？",
            kind="single",
            options=["物业", "业委会"],
            secret=True,
            ballot_key="key-b",
        )
        late = f"p{len(log)}"
        for voter in (a, b):
            add("poll.vote", voter, poll_id=late, sealed=f"seal-{voter}-late")
    add("session.end", "u1")
    if version >= 4:  # session.end closed it: the count follows the end
        add("poll.count", poll_id=late, counts=[1, 1], voters=2, eligible=6, choices=[[1], [0]])
        add(
            "poll.count", poll_id=late, counts=[1, 1], voters=2, eligible=6, choices=[[1], [0]]
        )  # a second node's: conflict
    add("minutes.publish", "u1", minutes_url="http://hall.example/r/room/minutes")
    return log


def secret_ballots(
    add: Any, log: list[dict[str, Any]], a: str, b: str, c: str, d: str, hall: str
) -> None:
    """Rules 4: personal codes bound to a device, a reset, and a sealed secret poll."""
    add("invites.create", "u1", codes=["home-one", "home-two"])
    home = f"u{len(log)}-0"
    add("participant.join", name="张家", invite="home-one", role="participant", device="dev-a")
    add("participant.join", name="张家", invite="home-one", role="participant", device="dev-a")
    add("participant.join", name="假冒", invite="home-one", role="participant", device="dev-m")
    add("participant.join", name="张家", invite="home-two", role="participant")  # no device
    add("presence", participant_id=home, node="n1", online=True)
    add(
        "poll.open",
        "u1",
        question="选哪家施工单位？",
        kind="single",
        options=["甲公司", "乙公司", "丙公司"],
        secret=True,
        live_results=True,
        ballot_key="key-a",
    )
    poll = f"p{len(log)}"
    add(
        "poll.open",
        "u1",
        question="没有钥匙的秘密投票",
        kind="single",
        options=["是", "否"],
        secret=True,
    )  # refused: the server always gives a key
    add("settings.update", "u1", revote=True)  # refused while a poll is open
    add("settings.update", "u1", turn_seconds=60)  # fine
    add("poll.vote", a, poll_id=poll, choices=[0])  # refused: in clear
    for voter in (a, b, home):
        add("poll.vote", voter, poll_id=poll, sealed=f"seal-{voter}")
    add("poll.vote", a, poll_id=poll, sealed="seal-again")  # refused: no revote
    add("poll.release", poll_id=poll, cast=2, counts=[1, 1, 0], voters=2)  # too few
    add("poll.release", poll_id=poll, cast=3, counts=[1, 1, 1], voters=3)
    add("poll.vote", c, poll_id=poll, sealed=f"seal-{c}")
    add("poll.vote", "u3", poll_id=poll, sealed="seal-hall", on_behalf_of=hall)
    add("invite.reset", "u1", participant_id=home)
    add("participant.join", name="张家", invite="home-one", role="participant", device="dev-b")
    add("poll.close", "u1", poll_id=poll)
    add("poll.vote", d, poll_id=poll, sealed=f"seal-{d}")  # refused: closed
    add(
        "poll.count",
        poll_id=poll,
        counts=[2, 2, 0],
        voters=5,
        eligible=6,
        choices=[[0], [1], [1], [0], [0]],
    )  # refused: does not add up
    add(
        "poll.count",
        poll_id=poll,
        counts=[3, 2, 0],
        voters=5,
        eligible=6,
        choices=[[0], [1], [1], [0], [0]],
    )
    add("settings.update", "u1", revote=True)


def procedure_polls(
    add: Any, log: list[dict[str, Any]], a: str, b: str, c: str, d: str, hall: str
) -> None:
    """Rules 6: a named ranked poll with a quorum and a threshold (a transfer, then a
    winner short of 2/3), refusals, and a secret score poll short of its quorum."""
    add(
        "poll.open",
        "u1",
        question="电梯选哪种型号？",
        kind="ranked",
        options=["甲型", "乙型", "丙型"],
        quorum=3,
        threshold="2/3",
        live_results=True,
    )
    ranked = f"p{len(log)}"
    add("poll.vote", a, poll_id=ranked, choices=[0, 1], salt="ra")
    add("poll.vote", b, poll_id=ranked, choices=[1], salt="rb")
    add("poll.vote", c, poll_id=ranked, choices=[2, 1], salt="rc")
    add("poll.vote", d, poll_id=ranked, choices=[1, 1], salt="rd")  # refused: twice
    add("poll.vote", d, poll_id=ranked, scores=[1, 1, 1], salt="rd")  # refused: not a score
    add("poll.vote", "u3", poll_id=ranked, choices=[0], on_behalf_of=hall, salt="rh")
    add("tick", ms=600)
    add("poll.close", "u1", poll_id=ranked)
    add(
        "poll.open",
        "u1",
        question="配套打分",
        kind="score",
        options=["坡道", "照明"],
        max_score=5,
        threshold="simple",
    )  # refused: a score poll takes no threshold
    add(
        "poll.open",
        "u1",
        question="配套打分",
        kind="score",
        options=["坡道", "照明"],
        max_score=5,
        quorum=20,
        secret=True,
        live_results=True,
        ballot_key="key-c",
    )
    scored = f"p{len(log)}"
    for voter in (a, b, c):
        add("poll.vote", voter, poll_id=scored, sealed=f"seal-{voter}-score")
    add("poll.release", poll_id=scored, cast=3, counts=[9, 5], voters=3)
    add("poll.close", "u1", poll_id=scored)
    add(
        "poll.count",
        poll_id=scored,
        counts=[9, 5],
        voters=3,
        eligible=6,
        choices=[[4, 1], [3, 2], [2, 2]],
    )


def recordings(add: Any, a: str, b: str) -> None:
    """Rules 5: a turn recorded from its start, one from the middle, publish and erase."""
    add("recordings.publish", a, on=True)  # refused: moderators only
    add("turn.grant", "u1", participant_id=a, stance="support")
    add("settings.update", "u1", record_audio=True)  # the running turn is recorded from here
    add("turn.yield", a)
    add("turn.grant", "u1", participant_id=b, stance="oppose")  # recorded from its start
    add("statement.post", b, text="录音我同意")
    add("turn.end", "u1")
    add("recordings.publish", "u1", on=True)
    add("recordings.erase", "u1")  # switches recording off too
    add("recordings.erase", "u1")  # nothing left: the same again
    add("settings.update", "u1", record_audio=True)


def record(core_dir: Path, version: int) -> dict[str, Any]:
    sys.path.insert(0, str(core_dir.parent))
    pkg = core_dir.name
    reducer = importlib.import_module(f"{pkg}.reducer")
    types = importlib.import_module(f"{pkg}.types")
    state = reducer.new_room("golden")
    entries = session(version)
    events = []
    for record_ in entries:
        outcome = reducer.apply(state, types.Entry.from_record(record_))
        events += [event_record(e) for e in outcome.events]
    assert state.rules_version == version, (state.rules_version, version)
    return {"rules_version": version, "entries": entries, "events": events}


def event_record(event: Any) -> dict[str, Any]:
    return {
        **event.to_wire(),
        "audience": [event.audience.kind.value, event.audience.participant_id],
    }


def canonical(events: list[dict[str, Any]]) -> str:
    return json.dumps(events, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


if __name__ == "__main__":
    core, version, out = Path(sys.argv[1]).resolve(), int(sys.argv[2]), Path(sys.argv[3])
    out.write_text(json.dumps(record(core, version), ensure_ascii=False, indent=1) + "\n")
