"""Fixtures for the browser tests: a real `yishi serve` subprocess, Debian's
Chromium driven by Playwright (no browser download), rooms made through the
HTTP API, screenshots and the axe-core audit.

The pages are driven the way people use them: by visible labels and roles.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ADMIN = "e2e-admin-token-0123456789"
SECRET = "e2e-secret-key-abcdefghijklmnop"
# A bound, not a pause: with four workers and others' suites on two cores, a start took
# over 30 s once (load 49).
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
# Playwright waits (milliseconds): generous, the machine is shared.
WAIT_MS = 15_000
expect.set_options(timeout=WAIT_MS)

PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}
WIDTHS = {360: PHONE, 1280: DESKTOP}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`python3 -m yishi serve` on a free port with its own data folder
    (`extra_args`: more options, e.g. `--redis URL` for a node of a cluster)."""

    def __init__(self, data_dir: Path, *, extra_args: Sequence[str] = ()) -> None:
        self.data_dir = data_dir
        self.extra_args = list(extra_args)
        self.port = free_port()
        self.log_path = data_dir.parent / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        env = {k: v for k, v in os.environ.items() if not k.startswith("YISHI_")}
        env["PYTHONUNBUFFERED"] = "1"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "yishi",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
                "--admin-token",
                ADMIN,
                "--secret",
                SECRET,
                *self.extra_args,
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        delay = 0.05
        while True:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"server exited at start:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=1) as res:
                    if res.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"server not healthy in {START_TIMEOUT_S}s:\n{self.log_tail()}")
            # Polling /healthz: the process gives no other signal that it listens.
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=STOP_TIMEOUT_S)
            self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def request(
        self, method: str, path: str, *, token: str | None = None, body: Any = None
    ) -> tuple[int, bytes]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.base_url}{path}", data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                return res.status, res.read()
        except urllib.error.HTTPError as err:
            with err:
                return err.code, err.read()

    def create_room(self, **body: Any) -> Room:
        status, raw = self.request("POST", "/api/rooms", token=ADMIN, body=body)
        assert status == 201, (status, raw)
        r = json.loads(raw)
        return Room(
            server=self,
            room_id=r["room_id"],
            moderator_token=r["moderator_token"],
            moderator_url=r["moderator_url"],
            invite_url=r["invite_url"],
            invite_code=r["invite_code"],
        )


@dataclass(frozen=True)
class Room:
    server: Server
    room_id: str
    moderator_token: str
    moderator_url: str
    invite_url: str
    invite_code: str

    @property
    def minutes_url(self) -> str:
        return f"{self.server.base_url}/r/{self.room_id}/minutes"


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(tmp_path_factory.mktemp("yishi-e2e") / "data")
    srv.start()
    yield srv
    srv.stop()


class Chromium:
    """Playwright and Debian's Chromium, started by the first browser test of a run of
    them and stopped once the next test is not one (`pytest_runtest_teardown` below).

    Not for the whole session: Playwright's sync API keeps an event loop running in the
    main thread while it is started, and pytest-asyncio cannot run a test beside it. A
    pytest-xdist worker (tests/run.sh) may be handed async tests after browser tests;
    between browser tests, in one module or the next, the browser stays up.
    """

    def __init__(self) -> None:
        self._stack = ExitStack()
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    def playwright(self) -> Playwright:
        if self._playwright is None:
            self._playwright = self._stack.enter_context(sync_playwright())
        return self._playwright

    def browser(self) -> Browser:
        if self._browser is None:
            self._browser = self.playwright().chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
        return self._browser

    def stop(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._browser = None
        self._playwright = None
        self._stack.close()


CHROMIUM_RUNNING = Chromium()


@pytest.fixture(scope="module")
def playwright() -> Playwright:
    return CHROMIUM_RUNNING.playwright()


@pytest.fixture
def browser() -> Browser:
    return CHROMIUM_RUNNING.browser()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After the test's own fixtures (its pages, a module's browser) are torn down."""
    try:
        return (yield)
    finally:
        if nextitem is None or nextitem.get_closest_marker("e2e") is None:
            CHROMIUM_RUNNING.stop()


class Pages:
    """Browser contexts opened by one test: each a separate person (own storage)."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.contexts: list[BrowserContext] = []
        self.errors: list[str] = []

    def open(self, url: str | None, *, width: int = 360, locale: str = "zh-CN") -> Page:
        """A new person's browser at `width` px; goes to `url` unless it is None."""
        ctx = self.browser.new_context(viewport=WIDTHS[width], locale=locale, device_scale_factor=1)
        ctx.set_default_timeout(WAIT_MS)
        self.contexts.append(ctx)
        page = ctx.new_page()
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))
        if url is not None:
            page.goto(url)
        return page

    def close(self) -> None:
        for ctx in self.contexts:
            ctx.close()


@pytest.fixture
def pages(browser: Browser) -> Iterator[Pages]:
    p = Pages(browser)
    yield p
    p.close()
    assert not p.errors, p.errors


class Closing(Protocol):
    def close(self) -> None: ...


@pytest.fixture
def people() -> Iterator[list[Closing]]:
    """What a test opens besides pages (test_resident_page.People: the moderators' and
    neighbours' sockets), closed at its end."""
    made: list[Closing] = []
    yield made
    for p in made:
        p.close()


def screenshot(page: Page, name: str) -> Path:
    """Write test-artifacts/screenshots/NAME-WIDTH.png (the whole page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"] if page.viewport_size else 0
    path = SCREENSHOTS / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.0/2.1/2.2 A and AA rules) on the page as it is now."""
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm install` in tests/e2e (tests/run.sh does)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated, not added as a <script>: the pages' policy forbids inline script.
        page.evaluate(AXE.read_text() + "\n;undefined")
    result: dict[str, Any] = page.evaluate(
        """async () => {
            const r = await axe.run(document, {
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']},
                resultTypes: ['violations'],
            });
            return {violations: r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary})),
            }))};
        }"""
    )
    return list(result["violations"])


def assert_accessible(page: Page, name: str) -> None:
    """Screenshot the page, then check it: axe-core finds nothing, nothing
    scrolls sideways (reflow), and every control is at least 44 px square."""
    screenshot(page, name)
    violations = axe_violations(page)
    assert not violations, f"{name}: " + json.dumps(violations, ensure_ascii=False, indent=1)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: scrolls sideways by {overflow}px"
    small = page.evaluate(
        """() => Array.from(document.querySelectorAll(
              'button, select, textarea, summary, a.btn, input:not([type=checkbox]):not([type=radio])'))
            .filter(el => el.offsetParent !== null)
            .map(el => [el, el.getBoundingClientRect()])
            .filter(([el, r]) => r.width < 44 || r.height < 44)
            .map(([el, r]) => `${el.outerHTML.slice(0, 80)} ${Math.round(r.width)}x${Math.round(r.height)}`)"""
    )
    assert not small, f"{name}: targets under 44px: {small}"
