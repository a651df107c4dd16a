"""Where tasks run: a local pool (``--jobs``), or a Dask distributed scheduler
(``--scheduler``). Either way every result comes back to ``on_result`` in the process
that started the batch, the one writer."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from ..course import GradingError
from .nbgrader_process import kill_running, reset_stopping
from .worker import failed_result, grade_submission


class Interrupted(KeyboardInterrupt):
    """The batch was stopped (Ctrl-C or SIGTERM); what was written stays written.

    ``.report`` is the :class:`BatchReport` of what was finished before the stop."""

    def __init__(self, report=None):
        super().__init__("interrupted")
        self.report = report


@contextlib.contextmanager
def sigterm_interrupts():
    """Within the block, SIGTERM stops the batch as Ctrl-C does (:class:`Interrupted`)."""
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


def run_local(tasks: list[dict], jobs: int, on_result: Callable[[dict], None]) -> None:
    reset_stopping()
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


def run_dask(tasks: list[dict], scheduler, on_result: Callable[[dict], None]) -> None:
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
