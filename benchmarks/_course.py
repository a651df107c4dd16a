"""What the grading benchmarks share: a temporary course with one released assignment and
N collected submissions (not a benchmark itself; `make bench` skips files named _*)."""

import shutil
from pathlib import Path

from course_grader.course import write_config
from course_grader.release import release

REPO = Path(__file__).resolve().parent.parent


def course_with_submissions(course: Path, a: str, n: int, blank_every: int = 0) -> None:
    """Release assignment ``a`` (a course notebook, or a test fixture: no TensorFlow) in
    ``course`` (source folder ``source/``) and collect ``n`` submissions of it: the solved
    source notebook, or the blank release for every ``blank_every``-th one (s01, s03...
    when 2; none when 0)."""
    found = [REPO / "notebooks" / a, REPO / "tests" / "fixtures" / "notebooks" / a]
    shutil.copytree(next(p for p in found if p.is_dir()), course / "source" / a)
    write_config(course, "source")
    release(course, [a], source_directory="source")
    solved = course / "source" / a / f"{a}.ipynb"
    blank = course / "build" / "release" / a / f"{a}.ipynb"
    for i in range(n):
        folder = course / "build" / "submitted" / f"s{i:02d}" / a
        folder.mkdir(parents=True)
        is_blank = blank_every and i % blank_every == blank_every - 1
        shutil.copy(blank if is_blank else solved, folder / f"{a}.ipynb")
