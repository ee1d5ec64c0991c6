"""The code as a reviewer's tools see it: ``mypy --strict`` over the package as
installed (``yishi.*``, the names a user imports), and ``ruff`` with the rules
pinned in ``pyproject.toml``.

The repository keeps ``server/``, ``moderation/`` and ``static/`` at the top
level and installs them as one package, so mypy cannot follow ``yishi.*`` in the
source tree: the package is installed (not editable) into a folder of its own
and checked there, against the third-party packages of this environment.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600)


def test_ruff_is_clean() -> None:
    done = _run(sys.executable, "-m", "ruff", "check", "server", "moderation", "tests", "bench",
                cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict_is_clean_over_the_installed_package(tmp_path: Path) -> None:
    target = tmp_path / "site"
    built = _run(sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                 str(target), str(REPO), cwd=tmp_path)
    assert built.returncode == 0, built.stdout + built.stderr
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml"),
         "--cache-dir", str(tmp_path / "mypy-cache"), "--python-executable", sys.executable,
         "-p", "yishi"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
        env={"MYPYPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Success" in checked.stdout
