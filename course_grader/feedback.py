"""Feedback pages for students, built from the gradebook and the autograded notebooks.

``write_feedback(root)`` writes, for every graded submission,
``build/feedback/<student>/<assignment>/<assignment>.html`` and, per student,
``build/feedback/<student>/index.html``: plain HTML with a little inline CSS, readable
without JavaScript.

What a page shows, per graded cell: its grade_id, the points earned and possible,
passed or failed, the error as ``ename: evalue``, whether the failing check was a public
or a hidden one, what the cell printed (capped), the student's own answer cells, and the
public checks *as released* (``build/release/<a>/<a>.ipynb``: text the student already
has in their notebook, so it tells nothing new, and it reminds them what was run).

What a page never shows, unlike ``nbgrader generate_feedback`` (nbgrader issue #1363),
which renders the autograded notebook whole: the source of a test cell as graded (the
autograder restores it with its hidden tests) and the traceback (IPython quotes the
source lines around the failing one, i.e. hidden tests). As a second line of defence,
any shown text (a message, printed output, a reason, the released checks) that contains
a line of a hidden test, taken from the gradebook's copy of the source, is redacted.
What a hidden test *prints* is shown: hidden tests should not print their secrets.

A submission the batch grader could not grade (its ledger, ``build/grading/ledger.jsonl``,
says ``failed``) gets a page that says so and why.

:func:`read_course` gathers the same facts once for this module and :mod:`.report`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .autograde.ledger import read_ledger
from .course import BUILD, write_atomic
from .markers import HIDDEN, marked_lines, marked_ranges, significant

STDOUT_MAX_LINES = 40
STDOUT_MAX_CHARS = 4000
MESSAGE_MAX_CHARS = 2000
REDACTED = "[a line of a hidden test, not shown]"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_CELL_LINE = re.compile(r"(?:Cell In ?\[\d*\]|Input In \[\d*\]|<ipython-input-[^>]*>), line (\d+)")


# --------------------------------------------------------------------------- model
@dataclass
class CellResult:
    """One graded cell of one submission."""

    grade_id: str
    notebook: str
    score: float | None  # None: not scored yet (a cell that needs manual grading)
    max_score: float
    message: str = ""  # "ename: evalue" of the error, redacted; "" when none
    hidden: bool = False  # the check that failed lies in the hidden part of the cell
    stdout: str = ""
    public_source: str | None = None  # the test cell as released, if found

    @property
    def status(self) -> str:
        """``passed``, ``partial``, ``failed`` or ``ungraded``."""
        if self.score is None:
            return "ungraded"
        if self.score >= self.max_score:
            return "passed"
        return "partial" if self.score > 0 else "failed"


@dataclass
class Answer:
    """A cell the student wrote (nbgrader ``solution: true``)."""

    grade_id: str
    notebook: str
    cell_type: str
    source: str
    message: str = ""  # the error this cell raised itself, if any


@dataclass
class GradedSubmission:
    """What is known of one student's submission of one assignment."""

    assignment: str
    student: str
    status: str  # "graded" or "failed" (the grader could not grade it)
    score: float = 0.0
    max_score: float = 0.0
    reason: str = ""  # why it could not be graded
    cells: list[CellResult] = field(default_factory=list)
    items: list[Answer | CellResult] = field(default_factory=list)  # notebook order
    when: str = ""  # "graded <time>" or "submitted <time>"
    note: str = ""  # e.g. "no autograded notebook found"
    penalty: float = 0.0  # nbgrader's late penalty, already taken off ``score``
    late: str = ""  # "submitted <time>, after the deadline <time>" when it came late
    put_back: list[str] = field(default_factory=list)  # what the grader restored first


@dataclass
class Course:
    """Assignments, students and submissions of a course directory."""

    root: Path
    # assignment -> [(notebook, grade_id, max points)] in notebook order
    cells: dict[str, list[tuple[str, str, float]]]
    max_scores: dict[str, float]
    students: list[str]
    submissions: dict[tuple[str, str], GradedSubmission]  # (assignment, student)
    ledger: dict[str, dict]


# --------------------------------------------------------------------------- helpers
def points(x: float | None) -> str:
    """Points as people write them: ``2``, ``1.5``, ``0.33``; ``-`` for none."""
    if x is None:
        return "-"
    return format(round(float(x), 2), ".10g")


def utc_text(when) -> str:
    """A UTC time as a page shows it: to the minute, or to the second where it has any."""
    return f"{when:%Y-%m-%d %H:%M}" + (f":{when:%S}" if when.second else "") + " UTC"


def _strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def _cap(text: str, max_lines: int, max_chars: int) -> str:
    lines = text.splitlines()
    cut = lines[:max_lines]
    out = "\n".join(cut)
    if len(out) > max_chars:
        out = out[:max_chars].rstrip()
    if len(out) < len("\n".join(lines)):
        out += f"\n... ({len(text) - len(out):,} more characters not shown)"
    return out


def hidden_lines(sources) -> set[str]:
    """The significant lines (8+ characters, 2+ tokens) of the hidden tests in
    ``sources`` (cell sources), stripped."""
    return {
        line for source in sources for line in marked_lines(source, HIDDEN) if significant(line)
    }


def redact(text: str, hidden: set[str]) -> str:
    """``text`` with every line that contains a hidden-test line replaced."""
    if not hidden or not text:
        return text
    return "\n".join(
        REDACTED if any(h in line for h in hidden) else line for line in text.split("\n")
    )


def error_message(outputs, execution_count: int | None = None) -> tuple[str, int | None]:
    """``("ename: evalue", line in the cell where it was raised)`` of a cell's outputs.

    The line is read from the traceback's frames of this cell (``Cell In[n]`` with its
    ``execution_count``): a traceback also passes through the student's answer cells,
    whose line numbers say nothing about this one."""
    messages, line = [], None
    own = re.compile(rf"Cell In ?\[{execution_count}\], line (\d+)") if execution_count else None
    for out in outputs:
        if out.get("output_type") != "error":
            continue
        ename = _strip_ansi(out.get("ename", "") or "Error")
        evalue = _strip_ansi(str(out.get("evalue", "") or "")).strip()
        if ename == "NotImplementedError" and not evalue:
            evalue = "the answer is still the placeholder; write your code in its place"
        messages.append(f"{ename}: {evalue}" if evalue else ename)
        for entry in out.get("traceback", []) or []:
            match = (own or _CELL_LINE).search(_strip_ansi(entry))
            if match:
                line = int(match.group(1))
                if own is None:
                    break
    return _cap("\n".join(messages), 60, MESSAGE_MAX_CHARS), line


def _stdout(outputs) -> str:
    text = "".join(
        out.get("text", "")
        for out in outputs
        if out.get("output_type") == "stream" and out.get("name") == "stdout"
    )
    return _cap(_strip_ansi(text).rstrip("\n"), STDOUT_MAX_LINES, STDOUT_MAX_CHARS)


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _read_nb(path: Path):
    try:
        return nbformat.read(path, as_version=4)
    except (OSError, ValueError):
        return None


def _cell_order(root: Path, assignment: str, notebook: str) -> list[str]:
    """grade_ids in notebook order, from the release, else from any autograded copy."""
    candidates = [root / BUILD / "release" / assignment / f"{notebook}.ipynb"]
    candidates += sorted((root / BUILD / "autograded").glob(f"*/{assignment}/{notebook}.ipynb"))
    for path in candidates:
        if path.is_file():
            nb = _read_nb(path)
            if nb is not None:
                return [_nbgrader(c).get("grade_id") for c in nb.cells if _nbgrader(c)]
    return []


# --------------------------------------------------------------------------- reading
def read_course(
    root: str | Path,
    assignments: list[str] | None = None,
    students: list[str] | None = None,
    details: bool = True,
) -> Course:
    """Read the gradebook (and, with ``details``, the autograded notebooks) of ``root``.

    Assignments are those in the gradebook (released) and in the ledger; students are
    the gradebook's and the ledger's. A ledger entry with status ``failed`` wins over
    the gradebook: the latest attempt could not be graded.
    """
    from nbgrader.api import Gradebook, MissingEntry

    root = Path(root).resolve()
    db = root / BUILD / "gradebook.db"
    if not db.is_file():
        raise FileNotFoundError(f"no gradebook at {db}; grade the submissions first")
    ledger = read_ledger(root)
    in_ledger = [key.split("/", 1) for key in ledger if "/" in key]

    course = Course(root, {}, {}, [], {}, ledger)
    with Gradebook(f"sqlite:///{db}") as gb:
        names = sorted({a.name for a in gb.assignments} | {a for a, _ in in_ledger})
        if assignments is not None:
            unknown = sorted(set(assignments) - set(names))
            if unknown:
                raise ValueError(f"not in the gradebook: {', '.join(unknown)}")
            names = [n for n in names if n in assignments]
        ids = sorted({s.id for s in gb.students} | {s for _, s in in_ledger})
        if students is not None:
            ids = [s for s in ids if s in students]
        course.students = ids

        hidden: dict[str, set[str]] = {}
        for name in names:
            course.cells[name], sources = [], []
            try:
                assignment = gb.find_assignment(name)
                notebooks = list(assignment.notebooks)
            except MissingEntry:
                notebooks = []
            for nb in notebooks:
                graded = {c.name: c.max_score for c in [*nb.grade_cells, *nb.task_cells]}
                order = _cell_order(root, name, nb.name)
                ranked = sorted(graded, key=lambda g: (order.index(g) if g in order else 1e9, g))
                course.cells[name] += [(nb.name, g, float(graded[g])) for g in ranked]
                sources += [c.source for c in nb.source_cells]
            course.max_scores[name] = sum(m for _, _, m in course.cells[name])
            hidden[name] = hidden_lines(sources)

        for name in names:
            for student in ids:
                entry = ledger.get(f"{name}/{student}") or {}
                if entry.get("status") == "failed":
                    course.submissions[(name, student)] = GradedSubmission(
                        name,
                        student,
                        "failed",
                        score=float(entry.get("score") or 0.0),
                        max_score=course.max_scores[name],
                        reason=str(entry.get("reason") or "no reason recorded"),
                        when=f"graded {entry['graded_at']}" if entry.get("graded_at") else "",
                    )
                    continue
                try:
                    sub = gb.find_submission(name, student)
                except MissingEntry:
                    continue
                course.submissions[(name, student)] = _graded(
                    root, course, sub, entry, hidden[name], details
                )

    for (name, student), sub in course.submissions.items():
        sub.put_back = [str(n) for n in (ledger.get(f"{name}/{student}") or {}).get("notes", [])]
    # a failed page must not quote a hidden test either (a reason may hold a log)
    for (name, _), sub in course.submissions.items():
        if sub.status == "failed":
            sub.reason = redact(_cap(_strip_ansi(sub.reason), 30, MESSAGE_MAX_CHARS), hidden[name])
    return course


def _graded(root, course, sub, entry, hidden, details) -> GradedSubmission:
    name, student = sub.assignment.name, sub.student.id
    # the score after nbgrader's late penalty, as `nbgrader export` computes it
    penalty = float(sub.late_submission_penalty or 0.0)
    result = GradedSubmission(
        name,
        student,
        "graded",
        score=max(0.0, float(sub.score or 0.0) - penalty),
        max_score=float(sub.max_score or 0.0),
        penalty=penalty,
    )
    due = sub.assignment.duedate
    if sub.timestamp and due and sub.timestamp > due:
        result.late = (
            f"Submitted {utc_text(sub.timestamp)}, after the deadline ({utc_text(due)}): late"
        )
    if entry.get("graded_at"):
        result.when = f"graded {entry['graded_at']}"
    elif sub.timestamp:
        result.when = f"submitted {sub.timestamp:%Y-%m-%d %H:%M}"
    grades = {}
    for nb in sub.notebooks:
        for grade in nb.grades:
            manual, auto = grade.manual_score, grade.auto_score
            scored = None if manual is None and auto is None else float(grade.score)
            grades[(nb.notebook.name, grade.name)] = scored
    results = {
        (nb, gid): CellResult(gid, nb, grades.get((nb, gid)), maximum)
        for nb, gid, maximum in course.cells[name]
    }
    result.cells = list(results.values())
    if not details:
        return result

    missing = []
    for nb_name in dict.fromkeys(nb for nb, _, _ in course.cells[name]):
        graded_nb = _read_nb(root / BUILD / "autograded" / student / name / f"{nb_name}.ipynb")
        released = _read_nb(root / BUILD / "release" / name / f"{nb_name}.ipynb")
        if graded_nb is None:
            missing.append(nb_name)
            result.items += [r for r in result.cells if r.notebook == nb_name]
            continue
        public = {}
        for cell in released.cells if released is not None else []:
            gid = _nbgrader(cell).get("grade_id")
            if gid and HIDDEN[0] not in cell.source and HIDDEN[1] not in cell.source:
                public[gid] = redact(cell.source, hidden)
        hidden_here = hidden | hidden_lines(c.source for c in graded_nb.cells)
        for cell in graded_nb.cells:
            meta = _nbgrader(cell)
            gid = meta.get("grade_id")
            outputs = cell.get("outputs", []) if cell.cell_type == "code" else []
            if meta.get("solution"):
                message, _ = error_message(outputs)
                result.items.append(
                    Answer(gid, nb_name, cell.cell_type, cell.source, redact(message, hidden_here))
                )
            if (nb_name, gid) in results and meta.get("grade"):
                res = results[(nb_name, gid)]
                message, line = error_message(outputs, cell.get("execution_count"))
                res.message = redact(message, hidden_here)
                checker = (cell.get("metadata", {}).get("course") or {}).get("checker")
                if checker is not None:  # the trusted checker decided: it says which case
                    res.hidden = bool(checker.get("hidden"))
                else:
                    res.hidden = line is not None and any(
                        a <= line <= b for a, b in marked_ranges(cell.source, HIDDEN)
                    )
                res.stdout = redact(_stdout(outputs), hidden_here)
                if not meta.get("solution"):
                    res.public_source = public.get(gid)
                result.items.append(res)
    if missing:
        result.note = f"no autograded notebook found for {', '.join(missing)}"
    return result


# --------------------------------------------------------------------------- HTML
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60rem;
margin:2rem auto;padding:0 1rem;color:#1f2328;line-height:1.45}
h1{margin-bottom:.2rem}.meta{color:#59636e;margin-top:0}
.total{font-size:1.3rem}
table{border-collapse:collapse;margin:1rem 0}
th,td{border-bottom:1px solid #d1d9e0;padding:.35rem .8rem;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#f6f8fa;border-radius:6px;padding:.6rem .8rem;overflow-x:auto;
white-space:pre-wrap;word-break:break-word;font-size:.9rem}
pre.msg{background:#fff1f0}
.card{border:1px solid #d1d9e0;border-left:.4rem solid #8c959f;border-radius:6px;
padding:.2rem 1rem .6rem;margin:1.2rem 0}
.card h3{margin:.6rem 0}.card h4{margin:.8rem 0 .3rem;font-size:.95rem}
.passed{color:#1a7f37}.failed{color:#cf222e}.partial{color:#9a6700}.late{color:#9a6700;font-weight:600}
.ungraded{color:#59636e}
.card.passed{border-left-color:#1a7f37}.card.failed{border-left-color:#cf222e}
.card.partial{border-left-color:#bf8700}
.notice{border:1px solid #cf222e;background:#fff1f0;border-radius:6px;padding:.6rem 1rem}
footer{color:#59636e;font-size:.85rem;margin-top:2rem}
"""

WORDS = {
    "passed": "passed ✓",
    "partial": "partly passed",
    "failed": "failed ✗",
    "ungraded": "waiting for manual grading",
}


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )


def _result_card(res: CellResult, answers: list[Answer]) -> str:
    parts = [
        f'<section class="card {res.status}" id="{_e(res.grade_id)}" '
        f'data-grade-id="{_e(res.grade_id)}" data-score="{_e(res.score)}" '
        f'data-max-score="{_e(res.max_score)}">',
        f'<h3>{_e(res.grade_id)} <span class="{res.status}">&middot; '
        f"{points(res.score)} / {points(res.max_score)} &middot; {WORDS[res.status]}</span></h3>",
    ]
    for answer in answers:
        parts.append(f"<h4>Your answer ({_e(answer.grade_id)})</h4>")
        parts.append(f"<pre><code>{_e(answer.source)}</code></pre>")
        if answer.message:
            parts.append(
                f'<p>Running this cell raised:</p><pre class="msg">{_e(answer.message)}</pre>'
            )
    if res.status == "passed":
        parts.append('<p class="passed">All checks passed.</p>')
    elif res.message:
        where = "a hidden check" if res.hidden else "a check"
        parts.append(f"<h4>What {where} says</h4>")
        parts.append(f'<pre class="msg">{_e(res.message)}</pre>')
        if res.hidden:
            parts.append(
                "<p>The public checks in your notebook passed; this check is one of the "
                "hidden ones, run only by the grader. Its message says what it tried.</p>"
            )
    elif res.status != "ungraded":
        parts.append("<p>The cell raised no error, but did not earn full points.</p>")
    if res.stdout:
        parts.append("<h4>What the cell printed</h4>")
        parts.append(f"<pre>{_e(res.stdout)}</pre>")
    if res.public_source:
        parts.append(
            "<details><summary>The public checks of this cell, as released to you"
            f"</summary><pre><code>{_e(res.public_source)}</code></pre></details>"
        )
    parts.append("</section>")
    return "\n".join(parts)


# the link from a page to the student's index (where the pages are served together)
BACK_LINK = '<p><a href="../index.html">&larr; all your assignments</a></p>'


def render_submission(sub: GradedSubmission) -> str:
    """The HTML page of one submission."""
    title = f"{sub.assignment} - feedback for {sub.student}"
    head = [
        BACK_LINK,
        f"<h1>{_e(sub.assignment)}</h1>",
        f'<p class="meta">Feedback for {_e(sub.student)}'
        + (f" &middot; {_e(sub.when)}" if sub.when else "")
        + "</p>",
        f'<p class="total" data-score="{_e(sub.score)}" data-max-score="{_e(sub.max_score)}">'
        f"Score: <strong>{points(sub.score)}</strong> / {points(sub.max_score)}</p>",
    ]
    if sub.late:
        head.append(f'<p class="late">{_e(sub.late)}.</p>')
    if sub.put_back:
        head.append(
            "<p>What the grader did to this notebook before or while grading it (the "
            "released structure put back, what it cut or did not keep):</p><ul>"
            + "".join(f"<li>{_e(n)}</li>" for n in sub.put_back)
            + "</ul>"
        )
    if sub.status == "failed":
        body = head + [
            '<div class="notice"><p><strong>This submission could not be graded.</strong></p>'
            f"<p>Why:</p><pre>{_e(sub.reason)}</pre>"
            "<p>No points could be given for it. Check that the notebook runs from top to "
            "bottom (Kernel &rarr; Restart and Run All) and ask your instructor.</p></div>",
        ]
        return _page(title, "\n".join(body))

    rows = "\n".join(
        f'<tr><td><a href="#{_e(r.grade_id)}">{_e(r.grade_id)}</a></td>'
        f'<td class="num">{points(r.score)} / {points(r.max_score)}</td>'
        f'<td class="{r.status}">{WORDS[r.status]}</td></tr>'
        for r in sub.cells
    )
    body = head + [
        f"<p>Late penalty: {points(sub.penalty)} points, already taken off the score.</p>"
        if sub.penalty
        else "",
        "<table><thead><tr><th>check</th><th>points</th><th>result</th></tr></thead>"
        f"<tbody>\n{rows}\n</tbody></table>",
    ]
    if sub.note:
        body.append(f"<p>Details are missing: {_e(sub.note)}.</p>")
    pending: list[Answer] = []
    for item in sub.items:
        if isinstance(item, Answer):
            pending.append(item)
        else:
            body.append(_result_card(item, pending))
            pending = []
    if pending:
        body.append('<section class="card"><h3>Your other answers</h3>')
        for answer in pending:
            body.append(
                f"<h4>{_e(answer.grade_id)}</h4><pre><code>{_e(answer.source)}</code></pre>"
            )
        body.append("</section>")
    body.append(
        "<footer>Hidden checks are run by the grader only; their code is never shown here. "
        "Messages are the checks' own words.</footer>"
    )
    return _page(title, "\n".join(body))


def render_index(student: str, rows: list[tuple[str, GradedSubmission | None, bool]]) -> str:
    """The index page of one student: ``(assignment, submission or None, has a page)``."""
    lines = []
    for name, sub, linked in rows:
        label = f'<a href="{_e(name)}/{_e(name)}.html">{_e(name)}</a>' if linked else _e(name)
        if sub is None:
            score, result = "", '<span class="ungraded">no submission</span>'
        elif sub.status == "failed":
            score, result = "", '<span class="failed">could not be graded</span>'
        else:
            score = f"{points(sub.score)} / {points(sub.max_score)}"
            status = (
                "passed" if sub.score >= sub.max_score else "partial" if sub.score else "failed"
            )
            result = f'<span class="{status}">graded</span>'
        lines.append(f'<tr><td>{label}</td><td class="num">{score}</td><td>{result}</td></tr>')
    body = (
        f"<h1>Feedback for {_e(student)}</h1>\n"
        "<table><thead><tr><th>assignment</th><th>score</th><th></th></tr></thead>"
        "<tbody>\n" + "\n".join(lines) + "\n</tbody></table>"
    )
    return _page(f"Feedback for {student}", body)


def write_feedback(
    root: str | Path, assignments: list[str] | None = None, students: list[str] | None = None
) -> list[Path]:
    """Write the feedback pages of ``root``'s graded submissions; return their paths.

    One page per submission (graded or failed) of the selected assignments and students,
    ``build/feedback/<student>/<assignment>/<assignment>.html``, then one
    ``build/feedback/<student>/index.html`` per student with a submission: the index
    lists every assignment of the course and links the pages that exist.
    """
    root = Path(root).resolve()
    course = read_course(root, assignments, students)
    everything = read_course(root, None, students, details=False) if assignments else course
    out = root / BUILD / "feedback"
    written = []
    for (name, student), sub in sorted(course.submissions.items()):
        path = out / student / name / f"{name}.html"
        write_atomic(path, render_submission(sub))
        written.append(path)
    for student in sorted({s for _, s in course.submissions}):
        rows = [
            (
                name,
                everything.submissions.get((name, student)),
                (out / student / name / f"{name}.html").is_file(),
            )
            for name in sorted(everything.cells)
        ]
        path = out / student / "index.html"
        write_atomic(path, render_index(student, rows))
        written.append(path)
    return written
