"""Shared fixtures of the pure-core tests: plain rooms, no event loop, no server."""

from __future__ import annotations

import pytest
from hypothesis import settings
from roombuilder import Room

# The machine is shared and noisy: no per-example deadline. No example database
# either, so a run leaves nothing behind in the working tree.
settings.register_profile("core", deadline=None, database=None)
settings.load_profile("core")


@pytest.fixture
def room() -> Room:
    """A live room with its moderator online."""
    return Room.create(start=True)


@pytest.fixture
def pending_room() -> Room:
    """A room whose session has not started."""
    return Room.create()
