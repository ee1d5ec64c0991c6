"""A poll in the minutes: its question, counts, the procedure that decided it and,
for a ranked poll, its rounds (outline.py places it in its agenda item)."""

from __future__ import annotations

from ..core.types import Json
from .blocks import Block, Bullets, Para, Table
from .catalog import Catalog


def _option_label(poll: Json, option: str, t: Catalog) -> str:
    key = f"poll.option.{option}"
    return t(key) if poll["kind"] == "yes_no_abstain" and t.has(key) else option


def poll_blocks(poll: Json, t: Catalog) -> list[Block]:
    kind = t(
        f"poll.kind.{poll['kind']}",
        max=poll["max_score"] if poll["kind"] == "score" else poll["max_choices"],
    )
    status = (
        t("poll.status.closed", time=t.stamp(poll["closed_at"]))
        if poll["status"] == "closed"
        else t("poll.status.open")
    )
    blocks: list[Block] = [
        Para(t("poll.heading", question=poll["question"]), strong=True),
        Para(
            t(
                "poll.meta",
                kind=kind,
                status=status,
                ballot=t("poll.secret") if poll["secret"] else t("poll.named"),
            )
        ),
    ]
    labels = [_option_label(poll, o, t) for o in poll["options"]]
    if poll["counts"] is None:
        blocks.append(Para(t("poll.hidden", eligible=poll["eligible"])))
        return blocks
    blocks.append(_counts_table(poll, labels, t))
    if poll["turnout"] is not None:
        blocks.append(
            Para(
                t(
                    "poll.turnout",
                    voters=poll["voters"],
                    eligible=poll["eligible"],
                    pct=f"{poll['turnout'] * 100:.0f}",
                )
            )
        )
    else:
        blocks.append(
            Para(t("poll.turnout_none", voters=poll["voters"], eligible=poll["eligible"]))
        )
    blocks += _procedure(poll, labels, t)
    if poll["roll_call"]:
        blocks.append(Para(t("poll.roll_call"), strong=True))
        blocks.append(
            Table(
                (t("col.voter"), t("col.choice")),
                tuple(
                    (b["name"], _ballot_text(poll, labels, b["choices"], t))
                    for b in poll["roll_call"]
                ),
            )
        )
    return blocks


# -- rules 6: ranked and score polls, quorum and thresholds ------------------------------


def _counts_table(poll: Json, labels: list[str], t: Catalog) -> Table:
    """The counts: votes; a ranked poll's first preferences; a score poll's totals
    and means."""
    counts = poll["counts"]
    if poll["kind"] == "score":
        means = poll.get("means") or [None] * len(counts)
        return Table(
            (t("col.option"), t("col.total"), t("col.mean")),
            tuple(
                (label, str(n), "—" if mean is None else f"{mean:.2f}")
                for label, n, mean in zip(labels, counts, means)
            ),
        )
    column = t("col.first_prefs") if poll["kind"] == "ranked" else t("col.votes")
    return Table(
        (t("col.option"), column), tuple((label, str(n)) for label, n in zip(labels, counts))
    )


def _ballot_text(poll: Json, labels: list[str], ballot: list[int], t: Catalog) -> str:
    if poll["kind"] == "ranked":
        return t("ballot.ranked_sep").join(labels[c] for c in ballot)
    if poll["kind"] == "score":
        return t.join([t("ballot.score", option=label, n=n) for label, n in zip(labels, ballot)])
    return t.join([labels[c] for c in ballot])


def _procedure(poll: Json, labels: list[str], t: Catalog) -> list[Block]:
    """The instant-runoff rounds, the rules the poll set, and what it decided, with the
    numbers that decided it."""
    blocks: list[Block] = []
    if poll.get("rounds"):
        blocks += _rounds(poll, labels, t)
    if poll.get("outcome"):
        blocks.append(
            Para(
                t("poll.outcome", outcome=t(f"outcome.{poll['outcome']}"), why=_why(poll, t)),
                strong=True,
            )
        )
    elif poll.get("quorum") is not None or poll.get("threshold") is not None:
        blocks.append(Para(t("poll.rules", rules=_why(poll, t, rules_only=True))))
    return blocks


def _why(poll: Json, t: Catalog, *, rules_only: bool = False) -> str:
    """The numbers behind an outcome ("14 of 19 votes cast, 2/3 needed 13; quorum 15,
    present 19"), or the rules alone while the poll is open."""
    why = poll.get("decided_by") or {}
    parts = []
    if poll.get("threshold") is not None:
        threshold = t(f"threshold.{poll['threshold']}")
        base = poll["threshold_base"]
        if rules_only or "votes" not in why:
            parts.append(t(f"rule.threshold.{base}", threshold=threshold))
        else:
            parts.append(
                t(
                    f"outcome.votes.{base}",
                    votes=why["votes"],
                    base=why["base"],
                    threshold=threshold,
                    needed=why["needed"],
                )
            )
    if poll.get("quorum") is not None:
        parts.append(
            t("rule.quorum", quorum=poll["quorum"])
            if rules_only or "present" not in why
            else t("outcome.quorum", quorum=why["quorum"], present=why["present"])
        )
    return t("outcome.join").join(parts)


def _rounds(poll: Json, labels: list[str], t: Catalog) -> list[Block]:
    rounds = poll["rounds"]
    columns = (t("col.option"), *(t("col.round", n=r["round"]) for r in rounds))
    rows = [
        (label, *("—" if r["counts"][i] is None else str(r["counts"][i]) for r in rounds))
        for i, label in enumerate(labels)
    ]
    rows.append((t("irv.exhausted"), *(str(r["exhausted"]) for r in rounds)))
    lines = []
    for r in rounds:
        if r["eliminated"] is None:
            continue
        moved = r["transfers"]
        to = [t("ballot.score", option=labels[i], n=n) for i, n in enumerate(moved["to"]) if n]
        tie = t(f"irv.tie.{r['tie_break']}") if r["tie_break"] else ""
        lines.append(
            t(
                "irv.eliminated",
                n=r["round"],
                option=labels[r["eliminated"]],
                tie=tie,
                to=t.join(to),
                exhausted=moved["exhausted"],
            )
        )
    final = rounds[-1]
    winner = poll["winner"]
    if winner is None:
        lines.append(t("irv.no_winner"))
    else:
        live = sum(c for c in final["counts"] if c is not None)
        lines.append(
            t(
                "irv.winner",
                option=labels[winner],
                votes=final["counts"][winner],
                live=live,
                n=final["round"],
            )
        )
    return [Para(t("poll.irv"), strong=True), Table(columns, tuple(rows)), Bullets(tuple(lines))]
