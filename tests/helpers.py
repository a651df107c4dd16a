"""What the tests share: paths, the fixture course, and the round-trip harness that
releases an assignment and grades it both ways (the solved notebook for full marks, the
untouched release for zero)."""

from __future__ import annotations

import importlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course_grader.autograde import Options, autograde_batch, read_ledger
from course_grader.course import BUILD, run_nbgrader, write_config
from course_grader.markers import HIDDEN, marked_lines
from course_grader.release import LeakError, release

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# grading jobs a test runs at once: one per CPU, but one where pytest-xdist runs a test
# on each CPU already (make test): two batches of two classic_networks kernels, their
# checkers and two pytest processes would want most of a 24 GB machine
TEST_JOBS = 1 if os.environ.get("PYTEST_XDIST_WORKER") else (os.cpu_count() or 1)


def fixture_course(root: Path, released: bool = False) -> Path:
    """A course directory at ``root`` whose only assignment is the fixture (no
    TensorFlow: seconds to grade); ``released``: release it too (makes the gradebook)."""
    shutil.copytree(FIXTURES / "notebooks" / "fixture", root / "notebooks" / "fixture")
    copy_checkers(FIXTURES, root)
    write_config(root, "notebooks")
    if released:
        release(root, ["fixture"])
    return root


def copy_checkers(source_root: Path, course: Path) -> None:
    """The trusted checks of a course of the tests (``checkers/<assignment>.py``)."""
    if (Path(source_root) / "checkers").is_dir():
        shutil.copytree(
            Path(source_root) / "checkers", Path(course) / "checkers", dirs_exist_ok=True
        )


def cell_by_grade_id(nb, grade_id):
    """The cell of notebook ``nb`` whose nbgrader grade_id is ``grade_id``."""
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def own_lines(notebook: Path) -> set[str]:
    """The stripped lines of every cell of a student's notebook: what that student's own
    feedback page may show, whatever else they also are (a correct answer is the
    solution's line)."""
    try:
        nb = nbformat.read(notebook, as_version=4)
    except Exception:  # a broken upload shows nothing of its own
        return set()
    return {line.strip() for cell in nb.cells for line in cell.source.splitlines()}


def hidden_test_lines(source_dir):
    """Every line of 8+ characters inside a hidden block of the source notebooks
    (shorter ones, such as ``)``, occur anywhere)."""
    lines = []
    for path in sorted(Path(source_dir).glob("*/*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            lines += [line for line in marked_lines(cell.source, HIDDEN) if len(line) >= 8]
    return lines


@dataclass
class Score:
    """One graded submission: points, and the graded cells that got no score."""

    score: float
    max_score: float
    ungraded: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    forgiven_stderr: list[str] = field(default_factory=list)
    cells: dict[str, tuple[float, float]] = field(default_factory=dict)
    feedback: dict[str, str] = field(default_factory=dict)


def autograde(
    root: str | Path,
    assignment: str,
    submissions: dict[str, Path],
    jobs: int | None = None,
    source_directory: str | None = None,
) -> dict[str, Score]:
    """Autograde notebooks ``{student_id: path}`` for ``assignment``; return their scores.

    The assignment must have been released (so it is in the gradebook). The notebooks
    are graded ``jobs`` at a time (default: :data:`TEST_JOBS`) by ``course autograde``'s
    batch.
    """
    from nbgrader.api import Gradebook

    root = Path(root).resolve()
    if source_directory is None:
        source_directory = "source" if (root / "source" / assignment).is_dir() else "notebooks"
    for student, path in submissions.items():
        dest = root / BUILD / "submitted" / student / assignment
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, dest / f"{assignment}.ipynb")
    options = Options(
        assignments=[assignment],
        students=list(submissions),
        jobs=jobs or TEST_JOBS,
        force=True,
        source_directory=source_directory,
        progress=False,
    )
    autograde_batch(root, options)
    ledger = read_ledger(root)
    scores = {}
    with Gradebook(f"sqlite:///{root / BUILD / 'gradebook.db'}") as gb:
        for student in submissions:
            sub = gb.find_submission(assignment, student)
            ungraded, failed, cells = [], [], {}
            for nb in sub.notebooks:
                for grade in nb.grades:
                    cells[grade.name] = (grade.auto_score, grade.max_score)
                    if grade.auto_score is None:
                        ungraded.append(grade.name)
                    elif grade.auto_score < grade.max_score:
                        failed.append(grade.name)
            graded_nb = root / BUILD / "autograded" / student / assignment / f"{assignment}.ipynb"
            entry = ledger.get(f"{assignment}/{student}", {})
            if entry.get("status") == "failed" or not graded_nb.is_file():
                reason = entry.get("reason", "no autograded notebook")
                feedback = {name: f"not graded: {reason}" for name in cells}
                scores[student] = Score(
                    sub.score, sub.max_score, ungraded, failed, [], cells, feedback
                )
                continue
            graded_cells = nbformat.read(graded_nb, as_version=4).cells
            forgiven = [
                cell.metadata.get("nbgrader", {}).get("grade_id", f"cell {i}")
                for i, cell in enumerate(graded_cells)
                if "stderr" in cell.metadata.get("course", {})
            ]
            # what the student reads under each graded cell: its error, if any
            feedback = {
                cell.metadata["nbgrader"]["grade_id"]: "\n".join(
                    f"{out.get('ename', '')}: {out.get('evalue', '')}"
                    for out in cell.get("outputs", [])
                    if out.output_type == "error"
                )
                for cell in graded_cells
                if cell.metadata.get("nbgrader", {}).get("grade_id") in cells
            }
            scores[student] = Score(
                sub.score, sub.max_score, ungraded, failed, forgiven, cells, feedback
            )
    return scores


@dataclass
class RoundTrip:
    """What :func:`round_trip` found for one assignment."""

    assignment: str
    leaks: list[str]
    solved: Score
    blank: Score


def round_trip(
    root: str | Path, assignment: str, source_directory: str = "notebooks", extra_config: str = ""
) -> RoundTrip:
    """Release ``assignment`` from a copy of the course and grade it both ways.

    The source is copied into a fresh temporary course, so the real ``build/`` and
    gradebook are never touched. The solved source notebook is graded as student
    ``solved`` and the untouched release as student ``blank``. ``extra_config`` is
    appended to the temporary course's ``nbgrader_config.py`` (``c`` is the config).
    """
    with tempfile.TemporaryDirectory(prefix=f"roundtrip-{assignment}-") as tmp:
        course = Path(tmp)
        leaks = released_course(root, source_directory, assignment, course, extra_config)
        released = course / BUILD / "release" / assignment / f"{assignment}.ipynb"
        solved = course / "source" / assignment / f"{assignment}.ipynb"
        scores = autograde(course, assignment, {"solved": solved, "blank": released})
        return RoundTrip(assignment, leaks, scores["solved"], scores["blank"])


def released_course(
    root: str | Path, source_directory: str, assignment: str, course: Path, extra_config=""
) -> list[str]:
    """``course``: a new course of ``assignment`` copied from ``root/source_directory``
    (and its trusted checks), released; returns the release's leaks (a leaking release
    is generated anyway, so that it can be graded too)."""
    root = Path(root).resolve()
    shutil.copytree(root / source_directory / assignment, course / "source" / assignment)
    copy_checkers(root, course)
    write_config(course, "source", extra_config)
    try:
        release(course, [assignment], source_directory="source")
    except LeakError as exc:
        run_nbgrader(course, "generate_assignment", assignment, "--force")
        return exc.leaks
    return []


def make_submission(source_nb, answers):
    """The solved notebook with the listed solution cells replaced: ``{grade_id: source}``."""
    nb = nbformat.from_dict(source_nb)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id].strip()
    return nb


@dataclass
class GradedCatalog:
    """One assignment released and graded in ONE batch: the solved source notebook
    (``solved``), the untouched release (``blank``) and each of its catalog's
    ``SUBMISSIONS`` (typical mistakes)."""

    assignment: str
    course: Path
    catalog: object
    leaks: list[str]
    scores: dict[str, Score]

    @property
    def round_trip(self) -> RoundTrip:
        return RoundTrip(self.assignment, self.leaks, self.scores["solved"], self.scores["blank"])


def grade_catalog(assignment: str, tmp: Path) -> GradedCatalog:
    """Release ``assignment`` into a course under ``tmp`` (a leak is recorded, not
    raised) and grade, in one batch, everything :class:`GradedCatalog` lists: the round
    trip's two notebooks and the catalog's (tests/catalog/<assignment>.py)."""
    catalog = importlib.import_module(f"catalog.{assignment}")
    course = Path(tmp) / "course"
    leaks = released_course(REPO, "notebooks", assignment, course)
    solved = course / "source" / assignment / f"{assignment}.ipynb"
    source_nb = nbformat.read(solved, 4)
    paths = {"solved": solved, "blank": course / BUILD / "release" / assignment / solved.name}
    for student, mistakes in catalog.SUBMISSIONS.items():
        answers = {g: catalog.MISTAKES[g][m][0] for g, m in mistakes.items()}
        paths[student] = Path(tmp) / f"{student}.ipynb"
        nbformat.write(make_submission(source_nb, answers), paths[student])
    scores = autograde(course, assignment, paths)
    return GradedCatalog(assignment, course, catalog, leaks, scores)
