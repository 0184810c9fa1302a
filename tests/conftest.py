"""Shared fixtures: the sample photos the repository carries, and the shared data folder when present."""

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def photos() -> Path:
    """The folder of MIT-licensed sample photos carried in tests/data."""
    return DATA


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, or skip when this checkout has no shared folder beside it."""
    if not SHARED.is_dir():
        pytest.skip(f"needs the shared data folder at {SHARED}, which is absent here")
    return SHARED
