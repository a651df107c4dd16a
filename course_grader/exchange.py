"""nbgrader's exchange: how the assignments reach the students of a JupyterHub, how their
submissions come back, and how their feedback reaches them.

The exchange is a folder every user of the machine can reach (nbgrader's layout, and
its permissions, under ``<exchange>/<course_id>/``)::

    outbound/<a>/            the released notebooks, readable by all    (publish)
    inbound/                 mode 733: a student may add, nobody may list
      <user>+<a>+<time>+<random>/   one submission, written by that student
    feedback/                mode 711: a page is found only by its name  (release_feedback)
      <md5(secret + notebook)>.html

A student's Assignments tab (nbgrader's ``fetch_assignment``, ``submit`` and
``fetch_feedback``) works on the other side of it. Here:

- :func:`publish` puts ``build/release/<a>/`` into ``outbound/`` with nbgrader's own
  ``release_assignment``;
- :func:`collect_exchange` reads ``inbound/`` into ``build/submitted/`` as ``course
  collect`` reads a zip: every file accepted or rejected with its reason, in the same
  log. The latest submission before the due date counts (the latest one, late, where
  none came before: nbgrader's ``collect --before-duedate``). Who submitted is the
  owner of the submission's folder, not the name it carries, and when is the latest
  of its ``timestamp.txt`` and the time its files last changed (which no user can set
  back): a submission edited in the exchange after the deadline is late;
- :func:`release_feedback` puts each submission's page where its student's
  ``fetch_feedback`` looks for it. A submission that was not graded (an older one, one
  after the deadline, the wrong notebook) gets a page that says why, and which
  submission counts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import html
import json
import os
import pwd
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .collect import (
    IGNORED,
    MAX_NOTEBOOK_BYTES,
    STUDENT_ID,
    Collected,
    CollectReport,
    append_log,
    assignment_cells,
    notebook_problem,
    store_submission,
)
from .course import BUILD, COURSE_ID, GradingError, find_assignments, run_nbgrader, write_atomic
from .feedback import BACK_LINK, _page, utc_text

DEFAULT_EXCHANGE = "/srv/nbgrader/exchange"  # nbgrader's own default (Exchange.root)
STATE = f"{BUILD}/grading/exchange.json"  # what each inbound submission became
NBGRADER_FILES = {"timestamp.txt", "submission_secret.txt"}  # written by nbgrader submit
MAX_FILES = 200  # a submission holding more entries than this is not read
# a timestamp.txt this much before its files' ctime is not believed. nbgrader submit
# stamps the time, then copies the notebook and sets permissions: seconds at most. The
# slack is also how late past the deadline a backdated timestamp.txt could still pass.
CTIME_SLACK = dt.timedelta(seconds=30)


def exchange_root(exchange: str | Path | None = None) -> Path:
    """The exchange folder: ``exchange``, else ``$COURSE_EXCHANGE``, else nbgrader's
    default ``/srv/nbgrader/exchange``."""
    return Path(exchange or os.environ.get("COURSE_EXCHANGE") or DEFAULT_EXCHANGE)


def prepare_exchange(exchange: Path) -> Path:
    """Make the exchange folder as nbgrader's documentation does (``mkdir -p``,
    ``chmod ugo+rw``: every user adds their course or submission under it); return it."""
    exchange.mkdir(parents=True, exist_ok=True)
    os.chmod(exchange, 0o777)
    return exchange


def publish(root: str | Path, exchange: str | Path, assignments: list[str] | None = None) -> dict:
    """Put the released version of each assignment into the exchange's ``outbound/``
    (replacing an older one; students who fetched it keep their copy). Returns
    ``{assignment: outbound folder}``."""
    root, exchange = Path(root).resolve(), prepare_exchange(Path(exchange).resolve())
    done = {}
    for name in assignments or find_assignments(root):
        if not (root / BUILD / "release" / name).is_dir():
            raise GradingError(f"{name} is not released yet: run 'course release {name}' first")
        run_nbgrader(root, "release_assignment", name, "--force", f"--Exchange.root={exchange}")
        done[name] = exchange / COURSE_ID / "outbound" / name
    return done


@dataclass
class Submission:
    """One folder of ``inbound/``: who, which assignment, when, and what became of it."""

    folder: str  # its name, <user>+<assignment>+<time>+<random>
    student: str
    assignment: str
    when: str  # ISO, UTC
    secret: str
    notebooks: list[str] = field(default_factory=list)  # the notebook ids it holds
    graded_as: str = ""  # the notebook id graded, where one is
    status: str = ""  # graded, or not graded
    reason: str = ""  # why it is not graded, or a note on the graded one
    counts: str = ""  # the folder of the submission that counts instead


def _parse_stamp(text: str) -> dt.datetime | None:
    from nbgrader.utils import parse_utc

    try:
        when = parse_utc(text.strip())
    except (ValueError, OverflowError, TypeError):
        return None
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def due_date(root: Path, assignment: str) -> dt.datetime | None:
    """The assignment's due date in the gradebook (``course release --due``), UTC."""
    db = root / BUILD / "gradebook.db"
    if not db.is_file():
        return None
    with contextlib.closing(sqlite3.connect(db)) as con:
        row = con.execute(
            "SELECT duedate FROM assignment WHERE name = ?", (assignment,)
        ).fetchone()
    if not row or not row[0]:
        return None
    return dt.datetime.fromisoformat(str(row[0])).replace(tzinfo=dt.UTC)


def _owner(path: Path) -> str:
    uid = path.lstat().st_uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _read_small(path: Path, limit: int = 4096) -> str:
    try:
        with path.open("rb") as fh:
            return fh.read(limit).decode("utf-8", "replace")
    except OSError:
        return ""


def _scan(folder: Path, me: str, names: list[str], graded_ids: dict) -> dict:
    """What one folder of ``inbound/`` holds, before the choice between a student's
    submissions: ``{"sub": Submission, "rows": [Collected], "candidate": file or ""}``
    (the candidate: the notebook that would be graded)."""
    label = f"inbound/{folder.name}"
    parts = folder.name.split("+")
    student, assignment = parts[0], parts[1]
    sub = Submission(folder.name, student, assignment, "", "")
    rows: list[Collected] = []
    scan = {"sub": sub, "rows": rows, "candidate": ""}

    def reject_all(reason: str) -> dict:
        sub.status, sub.reason = "not graded", reason
        rows.append(Collected(label, student, assignment, "rejected", reason))
        return scan

    owner = _owner(folder)
    if owner not in (student, me):
        return reject_all(f"submitted by the user {owner!r} under the name {student!r}")
    if not STUDENT_ID.fullmatch(student) or student in names:
        return reject_all(f"student id {student!r} is not a plain id (letters, digits, _.@+-)")
    if assignment not in names:
        return reject_all(f"unknown assignment {assignment!r} (known: {', '.join(names)})")
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not p.is_symlink() and not IGNORED.search(str(p))
    )
    claimed = _parse_stamp(_read_small(folder / "timestamp.txt")) or _parse_stamp(parts[2])
    changed = max(dt.datetime.fromtimestamp(p.lstat().st_ctime, dt.UTC) for p in [folder, *files])
    when = claimed or changed
    note = ""
    if changed - when > CTIME_SLACK:
        note = (
            f"its files changed at {utc_text(changed)}, after the time it gives "
            f"({utc_text(when)}): the later time is its submission time"
        )
        when = changed
    sub.when = when.isoformat()
    sub.secret = _read_small(folder / "submission_secret.txt").strip()
    candidates = []
    for p in files:
        rel = p.relative_to(folder).as_posix()
        if rel in NBGRADER_FILES:
            continue
        row = Collected(f"{label}/{rel}", student, assignment)
        rows.append(row)
        if p.suffix != ".ipynb" or "/" in rel:
            row.status, row.reason = "rejected", "not the assignment's notebook: not graded"
            continue
        sub.notebooks.append(p.stem)
        size = p.lstat().st_size
        data = (
            p.read_bytes()
            if size <= MAX_NOTEBOOK_BYTES
            else f"{size:,} bytes: larger than a notebook may be"
        )
        problem = notebook_problem(data, assignment, graded_ids[assignment])
        row.status, row.reason = ("rejected", problem) if problem else ("candidate", "")
        if not problem:
            candidates.append(rel)
    if not sub.notebooks:
        return reject_all(
            f"no notebook in this submission: {assignment}.ipynb was deleted or moved; "
            f"fetch {assignment} again (your work is where you left it) and submit it"
        )
    if not candidates:
        sub.status = "not graded"
        sub.reason = next(r.reason for r in rows if r.reason)
        return scan
    chosen = f"{assignment}.ipynb" if f"{assignment}.ipynb" in candidates else min(candidates)
    for row in rows:
        if row.status == "candidate" and not row.file.endswith("/" + chosen):
            row.status = "rejected"
            row.reason = f"another notebook of this submission, {chosen}, is graded"
    sub.graded_as = chosen[: -len(".ipynb")]
    if chosen != f"{assignment}.ipynb":
        renamed = f"renamed {assignment}.ipynb: {chosen} is graded as {assignment}.ipynb"
        note = f"{note}; {renamed}" if note else renamed
    sub.reason = note
    scan["candidate"] = chosen
    return scan


class _TooMany(Exception):
    """A submission's folder holds more than :data:`MAX_FILES` entries."""


def _signature(folder: Path) -> list:
    """What changes when anything in a submission's folder does (names, sizes, times,
    owner). Raises :class:`_TooMany` past :data:`MAX_FILES` entries, before reading them
    all (a folder of 30,000 files costs one round nothing)."""
    entries = [folder]
    for n, path in enumerate(folder.rglob("*")):
        if n >= MAX_FILES:
            raise _TooMany(folder)
        entries.append(path)
    entries.sort()
    return [
        [p.relative_to(folder).as_posix(), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_uid]
        for p in entries
        for st in [p.lstat()]
    ]


def collect_exchange(root: str | Path, exchange: str | Path) -> CollectReport:
    """Take the exchange's submissions into ``build/submitted/`` (see the module's text).

    Each file's row goes to ``build/grading/collect.csv`` when it is new or its status
    changed (a watcher collects every few seconds: the log grows with the submissions,
    not with the rounds), and what each submission became to
    ``build/grading/exchange.json``. A folder unchanged since the last collect is not
    read again."""
    root, exchange = Path(root).resolve(), Path(exchange).resolve()
    inbound = exchange / COURSE_ID / "inbound"
    if not inbound.is_dir():
        raise GradingError(
            f"no {inbound}: nothing was released to this exchange yet "
            "('course release --exchange DIR'), or DIR is not the exchange"
        )
    names = find_assignments(root)
    graded_ids = None  # read from the sources only when a folder must be scanned
    me = pwd.getpwuid(os.geteuid()).pw_name
    previous = _read_json(root / STATE)
    cache, logged = previous.get("scans", {}), previous.get("logged", {})
    report = CollectReport()
    scans, found, unchanged = {}, {}, set()
    for folder in sorted(inbound.iterdir()):
        if IGNORED.search(folder.name) or folder.name.startswith("."):
            continue
        label = f"inbound/{folder.name}"
        if not folder.is_dir() or folder.is_symlink() or len(folder.name.split("+")) not in (3, 4):
            reason = "not a submission of nbgrader submit"
            report.rows.append(Collected(label, status="rejected", reason=reason))
            continue
        try:
            signature = _signature(folder)
        except _TooMany:
            report.rows.append(
                Collected(
                    label,
                    folder.name.split("+")[0],
                    folder.name.split("+")[1],
                    "rejected",
                    f"more than {MAX_FILES} files and folders: not read; submit the notebook",
                )
            )
            continue
        old = cache.get(folder.name)
        if old and old["signature"] == signature:
            unchanged.add(folder.name)
            scan = {
                "sub": Submission(**old["sub"]),
                "rows": [Collected(**r) for r in old["rows"]],
                "candidate": old["candidate"],
            }
        else:
            graded_ids = graded_ids or assignment_cells(root)
            scan = _scan(folder, me, names, graded_ids)
        scans[folder.name] = {
            "signature": signature,
            "sub": asdict(scan["sub"]),
            "rows": [asdict(r) for r in scan["rows"]],
            "candidate": scan["candidate"],
        }
        report.rows += scan["rows"]
        if scan["candidate"]:
            key = (scan["sub"].student, scan["sub"].assignment)
            found.setdefault(key, []).append((scan["sub"], folder / scan["candidate"]))
    subs = {name: Submission(**scans[name]["sub"]) for name in scans}
    rows = {r.file: r for r in report.rows}
    for (student, assignment), entries in found.items():
        entries = [(subs[sub.folder], path) for sub, path in entries]
        due = due_date(root, assignment)
        entries.sort(key=lambda e: _when(e[0]))
        on_time = [e for e in entries if due is None or _when(e[0]) <= due]
        chosen, chosen_path = (on_time or entries)[-1]
        counted = utc_text(_when(chosen))
        for sub, path in entries:
            row = rows[f"inbound/{sub.folder}/{path.name}"]
            if sub is chosen:
                continue
            sub.status, sub.counts, row.status = "not graded", chosen.folder, "rejected"
            if _when(sub) > _when(chosen):
                sub.reason = (
                    f"after the deadline ({utc_text(due)}): the submission of {counted}, "
                    "before it, is the one graded"
                )
            else:
                sub.reason = f"an older submission: the one of {counted} is graded"
            row.reason = sub.reason
        chosen.status = "graded"
        record = json.dumps({"folder": chosen.folder, "notebook": chosen.graded_as}, indent=1)
        row = rows[f"inbound/{chosen.folder}/{chosen_path.name}"]
        stored = root / BUILD / "submitted" / student / assignment / "exchange.json"
        if chosen.folder in unchanged and _read_small(stored) == record:
            row.status = "unchanged"  # the same folder as last time, and not touched since
            continue
        row.status = store_submission(
            root,
            student,
            assignment,
            chosen_path.read_bytes(),
            _when(chosen),
            {"exchange.json": record},
            same_time=True,
        )
    for row in report.rows:  # a notebook of a folder whose choice fell elsewhere
        if row.status == "candidate":
            row.status, row.reason = "rejected", "its submission is not graded"
    accepted = {"new", "updated", "unchanged"}
    fresh = CollectReport(
        [
            r
            for r in report.rows
            if r.file not in logged
            or (
                logged[r.file] != [r.status, r.reason]
                and not (r.status == "unchanged" and logged[r.file][0] in accepted)
            )
        ]
    )
    report.logged = fresh.rows
    if fresh.rows:
        append_log(root, fresh, f"exchange {inbound}")
    logged.update({r.file: [r.status, r.reason] for r in fresh.rows})
    state = {
        "submissions": [asdict(s) for s in subs.values()],
        "scans": scans,
        "logged": logged,
    }
    write_atomic(root / STATE, json.dumps(state, indent=1))
    return report


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _when(sub: Submission) -> dt.datetime:
    return dt.datetime.fromisoformat(sub.when)


def read_state(root: Path) -> list[Submission]:
    """What the last :func:`collect_exchange` found in the exchange."""
    return [Submission(**e) for e in _read_json(Path(root) / STATE).get("submissions", [])]


def feedback_name(secret: str, notebook: str) -> str:
    """The file name nbgrader's ``fetch_feedback`` looks for (``notebook_hash``)."""
    return hashlib.md5((secret + notebook).encode()).hexdigest() + ".html"


def _not_graded_page(sub: Submission, notebook: str) -> str:
    when = dt.datetime.fromisoformat(sub.when) if sub.when else None
    body = (
        f"<h1>{html.escape(sub.assignment)}: this submission was not graded</h1>"
        f'<p class="meta">{html.escape(notebook)}.ipynb, submitted by {html.escape(sub.student)}'
        + (f" at {when:%Y-%m-%d %H:%M:%S} UTC" if when else "")
        + "</p>"
        f'<div class="notice"><p><strong>Why:</strong> {html.escape(sub.reason)}.</p>'
        + (
            "<p>Its feedback is in the folder of that submission.</p>"
            if sub.counts
            else "<p>Fix it and submit again: the latest submission before the deadline "
            "is the one graded.</p>"
        )
        + "</div>"
    )
    return _page(f"{sub.assignment} - not graded", body)


def release_feedback(root: str | Path, exchange: str | Path) -> list[str]:
    """Put the feedback of every submission the last collect found where its student's
    ``fetch_feedback`` finds it: the graded one's page (``course feedback``), and for
    one that was not graded, a page saying why. A page is written only when it changed
    (atomically); returns the submissions (folder names) whose page was written."""
    root, exchange = Path(root).resolve(), Path(exchange).resolve()
    out = exchange / COURSE_ID / "feedback"
    out.mkdir(parents=True, exist_ok=True)
    os.chmod(out, 0o711)  # nbgrader's release_feedback: found by name, never listed
    released = []
    for sub in read_state(root):
        if not sub.secret:
            continue
        for notebook in sub.notebooks:
            if sub.status == "graded" and notebook == sub.graded_as:
                page = root / BUILD / "feedback" / sub.student / sub.assignment
                page = page / f"{sub.assignment}.html"
                if not page.is_file() or not _still_graded(root, sub):
                    continue  # not graded yet: its page comes with the next round
                # fetched alone into the student's assignment folder: no index beside it
                content = page.read_bytes().replace(BACK_LINK.encode(), b"")
            elif sub.status == "graded":
                other = f"another notebook of this submission, {sub.graded_as}.ipynb, is graded"
                content = _not_graded_page(
                    Submission(**{**asdict(sub), "reason": other}), notebook
                ).encode()
            else:
                content = _not_graded_page(sub, notebook).encode()
            target = out / feedback_name(sub.secret, notebook)
            if target.is_file() and target.read_bytes() == content:
                continue
            part = out / f".{target.name}.part"
            part.write_bytes(content)
            os.chmod(part, 0o644)
            os.replace(part, target)
            released.append(sub.folder)
    return sorted(set(released))


def _still_graded(root: Path, sub: Submission) -> bool:
    """Whether the page in ``build/feedback`` is of this submission: the one collected
    is still this one, and it was graded after it was collected."""
    folder = root / BUILD / "submitted" / sub.student / sub.assignment
    try:
        record = json.loads((folder / "exchange.json").read_text())
    except (OSError, ValueError):
        return False
    page = root / BUILD / "feedback" / sub.student / sub.assignment / f"{sub.assignment}.html"
    submitted = folder / f"{sub.assignment}.ipynb"
    return record.get("folder") == sub.folder and page.stat().st_mtime >= submitted.stat().st_mtime
