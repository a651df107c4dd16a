"""Shared paths for the test suite."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def fixture_notebook_path() -> Path:
    """The one-exercise fixture assignment's source notebook (solved)."""
    return FIXTURES / "notebooks" / "fixture" / "fixture.ipynb"


def cell_by_grade_id(nb, grade_id):
    """The cell of notebook ``nb`` whose nbgrader grade_id is ``grade_id``."""
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
