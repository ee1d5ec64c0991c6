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
                base = package[: len(package) - node.level + 1]
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
        f"circle: {', '.join(c)}\n"
        + "\n".join(f"  {a} imports {', '.join(sorted(graph[a] & set(c)))}" for a in c)
        for c in found
    )


# The layers, bottom up (docs/layers.md): a module may import its own layer's and those
# below; web and sockets are siblings that never import each other.
SHARED = {
    "config",
    "readiness",
    "redact",
    "tokens",
    "ratelimit",
    "wire",
    "clientlog",
    "uvicorn_parts",
}
LAYERS = {
    "core": 0,
    "moderation": 0,
    "shared": 1,
    "backends": 2,
    "minutes": 2,
    "host": 3,
    "services": 4,
    "web": 5,
    "sockets": 5,
    "app": 6,
    "cli": 7,
    "__main__": 8,
}


def layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "package"
    return "shared" if parts[1] in SHARED else parts[1]


def test_imports_go_down_the_layers_only() -> None:
    known = modules()
    assert {layer(m) for m in known} - {"package"} <= set(LAYERS), (
        "a module outside the layers: put it in one (docs/layers.md)"
    )
    upward = []
    for name, path in known.items():
        mine = layer(name)
        for target in imported(name, path, known):
            theirs = layer(target)
            if theirs == "package" or mine == "package" or theirs == mine:
                continue
            if LAYERS[theirs] >= LAYERS[mine]:
                upward.append(f"{name} ({mine}) imports {target} ({theirs})")
    assert not upward, "\n".join(sorted(upward))


def test_the_server_folder_holds_at_most_twelve_modules() -> None:
    loose = sorted(p.name for p in TREES["yishi"].glob("*.py"))
    assert len(loose) <= 12, loose


def test_no_module_is_over_500_lines() -> None:
    long = {
        name: n
        for name, path in modules().items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert not long, long


def test_one_module_imports_uvicorns_internals() -> None:
    """uvicorn promises its ``Config`` and ``Server``, not its protocols: what Yishi
    builds on of those is imported in server/uvicorn_parts.py, version-checked there."""
    importers = set()
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            if any(n.startswith("uvicorn.") for n in names):
                importers.add(name)
    assert importers == {"yishi.uvicorn_parts"}, importers


def test_the_check_finds_a_circle_of_three_and_leaves_what_hangs_off_it() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [["a", "b", "c"]]
