"""moderation/ is pure: only the loader may import anything that reads or waits (the
offline trainer, ``retrain.py``, reads and writes through the loader's helpers, and the
pipeline never imports it)."""

from __future__ import annotations

import ast
from pathlib import Path

import yishi.moderation

PACKAGE = Path(yishi.moderation.__file__).parent
LOADER = "lists.py"
FORBIDDEN = {
    "asyncio",
    "time",
    "random",
    "os",
    "io",
    "pathlib",
    "socket",
    "threading",
    "subprocess",
    "datetime",
    "importlib",
    "shutil",
    "tempfile",
    "urllib",
    "http",
    "opencc",
    "secrets",
    "uuid",
    "sys",
}
FORBIDDEN_CALLS = {"open", "input", "print", "exec", "eval", "__import__"}


def _imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _calls(tree: ast.AST) -> set[str]:
    return {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }


def test_every_module_but_the_loader_is_pure() -> None:
    modules = sorted(p for p in PACKAGE.glob("*.py") if p.name not in (LOADER, "__init__.py"))
    assert len(modules) >= 8
    for path in modules:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert not _imports(tree) & FORBIDDEN, path.name
        assert not _calls(tree) & FORBIDDEN_CALLS, path.name


def test_the_package_init_only_re_exports() -> None:
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    assert not _imports(tree) & FORBIDDEN
    assert all(isinstance(node, (ast.Expr, ast.ImportFrom, ast.Assign)) for node in tree.body)


def test_a_lexicon_can_be_built_without_files() -> None:
    from yishi.moderation import Pipeline, parse_lexicon
    from yishi.moderation.lists import read_data

    files = read_data()
    files["abuse.txt"] += "\n测试脏话\n"
    pipeline = Pipeline(
        parse_lexicon(files, char_table={"測": "测", "試": "试", "髒": "脏", "話": "话"})
    )
    assert pipeline.check("這是測試髒話").action.value == "hold"


def test_the_pipeline_never_imports_the_trainer() -> None:
    for path in PACKAGE.glob("*.py"):
        if path.name != "retrain.py":
            assert "retrain" not in _imports(ast.parse(path.read_text(encoding="utf-8"))) | {
                node.module
                for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                if isinstance(node, ast.ImportFrom) and node.module
            }, path.name
