"""The HTML pages, served so that a weak network fetches each in two round trips.

A page's scripts are ES modules that import each other. Unhinted, the browser
learns of a module only once the module importing it has arrived: one round
trip per level of imports (on slow 3G, 2 s each, the resident's page took 25
requests made one after another). So each page goes out with a
``<link rel="modulepreload">`` for every module its entry script reaches by
static imports, found here from the files themselves (so the hints cannot
drift from the code), and, where its script's first request is known from the
address, a preload of that request too (the room's summary for the join form).
Everything then travels in the round trip after the HTML's. Where a page's
bundle is fresh (bundles.py) it is served instead of the entry module: one
request instead of twenty, since HTTP/1.1 allows six at a time.

Modules imported on demand (``import()``: the English catalogue, the
WebAssembly codec) are left out: a page that does not need them should not
pay for them.

A page has an ETag and ``no-cache``: a warm load revalidates it (a 304 when
unchanged) and never shows a page from before an upgrade. The stylesheet and
scripts it names carry their content's digest and are kept without asking.
"""

from __future__ import annotations

import functools
import hashlib
import html
import logging
import os
import re
from collections.abc import Awaitable, Callable, Iterator
from os import PathLike
from pathlib import Path
from urllib.parse import parse_qs, quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from . import bundles

logger = logging.getLogger(__name__)

STATIC_URL = "/static/"
ENTRY = re.compile(r'<script type="module" src="/static/([^"]+)"></script>')
# `import x from "./a.js"`, `import { a,\n b } from "./a.js"`, `export { a } from "./a.js"`
# and `import "./a.js"`; not `import("./a.js")`, which loads on demand.
STATIC_IMPORT = re.compile(
    r"""^\s*(?:import|export)\s[^;"'()]*?\bfrom\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']""",
    re.MULTILINE,
)


def imports_of(module: Path) -> list[Path]:
    """The modules ``module`` imports statically, resolved beside it."""
    text = module.read_text(encoding="utf-8")
    found = (a or b for a, b in STATIC_IMPORT.findall(text))
    return [(module.parent / spec).resolve() for spec in found if spec.startswith(".")]


def module_graph(entry: Path) -> list[Path]:
    """Every module ``entry`` reaches by static imports (itself excluded), in the
    order first reached. Raises ``FileNotFoundError`` for an import of a missing file."""
    seen: dict[Path, None] = {}

    def walk(module: Path) -> Iterator[Path]:
        for dep in imports_of(module):
            if dep not in seen and dep != entry:
                seen[dep] = None
                yield dep
                yield from walk(dep)

    return list(walk(entry.resolve()))


def with_preloads(page: str, static: Path) -> str:
    """``page`` loading its bundle if fresh (bundles.py), else its entry module, with a
    modulepreload link for each module that script imports."""
    match = ENTRY.search(page)
    if match is None:
        return page
    root = static.resolve()
    entry = match.group(1)
    script = bundles.fresh(root, entry)
    if script is None:
        logger.warning(
            "%s is not the bundle of the current sources: serving %s's modules"
            " (python -m yishi.web.bundles makes it)",
            bundles.bundle_path(root, entry),
            entry,
        )
        script = entry
    links = "".join(
        f'<link rel="modulepreload" href="{STATIC_URL}{dep.relative_to(root).as_posix()}">\n'
        for dep in module_graph(root / script)
    )
    tag = f'<script type="module" src="{STATIC_URL}{script}"></script>'
    return page[: match.start()] + links + tag + page[match.end() :]


# What a page loads by address (not the modulepreload hints: modules name each other
# without a digest, and a hint must be the very address the import asks for).
VERSIONED = re.compile(r'(\b(?:src|rel="(?:stylesheet|icon)" href)="/static/)([^"?#]+)"')


@functools.cache
def content_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def versioned(page: str, static: Path) -> str:
    """Each ``/static`` address the page loads, with its file's digest (``?v=``)."""

    def add(m: re.Match[str]) -> str:
        file = static / m.group(2)
        return (
            f'{m.group(1)}{m.group(2)}?v={content_digest(file)}"' if file.is_file() else m.group(0)
        )

    return VERSIONED.sub(add, page)


@functools.cache
def hinted_page(path: Path) -> str:
    """Read once per process: the files do not change under a running server."""
    static = path.parent.resolve()
    return versioned(with_preloads(path.read_text(encoding="utf-8"), static), static)


def fetch_preload(url: str) -> str:
    # `crossorigin` makes the preload's mode and credentials those of a plain fetch(),
    # so the page's own fetch() of the same address takes the preloaded response.
    return f'<link rel="preload" href="{html.escape(url)}" as="fetch" crossorigin>\n'


def page(
    static: Callable[[], Path], name: str, *, first_fetch: str | None = None
) -> Callable[[Request], Awaitable[Response]]:
    """A route handler for ``name``; ``first_fetch`` (e.g. ``/api/rooms/{room_id}``,
    filled from the path's parameters) is preloaded with the page's modules."""

    async def serve(request: Request) -> Response:
        body = hinted_page(static() / name)
        if first_fetch is not None:
            url = first_fetch.format(
                **{k: quote(str(v), safe="") for k, v in request.path_params.items()}
            )
            at = body.index("</head>")
            body = body[:at] + fetch_preload(url) + body[at:]
        etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
        headers = {"cache-control": "no-cache", "etag": etag}
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="text/html; charset=utf-8", headers=headers)

    return serve


class Assets(StaticFiles):
    """``/static``: a file asked for with its digest (``?v=``, as the pages name their
    stylesheet and scripts) is kept by the browser for good, since another content
    gets another address; any other request revalidates (ETag, ``no-cache``). Without
    a Cache-Control a browser may reuse a file it guesses fresh (a tenth of its age)
    and, after an upgrade, run new pages with old modules."""

    def file_response(
        self,
        full_path: PathLike[str] | str,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v", [""])[0]
        lasting = asked == content_digest(Path(full_path))
        response.headers["cache-control"] = (
            "public, max-age=31536000, immutable" if lasting else "no-cache"
        )
        return response
