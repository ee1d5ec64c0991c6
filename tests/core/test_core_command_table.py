"""The command table is the one place a command's rules live, and the docs say
exactly what it says.

``docs/protocol.md`` has a section "The command table" whose table is the rows
of ``yishi.core.commands.TABLE`` written out; this test renders the rows again
and compares. When a row changes, the failure prints the table to paste.
"""

from __future__ import annotations

import re
from dataclasses import MISSING
from pathlib import Path

from yishi.core.commands import ANY_STATE, NOT_ENDED, TABLE, Command
from yishi.core.schema import fields_of, server_values

DOCS = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
HEADER = (
    "| command | arguments | senders | for an attendee in the hall | session "
    "| also refused | screened | set by the server | settled |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


def _roles(roles: frozenset) -> str:  # type: ignore[type-arg]
    order = ["participant", "clerk", "moderator", "office", "observer"]
    return ", ".join(r for r in order if r in {role.value for role in roles}) or "–"


def _states(states: frozenset[str]) -> str:
    if states == ANY_STATE:
        return "any"
    if states == NOT_ENDED:
        return "until ended"
    return ", ".join(sorted(states))


def _refused(row: Command) -> str:
    """The first line of the row's check's docstring: what else refuses it."""
    if row.check is None:
        return "–"
    doc = row.check.__doc__ or ""
    return doc.strip().splitlines()[0] if doc.strip() else "–"


def _row(row: Command) -> str:
    server = server_values(row.args)
    args = (
        ", ".join(
            f"`{f.name}`" + ("" if f.default is MISSING else "?")
            for f in fields_of(row.args)
            if f.name not in server
        )
        or "–"
    )
    screened = ", ".join(f"`{name}` ({kind})" for name, kind in row.screened) or "–"
    set_by_server = ", ".join(f"`{name}`" for name in server) or "–"
    name = (
        f"`{row.name}`"
        + ("" if row.client else " (system)")
        + ("" if row.logged else " (the socket's: never logged)")
    )
    settled = row.settles.value if row.settles is not None else "–"
    return (
        f"| {name} | {args} | {_roles(row.senders)} | {_roles(row.for_others)} "
        f"| {_states(row.states)} | {_refused(row)} | {screened} | {set_by_server} "
        f"| {settled} |"
    )


def expected_table() -> str:
    return "\n".join([HEADER, *(_row(r) for r in TABLE.values())])


def test_docs_hold_the_command_table() -> None:
    text = DOCS.read_text()
    found = re.search(r"^\| command \| arguments .*?(?=\n\n|\Z)", text, re.S | re.M)
    assert found is not None, "docs/protocol.md lacks the command table:\n" + expected_table()
    assert found.group(0).strip() == expected_table(), (
        "docs/protocol.md's command table differs from the code; paste:\n" + expected_table()
    )


def test_every_row_is_whole() -> None:
    for row in TABLE.values():
        assert row.states, row.name
        assert row.client or not row.for_others, row.name
        named = {f.name for f in fields_of(row.args)}
        assert {name for name, _ in row.screened} <= named, row.name
        assert ("on_behalf_of" in named) == bool(row.for_others), row.name
        assert row.handler.__module__.startswith("yishi.core."), row.name
        if row.check is not None:
            assert row.check.__module__ == row.handler.__module__, row.name
            assert _refused(row) != "–", f"{row.name}: its check's docstring says what it refuses"
