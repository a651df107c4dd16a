"""Put back what a submission removed or changed in the released notebook's structure.

nbgrader restores the *source* of locked cells from the gradebook, but a submission
whose test cell was deleted simply loses that test (and its points stay at 0 even for a
right answer), and one whose nbgrader metadata was changed (a ``grade_id`` renamed, a test
cell unlocked) fails to grade at all ("Inconsistent checksums", "the nbgrader metadata may
be corrupted"). Here, before grading, the released notebook decides the structure:

- each nbgrader cell of the release is found in the submission by its cell id (stable
  across edits in JupyterLab), else by its ``grade_id``; its cell type and nbgrader
  metadata become the release's again (nbgrader then restores a locked cell's source);
- a released cell the submission lacks is put back after the cell that precedes it in the
  release: a test cell whole (nbgrader fills in its hidden tests), an answer cell as the
  released stub (the answer is missing, so it earns nothing);
- any other cell claiming nbgrader metadata (a renamed copy, a duplicate) becomes a plain
  cell: only the release says what is graded.

So deleting or editing a test cell, or changing metadata, earns nothing and costs nothing;
what is graded is the answer. Every change is listed, for the instructor.

Example::

    fixed, notes = restore_structure(submitted_nb, released_nb)
"""

from __future__ import annotations

import copy
import uuid

import nbformat


def _grade_id(cell) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader")
    return meta.get("grade_id") if isinstance(meta, dict) else None


def _same_cell(cells, indices: list[int], released, taken: set) -> int | None:
    """Of the submission's cells that carry ``released``'s cell id, the one that is it:
    the one claiming its grade_id, else the one with its source; None when none of them
    does (then a cell claiming the grade_id elsewhere is it, else the first with the id).
    A cell planted above with a test's id must not move that test, even when nbformat
    gave the test a new id for the duplicate."""
    free = [i for i in indices if i not in taken]
    if not free:
        return None
    gid = _grade_id(released)
    for test in (
        lambda i: _grade_id(cells[i]) == gid,
        lambda i: cells[i].get("source") == released.get("source"),
    ):
        found = [i for i in free if test(i)]
        if found:
            return found[0]
    return None  # only a cell that took its id: the one claiming its grade_id comes first


def restore_structure(submitted, released) -> tuple[nbformat.NotebookNode, list[str]]:
    """The submission with the release's nbgrader cells back in place, and what changed.

    ``submitted``, ``released``: notebooks (``nbformat.NotebookNode``); neither is changed.
    """
    nb = copy.deepcopy(submitted)
    notes: list[str] = []
    wanted = [c for c in released.cells if _grade_id(c)]
    by_ids: dict[str, list[int]] = {}  # a copied or planted cell may repeat an id
    for i, c in enumerate(nb.cells):
        if c.get("id"):
            by_ids.setdefault(c.get("id"), []).append(i)
    by_id = {k: v[0] for k, v in by_ids.items()}
    no_ids = (nb.get("nbformat"), nb.get("nbformat_minor", 0)) < (4, 5)  # cells have none
    by_grade = {}
    for i, c in enumerate(nb.cells):
        if _grade_id(c):
            by_grade.setdefault(_grade_id(c), i)
    matched: dict[str, int] = {}  # grade_id -> index in nb.cells
    taken: set[int] = set()
    for cell in wanted:
        gid = _grade_id(cell)
        same_id = by_ids.get(cell.get("id"), [])
        i = _same_cell(nb.cells, same_id, cell, taken)
        if i is None or i in taken:
            i = by_grade.get(gid)
        if i is None or i in taken:  # its id alone (its metadata was changed or removed)
            i = next((j for j in same_id if j not in taken), None)
        if i is None or i in taken:
            continue
        matched[gid] = i
        taken.add(i)
        mine = nb.cells[i]
        if mine.get("metadata", {}).get("nbgrader") != cell.metadata["nbgrader"]:
            notes.append(f"cell {gid!r}: its nbgrader metadata was changed; put back")
        if mine.cell_type != cell.cell_type:
            notes.append(f"cell {gid!r}: it was made a {mine.cell_type} cell; put back")
            new = copy.deepcopy(cell)
            if cell.metadata["nbgrader"].get("solution"):
                new.source = mine.source  # an answer keeps its text, code or markdown
            if no_ids:
                new.pop("id", None)
            nb.cells[i] = new
            mine = new
        mine.metadata["nbgrader"] = copy.deepcopy(cell.metadata["nbgrader"])
    # cells claiming a grade_id they were not matched to, or nbgrader metadata without
    # one (points with no grade_id: nbgrader would fail the whole notebook): plain cells
    for i, c in enumerate(nb.cells):
        if i in taken or "nbgrader" not in c.get("metadata", {}):
            continue
        if _grade_id(c):
            notes.append(f"a cell claiming grade_id {_grade_id(c)!r} is not graded")
        else:
            notes.append(f"cell {i}: nbgrader metadata without a grade_id; not graded")
        del c.metadata["nbgrader"]
    # missing cells: after their predecessor in the release (or at the top)
    out = list(nb.cells)
    anchor = {}  # index in nb.cells -> cells to insert after it
    previous = -1
    for cell in wanted:
        gid = _grade_id(cell)
        if gid in matched:
            previous = matched[gid]
            continue
        new = copy.deepcopy(cell)
        if cell.cell_type == "code":
            new.outputs, new.execution_count = [], None
        if no_ids:
            new.pop("id", None)
        elif new.get("id") in by_id:  # its id now names another cell
            new.id = uuid.uuid4().hex[:8]
        anchor.setdefault(previous, []).append(new)
        kind = "answer" if cell.metadata["nbgrader"].get("solution") else "cell"
        notes.append(f"{kind} {gid!r} was deleted; put back as released")
    if anchor:
        out = list(anchor.get(-1, []))
        for i, c in enumerate(nb.cells):
            out.append(c)
            out.extend(anchor.get(i, []))
        nb.cells = out
    return nb, notes


def restore_file(submitted: bytes, released: bytes) -> tuple[bytes, list[str]]:
    """:func:`restore_structure` on notebook files; a submission that is not a readable
    notebook is returned unchanged (nbgrader then says why it cannot be graded)."""
    try:
        nb = nbformat.reads(submitted.decode("utf-8"), as_version=4)
        rel = nbformat.reads(released.decode("utf-8"), as_version=4)
    except Exception:  # noqa: BLE001 - nbgrader reports an unreadable notebook itself
        return submitted, []
    fixed, notes = restore_structure(nb, rel)
    if not notes:
        return submitted, []
    return nbformat.writes(fixed).encode("utf-8"), notes
