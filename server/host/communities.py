"""Communities on a node: each one's state, folded from its log, kept fresh on every read.

A community's log lives in the same backend as the rooms', under the id
``community:<id>`` (``backends.base.COMMUNITY_LOG``); :func:`core.community.reducer.apply`
folds it. This module is the asyncio shell around that fold:

* **Read your writes, across nodes.** Every request first catches up: it reads the
  log after the applied seq and applies what it finds (one read; nothing when the
  node is current). An append on node A has returned before A answers, so node
  B's next request reads it from the log: no pub/sub is relied on.
* **One writer of the state at a time.** Entries are applied only under the
  community's lock, in seq order, each once; a request that appended an entry
  catches up and takes its entry's outcome.
* **Snapshots** every ``snapshot_every`` entries (``YISHI_COMMUNITY_SNAPSHOT_EVERY``,
  1000 by default) and at shutdown, through the backend's snapshot store: the
  state and the digest's chain link at that seq, pickled in a thread under the
  lock (so no entry changes it meanwhile) and read back by a reader that accepts
  only the community's own records. Loading takes the snapshot, then the tail.
* **Digest.** The tamper-evident SHA-256 chain of the log (``minutes/digest.py``'s
  rules) is carried forward entry by entry, so an export names the digest of the
  log it was made from without reading the log again.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import os
from collections import OrderedDict

from ..backends.base import COMMUNITY_LOG, BackendUnavailable, LogBackend
from ..core.community import state as cstate
from ..core.community.reducer import apply, new_community
from ..core.community.state import CommunityState
from ..core.types import Entry, Json, Outcome
from ..minutes.digest import GENESIS, canonical
from .snapshots import SafePickle

logger = logging.getLogger(__name__)

SNAPSHOT_VERSION = 3  # 2: households (rules 2); 3: a session held; an older one is
# ignored, the log replayed
SNAPSHOT_EVERY = int(os.environ.get("YISHI_COMMUNITY_SNAPSHOT_EVERY", "1000"))
KEPT_OUTCOMES = 4096
PAGE = 10_000

RECORDS = SafePickle(
    (
        cstate.CommunityState,
        cstate.Topic,
        cstate.Staff,
        cstate.Step,
        cstate.Session,
        cstate.LinkedAction,
        cstate.Household,
    ),
    what="a community snapshot",
)


def log_id(community_id: str) -> str:
    return f"{COMMUNITY_LOG}{community_id}"


def dump(state: CommunityState, chain: bytes) -> bytes:
    return RECORDS.dumps((SNAPSHOT_VERSION, state, chain))


def load(blob: bytes) -> tuple[CommunityState, bytes]:
    """(state, chain link); raises ``UnsafeSnapshot``, ``ValueError`` or pickle errors."""
    version, state, chain = RECORDS.load(io.BytesIO(blob))
    if (
        version != SNAPSHOT_VERSION
        or not isinstance(state, CommunityState)
        or not isinstance(chain, bytes)
    ):
        raise ValueError("not a community snapshot of this version")
    return state, chain


class Community:
    """One community on this node: its state, its lock, its recent outcomes."""

    def __init__(
        self, backend: LogBackend, community_id: str, *, snapshot_every: int = SNAPSHOT_EVERY
    ) -> None:
        self.backend = backend
        self.community_id = community_id
        self.log_id = log_id(community_id)
        self.state = new_community(community_id)
        self.chain = GENESIS
        self.snapshot_seq = 0
        self.snapshot_every = snapshot_every
        self.lock = asyncio.Lock()
        self._outcomes: OrderedDict[int, Outcome] = OrderedDict()

    @property
    def digest(self) -> Json:
        return {
            "algorithm": "sha256-chain/1",
            "entries": self.state.entry_seq,
            "digest": self.chain.hex(),
        }

    def _apply(self, entry: Entry) -> None:
        outcome = apply(self.state, entry)
        self.chain = hashlib.sha256(self.chain + canonical(entry)).digest()
        self._outcomes[entry.seq] = outcome
        while len(self._outcomes) > KEPT_OUTCOMES:
            self._outcomes.popitem(last=False)

    def restore(self, seq: int, blob: bytes) -> bool:
        try:
            state, chain = load(blob)
        except Exception:  # noqa: BLE001  (any unreadable snapshot: replay the log)
            logger.warning("unreadable snapshot of %s at %s", self.log_id, seq)
            return False
        if state.entry_seq != seq or state.community_id != self.community_id:
            return False
        self.state, self.chain, self.snapshot_seq = state, chain, seq
        return True

    async def catch_up(self) -> None:
        """Apply everything the log holds now; snapshot if ``snapshot_every`` entries
        went by since the last one. Raises ``BackendUnavailable``."""
        async with self.lock:
            while True:
                entries = await self.backend.read(
                    self.log_id, after=self.state.entry_seq, limit=PAGE
                )
                for entry in entries:
                    self._apply(entry)
                if len(entries) < PAGE:
                    break
            if self.state.entry_seq - self.snapshot_seq >= self.snapshot_every:
                await self._save_snapshot()

    async def save_snapshot(self) -> None:
        async with self.lock:
            if self.state.entry_seq > self.snapshot_seq:
                await self._save_snapshot()

    async def _save_snapshot(self) -> None:
        # Under the lock: nothing applies an entry while the thread pickles the state.
        seq = self.state.entry_seq
        blob = await asyncio.to_thread(dump, self.state, self.chain)
        await self.backend.save_snapshot(self.log_id, seq, blob)
        self.snapshot_seq = seq

    async def submit(self, kind: str, *, actor: str | None, args: Json) -> Outcome:
        """Append one entry and answer what it did, once this node has applied it."""
        entry = await self.backend.append(self.log_id, kind, actor=actor, args=args)
        await self.catch_up()
        outcome = self._outcomes.pop(entry.seq, None)
        if outcome is None:  # applied and forgotten meanwhile (4096 entries later)
            raise BackendUnavailable("the outcome of the entry is no longer known; read again")
        return outcome


class Communities:
    """The communities this node has loaded (they stay: a community is a few MB at most)."""

    def __init__(self, backend: LogBackend) -> None:
        self.backend = backend
        self._loaded: dict[str, Community] = {}
        self._loading: dict[str, asyncio.Task[Community | None]] = {}
        self.loads = 0

    async def get(self, community_id: str, *, fresh: bool = True) -> Community | None:
        """The community, caught up with its log (``fresh``); None if there is none."""
        community = self._loaded.get(community_id)
        if community is None:
            task = self._loading.get(community_id)
            if task is None:
                task = self._loading[community_id] = asyncio.ensure_future(self._load(community_id))
                task.add_done_callback(lambda _: self._loading.pop(community_id, None))
            community = await asyncio.shield(task)
            if community is None:
                return None
        elif fresh:
            await community.catch_up()
        return community

    async def _load(self, community_id: str) -> Community | None:
        if (
            not community_id
            or len(community_id) > 64
            or await self.backend.last_seq(log_id(community_id)) == 0
        ):
            return None
        community = Community(self.backend, community_id)
        snapshot = await self.backend.load_snapshot(community.log_id)
        if snapshot is not None:
            community.restore(*snapshot)
        await community.catch_up()
        self._loaded[community_id] = community
        self.loads += 1
        return community

    async def create(self, community_id: str, args: Json) -> Outcome:
        """Append a new community's ``community.create``; it is kept once applied."""
        community = Community(self.backend, community_id)
        outcome = await community.submit("community.create", actor=None, args=args)
        if outcome.error is None:
            self._loaded.setdefault(community_id, community)
        return outcome

    async def close(self) -> None:
        """Store a snapshot of every community whose stored one is behind."""
        for community in list(self._loaded.values()):
            try:
                await community.save_snapshot()
            except BackendUnavailable:
                logger.warning("could not store a snapshot of %s", community.log_id)
