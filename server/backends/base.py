"""The room log interface every backend satisfies, and the pieces they share.

A backend stores, per room, one ordered log of :class:`~yishi.core.types.Entry`
records. The log, not the caller, numbers the entries (``seq``: 1, 2, 3...,
dense, per room) and stamps them (``at`` = max(clock, previous ``at``), so time
never runs backwards even if the machine's clock does). Every entry appended is
handed, in order, to the backend's listeners before ``append()`` returns: that
is how a node learns about entries, its own and (for multi-node backends)
everybody else's, through a single path.

Backends are chosen by URL (:func:`yishi.backends.backend_from_url`) and are
composed, not inherited: each is a plain class satisfying :class:`LogBackend`,
using :class:`Fanout` and :func:`pack_body` / :func:`unpack_entry` from here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol, runtime_checkable

import msgpack

from ..core.types import Entry, Json

Clock = Callable[[], int]
"""Wall clock in Unix milliseconds; injected so tests can move time (even backwards)."""

RecordedFrame = tuple[str, str, int, int, bytes]
"""One kept audio frame: ``(turn_id, speaker, seq, ts, data)`` (server/host/recordings.py)."""

StoredFrame = tuple[str, int, int, bytes]
"""A kept frame as read back for one turn: ``(speaker, seq, ts, data)``."""

Listener = Callable[[str, Entry], None]
"""Called with ``(room_id, entry)`` for each entry appended, on the event loop."""

ResetListener = Callable[[str], None]
"""Called with ``room_id`` when the room's log no longer holds what was delivered."""

AudioListener = Callable[[str, bytes], None]
"""Called with ``(room_id, frame)`` for each audio frame another node relayed."""

logger = logging.getLogger(__name__)

COMMUNITY_LOG = "community:"
"""The prefix of a community's log id (``community:<id>``): its log lives in the same
backend as the rooms' (no room id has a colon), and :meth:`LogBackend.room_ids` leaves
it out, so nothing that lists or hosts rooms takes a community for one."""


def is_room_log(log_id: str) -> bool:
    return not log_id.startswith(COMMUNITY_LOG)


class CorruptEntry(Exception):
    """A room's stored entry ``seq`` cannot be used: missing before later entries, or
    undecodable. Not a passing fault (reading again gives the same): the room cannot be
    applied past it until the operator repairs the store."""

    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(f"entry {seq} {reason}")
        self.seq, self.reason = seq, reason


class BackendUnavailable(Exception):
    """The store cannot be reached (or this backend is closed).

    Not the client's fault: the caller answers ``unavailable`` and the client
    retries. For ``append()`` it means the entry may or may not be in the log;
    a retry with the same nonce is the safe way to find out.
    """


@runtime_checkable
class LogBackend(Protocol):
    """Ordered, durable per-room logs, plus the few small records a node keeps with them.

    Lifecycle: construct, ``await start()``, use, ``await close()``. Every method
    except :meth:`subscribe` raises :class:`BackendUnavailable` when the store
    cannot be reached, or after :meth:`close`.
    """

    node_id: str
    """This process's id: random per start unless given, used to tell nodes apart."""

    commits: int
    """Append transactions made durable so far (a metric): one per append, or fewer
    under load for a backend that commits appends in groups."""

    single_node: bool
    """True when this node is the only one appending to the store (memory, sqlite): it
    then hosts every room with something pending from its start, and no node is ever
    declared gone. False (redis): rooms are hosted where their clients are, and nodes
    sweep for others that died."""

    @property
    def repair_reads(self) -> int:
        """A metric: reads of the stored log the backend made to fill gaps in what it
        heard (always 0 where nothing can be missed)."""
        ...

    @property
    def reconnects(self) -> int:
        """A metric: connections to the store lost and made again (0 for an embedded one)."""
        ...

    async def start(self) -> None:
        """Open the store (creating it if needed). Call once, before anything else."""
        ...

    async def close(self) -> None:
        """Finish the appends already accepted, then release the store.

        Appends that arrive after ``close()`` began raise :class:`BackendUnavailable`.
        """
        ...

    async def append(
        self,
        room_id: str,
        kind: str,
        *,
        actor: str | None = None,
        args: Json | None = None,
        nonce: str | None = None,
    ) -> Entry:
        """Durably append one entry to ``room_id``'s log and return it.

        The log gives it ``seq`` = last + 1 (dense, per room, starting at 1) and
        ``at`` = max(clock(), previous entry's ``at``). Returns once the entry is
        durable, and only after every listener has been called with it. Appends
        to one room are numbered in the order ``append()`` was called.

        ``args`` must be MessagePack-encodable (str keys, JSON-like values);
        otherwise ``TypeError`` is raised and nothing is appended. The entry
        returned (and given to listeners) carries the args as any reader will
        see them (tuples become lists). If the caller is cancelled while waiting,
        the entry may still be appended; listeners hear about it either way.
        """
        ...

    async def read(self, room_id: str, *, after: int = 0, limit: int = 10_000) -> list[Entry]:
        """Up to ``limit`` entries of ``room_id`` with ``seq > after``, in seq order.

        An unknown room gives ``[]``. To read a whole log, call again with
        ``after`` = the last ``seq`` received until a short page comes back.
        """
        ...

    async def last_seq(self, room_id: str) -> int:
        """The ``seq`` of the room's latest entry; 0 if the room has no entries."""
        ...

    async def room_ids(self) -> list[str]:
        """The ids of all rooms that have entries, sorted (communities' logs left out)."""
        ...

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(room_id, entry)`` for every entry appended from now on.

        That is every entry appended through this backend and, for multi-node
        backends, by other nodes; in seq order per room; synchronously on the
        event loop, and before the ``append()`` that made the entry returns.
        A listener must not block; an exception it raises is logged and does
        not stop the other listeners or the append. Returns a function that
        unsubscribes (calling it twice is harmless).

        A multi-node backend may hear other nodes only in the rooms this node
        asked about: the Redis Cluster backend subscribes room by room, from
        the first :meth:`last_seq` that finds entries (a node asks it before
        it loads a room) or the first :meth:`append` to a new room.
        """
        ...

    def release(self, room_id: str) -> None:
        """This node no longer hosts the room (it unloaded it): a backend that hears
        rooms one by one stops hearing it (the Redis Cluster backend unsubscribes its
        channels); the others do nothing. Its entries may still reach the listeners
        until then. Asking about the room again (:meth:`last_seq`) hears it again."""
        ...

    def subscribe_resets(self, listener: ResetListener) -> Callable[[], None]:
        """Call ``listener(room_id)`` when the room's stored log no longer holds the
        history the listeners were given: a store that lost entries it had delivered
        (a failover, a Redis restored from an old copy). The listener must forget what
        it derived from the room and load it again from the log; entries delivered
        after the call continue from the stored seq. Never called by a backend that
        cannot lose what it delivered. Returns a function that unsubscribes."""
        ...

    async def epoch(self, room_id: str) -> str:
        """The epoch of the room's log: the same for as long as the log holds the history
        it delivered, another once it was found not to (:meth:`new_epoch` after a reset).
        ``""`` for a log that never had one, and always from a backend that cannot lose
        what it delivered. A client that holds another epoch holds another history."""
        ...

    async def new_epoch(self, room_id: str, replacing: str) -> str:
        """After a reset: give the room's log a new epoch, unless another node already
        replaced ``replacing`` (the epoch this node held); returns the epoch it has now.
        Never called on a backend that cannot lose what it delivered."""
        ...

    def publish_audio(self, room_id: str, frame: bytes) -> None:
        """Hand a relayed audio frame to the other nodes (``subscribe_audio``).

        Audio is ephemeral: never stored, never ordered with the log, best effort
        (a frame may be dropped, never retried) and this never blocks. A backend
        with no other node does nothing.
        """
        ...

    def subscribe_audio(self, listener: AudioListener) -> Callable[[], None]:
        """Call ``listener(room_id, frame)`` for every frame another node publishes with
        :meth:`publish_audio` (never this node's own), on the event loop. Returns a
        function that unsubscribes."""
        ...

    async def get_or_create_secret(self, name: str, make: Callable[[], str]) -> str:
        """The secret stored under ``name``; if there is none, store ``make()`` and return it.

        Used for the token-signing key and the admin token. When several callers
        race, all of them get the value that was stored first.
        """
        ...

    async def put_ballot_key(self, key_id: str, key: bytes) -> None:
        """Store a secret poll's key under ``key_id`` (random, never reused), outside
        the log: the log names it, and holds only what it sealed."""
        ...

    async def get_ballot_key(self, key_id: str) -> bytes | None:
        """The key stored under ``key_id``; None once destroyed (or never stored)."""
        ...

    async def drop_ballot_key(self, key_id: str) -> None:
        """Destroy the key for good: afterwards no copy of it may be read from the store
        or its files (a deleted row is overwritten, a write-ahead log truncated).
        Destroying a key that is gone does nothing."""
        ...

    async def add_recording_frames(self, room_id: str, frames: list[RecordedFrame]) -> None:
        """Keep ``frames`` (audio of ``room_id``'s turns) outside the log, after those kept
        before: one write for the whole batch. Never replayed, never in a snapshot."""
        ...

    async def recording_frames(self, room_id: str, turn_id: str) -> list[StoredFrame]:
        """The frames kept for ``turn_id`` (``""``: the chair outside a turn), in the order
        they were kept; ``[]`` if none (or erased)."""
        ...

    async def recorded_turns(self, room_id: str) -> list[str]:
        """The turn ids ``room_id`` has frames kept for, sorted."""
        ...

    async def drop_recordings(self, room_id: str) -> None:
        """Destroy every frame kept for ``room_id`` for good, as :meth:`drop_ballot_key`
        does a key (a deleted row overwritten, a write-ahead log truncated). Dropping
        what is gone does nothing."""
        ...

    async def save_snapshot(self, room_id: str, seq: int, blob: bytes) -> None:
        """Store a state snapshot taken after applying entry ``seq``.

        Only the newest snapshot per room (highest ``seq``) is kept; saving one
        older than the stored one does nothing.
        """
        ...

    async def load_snapshot(self, room_id: str) -> tuple[int, bytes] | None:
        """The newest snapshot of ``room_id`` as ``(seq, blob)``, or ``None``."""
        ...

    async def ping(self) -> None:
        """Return if the store is reachable; raise :class:`BackendUnavailable` if not (/readyz)."""
        ...

    async def alive_nodes(self) -> set[str]:
        """Ids of the nodes appending to the store now, this one always included (just
        ``{node_id}`` where :attr:`single_node`)."""
        ...


class Fanout:
    """The listeners of one backend: subscribe, unsubscribe, notify in order."""

    def __init__(self) -> None:
        # A tuple, replaced on change, so a listener may unsubscribe while being notified.
        self._listeners: tuple[Listener, ...] = ()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        # Wrapped so that subscribing the same function twice gives two independent
        # subscriptions, each removed by its own unsubscribe function.
        def call(room_id: str, entry: Entry) -> None:
            listener(room_id, entry)

        self._listeners = (*self._listeners, call)

        def unsubscribe() -> None:
            self._listeners = tuple(item for item in self._listeners if item is not call)

        return unsubscribe

    def notify(self, room_id: str, entry: Entry) -> None:
        for listener in self._listeners:
            try:
                listener(room_id, entry)
            except Exception:
                # The entry is already in the log; one faulty listener must not hide
                # it from the others nor turn a durable append into an error.
                logger.exception("log listener failed on %s seq %d", room_id, entry.seq)


def pack_body(kind: str, *, actor: str | None, args: Json | None, nonce: str | None) -> bytes:
    """MessagePack of ``Entry.to_record()`` without ``seq`` and ``at`` (the log adds those).

    Raises ``TypeError`` for args MessagePack cannot encode.
    """
    record: Json = {"kind": kind, "args": args if args is not None else {}}
    if actor is not None:
        record["actor"] = actor
    if nonce is not None:
        record["nonce"] = nonce
    body: bytes = msgpack.packb(record, use_bin_type=True)
    return body


def unpack_entry(seq: int, at: int, body: bytes) -> Entry:
    """The entry stored as ``body`` (from :func:`pack_body`) with its ``seq`` and ``at``;
    :class:`CorruptEntry` if ``body`` is not one."""
    try:
        # strict_map_key=False: anything pack_body accepted must read back, or one odd
        # args dict would make a room's log unreadable forever.
        record = msgpack.unpackb(body, raw=False, strict_map_key=False)
        record["seq"] = seq
        record["at"] = at
        return Entry.from_record(record)
    except Exception as exc:  # noqa: BLE001  (whatever a damaged body makes msgpack raise)
        raise CorruptEntry(seq, f"cannot be decoded ({type(exc).__name__})") from None


def dense(after: int, entries: list[Entry]) -> list[Entry]:
    """``entries``, read after ``after``, if they follow on without a hole;
    :class:`CorruptEntry` naming the first seq missing if not (numbering is dense,
    so a hole is damage to the store, never an entry still on its way)."""
    expected = max(after, 0) + 1
    for entry in entries:
        if entry.seq != expected:
            raise CorruptEntry(expected, "is missing from the log")
        expected += 1
    return entries


def next_stamp(previous: tuple[int, int] | None, now: int) -> tuple[int, int]:
    """``(seq, at)`` of the entry after ``previous`` = ``(seq, at)`` or ``None``."""
    if previous is None:
        return 1, now
    return previous[0] + 1, max(now, previous[1])
