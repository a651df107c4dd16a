"""Fixtures shared by the test suite (helpers the tests import live in helpers.py)."""

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def fixture_notebook_path() -> Path:
    """The one-exercise fixture assignment's source notebook (solved)."""
    return FIXTURES / "notebooks" / "fixture" / "fixture.ipynb"
