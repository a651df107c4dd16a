"""Shared paths for the test suite."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def fixture_notebook_path() -> Path:
    """The one-exercise fixture assignment's source notebook (solved)."""
    return FIXTURES / "notebooks" / "fixture" / "fixture.ipynb"


def fixture_course(root: Path, released: bool = False) -> Path:
    """A course directory at ``root`` whose only assignment is the fixture (no
    TensorFlow: seconds to grade); ``released``: release it too (makes the gradebook)."""
    import shutil

    from course_utils.grading import release, write_config

    shutil.copytree(FIXTURES / "notebooks" / "fixture", root / "notebooks" / "fixture")
    write_config(root, "notebooks")
    if released:
        release(root, ["fixture"])
    return root


def cell_by_grade_id(nb, grade_id):
    """The cell of notebook ``nb`` whose nbgrader grade_id is ``grade_id``."""
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def hidden_test_lines(source_dir):
    """Every line of 8+ characters inside a hidden block of the source notebooks
    (shorter ones, such as ``)``, occur anywhere)."""
    import nbformat

    from course_utils.authoring import HIDDEN_BEGIN, HIDDEN_END

    lines = []
    for path in sorted(source_dir.glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            inside = False
            for line in cell.source.splitlines():
                if line.strip() == HIDDEN_BEGIN:
                    inside = True
                elif line.strip() == HIDDEN_END:
                    inside = False
                elif inside and len(line.strip()) >= 8:
                    lines.append(line.strip())
    return lines
