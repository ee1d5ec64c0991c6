"""The pure replica's rules of order, repair, time and snapshots, without an event loop.

A real log is written once (a room with people coming and going, a session, hands,
turns that run out, chat), and its reference outcomes are those of applying it in
order with the core's ``apply``. Hypothesis then delivers that log to a
:class:`Replica` in any order, with duplicates, with or without the repair reads
it asks for, and checks what it says against the reference.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from yishi.core.reducer import apply, new_room, next_deadline
from yishi.core.replica import MIN_TICK_GAP_MS, TICK_RETRY_MS, Effects, Replica
from yishi.core.types import Entry, Json, Outcome

settings.register_profile("replica", deadline=None, database=None, max_examples=150)
settings.load_profile("replica")

T0 = 1_764_158_400_000
ROOM = "room1"
NODE = "n1"
TURN_MS = 2000


class LogWriter:
    """Appends entries as a log would (dense seq, ``at`` never backwards), applying
    each to a reference state so that later entries can name real ids."""

    def __init__(self) -> None:
        self.state = new_room(ROOM)
        self.entries: list[Entry] = []
        self.outcomes: list[Outcome] = []
        self.at = T0

    def add(
        self, kind: str, args: Json | None = None, *, actor: str | None = None, wait: int = 10
    ) -> Outcome:
        self.at += wait
        entry = Entry(
            seq=len(self.entries) + 1, at=self.at, kind=kind, actor=actor, args=dict(args or {})
        )
        self.entries.append(entry)
        outcome = apply(self.state, entry)
        self.outcomes.append(outcome)
        return outcome


def a_session() -> LogWriter:
    log = LogWriter()
    created = log.add(
        "room.create",
        {"title": "t", "invite_code": "c", "settings": {"turn_seconds": TURN_MS // 1000}},
    )
    assert created.result is not None
    mod = created.result["participant_id"]
    log.add("presence", {"participant_id": mod, "online": True, "node": NODE})
    people = []
    for name in ("甲", "乙", "丙", "丁"):
        joined = log.add("participant.join", {"invite": "c", "name": name})
        assert joined.result is not None
        people.append(joined.result["participant_id"])
        log.add("presence", {"participant_id": people[-1], "online": True, "node": NODE})
    log.add("session.start", actor=mod)
    for pid, stance in zip(people, ("support", "oppose", "neutral", "support"), strict=True):
        log.add("hand.raise", {"stance": stance}, actor=pid)
    for _ in range(3):
        log.add("turn.next", actor=mod)
        log.add("chat.send", {"text": "好", "status": "visible"}, actor=people[0])
        log.add("tick", wait=TURN_MS)  # the turn runs out
    log.add("token.revoke", {"participant_id": people[3]}, actor=mod)
    log.add("node.gone", {"node": NODE})
    log.add("presence", {"participant_id": people[1], "online": True, "node": "n2"})
    return log


SESSION = a_session()
N = len(SESSION.entries)


def comparable(outcome: Outcome) -> tuple[Any, ...]:
    error = outcome.error.to_wire() if outcome.error is not None else None
    return outcome.entry_seq, outcome.events, outcome.result, error


REFERENCE = [comparable(o) for o in SESSION.outcomes]


def live_replica(**kwargs: Any) -> Replica:
    replica = Replica(ROOM, node_id=NODE, **kwargs)
    assert replica.loaded() == Effects()
    return replica


@st.composite
def deliveries(draw: st.DrawFn) -> list[int]:
    """Every seq of the log at least once, in any order, some of them again."""
    order = draw(st.permutations(range(1, N + 1)))
    again = draw(st.lists(st.integers(1, N), max_size=N))
    slots = draw(st.lists(st.integers(0, N), min_size=len(again), max_size=len(again)))
    delivered = list(order)
    for seq, slot in zip(again, slots, strict=True):
        delivered.insert(min(slot, len(delivered)), seq)
    return delivered


def test_the_session_is_a_real_one() -> None:
    types = {e.type for o in SESSION.outcomes for e in o.events}
    assert {"turn.started", "turn.ended", "chat.posted", "participant.left"} <= types
    assert all(o.error is None for o in SESSION.outcomes), [
        (o.entry_seq, o.error.to_wire()) for o in SESSION.outcomes if o.error
    ]


@given(deliveries(), st.lists(st.booleans(), min_size=3 * N, max_size=3 * N))
def test_any_order_with_duplicates_applies_each_entry_once_in_log_order(
    delivered: list[int], repair_now: list[bool]
) -> None:
    replica = live_replica()
    outcomes: list[Outcome] = []
    pending_repair: int | None = None

    def take(effects: Effects) -> None:
        nonlocal pending_repair
        outcomes.extend(a.outcome for a in effects.applied)
        if effects.repair_after is not None:
            assert pending_repair is None, "a second repair while one is outstanding"
            assert effects.repair_after == replica.applied_seq
            pending_repair = effects.repair_after

    for step, seq in enumerate(delivered):
        take(replica.receive(SESSION.entries[seq - 1]))
        if pending_repair is not None and repair_now[step]:
            # The read the replica asked for: what the log holds after that seq.
            read = SESSION.entries[pending_repair:]
            pending_repair = None
            for entry in read:
                take(replica.receive(entry))
            take(replica.repair_done(read_any=bool(read)))

    assert [comparable(o) for o in outcomes] == REFERENCE
    assert replica.applied_seq == N
    assert replica.state == SESSION.state
    assert [e.seq for e in replica.recent] == [e.seq for o in SESSION.outcomes for e in o.events]


@given(deliveries())
def test_a_gap_is_reported_once_until_the_read_is_done(delivered: list[int]) -> None:
    replica = live_replica()
    reports = []
    ahead = False
    for seq in delivered:
        ahead = ahead or seq > replica.applied_seq + 1  # came before one it follows
        effects = replica.receive(SESSION.entries[seq - 1])
        if effects.repair_after is not None:
            reports.append(effects.repair_after)
    assert len(reports) == (1 if ahead else 0)
    assert replica.applied_seq == N  # every entry came in the end, no read needed


@given(deliveries())
def test_while_loading_gaps_are_left_to_the_load(delivered: list[int]) -> None:
    replica = Replica(ROOM, node_id=NODE)
    cut = len(delivered) // 2
    for seq in delivered[:cut]:
        assert replica.receive(SESSION.entries[seq - 1]).repair_after is None
    parked = max(delivered[:cut], default=0) > replica.applied_seq
    effects = replica.loaded()
    assert (effects.repair_after is not None) == parked
    if parked:
        assert effects.repair_after == replica.applied_seq
        assert replica.receive(SESSION.entries[-1]).repair_after is None  # still outstanding


@given(st.integers(2, 9), deliveries())
def test_a_snapshot_is_asked_for_once_each_time_the_seq_crosses_a_multiple(
    every: int, delivered: list[int]
) -> None:
    replica = live_replica(snapshot_every=every)
    asked_at = []
    for seq in delivered:
        effects = replica.receive(SESSION.entries[seq - 1])
        if effects.snapshot:
            asked_at.append(replica.applied_seq)
    previous = 0
    for at in asked_at:
        # At least one multiple of `every` was crossed since the previous snapshot.
        assert at // every > previous // every
        previous = at
    assert len(asked_at) <= N // every
    assert not asked_at or N // every == asked_at[-1] // every


def test_removal_and_revocation_close_sockets_and_node_gone_reannounces() -> None:
    replica = live_replica()
    closed: list[str] = []
    reannounced = []
    for entry in SESSION.entries:
        effects = replica.receive(entry)
        closed += [pid for a in effects.applied for pid in a.close]
        if effects.reannounce:
            reannounced.append(entry.kind)
    revoked = SESSION.entries[-3]
    assert revoked.kind == "token.revoke"
    assert closed == [revoked.args["participant_id"]]
    assert reannounced == ["node.gone"]
    other = Replica(ROOM, node_id="n9", loading=False)
    assert not any(other.receive(e).reannounce for e in SESSION.entries)


# -- time ----------------------------------------------------------------------------


def a_running_turn() -> tuple[Replica, LogWriter, int]:
    """A replica whose room has a turn running: (replica, its log, the deadline)."""
    log = LogWriter()
    for entry in SESSION.entries[:16]:  # up to the first turn.next
        log.add(entry.kind, entry.args, actor=entry.actor, wait=entry.at - log.at)
    assert log.state.turn is not None
    replica = live_replica()
    for entry in log.entries:
        replica.receive(entry)
    deadline = next_deadline(replica.state)
    assert deadline is not None
    return replica, log, deadline


def test_the_timer_is_the_deadline_and_one_tick_is_asked_for_at_a_time() -> None:
    replica, _, deadline = a_running_turn()
    assert replica.timer() == deadline
    assert not replica.handle_timer(deadline - 1)
    assert replica.busy
    assert replica.handle_timer(deadline)
    assert replica.timer() is None  # until the tick in flight is done
    assert not replica.handle_timer(deadline + 5000)
    replica.tick_done(None, now=deadline + 3)  # the append failed
    assert replica.timer() == deadline + 3 + TICK_RETRY_MS
    assert replica.handle_timer(deadline + 3 + TICK_RETRY_MS)


@given(lag=st.integers(0, TURN_MS - 100), late=st.integers(0, 3000))
def test_a_lagging_log_clock_ends_the_turn_on_time_without_a_tick_storm(
    lag: int, late: int
) -> None:
    """The log stamps ticks ``lag`` ms behind the local clock; the node wakes ``late``.
    The turn ends after exactly its time, within two ticks, the second one at least
    ``MIN_TICK_GAP_MS`` after the first."""
    replica, log, deadline = a_running_turn()
    now, ticks = deadline + late, 0
    while replica.state.turn is not None:
        due = replica.timer()
        assert due is not None
        assert ticks == 0 or due - now >= MIN_TICK_GAP_MS
        now = max(now, due)
        assert replica.handle_timer(now)
        ticks += 1
        entry = Entry(seq=replica.applied_seq + 1, at=now - lag, kind="tick")
        assert entry.at >= log.at
        log.at = entry.at
        replica.receive(entry)
        replica.tick_done(entry.at, now=now)
        if replica.state.turn is not None:
            assert replica.timer() == now + max(deadline - entry.at, MIN_TICK_GAP_MS)
    assert ticks <= 2
    ended = [e for e in replica.recent if e.type == "turn.ended"][-1]
    assert ended.data["reason"] == "expired" and ended.data["duration_ms"] == TURN_MS


def test_a_room_with_nothing_pending_is_not_busy() -> None:
    replica = live_replica()
    for entry in SESSION.entries:
        replica.receive(entry)
    assert next_deadline(replica.state) is None and not replica.busy
    assert replica.timer() is None and not replica.handle_timer(T0 * 2)
    replica.receive(Entry(seq=N + 2, at=T0 * 2, kind="tick"))  # parked beyond a gap
    assert replica.busy
