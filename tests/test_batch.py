"""course autograde: a batch graded in parallel through one writer, that re-grades only
what changed, goes on past a broken submission, survives an interrupt, and runs the
same on a real Dask cluster of worker processes.

The fixture assignment (no TensorFlow) keeps each submission to a few seconds.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from course_grader.autograde import Options, autograde_batch, read_ledger
from course_grader.autograde.batch import checker_processes
from course_grader.checker.pool import close_shared, shared
from course_grader.course import GradingError
from course_grader.release import release
from helpers import FIXTURES, cell_by_grade_id, fixture_course

pytestmark = pytest.mark.slow

SOLVED = FIXTURES / "notebooks" / "fixture" / "fixture.ipynb"


@pytest.fixture
def course(tmp_path):
    return fixture_course(tmp_path / "course", released=True)


def _released(root):
    return root / "build" / "release" / "fixture" / "fixture.ipynb"


def _submit(root, student, notebook):
    folder = root / "build" / "submitted" / student / "fixture"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "fixture.ipynb"
    if isinstance(notebook, Path):
        shutil.copy(notebook, target)
    elif isinstance(notebook, str):
        target.write_text(notebook)
    else:
        nbformat.write(notebook, target)


def _answer(code):
    """The released fixture with ``relu`` answered by ``code``."""
    nb = nbformat.read(SOLVED, as_version=4)
    cell_by_grade_id(nb, "relu").source = code
    return nb


def _scores(root):
    with Gradebook(f"sqlite:///{root / 'build' / 'gradebook.db'}") as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions("fixture")}


WRONG = "def relu(Z):\n    return Z\n"


def test_a_batch_is_graded_in_parallel_and_goes_on_past_a_broken_file(course):
    _submit(course, "alice", SOLVED)
    _submit(course, "bob", _released(course))
    _submit(course, "carol", _answer(WRONG))
    _submit(course, "dave", "{not json")
    close_shared()  # a fresh checker pool for this batch
    report = autograde_batch(course, Options(jobs=2, progress=False))

    assert _scores(course) == {"alice": 2.0, "bob": 0.0, "carol": 0.0, "dave": 0.0}
    # two jobs share one checker process (each costs TensorFlow's import and ~2.5 GB)
    assert shared().processes == 1
    ledger = read_ledger(course)
    assert {k: e["status"] for k, e in ledger.items()} == {
        "fixture/alice": "graded",
        "fixture/bob": "graded",
        "fixture/carol": "graded",
        "fixture/dave": "failed",
    }
    assert ledger["fixture/dave"]["reason"].startswith("NotJSONError")
    assert [e["key"] for e in report.failed] == ["fixture/dave"]
    for student in ("alice", "bob", "carol"):
        graded = course / "build" / "autograded" / student / "fixture" / "fixture.ipynb"
        assert nbformat.read(graded, as_version=4).cells  # the executed notebook, in place
    assert not (course / "build" / "autograded" / "dave").exists()
    table = report.table()
    assert "fixture/alice  2/2" in table and "failed: NotJSONError" in table
    assert "3 graded, 1 could not be graded" in table
    # nothing half-made is left in build/
    assert not [p.name for p in (course / "build").iterdir() if p.name.startswith(".")]


def test_a_second_run_grades_only_what_is_new_or_changed(course):
    _submit(course, "alice", SOLVED)
    _submit(course, "bob", _answer(WRONG))
    autograde_batch(course, Options(jobs=2, progress=False))

    again = autograde_batch(course, Options(jobs=2, progress=False))
    assert again.entries == [] and sorted(again.skipped) == ["fixture/alice", "fixture/bob"]

    _submit(course, "bob", SOLVED)  # bob fixed his answer
    _submit(course, "carol", SOLVED)  # carol is new
    third = autograde_batch(course, Options(jobs=2, progress=False))
    assert sorted(e["key"] for e in third.entries) == ["fixture/bob", "fixture/carol"]
    assert third.skipped == ["fixture/alice"]
    assert _scores(course) == {"alice": 2.0, "bob": 2.0, "carol": 2.0}

    forced = autograde_batch(course, Options(jobs=2, force=True, progress=False))
    assert len(forced.entries) == 3


def test_a_new_release_regrades_and_an_unreleased_edit_does_not(course):
    """What decides a grade is what the release stored (nbgrader restores the test cells
    from the gradebook) and the trusted checks, not the source notebook as it is being
    edited."""
    _submit(course, "alice", SOLVED)
    autograde_batch(course, Options(progress=False))
    source = course / "notebooks" / "fixture" / "fixture.ipynb"
    nb = nbformat.read(source, as_version=4)
    tests = cell_by_grade_id(nb, "relu_tests")
    tests.source += "\nassert relu(np.array([3.0])).tolist() == [3.0]"  # a public check added
    nbformat.write(nb, source)
    assert autograde_batch(course, Options(progress=False)).entries == []  # not released yet
    release(course, ["fixture"])
    again = autograde_batch(course, Options(progress=False))
    assert [e["key"] for e in again.entries] == ["fixture/alice"]

    checks = course / "checkers" / "fixture.py"  # a hidden case added to the trusted checks
    text = checks.read_text()
    checks.write_text(
        text.replace(
            '        case(Z, "relu(Z',
            '        case(-Z, "relu(-Z", False),\n        case(Z, "relu(Z',
        )
    )
    assert checks.read_text() != text
    third = autograde_batch(course, Options(progress=False))
    assert [e["key"] for e in third.entries] == ["fixture/alice"]
    assert _scores(course) == {"alice": 2.0}


def test_a_failed_submission_is_tried_again_only_when_asked(course):
    _submit(course, "dave", "{not json")
    autograde_batch(course, Options(progress=False))
    second = autograde_batch(course, Options(progress=False))
    assert second.entries == [] and second.skipped_failed == ["fixture/dave"]
    assert "--retry-failed" in second.table()
    third = autograde_batch(course, Options(retry_failed=True, progress=False))
    assert [e["key"] for e in third.entries] == ["fixture/dave"]


def test_progress_lines_say_what_was_graded_and_the_eta(course, capsys):
    _submit(course, "alice", SOLVED)
    _submit(course, "bob", _answer(WRONG))
    autograde_batch(course, Options(jobs=1))
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and err[0].startswith("[1/2] ") and err[1].startswith("[2/2] ")
    assert "ETA" in err[0] and err[1].endswith("ETA 0 s")
    said = {line.split("] ", 1)[1].split(" in ")[0] for line in err}
    assert said == {"fixture/alice: 2/2", "fixture/bob: 0/2"}


def test_the_longest_submission_is_started_first(course):
    _submit(course, "alice", _answer(WRONG))
    _submit(course, "bob", _answer(WRONG + "\n" + "# a long answer\n" * 200))
    report = autograde_batch(course, Options(jobs=1, progress=False))
    assert [e["key"] for e in report.entries] == ["fixture/bob", "fixture/alice"]
    # next time, by how long each took: make alice the slow one
    _submit(course, "alice", _answer("import time\ntime.sleep(3)\n" + SOLVED_RELU))
    _submit(course, "bob", _answer(SOLVED_RELU + "\n" + "# a long answer\n" * 200))
    autograde_batch(course, Options(jobs=1, progress=False))
    again = autograde_batch(course, Options(jobs=1, force=True, progress=False))
    assert [e["key"] for e in again.entries] == ["fixture/alice", "fixture/bob"]


def test_a_ledger_line_cut_short_by_a_crash_means_graded_again(course):
    _submit(course, "alice", SOLVED)
    autograde_batch(course, Options(progress=False))
    ledger = course / "build" / "grading" / "ledger.jsonl"
    line = ledger.read_text()
    ledger.write_text(line[: len(line) // 2])  # the process died while appending
    assert read_ledger(course) == {}
    report = autograde_batch(course, Options(progress=False))
    assert [e["key"] for e in report.entries] == ["fixture/alice"]
    # the new line starts on a line of its own, so it is read, and not graded a third time
    assert list(read_ledger(course)) == ["fixture/alice"]
    assert autograde_batch(course, Options(progress=False)).entries == []


def test_checks_that_cannot_write_their_questions_fail_the_submission_with_why(course):
    """The checker writes its questions while the notebook runs: when it fails, the kernel
    is asked nothing, and the submission fails with the checker's reason (not a hang, not
    a grade from the kernel)."""
    checks = course / "checkers" / "fixture.py"
    text = checks.read_text()
    broken = text.replace("def relu_cases(rng):\n", "def relu_cases(rng):\n    1 / 0\n", 1)
    assert broken != text
    checks.write_text(broken)
    _submit(course, "alice", SOLVED)
    report = autograde_batch(course, Options(progress=False))
    [entry] = report.entries
    assert entry["status"] == "failed"
    assert entry["reason"].startswith("the checker could not write its questions")
    assert "ZeroDivisionError" in entry["reason"]
    assert _scores(course) == {"alice": 0.0}  # the solved notebook's kernel decides nothing

    checks.write_text(text)  # mended: graded again, in full
    again = autograde_batch(course, Options(progress=False, retry_failed=True))
    assert [e["key"] for e in again.entries] == ["fixture/alice"]
    assert _scores(course) == {"alice": 2.0}


def _children_in(folder_prefix: str) -> list[int]:
    """Processes whose working directory is a grading task's temporary course."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if os.readlink(proc / "cwd").startswith(folder_prefix):
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_keeps_what_was_graded_and_leaves_nothing_running(
    course, tmp_path, sig
):
    _submit(course, "a_fast", SOLVED)
    _submit(course, "b_fast", _answer(WRONG))
    _submit(course, "c_slow", _answer("import time\ntime.sleep(600)\n" + SOLVED_RELU))
    # a short folder: the private courses stay in it (under a long one, as pytest-xdist's
    # tmp_path, they go to /tmp, where the kernel's sockets fit: test_private_course...)
    tmp = Path(tempfile.mkdtemp(prefix="interrupted-", dir="/tmp"))
    env = {**os.environ, "TMPDIR": str(tmp)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "course_grader.cli", "autograde", "--jobs", "2"],
        cwd=course,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a process group of its own, as in a terminal
    )
    deadline = time.monotonic() + 120
    while len(read_ledger(course)) < 2:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the two quick submissions were not graded"
        time.sleep(0.5)
    # c_slow is being graded (its nbgrader and kernel started: on a busy machine that
    # takes a while), its kernel soon asleep
    deadline = time.monotonic() + 120
    while not _children_in(str(tmp)):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "c_slow is not being graded"
        time.sleep(0.5)
    time.sleep(2)
    if sig == signal.SIGINT:  # Ctrl-C: the terminal signals the whole process group
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)  # 60 s was too short under the whole suite's load
    assert proc.returncode == 130, (out, err)
    assert "interrupted; everything graded so far is saved" in err
    assert "fixture/a_fast  2/2" in out
    assert _scores(course)["a_fast"] == 2.0
    assert set(read_ledger(course)) == {"fixture/a_fast", "fixture/b_fast"}
    assert _children_in(str(tmp)) == []  # nbgrader and its kernel were stopped
    assert not list(tmp.iterdir())  # their temporary courses removed
    tmp.rmdir()
    # the next run picks up where this one stopped
    _submit(course, "c_slow", SOLVED)
    report = autograde_batch(course, Options(progress=False))
    assert [e["key"] for e in report.entries] == ["fixture/c_slow"]


SOLVED_RELU = "def relu(Z):\n    return np.maximum(Z, 0)\n"


@pytest.mark.parametrize("daemon", [True, False], ids=["daemon-workers", "forking-workers"])
def test_the_same_batch_on_a_dask_cluster_of_worker_processes(course, daemon):
    """Daemon workers (Dask's default) start `python -m nbgrader` for each submission;
    workers allowed to start processes fork it from the fork server."""
    import dask
    from distributed import Client, LocalCluster

    _submit(course, "alice", SOLVED)
    _submit(course, "bob", _answer(WRONG))
    _submit(course, "carol", "{not json")
    with (
        dask.config.set({"distributed.worker.daemon": daemon}),
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
    ):
        report = autograde_batch(
            course, Options(scheduler=cluster.scheduler_address, progress=False)
        )
        with Client(cluster) as client:
            worker_pids = set(client.run(os.getpid).values())
    assert len(worker_pids) == 2
    # every submission was graded in a worker process, none in this one
    ran_in = {int(e["worker"].rsplit(":", 1)[1]) for e in report.entries}
    assert ran_in <= worker_pids and os.getpid() not in ran_in
    assert _scores(course) == {"alice": 2.0, "bob": 0.0, "carol": 0.0}
    assert [e["key"] for e in report.failed] == ["fixture/carol"]
    graded = course / "build" / "autograded" / "alice" / "fixture" / "fixture.ipynb"
    assert graded.is_file()
    entries = read_ledger(course)
    assert json.dumps(entries)  # the ledger is plain JSON
    assert entries["fixture/alice"]["score"] == 2.0


def test_submissions_of_an_assignment_never_released_are_refused(course):
    shutil.copytree(course / "notebooks" / "fixture", course / "notebooks" / "later")
    os.replace(
        course / "notebooks" / "later" / "fixture.ipynb",
        course / "notebooks" / "later" / "later.ipynb",
    )
    folder = course / "build" / "submitted" / "alice" / "later"
    folder.mkdir(parents=True)
    shutil.copy(SOLVED, folder / "later.ipynb")
    with pytest.raises(GradingError, match="not released yet.*later"):
        autograde_batch(course, Options(progress=False))


@pytest.mark.parametrize(
    ("jobs", "processes"), [(0, 1), (1, 1), (2, 1), (4, 1), (5, 2), (8, 2), (9, 3)]
)
def test_one_checker_process_serves_up_to_four_jobs(jobs, processes):
    assert checker_processes(jobs) == processes


def test_a_private_course_under_a_long_temporary_folder_goes_to_tmp(monkeypatch, tmp_path):
    """A kernel's Unix socket path has 107 bytes: under a long TMPDIR every grading
    failed with 'File name too long'."""
    from course_grader.autograde.worker import SOCKET_PATH_MAX, SOCKET_TAIL, private_course

    short = Path(tempfile.mkdtemp(prefix="short-", dir="/tmp"))
    monkeypatch.setattr(tempfile, "tempdir", str(short))
    with private_course("classic_networks") as folder:
        assert Path(folder).parent == short
    short.rmdir()
    long = tmp_path / ("x" * 60)
    long.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(long))
    with private_course("classic_networks") as folder:
        assert Path(folder).parent == Path("/tmp")
        assert len(folder) + SOCKET_TAIL <= SOCKET_PATH_MAX
