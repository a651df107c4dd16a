"""The notebook run in `make test` (nbval, --nbval-lax) really fails a broken notebook."""

import os
import subprocess
import sys

import nbformat
import pytest

pytestmark = pytest.mark.slow


def _nbval(path):
    env = {**os.environ, "COURSE_BUDGET": "quick"}
    cmd = [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-q"]
    cmd += ["-p", "no:cacheprovider", str(path)]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=path.parent)


def _copy(fixture_notebook_path, tmp_path, edit):
    nb = nbformat.read(fixture_notebook_path, as_version=4)
    edit(nb)
    path = tmp_path / "fixture.ipynb"
    nbformat.write(nb, path)
    return path


def test_fixture_passes(fixture_notebook_path, tmp_path):
    result = _nbval(_copy(fixture_notebook_path, tmp_path, lambda nb: None))
    assert result.returncode == 0, result.stdout


def test_changed_expected_output_fails(fixture_notebook_path, tmp_path):
    def edit(nb):
        cell = next(c for c in nb.cells if c.source.startswith("# NBVAL_CHECK_OUTPUT"))
        cell.outputs[0]["text"] = "[0 4]\n"

    result = _nbval(_copy(fixture_notebook_path, tmp_path, edit))
    assert result.returncode != 0 and "[0 4]" in result.stdout, result.stdout


def test_a_cell_that_raises_fails(fixture_notebook_path, tmp_path):
    def edit(nb):
        nb.cells.insert(2, nbformat.v4.new_code_cell("1 / 0"))

    result = _nbval(_copy(fixture_notebook_path, tmp_path, edit))
    assert result.returncode != 0 and "ZeroDivisionError" in result.stdout, result.stdout
