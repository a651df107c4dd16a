"""Grades for the registrar and a report for the instructor, from the gradebook.

- :func:`export_grades` writes ``build/grades.csv``: one row per student, one column per
  graded cell (``<assignment>:<grade_id>``, notebook order), a total per assignment, the
  course total and maximum, and a status naming what is missing or could not be graded.
- :func:`class_report` writes, per assignment, ``build/report/<a>.png`` (the share of
  the class with full, partial and zero points on each graded cell, and a histogram of
  the totals) and ``build/report/<a>.md``, and returns a :class:`Report` whose
  ``text()`` is what ``course report`` prints: per exercise the mean points and the
  share with full marks, then the checks that failed most often.

Failing checks are grouped by grade_id and by the first line of the error message with
its numbers replaced by ``#``: "should return 117,600, found 122,304" and "..., found
705,600" are the same check failing, two wrong answers. Digits inside names stay
(``conv1``, ``Conv2D``, ``5x5``), so different layers stay apart. Each group counts
students and keeps one verbatim example.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from .course import BUILD, write_atomic
from .feedback import Course, points, read_course

TOP_FAILING = 10
NO_MESSAGE = "(no error; the cell did not earn full points)"
_NUMBER = re.compile(
    r"(?<![\w.])[-+]?(?:\d+(?:[,_]\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w])"
    r"|(?<![\w.])[-+]?\.\d+(?![\w])"
)


def normalise(message: str) -> str:
    """The first line of ``message`` with its numbers replaced by ``#``."""
    first = message.strip().splitlines()[0] if message.strip() else NO_MESSAGE
    return _NUMBER.sub("#", first)


def _num(x: float | None) -> str:
    return "" if x is None else format(float(x), ".10g")


# --------------------------------------------------------------------------- grades.csv
def rejected_at_collect(root: Path) -> dict[tuple[str, str], str]:
    """``{(assignment, student): reason}`` of the files any ``course collect`` rejected
    (every collect's rows, ``build/grading/collect.csv``) where it could tell whose and
    which they were - the first reason of each."""
    from .collect import read_collect_log

    found: dict[tuple[str, str], str] = {}
    for row in read_collect_log(root / BUILD / "grading" / "collect.csv"):
        if row["status"] == "rejected" and row["student"] and row["assignment"]:
            found.setdefault((row["assignment"], row["student"]), row["reason"])
    return found


def grade_table(
    course: Course, rejected: dict[tuple[str, str], str] | None = None
) -> tuple[list[str], list[list[str]]]:
    """The header and rows of ``grades.csv`` for ``course``; ``rejected`` adds the
    students whose only upload was rejected at collect (status says why)."""
    rejected = {k: v for k, v in (rejected or {}).items() if k[0] in course.cells}
    names = sorted(course.cells)
    header = ["student_id"]
    for name in names:
        header += [f"{name}:{gid}" for _, gid, _ in course.cells[name]]
        header.append(f"{name}:total")
    header += ["total", "max_total", "status"]
    max_total = sum(course.max_scores[n] for n in names)
    rows = []
    for student in sorted({*course.students, *(s for _, s in rejected)}):
        row, total, status = [student], 0.0, []
        for name in names:
            sub = course.submissions.get((name, student))
            if sub is None:
                row += [""] * (len(course.cells[name]) + 1)
                why = rejected.get((name, student))
                status.append(
                    f"{name}: rejected at collect ({why})" if why else f"{name}: missing"
                )
            elif sub.status == "failed":
                row += [""] * len(course.cells[name]) + [_num(sub.score)]
                total += sub.score
                reason = " ".join(sub.reason.split())
                reason = reason if len(reason) <= 120 else reason[:117] + "..."
                status.append(f"{name}: failed ({reason})")
            else:
                row += [_num(c.score) for c in sub.cells] + [_num(sub.score)]
                total += sub.score
        row += [_num(total), _num(max_total), "; ".join(status)]
        rows.append(row)
    return header, rows


def export_grades(root: str | Path, path: str | Path | None = None) -> Path:
    """Write ``grades.csv`` (default ``root/build/grades.csv``) atomically; return its path.

    Columns: ``student_id``; per assignment (sorted) ``<a>:<grade_id>`` for each graded
    cell in notebook order, then ``<a>:total``; then ``total``, ``max_total``, ``status``.
    A missing submission leaves its cells empty and says ``<a>: missing`` (or
    ``<a>: rejected at collect (reason)`` when ``course collect`` refused it); one the
    grader could not grade leaves its cells empty, counts its ledger score (0) and says
    ``<a>: failed (reason)``. Totals are after nbgrader's late penalty, as
    ``nbgrader export`` computes them; ``max_total`` counts every assignment.
    """
    root = Path(root).resolve()
    target = Path(path) if path is not None else root / BUILD / "grades.csv"
    header, rows = grade_table(read_course(root, details=False), rejected_at_collect(root))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    write_atomic(target, buffer.getvalue())
    return target


# --------------------------------------------------------------------------- report
@dataclass
class Exercise:
    """How the class did on one graded cell (graded submissions only)."""

    grade_id: str
    max_points: float
    mean: float
    full: int
    partial: int
    zero: int
    ungraded: int  # cells waiting for manual grading
    not_graded: int  # submissions the grader could not grade

    @property
    def n(self) -> int:
        return self.full + self.partial + self.zero

    @property
    def full_share(self) -> float:
        return self.full / self.n if self.n else 0.0


@dataclass
class FailingCheck:
    """One group of failures: a graded cell and a message pattern."""

    grade_id: str
    pattern: str
    students: list[str]
    example: str
    hidden: bool = False

    @property
    def count(self) -> int:
        return len(self.students)


@dataclass
class AssignmentReport:
    """The report of one assignment."""

    assignment: str
    max_score: float
    totals: dict[str, float]  # graded submissions
    could_not_grade: dict[str, str]  # student -> reason
    missing: list[str]
    exercises: list[Exercise]
    failing: list[FailingCheck]
    plot: Path | None = None
    markdown: Path | None = None

    @property
    def mean(self) -> float:
        return sum(self.totals.values()) / len(self.totals) if self.totals else 0.0

    def lines(self) -> list[str]:
        """The plain-text report of this assignment."""
        out = [
            f"{self.assignment}: {len(self.totals)} graded, {len(self.could_not_grade)} "
            f"could not be graded, {len(self.missing)} missing; mean "
            f"{points(self.mean)} / {points(self.max_score)}",
        ]
        width = max([8, *(len(e.grade_id) for e in self.exercises)])
        out.append(f"  {'exercise':<{width}}  {'points':>6}  {'mean':>6}  {'full marks':>10}")
        for e in self.exercises:
            mean, full = (f"{e.mean:.2f}", f"{e.full_share:.0%}") if e.n else ("-", "-")
            out.append(
                f"  {e.grade_id:<{width}}  {points(e.max_points):>6}  {mean:>6}  {full:>10}"
            )
        if self.failing:
            out.append("  most frequent failing checks:")
            width = max([5, *(len(f.grade_id) for f in self.failing)])
            out.append(f"  {'students':>8}  {'check':<{width}}  example")
            for f in self.failing:
                example = f.example if len(f.example) <= 160 else f.example[:157] + "..."
                tag = " (hidden)" if f.hidden else ""
                out.append(f"  {f.count:>8}  {f.grade_id:<{width}}  {example}{tag}")
        else:
            out.append("  no failing checks")
        for student, reason in sorted(self.could_not_grade.items()):
            out.append(f"  could not grade {student}: {' '.join(reason.split())[:160]}")
        if self.plot:
            out.append(f"  plot: {self.plot}")
        return out

    def markdown_text(self) -> str:
        """The Markdown report of this assignment (``build/report/<a>.md``)."""
        md = [
            f"# {self.assignment}",
            "",
            f"{len(self.totals)} graded, {len(self.could_not_grade)} could not be graded, "
            f"{len(self.missing)} missing. Mean score {points(self.mean)} of "
            f"{points(self.max_score)}.",
            "",
        ]
        if self.plot:
            md += [f"![scores of {self.assignment}]({self.plot.name})", ""]
        md += [
            "| exercise | points | mean | full | partial | zero |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        md += [
            f"| {e.grade_id} | {points(e.max_points)} | {e.mean:.2f} | {e.full} | "
            f"{e.partial} | {e.zero} |"
            for e in self.exercises
        ]
        md += ["", "## Most frequent failing checks", ""]
        if self.failing:
            md += ["| students | check | message (numbers as #) | example |", "|---:|---|---|---|"]
            md += [
                f"| {f.count} | {f.grade_id}{' (hidden)' if f.hidden else ''} | "
                f"{_md(f.pattern)} | {_md(f.example)} |"
                for f in self.failing
            ]
        else:
            md.append("None.")
        if self.could_not_grade:
            md += ["", "## Could not be graded", ""]
            md += [f"- {s}: {_md(r)}" for s, r in sorted(self.could_not_grade.items())]
        if self.missing:
            md += ["", "## Missing", "", ", ".join(self.missing)]
        return "\n".join(md) + "\n"


def _md(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


@dataclass
class Report:
    """What :func:`class_report` found; ``text()`` is what ``course report`` prints."""

    assignments: list[AssignmentReport] = field(default_factory=list)

    def text(self) -> str:
        if not self.assignments:
            return "no assignments in the gradebook yet\n"
        return "\n\n".join("\n".join(a.lines()) for a in self.assignments) + "\n"


def _assignment_report(course: Course, name: str) -> AssignmentReport:
    subs = {s: course.submissions.get((name, s)) for s in course.students}
    graded = {s: sub for s, sub in subs.items() if sub is not None and sub.status == "graded"}
    failed = {
        s: sub.reason for s, sub in subs.items() if sub is not None and sub.status == "failed"
    }
    exercises = []
    groups: dict[tuple[str, str], FailingCheck] = {}
    order = {gid: i for i, (_, gid, _) in enumerate(course.cells[name])}
    for index, (_, gid, max_points) in enumerate(course.cells[name]):
        scores = [sub.cells[index].score for sub in graded.values()]
        known = [x for x in scores if x is not None]
        exercises.append(
            Exercise(
                gid,
                max_points,
                mean=sum(known) / len(known) if known else 0.0,
                full=sum(1 for x in known if x >= max_points),
                partial=sum(1 for x in known if 0 < x < max_points),
                zero=sum(1 for x in known if x <= 0),
                ungraded=len(scores) - len(known),
                not_graded=len(failed),
            )
        )
    for student, sub in sorted(graded.items()):
        for cell in sub.cells:
            if cell.status not in ("failed", "partial"):
                continue
            key = (cell.grade_id, normalise(cell.message))
            if key not in groups:
                example = cell.message.strip().splitlines()[0] if cell.message.strip() else ""
                groups[key] = FailingCheck(
                    cell.grade_id, key[1], [], example or NO_MESSAGE, cell.hidden
                )
            groups[key].students.append(student)
    failing = sorted(
        groups.values(), key=lambda f: (-f.count, order.get(f.grade_id, 0), f.pattern)
    )[:TOP_FAILING]
    return AssignmentReport(
        name,
        course.max_scores[name],
        {s: sub.score for s, sub in graded.items()},
        failed,
        [s for s, sub in subs.items() if sub is None],
        exercises,
        failing,
    )


COLOURS = {"full": "#2da44e", "partial": "#d4a72c", "zero": "#cf222e", "not graded": "#afb8c1"}


def plot_assignment(report: AssignmentReport, path: Path) -> Path:
    """Save the score-distribution figure of one assignment as a PNG (Agg, no pyplot)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    exercises = report.exercises
    fig = Figure(figsize=(11, 1.2 + 0.45 * max(3, len(exercises))), layout="constrained")
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2, width_ratios=[2, 1])
    labels = [f"{e.grade_id} ({points(e.max_points)})" for e in exercises]
    starts = [0.0] * len(exercises)
    left.barh(labels, starts, color="none")  # the rows, even when nothing was graded
    for kind in COLOURS:
        values = []
        for e in exercises:
            total = e.n + e.not_graded
            count = {"full": e.full, "partial": e.partial, "zero": e.zero}.get(kind, e.not_graded)
            values.append(100.0 * count / total if total else 0.0)
        if any(values):
            bars = left.barh(labels, values, left=starts, color=COLOURS[kind], label=kind)
            shown = [f"{v:.0f}%" if v >= 8 else "" for v in values]
            left.bar_label(bars, labels=shown, label_type="center", color="white", fontsize=9)
        starts = [s + v for s, v in zip(starts, values, strict=True)]
    left.set_xlim(0, 100)
    left.invert_yaxis()
    left.set_xlabel("% of submissions")
    left.set_title("points per graded cell")
    if left.get_legend_handles_labels()[0]:
        fig.legend(loc="outside lower left", fontsize="small", ncols=4)
    else:
        middle = (len(exercises) - 1) / 2
        left.text(50, middle, "no graded submissions", ha="center", va="center", color="#59636e")
    totals = list(report.totals.values())
    top = report.max_score or 1.0
    bins = int(top) + 1 if float(top).is_integer() and top <= 30 else 20
    edges = [i * top / (bins - 1) - top / (2 * (bins - 1)) for i in range(bins + 1)]
    if totals:
        right.hist(totals, bins=edges, color="#0969da", edgecolor="white")
    right.set_xlim(edges[0], edges[-1])
    right.set_xlabel(f"total score (of {points(top)})")
    right.set_ylabel("submissions")
    right.set_title(f"totals, {len(totals)} graded")
    right.yaxis.get_major_locator().set_params(integer=True)
    if float(top).is_integer():
        right.xaxis.get_major_locator().set_params(integer=True)
    fig.suptitle(report.assignment)
    image = io.BytesIO()
    fig.savefig(image, format="png", dpi=100)
    return write_atomic(path, image.getvalue())


def class_report(
    root: str | Path, assignments: list[str] | None = None, out_dir: str | Path | None = None
) -> Report:
    """Report how the class did on each assignment (default: all in the gradebook).

    Writes ``<out_dir>/<a>.png`` and ``<out_dir>/<a>.md`` (default ``build/report``) and
    returns the :class:`Report`. Exercise statistics count graded submissions only;
    those the grader could not grade and missing ones are counted apart.
    """
    root = Path(root).resolve()
    out = Path(out_dir) if out_dir is not None else root / BUILD / "report"
    course = read_course(root, assignments)
    report = Report()
    for name in sorted(course.cells):
        part = _assignment_report(course, name)
        part.plot = plot_assignment(part, out / f"{name}.png")
        part.markdown = out / f"{name}.md"
        write_atomic(part.markdown, part.markdown_text())
        report.assignments.append(part)
    return report
