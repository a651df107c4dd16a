"""course collect: every file of an export is accepted where it belongs or rejected
with its reason - never dropped silently."""

import csv
import os
import zipfile

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course_grader.cli import main
from course_grader.collect import STUDENT_ID, collect
from course_grader.course import GradingError
from helpers import FIXTURES, fixture_course

SOLVED = FIXTURES / "notebooks" / "fixture" / "fixture.ipynb"


@pytest.fixture
def course(tmp_path):
    return fixture_course(tmp_path / "course")


def _export(folder, files):
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return folder


def _other_notebook() -> str:
    return nbformat.writes(new_notebook(cells=[new_code_cell("print('my own notebook')")]))


def _submitted(root, student, assignment="fixture"):
    return root / "build" / "submitted" / student / assignment / f"{assignment}.ipynb"


def _by_file(report):
    return {r.file: r for r in report.rows}


def test_an_lms_export_is_sorted_into_submissions_and_reasons(course, tmp_path):
    solved = SOLVED.read_text()
    export = _export(
        tmp_path / "export",
        {
            "alice/fixture.ipynb": solved,  # a folder per student
            "bob/fixture/fixture.ipynb": solved,  # nbgrader's layout
            "carol_fixture.ipynb": solved,  # flat
            "smithjohn_12345_67890_fixture.ipynb": solved,  # Canvas
            "Jane Doe_555_assignsubmission_file_/fixture.ipynb": solved,  # Moodle
            "dave_fixture.pdf": b"%PDF-1.4",
            "erin_fixture.ipynb": "",
            "frank_fixture.ipynb": '{"cells": [',
            "grace_fixture.ipynb": _other_notebook(),
            "fixture.ipynb": solved,  # nobody's
            "__MACOSX/._carol_fixture.ipynb": b"\x00\x05",
            "heidi/readme.txt": "hello",
        },
    )
    report = collect(course, export)
    rows = _by_file(report)
    assert len(report.rows) == 12  # every file is accounted for
    expected_students = {
        "alice/fixture.ipynb": "alice",
        "bob/fixture/fixture.ipynb": "bob",
        "carol_fixture.ipynb": "carol",
        "smithjohn_12345_67890_fixture.ipynb": "12345",
        "Jane Doe_555_assignsubmission_file_/fixture.ipynb": "555",
    }
    for name, student in expected_students.items():
        assert rows[name].status == "new", rows[name]
        assert rows[name].student == student
        assert _submitted(course, student).read_text() == solved
        assert (_submitted(course, student).parent / "timestamp.txt").is_file()
    reasons = {name: r.reason for name, r in rows.items() if r.status == "rejected"}
    assert "not a notebook (.pdf)" in reasons["dave_fixture.pdf"]
    assert reasons["erin_fixture.ipynb"] == "the file is empty"
    assert "cannot be read as a notebook" in reasons["frank_fixture.ipynb"]
    assert "is this the fixture notebook?" in reasons["grace_fixture.ipynb"]
    assert "--pattern or --mapping" in reasons["fixture.ipynb"]
    assert "system file" in reasons["__MACOSX/._carol_fixture.ipynb"]
    assert "not a notebook" in reasons["heidi/readme.txt"]
    assert len(reasons) == 7
    # the same list, on disk for the instructor
    with (course / "build" / "grading" / "collect.csv").open() as fh:
        logged = {row["file"]: row for row in csv.DictReader(fh)}
    assert set(logged) == set(rows)
    assert logged["frank_fixture.ipynb"]["status"] == "rejected"


def test_a_zip_of_a_folder_and_a_resubmission(course, tmp_path):
    solved = SOLVED.read_text()
    newer = solved.replace("Fixture assignment", "Fixture assignment (resubmitted)")
    path = tmp_path / "canvas.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            zipfile.ZipInfo("export/smithjohn_12345_1_fixture.ipynb", (2026, 1, 1, 9, 0, 0)),
            solved,
        )
        zf.writestr(
            zipfile.ZipInfo(
                "export/smithjohn_LATE_12345_2_fixture-1.ipynb", (2026, 1, 2, 9, 0, 0)
            ),
            newer,
        )
        zf.writestr(zipfile.ZipInfo("export/alice/fixture.ipynb", (2026, 1, 1, 8, 0, 0)), solved)
    report = collect(course, path)
    rows = _by_file(report)
    assert rows["export/smithjohn_LATE_12345_2_fixture-1.ipynb"].status == "new"
    older = rows["export/smithjohn_12345_1_fixture.ipynb"]
    assert older.status == "rejected" and "older copy" in older.reason
    assert _submitted(course, "12345").read_text() == newer
    # the zip's own folder is not taken for a student
    assert rows["export/alice/fixture.ipynb"].student == "alice"
    stamp = (_submitted(course, "12345").parent / "timestamp.txt").read_text()
    assert stamp.startswith("2026-01-02 09:00:00")


def test_collecting_again_reports_unchanged_and_updated(course, tmp_path):
    export = _export(tmp_path / "export", {"alice_fixture.ipynb": SOLVED.read_text()})
    assert collect(course, export).rows[0].status == "new"
    assert collect(course, export).rows[0].status == "unchanged"
    (export / "alice_fixture.ipynb").write_text(SOLVED.read_text().replace("relu", "relu "))
    assert collect(course, export).rows[0].status == "updated"
    leftovers = [p.name for p in _submitted(course, "alice").parent.iterdir()]
    assert sorted(leftovers) == ["fixture.ipynb", "timestamp.txt"]  # no .part files


def test_mapping_csv_and_pattern(course, tmp_path):
    export = _export(
        tmp_path / "export",
        {"sub-001.ipynb": SOLVED.read_text(), "sub-002.ipynb": SOLVED.read_text()},
    )
    mapping = tmp_path / "map.csv"
    mapping.write_text("file,student\nsub-001.ipynb,alice\n")
    rows = _by_file(collect(course, export, assignment="fixture", mapping=mapping))
    assert rows["sub-001.ipynb"].student == "alice" and rows["sub-001.ipynb"].status == "new"
    assert rows["sub-002.ipynb"].reason == "not in the mapping CSV"

    rows = _by_file(
        collect(course, export, assignment="fixture", pattern=r"sub-(?P<student>\d+)\.ipynb")
    )
    assert {r.student for r in rows.values()} == {"001", "002"}
    with pytest.raises(GradingError, match="named group"):
        collect(course, export, pattern=r"sub-(\d+)")
    with pytest.raises(GradingError, match="not a valid regular expression"):
        collect(course, export, pattern=r"sub-(?P<student>")
    with pytest.raises(GradingError, match="does not exist"):
        collect(course, tmp_path / "nowhere.zip")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,id\nx,y\n")
    with pytest.raises(GradingError, match="'file' and 'student'"):
        collect(course, export, mapping=bad)


def test_a_student_id_that_is_not_plain_is_refused(course, tmp_path):
    export = _export(tmp_path / "export", {"a b/fixture.ipynb": SOLVED.read_text()})
    (row,) = collect(course, export).rows
    assert row.status == "rejected" and "not a plain id" in row.reason
    assert not (course / "build" / "submitted").exists()


def test_zip_member_names_never_reach_outside_build(course, tmp_path):
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("../../escape_fixture.ipynb", SOLVED.read_text())
        zf.writestr("/abs/path/fixture.ipynb", SOLVED.read_text())
        zf.writestr("../fixture.ipynb", SOLVED.read_text())
    report = collect(course, path)
    written = sorted(
        str(p.relative_to(course)) for p in course.rglob("*.ipynb") if "notebooks" not in p.parts
    )
    # whatever a member is called, a submission lands in build/submitted/<plain id>/
    assert all(w.startswith("build/submitted/") for w in written), written
    assert not (tmp_path / "escape_fixture.ipynb").exists()
    assert len(report.rows) == 3
    for row in report.rows:
        assert row.status == "rejected" or STUDENT_ID.fullmatch(row.student), row


def test_ids_that_differ_only_in_case_and_copies_with_the_same_time(course, tmp_path):
    solved = SOLVED.read_text()
    path = tmp_path / "export.zip"
    when = (2026, 1, 1, 9, 0, 0)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(zipfile.ZipInfo("alice/fixture.ipynb", when), solved)
        zf.writestr(zipfile.ZipInfo("Alice/fixture.ipynb", when), solved)
        zf.writestr(zipfile.ZipInfo("bob_fixture.ipynb", when), solved)
        zf.writestr(zipfile.ZipInfo("bob/fixture.ipynb", when), solved + " ")
    rows = _by_file(collect(course, path))
    assert (
        "only in case" in rows["alice/fixture.ipynb"].reason + rows["Alice/fixture.ipynb"].reason
    )
    bob = [rows["bob_fixture.ipynb"], rows["bob/fixture.ipynb"]]
    assert sorted(r.status for r in bob) == ["new", "rejected"]
    assert any("the same time" in r.reason for r in bob)


def test_a_path_that_reads_as_an_assignment_name_for_a_student_is_refused(course, tmp_path):
    export = _export(tmp_path / "export", {"fixture/alice.ipynb": SOLVED.read_text()})
    (row,) = collect(course, export, assignment="fixture").rows
    assert row.status == "rejected" and "an assignment's name" in row.reason


def test_a_zip_with_utc_timestamps_is_read_in_utc(course, tmp_path):
    import struct

    info = zipfile.ZipInfo("alice_fixture.ipynb", (2026, 1, 1, 23, 0, 0))  # local time
    utc = 1767225600  # 2026-01-01 00:00:00 UTC
    info.extra = struct.pack("<HHBl", 0x5455, 5, 1, utc)
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(info, SOLVED.read_text())
    collect(course, path)
    stamp = (_submitted(course, "alice").parent / "timestamp.txt").read_text()
    assert stamp.startswith("2026-01-01 00:00:00")


def test_course_collect_command(course, tmp_path, capsys):
    export = _export(
        tmp_path / "export", {"alice_fixture.ipynb": SOLVED.read_text(), "notes.txt": "x"}
    )
    cwd = os.getcwd()
    os.chdir(course)
    try:
        assert main(["collect", str(export)]) == 0
        assert main(["collect", str(tmp_path / "missing")]) == 1
    finally:
        os.chdir(cwd)
    out = capsys.readouterr()
    assert "collected 1 submission(s): 1 new" in out.out
    assert "rejected notes.txt" in out.out
    assert "does not exist" in out.err


def test_every_collect_is_kept_and_export_reads_them_all(course, tmp_path):
    """Rejected in the first collect, absent from the next ones: still in grades.csv."""
    from course_grader.collect import read_collect_log
    from course_grader.report import rejected_at_collect

    first = _export(
        tmp_path / "one",
        {"1006_fixture.ipynb": "", "doejane_1007_222_fixture.pdf": b"%PDF"},  # Canvas names
    )
    collect(course, first)
    for i in range(3):
        later = _export(tmp_path / f"later{i}", {f"alice{i}_fixture.ipynb": SOLVED.read_text()})
        collect(course, later)
    rows = read_collect_log(course / "build" / "grading" / "collect.csv")
    assert len(rows) == 5 and len({r["collected_at"] + r["source"] for r in rows}) == 4
    assert all(r["collected_at"] for r in rows)
    rejected = rejected_at_collect(course)
    assert ("fixture", "1006") in rejected and "empty" in rejected[("fixture", "1006")]
    assert ("fixture", "1007") in rejected and "not a notebook" in rejected[("fixture", "1007")]


def test_a_notebook_too_large_is_refused_before_it_is_read(course, tmp_path, monkeypatch):
    import course_grader.collect as collect_module

    monkeypatch.setattr(collect_module, "MAX_NOTEBOOK_BYTES", 10_000)
    big = SOLVED.read_text().replace('"cells": [', '"cells": [' + " " * 20_000, 1)
    export = _export(tmp_path / "export", {"alice_fixture.ipynb": big})
    row = _by_file(collect(course, export))["alice_fixture.ipynb"]
    assert row.status == "rejected" and "larger than a notebook may be" in row.reason
    # a zip member that says it unpacks to more: refused from its header, never unpacked
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bob_fixture.ipynb", " " * 5_000_000)  # 5 MB of spaces: ~5 kB packed
    monkeypatch.setattr(collect_module, "MAX_NOTEBOOK_BYTES", 50 * 1024 * 1024)
    row = _by_file(collect(course, bomb))["bob_fixture.ipynb"]
    assert row.status == "rejected" and "zip bomb" in row.reason


def test_control_characters_in_names_never_reach_the_terminal(course, tmp_path, capsys):
    """A file name that would erase the summary line and print a fake one, set the
    window's title or plant a hyperlink: printed as visible escapes."""
    evil = "x\x1b[2K\r\x1b[1A0 file(s) rejected\x1b]0;pwned\x07\x9b31m.pdf"
    bundle = tmp_path / "evil.zip"
    with zipfile.ZipFile(bundle, "w") as zf:
        zf.writestr(evil, b"%PDF")
    cwd = os.getcwd()
    os.chdir(course)
    try:
        assert main(["collect", str(bundle)]) == 0
    finally:
        os.chdir(cwd)
    out = capsys.readouterr().out
    for raw in ("\x1b", "\r", "\x07", "\x9b"):
        assert raw not in out
    assert "\\x1b[2K\\x0d\\x1b[1A0 file(s) rejected\\x1b]0;pwned\\x07\\x9b31m.pdf" in out
