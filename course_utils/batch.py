"""Autograde a batch of submissions in parallel: local processes or a Dask cluster.

nbgrader grades one submission at a time, all in one process writing one gradebook
(its issue #174). Here each submission is one *task* that runs the unchanged
``nbgrader autograde`` in a private temporary course of its own - a copy of the
released assignment's gradebook, that one notebook, nothing else of the class - and
returns what it found. Only the process that started the batch writes the results
into the real gradebook (**one writer**), one submission at a time:

1. the autograded notebook into ``build/autograded/<student>/<a>/`` (staged, then
   renamed into place),
2. the scores into ``build/gradebook.db`` (nbgrader's API: the student and submission
   rows, then the scores),
3. one line into the ledger ``build/grading/ledger.jsonl`` (appended, flushed).

A run that is interrupted (Ctrl-C, ``kill``) or crashes loses nothing already written,
and a submission whose ledger line is missing is simply graded again next time.
Re-running grades only what is new or changed: the ledger keeps a hash of each
submission and of the assignment's source notebook.

Tasks are plain dicts of bytes and strings, so they travel to other machines: the
``dask`` backend sends them to a ``distributed`` scheduler by address (every worker
needs this course installed, the same environment as the instructor's).

Two things make parallel grading pay on a small machine: each task's nbgrader process
is forked from a fork server that imported nbgrader once (its import costs 2-3 s of CPU
per submission otherwise), and TensorFlow in each kernel is held to its share of the
CPUs (:func:`thread_limits`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import re
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .grading import BUILD, GradingError, find_assignments, write_config
from .restore import restore_file
from .sandbox import Isolation, Limits, limits_for, probe, write_kernelspec

LEDGER = f"{BUILD}/grading/ledger.jsonl"
# the API modules of keras and tensorflow the grading kernel's guard keeps as they were
# (course_utils.integrity), for assignments whose notebooks use them
GUARD_KERAS = ",".join(
    [
        "keras",
        *(f"keras.{m}" for m in ("layers", "models", "ops", "utils", "initializers", "random")),
        *(f"keras.{m}" for m in ("backend", "activations", "losses", "optimizers", "metrics")),
        # not tensorflow: its lazy loaders (tf.keras...) replace themselves on first use
        "course_utils.reference",
    ]
)
_STUDENT_TABLES = ("grade", "comment", "submitted_notebook", "submitted_assignment", "student")


# --------------------------------------------------------------------------- tasks
@dataclass
class Submission:
    """One collected submission: ``build/submitted/<student>/<assignment>/``."""

    assignment: str
    student: str
    folder: Path

    @property
    def key(self) -> str:
        return f"{self.assignment}/{self.student}"

    def notebooks(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(self.folder.glob("*.ipynb"))}

    def timestamp(self) -> str | None:
        path = self.folder / "timestamp.txt"
        if not path.is_file():
            return None
        return path.read_text().strip() or None


def find_submissions(
    root: str | Path, assignments: Iterable[str] | None = None
) -> list[Submission]:
    """Every collected submission of ``assignments`` (default: all), sorted."""
    submitted = Path(root) / BUILD / "submitted"
    wanted = set(assignments) if assignments else None
    found = []
    if submitted.is_dir():
        for student_dir in sorted(p for p in submitted.iterdir() if p.is_dir()):
            for folder in sorted(p for p in student_dir.iterdir() if p.is_dir()):
                if wanted is None or folder.name in wanted:
                    found.append(Submission(folder.name, student_dir.name, folder))
    return found


def _sha256(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def gradebook_template(root: Path, dest: Path) -> bytes:
    """The gradebook with every assignment's cells but no student: what a task starts from.

    Made with sqlite's backup API (consistent even while the gradebook is in use)."""
    src = sqlite3.connect(root / BUILD / "gradebook.db")
    dst = sqlite3.connect(dest)
    try:
        src.backup(dst)
        for table in _STUDENT_TABLES:
            dst.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        dst.commit()
        dst.execute("VACUUM")
    finally:
        src.close()
        dst.close()
    return dest.read_bytes()


def assignment_fingerprint(root: Path, assignment: str, source_directory: str) -> str:
    """A hash of everything that decides a grade besides the submission: the cells the
    release stored in the gradebook (nbgrader puts the tests back from there, hidden
    ones included), their points, the due date, the assignment's other files, and the
    course's checks and reference solutions (which the tests call). Changing any of
    these - by a new ``course release`` or a new ``course_utils`` - re-grades the class;
    editing the source notebook without releasing it does not."""
    from . import checks

    parts = []
    of_assignment = (
        "JOIN notebook n ON {c}.notebook_id = n.id "
        "JOIN assignment a ON n.assignment_id = a.id WHERE a.name = ?"
    )
    queries = [
        "SELECT duedate FROM assignment WHERE name = ?",
        "SELECT n.name, c.name, c.cell_type, c.locked, c.source FROM source_cell c "
        + of_assignment.format(c="c")
        + " ORDER BY n.name, c.name",
        "SELECT n.name, b.name, g.max_score FROM grade_cells g JOIN base_cell b ON g.id = b.id "
        + of_assignment.format(c="b")
        + " ORDER BY n.name, b.name",
    ]
    with contextlib.closing(sqlite3.connect(root / BUILD / "gradebook.db")) as db:
        for query in queries:
            parts.append(repr(db.execute(query, (assignment,)).fetchall()).encode())
    source = root / source_directory / assignment
    for p in sorted(source.rglob("*")):
        if p.is_file() and p.suffix != ".ipynb" and ".ipynb_checkpoints" not in p.parts:
            parts += [str(p.relative_to(source)).encode(), p.read_bytes()]
    package = Path(checks.__file__).parent
    for p in [package / "checks.py", *sorted((package / "reference").glob("*.py"))]:
        if p.is_file():
            parts.append(p.read_bytes())
    return _sha256(*parts)


def make_task(
    root: Path,
    submission: Submission,
    template: bytes,
    source_directory: str,
    env: dict,
    isolation: str = "auto",
    limits: Limits | None = None,
) -> dict:
    """Everything one submission's grading needs, as bytes and strings."""
    a = submission.assignment
    source = root / source_directory / a
    limits = limits or limits_for(source)
    extra = {
        str(p.relative_to(source)): p.read_bytes()
        for p in sorted(source.rglob("*"))
        if p.is_file() and p.suffix != ".ipynb" and ".ipynb_checkpoints" not in p.parts
    }
    released = {
        p.name: p.read_bytes() for p in sorted((root / BUILD / "release" / a).glob("*.ipynb"))
    }
    code = b"".join(p.read_bytes() for p in source.glob("*.ipynb"))
    notebooks = submission.notebooks()
    return {
        "released": released,
        "isolation": isolation,
        "limits": asdict(limits),
        "guard_modules": GUARD_KERAS if b"keras" in code or b"tensorflow" in code else "",
        "assignment": submission.assignment,
        "student": submission.student,
        "notebooks": notebooks,
        "timestamp": submission.timestamp(),
        "template": template,
        "source_files": extra,
        "source_directory": source_directory,
        "env": env,
        "timeout_s": limits.notebook_s,
        "sha256": _sha256(*notebooks.values()),
    }


def thread_limits(threads: int) -> dict[str, str]:
    """Environment variables that hold TensorFlow (and OpenMP) in a kernel to ``threads``
    threads for its operations and one for running them side by side."""
    n = str(max(1, int(threads)))
    return {"TF_NUM_INTRAOP_THREADS": n, "TF_NUM_INTEROP_THREADS": "1", "OMP_NUM_THREADS": n}


# --------------------------------------------------------------------------- one task
_running: dict[int, bool] = {}  # pids of the nbgrader processes running here
_running_lock = threading.Lock()
_stopping = threading.Event()  # set by kill_running: no new nbgrader may start


_EXCEPTION_LINE = re.compile(r"^\s*(?:[\w]+\.)*(\w*(?:Error|Exception|Exit|Interrupt)\w*): (.+)$")


def _last_error(log: str) -> str:
    """The line of nbgrader's log that says what went wrong (its last exception)."""
    lines = [ln.strip() for ln in log.splitlines() if ln.strip()]
    for line in reversed(lines):
        m = _EXCEPTION_LINE.match(line.split("] ", 1)[-1] if line.startswith("[") else line)
        if m:
            return f"{m.group(1)}: {m.group(2)}"[:300]
    for line in reversed(lines):
        if "| ERROR]" in line and "above traceback" not in line:
            return line.split("] ", 1)[-1][:300]
    return (lines[-1] if lines else "nbgrader printed nothing")[:300]


def grade_submission(task: dict) -> dict:
    """:func:`_grade_submission`, with any unexpected error turned into a failed result."""
    try:
        return _grade_submission(task)
    except Exception as exc:  # noqa: BLE001 - one submission must not stop the batch
        return failed_result(task, f"the grader itself failed: {type(exc).__name__}: {exc}")


def failed_result(task: dict, reason: str) -> dict:
    """The result of a task that produced nothing but a reason."""
    a, s = task["assignment"], task["student"]
    return {
        "key": f"{a}/{s}",
        "assignment": a,
        "student": s,
        "sha256": task["sha256"],
        "timestamp": task.get("timestamp"),
        "worker": "",
        "ok": False,
        "reason": reason,
        "grades": {},
        "comments": {},
        "penalties": {},
        "files": {},
        "log": "",
        "notes": [],
        "seconds": 0.0,
    }


def _grade_submission(task: dict) -> dict:
    """Run ``nbgrader autograde`` on one submission in a private temporary course.

    Runs wherever it is called: a thread of the local pool, or a Dask worker. Returns
    ``{"key", "ok", "reason", "seconds", "grades", "comments", "penalties", "files",
    "log"}``; ``files`` holds the autograded folder (relative path -> bytes).
    Never raises for a bad submission: ``ok`` is False and ``reason`` says why.
    """
    start = time.perf_counter()
    a, s = task["assignment"], task["student"]
    result = {"key": f"{a}/{s}", "assignment": a, "student": s, "sha256": task["sha256"]}
    result["timestamp"] = task.get("timestamp")
    result["worker"] = f"{socket.gethostname()}:{os.getpid()}"  # where it ran
    result.update(ok=False, reason="", grades={}, comments={}, penalties={}, files={}, log="")
    result["notes"] = []
    with tempfile.TemporaryDirectory(prefix=f"grade-{a}-") as tmp:
        course = Path(tmp)
        (course / BUILD).mkdir()
        (course / BUILD / "gradebook.db").write_bytes(task["template"])
        source = course / task["source_directory"] / a
        source.mkdir(parents=True)
        for rel, data in task["source_files"].items():
            (source / rel).parent.mkdir(parents=True, exist_ok=True)
            (source / rel).write_bytes(data)
        submitted = course / BUILD / "submitted" / s / a
        submitted.mkdir(parents=True)
        notebooks, notes = _as_released(task["notebooks"], task.get("released") or {})
        result["notes"] = notes
        for name, data in notebooks.items():
            (submitted / name).write_bytes(data)
        if task.get("timestamp"):
            (submitted / "timestamp.txt").write_text(task["timestamp"])

        env = dict(os.environ)
        env.setdefault("COURSE_BUDGET", "quick")
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        env.update(task.get("env") or {})
        env.update(_sandboxed_kernel(course, a, s, task, env))
        write_config(course, task["source_directory"], extra=_kernel_config(task, course))
        argv = ["autograde", a, f"--student={s}", "--create", "--force"]
        returncode, log, timed_out = _run_nbgrader(course, argv, env, task["timeout_s"])
        if returncode is None and not timed_out:  # the batch was stopped first
            result["reason"] = log
            returncode = 1
        result["log"] = log[-4000:]
        if timed_out:
            result["reason"] = f"timed out after {task['timeout_s']} s"
        elif returncode != 0:
            result["reason"] = _last_error(log)
            if result["reason"].startswith("DeadKernelError"):
                result["reason"] += (
                    " - the notebook stopped its own kernel (os._exit, a signal) or "
                    "crashed it; nbgrader grades nothing of a notebook whose kernel dies"
                )
        graded = course / BUILD / "autograded" / s / a
        if not result["reason"]:
            if not any(graded.glob("*.ipynb")):
                result["reason"] = f"nbgrader made no autograded notebook: {_last_error(log)}"
            else:
                _read_scores(course, a, s, result)
                result["files"] = _collected(graded)
                result["ok"] = True
    result["seconds"] = time.perf_counter() - start
    return result


MAX_RESULT_BYTES = 200 * 1024 * 1024  # an autograded folder larger than this is cut


def _collected(graded: Path) -> dict[str, bytes]:
    """The autograded folder's regular files (relative path -> bytes): never a symbolic
    link (it could point anywhere on the grader's machine), at most MAX_RESULT_BYTES."""
    files, total = {}, 0
    for p in sorted(graded.rglob("*")):
        if p.is_symlink() or not stat.S_ISREG(p.lstat().st_mode):
            continue
        size = p.lstat().st_size
        if total + size > MAX_RESULT_BYTES:
            continue
        files[str(p.relative_to(graded))] = p.read_bytes()
        total += size
    return files


def _as_released(notebooks: dict[str, bytes], released: dict[str, bytes]):
    """The submission's notebooks with the release's structure put back
    (:mod:`course_utils.restore`), and what was put back. One notebook under another
    name (``fixture (1).ipynb``) is graded as the released one."""
    notes = []
    notebooks = dict(notebooks)
    missing = [n for n in released if n not in notebooks]
    others = [n for n in notebooks if n not in released]
    if len(missing) == 1 and len(others) == 1:
        notes.append(f"submitted as {others[0]!r}: graded as {missing[0]!r}")
        notebooks[missing[0]] = notebooks.pop(others[0])
    for name, data in notebooks.items():
        if name in released:
            notebooks[name], changed = restore_file(data, released[name])
            notes += [f"{name}: {n}" for n in changed]
    return notebooks, notes


_probed: dict[str, Isolation] = {}


def isolation_here(mode: str) -> Isolation:
    """:func:`course_utils.sandbox.probe` once per process (a Dask worker probes its own
    machine)."""
    if mode not in _probed:
        _probed[mode] = probe(mode)
    return _probed[mode]


def _test_cell_hashes(course: Path, assignment: str) -> list[str]:
    """sha256 of each test cell's source as nbgrader will run it (from the gradebook):
    how the kernel's guard knows a test cell without being handed the hidden tests."""
    from .integrity import cell_hash

    with contextlib.closing(sqlite3.connect(course / BUILD / "gradebook.db")) as db:
        rows = db.execute(
            "SELECT source_cell.source FROM source_cell JOIN base_cell"
            " ON base_cell.name = source_cell.name"
            " AND base_cell.notebook_id = source_cell.notebook_id"
            " JOIN notebook ON notebook.id = source_cell.notebook_id"
            " JOIN assignment ON assignment.id = notebook.assignment_id"
            " WHERE assignment.name = ? AND source_cell.cell_type = 'code'"
            " AND base_cell.type = 'GradeCell'",
            (assignment,),
        ).fetchall()
    return sorted({cell_hash(row[0]) for row in rows})


def _sandboxed_kernel(course: Path, a: str, s: str, task: dict, env: dict) -> dict:
    """Write the task's kernelspec (:mod:`course_utils.sandbox`): the environment
    variables that make nbgrader start it."""
    if task.get("isolation", "auto") == "off":  # trusted notebooks: nbgrader's own kernel
        return {}
    iso = isolation_here(task.get("isolation", "auto"))
    limits = Limits(**task.get("limits", {}))
    # nbgrader's temporary folder (see _run_nbgrader) holds the kernel's connection file
    # and its Unix sockets: a short path (108 bytes at most), shared with the sandbox
    ipc = course / "tmp"
    ipc.mkdir(exist_ok=True)
    kernel_env = {
        **env,
        "COURSE_TEST_CELLS": ",".join(_test_cell_hashes(course, a)),
        "COURSE_GUARD_MODULES": task.get("guard_modules", ""),
    }
    workdir = course / BUILD / "autograded" / s / a
    # what the kernel sees at its working folder: the assignment's files, not nbgrader's
    # folder (which holds the notebook with its hidden tests put back)
    scratch, tmp = course / "work", course / "kernel-tmp"
    for rel, data in task["source_files"].items():
        (scratch / rel).parent.mkdir(parents=True, exist_ok=True)
        (scratch / rel).write_bytes(data)
    scratch.mkdir(exist_ok=True)
    tmp.mkdir()
    tmp.chmod(0o1777)  # the kernel's /tmp, whichever user it runs as
    write_kernelspec(
        course / "jupyter", iso, limits, workdir, ipc, kernel_env, scratch=scratch, tmp=tmp
    )
    return {
        "JUPYTER_PATH": os.pathsep.join([str(course / "jupyter"), env.get("JUPYTER_PATH", "")]),
        "JUPYTER_RUNTIME_DIR": str(ipc),
        "COURSE_ISOLATED": "1" if iso.isolated else "",
    }


def _kernel_config(task: dict, course: Path) -> str:
    """nbgrader settings of the task's private course: the cell limit; a cell that runs
    out of time is interrupted (it scores 0, the next cells still run); with isolation,
    the kernel is reached through Unix sockets (it has no network)."""
    limits = Limits(**task.get("limits", {}))
    lines = [f"c.Execute.timeout = {limits.cell_s}", "c.Execute.interrupt_on_timeout = True"]
    if task.get("isolation", "auto") != "off":  # our kernelspec, whatever the notebook names
        lines.append('c.Execute.kernel_name = "python3"')
    if isolation_here(task.get("isolation", "auto")).isolated:
        lines.append('c.KernelManager.transport = "ipc"')
        lines.append(f"c.KernelManager.ip = {str(course / 'tmp' / 'kernel')!r}")
    return "\n".join(lines)


def _kill_tree(pid: int) -> None:
    """Kill a process and every process it started - nbgrader's kernel runs in a
    session of its own, so a process group is not enough."""
    import psutil

    try:
        parent = psutil.Process(pid)
        family = [*parent.children(recursive=True), parent]
    except psutil.NoSuchProcess:
        return
    for proc in family:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            proc.kill()
    psutil.wait_procs(family, timeout=10)


def kill_running() -> int:
    """Kill every grading process of the local backend (and its kernel); how many."""
    with _running_lock:
        _stopping.set()
        pids = list(_running)
    for pid in pids:
        _kill_tree(pid)
    return len(pids)


def _die_with_parent() -> None:
    """Linux: this process gets SIGKILL when its parent (the fork server) dies - which it
    does when the ``course`` process is killed, even with ``kill -9``."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _nbgrader_child(course: str, argv: list[str], env: dict, log_path: str) -> None:
    """In a child forked from the fork server: ``nbgrader <argv>`` in ``course``, its
    output to ``log_path``. nbgrader was imported once, by the fork server."""
    _die_with_parent()
    os.chdir(course)
    os.environ.clear()
    os.environ.update(env)
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    code = 0
    try:
        from nbgrader.apps.nbgraderapp import NbGraderApp

        NbGraderApp.launch_instance(argv=argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - reported through the log and the exit code
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


_forkserver = None


def _fork_context():
    """A fork server that imported nbgrader once: each task's nbgrader process is forked
    from it, ready, instead of paying nbgrader's 2-3 s import every time."""
    global _forkserver
    if _forkserver is None:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["course_utils.batch", "nbgrader.apps.nbgraderapp"])
        _forkserver = ctx
    return _forkserver


_start_lock = threading.Lock()


@contextlib.contextmanager
def _main_module_hidden():
    """multiprocessing re-runs the caller's main script in every child it starts from
    a fork server; a child here needs nothing from it (and a script without an
    ``if __name__ == "__main__"`` guard would start its batch again), so the script is
    hidden from it while the child starts."""
    main = sys.modules.get("__main__")
    saved = dict(vars(main)) if main is not None else {}
    try:
        if main is not None:
            main.__dict__.pop("__file__", None)
            main.__spec__ = None
        yield
    finally:
        if main is not None:
            for key in ("__file__", "__spec__"):
                main.__dict__.pop(key, None)
                if key in saved:
                    main.__dict__[key] = saved[key]


def _run_nbgrader(course: Path, argv: list[str], env: dict, timeout_s: float):
    """Run ``nbgrader <argv>`` in ``course``: (exit code, log, timed out).

    Forked from the fork server where this process may have children (the local pool,
    and Dask workers that are not daemons); a fresh ``python -m nbgrader`` elsewhere.
    Either way it is registered for :func:`kill_running` and killed with its kernel at
    the time limit."""
    log_path = course / "nbgrader.log"
    if _stopping.is_set():
        return None, "the batch was stopped before this submission started", False
    # the kernel's connection file and any temporary file of the notebook go inside the
    # task's folder: removed with it, even when the kernel is killed
    (course / "tmp").mkdir(exist_ok=True)
    env = {**env, "TMPDIR": str(course / "tmp")}
    if sys.platform != "win32" and not multiprocessing.current_process().daemon:
        proc = _fork_context().Process(
            target=_nbgrader_child, args=(str(course), argv, env, str(log_path))
        )
        with _start_lock, _main_module_hidden():
            proc.start()
        pid, wait = proc.pid, proc.join
        exitcode = lambda: proc.exitcode  # noqa: E731
    else:
        with log_path.open("wb") as out:
            popen = subprocess.Popen(
                [sys.executable, "-m", "nbgrader", *argv],
                cwd=course,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        pid = popen.pid

        def wait(timeout=None):
            with contextlib.suppress(subprocess.TimeoutExpired):
                popen.wait(timeout)

        exitcode = lambda: popen.returncode  # noqa: E731
    with _running_lock:
        _running[pid] = True
        stopping = _stopping.is_set()
    if stopping:  # started while the batch was being stopped: it goes at once
        _kill_tree(pid)
    try:
        wait(timeout_s)
        timed_out = exitcode() is None
        if timed_out:
            _kill_tree(pid)
            wait()
    finally:
        with _running_lock:
            _running.pop(pid, None)
    log = log_path.read_text(errors="replace") if log_path.exists() else ""
    return exitcode(), log, timed_out


def _read_scores(course: Path, assignment: str, student: str, result: dict) -> None:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / BUILD / 'gradebook.db'}") as gb:
        sub = gb.find_submission(assignment, student)
        for nb in sub.notebooks:
            result["grades"][nb.name] = {
                g.name: [g.auto_score, g.max_score, g.needs_manual_grade] for g in nb.grades
            }
            result["comments"][nb.name] = {c.name: c.auto_comment for c in nb.comments}
            result["penalties"][nb.name] = nb.late_submission_penalty


# --------------------------------------------------------------------------- the writer
def read_ledger(root: str | Path) -> dict[str, dict]:
    """``{"<assignment>/<student>": entry}``, the last line written for each submission.

    An entry holds status ("graded" or "failed"), reason, score, max_score, seconds,
    sha256 (submission), source_sha256 (assignment) and graded_at. A line cut short by a
    crash is ignored (that submission is graded again)."""
    path = Path(root) / LEDGER
    entries: dict[str, dict] = {}
    if path.is_file():
        for line in path.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError, KeyError, TypeError):
                entry = json.loads(line)
                entries[entry["key"]] = entry
    return entries


def _replace_folder(staging: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    trash = None
    if target.exists():
        trash = target.with_name(f".old-{target.name}-{os.getpid()}")
        os.replace(target, trash)
    os.replace(staging, target)
    if trash is not None:
        shutil.rmtree(trash, ignore_errors=True)


def write_result(root: Path, result: dict, source_sha256: str) -> dict:
    """Store one task's result: autograded folder, gradebook, then the ledger line."""
    from nbgrader.api import Gradebook
    from nbgrader.utils import parse_utc

    a, s = result["assignment"], result["student"]
    target = root / BUILD / "autograded" / s / a
    if result["ok"]:
        staging = Path(tempfile.mkdtemp(prefix=f".staging-{a}-", dir=root / BUILD))
        for rel, data in result["files"].items():
            (staging / rel).parent.mkdir(parents=True, exist_ok=True)
            (staging / rel).write_bytes(data)
        _replace_folder(staging, target)
    elif target.exists():  # an older grading of another version must not stand
        trash = target.with_name(f".old-{target.name}-{os.getpid()}")
        os.replace(target, trash)
        shutil.rmtree(trash, ignore_errors=True)

    score = max_score = 0.0
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{root / BUILD / 'gradebook.db'}") as gb:
        # nbgrader's own ORM calls warn (SAWarning) when a submission is new: not ours
        warnings.simplefilter("ignore")
        gb.update_or_create_student(s)
        stamp = {"timestamp": parse_utc(result["timestamp"])} if result.get("timestamp") else {}
        sub = gb.update_or_create_submission(a, s, **stamp)
        for nb in sub.notebooks:
            grades = result["grades"].get(nb.name, {})
            for grade in nb.grades:
                auto, _, manual = grades.get(grade.name, [0.0, grade.max_score, False])
                grade.auto_score = auto
                grade.needs_manual_grade = bool(manual)
            comments = result["comments"].get(nb.name, {})
            for comment in nb.comments:
                comment.auto_comment = comments.get(comment.name)
            nb.late_submission_penalty = result["penalties"].get(nb.name)
        gb.db.commit()
        sub = gb.find_submission(a, s)
        score, max_score = float(sub.score), float(sub.max_score)

    entry = {
        "key": result["key"],
        "status": "graded" if result["ok"] else "failed",
        "reason": result["reason"],
        "notes": result.get("notes", []),
        "score": score,
        "max_score": max_score,
        "seconds": round(result["seconds"], 2),
        "worker": result.get("worker", ""),
        "sha256": result["sha256"],
        "source_sha256": source_sha256,
        "graded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    ledger = root / LEDGER
    ledger.parent.mkdir(parents=True, exist_ok=True)
    with ledger.open("a+b") as fh:
        fh.seek(0, os.SEEK_END)
        if fh.tell():  # a line cut short by a crash must not swallow this one
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) != b"\n":
                fh.write(b"\n")
        fh.write((json.dumps(entry) + "\n").encode())
        fh.flush()
        os.fsync(fh.fileno())
    return entry


# --------------------------------------------------------------------------- progress
def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class Progress:
    """A progress bar with an ETA on a terminal; one line per submission elsewhere (logs)."""

    def __init__(self, total: int, stream=None):
        self.total, self.done, self.start = total, 0, time.monotonic()
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def eta(self) -> str:
        if not self.done:
            return "?"
        elapsed = time.monotonic() - self.start
        return _duration(elapsed / self.done * (self.total - self.done))

    def update(self, entry: dict) -> None:
        self.done += 1
        what = (
            f"{entry['score']:g}/{entry['max_score']:g}"
            if entry["status"] == "graded"
            else f"FAILED ({entry['reason'][:60]})"
        )
        if self.tty:
            width = 24
            filled = int(width * self.done / max(self.total, 1))
            line = (
                f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                f"ETA {self.eta():<12} last: {entry['key']} {what}"
            )
            self.stream.write(line[:160].ljust(100))
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(
                f"[{self.done}/{self.total}] {entry['key']}: {what} in "
                f"{_duration(entry['seconds'])}; ETA {self.eta()}\n"
            )
        self.stream.flush()


# --------------------------------------------------------------------------- backends
class Interrupted(KeyboardInterrupt):
    """The batch was stopped (Ctrl-C or SIGTERM); what was written stays written.

    ``.report`` is the :class:`BatchReport` of what was finished before the stop."""

    def __init__(self, report=None):
        super().__init__("interrupted")
        self.report = report


@contextlib.contextmanager
def _sigterm_interrupts():
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Interrupted()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_local(tasks: list[dict], jobs: int, on_result: Callable[[dict], None]) -> None:
    _stopping.clear()  # a batch stopped earlier in this process does not stop this one
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="grade")
    pending = {pool.submit(grade_submission, t) for t in tasks}
    try:
        while pending:
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done:
                on_result(future.result())  # grade_submission never raises
    except BaseException:
        for future in pending:
            future.cancel()
        kill_running()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_dask(tasks: list[dict], scheduler, on_result: Callable[[dict], None]) -> None:
    """``scheduler``: an address (``tcp://host:8786``) or a ``distributed.Client``."""
    try:
        from distributed import Client, as_completed
    except ImportError as exc:  # pragma: no cover - distributed is a dependency
        raise GradingError("the dask backend needs the 'distributed' package") from exc
    client = scheduler if isinstance(scheduler, Client) else Client(scheduler, timeout=30)
    try:
        tasks_by_key = {
            f"grade-{t['assignment']}-{t['student']}-{t['sha256'][:12]}": t for t in tasks
        }
        futures = [
            client.submit(grade_submission, t, key=key, pure=False)
            for key, t in tasks_by_key.items()
        ]
        try:
            for future in as_completed(futures):
                try:
                    result = future.result()
                except Exception as exc:  # noqa: BLE001 - a worker died (KilledWorker, ...)
                    result = failed_result(tasks_by_key[future.key], f"on the cluster: {exc!r}")
                on_result(result)
        except BaseException:
            client.cancel(futures)
            raise
    finally:
        if client is not scheduler:
            client.close()


# --------------------------------------------------------------------------- the batch
@dataclass
class BatchReport:
    """What :func:`autograde_batch` did. ``entries``: the ledger entries written now."""

    entries: list[dict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    skipped_failed: list[str] = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0
    isolation: str = ""  # what protected the kernels (sandbox.Isolation.describe)

    @property
    def failed(self) -> list[dict]:
        return [e for e in self.entries if e["status"] != "graded"]

    def table(self) -> str:
        """The summary table printed at the end of a run."""
        rows = [("submission", "score", "status", "time")]
        for e in sorted(self.entries, key=lambda e: e["key"]):
            score = f"{e['score']:g}/{e['max_score']:g}"
            status = e["status"] if e["status"] == "graded" else f"failed: {e['reason'][:70]}"
            rows.append((e["key"], score, status, _duration(e["seconds"])))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        n = len(self.entries)
        tail = (
            f"{n} submission(s) in {_duration(self.seconds)}: {n - len(self.failed)} graded, "
            f"{len(self.failed)} could not be graded; {len(self.skipped)} unchanged since "
            "the last run, skipped (--force grades them again)"
        )
        if self.skipped_failed:
            tail += (
                f"; {len(self.skipped_failed)} of them could not be graded last time "
                "(--retry-failed tries them again)"
            )
        if self.interrupted:
            tail += "; INTERRUPTED - run the same command again to grade the rest"
        return "\n".join([*lines, tail]) if n else tail


def autograde_batch(
    root: str | Path,
    assignments: list[str] | None = None,
    jobs: int = 1,
    scheduler=None,
    force: bool = False,
    students: list[str] | None = None,
    source_directory: str = "notebooks",
    env: dict | None = None,
    threads_per_kernel: int | None = None,
    retry_failed: bool = False,
    progress: bool = True,
    stream=None,
    isolation: str = "auto",
    limits: Limits | None = None,
) -> BatchReport:
    """Grade every collected submission that is new or changed, ``jobs`` at a time.

    ``scheduler``: a Dask scheduler address or ``distributed.Client`` - the tasks go
    there instead of to local processes. ``force`` re-grades everything; ``retry_failed`` the
    submissions that could not be graded last time (a timeout under load, say), which are
    otherwise skipped until they change. ``env`` is
    added to each grading process's environment. ``threads_per_kernel``: the threads
    TensorFlow may use in each notebook's kernel (default: the CPUs shared out among
    the jobs; 1 on a cluster, whose workers run one kernel per core) - kernels that
    each spread over every core slow each other down. Raises :class:`Interrupted`
    (after saving everything finished) when stopped by Ctrl-C or SIGTERM.

    ``isolation``: "auto" (each kernel in the sandbox this machine can make, see
    :mod:`course_utils.sandbox`; what is missing is in ``report.isolation``), "require"
    (refuse to grade without bubblewrap) or "off" (trusted notebooks only). ``limits``:
    what one kernel may use (:class:`course_utils.sandbox.Limits`); by default each
    assignment's own (:func:`course_utils.sandbox.limits_for`).
    """
    root = Path(root).resolve()
    started = time.monotonic()
    if not (root / BUILD / "gradebook.db").is_file():
        raise GradingError(f"no gradebook in {root / BUILD}: run 'course release' first")
    known = set(find_assignments(root, source_directory))
    for a in assignments or []:
        if a not in known:
            raise GradingError(f"no assignment {a!r} (known: {', '.join(sorted(known))})")
    with contextlib.closing(sqlite3.connect(root / BUILD / "gradebook.db")) as db:
        released = {row[0] for row in db.execute("SELECT name FROM assignment")}
    subs = find_submissions(root, assignments)
    unreleased = sorted({s.assignment for s in subs if s.assignment in known} - released)
    if unreleased:
        raise GradingError(
            f"not released yet, so not in the gradebook: {', '.join(unreleased)}; "
            "run 'course release' first"
        )
    if students:
        subs = [s for s in subs if s.student in set(students)]
    ledger = read_ledger(root)
    source_sha = {
        a: assignment_fingerprint(root, a, source_directory)
        for a in {s.assignment for s in subs}
        if a in known
    }
    report = BatchReport()
    if scheduler is None:  # the workers of a cluster probe their own machine
        try:
            report.isolation = isolation_here(isolation).describe()
        except RuntimeError as exc:
            raise GradingError(str(exc)) from None
    todo = []
    for sub in subs:
        if sub.assignment not in known:
            continue  # collect refuses these; a folder made by hand is not graded
        entry = ledger.get(sub.key)
        sha = _sha256(*sub.notebooks().values())
        unchanged = (
            entry
            and entry.get("sha256") == sha
            and entry.get("source_sha256") == source_sha[sub.assignment]
            and (
                entry["status"] != "graded"
                or (root / BUILD / "autograded" / sub.student / sub.assignment).is_dir()
            )
        )
        if unchanged and entry["status"] != "graded" and retry_failed:
            todo.append(sub)
        elif unchanged and not force:
            report.skipped.append(sub.key)
            if entry["status"] != "graded":
                report.skipped_failed.append(sub.key)
        else:
            todo.append(sub)
    # the longest first (its last grading time, else its size), so that the batch does
    # not end with one long submission running alone while the other jobs sit idle
    todo.sort(
        key=lambda sub: (
            ledger.get(sub.key, {}).get("seconds", 0.0),
            sum(p.stat().st_size for p in sub.folder.glob("*.ipynb")),
        ),
        reverse=True,
    )

    bar = Progress(len(todo), stream) if progress and todo else None

    def on_result(result: dict) -> None:
        entry = write_result(root, result, source_sha[result["assignment"]])
        report.entries.append(entry)
        if bar:
            bar.update(entry)

    if todo:
        with tempfile.TemporaryDirectory(prefix="gradebook-template-") as tmp:
            template = gradebook_template(root, Path(tmp) / "template.db")
        if threads_per_kernel is None:
            threads_per_kernel = 1 if scheduler else max(1, (os.cpu_count() or 1) // max(1, jobs))
        task_env = {
            "COURSE_BUDGET": os.environ.get("COURSE_BUDGET", "quick"),
            **thread_limits(threads_per_kernel),
            **(env or {}),
        }
        tasks = [
            make_task(root, s, template, source_directory, task_env, isolation, limits)
            for s in todo
        ]
        try:
            with _sigterm_interrupts():
                if scheduler is not None:
                    _run_dask(tasks, scheduler, on_result)
                else:
                    _run_local(tasks, max(1, jobs), on_result)
        except KeyboardInterrupt:
            report.interrupted = True
            report.seconds = time.monotonic() - started
            raise Interrupted(report) from None
    report.seconds = time.monotonic() - started
    return report
