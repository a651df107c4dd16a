"""Typical wrong submissions lose exactly the points of their exercise, and the
feedback under the test cell points at the mistake (catalogs in tests/catalog/:
MISTAKES), graded end to end: nbgrader, the sandboxed kernel and the trusted checker.
The kernel's public checks and the checker's public cases agree on every test cell of
every submission, the solution and the untouched release included. (Correct answers
written otherwise than the solution, VARIANTS, are asked of the checker as a grading
kernel is asked, two hidden draws each: tests/test_variants.py.)"""

import pytest

from course_grader.autograde import read_ledger
from course_grader.course import find_assignments
from helpers import REPO

pytestmark = pytest.mark.slow

ASSIGNMENTS = find_assignments(REPO)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_catalog_loses_exactly_the_right_points(assignment, graded_catalog):
    graded = graded_catalog(assignment)  # graded with the round trip (test_assignments)
    catalog, scores = graded.catalog, graded.scores
    # every catalogued mistake is used, and every exercise is right somewhere
    used = {(g, m) for sub in catalog.SUBMISSIONS.values() for g, m in sub.items()}
    assert used == {(g, m) for g, ms in catalog.MISTAKES.items() for m in ms}
    for grade_id in catalog.TESTS:
        assert any(grade_id not in sub for sub in catalog.SUBMISSIONS.values()), grade_id

    problems, table = (
        [],
        ["| mistake | exercise | points lost | feedback (first line) |", "|---|---|---|---|"],
    )
    for student, mistakes in catalog.SUBMISSIONS.items():
        score = scores[student]
        lost = sum(catalog.TESTS[g][1] for g in mistakes)
        if abs(score.score - (score.max_score - lost)) > 1e-9:
            problems.append(f"{student}: scored {score.score}, expected {score.max_score - lost}")
        for grade_id, (test_id, points) in catalog.TESTS.items():
            got = score.cells[test_id][0]
            if grade_id in mistakes:
                words = catalog.MISTAKES[grade_id][mistakes[grade_id]][1]
                first = score.feedback[test_id].splitlines()[0] if score.feedback[test_id] else ""
                table.append(
                    f"| {mistakes[grade_id]} | {grade_id} | {points - got:g} of {points} "
                    f"| {first.replace('|', '/')} |"
                )
                if got != 0:
                    problems.append(f"{student}: '{mistakes[grade_id]}' scored {got}/{points}")
                if words not in score.feedback[test_id]:
                    problems.append(
                        f"{student}: feedback for '{mistakes[grade_id]}' lacks {words!r}: "
                        f"{score.feedback[test_id]!r}"
                    )
            elif got != points:
                problems.append(
                    f"{student}: correct {grade_id} scored {got}/{points} "
                    f"({score.feedback[test_id]!r})"
                )
    # the public checks the student runs and the trusted checker agree, case by case: a
    # test cell that passed in the kernel is one whose public cases the checker passed
    ledger = read_ledger(graded.course)
    for student in ["solved", "blank", *catalog.SUBMISSIONS]:
        verdicts = ledger[f"{assignment}/{student}"]["checker"]
        for test_id, verdict in verdicts.items():
            if verdict["kernel_passed"] != verdict["public_passed"]:
                problems.append(
                    f"{student}: {test_id}: the public check in the kernel "
                    f"{'passed' if verdict['kernel_passed'] else 'failed'}, the checker's "
                    f"public cases {'passed' if verdict['public_passed'] else 'failed'}"
                )
    report = REPO / "build" / "reports" / f"grader_quality_{assignment}.md"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("## Mistakes\n\n" + "\n".join(table) + "\n")
    assert not problems, "\n".join(problems)
