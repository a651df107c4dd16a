"""Grading one task: ``nbgrader autograde`` on one submission, in a private temporary
course of its own (a copy of the released assignment's gradebook, that one notebook,
nothing else of the class), its kernel in the sandbox. Runs wherever it is called: a
thread of the local pool, or a Dask worker."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import stat
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat

from ..checker.pool import CheckerFailed, shared
from ..course import BUILD, write_config
from ..restore import restore_file
from ..sandbox import (
    Isolation,
    Limits,
    cgroup_peak_mb,
    fresh_cgroup,
    probe,
    remove_cgroup,
    write_kernelspec,
)
from . import verdicts as trusted
from .nbgrader_process import run_nbgrader_process

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
    with private_course(a) as tmp:
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
        # the checker writes its questions while the kernel runs the notebook (they are
        # first needed after the first test cell): a cold checker's start is not waited for
        checker = _start_plan(course, task, result)
        if checker is None:
            result["seconds"] = time.perf_counter() - start
            return result
        env.update(_sandboxed_kernel(course, a, s, task, env))
        extra = _kernel_config(task, course) + "\n" + _asking_config(course)
        write_config(course, task["source_directory"], extra=extra)
        argv = ["autograde", a, f"--student={s}", "--create", "--force"]
        try:
            returncode, log, timed_out = run_nbgrader_process(course, argv, env, task["timeout_s"])
        finally:
            if task.get("cgroup"):
                version = isolation_here(task.get("isolation", "auto")).cgroup
                result["kernel_peak_mb"] = cgroup_peak_mb(task["cgroup"], version)
                remove_cgroup(task["cgroup"], version)
        if returncode is None and not timed_out:  # the batch was stopped first
            result["reason"] = log
            returncode = 1
        result["log"] = log[-4000:]
        if "Exception while loading config file" in log:  # nbgrader went on with defaults
            result["reason"] = (
                "the private course's nbgrader_config.py did not load: "
                + _last_error(log.split("Exception while loading config file", 1)[1])
            )
        elif timed_out:
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
            elif _planned(checker, result) and _decide(course, task, checker, notebooks, result):
                _read_scores(course, a, s, result)
                result["files"], left = _collected(graded)
                result["notes"] += left + _dropped_outputs(graded)
                result["ok"] = True
    result["seconds"] = time.perf_counter() - start
    return result


SOCKET_PATH_MAX = 107  # bytes of a Unix socket's path on Linux (sun_path, less its NUL)
# what the private course adds to its folder's path for a kernel's socket: nbgrader's
# temporary folder and a connection file's name with the port (_sandboxed_kernel)
SOCKET_TAIL = len("/tmp/tmpxxxxxxxx-ipc-65535")


def private_course(assignment: str) -> tempfile.TemporaryDirectory:
    """The temporary folder of one submission's private course, removed after: in the
    system's temporary folder, or in ``/tmp`` where that one's path is too long for the
    kernel's Unix sockets to fit their 107 bytes (every grading would fail with
    "File name too long")."""
    prefix = f"grade-{assignment[:24]}-"
    base = tempfile.gettempdir()
    if len(base) + 1 + len(prefix) + 8 + SOCKET_TAIL > SOCKET_PATH_MAX and Path("/tmp").is_dir():
        base = "/tmp"
    return tempfile.TemporaryDirectory(prefix=prefix, dir=base)


def checker_seed(task: dict) -> int:
    """The seed of a submission's hidden cases: from its notebooks and the assignment's
    fingerprint, so that a re-grade of the same submission draws the same cases and a
    changed one (or a new release) draws new ones."""
    import hashlib

    digest = hashlib.sha256(f"{task.get('release', '')}/{task['sha256']}".encode()).hexdigest()
    return int(digest[:15], 16)


def _checker_env(task: dict) -> dict:
    keys = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS")
    return {k: v for k, v in (task.get("env") or {}).items() if k in keys}


PLAN_WAIT_S = 1800  # the most the kernel's questions wait for the checker's plan


def _start_plan(course: Path, task: dict, result: dict) -> dict | None:
    """Start the checker writing its questions for this submission (outside the kernel's
    reach), in a thread: ``plan.json`` appears when they are written - ``[]`` when the
    checker failed, which :func:`_planned` then reports - and ``AskTheKernel`` waits for
    it. None, with the reason in ``result``, when there is no checker to ask."""
    if not task.get("checker_source"):
        result["reason"] = (
            f"no trusted checks for {task['assignment']}: course_grader/checker/exercises/"
            f"{task['assignment']}.py (or checkers/{task['assignment']}.py in the course) is "
            "missing, and the student's kernel decides no grade"
        )
        return None
    seed = checker_seed(task)
    requests = course / "checker" / "requests"
    requests.mkdir(parents=True)
    exchange = course / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    pool = shared(task.get("checker_jobs", 1), env=_checker_env(task))
    plan_file = course / "checker" / "plan.json"
    outcome: dict = {}

    def make_plan() -> None:
        started = time.perf_counter()
        groups: list = []
        try:
            groups = pool.call(
                "plan", task["checker_source"], task["assignment"], seed, str(requests)
            )
        except CheckerFailed as exc:
            outcome["error"] = f"the checker could not write its questions: {exc}"[:1000]
        except Exception as exc:  # noqa: BLE001 - reported as the submission's reason
            outcome["error"] = f"the checker could not write its questions: {exc!r}"[:1000]
        finally:
            outcome["seconds"] = time.perf_counter() - started
            # whole or not at all: the kernel's questions start when it is there
            with contextlib.suppress(OSError):
                part = plan_file.with_name(".plan.json.part")
                part.write_text(json.dumps(groups))
                os.replace(part, plan_file)

    thread = threading.Thread(target=make_plan, name=f"plan {task['student']}", daemon=True)
    thread.start()
    result["seed"] = seed
    return {"seed": seed, "pool": pool, "exchange": exchange, "thread": thread,
            "outcome": outcome}  # fmt: skip


def _planned(checker: dict, result: dict) -> bool:
    """Whether the checker wrote its questions (it has, by the time the kernel was
    asked them); False, with the reason in ``result``, when it could not."""
    checker["thread"].join(PLAN_WAIT_S)
    outcome = checker["outcome"]
    result["checker_seconds"] = result.get("checker_seconds", 0.0) + outcome.get("seconds", 0.0)
    if "seconds" not in outcome:
        result["reason"] = f"the checker wrote no questions in {PLAN_WAIT_S} s"
        return False
    if "error" in outcome:
        result["reason"] = outcome["error"]
        return False
    return True


def _asking_config(course: Path) -> str:
    """nbgrader settings that make the kernel answer the checker after the notebook."""
    return "\n".join(
        [
            f"c.AskTheKernel.plan = {str(course / 'checker' / 'plan.json')!r}",
            f"c.AskTheKernel.plan_wait_s = {PLAN_WAIT_S}",
            f"c.AskTheKernel.requests = {str(course / 'checker' / 'requests')!r}",
            f"c.AskTheKernel.exchange = {str(course / 'exchange')!r}",
        ]
    )


def submission_cells(notebooks: dict[str, bytes], released: dict[str, bytes]) -> dict:
    """The submission's code as the checker's static rules read it: each solution
    cell's source by grade_id, and every code cell the release does not have."""
    answers, added = {}, []
    given = set()
    for data in released.values():
        with contextlib.suppress(Exception):
            given |= {c.source for c in nbformat.reads(data.decode(), as_version=4).cells}
    for data in notebooks.values():
        try:
            nb = nbformat.reads(data.decode("utf-8", "replace"), as_version=4)
        except Exception:  # noqa: BLE001 - nbgrader has said what is wrong with it
            continue
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            meta = cell.get("metadata", {}).get("nbgrader") or {}
            if meta.get("solution") and meta.get("grade_id"):
                answers[meta["grade_id"]] = cell.source
            elif not meta and cell.source not in given:
                added.append(cell.source)
    return {"answers": answers, "added": added}


def _decide(course: Path, task: dict, checker: dict, notebooks: dict, result: dict) -> bool:
    """The checker's verdicts on the kernel's answers, written into the private course;
    False, with the reason in ``result``, when the checker could not decide."""
    a, s = task["assignment"], task["student"]
    cells = submission_cells(notebooks, task.get("released") or {})
    started = time.perf_counter()
    try:
        verdicts = checker["pool"].call(
            "decide", task["checker_source"], a, checker["seed"], str(checker["exchange"]),
            cells, task.get("release", ""),
        )  # fmt: skip
    except CheckerFailed as exc:
        result["reason"] = f"the checker could not decide: {exc}"[:1000]
        return False
    finally:
        spent = time.perf_counter() - started
        result["checker_seconds"] = result.get("checker_seconds", 0.0) + spent
    kernel = trusted.apply(course, a, s, verdicts)
    result["checker"] = {
        "seed": checker["seed"],
        "verdicts": verdicts,
        "kernel_passed": kernel,
    }
    asked = checker["exchange"] / "asked.json"
    if asked.is_file():
        with contextlib.suppress(ValueError, OSError):
            stopped = [g for g in json.loads(asked.read_text()) if g.get("stopped")]
            if stopped:
                result["notes"].append(
                    f"the kernel stopped answering at {stopped[0]['grade_id']}: "
                    f"{stopped[0]['stopped'][:200]}"
                )
    return True


MAX_RESULT_BYTES = 200 * 1024 * 1024  # an autograded folder larger than this is cut


def _collected(graded: Path) -> tuple[dict[str, bytes], list[str]]:
    """The autograded folder's regular files (relative path -> bytes): never a symbolic
    link (it could point anywhere on the grader's machine), at most MAX_RESULT_BYTES;
    and a note for each file left out."""
    files, total, left = {}, 0, []
    for p in sorted(graded.rglob("*")):
        rel = p.relative_to(graded)
        if p.is_symlink() or not stat.S_ISREG(p.lstat().st_mode):
            if p.is_symlink() or not p.is_dir():
                left.append(f"{rel}: not a regular file; not kept")
            continue
        size = p.lstat().st_size
        if total + size > MAX_RESULT_BYTES:
            left.append(f"{rel}: {size:,} bytes, past the {MAX_RESULT_BYTES:,} kept; not kept")
            continue
        files[str(rel)] = p.read_bytes()
        total += size
    return files, left


def _dropped_outputs(graded: Path) -> list[str]:
    """What LimitOutputSize cut from the autograded notebooks, one note per cell."""
    notes = []
    for path in sorted(graded.glob("*.ipynb")):
        with contextlib.suppress(Exception):
            for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
                dropped = (cell.get("metadata", {}).get("course") or {}).get("dropped")
                if dropped:
                    gid = (cell.metadata.get("nbgrader") or {}).get("grade_id")
                    where = f"cell {index}" + (f" ({gid})" if gid else "")
                    notes.append(f"{path.name}: {where}: cut {', '.join(dropped)}")
    return notes


def _as_released(notebooks: dict[str, bytes], released: dict[str, bytes]):
    """The submission's notebooks with the release's structure put back
    (:mod:`course_grader.restore`), and what was put back. One notebook under another
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
    """:func:`course_grader.sandbox.probe` once per process (a Dask worker probes its own
    machine)."""
    if mode not in _probed:
        _probed[mode] = probe(mode)
    return _probed[mode]


def _sandboxed_kernel(course: Path, a: str, s: str, task: dict, env: dict) -> dict:
    """Write the task's kernelspec (:mod:`course_grader.sandbox`): the environment
    variables that make nbgrader start it."""
    if task.get("isolation", "auto") == "off":  # trusted notebooks: nbgrader's own kernel
        return {}
    iso = isolation_here(task.get("isolation", "auto"))
    limits = Limits(**task.get("limits", {}))
    # nbgrader's temporary folder (see _run_nbgrader) holds the kernel's connection file
    # and its Unix sockets: a short path (108 bytes at most), shared with the sandbox
    ipc = course / "tmp"
    ipc.mkdir(exist_ok=True)
    kernel_env = dict(env)
    workdir = course / BUILD / "autograded" / s / a
    # what the kernel sees at its working folder: the assignment's files, not nbgrader's
    # folder (nothing there to find, but nothing of the grader's either)
    scratch = course / "work"
    for rel, data in task["source_files"].items():
        (scratch / rel).parent.mkdir(parents=True, exist_ok=True)
        (scratch / rel).write_bytes(data)
    scratch.mkdir(exist_ok=True)
    task["cgroup"] = fresh_cgroup() if iso.cgroup else None
    write_kernelspec(
        course / "jupyter",
        iso,
        limits,
        workdir,
        ipc,
        kernel_env,
        scratch=scratch,
        shared=(course / "exchange",) if (course / "exchange").is_dir() else (),
        cgroup=task["cgroup"],
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
