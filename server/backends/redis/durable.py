"""When an appended entry may be shown: once it is as durable as the operator asked.

A master that dies between an append and its replication takes the entry with
it; a replica promoted in its place never had it. An entry shown or
acknowledged before its replica had it would then be a phantom: held by
clients, absent from the log, its seq soon reused by another entry. So:

1. **One mark per room.** ``yishi:{room}:durable`` is the last seq known to be
   durable. Nothing past it is shown: it is the room's stored seq for every
   reader (cursors, audits, ``last_seq``), and reads of the log stop at it
   (:func:`shown_rows`). A log from before the mark has none; its seq stands
   for it.
2. **No replica to wait for** (``wait=0``, one server with none): the append
   script stores, marks and publishes at once. ``appendfsync always`` has made
   it durable before any reply or message leaves Redis.
3. **Replicas to wait for**: the script stores the entry *held* (neither
   marked nor published), the same pipeline ends with ``WAIT n`` (one
   connection: WAIT waits for that connection's writes), and only if ``n``
   replicas confirm does :func:`show` raise the mark and publish the entries.
   Otherwise the append fails as ``unavailable``; the entry stays in the stream
   past the mark, unseen, until a later confirmed append raises the mark past
   it (a retry with the same nonce is one): it is then shown in its place, and
   the retry answered from it, by the log's own rule for repeated nonces.
4. **How many replicas** is read from the topology with every batch (on a
   cluster, ``CLUSTER NODES`` in the batch's own pipeline, run before its
   appends), never from a map that may be seconds old. Fewer replicas
   confirming than the topology listed makes the batch unavailable.
5. **A mark behind what was shown** (:func:`catch_up`): a master that dies after
   raising the mark and publishing, before the mark reached its replica, leaves
   the promoted replica holding the shown entries (WAIT confirmed them) under
   an older mark. A node that finds the mark below the entry it delivered last,
   and that very entry (same seq, stamp and body) in the log, raises the mark to
   it: they were durable when shown, and stay shown. Only a log that lacks the
   entry, or holds another one at its seq, lost it (the room is read again).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode

from ...core.types import Entry
from ..base import BackendUnavailable, unpack_entry
from . import keys

WAIT_TIMEOUT_MS = 1000  # how long an append waits for its replicas (then: unavailable)

AppendItem = tuple[str, bytes, str]
"""One append of a batch: ``(room_id, body, now)`` (``now``: ms, or "" for Redis TIME)."""


def split_wait(url: str, *, default: int) -> tuple[str, int]:
    """``url`` without its ``wait=N`` (replicas that must confirm each append), and N.

    Raises ``ValueError`` for a ``wait`` that is not a number.
    """
    base, _, query = url.partition("?")
    pairs = parse_qsl(query, keep_blank_values=True)
    waits = [value for name, value in pairs if name == "wait"]
    wait = waits[-1] if waits else str(default)
    if not wait.isdigit():
        raise ValueError(f"wait= in a Redis URL must be a number of replicas, not {wait!r}")
    rest = urlencode([(name, value) for name, value in pairs if name != "wait"])
    return (f"{base}?{rest}" if rest else base), int(wait)


def queue_appends(pipe: Any, script: str, items: Sequence[AppendItem], *, held: bool) -> None:
    """Queue the append script for each item on ``pipe`` (rule 2, or held: rule 3)."""
    flag = "1" if held else "0"
    for room_id, body, now in items:
        pipe.eval(
            script,
            3,
            keys.seq_key(room_id),
            keys.log_key(room_id),
            keys.durable_key(room_id),
            body,
            keys.channel(room_id),
            now,
            flag,
        )


def replicas_listed(cluster_nodes: object) -> int | None:
    """The replicas ``CLUSTER NODES`` (as the master itself answers it) lists for that
    master, not counting those the cluster agreed have failed; None if unreadable.

    A replica only suspected (``fail?``) counts: it may be merely slow, and then the
    append waits for it rather than going on with one copy.
    """
    if isinstance(cluster_nodes, bytes):
        cluster_nodes = cluster_nodes.decode()
    if not isinstance(cluster_nodes, str):
        return None
    rows = [line.split() for line in cluster_nodes.splitlines() if line.strip()]
    me = [row[0] for row in rows if len(row) > 3 and "myself" in row[2].split(",")]
    if len(me) != 1:
        return None
    return sum(
        1
        for row in rows
        if len(row) > 3
        and row[3] == me[0]
        and not {"fail", "noaddr", "handshake"} & set(row[2].split(","))
    )


def settle(
    items: Sequence[AppendItem], replies: list[Any], *, where: str, unconfirmed: str | None
) -> list[Any]:
    """Each item's ``[seq, at]`` reply or the exception it met (``unconfirmed``: why the
    replicas did not confirm, which fails every stored entry of the batch)."""
    results: list[Any] = []
    for reply in replies[: len(items)]:
        if isinstance(reply, Exception):
            results.append(BackendUnavailable(f"append on {where}: {reply}"))
        elif unconfirmed is not None:
            results.append(BackendUnavailable(f"append on {where} {unconfirmed}"))
        else:
            results.append(reply)
    return results


async def show(client: Any, script: str, items: Sequence[AppendItem], results: list[Any]) -> None:
    """Rule 3, after WAIT confirmed: raise each room's mark to its last entry of the
    batch and publish the batch's entries in seq order, in one pipeline. Raises what
    the pipeline raises (the entries are durable, but not shown yet)."""
    by_room: dict[str, list[bytes]] = {}
    last: dict[str, int] = {}
    for (room_id, body, _), result in zip(items, results):
        if isinstance(result, Exception):
            continue
        seq, at = int(result[0]), int(result[1])
        by_room.setdefault(room_id, []).append(b"%d %d " % (seq, at) + body)
        last[room_id] = max(last.get(room_id, 0), seq)
    if not by_room:
        return
    pipe = client.pipeline(transaction=False)
    for room_id, messages in by_room.items():
        pipe.eval(
            script, 1, keys.durable_key(room_id), last[room_id], keys.channel(room_id), *messages
        )
    await pipe.execute()


def queue_marks(pipe: Any, rooms: Sequence[str]) -> None:
    """Queue, for each room, the reads :func:`marks` turns into its stored seq."""
    for room_id in rooms:
        pipe.get(keys.durable_key(room_id))
        pipe.get(keys.seq_key(room_id))


def marks(replies: Sequence[Any]) -> list[int]:
    """Each room's shown seq from :func:`queue_marks`' replies: its mark (rule 1), or
    its seq where the log has no mark."""
    pairs = zip(replies[0::2], replies[1::2])
    return [int(mark if mark is not None else seq or 0) for mark, seq in pairs]


def shown_rows(rows: list[Any], mark: int) -> list[Any]:
    """The stream rows (``XRANGE`` replies) at or below the room's mark."""
    return [row for row in rows if int(bytes(row[0]).split(b"-", 1)[0]) <= mark]


async def catch_up(link: Any, room_id: str, shown: Entry) -> bool:
    """Rule 5: raise the room's mark to ``shown``, the entry a node delivered last, if
    the log holds that very entry at its seq; False if it does not (the log lost it).
    Raises :class:`BackendUnavailable` if Redis cannot say."""
    row_id = f"{shown.seq}-0"
    rows = await link.call(
        "XRANGE", lambda r: r.xrange(keys.log_key(room_id), min=row_id, max=row_id)
    )
    if not rows:
        return False
    fields = rows[0][1]
    try:
        held = unpack_entry(shown.seq, int(fields[b"a"]), bytes(fields[b"b"]))
    except Exception:  # noqa: BLE001  (a damaged row is not the entry shown)
        return False
    if held != shown:
        return False
    # The row never changes once written (stream ids only grow): the mark may rise to it.
    # No message goes with it: the entries were published when they were shown.
    await link.call(
        "EVAL",
        lambda r: r.eval(
            keys.CONFIRM, 1, keys.durable_key(room_id), shown.seq, keys.channel(room_id)
        ),
    )
    return True
