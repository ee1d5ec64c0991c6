"""One pipeline for the whole moderation test session (loading takes ~0.5 s)."""

from __future__ import annotations

import pytest
from yishi.moderation import Pipeline, load_pipeline


@pytest.fixture(scope="session")
def pipeline() -> Pipeline:
    return load_pipeline()
