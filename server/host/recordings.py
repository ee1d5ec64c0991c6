"""Turn audio kept for rooms that record (opt-in per room, rules 5).

The voice relay (``voice``) hands every frame it accepted, in a room whose
settings record, to :meth:`Recordings.keep`: once, on the node that accepted it.
The rules of keeping:

* ``keep`` never blocks and never fails: the frame joins a bounded buffer
  (``MAX_PENDING`` frames, about a minute of one speaker), and one writer task
  stores the buffer in the backend's side store in batches (every
  ``FLUSH_S``, or sooner once ``BATCH`` frames wait): for SQLite one
  transaction a batch, not one a frame. A full buffer drops the new frame; a
  batch the store refuses is lost. Both are logged and counted (``dropped``,
  ``lost``), never the room's problem: a recording is best effort.
* Erasing (``recordings.erase`` in the log, see ``core/recordings.py``): once the
  entry is durable, every node hosting the room that hears it empties the side
  store of the room. The erase joins the same queue as the frames, so frames
  this node accepted before it are written first and erased with the rest; the
  entry also switched recording off, so the relay keeps nothing after it. It is
  idempotent: two nodes doing it, or a moderator repeating the command after a
  crash cut it short, is harmless.
* Reading a turn back (:meth:`frames`) first writes what this node still holds
  for the room, so a download during a turn has everything accepted so far.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..backends.base import LogBackend, RecordedFrame, StoredFrame
from ..core.types import Entry, Role

if TYPE_CHECKING:
    from .node import Node

logger = logging.getLogger(__name__)

MAX_PENDING = 1000  # frames waiting to be written (60 s of one speaker; ~250 KB)
BATCH = 100  # write sooner once this many wait
FLUSH_S = 1.0  # at most this long between a frame and its write
ERASE_TRIES = 5  # an erase the store refused is tried again, with a growing pause
ERASE_RETRY_S = 1.0


@dataclass(slots=True)
class _Mark:
    """A point in the queue: everything queued before it, for ``room_id``, is written
    when ``done`` resolves; then the room's recordings are erased if ``erase``."""

    room_id: str
    erase: bool
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class Recordings:
    """Where accepted audio frames of recording rooms go."""

    def __init__(self, backend: LogBackend, node: Node | None = None) -> None:
        self.backend = backend
        self.node = node
        self._queue: deque[tuple[str, RecordedFrame] | _Mark] = deque()
        self._frames = 0  # frames in the queue
        self._wakeup = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._closing = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._unsubscribe: Callable[[], None] | None = None
        # Metrics: frames kept (written), dropped (buffer full or not started), lost
        # (the store refused their batch); erasures done.
        self.kept = 0
        self.dropped = 0
        self.lost = 0
        self.erased = 0

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        """Start writing, and erasing on ``recordings.erase`` (call once the node runs)."""
        self._writer = asyncio.ensure_future(self._write_loop())
        self._unsubscribe = self.backend.subscribe(self._on_entry)

    async def close(self) -> None:
        """Write what is queued, then stop (before the backend closes)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._closing = True
        writer, self._writer = self._writer, None
        if writer is not None:
            self._wakeup.set()
            await writer  # it writes what is queued, then returns

    # -- keeping -------------------------------------------------------------------

    def keep(
        self, room_id: str, turn_id: str, speaker: str, seq: int, ts: int, data: bytes
    ) -> None:
        """Keep one Opus frame of ``turn_id`` (never blocks: the relay calls it inline)."""
        if self._writer is None or self._closing or self._frames >= MAX_PENDING:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                logger.warning(
                    "recordings: %d frames dropped so far (the store is behind)", self.dropped
                )
            return
        self._queue.append((room_id, (turn_id, speaker, seq, ts, bytes(data))))
        self._frames += 1
        if self._frames >= BATCH:
            self._wakeup.set()

    async def flush(self, room_id: str) -> None:
        """Return once every frame this node accepted for ``room_id`` so far is written
        (or lost)."""
        await self._mark(room_id, erase=False)

    async def erase(self, room_id: str) -> None:
        """Write what is queued, then destroy every recording of ``room_id``.

        Raises ``BackendUnavailable`` if the store refused.
        """
        await self._mark(room_id, erase=True)

    async def frames(self, room_id: str, turn_id: str) -> list[StoredFrame]:
        """The frames kept for ``turn_id`` (``""``: the chair outside a turn), in order."""
        await self.flush(room_id)
        return await self.backend.recording_frames(room_id, turn_id)

    async def _mark(self, room_id: str, *, erase: bool) -> None:
        await self._done(self._enqueue(room_id, erase=erase))

    def _enqueue(self, room_id: str, *, erase: bool) -> _Mark:
        mark = _Mark(room_id, erase)
        self._queue.append(mark)
        self._wakeup.set()
        return mark

    async def _done(self, mark: _Mark) -> None:
        if self._writer is None:  # not started, or closed: do it here
            await self._drain()
        await mark.done

    # -- the writer --------------------------------------------------------------------

    async def _write_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), FLUSH_S)
            self._wakeup.clear()
            await self._drain()
            if self._closing:
                return

    async def _drain(self) -> None:
        """Write everything queued now, in order: frames in batches per room, marks when
        reached. Never raises (a refused write is logged and counted)."""
        while self._queue:
            batch: dict[str, list[RecordedFrame]] = {}
            while self._queue and not isinstance(self._queue[0], _Mark):
                item = self._queue.popleft()
                assert not isinstance(item, _Mark)
                batch.setdefault(item[0], []).append(item[1])
            for room_id, frames in batch.items():
                self._frames -= len(frames)
                await self._write(room_id, frames)
            if self._queue:
                mark = self._queue.popleft()
                assert isinstance(mark, _Mark)
                await self._settle(mark)

    async def _write(self, room_id: str, frames: list[RecordedFrame]) -> None:
        try:
            await self.backend.add_recording_frames(room_id, frames)
        except Exception as exc:  # noqa: BLE001  (best effort: counted, never raised)
            self.lost += len(frames)
            logger.warning("recordings: %d frames of room %s lost (%s)", len(frames), room_id, exc)
        else:
            self.kept += len(frames)

    async def _settle(self, mark: _Mark) -> None:
        if mark.done.done():
            return
        if not mark.erase:
            mark.done.set_result(None)
            return
        try:
            await self.backend.drop_recordings(mark.room_id)
        except Exception as exc:  # noqa: BLE001  (handed to whoever asked)
            mark.done.set_exception(exc)
            return
        self.erased += 1
        mark.done.set_result(None)

    # -- erasing when the log says so ------------------------------------------------------

    def _on_entry(self, room_id: str, entry: Entry) -> None:
        """A ``recordings.erase`` appended anywhere: if this node hosts the room and the
        room accepts it (a moderator of a room under rules 5: all the reducer asks),
        erase the room's recordings here too."""
        if entry.kind != "recordings.erase" or self.node is None:
            return
        host = self.node.hosts.get(room_id)
        if host is None:
            return  # a node hosting the room does it (the one that appended it does)
        state = host.state
        sender = state.participants.get(entry.actor or "")
        if not state.rules.recordings or sender is None or sender.role is not Role.MODERATOR:
            return
        # Queued now, so whatever is asked of the recorder after the entry (a flush, a
        # download) comes after the erase.
        mark = self._enqueue(room_id, erase=True)
        task = asyncio.ensure_future(self._erase_with_retries(room_id, mark))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _erase_with_retries(self, room_id: str, mark: _Mark) -> None:
        for attempt in range(ERASE_TRIES):
            try:
                await self._done(mark)
                return
            except Exception as exc:  # noqa: BLE001  (the store: try again)
                logger.warning("recordings: erasing room %s failed (%s); retrying", room_id, exc)
                if attempt + 1 < ERASE_TRIES:
                    await asyncio.sleep(ERASE_RETRY_S * 2**attempt)
                    mark = self._enqueue(room_id, erase=True)
        logger.error("recordings: room %s could not be erased; repeat recordings.erase", room_id)
