"""The batch: every collected submission that is new or changed, graded ``jobs`` at a
time, with a progress bar and a class table at the end."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..course import BUILD, GradingError, find_assignments
from ..sandbox import Limits
from ..terminal import safe
from .backends import Interrupted, run_dask, run_local, sigterm_interrupts
from .ledger import read_ledger, write_result
from .tasks import (
    assignment_fingerprint,
    find_submissions,
    gradebook_template,
    make_task,
    sha256_of,
    thread_limits,
)
from .worker import isolation_here


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
                f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                f"ETA {self.eta():<12} last: {safe(entry['key'])} {safe(what)}"
            )
            # the bar's own carriage return, on the stream itself (what it shows is safe)
            raw = getattr(self.stream, "raw", self.stream)
            raw.write("\r" + line[:160].ljust(100))
            if self.done == self.total:
                raw.write("\n")
        else:
            self.stream.write(
                f"[{self.done}/{self.total}] {entry['key']}: {what} in "
                f"{_duration(entry['seconds'])}; ETA {self.eta()}\n"
            )
        self.stream.flush()


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


@dataclass
class Options:
    """How :func:`autograde_batch` grades (``course autograde``'s options).

    ``assignments``, ``students``: only these (default: all). ``jobs``: submissions
    graded at once here. ``scheduler``: a Dask scheduler address or
    ``distributed.Client`` - the tasks go there instead of to local processes.
    ``force``: grade everything again; ``retry_failed``: the submissions that could not
    be graded last time (a timeout under load, say), which are otherwise skipped until
    they change. ``threads_per_kernel``: the threads TensorFlow may use in each kernel
    (default: the CPUs shared out among the jobs; 1 on a cluster, whose workers run one
    kernel per core) - kernels that each spread over every core slow each other down.
    ``env``: added to each grading process's environment. ``isolation``: "auto" (each
    kernel in the sandbox this machine can make; what is missing is in
    ``report.isolation``), "require" (refuse without bubblewrap) or "off" (trusted
    notebooks only). ``limits``: what one kernel may use (default: each assignment's
    own, :func:`course_grader.sandbox.limits_for`). ``progress``: a progress bar (on
    ``stream``, default stderr)."""

    assignments: list[str] | None = None
    students: list[str] | None = None
    jobs: int = 1
    scheduler: object = None
    force: bool = False
    retry_failed: bool = False
    threads_per_kernel: int | None = None
    env: dict | None = None
    isolation: str = "auto"
    limits: Limits | None = None
    source_directory: str = "notebooks"
    progress: bool = True
    stream: object = None


JOBS_PER_CHECKER = 4


def checker_processes(jobs: int) -> int:
    """How many trusted-checker processes a local batch of ``jobs`` keeps: one for every
    :data:`JOBS_PER_CHECKER` jobs. The checker's own work is a few percent of a
    grading (the notebook's execution is the rest), while each process pays TensorFlow's
    import (9-10 s of CPU), its own public reference outputs and about 2.5 GB: a second
    checker for two jobs costs more than it saves."""
    return max(1, -(-max(1, jobs) // JOBS_PER_CHECKER))


def autograde_batch(root: str | Path, options: Options | None = None) -> BatchReport:
    """Grade every collected submission of the course at ``root`` that is new or changed,
    as ``options`` say. Raises :class:`Interrupted` (after saving everything finished)
    when stopped by Ctrl-C or SIGTERM."""
    o = options or Options()
    assignments, students, jobs, scheduler = o.assignments, o.students, o.jobs, o.scheduler
    force, retry_failed, env, isolation = o.force, o.retry_failed, o.env, o.isolation
    limits, source_directory, stream = o.limits, o.source_directory, o.stream
    threads_per_kernel, progress = o.threads_per_kernel, o.progress
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
        sha = sha256_of(*sub.notebooks().values())
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
            make_task(
                root,
                s,
                template,
                source_directory,
                task_env,
                isolation,
                limits,
                release=source_sha[s.assignment],
                checker_jobs=1 if scheduler else checker_processes(jobs),
            )  # fmt: skip
            for s in todo
        ]
        try:
            with sigterm_interrupts():
                if scheduler is not None:
                    run_dask(tasks, scheduler, on_result)
                else:
                    run_local(tasks, max(1, jobs), on_result)
        except KeyboardInterrupt:
            report.interrupted = True
            report.seconds = time.monotonic() - started
            raise Interrupted(report) from None
    report.seconds = time.monotonic() - started
    return report
