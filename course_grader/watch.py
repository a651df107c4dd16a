"""``course watch``: graded on submission. Every few seconds, the exchange's new
submissions are collected, graded (local jobs, or a Dask scheduler) and their feedback
released, so that a student reads their result minutes after submitting with no step of
the instructor's.

Each round is :func:`one_round`: ``collect_exchange`` (what is new or changed; an
unchanged submission is not graded again), ``autograde_batch`` for the students with
something new, ``write_feedback`` for them, ``release_feedback``. Everything a round
does is kept on disk as it goes, so stopping the watcher (or the hub that runs it) at
any moment loses nothing and grades nothing twice: the next round goes on from there.
Only one watcher works on a course at a time (a lock in ``build/grading/``).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import time
from dataclasses import dataclass, field
from pathlib import Path

from .course import BUILD, GradingError


@dataclass
class Round:
    """What one round did: submissions collected (``student/assignment``), graded
    (ledger entries), and feedback released (inbound folder names)."""

    collected: list[str] = field(default_factory=list)
    graded: list[dict] = field(default_factory=list)
    released: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        now = dt.datetime.now(dt.UTC).strftime("%H:%M:%S")
        out = [f"{now} collected {k}" for k in self.collected]
        out += [f"{now} rejected {r}" for r in self.rejected]
        for e in self.graded:
            result = f"{e['score']:g}/{e['max_score']:g}" if e["status"] == "graded" else "failed"
            out.append(f"{now} graded {e['key']}: {result} ({e['seconds']:.0f} s)")
        out += [f"{now} feedback released for {f}" for f in self.released]
        return out


def one_round(root: Path, exchange: Path, options) -> Round:
    """Collect, grade, write and release feedback once (see the module's text)."""
    from .autograde import autograde_batch
    from .exchange import collect_exchange, read_state, release_feedback
    from .feedback import write_feedback

    done = Round()
    report = collect_exchange(root, exchange)
    done.collected = sorted(
        {f"{r.student}/{r.assignment}" for r in report.rows if r.status in ("new", "updated")}
    )
    # each rejection is said once: when the collect log first records it
    done.rejected = [f"{r.file}: {r.reason}" for r in report.logged if r.status == "rejected"]
    counted = sorted({(s.student, s.assignment) for s in read_state(root) if s.status == "graded"})
    if counted:
        # the ledger skips what is graded already: only new or changed work is graded,
        # and work collected by a round that was stopped is graded by this one
        options.students = sorted({s for s, _ in counted})
        done.graded = autograde_batch(root, options).entries
        stale = sorted({s for s, a in counted if _page_is_stale(root, s, a)})
        if stale:
            write_feedback(root, students=stale)
    done.released = release_feedback(root, exchange)
    return done


def _page_is_stale(root: Path, student: str, assignment: str) -> bool:
    """Whether the feedback page of a submission is missing or older than it."""
    page = root / BUILD / "feedback" / student / assignment / f"{assignment}.html"
    submitted = root / BUILD / "submitted" / student / assignment / f"{assignment}.ipynb"
    graded = root / BUILD / "autograded" / student / assignment
    newest = max(p.stat().st_mtime for p in (submitted, graded) if p.exists())
    return not page.is_file() or page.stat().st_mtime < newest


def watch(root, exchange, options, interval: float = 5.0, rounds: int | None = None, echo=print):
    """Run rounds every ``interval`` seconds until stopped (or ``rounds`` of them).
    A round that fails is reported and the next one tries again."""
    root, exchange = Path(root).resolve(), Path(exchange).resolve()
    lock_path = root / BUILD / "grading" / "watch.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GradingError(
                f"another 'course watch' is already working on {root} ({lock_path})"
            ) from None
        echo(f"watching {exchange} for new submissions every {interval:g} s (Ctrl-C stops)")
        n, last_error = 0, ""
        while rounds is None or n < rounds:
            n += 1
            started = time.monotonic()
            try:
                for line in one_round(root, exchange, options).lines():
                    echo(line)
                last_error = ""
            except GradingError as exc:
                if str(exc) != last_error:  # said once, not every round
                    echo(f"this round failed; each next one tries again: {exc}")
                last_error = str(exc)
            if rounds is not None and n >= rounds:
                break
            time.sleep(max(0.0, interval - (time.monotonic() - started)))
