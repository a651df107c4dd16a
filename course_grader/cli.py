"""The instructor's ``course`` command: release, collect, autograde, feedback, export,
report (and the authoring helpers). Run ``course <command> --help`` for each one.

Every command works in the course directory it is started in (or above it: the folder
holding ``nbgrader_config.py``) and writes only under its ``build/``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .course import BUILD, GradingError, find_assignments
from .release import prepare_workspace, release


def _repo_root() -> Path:
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "nbgrader_config.py").is_file():
            return folder
    raise SystemExit(
        "course: no nbgrader_config.py here or above; run it from the course repository."
    )


def _cmd_release(args) -> int:
    root = _repo_root()
    if not args.assignments and not find_assignments(root):
        print("course release: no assignments under notebooks/ yet; nothing to release.")
        return 0
    if args.bundle:
        from .bundle import make_bundle

        report = make_bundle(root, args.bundle, args.assignments or None, force=args.force)
        print(report)
        return 0
    done = release(root, args.assignments or None)
    for name, folder in done.items():
        print(f"released {name} -> {folder.relative_to(root)}")
    if args.due:
        from .release import parse_due, set_due_date

        due = parse_due(args.due)
        for name in done:
            set_due_date(root, name, due)
        print(f"due date of {', '.join(done)}: {due:%Y-%m-%d %H:%M:%S} UTC")
    if args.exchange is not None:
        from .exchange import exchange_root, publish

        for name, folder in publish(root, exchange_root(args.exchange), list(done)).items():
            print(f"published {name} -> {folder} (students fetch it in the Assignments tab)")
    return 0


def _cmd_workspace(args) -> int:
    root = _repo_root()
    result = prepare_workspace(root, args.dest)
    for rel in result["copied"]:
        print(f"new: {Path(args.dest) / rel}")
    if result["kept"]:
        print(
            f"kept your {len(result['kept'])} existing file(s) in {args.dest} untouched; "
            f"a fresh copy of each is in {BUILD}/release/."
        )
    return 0


def _cmd_refresh_outputs(args) -> int:
    from .authoring import refresh_outputs

    for path in args.notebooks:
        kept = refresh_outputs(path)
        print(f"{path}: ran it, kept the outputs of {kept} compared cell(s)")
    return 0


def _cmd_check_sources(_args) -> int:
    from .authoring import check_notebook

    root = _repo_root()
    names = find_assignments(root)
    problems = [p for n in names for p in check_notebook(root / "notebooks" / n / f"{n}.ipynb")]
    for p in problems:
        print(p)
    print(f"checked {len(names)} source notebook(s): {len(problems)} problem(s)")
    return 1 if problems else 0


def _cmd_collect(args) -> int:
    from .collect import collect

    root = _repo_root()
    if args.exchange is not None:
        from .exchange import collect_exchange, exchange_root

        if args.path or args.pattern or args.mapping or args.assignment:
            raise SystemExit(
                "course collect --exchange takes no PATH, --pattern, --mapping or --assignment"
            )
        report = collect_exchange(root, exchange_root(args.exchange))
        print(report.text())
        print(f"the list of every file and where it went: {BUILD}/grading/collect.csv")
        return 0
    if not args.path:
        raise SystemExit("course collect: give a folder or zip, or --exchange DIR")
    report = collect(
        root, args.path, assignment=args.assignment, pattern=args.pattern, mapping=args.mapping
    )
    print(report.text())
    print(f"the list of every file and where it went: {BUILD}/grading/collect.csv")
    return 0


def _cmd_autograde(args) -> int:
    from .autograde import Interrupted, Options, autograde_batch, isolation_here

    root = _repo_root()
    if not (root / BUILD / "gradebook.db").is_file():
        release(root, args.assignments or None)  # the gradebook is made by the release
    if args.scheduler:
        print("isolation: as each worker's machine allows (--isolation applies there)")
    else:
        try:
            print(isolation_here(args.isolation).describe(), file=sys.stderr)
        except RuntimeError as exc:
            print(f"course autograde: {exc}", file=sys.stderr)
            return 2
    try:
        options = Options(
            assignments=args.assignments or None,
            students=args.student or None,
            jobs=args.jobs,
            scheduler=args.scheduler,
            force=args.force,
            retry_failed=args.retry_failed,
            threads_per_kernel=args.threads_per_kernel,
            isolation=args.isolation,
        )
        report = autograde_batch(root, options)
    except Interrupted as stop:
        if stop.report is not None:
            print(stop.report.table())
        print("course autograde: interrupted; everything graded so far is saved.", file=sys.stderr)
        return 130
    print(report.table())
    return 1 if report.failed else 0


def _cmd_feedback(args) -> int:
    from .feedback import write_feedback

    root = _repo_root()
    pages = write_feedback(root, args.assignments or None, args.student or None)
    students = {p.relative_to(root / BUILD / "feedback").parts[0] for p in pages}
    print(
        f"wrote {len(pages)} page(s) for {len(students)} student(s) under {BUILD}/feedback/: "
        "<student>/<assignment>/<assignment>.html and <student>/index.html"
    )
    if args.release:
        from .exchange import exchange_root, release_feedback

        released = release_feedback(root, exchange_root(args.exchange))
        print(
            f"released the feedback of {len(released)} submission(s) to the exchange: "
            "students fetch it in the Assignments tab"
        )
    return 0


def _cmd_watch(args) -> int:
    from .autograde import Interrupted, Options
    from .exchange import exchange_root
    from .watch import watch

    root = _repo_root()
    options = Options(
        jobs=args.jobs, scheduler=args.scheduler, isolation=args.isolation, progress=False
    )
    try:
        echo = lambda line: print(line, flush=True)  # noqa: E731 - read live in a hub's log
        watch(root, exchange_root(args.exchange), options, args.interval, args.rounds, echo)
    except (KeyboardInterrupt, Interrupted):
        print("course watch: stopped; everything graded so far is saved.", file=sys.stderr)
        return 130
    return 0


def _cmd_export(args) -> int:
    from .report import export_grades

    root = _repo_root()
    path = export_grades(root, args.output)
    print(f"wrote {path}")
    return 0


def _cmd_report(args) -> int:
    from .report import class_report

    root = _repo_root()
    report = class_report(root, args.assignments or None)
    print(report.text())
    return 0


def _which(p, assignments: bool = True, students: bool = False) -> None:
    """The arguments that choose what a command works on: assignments, students."""
    if assignments:
        p.add_argument("assignments", nargs="*", help="assignment names (default: all)")
    if students:
        p.add_argument("--student", action="append", help="only this student (repeatable)")


def _exchange(p, help_text: str, flag: bool = True) -> None:
    """--exchange DIR: nbgrader's exchange folder (default: $COURSE_EXCHANGE, else
    /srv/nbgrader/exchange). ``flag``: given alone, it switches the command to it."""
    from .exchange import DEFAULT_EXCHANGE

    default = f"$COURSE_EXCHANGE or {DEFAULT_EXCHANGE}"
    if flag:
        p.add_argument(
            "--exchange",
            nargs="?",
            const="",  # exchange_root("") is $COURSE_EXCHANGE, else nbgrader's default
            metavar="DIR",
            help=f"{help_text} (DIR: {default})",
        )
    else:
        p.add_argument("--exchange", metavar="DIR", help=f"{help_text} (default: {default})")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="course",
        description="Release, collect, grade and report on the notebooks of this course.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "release",
        help="generate the student notebooks into build/release",
        description="Generate the student version of each assignment (solutions cut out) "
        "into build/release/<assignment>/, after checking the source notebook and that "
        "no line of a solution remains; a leak refuses the release. Also records the "
        "assignments in the gradebook (build/gradebook.db).",
    )
    _which(p)
    p.add_argument(
        "--bundle",
        metavar="DIR",
        help="also make DIR a self-contained student repository: the releases, a copy of "
        "course_utils, the data, a README and a Makefile; never the solutions or the grader",
    )
    p.add_argument("--force", action="store_true", help="replace an existing bundle DIR")
    p.add_argument(
        "--due",
        metavar="WHEN",
        help="the due date, e.g. '2026-12-09 17:00' (UTC) or '2026-12-09 17:00 Europe/Paris': "
        "later submissions are late (nbgrader's rules)",
    )
    _exchange(p, "also publish each assignment to the exchange's outbound/ (a JupyterHub)")
    p.set_defaults(func=_cmd_release)

    p = sub.add_parser(
        "workspace",
        help="copy new released notebooks to a student folder",
        description="Copy the released notebooks into a student's working folder, keeping "
        "every file that is already there (a student's answers are never overwritten). "
        "`make lab` opens JupyterLab on it.",
    )
    p.add_argument(
        "dest",
        nargs="?",
        default=f"{BUILD}/student",
        help=f"the student's folder (default: {BUILD}/student)",
    )
    p.set_defaults(func=_cmd_workspace)

    p = sub.add_parser(
        "refresh-outputs",
        help="run source notebooks, keep only the outputs nbval compares",
        description="Run each source notebook top to bottom with the quick budget and keep "
        "only the outputs of its `# NBVAL_CHECK_OUTPUT` cells (what nbval compares), in "
        "place; a notebook that does not run is left unchanged. Running it twice on an "
        "unchanged notebook changes nothing.",
    )
    p.add_argument("notebooks", nargs="+", help="notebooks/<a>/<a>.ipynb files")
    p.set_defaults(func=_cmd_refresh_outputs)

    p = sub.add_parser(
        "check-sources",
        help="check nbgrader metadata and stored outputs",
        description="Check every source notebook under notebooks/: valid nbgrader metadata "
        "(unique grade_ids, points, locked test cells), balanced solution markers, no "
        "hidden tests in a notebook (they belong to the trusted checker), a trusted check "
        "for every test cell, stored outputs only where nbval compares them. Writes "
        "nothing; exits 1 when there is a problem.",
    )
    p.set_defaults(func=_cmd_check_sources)

    p = sub.add_parser(
        "collect",
        help="import a folder or zip of submissions into build/submitted",
        description="Import submissions as a learning platform exports them. Layouts "
        "recognised without options: student/assignment.ipynb, student/assignment/"
        "assignment.ipynb, student_assignment.ipynb, Canvas (name_[LATE_]id_subid_file) "
        "and Moodle (Name_id_assignsubmission_file_/file). Every file that is not "
        "accepted is listed with its reason in build/grading/collect.csv.",
    )
    p.add_argument("path", nargs="?", help="a folder or a .zip")
    p.add_argument("--assignment", help="the assignment, where file names do not say it")
    p.add_argument(
        "--pattern",
        help="a regular expression on each file's path in the export, with a group "
        "(?P<student>...) and optionally (?P<assignment>...)",
    )
    p.add_argument("--mapping", help="a CSV with columns file,student[,assignment]")
    _exchange(
        p,
        "collect the exchange's inbound/ instead (students' Assignments tab): the latest "
        "submission before the due date counts",
    )
    p.set_defaults(func=_cmd_collect)

    p = sub.add_parser(
        "autograde",
        help="grade new or changed submissions in parallel",
        description="Grade every collected submission that is new or changed since the "
        "last run, JOBS at a time (or on a Dask cluster), with a progress bar, then "
        "print the class table. Ctrl-C keeps everything already graded.",
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=os.cpu_count() or 1,
        help="submissions graded at once on this machine (default: one per CPU)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a Dask distributed scheduler (tcp://host:8786): grade on its workers",
    )
    p.add_argument(
        "--threads-per-kernel",
        type=int,
        help="threads TensorFlow may use in each notebook (default: CPUs / jobs; 1 on a cluster)",
    )
    p.add_argument("--force", action="store_true", help="grade everything again")
    p.add_argument(
        "--isolation",
        choices=("auto", "require", "off"),
        default="auto",
        help="each notebook's kernel in a sandbox: as much as this machine can do (auto, "
        "the default: it says what is missing), only fully (require: refuse without "
        "bubblewrap), or none (off: trusted notebooks only)",
    )
    p.add_argument(
        "--retry-failed",
        action="store_true",
        help="grade again the unchanged submissions that could not be graded last time",
    )
    _which(p, students=True)
    p.set_defaults(func=_cmd_autograde)

    p = sub.add_parser(
        "feedback",
        help="write per-student HTML feedback (no hidden tests)",
        description="Write one HTML page per graded submission, "
        f"{BUILD}/feedback/<student>/<assignment>/<assignment>.html, and an index.html per "
        "student: each graded cell's points and the checker's message, never a hidden "
        "check or a traceback; what the student's code printed is escaped and capped.",
    )
    _which(p, students=True)
    p.add_argument(
        "--release",
        action="store_true",
        help="also put each page where the student's Assignments tab fetches it (the exchange)",
    )
    _exchange(p, "the exchange --release writes to", flag=False)
    p.set_defaults(func=_cmd_feedback)

    p = sub.add_parser(
        "watch",
        help="graded on submission: collect, grade and release feedback as students submit",
        description="Every INTERVAL seconds: collect the exchange's new submissions, grade "
        "them (in the sandbox, with the trusted checker), write their feedback and release "
        "it to the exchange, so a student fetches their result minutes after submitting. "
        "Stopping it loses nothing: the next start goes on where it stopped, and nothing "
        "is graded twice. Run it as a JupyterHub service (make hub does) or by hand.",
    )
    _exchange(p, "the exchange to watch", flag=False)
    p.add_argument("--interval", type=float, default=5.0, help="seconds between rounds (5)")
    p.add_argument("--rounds", type=int, help="stop after this many rounds (default: never)")
    p.add_argument(
        "--jobs", "-j", type=int, default=os.cpu_count() or 1, help="submissions graded at once"
    )
    p.add_argument("--scheduler", metavar="ADDRESS", help="grade on a Dask scheduler's workers")
    p.add_argument(
        "--isolation",
        choices=("auto", "require", "off"),
        default="auto",
        help="as for course autograde",
    )
    p.set_defaults(func=_cmd_watch)

    p = sub.add_parser(
        "export",
        help="write grades.csv, a column per exercise",
        description="Write the class's grades as CSV: a row per student, a column per "
        "graded cell and per assignment, the total, and a status that says why a "
        "submission is missing, was rejected at collect, or could not be graded.",
    )
    p.add_argument("--output", "-o", help=f"where (default: {BUILD}/grades.csv)")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser(
        "report",
        help="score distribution per exercise (plot) and the most failed checks",
        description=f"Write {BUILD}/report/<assignment>.png and .md: the score distribution "
        "of each exercise and of the totals, and the checks the class failed most (their "
        "messages grouped, counted in students); print a summary.",
    )
    _which(p)
    p.set_defaults(func=_cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``course`` command. Everything it prints is made safe for the
    terminal (:mod:`course_grader.terminal`): a file name or a message a submission
    chose cannot move the cursor, erase a line or set the window's title."""
    from .terminal import SafeStream

    args = _parser().parse_args(argv)
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(sys.stdout), SafeStream(sys.stderr)
    try:
        return args.func(args)
    except GradingError as exc:
        print(f"course {args.command}: {exc}", file=sys.stderr)
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout, sys.stderr = saved


if __name__ == "__main__":
    sys.exit(main())
