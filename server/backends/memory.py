"""An in-process log with the same semantics as the durable ones, for tests.

Nothing is written anywhere. Entries are kept encoded, exactly as a durable
backend stores them, so args that could not be stored fail here too and
readers never share a mutable dict with the log.

Several :class:`MemoryBackend` objects may share one :class:`MemoryStore`: the
store then outlives a backend (close one, open another: a "restart"), and the
backends behave like nodes on one log (each one's listeners hear every append).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from ..core.types import Entry, Json
from .base import (
    AudioListener,
    BackendUnavailable,
    Clock,
    Fanout,
    Listener,
    RecordedFrame,
    ResetListener,
    StoredFrame,
    is_room_log,
    next_stamp,
    pack_body,
    unpack_entry,
)


class MemoryStore:
    """What a memory backend "persists": logs, secrets, snapshots, and who listens."""

    def __init__(self) -> None:
        self.logs: dict[str, list[tuple[int, bytes]]] = {}  # room -> [(at, body)], seq = index + 1
        self.secrets: dict[str, str] = {}
        self.snapshots: dict[str, tuple[int, bytes]] = {}
        self.ballot_keys: dict[str, bytes] = {}
        # room -> turn -> kept audio frames (speaker, seq, ts, data), in order kept.
        self.recordings: dict[str, dict[str, list[StoredFrame]]] = {}
        self.fanouts: tuple[Fanout, ...] = ()  # of the started backends on this store
        self.nodes: set[str] = set()  # ids of the started backends on this store
        self.audio: dict[str, tuple[AudioListener, ...]] = {}  # node id -> its audio listeners


class MemoryBackend:
    """A :class:`~yishi.backends.base.LogBackend` kept in memory (``memory://``)."""

    def __init__(
        self, *, clock: Clock, node_id: str | None = None, store: MemoryStore | None = None
    ) -> None:
        self.node_id = node_id if node_id is not None else secrets.token_hex(8)
        self.commits = 0
        # See LogBackend.single_node: a store of its own has no other node on it.
        self.single_node = store is None
        self.repair_reads = 0  # every append is heard: nothing to repair
        self.reconnects = 0
        self._clock = clock
        self._store = store if store is not None else MemoryStore()
        self._fanout = Fanout()
        self._open = False

    async def start(self) -> None:
        self._store.fanouts = (*self._store.fanouts, self._fanout)
        self._store.nodes.add(self.node_id)
        self._open = True

    async def close(self) -> None:
        if self._open:
            self._open = False
            self._store.fanouts = tuple(f for f in self._store.fanouts if f is not self._fanout)
            self._store.nodes.discard(self.node_id)

    async def append(
        self,
        room_id: str,
        kind: str,
        *,
        actor: str | None = None,
        args: Json | None = None,
        nonce: str | None = None,
    ) -> Entry:
        self._check_open()
        body = pack_body(kind, actor=actor, args=args, nonce=nonce)
        log = self._store.logs.setdefault(room_id, [])
        previous = (len(log), log[-1][0]) if log else None
        seq, at = next_stamp(previous, self._clock())
        log.append((at, body))
        self.commits += 1
        entry = unpack_entry(seq, at, body)
        for fanout in self._store.fanouts:
            fanout.notify(room_id, entry)
        return entry

    async def read(self, room_id: str, *, after: int = 0, limit: int = 10_000) -> list[Entry]:
        self._check_open()
        start = max(after, 0)
        rows = self._store.logs.get(room_id, [])[start : start + max(limit, 0)]
        return [unpack_entry(start + i + 1, at, body) for i, (at, body) in enumerate(rows)]

    async def last_seq(self, room_id: str) -> int:
        self._check_open()
        return len(self._store.logs.get(room_id, ()))

    async def room_ids(self) -> list[str]:
        self._check_open()
        return sorted(room for room, log in self._store.logs.items() if log and is_room_log(room))

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        return self._fanout.subscribe(listener)

    def publish_audio(self, room_id: str, frame: bytes) -> None:
        for node_id, listeners in list(self._store.audio.items()):
            if node_id != self.node_id:
                for listener in listeners:
                    listener(room_id, frame)

    def release(self, room_id: str) -> None:
        """Nothing to release: every room is heard through one path."""

    def subscribe_resets(self, listener: ResetListener) -> Callable[[], None]:
        return lambda: None  # what it delivered, it keeps

    async def epoch(self, room_id: str) -> str:
        return ""  # one history per log, ever: it never resets

    async def new_epoch(self, room_id: str, replacing: str) -> str:
        return ""  # never called: it never resets

    def subscribe_audio(self, listener: AudioListener) -> Callable[[], None]:
        audio = self._store.audio
        audio[self.node_id] = (*audio.get(self.node_id, ()), listener)

        def unsubscribe() -> None:
            audio[self.node_id] = tuple(x for x in audio.get(self.node_id, ()) if x is not listener)

        return unsubscribe

    async def get_or_create_secret(self, name: str, make: Callable[[], str]) -> str:
        self._check_open()
        if name not in self._store.secrets:
            self._store.secrets[name] = make()
        return self._store.secrets[name]

    async def put_ballot_key(self, key_id: str, key: bytes) -> None:
        self._check_open()
        self._store.ballot_keys[key_id] = bytes(key)

    async def get_ballot_key(self, key_id: str) -> bytes | None:
        self._check_open()
        return self._store.ballot_keys.get(key_id)

    async def drop_ballot_key(self, key_id: str) -> None:
        self._check_open()
        self._store.ballot_keys.pop(key_id, None)

    async def add_recording_frames(self, room_id: str, frames: list[RecordedFrame]) -> None:
        self._check_open()
        turns = self._store.recordings.setdefault(room_id, {})
        for turn_id, speaker, seq, ts, data in frames:
            turns.setdefault(turn_id, []).append((speaker, seq, ts, bytes(data)))

    async def recording_frames(self, room_id: str, turn_id: str) -> list[StoredFrame]:
        self._check_open()
        return list(self._store.recordings.get(room_id, {}).get(turn_id, ()))

    async def recorded_turns(self, room_id: str) -> list[str]:
        self._check_open()
        return sorted(self._store.recordings.get(room_id, {}))

    async def drop_recordings(self, room_id: str) -> None:
        self._check_open()
        self._store.recordings.pop(room_id, None)

    async def save_snapshot(self, room_id: str, seq: int, blob: bytes) -> None:
        self._check_open()
        stored = self._store.snapshots.get(room_id)
        if stored is None or seq >= stored[0]:
            self._store.snapshots[room_id] = (seq, bytes(blob))

    async def load_snapshot(self, room_id: str) -> tuple[int, bytes] | None:
        self._check_open()
        return self._store.snapshots.get(room_id)

    async def ping(self) -> None:
        self._check_open()

    async def alive_nodes(self) -> set[str]:
        self._check_open()
        return set(self._store.nodes)  # a backend closed is a node gone

    def _check_open(self) -> None:
        if not self._open:
            raise BackendUnavailable("memory backend is not started or is closed")
