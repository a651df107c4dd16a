"""Source notebooks: valid nbgrader metadata and no stored outputs but the compared ones."""

import copy

import nbformat
import pytest

from course_grader.authoring import check_notebook
from course_grader.course import find_assignments
from helpers import FIXTURES, REPO, cell_by_grade_id, copy_checkers

SOURCES = [REPO / "notebooks" / a / f"{a}.ipynb" for a in find_assignments(REPO)]


@pytest.mark.parametrize("path", SOURCES, ids=[p.parent.name for p in SOURCES])
def test_source_notebook_is_clean(path):
    problems = check_notebook(path)
    assert not problems, "\n".join(problems)


def test_fixture_is_clean(fixture_notebook_path):
    assert check_notebook(fixture_notebook_path) == []


def _break_duplicate_id(nb):
    cell_by_grade_id(nb, "relu_tests").metadata.nbgrader.grade_id = "relu"


def _break_points(nb):
    cell_by_grade_id(nb, "relu_tests").metadata.nbgrader.points = 0


def _break_unlocked(nb):
    cell_by_grade_id(nb, "relu_tests").metadata.nbgrader.locked = False


def _break_schema(nb):
    cell_by_grade_id(nb, "relu").metadata.nbgrader.schema_version = 1


def _break_outputs(nb):
    cell_by_grade_id(nb, "relu").outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="hi\n")
    ]


def _break_compared_without_output(nb):
    next(c for c in nb.cells if c.source.startswith("# NBVAL_CHECK_OUTPUT")).outputs = []


def _break_solution_markers(nb):
    cell = cell_by_grade_id(nb, "relu")
    cell.source = cell.source.replace("    ### END SOLUTION", "")


def _break_hidden_in_solution(nb):
    cell = cell_by_grade_id(nb, "relu")
    cell.source += "\n### BEGIN HIDDEN TESTS\nassert True\n### END HIDDEN TESTS"


def _break_hidden_in_test(nb):
    cell = cell_by_grade_id(nb, "relu_tests")
    cell.source += "\n### BEGIN HIDDEN TESTS\nassert relu(-1) == 0\n### END HIDDEN TESTS"


def _break_test_without_trusted_check(nb):
    cell_by_grade_id(nb, "relu_tests").metadata.nbgrader.grade_id = "relu_checks"


def _break_markers_without_metadata(nb):
    del cell_by_grade_id(nb, "relu").metadata["nbgrader"]


def _break_trailing_value(nb):
    cell = cell_by_grade_id(nb, "relu_tests")
    cell.source = cell.source.replace('print("relu: public checks passed")', "0.5")
    cell.source += "\nrelu(np.array([2.0])).sum()"


def _break_trailing_check(nb):
    cell = cell_by_grade_id(nb, "relu_tests")
    cell.source += "\ncheck_cases(relu, 'fixture.relu', 'relu')"  # returns a count


BREAKS = {
    "test cell ends with a value": (_break_trailing_value, "partial credit"),
    "test cell ends with a check's count": (_break_trailing_check, "partial credit"),
    "duplicate grade_id": (_break_duplicate_id, "also used by cell"),
    "zero points": (_break_points, "positive points"),
    "unlocked test cell": (_break_unlocked, "must be locked"),
    "old schema": (_break_schema, "schema_version"),
    "stored output": (_break_outputs, "stores outputs but is not compared"),
    "compared but empty": (_break_compared_without_output, "would compare nothing"),
    "unbalanced solution": (_break_solution_markers, "END SOLUTION"),
    "hidden test in solution": (_break_hidden_in_solution, "hidden tests in a notebook"),
    "hidden test in a test cell": (_break_hidden_in_test, "write them as cases of the trusted"),
    "test cell without a trusted check": (_break_test_without_trusted_check, "no trusted check"),
    "markers without metadata": (_break_markers_without_metadata, "no nbgrader metadata"),
}


@pytest.mark.parametrize("name", BREAKS)
def test_each_defect_is_named(name, fixture_notebook_path, tmp_path):
    breaker, expected = BREAKS[name]
    nb = copy.deepcopy(nbformat.read(fixture_notebook_path, as_version=4))
    breaker(nb)
    # a course of its own: the fixture's trusted checks beside its notebooks
    path = tmp_path / "notebooks" / "fixture" / "fixture.ipynb"
    path.parent.mkdir(parents=True)
    copy_checkers(FIXTURES, tmp_path)
    nbformat.write(nb, path)
    problems = check_notebook(path)
    assert any(expected in p for p in problems), problems
    assert all(str(path) in p for p in problems)


def test_an_assignment_without_trusted_checks_is_refused(fixture_notebook_path, tmp_path):
    path = tmp_path / "notebooks" / "mine" / "mine.ipynb"
    path.parent.mkdir(parents=True)
    path.write_bytes(fixture_notebook_path.read_bytes())
    assert any("no trusted checks for this assignment" in p for p in check_notebook(path))


def test_an_exercise_whose_checks_try_no_cases_is_refused(fixture_notebook_path, tmp_path):
    path = tmp_path / "notebooks" / "fixture" / "fixture.ipynb"
    path.parent.mkdir(parents=True)
    path.write_bytes(fixture_notebook_path.read_bytes())
    copy_checkers(FIXTURES, tmp_path)
    checks = tmp_path / "checkers" / "fixture.py"
    checks.write_text(
        checks.read_text().replace(
            "    return [\n        case(", "    return []\n    [\n        case("
        )
    )
    problems = check_notebook(path)
    assert any("relu_tests try no cases" in p for p in problems), problems


def test_unreadable_notebook_is_reported_not_raised(tmp_path):
    path = tmp_path / "truncated.ipynb"
    path.write_text('{"cells": [')
    [problem] = check_notebook(path)
    assert "cannot be read" in problem and str(path) in problem


def test_refresh_outputs_keeps_only_compared_cells(fixture_notebook_path, tmp_path):
    from course_grader.authoring import refresh_outputs

    nb = nbformat.read(fixture_notebook_path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="stale\n")]
            cell.execution_count = 7
    path = tmp_path / "notebooks" / "fixture" / "fixture.ipynb"
    path.parent.mkdir(parents=True)
    copy_checkers(FIXTURES, tmp_path)
    nbformat.write(nb, path)
    assert refresh_outputs(path) == 1
    assert check_notebook(path) == []
    [compared] = [c for c in nbformat.read(path, 4).cells if c.get("outputs")]
    assert compared.outputs[0]["text"] == "[0 3]\n"
    assert not any("execution" in c.metadata for c in nbformat.read(path, 4).cells)
    # run again on the notebook it made: not a byte changes
    once = path.read_bytes()
    assert refresh_outputs(path) == 1
    assert path.read_bytes() == once


def test_text_printed_in_several_messages_is_kept_as_one():
    """How a kernel cuts a cell's printing into messages depends on timing: kept as one
    output per run of the same stream, so that a refreshed notebook does not change."""
    from course_grader.authoring import _coalesced

    new = nbformat.v4.new_output
    outputs = [
        new("stream", name="stdout", text="a\n"),
        new("stream", name="stdout", text="b\n"),
        new("display_data", data={"text/plain": "x"}),
        new("stream", name="stdout", text="c\n"),
    ]
    merged = _coalesced(outputs)
    assert [o.output_type for o in merged] == ["stream", "display_data", "stream"]
    assert merged[0].text == "a\nb\n" and merged[2].text == "c\n"
