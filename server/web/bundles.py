"""One script per page: ``static/js/{entry}.bundle.js``, the page's modules joined by
esbuild, served in place of the entry module while it is the bundle of the sources.

Why: a page of 20 modules is 20 requests, and a browser talks HTTP/1.1 to this
server over at most 6 connections, so even with every module hinted
(pages.py) the resident's page waited 5 round trips on slow 3G (10 s at 2 s
each). One file makes it 2: the HTML, then the bundle with the stylesheet and
the room's summary.

The bundles are committed (installing Yishi needs no npm) and each names the
digest of the sources it was made from in its first line. A page is served
with its bundle only while that digest is the sources' own; otherwise with
its modules (correct, only slower), and ``tests/e2e/test_page_load.py`` fails
until someone runs, in a checkout with ``npm install`` done,

    python -m yishi.web.bundles

Modules a page imports on demand (``import()``: the English catalogue, the
WebAssembly codec) stay files of their own, so a page pays for them only when
it needs them. Bundles sit beside the modules, so the addresses the code makes
from ``import.meta.url`` (the audio worklet, the codec's files) still resolve.
Names are kept (whitespace and syntax minified only): an error in a browser
names the function it happened in.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import re
import subprocess
import sys
from pathlib import Path

SUFFIX = ".bundle.js"
BANNER = "// Made by python -m yishi.web.bundles from the sources with digest {digest}."
DIGEST = re.compile(r"from the sources with digest ([0-9a-f]{64})\.")
ON_DEMAND = re.compile(r"""\bimport\(\s*["']([^"']+)["']\s*\)""")
ENTRY = re.compile(r'<script type="module" src="/static/js/([^"/]+\.js)"></script>')


def sources(static: Path) -> list[Path]:
    """Every module a bundle may hold: ``js/`` (less the bundles) and ``i18n/``."""
    files = [*(static / "js").glob("*.js"), *(static / "i18n").glob("*.js")]
    return sorted(p for p in files if not p.name.endswith(SUFFIX))


def digest(static: Path) -> str:
    h = hashlib.sha256()
    for path in sources(static):
        h.update(f"{path.relative_to(static).as_posix()}\0".encode())
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def bundle_path(static: Path, entry: str) -> Path:
    """``js/room.js`` -> ``static/js/room.bundle.js``."""
    return static / (entry.removesuffix(".js") + SUFFIX)


def fresh(static: Path, entry: str) -> str | None:
    """The bundle to serve for ``entry`` (relative to ``static``), or None when it is
    missing or was made from other sources."""
    path = bundle_path(static, entry)
    try:
        with path.open(encoding="utf-8") as f:
            first = f.readline()
    except FileNotFoundError:
        return None
    made_from = DIGEST.search(first)
    if made_from is None or made_from.group(1) != current_digest(static):
        return None
    return path.relative_to(static).as_posix()


@functools.cache
def current_digest(static: Path) -> str:
    """Once per process: the files do not change under a running server."""
    return digest(static)


def entries(static: Path) -> list[str]:
    """Each page's entry module (``js/room.js``...), from the pages themselves."""
    found = {
        m for page in static.glob("*.html") for m in ENTRY.findall(page.read_text(encoding="utf-8"))
    }
    return [f"js/{name}" for name in sorted(found)]


def build(static: Path, esbuild: Path) -> list[Path]:
    """Write every page's bundle; returns their paths. Raises
    ``subprocess.CalledProcessError`` if esbuild fails."""
    on_demand = sorted(
        {
            spec
            for path in sources(static)
            for spec in ON_DEMAND.findall(path.read_text(encoding="utf-8"))
        }
    )
    banner = BANNER.format(digest=digest(static))
    made = []
    for entry in entries(static):
        out = bundle_path(static, entry)
        subprocess.run(
            [
                str(esbuild),
                str(static / entry),
                "--bundle",
                "--format=esm",
                "--target=es2020",
                "--minify-whitespace",
                "--minify-syntax",
                "--charset=utf8",
                "--log-level=warning",
                f"--banner:js={banner}",
                f"--outfile={out}",
                *(f"--external:{spec}" for spec in on_demand),
            ],
            check=True,
        )
        made.append(out)
    return made


def static_dir() -> Path:
    """``static/``: inside the installed package, or beside ``server/`` in a checkout."""
    package = Path(__file__).parents[1]  # server/web/ -> the package
    installed = package / "static"
    return installed if installed.is_dir() else package.parent / "static"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Make static/js/*.bundle.js with esbuild.")
    ap.add_argument("--static", type=Path, default=static_dir())
    ap.add_argument(
        "--esbuild",
        type=Path,
        default=Path("node_modules/.bin/esbuild"),
        help="the esbuild program (npm install puts it here)",
    )
    args = ap.parse_args(argv)
    for path in build(args.static, args.esbuild):
        print(f"{path}: {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
