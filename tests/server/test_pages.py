"""A page's scripts as server/web/pages.py serves them: its bundle while made from the
current modules, else its modules with a hint for each (issue 26 item 7)."""

from __future__ import annotations

import shutil
from pathlib import Path

from yishi.app import static_dir
from yishi.web import bundles, pages

HINT = '<link rel="modulepreload" href="/static/js/util.js">'


def copy_of_static(tmp_path: Path) -> Path:
    static = tmp_path / "static"
    shutil.copytree(static_dir(), static)
    return static


def test_a_fresh_bundle_is_served_alone(tmp_path: Path) -> None:
    static = copy_of_static(tmp_path)
    page = pages.with_preloads((static / "room.html").read_text(encoding="utf-8"), static)
    assert '<script type="module" src="/static/js/room.bundle.js"></script>' in page
    assert "modulepreload" not in page and "/static/js/room.js" not in page


def test_a_stale_bundle_gives_way_to_the_modules(tmp_path: Path) -> None:
    static = copy_of_static(tmp_path)
    util = static / "js" / "util.js"
    util.write_text(util.read_text(encoding="utf-8") + "\n// changed\n", encoding="utf-8")
    assert bundles.fresh(static, "js/room.js") is None
    page = pages.with_preloads((static / "room.html").read_text(encoding="utf-8"), static)
    assert '<script type="module" src="/static/js/room.js"></script>' in page
    assert HINT in page and "room.bundle.js" not in page
    # Hints come before the script, so the browser asks for all of them at once.
    assert page.index(HINT) < page.index('src="/static/js/room.js"')
