"""The fast write path of the ASGI driver: whole WebSocket frames straight to the
connection's transport, and which path each socket takes.

``yishi serve`` serves room sockets on Yishi's own protocol (``roomsocket``,
the *native* path), which owns its connections and needs nothing from here but
``announce`` (the frames are ``wire.frame``, the writer a ``hub.Writer``). Under
any other server or uvicorn WebSocket implementation the ASGI driver
(``ws.RoomSockets``) serves them, and this module knows the uvicorn internals it
may use. Its rules:

1. A socket takes the direct path only when it is served by uvicorn's
   websockets-sansio protocol, in a uvicorn version of ``uvicorn_parts.VERSIONS`` (each
   one read and tested with every uvicorn WebSocket implementation), and the
   ASGI ``send`` we are handed is that protocol's own ``send`` (nothing wraps
   it). Any other socket takes the ASGI path: every frame through ``send``.
2. Which path a process takes, and why, is logged once per process (per path
   and reason); ``/metrics`` counts the open sockets on each path.
3. A frame is built once (``frame``) and written whole, with one
   ``transport.write``. Under the rule of 1, uvicorn writes its own frames
   (pings, pongs, the close) the same way, each whole, so the two interleave
   safely; it never fragments a message.
4. Nothing is written once a close frame has been sent or received (the
   ``websockets`` sans-I/O protocol that uvicorn drives is no longer OPEN), nor
   once the transport is closing: such frames are dropped, and the reader
   learns of the close from the server.
5. Frames are never compressed. A client that negotiated permessage-deflate
   may still receive uncompressed messages (RFC 7692 section 6: RSV1 clear).
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.protocol import OPEN

from ..uvicorn_parts import SANSIO_NOTE, WebSocketsSansIOProtocol

logger = logging.getLogger(__name__)


class Path(str, enum.Enum):
    NATIVE = "native"  # served by Yishi's own protocol (``roomsocket``), frames to the transport
    DIRECT = "direct"  # under uvicorn's protocol, frames written straight to the transport
    ASGI = "asgi"  # frames sent through ASGI ``send``


_PROTOCOL, _PROTOCOL_NOTE = WebSocketsSansIOProtocol, SANSIO_NOTE
_PROTOCOL_SEND = getattr(_PROTOCOL, "send", None)
# Why no socket of this process can take the direct path, or None if some can.
UNAVAILABLE: str | None = None if _PROTOCOL is not None else _PROTOCOL_NOTE
_announced: set[tuple[Path, str]] = set()


def announce(path: Path, why: str) -> None:
    """Log, once per process for each path and reason, which path sockets take."""
    if (path, why) in _announced:
        return
    _announced.add((path, why))
    if path is Path.NATIVE:
        logger.info(
            "Room sockets are served by Yishi's own protocol, frames straight to the "
            "transport (%s)",
            why,
        )
    elif path is Path.DIRECT:
        logger.info("WebSocket frames go straight to the transport (%s)", why)
    else:
        logger.warning("WebSocket frames go through ASGI send, slower: %s", why)


class DirectWriter:
    """Writes whole frames to one uvicorn websockets-sansio connection (rules 3 and 4)."""

    __slots__ = ("_conn", "_transport")

    def __init__(self, protocol: Any) -> None:
        self._conn = protocol.conn  # websockets' sans-I/O ServerProtocol
        self._transport: asyncio.WriteTransport = protocol.transport

    def write(self, frames: bytes, *, limit: int) -> bool:
        """Write ``frames`` (whole frames), or drop them if the connection is closing.
        False, writing nothing, when the transport already holds more than ``limit``
        bytes unsent: the client does not keep up."""
        return write_while_open(self._conn, self._transport, frames, limit=limit)

    def unsent(self) -> int:
        """Bytes the transport holds that the kernel has not taken yet."""
        return self._transport.get_write_buffer_size()

    def abort(self) -> None:
        """Drop the connection now (a client that does not read even its close frame)."""
        self._transport.abort()


def write_while_open(
    conn: Any, transport: asyncio.WriteTransport, frames: bytes, *, limit: int
) -> bool:
    """Write whole frames only while the websockets protocol ``conn`` is OPEN and the
    transport is not closing (dropped otherwise: nothing may follow a close frame).
    False, writing nothing, when the transport holds more than ``limit`` bytes unsent."""
    if conn.state is not OPEN or transport.is_closing():
        return True
    if transport.get_write_buffer_size() > limit:
        return False
    transport.write(frames)
    return True


def direct_writer(send: Callable[[Any], Awaitable[None]]) -> DirectWriter | None:
    """The direct writer of the socket whose ASGI ``send`` this is, or None: send
    everything through ``send`` (rule 1). Says which, once per process."""
    protocol = getattr(send, "__self__", None)
    if _PROTOCOL is None:
        why = _PROTOCOL_NOTE
    elif protocol is None:
        why = "the ASGI send is no server protocol's own method (a middleware may wrap it)"
    elif type(protocol) is not _PROTOCOL:
        why = f"the socket is served by {type(protocol).__qualname__}, not {_PROTOCOL_NOTE}"
    elif getattr(send, "__func__", None) is not _PROTOCOL_SEND:
        why = "the ASGI send is not the protocol's own send"
    else:
        announce(Path.DIRECT, _PROTOCOL_NOTE)
        return DirectWriter(protocol)
    announce(Path.ASGI, why)
    return None
