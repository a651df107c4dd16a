"""The grading kernel's sandbox (course_grader.sandbox): what the kernel can and cannot
reach, its limits, and what the grader says where a protection is missing."""

import os
import shutil
import socket
import tempfile

import nbformat
import pytest
from nbclient import NotebookClient
from traitlets.config import Config

from course_grader import sandbox
from course_grader.sandbox import Limits, probe, write_kernelspec
from helpers import REPO

LIMITS = Limits(memory_mb=3000, cpu_s=77, processes=99, file_mb=5, open_files=333)

PROBES = {
    "uid": "import os; print(os.getuid())",
    "limits": "import resource as r\nprint([r.getrlimit(getattr(r, n))[0] for n in "
    "('RLIMIT_AS', 'RLIMIT_CPU', 'RLIMIT_NPROC', 'RLIMIT_FSIZE', 'RLIMIT_NOFILE')])",
    "sources": f"import os; print(os.path.exists({str(REPO / 'notebooks')!r}))",
    "package": "import course_utils.checks; print('importable')",
    # the solutions and the grader (with its hidden checks) are not there to be found
    "solutions": (
        "import importlib\nfound = []\n"
        "for n in ('course_reference.inception', 'course_grader.course'):\n"
        "    try:\n        importlib.import_module(n)\n        found.append(n)\n"
        "    except ImportError:\n        pass\nprint(found)"
    ),
    "solution files": f"import os; print(os.path.exists({str(REPO / 'course_reference')!r}), "
    f"os.path.exists({str(REPO / 'course_grader' / 'autograde')!r}))",
    "network": "import socket\ntry:\n    socket.create_connection(('127.0.0.1', PORT), 2)\n"
    "    print('connected')\nexcept OSError as e:\n    print('refused', type(e).__name__)",
    "write": "open('made-here.txt', 'w').write('ok'); print(open('made-here.txt').read())",
    "big file": "try:\n    open('big.bin', 'wb').write(b'x' * 6 * 2**20)\nexcept OSError as e:\n"
    "    print(type(e).__name__)",
    "env": "import os; print(sorted(k for k in os.environ if 'SECRET' in k))",
}


def run_probes(tmp_path, iso, port, monkeypatch):
    workdir = tmp_path / "work"
    workdir.mkdir()
    ipc = tmp_path / "ipc"
    ipc.mkdir()
    env = {**os.environ, "COURSE_SECRET_TOKEN": "do-not-leak"}
    write_kernelspec(tmp_path / "jupyter", iso, LIMITS, workdir, ipc, env)
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(ipc))
    monkeypatch.setattr(tempfile, "tempdir", str(ipc))  # nbclient's connection file
    monkeypatch.setenv("COURSE_SECRET_TOKEN", "do-not-leak")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c.replace("PORT", str(port))) for c in PROBES.values()]
    config = Config()
    if iso.isolated:  # no network inside: the kernel is reached through Unix sockets
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = str(ipc / "kernel")
    client = NotebookClient(
        nb, kernel_name="python3", timeout=60, allow_errors=True, config=config
    )
    client.execute(cwd=str(workdir))
    return {
        name: "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout").strip()
        for name, cell in zip(PROBES, nb.cells, strict=True)
    }


@pytest.mark.slow
def test_a_sandboxed_kernel_sees_only_its_folder_and_no_network(tmp_path, monkeypatch):
    iso = probe()
    if not iso.isolated:
        if os.environ.get("COURSE_REQUIRE_SANDBOX"):
            pytest.fail(f"COURSE_REQUIRE_SANDBOX is set, but {iso.describe()}")
        pytest.skip(f"no sandbox here: {iso.describe()}")
    with socket.create_server(("127.0.0.1", 0)) as listener:
        out = run_probes(tmp_path, iso, listener.getsockname()[1], monkeypatch)
    if iso.as_root:
        assert out["uid"] != "0"
    assert out["limits"] == "[3145728000, 77, 99, 5242880, 333]"
    assert out["sources"] == "False"  # the repository's source notebooks are not there
    assert out["package"] == "importable"
    assert out["solutions"] == "[]"
    assert out["solution files"] == "False False"
    assert out["network"].startswith("refused")
    assert out["write"] == "ok"
    assert out["big file"] == "OSError"  # over RLIMIT_FSIZE (SIGXFSZ is ignored by Python)
    assert out["env"] == "[]"  # the grader's environment stays outside


def test_the_same_probes_without_a_sandbox_show_what_it_protects(tmp_path, monkeypatch):
    """The control: with isolation off, the kernel reaches the listener and the
    repository, and gets the grader's environment (what the sandbox takes away)."""
    iso = probe("off")
    with socket.create_server(("127.0.0.1", 0)) as listener:
        out = run_probes(tmp_path, iso, listener.getsockname()[1], monkeypatch)
    assert out["network"] == "connected"
    assert out["sources"] == "True"
    assert out["solutions"] == "['course_reference.inception', 'course_grader.course']"
    assert "COURSE_SECRET_TOKEN" in out["env"]


def test_without_bubblewrap_the_grader_says_what_is_missing(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    iso = probe()
    assert not iso.isolated
    text = iso.describe()
    assert "MISSING: files, network, processes: no bubblewrap" in text
    assert "apt-get install bubblewrap" in text
    with pytest.raises(RuntimeError, match="isolation required"):
        probe("require")


def test_limits_come_from_the_notebook_metadata(tmp_path):
    nb = nbformat.v4.new_notebook(metadata={"course": {"limits": {"cell_s": 10}}})
    nbformat.write(nb, tmp_path / "a.ipynb")
    assert sandbox.limits_for(tmp_path).cell_s == 10
    assert sandbox.limits_for(tmp_path).memory_mb == Limits().memory_mb
    nb.metadata["course"]["limits"] = {"cell_seconds": 10}
    nbformat.write(nb, tmp_path / "a.ipynb")
    with pytest.raises(ValueError, match="unknown limits"):
        sandbox.limits_for(tmp_path)
