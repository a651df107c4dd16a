"""Hostile and broken submissions (tests/catalog/hostile.py) graded in ONE batch: each
gets exactly its score and status, every one has its gradebook row and feedback page,
the batch finishes, nothing of the trusted checks or the solutions reaches any page, and
no script of a submission survives in what a browser shows.

Needs bubblewrap (the sandbox): CI installs it; elsewhere the test says how."""

import ast
import json
import os
import shutil
import socket
import sqlite3

import nbformat
import pytest
from catalog import hostile

from course_grader.autograde import Options, autograde_batch, read_ledger
from course_grader.course import write_config
from course_grader.feedback import write_feedback
from course_grader.markers import significant
from course_grader.release import release
from course_grader.sandbox import INSTALL_HINT, probe
from course_grader.terminal import safe
from helpers import FIXTURES, REPO, TEST_JOBS, copy_checkers, own_lines

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    iso = probe()
    if not iso.isolated:
        if os.environ.get("COURSE_REQUIRE_SANDBOX"):
            pytest.fail(f"COURSE_REQUIRE_SANDBOX is set, but {iso.describe()}")
        pytest.skip(f"the sandbox is not available here ({iso.describe()}); {INSTALL_HINT}")
    root = tmp_path_factory.mktemp("hostile") / "course"
    shutil.copytree(FIXTURES / "notebooks" / hostile.FT, root / "notebooks" / hostile.FT)
    shutil.copytree(REPO / "notebooks" / hostile.CN, root / "notebooks" / hostile.CN)
    copy_checkers(FIXTURES, root)
    write_config(root, "notebooks")
    release(root, [hostile.FT, hostile.CN])
    listener = socket.create_server(("127.0.0.1", 0))  # what h26 tries to reach
    ctx = hostile.Context(
        released={
            a: nbformat.read(root / "build" / "release" / a / f"{a}.ipynb", 4)
            for a in (hostile.FT, hostile.CN)
        },
        source={
            a: nbformat.read(root / "notebooks" / a / f"{a}.ipynb", 4)
            for a in (hostile.FT, hostile.CN)
        },
        root=root,
        port=listener.getsockname()[1],
    )
    for student, assignment, build, _, _ in hostile.CASES:
        made = build(ctx)
        name, data = made if isinstance(made, tuple) else (f"{assignment}.ipynb", made)
        folder = root / "build" / "submitted" / student / assignment
        folder.mkdir(parents=True)
        (folder / name).write_bytes(data)
    with listener:
        report = autograde_batch(root, Options(jobs=TEST_JOBS, progress=False))
    write_feedback(root)
    return root, report


def test_every_case_gets_exactly_its_score_and_status(graded):
    root, report = graded
    ledger = read_ledger(root)
    assert not report.interrupted
    rows, wrong = ["| case | score | status | reason or notes |", "|---|---|---|---|"], []
    for student, assignment, _, score, status in hostile.CASES:
        entry = ledger[f"{assignment}/{student}"]
        detail = entry["reason"] or "; ".join(entry.get("notes", []))
        rows.append(
            f"| {student} | {entry['score']:g}/{entry['max_score']:g} | {entry['status']} "
            f"| {detail[:90]} |"
        )
        if (entry["score"], entry["status"]) != (score, status):
            wrong.append(
                f"{student}: {entry['score']:g} {entry['status']}, expected {score} {status}"
            )
    print("\n".join(rows))
    assert not wrong, "\n".join(wrong)


def test_each_combined_case_fails_exactly_its_attacked_exercises(graded):
    root, _ = graded
    ledger = read_ledger(root)
    for student, failing in hostile.FAILING.items():
        verdicts = ledger[f"{hostile.CN}/{student}"]["checker"]
        assert {g for g, v in verdicts.items() if not v["passed"]} == failing, student


def test_every_submission_has_its_gradebook_row_and_feedback(graded):
    root, _ = graded
    with sqlite3.connect(root / "build" / "gradebook.db") as db:
        rows = set(
            db.execute(
                "SELECT student.id, assignment.name FROM submitted_assignment"
                " JOIN student ON student.id = submitted_assignment.student_id"
                " JOIN assignment ON assignment.id = submitted_assignment.assignment_id"
            )
        )
    for student, assignment, *_ in hostile.CASES:
        assert (student, assignment) in rows, student
        page = root / "build" / "feedback" / student / assignment / f"{assignment}.html"
        assert page.is_file(), page


def _secret_lines() -> list[str]:
    """The lines worth stealing: of the trusted checks (the course's and the fixture's)
    and of the reference solutions."""
    paths = [
        *(REPO / "course_grader" / "checker" / "exercises").glob("*.py"),
        *(FIXTURES / "checkers").glob("*.py"),
        *(REPO / "course_reference").glob("*.py"),
    ]
    lines = set()
    for path in paths:
        for line in path.read_text().splitlines():
            line = line.strip()
            if significant(line) and len(line) >= 24 and not line.startswith(("#", '"""')):
                lines.add(line)
    return sorted(lines)


def test_nothing_of_the_checks_or_the_solutions_reaches_feedback(graded):
    root, _ = graded
    secret = _secret_lines()
    assert len(secret) > 100
    for page in (root / "build" / "feedback").rglob("*.html"):
        text = page.read_text()
        student = page.relative_to(root / "build" / "feedback").parts[0]
        own = set().union(
            *(own_lines(nb) for nb in (root / "build" / "submitted" / student).rglob("*.ipynb"))
        )  # a correct answer is a solution line too: the student's own is theirs to see
        leaked = [
            line for line in secret if line in text and not any(line in mine for mine in own)
        ]
        assert not leaked, f"{page}: {leaked[:3]}"
    # the kernel that looked everywhere found nothing of them
    # (what its answer cell printed; a feedback page shows what the test cells print)
    graded = root / "build" / "autograded" / "n10-looks-for-secrets" / hostile.FT
    assert "found: []" in (graded / f"{hostile.FT}.ipynb").read_text()


def test_no_script_of_a_submission_reaches_a_browser(graded):
    root, _ = graded
    for student in ("n11-script-in-output", "n12-script-in-markdown"):
        nb = nbformat.read(
            root / "build" / "autograded" / student / hostile.FT / f"{hostile.FT}.ipynb", 4
        )
        # what a browser renders as HTML: outputs, markdown and raw cells (code is shown
        # as text, so the student's code may say what it likes)
        rendered = json.dumps([c.outputs if c.cell_type == "code" else c.source for c in nb.cells])
        for bad in ("<script", "onerror", "application/javascript", "javascript:"):
            assert bad not in rendered, (student, bad)
        assert any("PWNED" in c.source for c in nb.cells)  # the attack was there


def test_control_characters_never_reach_the_terminal(graded):
    root, report = graded
    entry = read_ledger(root)[f"{hostile.FT}/n13-control-characters"]
    assert entry["score"] == 2
    table = safe(report.table())
    assert "\x1b" not in table and "\x07" not in table and "\r" not in table.replace("\n", "")


def test_the_resources_were_bounded(graded):
    import re

    root, _ = graded

    def printed(student):
        nb = nbformat.read(
            root / "build" / "autograded" / student / hostile.FT / f"{hostile.FT}.ipynb", 4
        )
        return "".join(
            o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
        )

    shm = int(re.search(r"written to /dev/shm: (\d+) MB", printed("n14-fills-dev-shm")).group(1))
    assert shm <= 64
    tmp = int(re.search(r"files in /tmp: \d+ MB: (\d+)", printed("n15-fills-tmp")).group(1))
    assert tmp <= 256


def test_the_structure_is_the_releases(graded):
    root, _ = graded
    nb = nbformat.read(
        root / "build" / "autograded" / "n18-test-id-on-a-top-cell" / hostile.FT
        / f"{hostile.FT}.ipynb", 4,
    )  # fmt: skip
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    assert ids.index("conv_params") < ids.index("conv_params_tests")  # the test not moved
    notes = " ".join(read_ledger(root)[f"{hostile.FT}/n17-points-without-grade-id"]["notes"])
    assert "nbgrader metadata without a grade_id; not graded" in notes


def test_attacks_left_the_gradebook_and_outputs_intact(graded):
    root, _ = graded
    assert b"PWNED" not in (root / "build" / "gradebook.db").read_bytes()
    for student in ("h11-100mb-printed", "h12-huge-image"):
        graded_nb = root / "build" / "autograded" / student / hostile.FT / f"{hostile.FT}.ipynb"
        assert graded_nb.stat().st_size < 1_000_000, (student, graded_nb.stat().st_size)
    # what a kernel wrote stays in its own folder: no link out of it comes back
    assert not list((root / "build" / "autograded" / "h28-symlinks-out").rglob("leak-*"))
    # the checker decided every graded case, and said so in the ledger
    for entry in read_ledger(root).values():
        if entry["status"] == "graded":
            assert entry.get("seed") is not None and entry.get("checker"), entry["key"]
    ledger = read_ledger(root)
    notes = " ".join(ledger[f"{hostile.FT}/h13-test-cell-deleted"]["notes"])
    assert "'conv_params_tests' was deleted; put back" in notes
    page = root / "build" / "feedback" / "h13-test-cell-deleted" / hostile.FT
    assert (
        "conv_params_tests&#x27; was deleted; put back"
        in (page / f"{hostile.FT}.html").read_text()
    )
    assert "graded as 'fixture_two.ipynb'" in " ".join(
        ledger[f"{hostile.FT}/h19-wrong-file-name"]["notes"]
    )


def test_test_cells_import_what_they_use():
    """A test cell takes no name from the notebook's import cells: it imports its checks
    (and numpy, keras...) itself, so a submission that redefines ``check_model`` or
    ``np`` above it cannot replace them."""
    problems = []
    for path in sorted((REPO / "notebooks").glob("*/*.ipynb")):
        nb = nbformat.read(path, 4)
        imported = set()
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code":
                continue
            code = "\n".join(
                ln for ln in cell.source.splitlines() if not ln.lstrip().startswith(("%", "!"))
            )
            tree = ast.parse(code)
            if meta.get("grade") and not meta.get("solution"):
                own = {
                    a.asname or a.name.split(".")[0]
                    for node in ast.walk(tree)
                    if isinstance(node, ast.Import | ast.ImportFrom)
                    for a in node.names
                }
                used = {
                    n.id
                    for n in ast.walk(tree)
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
                }
                for name in sorted((used & imported) - own):
                    problems.append(f"{path.name} {meta['grade_id']}: {name}")
            else:
                imported |= {
                    a.asname or a.name.split(".")[0]
                    for node in tree.body
                    if isinstance(node, ast.Import | ast.ImportFrom)
                    for a in node.names
                }
    assert not problems, problems
