"""The student bundle (course_grader.bundle): what it holds, what it refuses, and that it
works on its own - installed into a fresh environment that cannot see the repository."""

import json
import os
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import nbformat
import pytest

from course_grader import bundle
from course_grader.course import GradingError, find_assignments
from course_grader.markers import SOLUTION_BEGIN, SOLUTION_END
from course_grader.release import LeakError
from helpers import REPO, cell_by_grade_id

CHEAP = "classic_networks"  # its first check reads recorded values (check_cases)
SOLUTION_LINE = "n_H2 = (n_H + 2 * p - f) // s + 1"  # classic_networks, exercise 1
REFERENCE_LINE = "return np.maximum(np.tensordot(X, W, axes=([3], [0])) + b, 0)"  # inception


@pytest.fixture(scope="module")
def secret():
    return bundle.find_solution_lines(REPO)


# --------------------------------------------------------------------------- unit
def test_solution_lines_cover_notebooks_and_reference(secret):
    assert "solution of classic_networks/conv_output_shape" in secret[SOLUTION_LINE]
    assert "reference code (course_reference/inception.py" in secret[REFERENCE_LINE]
    # given to students, so not secret: scaffolding, and code the notebook's text shows
    assert "X_input = keras.Input(input_shape)" not in secret
    assert (
        'model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])'
        not in secret
    )  # noqa: E501
    assert ")  # fmt: skip" not in secret  # significant only with its comment


def test_search_finds_a_planted_line_and_names_the_file(tmp_path, secret):
    clean = tmp_path / "course_utils" / "clean.py"
    clean.parent.mkdir()
    clean.write_text("def f(x):\n    return x + 1\n")
    assert bundle.search_bundle(tmp_path, secret) == ([], [])

    planted = tmp_path / "course_utils" / "helpers.py"
    planted.write_text(f"def shape(n_H, p, f, s):\n    {SOLUTION_LINE}\n    return n_H2\n")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"# {SOLUTION_BEGIN}\n{REFERENCE_LINE}")]
    nbformat.write(nb, tmp_path / "extra.ipynb")
    (tmp_path / "blob.h5").write_bytes(b"\0\1" + SOLUTION_LINE.encode())  # binary: skipped

    leaks, allowed = bundle.search_bundle(tmp_path, secret)
    assert allowed == []
    assert any(
        leak.startswith("course_utils/helpers.py: line 2 ") and "conv_output_shape" in leak
        for leak in leaks
    ), leaks
    assert any(leak.startswith("extra.ipynb: cell 0 line 2 ") for leak in leaks), leaks
    assert any("extra.ipynb: cell 0 line 1 contains the marker" in leak for leak in leaks)
    assert not any("blob.h5" in leak for leak in leaks)


def test_an_allowed_line_is_reported_with_its_reason(tmp_path, secret):
    path = tmp_path / "course_utils" / "cost.py"
    path.parent.mkdir()
    path.write_text('def pad(padding):\n    if padding == "valid":\n        return 0\n')
    leaks, allowed = bundle.search_bundle(tmp_path, secret)
    assert leaks == []
    assert len(allowed) == 1 and "course_utils/cost.py: line 2" in allowed[0]
    # the same line in any other file is a leak
    (tmp_path / "other.py").write_text(path.read_text())
    leaks, _ = bundle.search_bundle(tmp_path, secret)
    assert len(leaks) == 1 and leaks[0].startswith("other.py: line 2")


def test_expression_search_sees_through_formatting(tmp_path):
    (tmp_path / "hint.py").write_text(
        "import numpy as np\n\ndef h(X, W):\n"
        "    return np.maximum(np.tensordot(X, W,\n        axes=( [3], [0] )), 0)\n"
    )
    near = bundle.find_solution_expressions(REPO, tmp_path)
    assert len(near) == 1 and near[0].startswith("hint.py:4 computes 'np.tensordot(X, W"), near


def test_a_line_students_see_with_a_trailing_comment_is_not_secret(secret):
    # the lecture's own example in keras_tutorial's text, and a generic layer call of a
    # teaching cell in inception, each shown with a comment after it
    assert "ZP = layers.ZeroPadding2D((3, 3))" not in secret
    assert 'X = layers.GlobalAveragePooling2D(name="avg_pool")(X)' not in secret


def _requirements(text_or_list):
    from packaging.requirements import Requirement

    return {str(Requirement(r)) for r in text_or_list}


def test_student_pyproject_and_environment():
    import tomllib

    import yaml

    repo = tomllib.loads((REPO / "pyproject.toml").read_text())
    student = tomllib.loads(bundle.student_pyproject(REPO))
    assert student["project"]["dependencies"] == repo["project"]["dependencies"]
    assert "scripts" not in student["project"] and "entry-points" not in student["project"]
    extras = student["project"]["optional-dependencies"]
    assert extras == {k: repo["project"]["optional-dependencies"][k] for k in ("cpu", "gpu")}
    assert any(d.startswith("nbgrader") for d in student["project"]["dependencies"])
    assert student["tool"]["setuptools"]["package-data"] == {"course_utils": ["recorded/*.json"]}

    env = yaml.safe_load(bundle.student_environment(REPO))
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    listed = [d for d in conda if not d.startswith(("python", "pip"))]
    listed += [d for d in pip if not d.startswith("-")]
    every = repo["project"]["dependencies"] + repo["project"]["optional-dependencies"]["cpu"]
    assert _requirements(listed) == _requirements(every)
    assert "--editable ." in pip


def test_refuses_an_existing_dest_and_leaves_nothing_behind(tmp_path, monkeypatch):
    dest = tmp_path / "student"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    with pytest.raises(GradingError, match="exists"):
        bundle.make_bundle(REPO, dest, [CHEAP])

    def fail(*_args, **_kwargs):
        raise LeakError(["notebooks/x.ipynb: cell 1 line 2 is a line of the solution"])

    monkeypatch.setattr(bundle, "release", fail)
    with pytest.raises(LeakError):
        bundle.make_bundle(REPO, dest, [CHEAP], force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["student"]  # no staging left
    assert (dest / "keep.txt").read_text() == "mine"  # a failed rebuild keeps the old one
    for inside in (REPO, REPO / "course_utils" / "x", REPO / "notebooks", REPO.parent):
        with pytest.raises(GradingError, match="refusing"):
            bundle.make_bundle(REPO, inside, [CHEAP], force=True)


# --------------------------------------------------------------------------- the real one
@pytest.fixture(scope="module")
def built(tmp_path_factory):
    os.environ.setdefault("COURSE_BUDGET", "quick")
    dest = tmp_path_factory.mktemp("bundle") / "student"
    start = time.perf_counter()
    report = bundle.make_bundle(REPO, dest)  # the whole course
    print(f"\n{report}\nbuilt in {time.perf_counter() - start:.1f} s")
    return report


@pytest.mark.slow
def test_bundle_holds_what_students_need_and_no_solution(built, secret):
    dest = built.dest
    assert built.assignments == find_assignments(REPO)
    # course_utils is a copy, byte for byte; nothing of the other two packages is there
    ours = _files(REPO / "course_utils")
    assert _files(dest / "course_utils") == ours and ours
    for path in ours:
        assert (dest / "course_utils" / path).read_bytes() == (
            REPO / "course_utils" / path
        ).read_bytes(), path
    assert not (dest / "course_reference").exists() and not (dest / "course_grader").exists()
    theirs = {
        p.read_bytes()
        for d in ("course_reference", "course_grader")
        for p in (REPO / d).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.stat().st_size > 200
    }
    assert not [p for p in dest.rglob("*") if p.is_file() and p.read_bytes() in theirs]
    released = dest / "notebooks" / CHEAP / f"{CHEAP}.ipynb"
    assert SOLUTION_BEGIN not in released.read_text()
    assert "raise NotImplementedError()" in released.read_text()
    recorded = json.loads((dest / "course_utils" / "recorded" / f"{CHEAP}.json").read_text())
    assert f"{CHEAP}.conv_output_shape" in recorded["values"]
    assert (dest / "data" / "synthetic" / "SHA256SUMS").is_file()
    for name in ("README.md", "pyproject.toml", "environment.yml", ".gitignore", "Makefile"):
        assert (dest / name).is_file()
    # Validate (run from the bundle's root by `make lab`) gives a training cell minutes
    assert "c.Execute.timeout = 900" in (dest / "nbgrader_config.py").read_text()
    assert built.files == sum(1 for p in dest.rglob("*") if p.is_file())
    # the search for solution code over the real bundle: nothing but the reviewed lines
    leaks, allowed = bundle.search_bundle(dest, secret)
    assert leaks == []
    assert len(allowed) == len(built.allowed)
    assert not [p for p in dest.parent.iterdir() if p.name != "student"]  # no staging left


def _fresh_venv(where: Path, bundle_dir: Path) -> Path:
    """A new virtual environment that sees the repository's installed packages (a .pth
    line: no .pth file inside it runs, so not the repository's editable course_utils)
    and has the bundle installed editable. Returns its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    python = where / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    ours = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    (Path(site) / "course_deps.pth").write_text("\n".join(ours) + "\n")
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"]
        + ["-e", str(bundle_dir)],
        check=True,
        cwd=where,
        capture_output=True,
    )
    return python


def _run_until_first_check(python: Path, notebook: Path, answer: str, jupyter: Path):
    """Run ``notebook`` in a kernel of ``python`` up to its first graded test cell, with
    the first exercise's cell replaced by ``answer``. Returns (cells run, error or None)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    spec = jupyter / "kernels" / "bundle"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "bundle",
                "language": "python",
                "env": {"COURSE_BUDGET": "quick", "TF_CPP_MIN_LOG_LEVEL": "3"},
            }
        )
    )
    nb = nbformat.read(notebook, as_version=4)
    graded = [i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade")]
    exercise = next(
        i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution")
    )
    nb.cells[exercise].source = answer
    nb.cells = nb.cells[: graded[0] + 1]
    # where it runs: what course_utils it sees, and that the reference is not there
    nb.cells.insert(
        0,
        nbformat.v4.new_code_cell(
            "import course_utils, importlib.util\n"
            "print('course_utils from', course_utils.__file__)\n"
            "print('reference:', importlib.util.find_spec('course_reference'))"
        ),
    )
    client = NotebookClient(
        nb,
        kernel_name="bundle",
        timeout=300,
        resources={"metadata": {"path": str(notebook.parent)}},
    )
    try:
        client.execute()
        return nb.cells, None
    except CellExecutionError as exc:
        return nb.cells, exc


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


@pytest.mark.slow
def test_bundle_works_on_its_own_in_a_fresh_environment(built, tmp_path, monkeypatch):
    start = time.perf_counter()
    python = _fresh_venv(tmp_path / "venv", built.dest)
    probe = subprocess.run(
        [
            python,
            "-c",
            "import course_utils\nprint(course_utils.__file__)\n"
            "try:\n    import course_reference\n    print('reference found')\n"
            "except ImportError:\n    print('no reference')\n",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert Path(probe[0]).is_relative_to(built.dest), probe
    assert probe[1:] == ["no", "reference"], probe

    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    notebook = built.dest / "notebooks" / CHEAP / f"{CHEAP}.ipynb"
    source = nbformat.read(REPO / "notebooks" / CHEAP / f"{CHEAP}.ipynb", as_version=4)
    solved = cell_by_grade_id(source, "conv_output_shape").source
    for marker in (SOLUTION_BEGIN, SOLUTION_END):
        solved = solved.replace(f"    {marker}\n", "")

    cells, error = _run_until_first_check(python, notebook, solved, tmp_path / "jupyter")
    assert error is None, error
    where = _stdout(cells[0])
    assert f"course_utils from {built.dest}" in where and "reference: None" in where
    assert "Exercise 1: all checks passed." in _stdout(cells[-1])

    # 'same' padding forgotten: the check says where, what and gives the hint
    wrong = solved.replace("p = (f - 1) // 2", "p = 0")
    assert wrong != solved
    cells, error = _run_until_first_check(python, notebook, wrong, tmp_path / "jupyter")
    assert error is not None and error.ename == "CheckFailure", error
    assert "Exercise 1 - conv_output_shape: conv_output_shape(" in error.evalue
    assert "Hint: n' = floor((n + 2p - f) / s) + 1" in error.evalue
    print(f"\nfresh environment and two runs: {time.perf_counter() - start:.1f} s")


def _files(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )


def test_the_recorded_values_are_only_those_public_checks_use():
    """A recorded value is in every student's copy and in every grading kernel's sandbox:
    only the keys the released test cells or course_utils' own checks name are there
    (the trusted checker's hidden checks are computed live, never recorded)."""
    import re

    texts = [p.read_text() for p in (REPO / "course_utils" / "checks").glob("*.py")]
    for name in find_assignments(REPO):
        nb = nbformat.read(REPO / "notebooks" / name / f"{name}.ipynb", as_version=4)
        texts += [c.source for c in nb.cells if c.cell_type == "code"]
    named = set()
    for text in texts:
        named |= set(re.findall(r"[\"']([a-z_]+\.[A-Za-z0-9_]+)[\"']", text))
        # check keys built from a prefix: expected(key + "_crops"), f"...augmentation_{i}"
        named |= {
            f"{base}_{suffix}"
            for base in re.findall(r"[\"']([a-z_]+\.[A-Za-z0-9_]+)_\{", text)
            for suffix in ("0", "1")
        }
    for path in sorted((REPO / "course_utils" / "recorded").glob("*.json")):
        for key in json.loads(path.read_text())["values"]:
            derived = key.endswith("_crops") and key[: -len("_crops")] in named
            assert key in named or derived, f"{path.name}: {key} is not a public check's"
