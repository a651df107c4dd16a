"""nbgrader's cell markers, and the one scanner everything that reads them uses.

A solution cell holds its answer between ``### BEGIN SOLUTION`` and ``### END SOLUTION``
(nbgrader releases it as ``# YOUR CODE HERE``); a test cell may hold hidden tests
between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS`` (this course keeps its
hidden checks in the trusted checker instead, and :func:`course_grader.authoring.check_notebook`
says so).

Example::

    for line, inside in scan(cell.source):  # every line, and whether it is marked
        ...
    solution = marked_lines(cell.source, SOLUTION)
"""

from __future__ import annotations

from collections.abc import Iterator

SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
SOLUTION, HIDDEN = (SOLUTION_BEGIN, SOLUTION_END), (HIDDEN_BEGIN, HIDDEN_END)
MARKERS = (SOLUTION_BEGIN, SOLUTION_END, HIDDEN_BEGIN, HIDDEN_END)


def scan(source: str, kinds=(SOLUTION, HIDDEN)) -> Iterator[tuple[str, bool]]:
    """Each line of a cell, with True where it is a marker of ``kinds`` or lies between
    one's BEGIN and END (what students never see), False elsewhere."""
    begins = {begin for begin, _ in kinds}
    ends = {end for _, end in kinds}
    inside = False
    for line in (source or "").splitlines():
        stripped = line.strip()
        if stripped in begins:
            inside = True
            yield line, True
        elif stripped in ends:
            inside = False
            yield line, True
        else:
            yield line, inside


def marked_lines(source: str, kind=SOLUTION) -> list[str]:
    """The stripped lines between ``kind``'s BEGIN and END markers (markers excluded)."""
    return [
        line.strip()
        for line, inside in scan(source, (kind,))
        if inside and line.strip() not in kind
    ]


def unmarked_lines(source: str) -> set[str]:
    """The stripped lines students see: outside every solution and hidden block."""
    return {line.strip() for line, inside in scan(source) if not inside}


def marked_ranges(source: str, kind=HIDDEN) -> list[tuple[int, int]]:
    """1-based (first, last) line numbers of each ``kind`` block, markers included."""
    ranges, start = [], None
    for number, (line, _) in enumerate(scan(source, (kind,)), start=1):
        if line.strip() == kind[0]:
            start = number
        elif line.strip() == kind[1] and start is not None:
            ranges.append((start, number))
            start = None
    return ranges


def balanced(source: str, kind) -> bool:
    """True when ``kind``'s markers come in BEGIN/END pairs, never nested."""
    depth = 0
    for line in (source or "").splitlines():
        stripped = line.strip()
        if stripped == kind[0]:
            depth += 1
            if depth > 1:
                return False
        elif stripped == kind[1]:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def significant(line: str) -> bool:
    """A line that says something about an answer: 8+ characters and 2+ tokens
    ("pass", ")" or "return A" say nothing)."""
    return len(line) >= 8 and len(line.split()) >= 2


def without_comment(line: str) -> str:
    """``line`` without a trailing ``  # comment`` (two spaces, as formatters write it)."""
    return line.split("  # ", 1)[0].rstrip() if "  # " in line else line
