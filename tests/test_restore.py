"""The released notebook's structure put back into a submission before grading
(course_grader.restore): deleted cells, changed metadata, renamed or copied graded
cells."""

import copy

import nbformat
import pytest

from course_grader.restore import restore_file, restore_structure
from helpers import FIXTURES, cell_by_grade_id

SOURCE = FIXTURES / "notebooks" / "fixture_two" / "fixture_two.ipynb"


@pytest.fixture
def released():
    return nbformat.read(SOURCE, as_version=4)


def graded_ids(nb):
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]


def test_an_untouched_submission_is_left_as_it_is(released):
    data = nbformat.writes(released).encode()
    assert restore_file(data, data) == (data, [])


def test_a_deleted_test_cell_comes_back_after_its_answer(released):
    nb = copy.deepcopy(released)
    nb.cells.remove(cell_by_grade_id(nb, "conv_params_tests"))
    fixed, notes = restore_structure(nb, released)
    assert graded_ids(fixed) == graded_ids(released)
    assert notes == ["cell 'conv_params_tests' was deleted; put back as released"]


def test_a_deleted_answer_comes_back_as_released(released):
    nb = copy.deepcopy(released)
    nb.cells.remove(cell_by_grade_id(nb, "conv_output_size"))
    fixed, notes = restore_structure(nb, released)
    assert graded_ids(fixed) == graded_ids(released)
    assert cell_by_grade_id(fixed, "conv_output_size").source == (
        cell_by_grade_id(released, "conv_output_size").source
    )
    assert notes == ["answer 'conv_output_size' was deleted; put back as released"]


def test_changed_metadata_is_put_back_by_cell_id(released):
    nb = copy.deepcopy(released)
    tests = cell_by_grade_id(nb, "conv_params_tests")
    tests.metadata["nbgrader"].update(grade_id="mine", points=100, locked=False)
    fixed, notes = restore_structure(nb, released)
    assert (
        fixed.cells[nb.cells.index(tests)].metadata["nbgrader"]
        == (cell_by_grade_id(released, "conv_params_tests").metadata["nbgrader"])
    )
    assert notes == ["cell 'conv_params_tests': its nbgrader metadata was changed; put back"]


def test_a_copy_of_a_graded_cell_is_not_graded(released):
    nb = copy.deepcopy(released)
    twin = copy.deepcopy(cell_by_grade_id(nb, "conv_params_tests"))
    twin.id = "a-copy"
    nb.cells.append(twin)
    fixed, notes = restore_structure(nb, released)
    assert graded_ids(fixed) == graded_ids(released)
    assert "nbgrader" not in fixed.cells[-1].metadata
    assert notes == ["a cell claiming grade_id 'conv_params_tests' is not graded"]
    nbformat.validate(fixed)


def test_a_file_that_is_not_a_notebook_is_left_for_nbgrader_to_refuse(released):
    data = nbformat.writes(released).encode()
    assert restore_file(b'{"cells": [', data) == (b'{"cells": [', [])


def test_a_notebook_without_cell_ids_gets_none(released):
    """nbformat 4.4 notebooks have no cell ids: a cell put back must not bring one."""
    nb = copy.deepcopy(released)
    nb.nbformat_minor = 4
    for c in nb.cells:
        c.pop("id", None)
    nb.cells.remove(cell_by_grade_id(nb, "conv_params_tests"))
    fixed, _ = restore_structure(nb, released)
    assert graded_ids(fixed) == graded_ids(released)
    nbformat.validate(fixed)


def test_an_answer_made_markdown_keeps_its_text(released):
    nb = copy.deepcopy(released)
    answer = cell_by_grade_id(nb, "conv_params")
    i = nb.cells.index(answer)
    nb.cells[i] = nbformat.v4.new_markdown_cell(answer.source, metadata=answer.metadata)
    nb.cells[i].id = answer.id
    fixed, notes = restore_structure(nb, released)
    assert fixed.cells[i].cell_type == "code"
    assert fixed.cells[i].source == answer.source
    assert "cell 'conv_params': it was made a markdown cell; put back" in notes


def test_a_cell_planted_with_a_test_cells_id_does_not_move_the_test():
    """nbformat gives the later of two cells with one id a new id: the planted top cell
    keeps the test's id, the real test cell gets another one - and stays the test."""
    released = nbformat.read(FIXTURES / "notebooks" / "fixture" / "fixture.ipynb", 4)
    submitted = copy.deepcopy(released)
    test = cell_by_grade_id(submitted, "relu_tests")
    planted = nbformat.v4.new_code_cell("print('I am at the top')")
    planted["id"] = test["id"]
    test["id"] = "renamed1"  # what nbformat's repair of duplicate ids does
    submitted.cells.insert(0, planted)
    fixed, _ = restore_structure(submitted, released)
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in fixed.cells]
    assert ids.index("relu") < ids.index("relu_tests")
    assert "nbgrader" not in fixed.cells[0].metadata  # the planted cell is not graded
