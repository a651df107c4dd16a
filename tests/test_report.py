"""grades.csv and the class report (course_grader.report), on the course graded once per
session by test_feedback.graded_course."""

import csv
import shutil

import pytest
from PIL import Image
from test_feedback import ABSENT, STUDENTS, add_to_ledger, graded_course

from course_grader.feedback import CellResult, Course, GradedSubmission
from course_grader.report import class_report, export_grades, grade_table, normalise

A = "fixture_two"
HEADER = [
    "student_id",
    "fixture:relu_tests",
    "fixture:total",
    f"{A}:conv_output_size_tests",
    f"{A}:conv_params_tests",
    f"{A}:total",
    "total",
    "max_total",
    "status",
]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return graded_course(tmp_path_factory)


def _read(path):
    with open(path, newline="") as fh:
        return list(csv.reader(fh))


@pytest.fixture(scope="module")
def grades(course):
    path = export_grades(course)
    assert path == course / "build" / "grades.csv"
    rows = _read(path)
    return rows[0], {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}


@pytest.mark.slow
def test_grades_csv_has_exactly_the_specified_columns(grades):
    header, rows = grades
    assert header == HEADER
    assert sorted(rows) == sorted([*STUDENTS, ABSENT])


@pytest.mark.slow
def test_grades_csv_scores_are_the_gradebooks(course, grades):
    from nbgrader.api import Gradebook

    _, rows = grades
    with Gradebook(f"sqlite:///{course / 'build' / 'gradebook.db'}") as gb:
        for student in STUDENTS:
            sub = gb.find_submission(A, student)
            row = rows[student]
            assert float(row[f"{A}:total"]) == sub.score, student
            for nb in sub.notebooks:
                for grade in nb.grades:
                    assert float(row[f"{A}:{grade.name}"]) == grade.score, (student, grade.name)
            assert float(row["total"]) == sub.score  # nobody submitted fixture
            assert float(row["max_total"]) == 5.0  # 2 (fixture) + 3 (fixture_two)
    assert rows["solved"]["total"] == "3"
    assert rows["wrong"][f"{A}:conv_output_size_tests"] == "0"
    assert rows["wrong"][f"{A}:conv_params_tests"] == "2"


@pytest.mark.slow
def test_a_missing_submission_leaves_empty_cells_and_says_missing(grades):
    _, rows = grades
    for student in STUDENTS:
        assert rows[student]["fixture:relu_tests"] == rows[student]["fixture:total"] == ""
        assert rows[student]["status"] == "fixture: missing"
    absent = rows[ABSENT]
    assert absent["status"] == f"fixture: missing; {A}: missing"
    assert [absent[c] for c in HEADER[1:-3]] == [""] * 5
    assert (absent["total"], absent["max_total"]) == ("0", "5")


@pytest.mark.slow
def test_the_report_finds_the_check_the_wrong_students_share(course):
    report = class_report(course, assignments=[A])
    (part,) = report.assignments
    top = part.failing[0]
    assert (top.grade_id, top.count, top.students) == (
        "conv_output_size_tests",
        2,
        ["script", "wrong"],
    )
    # the trusted checker's message (the exercise's title, then the call that failed)
    assert top.pattern == (
        "CheckFailure: conv_output_size: conv_output_size(#, #, p=#) should return #, found #."
    )
    assert all(f.count == 1 for f in part.failing[1:])
    hidden = [f for f in part.failing if f.hidden]
    assert [(f.grade_id, f.students) for f in hidden] == [("conv_params_tests", ["script"])]
    assert len(part.failing) == 4  # the shared one, the hidden one, blank's two
    size, params = part.exercises
    assert (size.full, size.zero, size.mean) == (1, 3, 0.25)
    assert (params.full, params.zero, params.mean) == (2, 2, 1.0)
    assert part.missing == [ABSENT]
    text = report.text()
    assert "conv_output_size_tests" in text and "25%" in text and "50%" in text
    assert "should return 32, found" in text
    assert "HIDDEN_SENTINEL" not in text


@pytest.mark.slow
def test_the_report_writes_a_png_and_markdown_per_assignment(course):
    report = class_report(course)
    assert [a.assignment for a in report.assignments] == ["fixture", A]
    for part in report.assignments:
        assert part.plot == course / "build" / "report" / f"{part.assignment}.png"
        with Image.open(part.plot) as image:
            image.verify()
        with Image.open(part.plot) as image:
            assert image.format == "PNG" and image.size[0] > 400 and image.size[1] > 150
        md = part.markdown.read_text()
        assert md.startswith(f"# {part.assignment}") and f"({part.assignment}.png)" in md
    fixture = report.assignments[0]
    assert fixture.missing == sorted([*STUDENTS, ABSENT]) and not fixture.totals
    assert "no failing checks" in report.text()
    assert not list((course / "build" / "report").glob("*.part"))


@pytest.mark.slow
def test_a_failed_grading_shows_in_the_status_column(course, tmp_path):
    copy_ = tmp_path / "course"
    shutil.copytree(course, copy_, ignore=shutil.ignore_patterns("feedback", "report"))
    ledger = {
        f"{A}/wrong": {"status": "failed", "reason": "kernel died\n(out of memory)", "score": 0.0},
        f"{A}/solved": {"status": "graded", "score": 3.0},
    }
    add_to_ledger(copy_, ledger)
    out = export_grades(copy_, tmp_path / "elsewhere" / "grades.csv")
    rows = {row[0]: dict(zip(HEADER, row, strict=True)) for row in _read(out)[1:]}
    wrong = rows["wrong"]
    assert wrong["status"] == f"fixture: missing; {A}: failed (kernel died (out of memory))"
    assert rows["script"]["status"] == "fixture: missing"
    assert wrong[f"{A}:conv_output_size_tests"] == "" and wrong[f"{A}:total"] == "0"
    report = class_report(copy_, assignments=[A], out_dir=tmp_path / "rep")
    (part,) = report.assignments
    assert part.could_not_grade == {"wrong": "kernel died\n(out of memory)"}
    assert "wrong" not in part.totals and (tmp_path / "rep" / f"{A}.png").is_file()
    assert "could not grade wrong: kernel died (out of memory)" in report.text()


def test_numbers_are_normalised_but_names_with_digits_kept():
    assert normalise("found 3 layers\nmore") == normalise("found 5 layers") == "found # layers"
    assert normalise("should return 117,600, found 122,304.") == "should return #, found #."
    assert normalise("layer 1 (Conv2D 'conv1'): kernel 5x5, got -0.25") == (
        "layer # (Conv2D 'conv1'): kernel 5x5, got #"
    )
    assert normalise("(120_422_400, 1e-07)") == "(#, #)"
    assert normalise("") == normalise("  ").strip()


def test_a_complete_row_has_an_empty_status():
    results = [CellResult("t1", "a", 1.0, 1.0), CellResult("t2", "a", 0.5, 2.0)]
    course = Course(
        root=None,
        cells={"a": [("a", "t1", 1.0), ("a", "t2", 2.0)], "b": [("b", "u", 4.0)]},
        max_scores={"a": 3.0, "b": 4.0},
        students=["s"],
        submissions={
            ("a", "s"): GradedSubmission("a", "s", "graded", 1.5, 3.0, cells=results),
            ("b", "s"): GradedSubmission(
                "b", "s", "graded", 4.0, 4.0, cells=[CellResult("u", "b", 4.0, 4.0)]
            ),
        },
        ledger={},
    )
    header, rows = grade_table(course)
    assert header == [
        "student_id",
        "a:t1",
        "a:t2",
        "a:total",
        "b:u",
        "b:total",
        "total",
        "max_total",
        "status",
    ]
    assert rows == [["s", "1", "0.5", "1.5", "4", "4", "5.5", "7", ""]]
