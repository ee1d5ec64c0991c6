"""A process that has run a browser module can run async tests after it.

tests/run.sh hands whole files to pytest-xdist workers, the largest first, so a
worker may get an async module after a browser one. Playwright's sync API keeps an
event loop running in the main thread while it is started; tests/e2e/conftest.py
stops it once the next test is not a browser test. Here a small suite in a
folder of its own uses those same fixtures: two browser tests, then an async test
and an async fixture, in one pytest process.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

HERE = Path(__file__).resolve().parent
RUN_TIMEOUT_S = 300

CONFTEST = f"""
import importlib.util
import sys

_spec = importlib.util.spec_from_file_location("yishi_e2e_conftest", {str(HERE / "conftest.py")!r})
_e2e = sys.modules["yishi_e2e_conftest"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_e2e)
# Its fixtures and hooks, as if this folder were tests/e2e.
globals().update({{name: value for name, value in vars(_e2e).items() if name[0] != "_"}})
"""

BROWSER_TESTS = """
import pytest

pytestmark = pytest.mark.e2e


def test_a_page(browser):
    page = browser.new_page()
    page.set_content("<p>一</p>")
    assert page.inner_text("p") == "一"
    page.close()


def test_another_page(browser):
    page = browser.new_page()
    page.set_content("<p>二</p>")
    assert page.inner_text("p") == "二"
    page.close()
"""

ASYNC_TESTS = """
import asyncio

import pytest


@pytest.fixture
async def ticks():
    await asyncio.sleep(0)
    yield 1
    await asyncio.sleep(0)


async def test_after_the_browser(ticks):
    await asyncio.sleep(0)
    assert ticks == 1
"""


def test_async_tests_run_after_a_browser_module_in_the_same_process(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
        "markers =\n    e2e: real headless Chromium\n"
    )
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_a_browser.py").write_text(BROWSER_TESTS)
    (tmp_path / "test_b_async.py").write_text(ASYNC_TESTS)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-q",
            "-W",
            "error",
            "test_a_browser.py",
            "test_b_async.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout, done.stdout
