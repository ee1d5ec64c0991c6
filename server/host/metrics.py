"""Prometheus metrics of one node (a registry per app, so tests can run several).

Nothing here counts ballots: ``yishi_commands`` leaves ``poll.vote`` out, since a
counter of votes read while a secret poll is open tells how many have voted
sooner and finer than the poll's own batched tally does. No metric has a room
label. The node-wide counters of entries, commits and frames move with every
command of every room; /metrics is for the operator (``--metrics-token``,
``--metrics-port``; docs/operations.md, "Security").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .node import Node
    from .recordings import Recordings
    from .screening import Screener


class NodeCollector:
    """Figures read from the node when scraped, rather than counted twice."""

    def __init__(self, node: Node) -> None:
        self.node = node

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        node = self.node
        yield GaugeMetricFamily(
            "yishi_rooms_hosted", "Rooms this node hosts", value=len(node.hosts)
        )
        yield CounterMetricFamily(
            "yishi_room_loads", "Rooms loaded from snapshot and log", value=node.loads
        )
        yield CounterMetricFamily(
            "yishi_room_evictions", "Idle rooms unloaded from memory", value=node.evictions
        )
        yield CounterMetricFamily(
            "yishi_entries_applied", "Log entries applied", value=node.entries_applied
        )
        yield CounterMetricFamily(
            "yishi_room_faults",
            "Log entries applied as no-ops because their handler failed (room.fault events)",
            value=node.faults,
        )
        yield CounterMetricFamily(
            "yishi_repair_reads",
            "Reads of missing log ranges",
            value=node.repair_reads + node.backend.repair_reads,
        )
        yield CounterMetricFamily(
            "yishi_backend_reconnects",
            "Reconnections to the log store",
            value=node.backend.reconnects,
        )
        yield CounterMetricFamily(
            "yishi_frames_fanned_out", "Event frames queued to sockets", value=node.frames_sent
        )
        yield CounterMetricFamily(
            "yishi_log_commits", "Durable append transactions", value=node.backend.commits
        )
        yield from _voice(node)


def _voice(node: Node) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
    voice = node.voice
    frames = CounterMetricFamily(
        "yishi_audio_frames",
        "Audio frames received from this node's sockets, by result (relayed, or why dropped)",
        labels=["result"],
    )
    for result, count in voice.frames.items():
        frames.add_metric([result], count)
    yield frames
    yield CounterMetricFamily(
        "yishi_audio_deliveries", "Audio frames sent to listening sockets", value=voice.deliveries
    )
    yield CounterMetricFamily(
        "yishi_audio_listener_drops",
        "Audio frames a slow listener's socket dropped (oldest first)",
        value=voice.dropped_by_listeners,
    )
    yield CounterMetricFamily(
        "yishi_audio_frames_from_other_nodes",
        "Audio frames heard from other nodes (through Redis)",
        value=voice.from_other_nodes,
    )
    yield CounterMetricFamily(
        "yishi_audio_frames_from_other_nodes_over_budget",
        "Audio frames heard from other nodes and dropped here: their"
        " speaker's voice budget on this node was spent",
        value=voice.over_budget_from_other_nodes,
    )
    yield GaugeMetricFamily(
        "yishi_audio_listeners",
        "Sockets listening to their room's voice",
        value=sum(len(h.voice.listeners) for h in node.hosts.values()),
    )


UNCOUNTED_COMMANDS = frozenset({"poll.vote"})


class RecordingsCollector:
    """What became of the audio frames of recording rooms, and the erasures."""

    def __init__(self, recordings: Recordings) -> None:
        self.recordings = recordings

    def collect(self) -> Iterator[CounterMetricFamily]:
        recordings = self.recordings
        recorded = CounterMetricFamily(
            "yishi_recorded_frames",
            "Audio frames of recording rooms, by fate: kept (stored),"
            " dropped (the buffer was full), lost (a store write failed)",
            labels=["fate"],
        )
        for fate, count in (
            ("kept", recordings.kept),
            ("dropped", recordings.dropped),
            ("lost", recordings.lost),
        ):
            recorded.add_metric([fate], count)
        yield recorded
        yield CounterMetricFamily(
            "yishi_recordings_erased", "Rooms' recordings erased", value=recordings.erased
        )


class ScorerCollector:
    """``yishi_moderation_scored``: texts whose verdict the moderation scorer made or
    supported, by the scorer's category and the action taken (never the text)."""

    def __init__(self, screener: Screener) -> None:
        self.screener = screener

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "yishi_moderation_scored",
            "Texts the moderation scorer held or supported a verdict on, by category and action",
            labels=["category", "action"],
        )
        for (category, action), count in sorted(self.screener.scored.items()):
            family.add_metric([category, action], count)
        yield family


class _Uncounted:
    def inc(self, amount: float = 1) -> None:
        """Counts nothing (a command ``yishi_commands`` leaves out)."""


class CommandCounter:
    """``yishi_commands`` by name and result, ``UNCOUNTED_COMMANDS`` left out."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._counter = Counter(
            "yishi_commands",
            "Commands by name and result (votes are not counted)",
            ["cmd", "result"],
            registry=registry,
        )

    def labels(self, cmd: str, result: str) -> Counter | _Uncounted:
        if cmd in UNCOUNTED_COMMANDS:
            return _Uncounted()
        return self._counter.labels(cmd, result)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.sockets = Gauge("yishi_sockets", "Open WebSocket connections", registry=self.registry)
        self.sockets_by_path = Gauge(
            "yishi_sockets_by_path",
            "Open WebSocket connections by path: native (Yishi's own protocol), direct"
            " (uvicorn's protocol, frames to the transport) or asgi",
            ["path"],
            registry=self.registry,
        )
        for path in ("native", "direct", "asgi"):
            self.sockets_by_path.labels(path)
        self.commands = CommandCounter(self.registry)
        self.slow_closed = Counter(
            "yishi_slow_clients_closed",
            "Sockets closed with 4008 (could not keep up)",
            registry=self.registry,
        )
        self.http_joins = Counter(
            "yishi_joins", "Join attempts by result", ["result"], registry=self.registry
        )
        self.backend_latency = Histogram(
            "yishi_backend_latency_seconds", "Backend ping round trip", registry=self.registry
        )

    def watch(self, node: Node) -> None:
        self.registry.register(NodeCollector(node))

    def watch_recordings(self, recordings: Recordings) -> None:
        self.registry.register(RecordingsCollector(recordings))

    def watch_screener(self, screener: Screener) -> None:
        self.registry.register(ScorerCollector(screener))

    def render(self) -> bytes:
        return generate_latest(self.registry)
