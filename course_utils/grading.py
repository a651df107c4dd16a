"""The course's nbgrader set-up: configuration, release, and grading in tests.

The ``course`` command (``course_utils.cli``) is built on this module, on
``course_utils.collect`` (importing submissions), ``course_utils.batch`` (grading them
in parallel), ``course_utils.feedback`` and ``course_utils.report``.

Course layout (``nbgrader_config.py`` calls :func:`configure`)::

    notebooks/<a>/<a>.ipynb       source (nbgrader's source/), with solutions
    build/release/<a>/            student version        (course release)
    build/submitted/<s>/<a>/      collected submissions
    build/autograded/<s>/<a>/     executed and scored
    build/feedback/<s>/<a>/       HTML feedback
    build/gradebook.db            nbgrader's gradebook

What this module adds to nbgrader so far:

- :func:`configure` - one place for the course's nbgrader settings (TensorFlow-sized
  timeouts, limited outputs, the stderr rule below), used by the course and by tests;
- :class:`ForgiveStderr` - nbgrader gives 0 to a test cell with *any* stderr output, so
  a TensorFlow warning would zero a correct answer; this preprocessor decides a cell by
  its errors only and keeps the stderr text in the cell metadata for the instructor;
- :class:`LimitOutputSize` - outputs capped by size (nbgrader caps lines only);
- :func:`find_leaks` - proof that a release holds no solution line and no hidden test;
- :func:`release` - generate, check for leaks, then publish atomically;
- :func:`round_trip` - release an assignment, grade the solved notebook and the blank
  release, and report (the test harness runs it on every assignment).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

from .authoring import HIDDEN_BEGIN, HIDDEN_END, SOLUTION_BEGIN, SOLUTION_END, check_notebook
from .sandbox import CELL_TIMEOUT_S

BUILD = "build"
COURSE_ID = "cnn-case-studies"


# --------------------------------------------------------------------------- config
class ForgiveStderr(NbGraderPreprocessor):
    """Decide graded cells by their errors, not by TensorFlow's stderr noise.

    nbgrader scores a test cell 0 when it printed anything to stderr, even when every
    assertion passed. Here a stderr stream is removed from a code cell that raised no
    error; its text is kept in ``cell.metadata["course"]["stderr"]`` so nothing is lost.
    A cell that raised keeps everything and still scores 0.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code":
            return cell, resources
        if any(out.output_type == "error" for out in cell.outputs):
            return cell, resources
        kept, removed = [], []
        for out in cell.outputs:
            if out.output_type == "stream" and out.name == "stderr":
                removed.append(out.text)
            else:
                kept.append(out)
        if removed:
            cell.outputs = kept
            cell.metadata.setdefault("course", {})["stderr"] = "".join(removed)
        return cell, resources


class LimitOutputSize(NbGraderPreprocessor):
    """Cap what a graded notebook keeps of each output, by size: nbgrader's
    ``LimitOutput`` counts lines, and 100 MB printed on one line, or a 50 MB image, would
    otherwise land in the autograded notebook, the feedback and the instructor's disk.

    A text output keeps its first ``max_chars`` characters and says how much was cut;
    an image or other rich output over ``max_bytes`` is replaced by a line saying so.
    """

    max_chars = 100_000
    max_bytes = 2_000_000

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code":
            return cell, resources
        for out in cell.outputs:
            text = out.get("text")
            if isinstance(text, str) and len(text) > self.max_chars:
                cut = len(text) - self.max_chars
                out.text = text[: self.max_chars] + f"\n[... {cut:,} more characters cut]\n"
            data = out.get("data")
            if data:
                size = sum(len(v) if isinstance(v, str) else len(str(v)) for v in data.values())
                if size > self.max_bytes:
                    out.data = {
                        "text/plain": f"[an output of {size:,} bytes ({', '.join(data)}) "
                        f"was not kept: the grader keeps outputs up to {self.max_bytes:,}]"
                    }
                    out.metadata = {}
        return cell, resources


def configure(c, root: str | Path, source_directory: str = "notebooks") -> None:
    """Apply the course's nbgrader settings to the traitlets config ``c``.

    ``root`` is the course directory; every generated path lies under ``root/build``.
    """
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        Execute,
        LimitOutput,
        SaveAutoGrades,
    )

    root = Path(root).resolve()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.source_directory = source_directory
    c.CourseDirectory.release_directory = f"{BUILD}/release"
    c.CourseDirectory.submitted_directory = f"{BUILD}/submitted"
    c.CourseDirectory.autograded_directory = f"{BUILD}/autograded"
    c.CourseDirectory.feedback_directory = f"{BUILD}/feedback"
    c.CourseDirectory.solution_directory = f"{BUILD}/solution"
    c.CourseDirectory.db_url = f"sqlite:///{root / BUILD / 'gradebook.db'}"

    c.Execute.timeout = CELL_TIMEOUT_S
    c.Execute.startup_timeout = 120
    c.LimitOutput.max_lines = 300
    c.LimitOutput.max_traceback = 60
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    c.Autograde.autograde_preprocessors = [
        Execute,
        ClearMetadataPreprocessor,
        ForgiveStderr,  # after ClearMetadata, so the stderr it keeps in metadata stays
        LimitOutput,
        LimitOutputSize,
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]


# --------------------------------------------------------------------------- files
def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` through ``.<name>.part`` and ``os.replace``: a reader
    sees the old file or the whole new one, never half of it; nothing is left behind
    when writing fails."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.part")
    try:
        if isinstance(data, bytes):
            part.write_bytes(data)
        else:
            part.write_text(data, encoding="utf-8")
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
    return path


# --------------------------------------------------------------------------- discovery
def find_assignments(root: str | Path, source_directory: str = "notebooks") -> list[str]:
    """Names of the assignments under ``root/source_directory``: ``<a>/<a>.ipynb``."""
    source = Path(root) / source_directory
    if not source.is_dir():
        return []
    return sorted(d.name for d in source.iterdir() if (d / f"{d.name}.ipynb").is_file())


# --------------------------------------------------------------------------- leaks
def _marked_lines(source: str, begin: str, end: str) -> list[str]:
    inside, found = False, []
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == begin:
            inside = True
        elif stripped == end:
            inside = False
        elif inside:
            found.append(stripped)
    return found


def marked_or_not(source: str) -> list[tuple[str, bool]]:
    """Each line of a cell with True where it is a solution or hidden-test marker or lies
    between one's BEGIN and END (what students never see), False elsewhere."""
    inside, lines = False, []
    for line in source.splitlines():
        stripped = line.strip()
        if stripped in (SOLUTION_BEGIN, HIDDEN_BEGIN):
            inside = True
            lines.append((line, True))
        elif stripped in (SOLUTION_END, HIDDEN_END):
            inside = False
            lines.append((line, True))
        else:
            lines.append((line, inside))
    return lines


def _unmarked_lines(source: str) -> set[str]:
    return {line.strip() for line, marked in marked_or_not(source) if not marked}


def _significant(line: str) -> bool:
    # one-token lines ("pass", ")", "return A") say nothing about the answer
    return len(line) >= 8 and len(line.split()) >= 2


def find_leaks(source_nb, release_nb, name: str = "notebook") -> list[str]:
    """Lines of solutions or hidden tests that a released notebook still contains.

    A line counts when it is significant (two or more tokens, 8+ characters) and does
    not also appear, unmarked, somewhere in the source notebook.
    """
    public: set[str] = set()
    secret: dict[str, str] = {}
    for cell in source_nb.cells:
        public |= _unmarked_lines(cell.source)
    for cell in source_nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
        for line in _marked_lines(cell.source, SOLUTION_BEGIN, SOLUTION_END):
            secret.setdefault(line, f"solution of {gid}")
        for line in _marked_lines(cell.source, HIDDEN_BEGIN, HIDDEN_END):
            secret.setdefault(line, f"hidden test of {gid}")
    secret = {k: v for k, v in secret.items() if _significant(k) and k not in public}

    leaks = []
    for index, cell in enumerate(release_nb.cells):
        for marker in (SOLUTION_BEGIN, SOLUTION_END, HIDDEN_BEGIN, HIDDEN_END):
            if marker in cell.source:
                leaks.append(f"{name}: cell {index} still contains '{marker}'")
        for line in cell.source.splitlines():
            what = secret.get(line.strip())
            if what:
                leaks.append(
                    f"{name}: cell {index} contains a line of the {what}: {line.strip()!r}"
                )
    return leaks


# --------------------------------------------------------------------------- nbgrader
class GradingError(RuntimeError):
    """An nbgrader step failed; the message holds its output."""


class LeakError(GradingError):
    """A release would show students solution code or hidden tests (``.leaks``)."""

    def __init__(self, leaks: list[str]):
        super().__init__("refusing to release, it would leak:\n" + "\n".join(leaks))
        self.leaks = leaks


def write_config(root: Path, source_directory: str, extra: str = "") -> None:
    """Make ``root`` a course directory: its ``nbgrader_config.py`` calls :func:`configure`."""
    root = Path(root).resolve()
    (root / "nbgrader_config.py").write_text(
        "from course_utils.grading import configure\n"
        "c = get_config()\n"
        f"configure(c, root={str(root)!r}, source_directory={source_directory!r})\n{extra}\n"
    )


def run_nbgrader(root: str | Path, *args: str, env: dict | None = None) -> str:
    """Run one nbgrader command in the course directory ``root``; return its log.

    It runs in a subprocess so that each step starts clean; the kernel it launches gets
    the quick training budget and quiet TensorFlow logging.
    """
    full_env = dict(os.environ)
    full_env.setdefault("COURSE_BUDGET", "quick")
    full_env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # nbgrader runs `alembic` by name: the environment's bin/ must be on PATH even when
    # the virtual environment is not activated (make calls .venv/bin/python directly).
    bindir = str(Path(sys.executable).parent)
    full_env["PATH"] = os.pathsep.join([bindir, full_env.get("PATH", "")])
    full_env.update(env or {})
    cmd = [sys.executable, "-m", "nbgrader", *args]
    proc = subprocess.run(
        cmd, cwd=root, env=full_env, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise GradingError(f"'nbgrader {' '.join(args)}' failed in {root}:\n{log[-4000:]}")
    return log


def release(
    root: str | Path, assignments: list[str] | None = None, source_directory: str = "notebooks"
) -> dict[str, Path]:
    """Generate the student version of each assignment into ``root/build/release``.

    Each assignment is generated into a staging folder, checked with
    :func:`check_notebook` and :func:`find_leaks`, and only then moved into place, so a
    release that would leak a solution or hidden test is refused and nothing half-made
    is left behind. Returns ``{assignment: released folder}``.
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
                raise LeakError(leaks)
            target = root / BUILD / "release" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                shutil.rmtree(target)
            os.replace(out, target)
            published[name] = target
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return published


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
    are graded ``jobs`` at a time (default: one per CPU) by :mod:`course_utils.batch`.
    """
    from nbgrader.api import Gradebook

    from .batch import autograde_batch, read_ledger

    root = Path(root).resolve()
    if source_directory is None:
        source_directory = "source" if (root / "source" / assignment).is_dir() else "notebooks"
    for student, path in submissions.items():
        dest = root / BUILD / "submitted" / student / assignment
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, dest / f"{assignment}.ipynb")
    autograde_batch(
        root,
        [assignment],
        jobs=jobs or os.cpu_count() or 1,
        students=list(submissions),
        force=True,
        source_directory=source_directory,
        progress=False,
    )
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
    root = Path(root).resolve()
    with tempfile.TemporaryDirectory(prefix=f"roundtrip-{assignment}-") as tmp:
        course = Path(tmp)
        shutil.copytree(root / source_directory / assignment, course / "source" / assignment)
        write_config(course, "source", extra_config)
        leaks: list[str] = []
        try:
            release(course, [assignment], source_directory="source")
        except LeakError as exc:
            leaks = exc.leaks
            # grade what nbgrader made anyway, to report the scores too
            run_nbgrader(course, "generate_assignment", assignment, "--force")
        released = course / BUILD / "release" / assignment / f"{assignment}.ipynb"
        solved = course / "source" / assignment / f"{assignment}.ipynb"
        scores = autograde(course, assignment, {"solved": solved, "blank": released})
        return RoundTrip(assignment, leaks, scores["solved"], scores["blank"])


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


_write_config = write_config  # the name tests used first
