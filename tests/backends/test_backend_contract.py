"""The LogBackend contract, run against every backend in conftest.STORES."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest
from yishi.backends import BackendUnavailable, LogBackend
from yishi.backends.sqlite import SqliteBackend
from yishi.core.types import Entry

from .conftest import FakeClock, Store


async def test_satisfies_the_protocol(backend: LogBackend) -> None:
    assert isinstance(backend, LogBackend)
    assert isinstance(backend.node_id, str) and backend.node_id


async def test_declares_its_abilities(store: Store, backend: LogBackend) -> None:
    """What a node asks of every backend instead of probing for it."""
    assert backend.single_node is not store.multi_node
    assert isinstance(backend.repair_reads, int) and backend.repair_reads >= 0
    assert isinstance(backend.reconnects, int) and backend.reconnects >= 0
    assert isinstance(backend.commits, int)
    assert backend.node_id in await backend.alive_nodes()
    if backend.single_node:
        assert await backend.alive_nodes() == {backend.node_id}


async def test_alive_nodes_sees_the_others_and_a_clean_close(
    store: Store, clock: FakeClock
) -> None:
    a, b = store.open(clock=clock), store.open(clock=clock)
    await a.start()
    if not store.multi_node:
        await a.close()
        return
    await b.start()
    assert {a.node_id, b.node_id} <= await b.alive_nodes()
    await a.close()
    assert a.node_id not in await b.alive_nodes()
    await b.close()
    with pytest.raises(BackendUnavailable):
        await b.alive_nodes()


async def test_node_ids_are_random_unless_given(store: Store, clock: FakeClock) -> None:
    assert store.open(clock=clock).node_id != store.open(clock=clock).node_id
    assert store.open(clock=clock, node_id="node-a").node_id == "node-a"


async def test_seq_is_dense_from_one_per_room_and_rooms_are_independent(
    backend: LogBackend,
) -> None:
    assert await backend.last_seq("a") == 0
    assert await backend.room_ids() == []
    seqs = []
    for room in ["a", "b", "a", "a", "b"]:
        seqs.append((room, (await backend.append(room, "tick")).seq))
    assert seqs == [("a", 1), ("b", 1), ("a", 2), ("a", 3), ("b", 2)]
    assert await backend.last_seq("a") == 3
    assert await backend.last_seq("b") == 2
    assert await backend.last_seq("c") == 0
    assert await backend.room_ids() == ["a", "b"]


async def test_a_communitys_log_is_kept_but_never_listed_as_a_room(
    backend: LogBackend,
) -> None:
    entry = await backend.append("community:c1", "community.create", args={"name": "幸福里"})
    await backend.append("r1", "tick")
    assert entry.seq == 1 and await backend.last_seq("community:c1") == 1
    assert [e.kind for e in await backend.read("community:c1")] == ["community.create"]
    await backend.save_snapshot("community:c1", 1, b"snap")
    assert await backend.load_snapshot("community:c1") == (1, b"snap")
    assert await backend.room_ids() == ["r1"]


async def test_entry_round_trips(backend: LogBackend, clock: FakeClock) -> None:
    args = {"stance": "oppose", "note": "我反对这个方案", "n": [1, 2, {"deep": None}], "ok": True}
    appended = await backend.append("r1", "hand.raise", actor="p-7", args=args, nonce="n-1")
    bare = await backend.append("r1", "tick")
    assert appended == Entry(
        seq=1, at=clock.now, kind="hand.raise", actor="p-7", args=args, nonce="n-1"
    )
    assert bare == Entry(seq=2, at=clock.now, kind="tick", actor=None, args={}, nonce=None)
    assert await backend.read("r1") == [appended, bare]


async def test_args_are_copied_and_normalised(backend: LogBackend) -> None:
    args: dict[str, object] = {"choices": (0, 2)}
    entry = await backend.append("r", "poll.vote", args=args)
    args["choices"] = (1,)
    assert entry.args == {"choices": [0, 2]}
    assert (await backend.read("r"))[0].args == {"choices": [0, 2]}


async def test_unstorable_args_raise_and_append_nothing(backend: LogBackend) -> None:
    with pytest.raises(TypeError):
        await backend.append("r", "bad", args={"x": {1, 2}})
    assert await backend.last_seq("r") == 0
    assert (await backend.append("r", "good")).seq == 1


async def test_at_never_decreases_even_when_the_clock_goes_back(
    backend: LogBackend, clock: FakeClock
) -> None:
    clock.now = 5_000
    first = await backend.append("r", "tick")
    clock.now = 1_000
    second = await backend.append("r", "tick")
    clock.now = 7_000
    third = await backend.append("r", "tick")
    assert [first.at, second.at, third.at] == [5_000, 5_000, 7_000]
    clock.now = 2_000  # another room has its own time line
    assert (await backend.append("other", "tick")).at == 2_000


async def test_read_after_and_limit(backend: LogBackend) -> None:
    for i in range(10):
        await backend.append("r", "tick", args={"i": i})
    assert [e.seq for e in await backend.read("r")] == list(range(1, 11))
    page = await backend.read("r", after=3, limit=4)
    assert [e.seq for e in page] == [4, 5, 6, 7]
    assert [e.args["i"] for e in page] == [3, 4, 5, 6]
    assert [e.seq for e in await backend.read("r", after=8)] == [9, 10]
    assert await backend.read("r", after=10) == []
    assert await backend.read("r", limit=0) == []
    assert await backend.read("nobody") == []


async def test_listeners_hear_every_entry_in_order_before_append_returns(
    backend: LogBackend,
) -> None:
    heard: list[tuple[str, Entry]] = []
    backend.subscribe(lambda room, entry: heard.append((room, entry)))

    async def append_and_check(room: str, i: int) -> None:
        entry = await backend.append(room, "tick", args={"i": i})
        assert (room, entry) in heard  # already delivered when append() returns

    await asyncio.gather(*(append_and_check(f"room-{i % 3}", i) for i in range(90)))
    for room in ["room-0", "room-1", "room-2"]:
        assert [e.seq for r, e in heard if r == room] == list(range(1, 31))
        assert [e for r, e in heard if r == room] == await backend.read(room)


async def test_unsubscribe_and_faulty_listeners(backend: LogBackend) -> None:
    heard: list[int] = []
    later: list[int] = []

    def faulty(room: str, entry: Entry) -> None:
        raise RuntimeError("a bug in one listener")

    unsubscribe = backend.subscribe(lambda room, entry: heard.append(entry.seq))
    backend.subscribe(faulty)
    backend.subscribe(lambda room, entry: later.append(entry.seq))
    await backend.append("r", "tick")
    unsubscribe()
    unsubscribe()  # harmless
    await backend.append("r", "tick")
    assert heard == [1]
    assert later == [1, 2]  # the faulty listener neither failed the append nor starved others


async def test_concurrent_appends_get_dense_unique_seqs(backend: LogBackend) -> None:
    entries = await asyncio.gather(
        *(backend.append(f"room-{i % 2}", "tick", args={"i": i}) for i in range(300))
    )
    for room in ["room-0", "room-1"]:
        assert sorted(e.seq for i, e in enumerate(entries) if i % 2 == int(room[-1])) == list(
            range(1, 151)
        )
        # Appends to one room are numbered in call order.
        assert [e.args["i"] for e in await backend.read(room)] == list(range(int(room[-1]), 300, 2))


async def test_secrets_are_created_once(backend: LogBackend) -> None:
    made: list[str] = []

    def make() -> str:
        made.append(f"secret-{len(made)}")
        return made[-1]

    assert await backend.get_or_create_secret("signing_key", make) == "secret-0"
    assert await backend.get_or_create_secret("signing_key", make) == "secret-0"
    assert await backend.get_or_create_secret("admin_token", make) == "secret-1"
    assert made == ["secret-0", "secret-1"]


async def test_snapshots_keep_the_newest(backend: LogBackend) -> None:
    assert await backend.load_snapshot("r") is None
    await backend.save_snapshot("r", 3, b"three")
    assert await backend.load_snapshot("r") == (3, b"three")
    await backend.save_snapshot("r", 7, b"seven\x00\xff")
    await backend.save_snapshot("r", 5, b"five")  # older than the stored one: ignored
    assert await backend.load_snapshot("r") == (7, b"seven\x00\xff")
    assert await backend.load_snapshot("other") is None
    assert await backend.room_ids() == []  # a snapshot is not an entry


async def test_restart_keeps_everything(store: Store, clock: FakeClock) -> None:
    first = store.open(clock=clock)
    await first.start()
    clock.now = 9_000
    written = [await first.append(f"r{i % 2}", "tick", args={"i": i}) for i in range(6)]
    await first.save_snapshot("r0", 2, b"state")
    secret = await first.get_or_create_secret("signing_key", lambda: "k1")
    await first.close()

    clock.now = 100  # the machine's clock went back across the restart
    second = store.open(clock=clock)
    await second.start()
    try:
        assert await second.room_ids() == ["r0", "r1"]
        assert await second.read("r0") + await second.read("r1") == [
            e for e in written if e.args["i"] % 2 == 0
        ] + [e for e in written if e.args["i"] % 2 == 1]
        assert await second.load_snapshot("r0") == (2, b"state")
        assert await second.get_or_create_secret("signing_key", lambda: "k2") == secret == "k1"
        after = await second.append("r0", "tick")
        assert (after.seq, after.at) == (4, 9_000)
    finally:
        await second.close()


async def test_closed_backend_is_unavailable(store: Store, clock: FakeClock) -> None:
    opened = store.open(clock=clock)
    await opened.start()
    await opened.ping()
    await opened.close()
    await opened.close()  # harmless
    with pytest.raises(BackendUnavailable):
        await opened.ping()
    with pytest.raises(BackendUnavailable):
        await opened.append("r", "tick")
    with pytest.raises(BackendUnavailable):
        await opened.read("r")


async def test_close_finishes_accepted_appends(store: Store, clock: FakeClock) -> None:
    opened = store.open(clock=clock)
    await opened.start()
    pending = [asyncio.ensure_future(opened.append("r", "tick")) for _ in range(50)]
    await asyncio.sleep(0)  # let every append be accepted before close() begins
    await opened.close()
    assert sorted(e.seq for e in await asyncio.gather(*pending)) == list(range(1, 51))


async def test_other_nodes_hear_appends(store: Store, clock: FakeClock) -> None:
    if not store.multi_node:
        pytest.skip("single-node backend: listeners hear only this process's appends")
    if not store.hears_every_room:
        pytest.skip("hears the rooms it hosts: tests/redis/test_redis_cluster_backend.py")
    a, b = store.open(clock=clock), store.open(clock=clock)
    await a.start()
    await b.start()
    try:
        heard: list[tuple[str, int]] = []
        got = asyncio.Event()

        def on_entry(room: str, entry: Entry) -> None:
            heard.append((room, entry.seq))
            if len(heard) == 3:
                got.set()

        b.subscribe(on_entry)
        for _ in range(3):
            await a.append("shared", "tick")
        await asyncio.wait_for(got.wait(), timeout=5)
        assert heard == [("shared", 1), ("shared", 2), ("shared", 3)]
        assert (await b.append("shared", "tick")).seq == 4
    finally:
        await a.close()
        await b.close()


async def test_ballot_keys_live_beside_the_log_until_destroyed(
    store: Store, clock: FakeClock
) -> None:
    """The side store of secret polls' keys: put, read back (after a restart, and from
    another node), destroy for good; destroying twice, or an unknown id, is harmless."""
    first = store.open(clock=clock)
    await first.start()
    key = bytes(range(32))
    await first.put_ballot_key("k1", key)
    await first.put_ballot_key("k2", b"\xff" * 32)
    assert await first.get_ballot_key("k1") == key
    assert await first.get_ballot_key("nope") is None
    await first.close()
    second = store.open(clock=clock)
    await second.start()
    try:
        assert await second.get_ballot_key("k1") == key
        await second.drop_ballot_key("k1")
        await second.drop_ballot_key("k1")
        await second.drop_ballot_key("never")
        assert await second.get_ballot_key("k1") is None
        assert await second.get_ballot_key("k2") == b"\xff" * 32
        assert await second.room_ids() == []  # a key is not an entry
    finally:
        await second.close()
    with pytest.raises(BackendUnavailable):
        await second.get_ballot_key("k2")


async def test_sqlite_files_are_private_and_a_destroyed_key_leaves_no_trace(tmp_path: Path) -> None:
    """The data folder is 0700, the database and its -wal/-shm 0600 (a folder made too
    open is tightened); a destroyed key's bytes are in none of the files."""
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    path = folder / "yishi.db"
    backend = SqliteBackend(path=path, clock=FakeClock())
    await backend.start()
    key = b"KEY-" + bytes(range(100, 128))
    try:
        await backend.put_ballot_key("k1", key)
        for i in range(20):
            await backend.append("r", "tick", args={"i": i})
        assert await backend.get_ballot_key("k1") == key
        await backend.drop_ballot_key("k1")
        await backend.append("r", "tick")
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        files = sorted(folder.iterdir())
        assert {f.name for f in files} >= {"yishi.db"}
        for file in files:
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
            assert key not in file.read_bytes(), file
    finally:
        await backend.close()
