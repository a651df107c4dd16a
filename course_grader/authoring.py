"""Checks on source notebooks, for authors: nbgrader metadata and stored outputs.

A source notebook under ``notebooks/<assignment>/`` must

- be a valid notebook (nbformat) with valid nbgrader cell metadata (schema 3);
- give every nbgrader cell a unique ``grade_id`` made of letters, digits, ``_`` and ``-``;
- give every graded cell positive ``points``; lock every test cell;
- mark solutions with ``### BEGIN SOLUTION`` / ``### END SOLUTION`` and hidden tests
  with ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``, balanced, and only where
  they belong;
- store outputs only in cells whose first line is ``# NBVAL_CHECK_OUTPUT`` (the cells
  nbval compares), and store them there (otherwise nbval would compare nothing);
- not end a test cell with a bare expression: nbgrader reads a number shown as a test
  cell's result as partial credit, and the check functions return numbers (cases
  checked) or models. End it with ``print(...)``, an ``assert`` or an assignment.

``refresh_outputs(path)`` runs a source notebook (quick budget) and keeps the outputs
of the compared cells only: ``course refresh-outputs notebooks/<a>/<a>.ipynb``.

``check_notebook(path)`` returns a list of problems, each a sentence naming the file,
the cell and the fix; ``course check-sources`` runs it on every source notebook.
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import nbformat

from .markers import (
    HIDDEN_BEGIN,
    HIDDEN_END,
    SOLUTION,
    SOLUTION_BEGIN,
    SOLUTION_END,
    balanced,
)

CHECK_OUTPUT_MARK = "# NBVAL_CHECK_OUTPUT"
MAX_NOTEBOOK_BYTES = 400_000
GRADE_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]+$")
SCHEMA_VERSION = 3


def is_compared(cell) -> bool:
    """True for a code cell whose stored output nbval compares (``--nbval-lax``)."""
    lines = cell.source.lstrip().splitlines()
    return cell.cell_type == "code" and bool(lines) and lines[0].strip() == CHECK_OUTPUT_MARK


def _ends_with_value(source: str) -> bool:
    """True when the last statement is an expression other than print(...): its value
    would be shown as the cell's result (``check_cases`` returns a count, for example)."""
    code = "\n".join(
        line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))
    )
    try:
        body = ast.parse(code).body
    except SyntaxError:
        return False
    if not body or not isinstance(body[-1], ast.Expr):
        return False
    value = body[-1].value
    return not (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Name)
        and value.func.id == "print"
    )


def _coalesced(outputs: list) -> list:
    """Outputs with consecutive text on the same stream joined into one: how the kernel
    cuts what a cell prints into messages depends on timing, so without this a
    notebook refreshed twice would differ where nothing changed."""
    merged = []
    for out in outputs:
        last = merged[-1] if merged else None
        if (
            out.output_type == "stream"
            and last is not None
            and last.output_type == "stream"
            and last.name == out.name
        ):
            last.text += out.text
        else:
            merged.append(out)
    return merged


def refresh_outputs(path: str | Path, timeout: int = 900) -> int:
    """Run a source notebook top to bottom with the quick budget, then keep the outputs
    (and execution counts) of the ``# NBVAL_CHECK_OUTPUT`` cells only. Returns how many
    cells kept outputs. The file is replaced only after a successful run."""
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    previous = os.environ.get("COURSE_BUDGET")
    os.environ["COURSE_BUDGET"] = "quick"
    try:
        NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
    finally:
        if previous is None:
            os.environ.pop("COURSE_BUDGET", None)
        else:
            os.environ["COURSE_BUDGET"] = previous
    kept = 0
    for cell in nb.cells:
        cell.metadata.pop("execution", None)  # run timestamps: noise in every diff
        if cell.cell_type != "code":
            continue
        if is_compared(cell):
            cell.outputs = _coalesced(
                [o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")]
            )
            kept += 1
        else:
            cell.outputs, cell.execution_count = [], None
    tmp = path.with_name(f".{path.name}.part")
    nbformat.write(nb, tmp)
    os.replace(tmp, path)
    return kept


def _checker_hint(path: Path) -> str:
    name = path.stem
    return f"course_grader/checker/exercises/{name}.py or checkers/{name}.py in the course"


def _checked_grade_ids(path: Path) -> tuple[set | None, str]:
    """The grade_ids the trusted checker has exercises for, for the assignment of the
    source notebook ``path`` (``notebooks/<a>/<a>.ipynb``); (None, problem) when there
    is no exercise module or it does not load."""
    from .checker import exercises

    course_root = path.resolve().parent.parent.parent
    source = exercises.source_of(path.stem, course_root)
    if source is None:
        return None, (
            f"{path}: no trusted checks for this assignment ({_checker_hint(path)}); the "
            "grader decides every grade there, so it cannot grade this notebook."
        )
    try:
        found = exercises.load(source, path.stem)
        from .checker.plan import cases_of

        empty = [e.grade_id for e, cases in cases_of(found, 0) if not cases]
    except Exception as exc:  # noqa: BLE001 - the author's module: say what is wrong
        return None, f"{path}: the trusted checks do not load: {type(exc).__name__}: {exc}"
    if empty:
        return None, (
            f"{path}: the trusted checks of {', '.join(empty)} try no cases "
            f"({_checker_hint(path)}): an exercise with nothing to check would earn its "
            "points for nothing; give it at least its public case."
        )
    return {e.grade_id for e in found}, ""


def check_notebook(path: str | Path) -> list[str]:
    """Return the problems found in one source notebook (empty when it is fine)."""
    path = Path(path)
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # any parse failure is reported, not raised
        return [f"{path}: cannot be read as a notebook ({exc}); restore it from git."]

    problems: list[str] = []
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        problems.append(f"{path}: not a valid notebook: {exc.message}")

    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        problems.append(
            f"{path}: {size:,} bytes; source notebooks stay under {MAX_NOTEBOOK_BYTES:,}. "
            "Clear the outputs of cells nbval does not compare."
        )

    checked, problem = _checked_grade_ids(path)
    if problem:
        problems.append(problem)
    seen: dict[str, int] = {}
    for index, cell in enumerate(nb.cells):
        where = f"{path}: cell {index}"
        meta = cell.metadata.get("nbgrader")
        text = cell.source

        if cell.cell_type == "code":
            compared = is_compared(cell)
            if cell.outputs and not compared:
                problems.append(
                    f"{where}: stores outputs but is not compared by nbval; clear them, or "
                    f"start the cell with '{CHECK_OUTPUT_MARK}' if they are expected output."
                )
            if compared and (not cell.outputs or cell.execution_count is None):
                problems.append(
                    f"{where}: marked '{CHECK_OUTPUT_MARK}' but stores no output from a run, "
                    "so nbval would compare nothing; run the cell and save its output."
                )

        has_solution_marks = SOLUTION_BEGIN in text or SOLUTION_END in text
        has_hidden_marks = HIDDEN_BEGIN in text or HIDDEN_END in text
        if not meta:
            if has_solution_marks or has_hidden_marks:
                problems.append(
                    f"{where}: has solution or hidden-test markers but no nbgrader metadata; "
                    "mark it in the nbgrader 'Create Assignment' toolbar."
                )
            continue

        grade_id = meta.get("grade_id")
        where = f"{path}: cell {index} ({grade_id or 'no grade_id'})"
        if meta.get("schema_version") != SCHEMA_VERSION:
            problems.append(
                f"{where}: nbgrader schema_version is {meta.get('schema_version')!r}, "
                f"expected {SCHEMA_VERSION}; run 'nbgrader update' on the notebook."
            )
        if not grade_id or not GRADE_ID_PATTERN.match(str(grade_id)):
            problems.append(
                f"{where}: grade_id {grade_id!r} must be non-empty letters, digits, '_' or '-'."
            )
        elif grade_id in seen:
            problems.append(
                f"{where}: grade_id {grade_id!r} is also used by cell {seen[grade_id]}; "
                "grade_ids must be unique."
            )
        else:
            seen[grade_id] = index

        solution, grade = bool(meta.get("solution")), bool(meta.get("grade"))
        if grade:
            points = meta.get("points")
            if isinstance(points, bool) or not isinstance(points, int | float) or points <= 0:
                problems.append(f"{where}: graded cell needs positive points, has {points!r}.")
        if grade and not solution and cell.cell_type == "code" and not meta.get("locked"):
            problems.append(f"{where}: test cell must be locked (read-only for students).")

        if grade and not solution and cell.cell_type == "code" and _ends_with_value(text):
            problems.append(
                f"{where}: the test cell ends with a bare expression; nbgrader would read a "
                "number shown there as partial credit (check functions return counts). End "
                "it with print(...), an assert or an assignment (`_ = check_...(...)`)."
            )
        if cell.cell_type == "code" and solution:
            if SOLUTION_BEGIN not in text or SOLUTION_END not in text:
                problems.append(
                    f"{where}: solution cell without '{SOLUTION_BEGIN}' / '{SOLUTION_END}'; "
                    "without them nbgrader would release the whole cell blank."
                )
        if has_solution_marks and not solution:
            problems.append(f"{where}: solution markers in a cell not marked as a solution.")
        if has_solution_marks and not balanced(text, SOLUTION):
            problems.append(f"{where}: solution markers are not balanced.")
        if has_hidden_marks:
            problems.append(
                f"{where}: hidden tests in a notebook reach the grading kernel (nbgrader puts "
                "them back before it runs the notebook); write them as cases of the trusted "
                f"checker instead ({_checker_hint(path)}) and delete the "
                f"'{HIDDEN_BEGIN}' block."
            )
        if grade and not solution and cell.cell_type == "code" and checked is not None:
            if grade_id not in checked:
                problems.append(
                    f"{where}: no trusted check for this test cell in {_checker_hint(path)}; "
                    "every test cell's grade is decided there (the kernel decides none): add "
                    f"an Exercise('{grade_id}', ...)."
                )

    try:
        from nbgrader.nbgraderformat import MetadataValidator

        MetadataValidator().validate_nb(nb)
    except Exception as exc:
        problems.append(f"{path}: nbgrader rejects the metadata: {exc}")
    return problems
