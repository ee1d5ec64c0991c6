"""The minutes as a document: a list of blocks every renderer draws the same way.

The model says what happened; the outline decides what a reader sees and in
which words (one language's catalogue). Markdown, HTML and Word each render
these few block kinds and nothing else, so the three can never disagree on a
turn, a count or a name.
"""

from __future__ import annotations

import datetime

from ..core.types import Json
from .blocks import Banner, Block, Bullets, Document, Fields, Heading, Para, Quote, Table
from .catalog import ZONE, Catalog
from .outline_polls import poll_blocks


def outline(model: Json, *, lang: str) -> Document:
    """The blocks of ``model`` (from :func:`build_minutes`) in ``lang``."""
    t = Catalog(lang, session_date=model["date"])
    title = t("minutes_of", title=model["title"])
    blocks: list[Block] = [Heading(1, title)]
    if not model["final"]:
        blocks.append(
            Banner(
                t("banner.live", time=t.stamp(model["record_until"]))
                if model["status"] == "live"
                else t("banner.pending")
            )
        )
    blocks.append(_header(model, t))
    blocks += _approval(model, t)
    blocks += _attendance(model, t)
    blocks.append(Heading(2, t("section.agenda")))
    for item in model["agenda"]:
        blocks += _item(item, t)
    blocks += _recordings(model, t)
    blocks += _actions(model, t)
    blocks.append(Heading(2, t("section.chat")))
    blocks.append(
        Bullets(tuple(_chat_line(m, t) for m in model["chat"]))
        if model["chat"]
        else Para(t("chat.none"))
    )
    if model["unfiled_notes"]:
        blocks.append(Heading(2, t("section.unfiled_notes")))
        blocks.append(Bullets(tuple(_note_line(n, t) for n in model["unfiled_notes"])))
    blocks += _after_approval(model, t)
    integrity = model["integrity"]
    blocks += [
        Heading(2, t("section.integrity")),
        Para(t("integrity.text", entries=integrity["entries"])),
        Para(integrity["digest"], mono=True),
        *_signatures(model, t),
        Para(t("integrity.verify", room_id=model["room_id"]), mono=True),
        Para(t("footer")),
    ]
    return Document(
        lang=lang,
        title=title,
        colon=t("colon"),
        digest=integrity["digest"],
        algorithm=integrity["algorithm"],
        record_until=model["record_until"],
        blocks=tuple(blocks),
    )


def _header(model: Json, t: Catalog) -> Fields:
    rows: list[tuple[str, str]] = []
    if model["topic"]:
        rows.append((t("field.topic"), model["topic"]))
    rows.append(
        (
            t("field.date"),
            t.date(model["started_at"] or model["created_at"])
            + t("utc", offset=model["utc_offset"]),
        )
    )
    if model["started_at"] is not None:
        start = t.stamp(model["started_at"])
        rows.append(
            (
                t("field.time"),
                t("time.range", start=start, end=t.stamp(model["ended_at"]))
                if model["ended_at"] is not None
                else t("time.open", start=start),
            )
        )
        rows.append((t("field.duration"), t.duration(model["duration_ms"])))
    rows.append(
        (
            t("field.status"),
            t("status.final", time=t.stamp(model["ended_at"]))
            if model["final"]
            else t("status.draft"),
        )
    )
    people = model["people"]
    rows.append((t("field.moderators"), t.join(people["moderators"])))
    rows.append((t("field.clerks"), t.join(people["clerks"])))
    if people["offices"]:
        rows.append((t("field.offices"), t.join(people["offices"])))
    if model["policy"] in ("balanced", "alternate"):
        rows.append((t("field.policy"), t(f"policy.{model['policy']}")))
    if model["turn_seconds"]:
        rows.append((t("field.turn_limit"), t.duration(model["turn_seconds"] * 1000)))
    return Fields(tuple(rows))


def _attendance(model: Json, t: Catalog) -> list[Block]:
    if "attendance" not in model:  # the public copy: counts, no names, no times
        return [
            Heading(2, t("section.attendance")),
            Para(t("attendance.summary", **model["present"])),
            Para(t("attendance.public")),
        ]
    present = [p for p in model["attendance"] if p["attended"]]
    rows = []
    for p in present:
        name = p["name"] + (t("mark.removed") if p["removed"] else "")
        if p["mode"] == "hall":
            left = t("left.unknown")
        elif model["final"] and (p["left_at"] is None or p["left_at"] >= model["ended_at"]):
            left = t("left.end")
        else:
            left = t.stamp(p["left_at"]) if p["left_at"] is not None else t("left.still")
        arrived = t.stamp(p["arrived_at"]) if p["arrived_at"] is not None else t("left.unknown")
        rows.append((name, t(f"role.{p['role']}"), t(f"mode.{p['mode']}"), arrived, left))
    residents = [p for p in present if p["role"] == "participant"]
    blocks: list[Block] = [
        Heading(2, t("section.attendance")),
        Table(
            (t("col.name"), t("col.role"), t("col.mode"), t("col.arrived"), t("col.left")),
            tuple(rows),
        ),
        Para(
            t(
                "attendance.summary",
                residents=len(residents),
                online=sum(1 for p in residents if p["mode"] == "online"),
                hall=sum(1 for p in residents if p["mode"] == "hall"),
                staff=sum(1 for p in present if p["role"] in ("moderator", "clerk", "office")),
                observers=sum(1 for p in present if p["role"] == "observer"),
            )
        ),
    ]
    absent = [
        p["name"] for p in model["attendance"] if not p["attended"] and p["role"] == "participant"
    ]
    if absent:
        blocks.append(Para(t("attendance.absent", names=t.join(absent))))
    return blocks


def _item(item: Json, t: Catalog) -> list[Block]:
    blocks: list[Block] = [
        Heading(3, t("item.heading", n=item["index"] + 1, title=item["title"])),
        Heading(4, t("sub.turns")),
    ]
    if item["turns"]:
        blocks.append(
            Table(
                (
                    t("col.number"),
                    t("col.speaker"),
                    t("col.stance"),
                    t("col.start"),
                    t("col.duration"),
                    t("col.ended"),
                    t("col.marks"),
                ),
                tuple(_turn_row(turn, t) for turn in item["turns"]),
            )
        )
    else:
        blocks.append(Para(t("turns.none")))
    # Statements numbered 1, 2, 3 in order (a turn without one leaves no gap), each
    # naming the turn of the table above that it was made in.
    said = [(turn, s) for turn in item["turns"] for s in turn["statements"]]
    quotes = [
        Quote(
            t(
                "statement.label",
                n=n,
                turn=turn["number"],
                speaker=t.name(turn["speaker"]),
                stance=t(f"stance.{turn['stance']}"),
            )
            + (t("statement.recorded_by", name=s["recorded_by"]) if s["recorded_by"] else ""),
            s["text"],
        )
        for n, (turn, s) in enumerate(said, 1)
    ]
    if quotes:
        blocks.append(Heading(4, t("sub.statements")))
        blocks += quotes
    blocks += _balance(item["balance"], t)
    if item["polls"]:
        blocks.append(Heading(4, t("sub.polls")))
        for poll in item["polls"]:
            blocks += poll_blocks(poll, t)
    if item["decisions"]:
        questions = {p["poll_id"]: p["question"] for p in item["polls"]}
        blocks.append(Heading(4, t("sub.decisions")))
        blocks.append(
            Bullets(
                tuple(
                    t("decision.line", text=d["text"])
                    + (
                        t("decision.poll", question=questions.get(d["poll_id"], d["poll_id"]))
                        if d["poll_id"]
                        else ""
                    )
                    for d in item["decisions"]
                )
            )
        )
    if item["notes"]:
        blocks.append(Heading(4, t("sub.notes")))
        blocks.append(Bullets(tuple(_note_line(n, t) for n in item["notes"])))
    return blocks


def _turn_row(turn: Json, t: Catalog) -> tuple[str, ...]:
    marks = []
    if turn["override"]:
        marks.append(t("mark.override"))
    if turn["extended_ms"]:
        marks.append(t("mark.extended", duration=t.duration(turn["extended_ms"])))
    if turn.get("recording"):
        marks.append(t("mark.recording", url=turn["recording"]))
    running = turn["reason"] is None
    return (
        str(turn["number"]),
        t.name(turn["speaker"]),
        t(f"stance.{turn['stance']}"),
        t.stamp(turn["started_at"]),
        "—" if running else t.duration(turn["duration_ms"]),
        t("reason.running") if running else t(f"reason.{turn['reason']}"),
        t.join(marks) if marks else "",
    )


def _recordings(model: Json, t: Catalog) -> list[Block]:
    """Rules 5 rooms: the chair's recording, whether published, and any erasures."""
    rec = model.get("recordings")
    if rec is None:
        return []
    paras = []
    if rec["chair"]:
        paras.append(Para(t("recordings.chair", url=rec["chair"])))
    if rec["published"] and (
        rec["chair"]
        or any(turn.get("recording") for item in model["agenda"] for turn in item["turns"])
    ):
        paras.append(Para(t("recordings.published")))
    if rec["erased_at"]:
        paras.append(
            Para(t("recordings.erased", times=t.join([t.stamp(at) for at in rec["erased_at"]])))
        )
    return [Heading(2, t("section.recordings")), *paras] if paras else []


def _balance(balance: Json, t: Catalog) -> list[Block]:
    sides = balance["sides"]
    rows = tuple(
        (t(f"stance.{side}"), str(tally["turns"]), t.duration(tally["ms"]))
        for side, tally in sides.items()
    )
    if balance["held"] is None:
        verdict = t("balance.one_side") if balance["spoke"] else t("balance.no_turns")
    elif balance["ratio"] is None:
        verdict = t(
            "balance.held" if balance["held"] else "balance.zero",
            ratio="1.00",
            tolerance=f"{balance['tolerance']:.2f}",
        )
    else:
        verdict = t(
            "balance.held" if balance["held"] else "balance.not_held",
            ratio=f"{balance['ratio']:.2f}",
            tolerance=f"{balance['tolerance']:.2f}",
        )
    return [
        Heading(4, t("sub.balance")),
        Table((t("col.side"), t("col.turns"), t("col.time")), rows),
        Para(verdict),
    ]


def _actions(model: Json, t: Catalog) -> list[Block]:
    blocks: list[Block] = [Heading(2, t("section.actions"))]
    actions = model["actions"]
    if not actions:
        return [*blocks, Para(t("actions.none"))]
    blocks.append(
        Table(
            (t("col.action"), t("col.owner"), t("col.due"), t("col.status"), t("col.item")),
            tuple(
                (a["title"], a["owner"], a["due"], _status(a, t), a["item_title"] or "—")
                for a in actions
            ),
        )
    )
    if "as_of" in model:  # overdue is judged on a day: say which
        blocks.append(Para(t("actions.as_of", date=model["as_of"])))
    for a in actions:
        if not a["updates"]:
            continue
        blocks.append(Para(t("actions.updates", title=a["title"]), strong=True))
        blocks.append(
            Bullets(
                tuple(
                    t(
                        "action.update_note" if u["note"] else "action.update",
                        time=t.stamp(u["at"]),
                        by=u["by"],
                        status=t(f"action.status.{u['status']}"),
                        note=u["note"] or "",
                    )
                    for u in a["updates"]
                )
            )
        )
    return blocks


def _status(action: Json, t: Catalog) -> str:
    status = t(f"action.status.{action['status']}")
    return t("action.overdue", status=status) if action.get("overdue") else status


def _note_line(note: Json, t: Catalog) -> str:
    return t("note.line", time=t.stamp(note["at"]), by=note["by"], text=note["text"])


def _chat_line(message: Json, t: Catalog) -> str:
    marks = [t("chat.pinned")] * message["pinned"] + [t("chat.approved")] * message["approved"]
    return t(
        "chat.line", time=t.stamp(message["at"]), name=t.name(message["name"]), text=message["text"]
    ) + t("chat.marks", marks=t.join(marks))


# -- rules 6: minutes approved and signed (approved.py) -----------------------------------


def approval_when(ms: int) -> str:
    """An approval's time, to the minute, in the minutes' zone (2026-11-30 15:02)."""
    return datetime.datetime.fromtimestamp(ms / 1000, tz=ZONE).strftime("%Y-%m-%d %H:%M")


def approval_line(statement: Json, t: Catalog) -> str:
    """ "Approved by 王主任 (moderator) and 李书记员 (clerk) on 2026-11-30 15:02"."""
    names = t("approval.and").join(
        t("approval.signer", name=t.name(s["name"]), role=t(f"role.{s['role']}"))
        for s in statement["signers"]
    )
    return t("approval.line", names=names, when=approval_when(statement["approved_at"]))


def _approval(model: Json, t: Catalog) -> list[Block]:
    """Under the header: who approved the minutes and when, with the digest they signed;
    or the approval still waiting for its second signatory."""
    block = model.get("approval")
    if not block:
        return []
    if block["approvals"]:
        first = block["approvals"][0]["statement"]
        return [
            Para(approval_line(first, t), strong=True),
            Para(t("approval.digest", entries=first["entries"])),
            Para(first["digest"], mono=True),
        ]
    pending = block["pending"]
    if pending is None:
        return []
    signer = t(
        "approval.signer",
        name=pending["cosigner"]["name"],
        role=t(f"role.{pending['cosigner']['role']}"),
    )
    return [
        Banner(
            t(
                "approval.pending",
                cosigner=signer,
                by=pending["by"]["name"],
                when=approval_when(pending["at"]),
                entries=pending["entries"],
            )
        )
    ]


def _after_approval(model: Json, t: Catalog) -> list[Block]:
    """What the log gained after the approved entries, in a section of its own."""
    after = model.get("after_approval")
    if after is None:
        return []
    blocks: list[Block] = [
        Heading(2, t("section.after_approval")),
        Para(t("after.text", from_entry=after["from_entry"])),
    ]
    if after["amendments"]:
        blocks += [
            Heading(3, t("after.amendments")),
            Bullets(
                tuple(
                    t("after.amendment", time=t.stamp(a["at"]), by=a["by"], text=a["text"])
                    for a in after["amendments"]
                )
            ),
        ]
    if after["action_updates"]:
        blocks += [
            Heading(3, t("after.updates")),
            Bullets(
                tuple(
                    t(
                        "after.update_note" if u["note"] else "after.update",
                        time=t.stamp(u["at"]),
                        title=u["title"],
                        status=t(f"action.status.{u['status']}"),
                        by=u["by"],
                        note=u["note"] or "",
                    )
                    for u in after["action_updates"]
                )
            ),
        ]
    if after["notes"]:
        blocks += [
            Heading(3, t("after.notes")),
            Bullets(tuple(_note_line(n, t) for n in after["notes"])),
        ]
    further = model["approval"]["approvals"][1:]
    if further:
        blocks += [
            Heading(3, t("after.approvals")),
            Bullets(
                tuple(
                    t(
                        "after.approval",
                        line=approval_line(a["statement"], t),
                        entries=a["statement"]["entries"],
                        digest=a["statement"]["digest"],
                    )
                    for a in further
                )
            ),
        ]
    if len(blocks) == 2:
        blocks.append(Para(t("after.none")))
    return blocks


def _signatures(model: Json, t: Catalog) -> list[Block]:
    approvals = (model.get("approval") or {}).get("approvals") or []
    blocks: list[Block] = []
    for n, approval in enumerate(approvals, 1):
        blocks += [
            Para(t("integrity.signature", n=n, key_id=approval["statement"]["key_id"])),
            Para(approval["signature"], mono=True),
        ]
    return blocks
