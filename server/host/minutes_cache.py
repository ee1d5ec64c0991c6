"""What minutes downloads reuse: the log's digest chain, and the rendered bodies.

The digest every export carries is a hash chain over the room's log
(:mod:`~yishi.minutes.digest`), so the chain up to entry N extends to N + k by
hashing the k entries after it: a download reads only the entries appended
since the previous one, and two downloads at the same seq read nothing. A
rendered body depends only on the room's state at its last applied entry, the
digest, the format, the language, the copy (public or the moderator's) and the
day it is rendered as of (overdue flags change at midnight, the log does not),
so it is kept by those, for the newest seq of each room only.

Bounded: the chains of the ``ROOMS`` rooms downloaded most recently (a seq and
32 bytes each) and the ``BODIES`` bodies rendered most recently.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable

from ..backends.base import LogBackend
from ..core.types import CommandError, ErrorCode
from ..minutes.digest import GENESIS, canonical

ROOMS = 1024
BODIES = 32

Rendered = tuple[bytes, str]  # (body, media type)


class MinutesCache:
    def __init__(self, *, rooms: int = ROOMS, bodies: int = BODIES) -> None:
        self._chains: OrderedDict[str, tuple[int, bytes]] = OrderedDict()
        self._bodies: OrderedDict[tuple[str, int, str, str, str, bool, str], Rendered] = (
            OrderedDict()
        )
        self._rooms, self._max_bodies = rooms, bodies
        self.entries_read = 0  # a figure for tests and metrics

    async def digest(self, backend: LogBackend, room_id: str, seq: int) -> str:
        """The digest of ``room_id``'s first ``seq`` entries, reading only those not yet
        hashed. Raises ``CommandError(UNAVAILABLE)`` if the log is shorter than ``seq``,
        ``BackendUnavailable`` if it cannot be read."""
        done, link = self._chains.get(room_id, (0, GENESIS))
        if done > seq:  # asked about an older prefix (a node behind another): start over
            done, link = 0, GENESIS
        while done < seq:
            page = await backend.read(room_id, after=done, limit=seq - done)
            if not page:
                raise CommandError(ErrorCode.UNAVAILABLE, "the log is shorter than the room; retry")
            for entry in page:
                link = hashlib.sha256(link + canonical(entry)).digest()
            done += len(page)
            self.entries_read += len(page)
        self._chains[room_id] = (done, link)
        self._chains.move_to_end(room_id)
        while len(self._chains) > self._rooms:
            self._chains.popitem(last=False)
        return link.hex()

    def rendered(
        self,
        room_id: str,
        seq: int,
        digest: str,
        fmt: str,
        lang: str,
        render: Callable[[], Rendered],
        *,
        public: bool = False,
        as_of: str = "",
    ) -> Rendered:
        """The body for these, rendered by ``render()`` unless already kept. ``as_of``:
        the day it is rendered for (a body of yesterday is not today's)."""
        key = (room_id, seq, digest, fmt, lang, public, as_of)
        body = self._bodies.get(key)
        if body is None:
            body = render()
            for old in [
                k for k in self._bodies if k[0] == room_id and (k[1] != seq or k[6] != as_of)
            ]:
                del self._bodies[old]  # only the newest seq and day of a room are worth keeping
            self._bodies[key] = body
            while len(self._bodies) > self._max_bodies:
                self._bodies.popitem(last=False)
        self._bodies.move_to_end(key)
        return body
