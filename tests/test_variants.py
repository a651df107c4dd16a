"""Correct answers written in ways the solution does not (``VARIANTS`` in each catalog:
other import styles, names or none, activations as layers, merges in either order,
equivalent settings, losses and metrics as functions or objects, Sequential where both
APIs are right) pass every check: the public check the student runs, and the trusted
checker's public and hidden cases, asked of this process as the grading kernel is asked.

The catalogs' wrong answers (``MISTAKES``) are graded end to end by
tests/test_catalog.py; here the first of each assignment is the control that this
harness can fail.
"""

from __future__ import annotations

import importlib

import nbformat
import pytest

import course_reference
from course_grader.checker import exercises as exercise_modules
from course_grader.checker.decide import decide
from course_grader.checker.plan import make_plan
from course_grader.course import find_assignments
from course_utils import oracle
from course_utils.guard import CheckFailure
from helpers import REPO

ASSIGNMENTS = find_assignments(REPO)
SEEDS = (0, 1)  # two draws of the hidden cases
pytestmark = pytest.mark.slow  # about 2 minutes: every variant builds models


def _code(source: str) -> str:
    """A cell's code without IPython's magics."""
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
    )


_SOLVED: dict[str, tuple[dict, dict]] = {}


def solved(assignment: str) -> tuple[dict, dict]:
    """(the namespace of the solved notebook: its imports and every solution cell run,
    the source of each test cell by grade_id). Made once per assignment."""
    if assignment not in _SOLVED:
        nb = nbformat.read(REPO / "notebooks" / assignment / f"{assignment}.ipynb", 4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        namespace: dict = {"__name__": "__main__"}
        exec(_code(code[0].source), namespace)  # noqa: S102 - the notebook's imports
        tests = {}
        for cell in code:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution"):
                exec(_code(cell.source), namespace)  # noqa: S102
            elif meta.get("grade"):
                tests[meta["grade_id"]] = _code(cell.source)
        _SOLVED[assignment] = (namespace, tests)
    return _SOLVED[assignment]


def catalogued(kind: str, first_only: bool = False) -> list:
    """pytest params (assignment, grade_id, name) for every entry of the catalogs'
    ``kind`` (``VARIANTS`` or ``MISTAKES``); ``first_only``: one per assignment."""
    params = []
    for assignment in ASSIGNMENTS:
        catalog = importlib.import_module(f"catalog.{assignment}")
        found = [(g, n) for g, names in getattr(catalog, kind).items() for n in names]
        for grade_id, name in found[:1] if first_only else found:
            params.append(pytest.param(assignment, grade_id, name, id=f"{assignment}-{name}"))
    return params


def answering(assignment: str, source: str) -> dict:
    """The solved notebook's namespace with ``source`` (an answer cell) run in a copy."""
    namespace, _ = solved(assignment)
    mine = dict(namespace)
    exec(source, mine)  # noqa: S102
    return mine


def checker_verdict(assignment: str, grade_id: str, source: str, seed: int, folder) -> dict:
    """The trusted checker's verdict on the exercise of solution cell ``grade_id``
    answered by ``source``: its plan, this process as the kernel (``oracle.answer``),
    then ``decide``, as a grading run does."""
    catalog = importlib.import_module(f"catalog.{assignment}")
    namespace = answering(assignment, source)
    test_id = catalog.TESTS[grade_id][0]
    exercises = [e for e in exercise_modules.module(assignment).EXERCISES if e.grade_id == test_id]
    for group in make_plan(exercises, seed, folder, course_reference):
        oracle.answer(folder / group["folder"], namespace)
    cells = {"answers": {grade_id: source}, "added": []}
    return decide(exercises, seed, folder, course_reference, cells)[test_id]


def test_every_graded_exercise_has_variants():
    for assignment in ASSIGNMENTS:
        catalog = importlib.import_module(f"catalog.{assignment}")
        assert set(catalog.VARIANTS) == set(catalog.TESTS), assignment


@pytest.mark.parametrize("assignment, grade_id, name", catalogued("VARIANTS"))
def test_a_correct_variant_passes_the_public_check(assignment, grade_id, name):
    catalog = importlib.import_module(f"catalog.{assignment}")
    namespace = answering(assignment, catalog.VARIANTS[grade_id][name])
    test_source = solved(assignment)[1][catalog.TESTS[grade_id][0]]
    try:
        exec(test_source, namespace)  # noqa: S102 - the released test cell
    except CheckFailure as exc:
        pytest.fail(f"the public check rejects a correct answer: {exc}")


@pytest.mark.parametrize("assignment, grade_id, name", catalogued("VARIANTS"))
def test_a_correct_variant_passes_the_checker(assignment, grade_id, name, tmp_path):
    source = importlib.import_module(f"catalog.{assignment}").VARIANTS[grade_id][name]
    for seed in SEEDS:
        verdict = checker_verdict(assignment, grade_id, source, seed, tmp_path / str(seed))
        assert verdict["passed"], f"seed {seed}: {verdict['message']}"
        assert verdict["cases"] >= 1, "the checker tried no case"


@pytest.mark.parametrize("assignment, grade_id, mistake", catalogued("MISTAKES", True))
def test_a_catalogued_mistake_fails_the_checker_with_its_words(
    assignment, grade_id, mistake, tmp_path
):
    """The same harness on the catalogs' wrong answers (the control: it can fail)."""
    catalog = importlib.import_module(f"catalog.{assignment}")
    source, words = catalog.MISTAKES[grade_id][mistake]
    verdict = checker_verdict(assignment, grade_id, source, 0, tmp_path)
    assert not verdict["passed"]
    assert words in verdict["message"], verdict["message"]


def test_an_exercise_with_no_cases_earns_nothing(tmp_path):
    """A checker module whose exercise tries no case gives no points (course release
    refuses such a module too: tests/test_authoring.py)."""
    from course_grader.checker.spec import Exercise

    empty = [Exercise("nothing_tests", "Exercise 9 - nothing", lambda rng: [])]
    make_plan(empty, 0, tmp_path, course_reference)
    verdict = decide(empty, 0, tmp_path, course_reference)["nothing_tests"]
    assert not verdict["passed"] and "has no checks for this exercise" in verdict["message"]
