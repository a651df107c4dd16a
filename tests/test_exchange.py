"""nbgrader's exchange (course_grader.exchange, course watch): the students' side is
nbgrader's own commands (fetch_assignment, submit, fetch_feedback, as the Assignments
tab runs them); the instructor's side is ``course release --exchange``, ``course collect
--exchange``, ``course feedback --release`` and ``course watch``.

The students here are processes of this test's user, each with their own HOME (their
work and nbgrader's cache of what they submitted); nbgrader names a submission by the OS
user, so each submission's folder is renamed to its student's name, as that student's
own ``nbgrader submit`` would have named it. The hub test (tests/test_hub.py) has real
local users instead, file permissions included."""

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course_grader.autograde import Options, read_ledger
from course_grader.cli import main
from course_grader.collect import read_collect_log
from course_grader.course import COURSE_ID
from course_grader.exchange import collect_exchange, feedback_name, read_state
from course_grader.watch import one_round
from helpers import fixture_course

pytestmark = pytest.mark.slow  # each student step is an nbgrader process: seconds each

NBGRADER = str(Path(sys.executable).parent / "nbgrader")
RIGHT = "return np.maximum(Z, 0)"
STUB = "raise NotImplementedError()"


class Student:
    """A student working through nbgrader's exchange commands, as the Assignments tab."""

    def __init__(self, base: Path, name: str, exchange: Path):
        self.name, self.exchange = name, exchange
        self.home = base / "home" / name
        self.home.mkdir(parents=True, exist_ok=True)

    def nbgrader(self, *args: str) -> str:
        env = {
            **os.environ,
            "HOME": str(self.home),
            "JUPYTER_DATA_DIR": str(self.home / ".local" / "share" / "jupyter"),
        }
        proc = subprocess.run(
            [NBGRADER, *args, f"--course={COURSE_ID}", f"--Exchange.root={self.exchange}"],
            cwd=self.home,
            env=env,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout + proc.stderr

    def submit(self) -> Path:
        """``nbgrader submit``; returns the submission's folder in the exchange."""
        inbound = self.exchange / COURSE_ID / "inbound"
        before = set(inbound.iterdir())
        self.nbgrader("submit", "fixture")
        (new,) = set(inbound.iterdir()) - before
        user, rest = new.name.split("+", 1)
        return new.rename(new.with_name(f"{self.name}+{rest}")) if user != self.name else new

    @property
    def notebook(self) -> Path:
        return self.home / "fixture" / "fixture.ipynb"

    def answer(self, code: str) -> None:
        self.notebook.write_text(self.notebook.read_text().replace(STUB, code))

    def feedback(self) -> dict[str, str]:
        """{submission time: the page} of every feedback fetched so far."""
        self.nbgrader("fetch_feedback", "fixture")
        folder = self.home / "fixture" / "feedback"
        return {p.parent.name: p.read_text() for p in sorted(folder.glob("*/*.html"))}


@pytest.fixture
def hub_course(tmp_path, monkeypatch):
    """The fixture course, released to an exchange (``course release --exchange``)."""
    course = fixture_course(tmp_path / "course")
    monkeypatch.chdir(course)
    exchange = tmp_path / "exchange"
    assert main(["release", "--exchange", str(exchange)]) == 0
    return course, exchange


def _rows(course: Path) -> dict[str, dict]:
    return {r["file"]: r for r in read_collect_log(course / "build" / "grading" / "collect.csv")}


def test_release_publishes_with_nbgraders_permissions(hub_course):
    course, exchange = hub_course
    top = exchange / COURSE_ID
    assert (top / "outbound" / "fixture" / "fixture.ipynb").is_file()
    assert oct((top / "inbound").stat().st_mode & 0o777) == "0o733"  # add, never list
    assert oct(exchange.stat().st_mode & 0o777) == "0o777"
    released = nbformat.read(top / "outbound" / "fixture" / "fixture.ipynb", as_version=4)
    assert STUB in "".join(c.source for c in released.cells)  # the student version


def test_collect_takes_each_students_latest_submission_with_reasons(hub_course):
    course, exchange = hub_course
    base = exchange.parent
    ann, ben, cat, dan = (Student(base, n, exchange) for n in ("ann", "ben", "cat", "dan"))
    for s in (ann, ben, cat, dan):
        s.nbgrader("fetch_assignment", "fixture")
    ann.submit()  # the untouched release first...
    ann.answer(RIGHT)
    ann.submit()  # ...then, seconds later, the answer: it counts
    # ben renames his notebook; it is still the fixture notebook
    ben.answer(RIGHT)
    ben.notebook.rename(ben.notebook.with_name("fixture-final.ipynb"))
    ben.submit()
    # cat submits another notebook in its place
    cat.notebook.write_text(nbformat.writes(new_notebook(cells=[new_code_cell("1 + 1")])))
    cat.submit()
    # dan deleted his notebook
    dan.notebook.unlink()
    dan.submit()

    report = collect_exchange(course, exchange)
    state = {s.folder: s for s in read_state(course)}
    by_student = {}
    for s in state.values():
        by_student.setdefault(s.student, []).append(s)
    ann_subs = sorted(by_student["ann"], key=lambda s: s.when)
    assert [s.status for s in ann_subs] == ["not graded", "graded"]
    assert "an older submission" in ann_subs[0].reason
    submitted = course / "build" / "submitted" / "ann" / "fixture" / "fixture.ipynb"
    assert RIGHT in submitted.read_text()

    (ben_sub,) = by_student["ben"]
    assert ben_sub.status == "graded" and ben_sub.graded_as == "fixture-final"
    assert "renamed" in ben_sub.reason
    assert (course / "build" / "submitted" / "ben" / "fixture" / "fixture.ipynb").is_file()

    (cat_sub,) = by_student["cat"]
    assert cat_sub.status == "not graded"
    assert "none of fixture's graded cells are in it" in cat_sub.reason
    (dan_sub,) = by_student["dan"]
    assert dan_sub.status == "not graded" and "no notebook in this submission" in dan_sub.reason
    assert not (course / "build" / "submitted" / "cat").exists()
    assert not (course / "build" / "submitted" / "dan").exists()

    # every file is in the collect log, accepted or with its reason
    rows = _rows(course)
    for r in report.rows:
        assert rows[r.file]["status"] == r.status
        assert r.status != "rejected" or r.reason
    assert {r.student for r in report.accepted} == {"ann", "ben"}
    # collecting again changes nothing, and logs nothing new (a watcher collects every
    # few seconds: the log grows with the submissions, not with the rounds)
    logged = len(read_collect_log(course / "build" / "grading" / "collect.csv"))
    again = collect_exchange(course, exchange)
    assert {r.status for r in again.accepted} == {"unchanged"}
    assert len(read_collect_log(course / "build" / "grading" / "collect.csv")) == logged


def test_the_latest_submission_before_the_deadline_counts(hub_course):
    course, exchange = hub_course
    eve = Student(exchange.parent, "eve", exchange)
    eve.nbgrader("fetch_assignment", "fixture")
    eve.answer(RIGHT)
    eve.submit()
    # the deadline passes; eve resubmits the untouched stub
    due = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S")
    assert main(["release", "--due", due]) == 0
    time.sleep(1.5)
    eve.notebook.write_text(eve.notebook.read_text().replace(RIGHT, STUB))
    eve.submit()
    collect_exchange(course, exchange)
    subs = sorted(read_state(course), key=lambda s: s.when)
    assert [s.status for s in subs] == ["graded", "not graded"]
    assert subs[1].reason.startswith("after the deadline")
    assert RIGHT in (course / "build/submitted/eve/fixture/fixture.ipynb").read_text()


def test_a_submission_cannot_claim_another_student_or_an_earlier_time(hub_course):
    course, exchange = hub_course
    fay = Student(exchange.parent, "fay", exchange)
    fay.nbgrader("fetch_assignment", "fixture")
    fay.answer(RIGHT)
    folder = fay.submit()
    # a timestamp.txt set a day back is not believed: the files changed later
    (folder / "timestamp.txt").write_text("2020-01-01 00:00:00.000000 UTC")
    collect_exchange(course, exchange)
    (sub,) = read_state(course)
    assert sub.when.startswith(str(dt.datetime.now(dt.UTC).year))
    assert "after the time it gives" in sub.reason
    # a folder of thousands of files is not read, and says why
    crowded = folder.with_name(folder.name + "x")  # another submission of hers
    crowded.mkdir()
    for i in range(250):
        (crowded / f"{i}.txt").write_text("")
    report = collect_exchange(course, exchange)
    (row,) = [r for r in report.rows if r.file == f"inbound/{crowded.name}"]
    assert row.status == "rejected" and "more than 200 files" in row.reason
    for p in crowded.iterdir():
        p.unlink()
    crowded.rmdir()
    if os.geteuid() != 0:
        pytest.skip("the owner check needs root (a folder owned by another user)")
    os.chown(folder, 54321, 54321)  # not fay: someone submitting under her name
    collect_exchange(course, exchange)
    (sub,) = read_state(course)
    assert sub.status == "not graded" and "under the name 'fay'" in sub.reason


def test_watch_grades_each_submission_once_and_releases_its_feedback(hub_course):
    course, exchange = hub_course
    # the deadline was an hour ago: whoever submits only now is graded, and told it is late
    an_hour_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).replace(second=30)
    assert main(["release", "--due", f"{an_hour_ago:%Y-%m-%d %H:%M:%S}"]) == 0
    base = exchange.parent
    gus, hal, ida = (Student(base, n, exchange) for n in ("gus", "hal", "ida"))
    for s in (gus, hal, ida):
        s.nbgrader("fetch_assignment", "fixture")
    gus.answer(RIGHT)
    gus.submit()
    hal.answer("return Z")  # a typical mistake: no max
    hal.submit()
    ida.notebook.write_text(nbformat.writes(new_notebook(cells=[new_code_cell("1 + 1")])))
    ida.submit()
    # a round stopped after its collect (the hub restarted): the next one grades it
    collect_exchange(course, exchange)
    options = Options(jobs=2, progress=False)
    first = one_round(course, exchange, options)
    assert sorted(e["key"] for e in first.graded) == ["fixture/gus", "fixture/hal"]
    assert {e["key"]: e["score"] for e in first.graded} == {"fixture/gus": 2, "fixture/hal": 0}
    second = one_round(course, exchange, options)
    assert second.graded == [] and second.released == []  # nothing graded twice
    # ida's wrong notebook was said when the collect (stopped round) logged it, not again
    assert second.rejected == [] and first.rejected == []

    (gus_page,) = gus.feedback().values()
    assert 'data-score="2.0"' in gus_page and "Feedback for gus" in gus_page
    assert f"after the deadline ({an_hour_ago:%Y-%m-%d %H:%M:%S} UTC): late" in gus_page
    (hal_page,) = hal.feedback().values()
    assert 'data-score="0.0"' in hal_page and "relu" in hal_page
    (ida_page,) = ida.feedback().values()
    assert "was not graded" in ida_page and "graded cells" in ida_page
    # each page is found only by its submission's secret: no name gives another's
    pages = {p.name for p in (exchange / COURSE_ID / "feedback").iterdir()}
    for sub in read_state(course):
        assert feedback_name(sub.secret, sub.notebooks[0]) in pages
    assert len(read_ledger(course)) == 2
