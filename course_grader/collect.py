"""Collect submissions as a learning platform exports them: a folder or a zip.

Every file met is either **accepted** - written to
``build/submitted/<student>/<assignment>/<assignment>.ipynb`` with its
``timestamp.txt``, as nbgrader expects - or **rejected with its reason** (not a
notebook, cannot be parsed, no student id in its name, not this assignment's
notebook, an older copy of the same submission). Nothing is dropped silently: the
whole list is returned and written to ``build/grading/collect.csv``.

Who sent a file comes from, in this order:

1. a mapping CSV (``--mapping``) with columns ``file`` and ``student`` (and optionally
   ``assignment``), ``file`` being the path inside the folder or zip;
2. a regular expression (``--pattern``) with a named group ``student`` (and optionally
   ``assignment``), matched against that path;
3. the layouts learning platforms produce, tried in turn (:data:`LAYOUTS`).

The assignment is the pattern's ``assignment`` group, else ``--assignment``, else the
known assignment name found in the file name.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.reader import NotJSONError

from .course import BUILD, GradingError, find_assignments, write_atomic
from .terminal import safe

# (name, pattern on the path inside the export); first match wins
LAYOUTS = [
    # Moodle: "Full Name_123456_assignsubmission_file_/original-name"
    ("moodle", r"(?:.*/)?[^/]*?_(?P<student>\d+)_assignsubmission_file_/(?P<file>[^/]+)"),
    # Canvas: lastfirst_[LATE_]userid_submissionid_original-name
    ("canvas", r"(?:.*/)?[^/_]+_(?:LATE_|late_)?(?P<student>\d+)_\d+_(?P<file>[^/]+)"),
    # a flat folder: student_assignment.ipynb (assignment names are known)
    ("flat", r"(?:.*/)?(?P<student>[^/]+?)[_-]{assignment}(?:[-_ ]?\(?\d+\)?)?\.ipynb"),
    # nbgrader's own layout, or a folder per student
    ("folders", r"(?P<student>[^/]+)/(?:(?P<assignment>[^/]+)/)?(?P<file>[^/]+)"),
]
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@+-]{0,99}")
IGNORED = re.compile(r"(^|/)(__MACOSX|\.DS_Store|\.ipynb_checkpoints|Thumbs\.db)(/|$)")


@dataclass
class Collected:
    """One file of the export: where it went, or why it went nowhere."""

    file: str
    student: str = ""
    assignment: str = ""
    status: str = ""  # new, updated, unchanged, or rejected
    reason: str = ""


@dataclass
class CollectReport:
    """Every row a collect met (``rows``) and, for an exchange collect, those new to the
    log or changed since it last saw them (``logged``: what went to collect.csv)."""

    rows: list[Collected] = field(default_factory=list)
    logged: list[Collected] = field(default_factory=list)

    @property
    def accepted(self) -> list[Collected]:
        return [r for r in self.rows if r.status != "rejected"]

    @property
    def rejected(self) -> list[Collected]:
        return [r for r in self.rows if r.status == "rejected"]

    def text(self) -> str:
        counts = {
            s: sum(r.status == s for r in self.rows) for s in ("new", "updated", "unchanged")
        }
        lines = [
            f"collected {len(self.accepted)} submission(s): {counts['new']} new, "
            f"{counts['updated']} updated, {counts['unchanged']} unchanged; "
            f"{len(self.rejected)} file(s) rejected"
        ]
        for r in self.rejected:
            lines.append(f"  rejected {safe(r.file)}: {safe(r.reason)}")
        return "\n".join(lines)


def _zip_time(info: zipfile.ZipInfo) -> dt.datetime:
    """When a zip member was last changed, in UTC: the extended timestamp (extra field
    0x5455, a Unix time) where the zip has one; else the DOS date and time, which are
    the zipping machine's local time - read as UTC, so that the platform's own
    timestamps, or --mapping, are the better source of deadlines there."""
    extra = info.extra
    while len(extra) >= 4:
        kind, size = struct.unpack("<HH", extra[:4])
        body = extra[4 : 4 + size]
        if kind == 0x5455 and size >= 5 and body[0] & 1:
            return dt.datetime.fromtimestamp(struct.unpack("<l", body[1:5])[0], dt.UTC)
        extra = extra[4 + size :]
    return dt.datetime(*info.date_time, tzinfo=dt.UTC)


MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024  # a submission larger than this is not read
MAX_RATIO = 200  # a zip member that unpacks to more than 200x its packed size


def _entries(path: Path) -> Iterator[tuple[str, bytes | str, dt.datetime]]:
    """(path inside the export, content, modification time) of every file; the content
    is a str - the reason - for a file too large to read (its size is known before)."""
    limit = f"{MAX_NOTEBOOK_BYTES // (1024 * 1024)} MB"
    if path.is_dir():
        files = [p for p in sorted(path.rglob("*")) if p.is_file() and not p.is_symlink()]
        names = [p.relative_to(path).as_posix() for p in files]
        for p, name in zip(files, names, strict=True):
            info = p.stat()
            mtime = dt.datetime.fromtimestamp(info.st_mtime, dt.UTC)
            if info.st_size > MAX_NOTEBOOK_BYTES:
                yield (
                    name,
                    f"{info.st_size:,} bytes: larger than a notebook may be ({limit})",
                    mtime,
                )
                continue
            yield name, p.read_bytes(), mtime
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                when = _zip_time(info)
                if info.file_size > MAX_NOTEBOOK_BYTES:
                    yield (
                        info.filename,
                        f"unpacks to {info.file_size:,} bytes: larger than a "
                        f"notebook may be ({limit}); not unpacked",
                        when,
                    )
                    continue
                if info.compress_size and info.file_size > MAX_RATIO * max(
                    info.compress_size, 1024
                ):
                    yield (
                        info.filename,
                        f"unpacks to {info.file_size:,} bytes from "
                        f"{info.compress_size:,} (a zip bomb?); not unpacked",
                        when,
                    )
                    continue
                try:
                    data = zf.read(info)
                except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
                    yield info.filename, f"cannot be unpacked: {exc}", when
                    continue
                yield info.filename, data, when
    elif path.exists():
        raise GradingError(f"{path} is neither a folder nor a zip file")
    else:
        raise GradingError(f"{path} does not exist")


def _read_mapping(path: Path) -> dict[str, dict]:
    try:
        with path.open(newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise GradingError(f"cannot read the mapping {path}: {exc}") from exc
    if not rows or not {"file", "student"} <= set(rows[0]):
        raise GradingError(f"the mapping {path} needs the columns 'file' and 'student'")
    return {row["file"].strip(): row for row in rows}


def _graded_ids(nb) -> set[str]:
    return {
        c.metadata["nbgrader"]["grade_id"]
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade_id")
    }


def _identify(name: str, names: list[str], assignment, pattern, mapping) -> tuple[str, str, str]:
    """(student, assignment, reason) for the file ``name`` inside the export.

    Where the whole path does not give a known assignment and a plain student id, the
    path without its top folder is tried (a zipped folder of submissions)."""
    first = _identify_path(name, names, assignment, pattern, mapping)
    misread = first[1] not in names or not STUDENT_ID.fullmatch(first[0]) or first[0] in names
    if "/" in name and misread:
        second = _identify_path(name.split("/", 1)[1], names, assignment, pattern, mapping)
        if second[1] in names and STUDENT_ID.fullmatch(second[0]):
            return second
    return first


def _identify_path(
    name: str, names: list[str], assignment, pattern, mapping
) -> tuple[str, str, str]:
    """(student, assignment, reason) from one reading of the path ``name``."""
    if mapping is not None:
        row = mapping.get(name) or mapping.get(name.rsplit("/", 1)[-1])
        if row is None:
            return "", "", "not in the mapping CSV"
        return row["student"].strip(), (row.get("assignment") or assignment or "").strip(), ""
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    patterns = (
        [("--pattern", pattern)]
        if pattern
        else [
            (n, p.replace("{assignment}", f"(?P<assignment>{alternatives})")) for n, p in LAYOUTS
        ]
    )
    for _, regex in patterns:
        m = re.fullmatch(regex, name)
        if m and m.groupdict().get("student"):
            groups = m.groupdict()
            found = groups.get("assignment") or assignment or ""
            if not found:  # the assignment named by the file name, e.g. inception (1).ipynb
                base = groups.get("file") or name.rsplit("/", 1)[-1]
                hits = [n for n in names if n in base]
                found = max(hits, key=len) if hits else ""
            if not found and len(names) == 1:  # a course of one assignment
                found = names[0]
            return groups["student"], found, ""
    how = "the --pattern" if pattern else "no known layout (see 'course collect --help')"
    return "", "", f"no student id in its name: it matches {how}; give --pattern or --mapping"


def collect(
    root: str | Path,
    path: str | Path,
    assignment: str | None = None,
    pattern: str | None = None,
    mapping: str | Path | None = None,
    source_directory: str = "notebooks",
) -> CollectReport:
    """Import the submissions in the folder or zip ``path`` into ``root/build/submitted``."""
    root = Path(root).resolve()
    names = find_assignments(root, source_directory)
    if assignment and assignment not in names:
        raise GradingError(f"no assignment {assignment!r} (known: {', '.join(names)})")
    if pattern:
        try:
            if "student" not in re.compile(pattern).groupindex:
                raise GradingError("--pattern needs a named group (?P<student>...)")
        except re.error as exc:
            raise GradingError(f"--pattern is not a valid regular expression: {exc}") from exc
    table = _read_mapping(Path(mapping)) if mapping else None
    graded_ids = assignment_cells(root, source_directory)

    report = CollectReport()
    chosen: dict[tuple[str, str], tuple[dt.datetime, bytes, Collected]] = {}
    for name, data, mtime in _entries(Path(path)):
        row = Collected(name)
        report.rows.append(row)

        def reject(reason: str, row=row) -> None:
            row.status, row.reason = "rejected", reason

        if IGNORED.search(name):
            reject("a system file, not a submission")
            continue
        student, found, reason = _identify(name, names, assignment, pattern, table)
        row.student, row.assignment = student, found  # recorded even when rejected
        if not name.endswith(".ipynb"):
            reject(f"not a notebook ({Path(name).suffix or 'no extension'}); submit the .ipynb")
            continue
        if reason:
            reject(reason)
            continue
        if student in names:
            reject(f"its path reads as student {student!r}, an assignment's name; give --pattern")
            continue
        if not STUDENT_ID.fullmatch(student):
            reject(f"student id {student!r} is not a plain id (letters, digits, _.@+-)")
            continue
        if found not in names:
            what = f"unknown assignment {found!r}" if found else "no assignment name in it"
            reject(f"{what}; give --assignment (known: {', '.join(names)})")
            continue
        problem = notebook_problem(data, found, graded_ids[found])
        if problem:
            reject(problem)
            continue
        key = (student, found)
        clash = next(
            (
                k
                for k in chosen
                if k[1] == found and k[0] != student and k[0].lower() == student.lower()
            ),
            None,
        )
        if clash:  # one folder on a case-insensitive disk (macOS, Windows)
            reject(f"student id {student!r} differs from {clash[0]!r} only in case; use --mapping")
            continue
        if key in chosen:
            older, newer = sorted([chosen[key], (mtime, data, row)], key=lambda t: t[0])
            older[2].status = "rejected"
            if older[0] == newer[0]:
                older[2].reason = (
                    f"another copy with the same time as {newer[2].file}, which was kept "
                    "(listed later); give --mapping to choose"
                )
            else:
                older[2].reason = f"an older copy; {newer[2].file} is newer and was kept"
            chosen[key] = newer
        else:
            chosen[key] = (mtime, data, row)

    for (student, a), (mtime, data, row) in chosen.items():
        row.status = store_submission(root, student, a, data, mtime)

    append_log(root, report, str(Path(path)))
    return report


def assignment_cells(root: Path, source_directory: str = "notebooks") -> dict[str, set[str]]:
    """``{assignment: the grade_ids of its graded and answer cells}``, from the sources."""
    return {
        a: _graded_ids(nbformat.read(root / source_directory / a / f"{a}.ipynb", as_version=4))
        for a in find_assignments(root, source_directory)
    }


def notebook_problem(data: bytes | str, assignment: str, graded_ids: set[str]) -> str:
    """Why ``data`` (a file's bytes; a str is already the reason) cannot be graded as
    ``assignment``'s notebook, or "" when it can."""
    if isinstance(data, str):  # too large, or not unpacked: the reason
        return data
    if not data.strip():
        return "the file is empty"
    try:
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
        nbformat.validate(nb)
    except NotJSONError:
        return "cannot be read as a notebook: it is not JSON (an upload cut short?)"
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
        return f"cannot be read as a notebook: {' '.join(str(exc).split())[:200]}"
    except nbformat.ValidationError as exc:
        return f"not a valid notebook: {exc.message[:200]}"
    if not (_graded_ids(nb) & graded_ids):
        return f"none of {assignment}'s graded cells are in it: is this the {assignment} notebook?"
    return ""


def store_submission(
    root: Path,
    student: str,
    assignment: str,
    data: bytes,
    when: dt.datetime,
    extra: dict[str, str] | None = None,
    same_time: bool = False,
) -> str:
    """Write one accepted notebook to ``build/submitted/<student>/<assignment>/`` with its
    ``timestamp.txt`` (and the files ``extra``: ``{name: text}``), each file atomically.
    Returns "new", "updated" or "unchanged": the same bytes as before (and, with
    ``same_time``, the same time: an identical resubmission is then a new one)."""
    folder = root / BUILD / "submitted" / student / assignment
    target = folder / f"{assignment}.ipynb"
    stamp = when.strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    stamp_file = folder / "timestamp.txt"
    time_kept = not same_time or (stamp_file.is_file() and stamp_file.read_text().strip() == stamp)
    if target.is_file() and target.read_bytes() == data and time_kept:
        for name, text in (extra or {}).items():
            write_atomic(folder / name, text)
        return "unchanged"
    status = "updated" if target.exists() else "new"
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(target, data)
    write_atomic(stamp_file, stamp)
    for name, text in (extra or {}).items():
        write_atomic(folder / name, text)
    return status


COLUMNS = ["collected_at", "source", "file", "student", "assignment", "status", "reason"]


def read_collect_log(path: Path) -> list[dict]:
    """Every row of every ``course collect`` so far (``build/grading/collect.csv``),
    oldest first; rows of the older format (one collect, no time) have an empty
    ``collected_at``."""
    if not path.is_file():
        return []
    with path.open(newline="") as fh:
        return [{c: row.get(c) or "" for c in COLUMNS} for row in csv.DictReader(fh)]


def append_log(root: Path, report: CollectReport, source: str) -> None:
    """Add this collect's rows, with its time and source, to the log of every collect
    (``build/grading/collect.csv``): nothing a collect recorded is lost by the next."""
    path = root / BUILD / "grading" / "collect.csv"
    rows = read_collect_log(path)
    when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    for r in report.rows:
        rows.append(
            dict(
                zip(
                    COLUMNS,
                    [when, source, r.file, r.student, r.assignment, r.status, r.reason],
                    strict=True,
                )
            )
        )
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(path, buffer.getvalue())
