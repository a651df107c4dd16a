"""The set-up `make` promises: lint-clean code, the kernel, the nbgrader extensions,
JupyterLab serving the student view, and a README whose commands exist."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from helpers import REPO

BIN = Path(sys.executable).parent


def _run(*cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, **kw)


def test_ruff_lint_clean():
    result = _run(str(BIN / "ruff"), "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_clean():
    result = _run(str(BIN / "ruff"), "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_import_contract_holds():
    """Imports run one way - course_grader over course_reference over course_utils - and
    no package has a circle inside (pyproject.toml's [tool.importlinter])."""
    result = _run(str(BIN / "lint-imports"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_import_contract_refuses_the_solutions_in_the_students_package(tmp_path):
    """A module of course_utils that imports course_reference breaks the contract."""
    import shutil

    for package in ("course_utils", "course_reference", "course_grader"):
        shutil.copytree(
            REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    (tmp_path / "course_utils" / "leak.py").write_text("from course_reference import inception\n")
    result = subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert result.returncode != 0
    assert "course_utils.leak -> course_reference" in result.stdout, result.stdout


def test_nbgrader_lab_extension_enabled():
    result = _run(str(BIN / "jupyter"), "labextension", "list")
    line = next(
        (ln for ln in (result.stdout + result.stderr).splitlines() if "nbgrader" in ln), ""
    )
    assert "enabled" in line and "OK" in line, result.stdout + result.stderr


def test_course_kernel_is_this_environment():
    specs = json.loads(_run(str(BIN / "jupyter"), "kernelspec", "list", "--json").stdout)
    spec = specs["kernelspecs"]["python3"]
    assert Path(spec["resource_dir"]).is_relative_to(sys.prefix), (
        "the python3 kernel is not the one `make` registers in .venv; run `make env`"
    )
    assert spec["spec"]["env"].get("TF_CPP_MIN_LOG_LEVEL") == "2"


def _make_targets():
    text = (REPO / "Makefile").read_text()
    return set(re.findall(r"^([a-z][\w-]*):", text, flags=re.M))


def test_every_make_command_in_readme_exists():
    readme = (REPO / "README.md").read_text()
    used = set(re.findall(r"\bmake ([a-z][\w-]*)", readme))
    assert {"lab", "test"} <= used
    assert not used - _make_targets(), f"README mentions missing targets: {used - _make_targets()}"


def test_every_course_command_in_readme_exists():
    from course_grader.cli import main

    readme = (REPO / "README.md").read_text()
    for sub in sorted(set(re.findall(r"(?:`|bin/)course ([a-z][\w-]*)", readme))):
        with pytest.raises(SystemExit) as exit_info:
            main([sub, "--help"])
        assert exit_info.value.code == 0, sub


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_make_lab_serves_the_student_view(tmp_path):
    port = _free_port()
    args = "--no-browser --ServerApp.token= --ServerApp.password= --ServerApp.ip=127.0.0.1"
    # the server's log goes to a file: an undrained pipe fills up and blocks the server
    log = (tmp_path / "lab.log").open("w+")
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"PORT={port}", f"LAB_ARGS={args}"],
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline, page = time.time() + 120, None
        while time.time() < deadline and page is None:
            time.sleep(1)
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/lab", timeout=5).read()
            except OSError:
                assert proc.poll() is None, (tmp_path / "lab.log").read_text()
        assert page and b"JupyterLab" in page
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents", timeout=5) as r:
            listing = {item["name"] for item in json.load(r)["content"]}
        released = {p.name for p in (REPO / "build" / "release").iterdir() if p.is_dir()}
        assert released <= listing, "the lab does not show every released assignment"
        assert not any(name.endswith(".ipynb") and "source" in name for name in listing)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()
