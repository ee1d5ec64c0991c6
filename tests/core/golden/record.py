"""Records a golden log: one session's entries, exactly as a server of some rules
version wrote them, and the events that version's reducer made of them.

    python3 tests/core/golden/record.py CORE_DIR VERSION OUT.json

``CORE_DIR`` is the ``server/core`` folder of the code that writes the log (a
checkout of the commit whose rules it is: version 1 is 780f89f^, version 2 is
b188ffa; later ones, the current tree). The script imports that folder as a
package of its own, so it runs the old reducer as it was. When the rules
version changes, record a golden log under the new version and keep the old
ones: ``test_core_golden_logs.py`` replays every one with today's reducer and
asks for byte-identical events.

The session touches every rule that changed between versions: hands raised
inside the 500 ms window (coalesced from 2), a moderator raising a hand for an
online resident and a clerk posting for a holder whose phone dropped (allowed
before 3), a clerk raising a hand and posting for an attendee in the hall
(named from 3), plus turns, expiry, polls, chat, nonces and presence.
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

    def add(kind: str, actor: str | None = None, /, ms: int = 100, nonce: str | None = None,
            **args: Any) -> None:
        nonlocal t
        t += ms
        record: dict[str, Any] = {"seq": len(log) + 1, "at": t, "kind": kind, "args": args}
        if actor is not None:
            record["actor"] = actor
        if nonce is not None:
            record["nonce"] = nonce
        log.append(record)

    create: dict[str, Any] = {"title": "3号楼加装电梯", "topic": "", "agenda": ["是否加装", "费用分摊"],
                              "settings": {"turn_seconds": 30}, "invite_code": "k7m2p9qx",
                              "moderator_name": "主持人"}
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
    add("agenda.goto", "u1", index=1)
    add("hand.raise", d, stance="oppose")
    add("hand.lower", d, ms=50)
    add("session.end", "u1")
    add("minutes.publish", "u1", minutes_url="http://hall.example/r/room/minutes")
    return log


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
    return {**event.to_wire(), "audience": [event.audience.kind.value,
                                            event.audience.participant_id]}


def canonical(events: list[dict[str, Any]]) -> str:
    return json.dumps(events, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


if __name__ == "__main__":
    core, version, out = Path(sys.argv[1]).resolve(), int(sys.argv[2]), Path(sys.argv[3])
    out.write_text(json.dumps(record(core, version), ensure_ascii=False, indent=1) + "\n")
