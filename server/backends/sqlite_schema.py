"""The tables of the SQLite file (``sqlite://``, the one-box default), and the modes
its folder and files are made with."""

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
