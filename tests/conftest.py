"""Shared paths for the test suite."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def fixture_notebook_path() -> Path:
    """The one-exercise fixture assignment's source notebook (solved)."""
    return FIXTURES / "notebooks" / "fixture" / "fixture.ipynb"
