"""The parts of uvicorn's internals Yishi builds on, imported here and nowhere else.

uvicorn documents its ``Config`` and ``Server``; its protocol classes are not
promised to anyone, so each use below was read in the releases of ``VERSIONS``
(and run against every WebSocket implementation: tests/server/uvicorn_matrix.sh).
Under any other release ``WebSocketsSansIOProtocol`` is None (``SANSIO_NOTE``
says why) and room sockets take the public path: uvicorn's own websockets-sansio
through ASGI, no frames written to the transport. The HTTP read deadlines and
the peer address rest on names every release has had.

* ``HttpToolsProtocol``: the HTTP protocol the read deadlines extend (web/guard).
* ``WebSocketsSansIOProtocol``: serves the sockets that are not a room's
  (roomsocket's rule 1), and whose connections the ASGI driver writes whole
  frames to (fastpath).
* ``get_remote_addr``: a transport's peer address, as uvicorn's protocols read it.
* ``ServerState``: uvicorn's bookkeeping of connections, handed to every protocol.
"""

from __future__ import annotations

import re
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.utils import get_remote_addr
from uvicorn.server import ServerState

__all__ = [
    "SANSIO_NOTE",
    "VERSIONS",
    "HttpToolsProtocol",
    "ServerState",
    "WebSocketsSansIOProtocol",
    "get_remote_addr",
]

# [first, past-the-last): the releases whose protocols were read. 0.52.1 brought the
# write flow control (``pause_writing``) that a lagging replay relies on, and the close
# handshake that waits for the client's reply.
VERSIONS = ((0, 52, 1), (0, 55))


def _version(text: str) -> tuple[int, ...]:
    """``(0, 54, 0)`` for "0.54.0" (a pre-release such as "0.55.0rc1" counts as its release)."""
    release = re.match(r"\d+(?:\.\d+)*", text)
    return tuple(int(n) for n in release[0].split(".")) if release else ()


def _sansio() -> tuple[type[Any] | None, str]:
    """uvicorn's websockets-sansio protocol class, and what it is; or None and why not."""
    try:
        from uvicorn.protocols.websockets.websockets_sansio_impl import (
            WebSocketsSansIOProtocol,
        )
    except ImportError as missing:
        return None, f"uvicorn's websockets-sansio protocol cannot be imported ({missing})"
    first, past = VERSIONS
    if not first <= _version(uvicorn.__version__) < past:
        return None, (
            f"uvicorn {uvicorn.__version__} is outside the versions tested "
            f"for direct writes ({'.'.join(map(str, first))} to "
            f"{'.'.join(map(str, past))}, exclusive)"
        )
    return WebSocketsSansIOProtocol, f"uvicorn {uvicorn.__version__} websockets-sansio"


# The class, or None in an untested release; ``SANSIO_NOTE`` says which, or why not.
WebSocketsSansIOProtocol, SANSIO_NOTE = _sansio()
