"""Write the example submissions that `make grade` collects and grades.

    .venv/bin/python examples/make_submissions.py

They imitate a Canvas export of the classic networks assignment (file names
``lastfirst_[LATE_]userid_submissionid_<name>``): the solution, the untouched release,
three students with typical mistakes taken from the grader's own catalog
(``tests/catalog/classic_networks.py``), a late resubmission that supersedes an
earlier copy, and two files that cannot be graded (a PDF, a notebook cut short).
Each notebook is the released one with the answer cells filled in, as a student's
would be. :func:`expected_scores` gives the score each must get.
"""

import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from catalog import classic_networks as catalog  # noqa: E402

from course_grader.course import write_config  # noqa: E402
from course_grader.markers import SOLUTION_BEGIN, SOLUTION_END  # noqa: E402
from course_grader.release import release  # noqa: E402

A = "classic_networks"
OUT = REPO / "examples" / "submissions" / f"{A}.zip"

# student file name -> {solution grade_id: catalogued mistake}; None: the blank release
STUDENTS = {
    "lovelaceada_1001_9001": {},
    "turingalan_1002_9002": None,
    "hopperGrace_1003_9003": {"conv_output_shape": "'same' padding ignored"},
    "noetheremmy_1004_9004": {
        "lenet5": "max instead of average pooling",
        "vgg16": next(iter(catalog.MISTAKES["vgg16"])),
    },
    # first try: AlexNet wrong; the late resubmission fixed it
    "shannonclaude_1005_9005": {"alexnet": next(iter(catalog.MISTAKES["alexnet"]))},
    "shannonclaude_LATE_1005_9015": {},
}


def expected_scores() -> dict[str, int]:
    """Student id -> the score the grader must give: every exercise's points, less the
    points of each exercise with a mistake (they are graded independently), 0 for the
    blank release; a resubmission replaces the first copy."""
    total = sum(points for _, points in catalog.TESTS.values())
    scores = {}
    for name, mistakes in STUDENTS.items():
        student = name.split("_")[-2]
        lost = total if mistakes is None else sum(catalog.TESTS[g][1] for g in mistakes)
        scores[student] = total - lost
    return scores


def _solution(source: str) -> str:
    """The answer without nbgrader's markers, as a student would have written it."""
    markers = (SOLUTION_BEGIN, SOLUTION_END)
    return "\n".join(line for line in source.splitlines() if line.strip() not in markers)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        shutil.copytree(REPO / "notebooks" / A, course / "notebooks" / A)
        write_config(course, "notebooks")
        release(course, [A])
        released = nbformat.read(course / "build" / "release" / A / f"{A}.ipynb", 4)
    source = nbformat.read(REPO / "notebooks" / A / f"{A}.ipynb", 4)
    answers = {
        c.metadata["nbgrader"]["grade_id"]: _solution(c.source)
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(OUT, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, (name, mistakes) in enumerate(STUDENTS.items()):
            nb = nbformat.from_dict(released)
            if mistakes is not None:
                for cell in nb.cells:
                    gid = cell.metadata.get("nbgrader", {}).get("grade_id")
                    if gid in mistakes:
                        cell.source = catalog.MISTAKES[gid][mistakes[gid]][0].strip()
                    elif gid in answers:
                        cell.source = answers[gid]
            info = zipfile.ZipInfo(f"{name}_{A}.ipynb", (2026, 11, 20, 9 + i, 0, 0))
            zf.writestr(info, nbformat.writes(nb), zipfile.ZIP_DEFLATED)
        text = nbformat.writes(released)
        zf.writestr(
            zipfile.ZipInfo(f"babbagecharles_1006_9006_{A}.ipynb", (2026, 11, 20, 16, 0, 0)),
            text[: len(text) // 3],  # the upload was cut short
            zipfile.ZIP_DEFLATED,
        )
        zf.writestr(
            zipfile.ZipInfo("franklinrosalind_1007_9007_answers.pdf", (2026, 11, 20, 17, 0, 0)),
            b"%PDF-1.4 (a PDF of the notebook, not the notebook)\n",
        )
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
