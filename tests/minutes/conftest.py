"""Shared fixtures: the scripted session, replayed from its entries."""

from __future__ import annotations

import pytest
from yishi.core.reducer import replay
from yishi.core.state import RoomState
from yishi.minutes import build_minutes, log_digest

from .scenario import deliberation
from .script import Script


@pytest.fixture(scope="session")
def session() -> Script:
    return deliberation()


@pytest.fixture
def state(session: Script) -> RoomState:
    """A fresh replay of the whole scripted log (tests may not share a mutable state)."""
    return replay(session.room_id, session.entries)


@pytest.fixture
def digest(session: Script) -> str:
    return log_digest(session.entries)


@pytest.fixture
def model(state: RoomState, digest: str) -> dict[str, object]:
    return build_minutes(state, digest=digest)
