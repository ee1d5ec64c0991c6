"""The server's modules import each other without a circle: every import counts, at
the top of a module, inside a function or under ``TYPE_CHECKING``, so a module can
be read (and tested) with only what is below it. The failure names each circle and
the imports that close it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TREES = {"yishi": REPO / "server", "yishi.moderation": REPO / "moderation"}


def modules() -> dict[str, Path]:
    found = {}
    for package, root in TREES.items():
        for path in root.rglob("*.py"):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path
    return found


def imported(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The modules of ``known`` that ``name`` (at ``path``) imports, however it does."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for candidate in (target, *(f"{target}.{alias.name}" for alias in node.names)):
                if candidate in known and candidate != name:
                    yield candidate
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name in known)


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while (w := stack.pop()) != v:
                component.append(w)
            if component:
                found.append(sorted([v, *component]))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_module_of_the_server_is_in_an_import_circle() -> None:
    known = modules()
    graph = {name: set(imported(name, path, known)) for name, path in known.items()}
    found = circles(graph)
    assert not found, "\n".join(
        f"circle: {', '.join(c)}\n" + "\n".join(
            f"  {a} imports {', '.join(sorted(graph[a] & set(c)))}" for a in c)
        for c in found)


def test_the_check_finds_a_circle_of_three_and_leaves_what_hangs_off_it() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [["a", "b", "c"]]
