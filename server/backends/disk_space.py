"""A store's disk running out of space, told to the node's readiness.

Out of space, SQLite refuses the write (SQLITE_FULL) and the append answers
``unavailable``; acknowledged entries are safe. What must change is what the
operator sees: the node turns unready, with one log line (not one per refused
write), and ready again with the first write that succeeds.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from ..readiness import DISK_FULL, Readiness


def out_of_space(failure: BaseException | None) -> bool:
    """SQLITE_FULL, or the file system's ENOSPC / EFBIG (a file-size limit)."""
    if isinstance(failure, sqlite3.Error):
        return getattr(failure, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    return isinstance(failure, OSError) and failure.errno in (errno.ENOSPC, errno.EFBIG)


class DiskSpace:
    """Whether the last write to ``path`` failed for lack of space."""

    def __init__(self, readiness: Readiness, path: Path) -> None:
        self._readiness = readiness
        self._path = path

    def written(self, failure: BaseException | None) -> None:
        """A write failed with ``failure``, or succeeded (None)."""
        if failure is None:
            self._readiness.clear(DISK_FULL)
        elif out_of_space(failure):
            self._readiness.report(
                DISK_FULL,
                f"sqlite {self._path}: no space left for"
                f" writes ({failure}); acknowledged entries are safe",
            )
