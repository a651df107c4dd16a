"""One task per submission: everything its grading needs, as bytes and strings, so
that it can travel to another machine (a Dask worker) with no shared disk."""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from ..course import BUILD
from ..sandbox import Limits, limits_for

_STUDENT_TABLES = ("grade", "comment", "submitted_notebook", "submitted_assignment", "student")


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


def sha256_of(*parts: bytes) -> str:
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
    course's checks, reference solutions and grader that decide it (with the course's
    own ``checkers/<assignment>.py`` where it has one). Changing any of these - by a new
    ``course release``, a new version of the three packages, an edit of the checks -
    re-grades the class; editing the source notebook without releasing it does not."""
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
    for p in grading_code():
        parts += [p.name.encode(), p.read_bytes()]
    own_checks = root / "checkers" / f"{assignment}.py"
    if own_checks.is_file():
        parts += [b"checkers", own_checks.read_bytes()]
    return sha256_of(*parts)


def grading_code() -> list[Path]:
    """The files whose code decides a grade: the checks (and the oracle) of
    ``course_utils``, the reference solutions, and the grader's checker."""
    import course_reference
    import course_utils

    found = []
    for package, folders in (
        (Path(course_utils.__file__).parent, ("checks",)),
        (Path(course_reference.__file__).parent, (".",)),
        (Path(__file__).resolve().parent.parent, ("checker",)),
    ):
        for folder in folders:
            found += sorted((package / folder).rglob("*.py"))
    found.append(Path(course_utils.__file__).parent / "oracle.py")
    return [p for p in found if "__pycache__" not in p.parts]


def make_task(
    root: Path,
    submission: Submission,
    template: bytes,
    source_directory: str,
    env: dict,
    isolation: str = "auto",
    limits: Limits | None = None,
    release: str = "",
    checker_jobs: int = 1,
) -> dict:
    """Everything one submission's grading needs, as bytes and strings. ``release``: the
    assignment's fingerprint (it seeds the checker's hidden cases, with the submission);
    ``checker_jobs``: how many checker processes a machine grading these keeps."""
    from ..checker.exercises import source_of

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
    notebooks = submission.notebooks()
    return {
        "released": released,
        "isolation": isolation,
        "limits": asdict(limits),
        "assignment": submission.assignment,
        "student": submission.student,
        "notebooks": notebooks,
        "timestamp": submission.timestamp(),
        "template": template,
        "source_files": extra,
        "source_directory": source_directory,
        "env": env,
        "timeout_s": limits.notebook_s,
        "sha256": sha256_of(*notebooks.values()),
        "release": release,
        "checker_source": source_of(a, root),
        "checker_jobs": checker_jobs,
    }


def thread_limits(threads: int) -> dict[str, str]:
    """Environment variables that hold TensorFlow (and OpenMP) in a kernel to ``threads``
    threads for its operations and one for running them side by side."""
    n = str(max(1, int(threads)))
    return {"TF_NUM_INTRAOP_THREADS": n, "TF_NUM_INTEROP_THREADS": "1", "OMP_NUM_THREADS": n}
