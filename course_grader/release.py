"""Release: the student version of each assignment, checked before it is published.

- :func:`find_leaks` - proof that a released notebook holds no solution line and no
  hidden test;
- :func:`release` - generate with nbgrader into a staging folder, check for leaks, then
  publish atomically into ``build/release/<a>/``;
- :func:`set_due_date` - the deadline nbgrader marks late submissions by;
- :func:`prepare_workspace` - copy released notebooks into a student's folder without
  overwriting their work (``make lab``).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

import nbformat

from .authoring import check_notebook
from .course import BUILD, GradingError, find_assignments, run_nbgrader
from .markers import HIDDEN, MARKERS, SOLUTION, marked_lines, significant, unmarked_lines


class LeakError(GradingError):
    """What was to be published would show students solution code or hidden tests
    (``.leaks``: one line each, naming file and line)."""

    def __init__(self, leaks: list[str], what: str = "the release"):
        super().__init__(f"refusing to publish {what}, it would leak:\n" + "\n".join(leaks))
        self.leaks = leaks


def find_leaks(source_nb, release_nb, name: str = "notebook") -> list[str]:
    """Lines of solutions or hidden tests that a released notebook still contains.

    A line counts when it is significant (two or more tokens, 8+ characters) and does
    not also appear, unmarked, somewhere in the source notebook.
    """
    public: set[str] = set()
    secret: dict[str, str] = {}
    for cell in source_nb.cells:
        public |= unmarked_lines(cell.source)
    for cell in source_nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
        for line in marked_lines(cell.source, SOLUTION):
            secret.setdefault(line, f"solution of {gid}")
        for line in marked_lines(cell.source, HIDDEN):
            secret.setdefault(line, f"hidden test of {gid}")
    secret = {k: v for k, v in secret.items() if significant(k) and k not in public}

    leaks = []
    for index, cell in enumerate(release_nb.cells):
        for marker in MARKERS:
            if marker in cell.source:
                leaks.append(f"{name}: cell {index} still contains '{marker}'")
        for line in cell.source.splitlines():
            what = secret.get(line.strip())
            if what:
                leaks.append(
                    f"{name}: cell {index} contains a line of the {what}: {line.strip()!r}"
                )
    return leaks


def release(
    root: str | Path, assignments: list[str] | None = None, source_directory: str = "notebooks"
) -> dict[str, Path]:
    """Generate the student version of each assignment into ``root/build/release``.

    Each assignment is generated into a staging folder, checked with
    :func:`~course_grader.authoring.check_notebook` and :func:`find_leaks`, and only then
    moved into place, so a release that would leak a solution or hidden test is refused
    and nothing half-made is left behind. Returns ``{assignment: released folder}``.
    """
    root = Path(root).resolve()
    names = assignments or find_assignments(root, source_directory)
    if not names:
        raise GradingError(f"no assignments found under {root / source_directory}")
    (root / BUILD).mkdir(exist_ok=True)
    published = {}
    for name in names:
        source_nb_path = root / source_directory / name / f"{name}.ipynb"
        if not source_nb_path.is_file():
            raise GradingError(
                f"no source notebook {source_nb_path}; assignments are folders "
                f"{source_directory}/<name>/<name>.ipynb"
            )
        problems = check_notebook(source_nb_path)
        if problems:
            raise GradingError(
                "refusing to release; fix the source first:\n" + "\n".join(problems)
            )
        staging = Path(tempfile.mkdtemp(prefix=".release-", dir=root / BUILD))
        try:
            run_nbgrader(
                root,
                "generate_assignment",
                name,
                "--force",
                f"--CourseDirectory.release_directory={staging.relative_to(root)}",
            )
            out = staging / name
            leaks = []
            for released in sorted(out.glob("*.ipynb")):
                src = root / source_directory / name / released.name
                leaks += find_leaks(
                    nbformat.read(src, as_version=4),
                    nbformat.read(released, as_version=4),
                    name=str(released.relative_to(staging)),
                )
            if leaks:
                raise LeakError(leaks, f"the release of {name}")
            target = root / BUILD / "release" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                shutil.rmtree(target)
            os.replace(out, target)
            published[name] = target
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return published


def parse_due(text: str) -> dt.datetime:
    """A due date as an instructor types it - ``2026-12-09 17:00``, ``2026-12-09T17:00:00
    Europe/Paris`` - in UTC (a time without a zone is UTC)."""
    from nbgrader.utils import parse_utc

    try:
        when = parse_utc(text)
    except (ValueError, OverflowError) as exc:
        raise GradingError(
            f"cannot read the due date {text!r}: give it as YYYY-MM-DD HH:MM[:SS] [zone]"
        ) from exc
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def set_due_date(root: str | Path, assignment: str, due: dt.datetime | None) -> None:
    """Record ``assignment``'s due date (UTC; None: no deadline) in the gradebook, where
    nbgrader's late-submission rules and ``course collect --exchange`` read it."""
    from nbgrader.api import Gradebook

    root = Path(root).resolve()
    naive = due.astimezone(dt.UTC).replace(tzinfo=None) if due and due.tzinfo else due
    with Gradebook(f"sqlite:///{root / BUILD / 'gradebook.db'}") as gb:
        gb.update_or_create_assignment(assignment, duedate=naive)


def prepare_workspace(root: str | Path, dest: str | Path) -> dict[str, list[str]]:
    """Copy released notebooks into a student's workspace without overwriting anything.

    ``make lab`` opens JupyterLab on ``dest`` (``build/student``), never on
    ``build/release``: a later release regenerates that folder, and would wipe a
    student's answers. A file that already exists in ``dest`` is kept as it is.
    Returns ``{"copied": [...], "kept": [...]}`` (paths relative to ``dest``).
    """
    release_dir = Path(root) / BUILD / "release"
    dest = Path(dest)
    copied, kept = [], []
    for path in sorted(release_dir.rglob("*")):
        if not path.is_file() or path.name == ".stamp":
            continue
        rel = path.relative_to(release_dir)
        target = dest / rel
        if target.exists():
            kept.append(str(rel))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.part")
        shutil.copy2(path, tmp)
        os.replace(tmp, target)
        copied.append(str(rel))
    dest.mkdir(parents=True, exist_ok=True)
    return {"copied": copied, "kept": kept}
