"""The checker's processes: long-lived, each with TensorFlow and the reference imported
once, a memory limit of their own, and never a line of student code.

A question to the pool (:func:`plan` or :func:`decide`) goes to a free process and waits
for its answer; a process that dies (a model too large for its memory limit) or runs
out of time is replaced, and the call raises :class:`CheckerFailed` - the submission's
grading records why, the batch goes on.

Example::

    pool = shared(size=2)
    groups = pool.call("plan", source, assignment, seed, str(requests))
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import sys
import threading
from pathlib import Path

from ..children import main_module_hidden

MEMORY_MB = 16384  # address space per checker process (TensorFlow reserves ~2.5 GB)
TIMEOUT_S = 900


class CheckerFailed(RuntimeError):
    """The checker could not decide (its process died or ran out of time)."""


# --------------------------------------------------------------------------- in the process
_loaded: dict[str, list] = {}


def _exercises(source: str, assignment: str):
    from . import exercises

    key = hashlib.sha256(source.encode()).hexdigest()
    if key not in _loaded:
        _loaded[key] = exercises.load(source, assignment)
    return _loaded[key]


def run(command: str, *args):
    """One command, here: ``plan`` or ``decide`` (see :mod:`.plan`, :mod:`.decide`)."""
    import course_reference

    if command == "plan":
        from .plan import make_plan

        source, assignment, seed, folder = args
        return make_plan(_exercises(source, assignment), seed, Path(folder), course_reference)
    if command == "decide":
        from .decide import decide

        source, assignment, seed, folder, cells, release = args
        exercises = _exercises(source, assignment)
        return decide(exercises, seed, Path(folder), course_reference, cells, release)
    raise ValueError(f"unknown checker command {command!r}")


def _serve(connection, memory_mb: int, env: dict) -> None:
    """A checker process: limits, quiet TensorFlow, then one command at a time."""
    os.environ.update(env)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if sys.platform != "win32":
        import resource

        limit = memory_mb * 1024 * 1024
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    import warnings

    warnings.filterwarnings("ignore")
    import course_reference  # noqa: F401 - imported once, with TensorFlow

    while True:
        try:
            message = connection.recv()
        except EOFError:
            return
        if message is None:
            return
        try:
            connection.send(("ok", run(*message)))
        except BaseException as exc:  # noqa: BLE001 - reported to the caller
            import traceback

            connection.send(("error", f"{type(exc).__name__}: {exc}"[:2000],
                             traceback.format_exc()[-4000:]))  # fmt: skip


# --------------------------------------------------------------------------- the pool
class Pool:
    """``size`` checker processes (started when first needed)."""

    def __init__(self, size: int = 1, memory_mb: int = MEMORY_MB, env: dict | None = None):
        self.size, self.memory_mb, self.env = max(1, size), memory_mb, dict(env or {})
        self._free: list = []  # (process, connection) of the idle processes
        self._started = 0
        # a caller waits here for a process to come back, or for a dead one's place
        self._changed = threading.Condition()

    def _start(self):
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(
            target=_serve, args=(child, self.memory_mb, self.env), daemon=True
        )
        with main_module_hidden():
            process.start()
        child.close()
        return process, parent

    @property
    def processes(self) -> int:
        """How many checker processes are running (or starting) now."""
        return self._started

    def _take(self):
        """An idle process, a new one while there are fewer than ``size``, else the
        first to come back (or to die: its place is then a new one's)."""
        with self._changed:
            while not self._free and self._started >= self.size:
                self._changed.wait()
            if self._free:
                return self._free.pop()
            self._started += 1
        try:
            return self._start()
        except BaseException:
            self._give_back(None)
            raise

    def _give_back(self, taken) -> None:
        """``taken`` is idle again; ``None``: its process is gone."""
        with self._changed:
            if taken is None:
                self._started -= 1
            else:
                self._free.append(taken)
            self._changed.notify()

    def call(self, *message, timeout_s: float = TIMEOUT_S):
        """Run ``message`` (a command and its arguments) in a checker process."""
        process, connection = self._take()
        healthy = False
        try:
            connection.send(message)
            if not connection.poll(timeout_s):
                raise CheckerFailed(f"the checker ran out of time ({timeout_s:.0f} s)")
            status, *payload = connection.recv()
            healthy = True
        except (EOFError, OSError, BrokenPipeError):
            raise CheckerFailed(
                "the checker's process died (a model too large for its memory limit?)"
            ) from None
        finally:
            if healthy and process.is_alive():
                self._give_back((process, connection))
            else:
                process.kill()
                process.join(10)
                self._give_back(None)
        if status == "error":
            raise CheckerFailed(payload[0] + "\n" + payload[1])
        return payload[0]

    def close(self) -> None:
        """Stop the idle processes (one still answering a call stops when it returns
        and finds no caller: its pipe closes)."""
        with self._changed:
            idle, self._free = self._free, []
            self._started -= len(idle)
        for process, connection in idle:
            with contextlib.suppress(OSError):
                connection.send(None)
            process.join(5)
            if process.is_alive():
                process.kill()


class InProcess:
    """The checker in this process: where no child process may be started (a daemonic
    Dask worker). No memory limit of its own - the README says so."""

    def call(self, *message, timeout_s: float = TIMEOUT_S):
        try:
            return run(*message)
        except Exception as exc:  # noqa: BLE001
            raise CheckerFailed(f"{type(exc).__name__}: {exc}"[:2000]) from None

    def close(self) -> None:
        pass


_shared: dict[str, object] = {}
_shared_lock = threading.Lock()


def shared(size: int = 1, env: dict | None = None):
    """This process's checker pool (made on first use, grown to ``size``)."""
    with _shared_lock:
        pool = _shared.get("pool")
        if pool is None:
            if multiprocessing.current_process().daemon:
                pool = InProcess()
            else:
                pool = Pool(size, env=env)
            _shared["pool"] = pool
        elif isinstance(pool, Pool) and size > pool.size:
            pool.size = size
        return pool


def close_shared() -> None:
    with _shared_lock:
        pool = _shared.pop("pool", None)
    if pool is not None:
        pool.close()
