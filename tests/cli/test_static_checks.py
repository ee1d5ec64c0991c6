"""The code as a reviewer's tools see it: ``mypy --strict`` over the package as
installed (``yishi.*``, the names a user imports), ``ruff`` with the rules
pinned in ``pyproject.toml``, and ``ruff format``.

The repository keeps ``server/``, ``moderation/`` and ``static/`` at the top
level and installs them as one package, so mypy cannot follow ``yishi.*`` in the
source tree by itself. It is checked twice, against the third-party packages of
this environment: as installed (not editable) into a folder of its own, from a
copy of the tracked files (a ``build/`` left by an older tree would add modules
that no longer exist); and as the tree itself, through a folder ``yishi`` whose
entries link to ``server/``'s and ``moderation/``, so what mypy reports are the
checkout's own files.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600)


def test_ruff_is_clean() -> None:
    done = _run(
        sys.executable, "-m", "ruff", "check", "server", "moderation", "tests", "bench", cwd=REPO
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format_is_kept() -> None:
    """The code as ``ruff format`` writes it (adopted in one commit): a diff shows what
    changed, never how it was laid out."""
    done = _run(
        sys.executable,
        "-m",
        "ruff",
        "format",
        "--check",
        "--diff",
        "server",
        "moderation",
        "tests",
        "bench",
        cwd=REPO,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr


def _mypy(where: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(REPO / "pyproject.toml"),
            "--cache-dir",
            str(cache),
            "--python-executable",
            sys.executable,
            "-p",
            "yishi",
        ],
        cwd=cache.parent,
        capture_output=True,
        text=True,
        timeout=600,
        env={"MYPYPATH": str(where), "PATH": "/usr/bin:/bin"},
    )


def test_mypy_strict_is_clean_over_the_installed_package(tmp_path: Path) -> None:
    tracked = _run("git", "ls-files", "-z", cwd=REPO).stdout.split("\0")
    source = tmp_path / "source"
    for name in filter(None, tracked):
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    target = tmp_path / "site"
    built = _run(
        sys.executable,
        "-m",
        "pip",
        "install",
        "-q",
        "--no-deps",
        "--target",
        str(target),
        str(source),
        cwd=tmp_path,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    checked = _mypy(target, tmp_path / "mypy-cache")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Success" in checked.stdout


def test_mypy_strict_is_clean_over_the_source_tree(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    package = tree / "yishi"
    package.mkdir(parents=True)
    for entry in (REPO / "server").iterdir():
        if entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    (package / "moderation").symlink_to(REPO / "moderation")
    checked = _mypy(tree, tmp_path / "mypy-cache")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Success" in checked.stdout
