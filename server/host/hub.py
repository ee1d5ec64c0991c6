"""Local sockets per room, and fan-out of the room's events to them.

Each event is encoded once per sub-protocol (its wire form is the same for
everyone allowed to see it), and that one ``Outgoing`` object goes to every
socket that may see it (``audience_of`` and ``heard_by``, the one visibility
rule). Where the server allows it (``fastpath``), a live socket's frames skip
ASGI altogether: the frame bytes, built once, are written straight to each
connection's transport (one ``write`` per socket, no task switch). A socket
still sending its welcome and replay, or on the ASGI path, queues its frames
for a pump that sends them.

Every socket is bounded, by queued frames or by bytes the transport has not
yet sent: a client that cannot keep up is closed with 4008 and resumes with
``since``, instead of growing the server's memory. A client that does not even
read its close frame is cut off.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from ..core.types import Audience, Event, Json
from ..core.views import Viewer, audience_of, heard_by
from ..wire import CLOSE_TOO_SLOW, Codec, event_message, frame

OUTBOX_FRAMES = 2048  # frames queued for the pump
OUTBOX_BYTES = 1 << 20  # bytes a transport holds unsent (beyond the kernel's buffers)
CLOSE_GRACE_S = 10.0  # to send the close frame before the connection is cut
PUMP_BATCH = 64  # frames of a replay per write (and between turns for others)
PUMP_DRAIN_ABOVE = 64 * 1024  # unsent bytes at which a replay waits for the client
UNBOUNDED = 1 << 62  # the pump bounds itself (PUMP_DRAIN_ABOVE)
AUDIO_HELD = 4  # audio frames a listener holds while its connection is behind (240 ms)
AUDIO_BACKLOG = 4 * 1024  # unsent bytes beyond which audio waits (and the oldest goes)

AsgiSend = Callable[[dict[str, Any]], Awaitable[None]]


class Outgoing:
    """One encoded envelope, in each form a socket may need, made at most once."""

    __slots__ = ("_asgi", "_wire", "payload")

    def __init__(self, payload: str | bytes) -> None:
        self.payload = payload
        self._asgi: dict[str, Any] | None = None
        self._wire: bytes | None = None

    @property
    def asgi(self) -> dict[str, Any]:
        """The ASGI message that sends it."""
        if self._asgi is None:
            key = "bytes" if isinstance(self.payload, bytes) else "text"
            self._asgi = {"type": "websocket.send", key: self.payload}
        return self._asgi

    @property
    def wire(self) -> bytes:
        """The whole WebSocket frame that carries it."""
        if self._wire is None:
            self._wire = frame(self.payload)
        return self._wire


@dataclass(frozen=True, slots=True)
class Close:
    code: int
    reason: str = ""


TOO_SLOW = Close(CLOSE_TOO_SLOW, "too slow: reconnect with since")


class Writer(Protocol):
    """What an ``Outbox`` needs of a socket that takes whole frames directly
    (``fastpath.DirectWriter`` under uvicorn, Yishi's own ``roomsocket``)."""

    def write(self, frames: bytes, *, limit: int) -> bool:
        """Write ``frames`` (whole frames), or drop them if the connection is closing.
        False, writing nothing, when more than ``limit`` bytes wait unsent."""

    def unsent(self) -> int:
        """Bytes the transport holds that the kernel has not taken yet."""

    def abort(self) -> None:
        """Drop the connection now (a client that does not read even its close frame)."""


class Outbox:
    """A socket's way out: in order, bounded, and straight to the transport when it can be.

    ``send`` is the connection's ASGI send (or an object that takes the same two
    messages, ``websocket.send`` and ``websocket.close``, waiting for the client
    to read when it lags); ``direct``, when the server lets us have one
    (``fastpath.direct_writer``, or Yishi's own protocol), the connection's
    direct writer. Until
    ``pump`` has sent the backlog (``send_first``: the welcome, then a resuming
    client's missed events, encoded lazily as the socket drains so a long replay
    is neither held in memory nor counted against the live bound) and whatever
    queued meanwhile, frames queue. Then, with a direct writer, the pump ends and
    every frame is written directly; without one, the pump keeps sending until
    the close.
    """

    __slots__ = (
        "_audio",
        "_backlog",
        "_direct",
        "_frames",
        "_limit",
        "_on_too_slow",
        "_send",
        "_tasks",
        "_waiter",
        "_writer",
        "closing",
    )

    def __init__(
        self,
        send: AsgiSend,
        direct: Writer | None = None,
        *,
        on_too_slow: Callable[[], None] = lambda: None,
        limit: int = OUTBOX_FRAMES,
    ) -> None:
        self._send = send
        self._writer = direct
        self._on_too_slow = on_too_slow
        self._direct: Writer | None = None  # the writer, once the pump has handed over
        # Made when first needed: most sockets never queue a frame once welcomed,
        # and thousands of idle sockets should not each hold an empty deque and set.
        self._frames: deque[Outgoing | Close] | None = None
        self._limit = limit
        self._backlog: Iterator[Outgoing] | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._tasks: set[asyncio.Task[None]] | None = None
        self._audio: deque[Outgoing] | None = None  # audio waiting for the connection
        self.closing: Close | None = None

    def send_first(self, frames: Iterator[Outgoing]) -> None:
        """Send ``frames`` before anything queued (call before the socket is subscribed)."""
        self._backlog = frames

    def put(self, item: Outgoing) -> None:
        if self.closing is not None:
            return
        direct = self._direct
        if direct is not None:
            # Dropped once a close frame has gone either way: the reader hears of it.
            if not direct.write(item.wire, limit=OUTBOX_BYTES):
                self.too_slow()
            return
        frames = self._frames
        if frames is None:
            frames = self._frames = deque()
        elif len(frames) >= self._limit:
            self.too_slow()
            return
        frames.append(item)
        self._wake()

    @property
    def streams_audio(self) -> bool:
        """Whether audio can reach this socket (it needs a direct writer: ``put_audio``)."""
        return self._writer is not None

    def put_audio(self, item: Outgoing) -> int:
        """Send an audio frame if the connection keeps up; the number of frames dropped.

        Audio never closes a socket and never waits in front of an event: while
        the transport holds more than ``AUDIO_BACKLOG`` bytes unsent, frames wait
        here, at most ``AUDIO_HELD``, the oldest dropped first (a slow phone loses
        a few ms of sound, never an event). While the welcome and a replay are
        still being sent, and on the ASGI path, audio is not sent at all.
        """
        direct = self._direct
        if direct is None or self.closing is not None:
            return 1
        held = self._audio
        if held:
            held.append(item)
            dropped = 0
            if len(held) > AUDIO_HELD:
                held.popleft()
                dropped = 1
            if direct.write(b"".join(out.wire for out in held), limit=AUDIO_BACKLOG):
                held.clear()
            return dropped
        if direct.write(item.wire, limit=AUDIO_BACKLOG):
            return 0
        if held is None:
            held = self._audio = deque()
        held.append(item)
        return 0

    def close_after_pending(self, close: Close) -> None:
        """Close once what is queued has been sent (e.g. 4003 after the removal event)."""
        if self.closing is None:
            self.closing = close
            self._enqueue_close(close)

    def close_now(self, close: Close) -> None:
        """Drop what is still queued here and close."""
        if self._direct is not None and self.closing is not None:
            return  # its close is on its way already
        self.closing = close
        self._backlog = None
        self._frames = None
        self._enqueue_close(close)

    def too_slow(self) -> None:
        """Give up on a client that does not read: counted, and closed with 4008."""
        self._on_too_slow()
        self.close_now(TOO_SLOW)

    def start(self) -> None:
        """Start sending (once the socket is subscribed)."""
        self._spawn(self._pump())

    async def wait_sent(self, timeout: float) -> None:
        """Wait (at most ``timeout``) until what is queued, and any close, has been sent."""
        pending = {t for t in self._tasks or () if not t.done()}
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    def stop(self) -> None:
        for task in list(self._tasks or ()):
            task.cancel()

    def _enqueue_close(self, close: Close) -> None:
        if self._direct is not None:
            self._spawn(self._close(close))
        else:
            if self._frames is None:
                self._frames = deque()
            self._frames.append(close)
            self._wake()

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        if self._tasks is None:
            self._tasks = set()
        self._tasks.add(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        tasks = self._tasks
        if tasks is not None:
            tasks.discard(task)
            if not tasks:
                self._tasks = None

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def _next(self) -> Outgoing | Close | None:
        """The next item to send; ``None`` once frames may go straight to the transport."""
        if self._backlog is not None:
            item = next(self._backlog, None)
            if item is not None:
                return item
            self._backlog = None
        while not self._frames:
            if self._writer is not None:
                self._frames = None
                return None
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
            self._waiter = None
        return self._frames.popleft()

    async def _pump(self) -> None:
        try:
            if self._writer is not None:
                await self._pump_to(self._writer)
            else:
                await self._pump_through_asgi()
        except Exception:  # noqa: BLE001, S110  (ASGI servers differ in what "gone" raises)
            pass  # a send fails only when the client has gone, which the reader learns too

    async def _pump_to(self, writer: Writer) -> None:
        """Write the backlog in batches (a resuming client's replay costs a write per
        batch, not an ASGI send per frame), then hand over to direct writes. When
        the client lags, one frame goes through ASGI's send, which waits for the
        transport to drain: the replay never piles up in memory."""
        while True:
            batch: list[bytes] = []
            item = await self._next()
            while isinstance(item, Outgoing) and len(batch) < PUMP_BATCH:
                batch.append(item.wire)
                item = await self._next()
            if batch:
                writer.write(b"".join(batch), limit=UNBOUNDED)
            if item is None:
                self._direct = writer
                return
            if isinstance(item, Close):
                await self._close(item)
                return
            if writer.unsent() > PUMP_DRAIN_ABOVE:
                await self._send(item.asgi)
            else:
                writer.write(item.wire, limit=UNBOUNDED)
            await asyncio.sleep(0)  # let others run during a long replay

    async def _pump_through_asgi(self) -> None:
        sent = 0
        while True:
            item = await self._next()
            assert item is not None  # None means "go direct", which needs a direct writer
            if isinstance(item, Close):
                await self._close(item)
                return
            await self._send(item.asgi)
            sent += 1
            if sent % PUMP_BATCH == 0:
                # A send into a writable socket never suspends: let others run
                # during a long replay.
                await asyncio.sleep(0)

    async def _close(self, close: Close) -> None:
        """Send the close frame after what is already on its way, or cut the connection."""
        try:
            await asyncio.wait_for(
                self._send({"type": "websocket.close", "code": close.code, "reason": close.reason}),
                CLOSE_GRACE_S,
            )
        except TimeoutError:
            # The client reads nothing, not even its close frame: let the kernel drop it.
            if self._writer is not None:
                self._writer.abort()
        except Exception:  # noqa: BLE001, S110  (ASGI servers differ in what "gone" raises)
            pass  # the client has gone


class Subscriber:
    __slots__ = ("codec", "outbox", "viewer")

    def __init__(self, viewer: Viewer, codec: Codec, outbox: Outbox) -> None:
        self.viewer, self.codec, self.outbox = viewer, codec, outbox

    def encode(self, message: Json) -> Outgoing:
        return Outgoing(self.codec.encode(message))

    def send(self, message: Json) -> None:
        self.outbox.put(self.encode(message))


class RoomHub:
    """The sockets of one room on this node, indexed by the audiences they hear.

    An event goes to the sockets that hear one of its audiences (``audience_of``,
    ``heard_by``): an event for the moderators or for one person costs a look at
    those sockets only, so thousands of residents joining (each announced to
    themselves and the moderators) do not each cost a look at every socket in the
    room. No socket hears two audiences of one event: each gets it once.
    """

    def __init__(self) -> None:
        self.subscribers: set[Subscriber] = set()
        self._listeners: dict[Audience, set[Subscriber]] = {}
        self._by_person: dict[str, set[Subscriber]] = {}
        self.frames_sent = 0

    def add(self, subscriber: Subscriber) -> None:
        self.subscribers.add(subscriber)
        self._by_person.setdefault(subscriber.viewer.participant_id, set()).add(subscriber)
        for audience in heard_by(subscriber.viewer):
            self._listeners.setdefault(audience, set()).add(subscriber)

    def remove(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)
        _discard(self._by_person, subscriber.viewer.participant_id, subscriber)
        for audience in heard_by(subscriber.viewer):
            _discard(self._listeners, audience, subscriber)

    def publish(self, events: Iterable[Event]) -> None:
        listeners = self._listeners
        for event in events:
            encoded: dict[str, Outgoing] = {}
            sent = 0
            for audience in audience_of(event):
                for sub in listeners.get(audience, ()):
                    out = encoded.get(sub.codec.name)
                    if out is None:
                        out = encoded[sub.codec.name] = Outgoing(
                            sub.codec.encode(event_message(event))
                        )
                    sub.outbox.put(out)
                    sent += 1
            self.frames_sent += sent

    def of_participant(self, participant_id: str) -> list[Subscriber]:
        return list(self._by_person.get(participant_id, ()))


def _discard(index: dict[Any, set[Subscriber]], key: Any, subscriber: Subscriber) -> None:
    own = index.get(key)
    if own is not None:
        own.discard(subscriber)
        if not own:
            del index[key]
