"""The command line and the wheel, as a newcomer meets them."""

from __future__ import annotations

import json
import os
import site
import socket
import subprocess
import sys
import time
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YISHI_")}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


def wait_healthy(base: str, proc: subprocess.Popen[str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stdout.read() if proc.stdout else ''}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)  # polling a port that is not open yet: there is no event to wait on
    raise AssertionError("server did not become healthy")


@pytest.fixture
def server_from_env(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str], Path]]:
    """`yishi serve` configured only through YISHI_* variables, admin token generated."""
    port = free_port()
    data = tmp_path / "data"
    proc = subprocess.Popen(
        [sys.executable, "-m", "yishi", "serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        stdin=subprocess.DEVNULL,
        env=clean_env(YISHI_PORT=str(port), YISHI_DATA_DIR=str(data)),
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc)
        yield f"http://127.0.0.1:{port}", proc, data
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_serve_prints_address_and_generated_admin_token_which_works(server_from_env) -> None:  # type: ignore[no-untyped-def]
    base, proc, data = server_from_env
    assert proc.stdout is not None
    lines = [proc.stdout.readline() for _ in range(2)]
    assert base in lines[0]
    token = lines[1].split("Admin token:")[1].strip()
    created = httpx.post(
        f"{base}/api/rooms",
        json={"title": "停车议事"},
        headers={"authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201
    refused = httpx.post(
        f"{base}/api/rooms", json={"title": "x"}, headers={"authorization": "Bearer wrong"}
    )
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"

    # `yishi room create` finds the admin token in the data folder and draws a QR code.
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "yishi",
            "room",
            "create",
            "--title",
            "垃圾分类",
            "--server",
            base,
            "--data-dir",
            str(data),
        ],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
        check=True,
    ).stdout
    assert "Moderator link:" in out and "#token=" in out
    invite = next(line.split()[-1] for line in out.splitlines() if line.startswith("Invite link:"))
    assert invite.startswith(f"{base}/r/") and "?invite=" in invite
    assert "█" in out  # the QR code

    # `yishi community create` likewise: the public page, the staff link, the QR code.
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "yishi",
            "community",
            "create",
            "--name",
            "幸福里社区",
            "--server",
            base,
            "--data-dir",
            str(data),
        ],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
        check=True,
    ).stdout
    page = next(line.split()[-1] for line in out.splitlines() if line.startswith("Public page:"))
    assert page.startswith(f"{base}/c/") and "/staff#" in out and "█" in out
    summary = httpx.get(f"{base}/api/communities/{page.rsplit('/', 1)[-1]}").json()
    assert summary["name"] == "幸福里社区"


def test_public_url_defaults_to_a_lan_address_when_listening_everywhere() -> None:
    from yishi.config import default_public_url

    url = default_public_url("0.0.0.0", 8000)
    assert url.startswith("http://") and url.endswith(":8000")
    assert "0.0.0.0" not in url
    assert default_public_url("127.0.0.1", 9000) == "http://127.0.0.1:9000"


def running_site_dirs() -> list[str]:
    """The site directories the running interpreter imports its dependencies from.

    Inside a venv these are the venv's own (plus the base's when the venv was made with
    system site packages); outside one, the interpreter's and the user's.
    """
    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    return [d for d in dirs if Path(d).is_dir()]


def test_wheel_carries_pages_and_word_lists_and_serves_them(tmp_path: Path) -> None:
    """A plain, non-editable install serves the pages and loads the moderation data."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        check=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("yishi-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for page in ("room.html", "moderator.html", "minutes.html", "index.html"):
        assert f"yishi/static/{page}" in names
    assert any(n.startswith("yishi/moderation/data/") for n in names)
    assert not any(n.startswith(("server/", "tests/")) for n in names)

    # A venv of its own holding only the wheel's files. Its dependencies come from the
    # running interpreter's site directories, named one per line in a .pth file: that
    # works from inside a venv (where system_site_packages would see the base
    # interpreter, not this venv) and outside one, needs no index and takes no time.
    # Plain path lines do not run the .pth files found there, so the checkout's
    # editable finder stays out, and the venv's own site directory comes first.
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=False, with_pip=False)
    python = env_dir / "bin" / "python"
    site_dir = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site_dir)
    (Path(site_dir) / "_running_site_dirs.pth").write_text(
        "".join(f"{d}\n" for d in running_site_dirs())
    )

    probe = (
        "import yishi, yishi.app as a, yishi.moderation as m;"
        "print(yishi.__file__); print((a.static_dir() / 'room.html').is_file());"
        "print(type(m.load_pipeline()).__name__)"
    )
    out = subprocess.run(
        [str(python), "-c", probe],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=clean_env(),
        check=True,
    ).stdout.split()
    assert out[0].startswith(site_dir), out
    assert out[1] == "True"

    # And `yishi serve` from that install serves a room page.
    port = free_port()
    proc = subprocess.Popen(
        [str(python), "-m", "yishi", "serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=tmp_path,
        env=clean_env(YISHI_PORT=str(port), YISHI_DATA_DIR=str(tmp_path / "data")),
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, proc)
        page = httpx.get(f"{base}/r/any-room")
        assert page.status_code == 200 and "<html" in page.text.lower()
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_minutes_command_reads_the_stored_log(server_from_env) -> None:  # type: ignore[no-untyped-def]
    base, proc, data = server_from_env
    assert proc.stdout is not None
    proc.stdout.readline()
    token = proc.stdout.readline().split("Admin token:")[1].strip()
    room = httpx.post(
        f"{base}/api/rooms",
        json={"title": "加装电梯"},
        headers={"authorization": f"Bearer {token}"},
    ).json()
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "yishi",
            "minutes",
            room["room_id"],
            "--format",
            "json",
            "--data-dir",
            str(data),
        ],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
        check=True,
    ).stdout
    assert json.loads(out)["title"] == "加装电梯"


def test_a_second_server_on_the_same_data_folder_exits_at_once_naming_the_holder(
    server_from_env,
) -> None:  # type: ignore[no-untyped-def]
    base, proc, data = server_from_env
    second = subprocess.run(
        [sys.executable, "-m", "yishi", "serve", "--port", str(free_port())],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        env=clean_env(YISHI_DATA_DIR=str(data)),
    )
    assert second.returncode == 1, second.stdout + second.stderr
    assert f"the data folder {data.resolve()} is in use" in second.stderr
    assert f"(PID {proc.pid})" in second.stderr
    assert "Yishi is listening" not in second.stdout
    # Reading the folder while the server runs is allowed (SQLite WAL): nothing appends.
    labels = subprocess.run(
        [sys.executable, "-m", "yishi", "labels", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
    )
    assert labels.returncode == 0, labels.stderr
    assert httpx.get(f"{base}/readyz").status_code == 200  # the first one serves on


def test_the_data_folder_is_free_again_once_its_server_stops(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for _ in range(2):  # the second start finds the lock the first one dropped
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "yishi", "serve", "--port", str(port), "--data-dir", str(data)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            stdin=subprocess.DEVNULL,
            env=clean_env(),
        )
        try:
            wait_healthy(f"http://127.0.0.1:{port}", proc)
        finally:
            proc.kill()  # a killed server's lock goes with it (flock): no stale lock
            proc.wait(10)
            assert proc.stdout is not None
            proc.stdout.close()
