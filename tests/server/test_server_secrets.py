"""Secrets at start-up: a short admin token stops the server, a given one is never
printed, and both secrets may come from files (out of `ps`) named on the command line
or in the environment (docs/operations.md, "Security").
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from roomclient import Api, assert_http_error
from roomharness import ADMIN, SECRET, ServerProcess, free_port, make_room


def serve(tmp_path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """`yishi serve` that is expected to stop by itself at start-up."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "yishi",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(free_port()),
            "--data-dir",
            str(tmp_path / "data"),
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={"PATH": "/usr/bin:/bin"},
    )


def test_a_short_admin_token_stops_the_server(tmp_path: Path) -> None:
    short = "only-23-characters-long"
    assert len(short) == 23
    done = serve(tmp_path, "--admin-token", short)
    assert done.returncode == 2
    assert "at least 24" in done.stderr
    assert short not in done.stderr + done.stdout


def test_a_ping_interval_out_of_range_stops_the_server(tmp_path: Path) -> None:
    for seconds in ("0", "nan", "301"):
        done = serve(tmp_path, "--ws-ping", seconds)
        assert done.returncode == 2, (seconds, done.stderr)
        assert "--ws-ping must be between 1 and 300 seconds" in done.stderr


def test_an_unreadable_secret_file_stops_the_server(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-file"
    done = serve(tmp_path, "--secret-file", str(missing))
    assert done.returncode == 2 and str(missing) in done.stderr
    empty = tmp_path / "empty"
    empty.write_text("\n")
    done = serve(tmp_path, "--admin-token-file", str(empty))
    assert done.returncode == 2 and "empty" in done.stderr


def test_a_given_admin_token_is_never_printed(tmp_path: Path) -> None:
    proc = ServerProcess(tmp_path / "data")
    proc.start()
    try:
        log = proc.log_path.read_text()
        assert "Yishi is listening" in log
        assert ADMIN not in log
    finally:
        proc.stop()


def test_a_generated_admin_token_is_printed(tmp_path: Path) -> None:
    proc = ServerProcess(tmp_path / "data", admin=None)
    proc.start()
    try:
        line = next(
            x for x in proc.log_path.read_text().splitlines() if x.startswith("Admin token:")
        )
        assert len(line.split(": ", 1)[1]) >= 24
    finally:
        proc.stop()


async def test_secrets_from_files_named_in_the_environment(tmp_path: Path) -> None:
    token_file, secret_file = tmp_path / "admin-token", tmp_path / "secret"
    token_file.write_text(ADMIN + "\n")
    secret_file.write_text(SECRET + "\n")
    proc = ServerProcess(
        tmp_path / "data",
        admin=None,
        options=["--secret-file", str(secret_file)],
        env={"YISHI_ADMIN_TOKEN_FILE": str(token_file)},
    )
    proc.start()
    api = Api(proc.base_url, ADMIN)
    try:
        assert proc.proc is not None
        command_line = Path(f"/proc/{proc.proc.pid}/cmdline").read_bytes()
        assert ADMIN.encode() not in command_line and SECRET.encode() not in command_line
        assert ADMIN not in proc.log_path.read_text()
        room = await make_room(proc, api)  # the token from the file is the admin token
        person = await room.join("甲")
        assert_http_error(
            await api.create_room_raw({"title": "x"}, token=ADMIN[:-1] + "!"), (401, "unauthorized")
        )
        # The secret from the file signs tokens: they survive a restart with the same file.
        proc.restart()
        client = await room.connect(person.token)
        assert client.you is not None
        await room.close_all()
    finally:
        await api.aclose()
        proc.stop()


async def test_secrets_from_files_named_by_options(tmp_path: Path) -> None:
    token_file = tmp_path / "admin-token"
    token_file.write_text(ADMIN)
    proc = ServerProcess(
        tmp_path / "data", admin=None, options=["--admin-token-file", str(token_file)]
    )
    proc.start()
    api = Api(proc.base_url, ADMIN)
    try:
        await make_room(proc, api)
    finally:
        await api.aclose()
        proc.stop()
