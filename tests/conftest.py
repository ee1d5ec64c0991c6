"""Suite-wide ordering: the browser tests last, the cheap checks first.

Playwright's sync API keeps an event loop running in the main thread while it is
started, and pytest-asyncio cannot start its own loop beside it: tests/e2e/conftest.py
stops Playwright once the next test is not a browser test, so a pytest-xdist worker
(tests/run.sh) can run async tests after browser tests too.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)
