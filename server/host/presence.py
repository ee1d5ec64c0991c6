"""Presence: a participant's sockets on this node, reported to the log as they settle.

Sockets come and go far more often than presence is worth a log entry: what is
appended is the state a change settles on, at most once a second per
participant, and a dropped connection counts only once it has lasted a moment
(it usually comes straight back).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ..backends.base import BackendUnavailable

if TYPE_CHECKING:
    from .hosting import HostedRoom

PRESENCE_INTERVAL_MS = 1000
OFFLINE_GRACE_MS = 1500
RETRY_S = 1.0  # after the log could not be reached


class PresenceReporter:
    """Appends a participant's online changes, at most one a second each.

    Sockets come and go far more often than presence is worth a log entry:
    what is appended is the state a change settles on, and a flapping
    connection within the second costs nothing.
    """

    def __init__(self, host: HostedRoom) -> None:
        self.host = host
        self.sockets: dict[str, int] = {}
        self._gone_at: dict[str, int] = {}
        self._reported: dict[str, bool] = {}
        self._last_sent: dict[str, int] = {}
        self._pending: dict[str, asyncio.Task[None]] = {}

    def connected(self, participant_id: str) -> None:
        self.sockets[participant_id] = self.sockets.get(participant_id, 0) + 1
        self._changed(participant_id)

    @property
    def busy(self) -> bool:
        """A socket is open here, or a change is still to be reported."""
        return bool(self.sockets or self._pending)

    def disconnected(self, participant_id: str) -> None:
        self.host.last_used = self.host.node.clock()
        left = self.sockets.get(participant_id, 0) - 1
        if left <= 0:
            self.sockets.pop(participant_id, None)
            self._gone_at[participant_id] = self.host.node.clock()
        else:
            self.sockets[participant_id] = left
        self._changed(participant_id)

    def _changed(self, participant_id: str) -> None:
        if participant_id not in self._pending:
            self._pending[participant_id] = self.host.node.spawn(self._report(participant_id))

    async def _report(self, participant_id: str) -> None:
        node = self.host.node
        try:
            while True:
                online = participant_id in self.sockets
                if self._reported.get(participant_id, self._state_says(participant_id)) == online:
                    return
                now = node.clock()
                last = self._last_sent.get(participant_id, -PRESENCE_INTERVAL_MS)
                wait = last + PRESENCE_INTERVAL_MS - now
                if not online:
                    # A dropped connection usually comes straight back: report the
                    # absence only once it has lasted a moment.
                    gone = self._gone_at.get(participant_id, now)
                    wait = max(wait, gone + OFFLINE_GRACE_MS - now)
                if wait > 0:
                    await asyncio.sleep(wait / 1000)
                    continue
                try:
                    args = {
                        "participant_id": participant_id,
                        "node": node.node_id,
                        "online": online,
                    }
                    if not online:
                        # When the socket went, not when the report was written: the
                        # 20 s rule for a floor holder counts from then.
                        args["since"] = self._gone_at.get(participant_id, now)
                    await node.backend.append(self.host.room_id, "presence", args=args)
                except BackendUnavailable:
                    await asyncio.sleep(RETRY_S)
                    continue
                self._reported[participant_id] = online
                self._last_sent[participant_id] = node.clock()
        finally:
            self._pending.pop(participant_id, None)

    def reannounce(self) -> None:
        self._reported.clear()
        for participant_id in list(self.sockets):
            self._changed(participant_id)

    def _state_says(self, participant_id: str) -> bool:
        person = self.host.state.participants.get(participant_id)
        return person is not None and self.host.node.node_id in person.nodes

    def stop(self) -> None:
        for task in self._pending.values():
            task.cancel()
