"""Feedback pages (course_grader.feedback): they say what failed, never how it is tested.

The graded course is built once per test session (:func:`graded_course`, also used by
test_report.py): the two-exercise fixture ``fixture_two`` (tests/fixtures/, built by
tests/fixtures/make_fixture_two.py, no TensorFlow) released and graded for four
students, the one-exercise ``fixture`` released but submitted by nobody, and one
enrolled student who submitted nothing.
"""

import copy
import html
import json
import re
import shutil

import nbformat
import pytest
from nbformat.v4 import new_output

from course_grader.course import run_nbgrader, write_config
from course_grader.feedback import (
    Answer,
    CellResult,
    GradedSubmission,
    error_message,
    render_submission,
    write_feedback,
)
from course_grader.markers import significant
from course_grader.release import release
from helpers import FIXTURES, autograde, copy_checkers, own_lines

A = "fixture_two"
WRONG_SIZE = "def conv_output_size(n, f, p=0, s=1):\n    return (n - f) // s + 1"
SCRIPT_SIZE = (
    "def conv_output_size(n, f, p=0, s=1):\n"
    "    # <script>alert(1)</script>\n"
    "    return (n + p - f) // s + 1"
)
HARD_CODED = "def conv_params(f, n_c_prev, n_c):\n    return 456  # the public example"
# student -> answers replaced in the solved notebook (None: the blank release)
STUDENTS = {
    "solved": {},
    "wrong": {"conv_output_size": WRONG_SIZE},  # fails a public check: found 28
    # the same public check (found 30), and a hard-coded answer only a hidden check catches
    "script": {"conv_output_size": SCRIPT_SIZE, "conv_params": HARD_CODED},
    "blank": None,
}
ABSENT = "absent"  # enrolled, submitted nothing
_COURSE = None


def _answers(nb, replace):
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in replace:
            cell.source = replace[grade_id]
    return nb


def graded_course(tmp_path_factory):
    """A course with ``fixture_two`` graded for STUDENTS, ``fixture`` released only, and
    the enrolled student ABSENT; built once per session, never modified by tests."""
    global _COURSE
    if _COURSE is None:
        course = tmp_path_factory.mktemp("graded_course")
        for name in ("fixture", A):
            shutil.copytree(FIXTURES / "notebooks" / name, course / "source" / name)
        copy_checkers(FIXTURES, course)
        write_config(course, "source")
        release(course, ["fixture", A], source_directory="source")
        solved = nbformat.read(course / "source" / A / f"{A}.ipynb", as_version=4)
        paths = {}
        for student, replace in STUDENTS.items():
            paths[student] = course / "submissions" / f"{student}.ipynb"
            paths[student].parent.mkdir(exist_ok=True)
            if replace is None:
                shutil.copy(course / "build" / "release" / A / f"{A}.ipynb", paths[student])
            else:
                nbformat.write(_answers(solved, replace), paths[student])
        autograde(course, A, paths)
        run_nbgrader(course, "db", "student", "add", ABSENT)
        _COURSE = course
    return _COURSE


def add_to_ledger(course, entries):
    """Append ``{key: entry}`` to the batch grader's ledger (the last line of a key wins)."""
    path = course / "build" / "grading" / "ledger.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        for key, entry in entries.items():
            fh.write(json.dumps({"key": key, **entry}) + "\n")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return graded_course(tmp_path_factory)


@pytest.fixture(scope="module")
def pages(course):
    written = write_feedback(course)
    return {
        str(p.relative_to(course / "build" / "feedback")): p.read_text(encoding="utf-8")
        for p in written
    }


def _score(page, pattern=r'class="total" data-score="([^"]+)" data-max-score="([^"]+)"'):
    return tuple(float(x) for x in re.search(pattern, page).groups())


@pytest.mark.slow
def test_a_page_per_submission_and_an_index_per_student(pages):
    expected = {f"{s}/{A}/{A}.html" for s in STUDENTS} | {f"{s}/index.html" for s in STUDENTS}
    assert set(pages) == expected  # nothing for ABSENT, who submitted nothing
    for student in STUDENTS:
        index = pages[f"{student}/index.html"]
        assert 'href="fixture_two/fixture_two.html"' in index
        assert 'href="fixture/fixture.html"' not in index and "no submission" in index


@pytest.mark.slow
def test_no_hidden_check_reaches_a_page_but_its_message_does(course, pages):
    checks = (FIXTURES / "checkers" / f"{A}.py").read_text().splitlines()
    hidden = [ln.strip() for ln in checks if significant(ln.strip()) and len(ln.strip()) >= 16]
    assert len(hidden) >= 10
    for name, page in pages.items():
        own = own_lines(course / "submissions" / f"{name.split('/')[0]}.ipynb")
        for line in hidden:
            if not any(line in mine for mine in own):  # their own code is theirs to see
                assert line not in page and html.escape(line) not in page, (name, line)
        assert "Traceback" not in page and "---->" not in page, name
    wrong, script = pages[f"wrong/{A}/{A}.html"], pages[f"script/{A}/{A}.html"]
    assert "conv_output_size(32, 5, p=2) should return 32, found 28." in wrong
    assert "What a check says" in wrong and "What a hidden check says" not in wrong
    # the hidden check's own message is shown - the call it made, and what it expected
    assert "conv_params(3, 64, 128) should return 73,856, found 456." in script
    assert "What a hidden check says" in script
    assert "conv_params: public checks passed" in script  # what the cell printed
    # the public part, as released, is shown (escaped)
    assert html.escape('print("conv_params: public checks passed")') in script
    assert "NotImplementedError" in pages[f"blank/{A}/{A}.html"]


@pytest.mark.slow
def test_a_script_in_an_answer_is_shown_escaped(pages):
    for name, page in pages.items():
        assert "<script" not in page.lower(), name
    assert "# &lt;script&gt;alert(1)&lt;/script&gt;" in pages[f"script/{A}/{A}.html"]
    # the student's own answer is shown
    assert html.escape("return (n - f) // s + 1") in pages[f"wrong/{A}/{A}.html"]


@pytest.mark.slow
def test_scores_on_the_pages_are_the_gradebooks(course, pages):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'build' / 'gradebook.db'}") as gb:
        for student in STUDENTS:
            sub = gb.find_submission(A, student)
            page = pages[f"{student}/{A}/{A}.html"]
            assert _score(page) == (sub.score, sub.max_score), student
            cells = dict(
                (gid, (float(s), float(m)))
                for gid, s, m in re.findall(
                    r'data-grade-id="([^"]+)" data-score="([^"]+)" data-max-score="([^"]+)"',
                    page,
                )
            )
            grades = {g.name: (g.score, g.max_score) for nb in sub.notebooks for g in nb.grades}
            assert cells == grades, student
    assert _score(pages[f"solved/{A}/{A}.html"]) == (3.0, 3.0)
    assert _score(pages[f"wrong/{A}/{A}.html"]) == (2.0, 3.0)
    assert 'class="card passed" id="conv_params_tests"' in pages[f"wrong/{A}/{A}.html"]
    assert 'class="card failed" id="conv_output_size_tests"' in pages[f"wrong/{A}/{A}.html"]


@pytest.mark.slow
def test_a_submission_the_grader_could_not_grade_gets_a_page_saying_why(course, tmp_path):
    copy_ = tmp_path / "course"
    shutil.copytree(course, copy_, ignore=shutil.ignore_patterns("feedback", "report"))
    ledger = {
        f"{A}/wrong": {
            "status": "failed",
            "reason": "killed after 900 s <b>timeout</b>",
            "score": 0.0,
            "max_score": 3.0,
            "graded_at": "2026-11-26T10:00:00",
        },
        f"{A}/ghost": {"status": "failed", "reason": "not a notebook", "score": 0.0},
        f"{A}/solved": {"status": "graded", "score": 3.0, "graded_at": "2026-11-26T10:01:00"},
    }
    add_to_ledger(copy_, ledger)
    written = write_feedback(copy_, assignments=[A])
    root = copy_ / "build" / "feedback"
    assert root / "ghost" / A / f"{A}.html" in written
    wrong = (root / "wrong" / A / f"{A}.html").read_text()
    assert "could not be graded" in wrong
    assert "killed after 900 s &lt;b&gt;timeout&lt;/b&gt;" in wrong
    assert _score(wrong) == (0.0, 3.0)
    assert "not a notebook" in (root / "ghost" / A / f"{A}.html").read_text()
    assert "graded 2026-11-26T10:01:00" in (root / "solved" / A / f"{A}.html").read_text()
    assert "could not be graded" in (root / "wrong" / "index.html").read_text()
    # only the selected assignment was written, the index still lists both
    assert not (root / "solved" / "fixture").exists()
    assert ">fixture<" in (root / "solved" / "index.html").read_text()
    assert not list(root.rglob("*.part"))


# ----------------------------------------------------------------- units, no grading
def test_the_message_is_ename_and_evalue_never_the_traceback():
    traceback = [
        "\x1b[31mAssertionError\x1b[39m   Traceback (most recent call last)",
        "Cell \x1b[32mIn[4]\x1b[39m, line 3\n      2 ### BEGIN HIDDEN TESTS\n"
        "----> 3 assert secret_check(answer), 'answer is wrong for negatives'\n",
        "\x1b[31mAssertionError\x1b[39m: answer is wrong for negatives",
    ]
    outputs = [
        new_output(
            "error",
            ename="AssertionError",
            evalue="answer is wrong for negatives",
            traceback=traceback,
        )
    ]
    assert error_message(outputs) == ("AssertionError: answer is wrong for negatives", 3)
    blank = [new_output("error", ename="NotImplementedError", evalue="", traceback=[])]
    assert error_message(blank)[0].startswith("NotImplementedError: the answer is still")


def test_everything_on_a_page_is_escaped_and_hidden_lines_redacted():
    result = CellResult(
        "t<b>", "nb", 0.0, 1.0, message="ValueError: <img src=x onerror=alert(1)>", stdout="&"
    )
    answer = Answer("a", "nb", "code", "x = '</pre><script>alert(1)</script>'")
    sub = GradedSubmission(
        "a<i>", "s<u>", "graded", 0.0, 1.0, cells=[result], items=[answer, result]
    )
    page = render_submission(sub)
    for raw in ("<b>", "<img", "<script", "</pre><", "<i>", "<u>"):
        assert raw not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "&amp;" in page


def test_the_failing_line_is_read_from_the_test_cells_own_frames():
    """A traceback passes through the student's answer cell too (In[2], line 9 here);
    only the test cell's own frame (In[3]) says where in the test it failed."""
    from course_grader.feedback import error_message

    outputs = [
        {
            "output_type": "error",
            "ename": "CheckFailure",
            "evalue": "Exercise 1: not written yet",
            "traceback": [
                "\x1b[36mCell\x1b[39m\x1b[36m \x1b[39m"
                "\x1b[32mIn[2]\x1b[39m\x1b[32m, line 9\x1b[39m",
                "During handling of the above exception, another exception occurred:",
                "\x1b[36mCell\x1b[39m\x1b[36m \x1b[39m"
                "\x1b[32mIn[3]\x1b[39m\x1b[32m, line 1\x1b[39m",
            ],
        }
    ]
    assert error_message(outputs, execution_count=3) == (
        "CheckFailure: Exercise 1: not written yet",
        1,
    )
