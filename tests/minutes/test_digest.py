"""The log digest: a SHA-256 hash chain over the entries' canonical encoding."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest
from yishi.core.types import Entry
from yishi.minutes import log_digest
from yishi.minutes.digest import canonical

from .script import Script


def test_known_values() -> None:
    assert log_digest([]) == "0" * 64
    entry = Entry(seq=1, at=1000, kind="chat.send", actor="u2", args={"text": "你好", "b": 1})
    encoded = '{"actor":"u2","args":{"b":1,"text":"你好"},"at":1000,"kind":"chat.send","seq":1}'
    assert canonical(entry) == encoded.encode("utf-8")
    first = hashlib.sha256(bytes(32) + encoded.encode()).digest()
    assert log_digest([entry]) == first.hex()
    second = Entry(seq=2, at=1000, kind="tick", nonce="n1")
    expected = hashlib.sha256(first + canonical(second)).hexdigest()
    assert log_digest([entry, second]) == expected


def test_bytes_have_a_canonical_form() -> None:
    entry = Entry(seq=1, at=0, kind="x", args={"blob": b"\x00\xff"})
    assert b'{"$bytes":"00ff"}' in canonical(entry)


def changed(entry: Entry) -> list[Entry]:
    """Every small change of one entry a tamperer could make."""
    variants = [
        dataclasses.replace(entry, at=entry.at + 1),
        dataclasses.replace(entry, seq=entry.seq + 1000),
        dataclasses.replace(entry, kind=entry.kind + "x"),
        dataclasses.replace(entry, actor=(entry.actor or "") + "x"),
        dataclasses.replace(entry, nonce="forged"),
        dataclasses.replace(entry, args={**entry.args, "extra": 1}),
    ]
    return variants


def test_changing_any_entry_in_any_way_changes_the_digest(session: Script) -> None:
    entries = session.entries
    original = log_digest(entries)
    seen = {original}
    for n, entry in enumerate(entries):
        for variant in changed(entry):
            digest = log_digest([*entries[:n], variant, *entries[n + 1 :]])
            assert digest not in seen, (n, variant)
            seen.add(digest)
    assert log_digest(entries[:-1]) != original
    assert log_digest([entries[1], entries[0], *entries[2:]]) != original


@pytest.mark.parametrize("n", [1, 10, 40])
def test_a_prefix_has_its_own_digest(session: Script, n: int) -> None:
    assert log_digest(session.entries[:n]) == log_digest(iter(session.entries[:n]))
    assert log_digest(session.entries[:n]) != log_digest(session.entries[: n + 1])
