"""The course directory: where everything lives, nbgrader's settings for it, and the
low-level names the rest of the grader shares.

Layout (``nbgrader_config.py`` calls :func:`configure`)::

    notebooks/<a>/<a>.ipynb       source (nbgrader's source/), with solutions
    build/release/<a>/            student version        (course release)
    build/submitted/<s>/<a>/      collected submissions  (course collect)
    build/autograded/<s>/<a>/     executed and scored    (course autograde)
    build/feedback/<s>/<a>/       HTML feedback          (course feedback)
    build/gradebook.db            nbgrader's gradebook
    build/grading/                the grader's own records (ledger, collect log, caches)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BUILD = "build"
COURSE_ID = "cnn-case-studies"


class GradingError(RuntimeError):
    """A step of the grader failed; the message says what and how to fix it."""


def configure(c, root: str | Path, source_directory: str = "notebooks") -> None:
    """Apply the course's nbgrader settings to the traitlets config ``c``.

    ``root`` is the course directory; every generated path lies under ``root/build``.
    """
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        LimitOutput,
        SaveAutoGrades,
    )

    from .preprocessors.ask_the_kernel import AskTheKernel
    from .preprocessors.forgive_stderr import ForgiveStderr
    from .preprocessors.limit_output_size import LimitOutputSize
    from .preprocessors.sanitize_submission import SanitizeSubmission
    from .sandbox import CELL_TIMEOUT_S

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
        AskTheKernel,  # nbgrader's Execute, then the trusted checker's questions
        ClearMetadataPreprocessor,
        ForgiveStderr,  # after ClearMetadata, so the stderr it keeps in metadata stays
        LimitOutput,
        LimitOutputSize,
        SanitizeSubmission,  # no script of a submission reaches a browser
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]


def write_config(root: Path, source_directory: str, extra: str = "") -> None:
    """Make ``root`` a course directory: its ``nbgrader_config.py`` calls :func:`configure`."""
    root = Path(root).resolve()
    (root / "nbgrader_config.py").write_text(
        "from course_grader.course import configure\n"
        "c = get_config()\n"
        f"configure(c, root={str(root)!r}, source_directory={source_directory!r})\n{extra}\n"
    )


def find_assignments(root: str | Path, source_directory: str = "notebooks") -> list[str]:
    """Names of the assignments under ``root/source_directory``: ``<a>/<a>.ipynb``."""
    source = Path(root) / source_directory
    if not source.is_dir():
        return []
    return sorted(d.name for d in source.iterdir() if (d / f"{d.name}.ipynb").is_file())


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
