"""The nbgrader process of one task: forked from a fork server that imported nbgrader
once (its import costs 2-3 s of CPU per submission otherwise), registered so that a
stopped batch kills it and its kernel, and killed at the task's time limit."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

_running: dict[int, bool] = {}  # pids of the nbgrader processes running here
_running_lock = threading.Lock()
_stopping = threading.Event()  # set by kill_running: no new nbgrader may start


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


def reset_stopping() -> None:
    """A batch stopped earlier in this process does not stop the next one."""
    _stopping.clear()


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
        ctx.set_forkserver_preload([__name__, "nbgrader.apps.nbgraderapp"])
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


def run_nbgrader_process(course: Path, argv: list[str], env: dict, timeout_s: float):
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
