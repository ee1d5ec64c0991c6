"""Suite-wide ordering.

Playwright's sync API keeps an event loop running in the main thread from its
first use until the session ends, and pytest-asyncio cannot start its own loop
beside it: the browser tests therefore run last.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)
