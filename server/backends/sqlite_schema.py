"""The tables of the SQLite file (``sqlite://``, the one-box default), and the modes
its folder and files are made with."""

from __future__ import annotations

import os
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    room TEXT NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL, body BLOB NOT NULL,
    PRIMARY KEY (room, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rooms (
    room TEXT PRIMARY KEY, last_seq INTEGER NOT NULL, last_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots (
    room TEXT PRIMARY KEY, seq INTEGER NOT NULL, blob BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ballot_keys (key_id TEXT PRIMARY KEY, key BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS recordings (
    id INTEGER PRIMARY KEY, room TEXT NOT NULL, turn TEXT NOT NULL, speaker TEXT NOT NULL,
    seq INTEGER NOT NULL, ts INTEGER NOT NULL, data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS recordings_by_turn ON recordings (room, turn, id);
"""
FOLDER_MODE = 0o700  # the data folder: its files hold the log, the tokens' key, ballot keys
FILE_MODE = 0o600  # the database; SQLite gives its -wal and -shm files the same mode


def private_files(path: Path) -> None:
    """Make the database's folder 0700 and the database (and any -wal, -shm) 0600,
    creating them so: the log, the tokens' signing key and the ballot keys are this
    user's alone."""
    folder = path.parent
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    if folder.stat().st_uid == os.getuid():  # a folder of someone else's is theirs to set
        folder.chmod(FOLDER_MODE)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, FILE_MODE))
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if name.exists():
            name.chmod(FILE_MODE)
