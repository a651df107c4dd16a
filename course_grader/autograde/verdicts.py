"""The trusted checker's verdicts, written where nbgrader keeps grades.

After nbgrader has executed a submission (its kernel's own outcome of each test cell is
whatever the kernel made it), every autograded test cell gets the checker's verdict:

- in the private course's gradebook, its ``auto_score`` (full points or none), and the
  notebook's late penalty computed again from the new score (nbgrader's plugin);
- in the autograded notebook, its outputs: first the verdict (a ``CheckFailure`` error
  with the checker's message, or a line saying it passed), then what the kernel printed
  in the cell, as plain escaped text under a heading that says it decides nothing.

A test cell the checker has no exercise for scores 0 and says so. What the kernel's own
public checks said is kept (``kernel_passed``) so that a test can compare the two.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

KERNEL_HEADING = "--- printed by the student's kernel (its public checks; not the grade) ---"
MAX_KERNEL_TEXT = 4000


def _grade_id(cell) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader") or {}
    return meta.get("grade_id") if meta.get("grade") else None


def _is_test_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader") or {}
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _kernel_text(outputs) -> str:
    parts = []
    for out in outputs:
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") == "error":
            parts.append(f"{out.get('ename', '')}: {out.get('evalue', '')}\n")
        elif out.get("output_type") in ("display_data", "execute_result"):
            text = (out.get("data") or {}).get("text/plain")
            if text:
                parts.append(str(text) + "\n")
    text = "".join(parts)
    if len(text) > MAX_KERNEL_TEXT:
        text = text[:MAX_KERNEL_TEXT] + f"\n[... {len(text) - MAX_KERNEL_TEXT:,} characters cut]\n"
    return text


def verdict_outputs(verdict: dict | None, kernel_outputs) -> list:
    """The outputs a graded test cell keeps: the checker's verdict, then the kernel's."""
    if verdict is None:
        message = (
            "the grader has no trusted check for this cell (course_grader/checker/exercises); "
            "it scores 0 - ask your instructor"
        )
        first = nbformat.v4.new_output("error", ename="NoTrustedCheck", evalue=message,
                                       traceback=[f"NoTrustedCheck: {message}"])  # fmt: skip
    elif verdict["passed"]:
        cases = verdict.get("cases", 0)
        first = nbformat.v4.new_output(
            "stream", name="stdout",
            text=f"Checked by the grader: passed ({cases} case(s), the public ones and hidden "
            "ones).\n",
        )  # fmt: skip
    else:
        message = verdict["message"]
        first = nbformat.v4.new_output(
            "error", ename="CheckFailure", evalue=message, traceback=[f"CheckFailure: {message}"]
        )
    outputs = [first]
    text = _kernel_text(kernel_outputs)
    if text.strip():
        outputs.append(
            nbformat.v4.new_output("stream", name="stdout", text=f"{KERNEL_HEADING}\n{text}")
        )
    return outputs


def apply(course: Path, assignment: str, student: str, verdicts: dict) -> dict:
    """Write ``verdicts`` ({grade_id: verdict}) into the private course's gradebook and
    autograded notebooks. Returns ``{grade_id: kernel_passed}`` (the kernel's own
    outcome of each test cell, before it was replaced)."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins import LateSubmissionPlugin

    from ..course import BUILD

    kernel = {}
    graded = Path(course) / BUILD / "autograded" / student / assignment
    for path in sorted(graded.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            gid = _grade_id(cell)
            if gid is None or not _is_test_cell(cell):
                continue
            kernel[gid] = not any(o.get("output_type") == "error" for o in cell.outputs)
            verdict = verdicts.get(gid)
            cell.outputs = verdict_outputs(verdict, cell.outputs)
            course_meta = cell.metadata.setdefault("course", {})
            course_meta["checker"] = {
                "passed": bool(verdict and verdict["passed"]),
                "hidden": bool(verdict and verdict.get("hidden")),
                "kernel_passed": kernel[gid],
            }
        part = path.with_name(f".{path.name}.part")
        nbformat.write(nb, part)
        part.replace(path)

    with Gradebook(f"sqlite:///{Path(course) / BUILD / 'gradebook.db'}") as gb:
        submission = gb.find_submission(assignment, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                if grade.name not in kernel:
                    continue  # not a test cell (a written answer: graded by hand)
                verdict = verdicts.get(grade.name)
                grade.auto_score = grade.max_score if verdict and verdict["passed"] else 0.0
                grade.needs_manual_grade = False
            gb.db.commit()
            notebook.late_submission_penalty = None
            late = submission.total_seconds_late
            if late > 0:
                penalty = LateSubmissionPlugin().late_submission_penalty(
                    student, notebook.score, late
                )
                if penalty is not None:
                    notebook.late_submission_penalty = min(max(penalty, 0), notebook.score)
        gb.db.commit()
    return kernel
