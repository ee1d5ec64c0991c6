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
