"""The hidden checks of every graded test cell, one module per assignment, keyed by the
test cell's grade_id: ``EXERCISES = [Exercise(...), ...]`` (:mod:`..spec`).

Each exercise's cases start with the calls its released test cell makes (the public
checks, with the same inputs) and go on with hidden ones drawn from the submission's
seed: other shapes, other settings, random calls. A student who passes the public checks
with a real answer passes the hidden ones; a memorised answer does not.
"""

from __future__ import annotations

import importlib
from pathlib import Path

HERE = Path(__file__).resolve().parent


def source_of(assignment: str, course_root: Path | None = None) -> str | None:
    """The text of ``assignment``'s exercise module: ``checkers/<assignment>.py`` in the
    course directory (a course of its own, a test fixture), else this package's; None
    when there is none."""
    for path in (
        *([Path(course_root) / "checkers" / f"{assignment}.py"] if course_root else []),
        HERE / f"{assignment}.py",
    ):
        if path.is_file():
            return path.read_text()
    return None


def load(source: str, name: str = "exercises"):
    """The module whose text is ``source`` (it travels in a task as text, so a Dask
    worker needs no course directory): its ``EXERCISES`` list."""
    import types

    module = types.ModuleType(f"course_grader.checker.exercises._{name}")
    module.__dict__["__package__"] = __name__
    exec(compile(source, f"<exercises of {name}>", "exec"), module.__dict__)  # noqa: S102
    return module.EXERCISES


def names() -> list[str]:
    """The assignments this package has exercises for."""
    return sorted(p.stem for p in HERE.glob("*.py") if p.stem != "__init__")


def module(assignment: str):
    return importlib.import_module(f"{__name__}.{assignment}")
