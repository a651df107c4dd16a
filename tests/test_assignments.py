"""Every assignment round-trips through nbgrader.

For each assignment under notebooks/ (found by itself) and for the fixture under
tests/fixtures/: release it, prove the release holds no solution line and no hidden
test, autograde the solved source notebook (full marks) and the untouched release
(zero, every graded cell scored, no crash). The broken-fixture tests prove that the
harness itself fails when a hidden test leaks or a correct solution loses points.
"""

import shutil

import nbformat
import pytest

from course_grader.course import find_assignments
from helpers import FIXTURES, REPO, cell_by_grade_id, round_trip

pytestmark = pytest.mark.slow


def check_round_trip(report):
    """Raise AssertionError, naming what is wrong, unless the round trip is perfect."""
    assert not report.leaks, "the release leaks:\n" + "\n".join(report.leaks)
    solved, blank = report.solved, report.blank
    assert solved.max_score > 0, "no graded cells"
    assert solved.score == solved.max_score, (
        f"{report.assignment}: the solution scored {solved.score}/{solved.max_score}; "
        f"failing cells: {solved.failed}, ungraded: {solved.ungraded}"
    )
    assert not blank.ungraded, f"blank release: cells not graded: {blank.ungraded}"
    assert blank.score == 0, (
        f"{report.assignment}: the blank release scored {blank.score}; some test cell "
        f"passes without an answer (cells that did fail: {blank.failed})"
    )


@pytest.mark.parametrize("assignment", find_assignments(REPO))
def test_assignment_round_trip(assignment, graded_catalog):
    # graded in the same batch as the assignment's catalog (tests/test_catalog.py)
    check_round_trip(graded_catalog(assignment).round_trip)


def test_fixture_round_trip():
    report = round_trip(FIXTURES, "fixture")
    check_round_trip(report)
    # the fixture's test cell warns on stderr as TensorFlow does: it was forgiven
    assert report.solved.forgiven_stderr == ["relu_tests"]


def _broken_fixture(tmp_path, edit=None, checks=None):
    """A copy of the fixture course with its notebook changed by ``edit(nb)`` and its
    trusted checks (checkers/fixture.py) by ``checks(text) -> text``."""
    course = tmp_path / "course"
    shutil.copytree(FIXTURES / "notebooks", course / "notebooks")
    shutil.copytree(FIXTURES / "checkers", course / "checkers")
    if edit:
        path = course / "notebooks" / "fixture" / "fixture.ipynb"
        nb = nbformat.read(path, as_version=4)
        edit(nb)
        nbformat.write(nb, path)
    if checks:
        path = course / "checkers" / "fixture.py"
        text = path.read_text()
        assert checks(text) != text, "the edit of the fixture's checks changed nothing"
        path.write_text(checks(text))
    return course


def test_harness_fails_when_a_solution_leaks():
    # a course whose nbgrader is configured not to cut the solutions out
    report = round_trip(FIXTURES, "fixture", extra_config="c.ClearSolutions.enabled = False")
    with pytest.raises(AssertionError, match="the release leaks"):
        check_round_trip(report)
    assert any("solution of relu" in leak for leak in report.leaks)


def test_harness_fails_when_the_solution_loses_points(tmp_path):
    def wrong(nb):
        cell = cell_by_grade_id(nb, "relu")
        cell.source = cell.source.replace("np.maximum(Z, 0)", "np.abs(Z)")

    report = round_trip(_broken_fixture(tmp_path, wrong), "fixture")
    with pytest.raises(AssertionError, match="the solution scored 0.0/2.0"):
        check_round_trip(report)


def test_harness_fails_when_a_blank_release_scores(tmp_path):
    # a notebook whose answer stands outside the solution markers: the release keeps it,
    # so the blank release answers every case right (an exercise whose checks try no case
    # would be the other way, but course release refuses those: test_authoring.py)
    def answer_outside_the_markers(nb):
        cell = next(
            c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "relu"
        )
        cell.source = (
            "def relu(Z):\n    return np.maximum(Z, 0)\n    ### BEGIN SOLUTION\n"
            "    return np.maximum(Z, 0)\n    ### END SOLUTION"
        )

    report = round_trip(_broken_fixture(tmp_path, edit=answer_outside_the_markers), "fixture")
    with pytest.raises(AssertionError, match="the blank release scored 2.0"):
        check_round_trip(report)
