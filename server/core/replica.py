"""One room's replica of its log, without I/O: the rules of order, repair and time.

A node hears a room's entries from its backend, in whatever order and as often
as the network delivers them. :class:`Replica` takes each one through
:meth:`Replica.receive` and answers with :class:`Effects`: what was applied,
and what the caller must now do. It reads no clock, awaits nothing and touches
no socket; the asyncio shell (``node.RoomHost``) does what it is told and feeds
back what happened, as python-websockets' ``Protocol`` does for its
``Connection``. The rules, the same on every node:

1. **Order.** Entries are applied strictly in ``seq`` order, each exactly once.
   An entry at or below the applied seq is a duplicate and changes nothing; one
   beyond the next is parked until the gap before it is filled.
2. **Repair.** A gap is reported once: the first entry parked beyond it asks the
   caller to read the log after the applied seq (``Effects.repair_after``), and
   no other read is asked for until the caller reports the read with
   :meth:`Replica.repair_done`. While the room is loading (before
   :meth:`Replica.loaded`), gaps are not reported: the load reads the log itself.
3. **Time.** :meth:`Replica.timer` is the local time (ms) at which to call
   :meth:`Replica.handle_timer`; when that says so, the caller appends one
   ``tick`` entry and reports the entry's ``at`` (or its failure) with
   :meth:`Replica.tick_done`. One tick at a time. The log stamps entries with its
   own clock, which may lag the local one: a tick stamped before the deadline
   does nothing, so the next one waits out the difference (at least
   ``MIN_TICK_GAP_MS``) instead of following at once; a failed append is
   retried after ``TICK_RETRY_MS``.
4. **Snapshots.** When the applied seq crosses a multiple of ``snapshot_every``,
   ``Effects.snapshot`` asks for a snapshot of the state as it is after the call.
5. **Exclusions.** A participant removed, or whose tokens were revoked, has their
   sockets closed once the events of that entry have been sent.
6. **Presence.** A ``node.gone`` naming this node (others took it for dead, say
   after a long outage of the store) asks the caller to say again who is here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .recent import RecentEvents
from .reducer import apply, new_room, next_deadline
from .state import RoomState
from .types import Entry, Event, Outcome
from .views import Viewer

REPLAY_EVENTS = 12_000  # the contract asks for at least the last 10,000
SNAPSHOT_EVERY = 1000  # entries; a node starting to host a long room skips the rest
MIN_TICK_GAP_MS = 20
TICK_RETRY_MS = 1000


@dataclass(frozen=True, slots=True)
class Applied:
    """One entry applied: its outcome, and whose sockets to close once its events are out."""

    outcome: Outcome
    close: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Effects:
    """What a call did, and what the caller must do now, in this order: publish each
    applied outcome's events (closing the sockets it names after them), read the log
    after ``repair_after`` (then call ``repair_done``), take a snapshot, re-announce
    presence. Then re-arm the timer from :meth:`Replica.timer`."""

    applied: tuple[Applied, ...] = ()
    repair_after: int | None = None
    snapshot: bool = False
    reannounce: bool = False


NOTHING = Effects()


def _excluded(events: tuple[Event, ...]) -> tuple[str, ...]:
    """Who must lose their sockets after these events (rule 5)."""
    return tuple(
        e.data["participant_id"]
        for e in events
        if e.type == "participant.left"
        or (e.type == "participant.updated" and e.data.get("removed"))
    )


class Replica:
    """A room's state, its recent events, and the entries waiting for their turn."""

    def __init__(
        self,
        room_id: str,
        *,
        node_id: str,
        loading: bool = True,
        replay_events: int = REPLAY_EVENTS,
        snapshot_every: int = SNAPSHOT_EVERY,
    ) -> None:
        self.room_id = room_id
        self.snapshot_every = snapshot_every
        self.node_id = node_id
        self.state: RoomState = new_room(room_id)
        self.recent = RecentEvents(replay_events)
        self._loading = loading
        self._parked: dict[int, Entry] = {}
        self._repairing = False
        self._ticking_for: int | None = None  # the deadline the tick in flight is for
        self._not_before: tuple[int, int] | None = None  # (deadline, earliest next tick)

    @property
    def applied_seq(self) -> int:
        return self.state.entry_seq

    @property
    def busy(self) -> bool:
        """Whether anything is pending: a gap, a repair, a tick, or a deadline to meet.
        A room that is not busy may be unloaded; it loses nothing by it."""
        return bool(
            self._parked
            or self._repairing
            or self._ticking_for is not None
            or next_deadline(self.state) is not None
        )

    # -- loading -------------------------------------------------------------------

    def restore(self, state: RoomState, events: list[Event]) -> bool:
        """Start from a snapshot's state and events; False (and nothing changed) unless
        nothing has been applied yet."""
        if self.applied_seq != 0 or self._parked:
            return False
        self.state = state
        self.recent.extend(events)
        return True

    def loaded(self) -> Effects:
        """The load is done: from now on gaps are reported (rule 2)."""
        self._loading = False
        if self._parked and not self._repairing:
            self._repairing = True
            return Effects(repair_after=self.applied_seq)
        return NOTHING

    # -- order and repair (rules 1, 2) ----------------------------------------------

    def receive(self, entry: Entry) -> Effects:
        """Take one entry, from any source, in any order, any number of times."""
        if entry.seq <= self.applied_seq:
            return NOTHING
        if entry.seq > self.applied_seq + 1:
            self._parked[entry.seq] = entry
            if self._loading or self._repairing:
                return NOTHING
            self._repairing = True
            return Effects(repair_after=self.applied_seq)
        before = self.applied_seq
        run = [entry]
        while self.applied_seq + len(run) + 1 in self._parked:
            run.append(self._parked.pop(self.applied_seq + len(run) + 1))
        applied = tuple(self._apply(e) for e in run)
        reannounce = any(e.kind == "node.gone" and e.args.get("node") == self.node_id for e in run)
        every = self.snapshot_every
        return Effects(
            applied=applied,
            snapshot=self.applied_seq // every > before // every,
            reannounce=reannounce,
        )

    def repair_done(self, *, read_any: bool) -> Effects:
        """The read asked for by ``repair_after`` is done and its entries were given to
        :meth:`receive`. Another read is asked for while entries stay parked beyond a
        gap, unless the last read found nothing (the log does not have them yet: the
        next entry heard will ask again)."""
        self._repairing = False
        if self._parked and read_any and not self._loading:
            self._repairing = True
            return Effects(repair_after=self.applied_seq)
        return NOTHING

    def _apply(self, entry: Entry) -> Applied:
        outcome = apply(self.state, entry)
        self.recent.extend(outcome.events)
        return Applied(outcome, _excluded(outcome.events))

    # -- time (rule 3) ---------------------------------------------------------------

    def timer(self) -> int | None:
        """When (local ms) to call :meth:`handle_timer`; None: no need."""
        if self._ticking_for is not None:
            return None  # re-asked for once the tick in flight is done
        deadline = next_deadline(self.state)
        if deadline is None:
            return None
        if self._not_before is not None and self._not_before[0] == deadline:
            return max(deadline, self._not_before[1])
        return deadline

    def handle_timer(self, now: int) -> bool:
        """True: append one ``tick`` entry now, and report it with :meth:`tick_done`."""
        due = self.timer()
        if due is None or due > now:
            return False
        self._ticking_for = next_deadline(self.state)
        return True

    def tick_done(self, at: int | None, *, now: int) -> None:
        """The tick asked for was appended with the log's stamp ``at`` (already
        received), or could not be (``at`` None)."""
        deadline, self._ticking_for = self._ticking_for, None
        if deadline is None:
            return
        if at is None:
            self._not_before = (deadline, now + TICK_RETRY_MS)
        elif at < deadline:
            self._not_before = (deadline, now + max(deadline - at, MIN_TICK_GAP_MS))
        else:
            self._not_before = None

    # -- replay for `since` ----------------------------------------------------------

    def events_since(self, since: int, viewer: Viewer) -> list[Event] | None:
        """What ``viewer`` may see of the events after ``since``, if all are still kept."""
        return self.recent.since(since, self.state.event_seq, viewer)
