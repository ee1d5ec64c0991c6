"""The pure code imports no clock, no randomness and no I/O (STYLE.md, ARCHITECTURE.md).

Every module of `server/core/` and `moderation/` is read as source and its syntax
tree inspected. `moderation/` may have one loader module that reads its word
lists from files; the package names it (a `LOADER`/`LOADER_MODULE` constant in
`moderation/__init__.py`, or its docstring naming the one impure module), and only
that one file may read files. Even the loader gets no clock, randomness,
sockets or threads.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "server" / "core"
MODERATION = REPO / "moderation"

# Modules whose mere import means a clock, randomness, concurrency or I/O.
NEVER = {
    "asyncio",
    "time",
    "random",
    "secrets",
    "uuid",
    "socket",
    "ssl",
    "select",
    "selectors",
    "threading",
    "multiprocessing",
    "concurrent",
    "subprocess",
    "signal",
    "sched",
    "trio",
    "anyio",
    "http",
    "urllib",
    "requests",
    "httpx",
    "aiohttp",
    "websockets",
    "starlette",
    "uvicorn",
    "redis",
    "sqlite3",
    "logging",
}
# I/O a loader module may use to read its data files; nobody else.
FILE_IO = {
    "os",
    "io",
    "pathlib",
    "shutil",
    "tempfile",
    "glob",
    "fnmatch",
    "importlib",
    "pkgutil",
    "fileinput",
    "mmap",
    "fcntl",
    "pickle",
    "shelve",
    "dbm",
    "zipfile",
    "tarfile",
    "gzip",
    "bz2",
    "lzma",
    "csv",
}
NEVER_CALLS = {
    "input",
    "print",
    "breakpoint",
    "exec",
    "eval",
    "compile",
    "__import__",
    "hash",
    "id",
}
FILE_CALLS = {"open"}
CLOCK_ATTRS = {
    "now",
    "today",
    "utcnow",
    "time_ns",
    "monotonic",
    "perf_counter",
    "fromtimestamp",
    "utcfromtimestamp",
}
# commands.py parses ISO dates; that is all datetime may be used for.
DATETIME_ALLOWED = {"datetime.date.fromisoformat"}


def _dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def problems(source: str, *, may_read_files: bool = False) -> list[str]:
    """Everything impure in one module's source."""
    tree = ast.parse(source)
    found: list[str] = []
    banned = NEVER | (set() if may_read_files else FILE_IO)
    calls = NEVER_CALLS | (set() if may_read_files else FILE_CALLS)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                root = alias.name.split(".")[0]
                if root in banned:
                    found.append(f"line {node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom):
            root = (node.module or "").split(".")[0]
            if node.level == 0 and root in banned:
                found.append(f"line {node.lineno}: from {node.module} import ...")
            if node.level == 0 and root == "datetime":
                names = {a.name for a in node.names}
                if names - {"date"}:
                    found.append(f"line {node.lineno}: from datetime import {sorted(names)}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in calls:
                found.append(f"line {node.lineno}: {node.func.id}()")
        elif isinstance(node, ast.Attribute):
            if node.attr in CLOCK_ATTRS:
                found.append(f"line {node.lineno}: .{node.attr}")
            dotted = _dotted(node)
            if (
                dotted
                and dotted.startswith("datetime.")
                and not any(allowed.startswith(dotted) for allowed in DATETIME_ALLOWED)
            ):
                found.append(f"line {node.lineno}: {dotted}")
    return found


def moderation_loader() -> Path | None:
    """The one file `moderation/` names as its loader, if it names one."""
    init = MODERATION / "__init__.py"
    if not init.exists():
        return None
    tree = ast.parse(init.read_text(encoding="utf-8"))
    named: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if any("LOADER" in t for t in targets) and isinstance(node.value.value, str):
                named.add(node.value.value)
    # Or in the docstring, e.g. "Everything but :mod:`.lists` is pure" or
    # "the loader, lists.py, reads the word lists".
    doc = ast.get_docstring(tree) or ""
    for line in doc.splitlines():
        if any(word in line.lower() for word in ("loader", "reads", "pure")):
            named.update(re.findall(r"[\w/]+\.py\b", line))
            named.update(re.findall(r":mod:`\.?([\w.]+)`", line))
    files = {
        MODERATION / (n.rsplit(".", 1)[-1] + ".py")
        if not n.endswith(".py")
        else MODERATION / Path(n).name
        for n in named
    }
    assert len(files) <= 1, f"moderation names more than one loader: {sorted(files)}"
    return next(iter(files), None)


def pure_modules() -> list[Path]:
    return sorted(CORE.rglob("*.py")) + sorted(MODERATION.rglob("*.py"))


@pytest.mark.parametrize("path", pure_modules(), ids=lambda p: str(p.relative_to(REPO)))
def test_pure_modules_import_no_clock_randomness_or_io(path: Path) -> None:
    loader = moderation_loader()
    found = problems(path.read_text(encoding="utf-8"), may_read_files=path == loader)
    assert not found, f"{path.relative_to(REPO)} is not pure: {found}"


def test_the_checker_catches_what_it_should() -> None:
    assert problems("import asyncio")
    assert problems("from time import monotonic")
    assert problems("import random as r")
    assert problems("import os.path")
    assert problems("from pathlib import Path")
    assert problems("with open('words.txt') as f: pass")
    assert problems("import datetime\nx = datetime.datetime.now()")
    assert problems("import datetime\nx = datetime.date.today()")
    assert problems("from datetime import datetime")
    assert problems("from datetime import date\nx = date.today()")
    assert problems("import threading")
    assert problems("x = hash('a')")  # str hashes differ between processes
    assert not problems("import datetime\nx = datetime.date.fromisoformat('2026-01-01')")
    assert not problems("from . import state\nfrom .types import Entry\nimport enum")
    assert not problems("from pathlib import Path\nopen('x')", may_read_files=True)
    assert problems("import time", may_read_files=True)


def test_moderation_names_at_most_one_loader_and_it_exists() -> None:
    loader = moderation_loader()
    assert loader is None or loader.exists(), loader


def test_the_core_has_modules_to_check() -> None:
    names = {p.name for p in CORE.glob("*.py")}
    assert {"reducer.py", "queue.py", "floor.py", "polls.py", "commands.py"} <= names
