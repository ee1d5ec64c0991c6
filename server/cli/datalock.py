"""One server per data folder: ``yishi serve`` holds an exclusive lock on
``DATA_DIR/yishi.lock`` for as long as it runs.

Two servers on one SQLite file would each number entries correctly (numbering is
inside the write transaction) but each hears only its own appends, so their rooms
silently drift apart. The lock is ``flock(2)``: the kernel drops it when the process
dies however it dies, so a crash leaves no stale lock to clear by hand, and the file
holds the holder's PID so the refusal can say who has it. (The ``filelock`` package
does the same flock but keeps no PID; nothing else is needed.)

The commands that only read the folder (``yishi minutes``, ``yishi labels``, the
admin token that ``yishi room create --data-dir`` reads) take no lock: SQLite's WAL
lets them read while a server writes. None of them appends.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

LOCK_NAME = "yishi.lock"
FOLDER_MODE = 0o700  # as the backend makes it (sqlite_schema.private_files)


class FolderInUse(Exception):
    """Another live process holds the folder's lock; the message names the folder and
    the PID that holds it."""


class DataFolderLock:
    """The lock of one data folder, held from :meth:`acquire` until the process ends
    (or :meth:`release`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self.path = self.folder / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock now, or raise :class:`FolderInUse` at once (never waits);
        ``OSError`` if the folder cannot be made or the file opened."""
        self.folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise FolderInUse(
                f"the data folder {self.folder} is in use by another yishi"
                f" server (PID {holder}); one folder serves one server"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing the last descriptor drops the flock
            self._fd = None
