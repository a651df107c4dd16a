"""`make grade`: the instructor's whole flow on the shipped example submissions, run the
way an instructor runs it, from the Makefile. Every example gets the score its mistakes
cost (examples/make_submissions.py computes them from the grader's catalog)."""

import csv
import subprocess
import sys

import pytest

from helpers import REPO, TEST_JOBS

pytestmark = pytest.mark.slow


def test_make_grade_grades_the_examples_and_reports():
    sys.path.insert(0, str(REPO / "examples"))
    try:
        import make_submissions
    finally:
        sys.path.pop(0)
    proc = subprocess.run(
        ["make", "--no-print-directory", "grade", f"JOBS={TEST_JOBS}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-3000:]
    expected = make_submissions.expected_scores()
    demo = REPO / "build" / "demo" / "build"
    with (demo / "grades.csv").open() as fh:
        rows = {row["student_id"]: row for row in csv.DictReader(fh)}
    assert set(rows) == {*expected, "1006", "1007"}
    assert {s: float(rows[s]["total"]) for s in expected} == {
        s: float(v) for s, v in expected.items()
    }
    # the students whose only upload was refused are in the file, with the reason
    assert rows["1006"]["status"].startswith("classic_networks: rejected at collect (cannot")
    assert rows["1007"]["status"].startswith("classic_networks: rejected at collect (not a")
    # the class table, the rejected files with their reasons, the report, the time
    table = [line.split() for line in out.splitlines() if line.startswith("classic_networks/")]
    assert {row[0]: row[1] for row in table} == {
        f"classic_networks/{s}": f"{v}/8" for s, v in expected.items()
    }
    assert "rejected babbagecharles_1006_9006_classic_networks.ipynb: cannot be read" in out
    assert "rejected franklinrosalind_1007_9007_answers.pdf: not a notebook" in out
    assert "older copy" in (demo / "grading" / "collect.csv").read_text()
    assert "make grade took" in out
    for student in expected:
        page = demo / "feedback" / student / "classic_networks" / "classic_networks.html"
        assert page.is_file()
        assert "BEGIN HIDDEN" not in page.read_text()
    assert (demo / "report" / "classic_networks.png").stat().st_size > 1000
