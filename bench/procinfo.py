"""CPU time and resident memory of server processes, read from /proc (Linux).

A server may run helper processes, so each figure covers the process and all
its descendants.
"""

from __future__ import annotations

import os

_TICK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            raw = f.read()
    except OSError:
        return None
    # The command name may contain spaces; fields after it start past the last ')'.
    return raw[raw.rindex(")") + 2 :].split()


def _tree(pids: list[int]) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry))
    out: list[int] = []
    todo = list(pids)
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _tcp_rows() -> list[tuple[int, int, int, int, int]]:
    """(local port, remote port, state, tx queue, rx queue) of every IPv4 TCP socket."""
    rows = []
    try:
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                fields = line.split()
                tx, rx = (int(x, 16) for x in fields[4].split(":"))
                rows.append(
                    (
                        int(fields[1].rsplit(":", 1)[1], 16),
                        int(fields[2].rsplit(":", 1)[1], 16),
                        int(fields[3], 16),
                        tx,
                        rx,
                    )
                )
    except OSError:
        pass
    return rows


def tcp_queues(ports: set[int]) -> int:
    """Bytes the kernel holds for loopback connections whose client uses one of ``ports``.

    Sums the server side's send queue and the client side's receive queue, from
    /proc/net/tcp: what a stalled reader costs outside the server's own memory.
    """
    total = 0
    for local, remote, _, tx, rx in _tcp_rows():
        if remote in ports:
            total += tx
        elif local in ports:
            total += rx
    return total


def server_open(ports: set[int]) -> set[int]:
    """Which of these client ports the server side still holds ESTABLISHED.

    A client that does not read never sees the server close: the FIN waits
    behind the unsent data. The server's socket leaves ESTABLISHED (FIN_WAIT1)
    as soon as the server closes it, or vanishes on a reset.
    """
    return {remote for _, remote, state, _, _ in _tcp_rows() if remote in ports and state == 1}


def usage(pids: list[int]) -> tuple[float, int]:
    """(CPU seconds, RSS bytes) summed over ``pids`` and their descendants."""
    cpu = 0.0
    rss = 0
    for pid in _tree(pids):
        fields = _stat(pid)
        if fields is None:
            continue
        # utime and stime are fields 14 and 15 of stat, rss is field 24 (1-based).
        cpu += (int(fields[11]) + int(fields[12])) / _TICK
        rss += int(fields[21]) * _PAGE
    return cpu, rss
