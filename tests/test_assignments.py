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
def test_assignment_round_trip(assignment):
    check_round_trip(round_trip(REPO, assignment))


def test_fixture_round_trip():
    report = round_trip(FIXTURES, "fixture")
    check_round_trip(report)
    # the fixture's test cell warns on stderr as TensorFlow does: it was forgiven
    assert report.solved.forgiven_stderr == ["relu_tests"]


def _broken_fixture(tmp_path, edit):
    course = tmp_path / "course"
    shutil.copytree(FIXTURES / "notebooks", course / "notebooks")
    path = course / "notebooks" / "fixture" / "fixture.ipynb"
    nb = nbformat.read(path, as_version=4)
    edit(nb)
    nbformat.write(nb, path)
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
    def free_points(nb):  # a test cell that passes whatever the student writes
        cell = cell_by_grade_id(nb, "relu_tests")
        cell.source = "assert True"

    report = round_trip(_broken_fixture(tmp_path, free_points), "fixture")
    with pytest.raises(AssertionError, match="the blank release scored 2.0"):
        check_round_trip(report)
