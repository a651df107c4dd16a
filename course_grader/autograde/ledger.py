"""The one writer: only the process that started the batch stores results, one
submission at a time - the autograded notebook (staged, then renamed into place), the
scores (nbgrader's gradebook API), then one line of the ledger
``build/grading/ledger.jsonl`` (appended, flushed). A run that is interrupted loses
nothing already written; a submission whose ledger line is missing is graded again."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

from ..course import BUILD

LEDGER = f"{BUILD}/grading/ledger.jsonl"


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
    for measured in ("checker_seconds", "kernel_peak_mb"):
        if result.get(measured) is not None:
            entry[measured] = round(float(result[measured]), 2)
    checker = result.get("checker")
    if checker:  # what decided: the trusted checker, on cases drawn from this seed
        entry["seed"] = checker["seed"]
        entry["checker"] = {
            gid: {
                "passed": v["passed"],
                "public_passed": v["public_passed"],
                "hidden": v["hidden"],
                "kernel_passed": checker["kernel_passed"].get(gid),
            }
            for gid, v in checker["verdicts"].items()
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
