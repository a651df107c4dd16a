"""The documentation test: every shell command and Python snippet of README.md and
data/README.md runs, in its order, in a copy of this working tree (sybil collects them
as tests; ``tests/test_docs.py`` says so).

- a ```` ```bash ```` block runs as one script (``bash -e``), a ```` ```python ```` block
  with the environment's Python, both in the copy's root;
- ``<!-- check: <shell command> -->`` after a block checks a claim the text makes (a file
  it says the command writes is there);
- ``<!-- skip: next "why" -->`` skips the next block, saying why (``make test`` is CI
  itself; a server that would not stop).

Other fenced blocks (``text``, none) are not run: they show layouts and file formats.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sybil import Sybil
from sybil.parsers.markdown import CodeBlockParser, SkipParser
from sybil.parsers.markdown.lexers import DirectiveInHTMLCommentLexer

REPO = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
TIMEOUT_S = 1200
COPIED_NOT = (".git", ".venv", "build", "__pycache__", ".pytest_cache", ".ruff_cache")


def _copy_of_the_repository(namespace: dict) -> None:
    """The working tree copied (its files as they are now: a fresh clone of them), with a
    virtual environment of its own that sees the copy first and then this environment's
    installed packages (a ``.pth`` file: this one's own ``.pth`` lines, our editable
    install among them, are not read), and a ``course`` command that runs the copy's
    code - so nothing the commands install or change can touch this environment. Its
    ``make env`` stamp is set: the packages are there."""
    import sysconfig

    root = Path(tempfile.mkdtemp(prefix="docs-"))
    repo = root / "repo"
    shutil.copytree(REPO, repo, ignore=shutil.ignore_patterns(*COPIED_NOT))
    venv = repo / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    ours = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    (Path(site) / "course_environment.pth").write_text("\n".join([str(repo), *ours]) + "\n")
    for tool in sorted(BIN.iterdir()):  # course, jupyter, nbgrader, alembic, ruff...
        if not tool.name.startswith(("python", "activate", "Activate", "pip")):
            _tool_in(venv, tool.name)
    (venv / ".installed").touch()  # make env: installed
    namespace["root"] = repo
    namespace["ours_before"] = _our_environment()


def _tool_in(venv: Path, tool: str) -> None:
    """This environment's command ``tool`` in ``venv``: a console script runs with the
    copy's Python (so ``course``, ``jupyter`` and its kernels run the copy's code); a
    program (ruff) is linked."""
    ours = BIN / tool
    if not ours.is_file():
        return
    head = ours.read_bytes()[:2]
    mine = venv / "bin" / tool
    if head == b"#!":
        lines = ours.read_text().splitlines(keepends=True)
        mine.write_text(f"#!{venv / 'bin' / 'python'}\n" + "".join(lines[1:]))
        mine.chmod(0o755)
    else:
        mine.symlink_to(ours)


def _our_environment() -> dict[str, bytes]:
    """What a command run in the copy must never change here: this environment's
    Jupyter files (the kernel spec ``make env`` registers) and its ``.pth`` files."""
    prefix = Path(sys.prefix)
    files = [*(prefix / "share" / "jupyter" / "kernels").rglob("*.json")]
    files += [p for p in prefix.glob("lib/python*/site-packages/*.pth")]
    return {str(p): p.read_bytes() for p in sorted(files)}


def _remove_the_copy(namespace: dict) -> None:
    shutil.rmtree(Path(namespace["root"]).parent, ignore_errors=True)
    if _our_environment() != namespace["ours_before"]:
        raise AssertionError(
            f"a command of the documentation changed this environment ({sys.prefix}): "
            "its kernel spec or .pth files; run `make env` here again"
        )


def _run(command: list[str], namespace: dict, what: str) -> None:
    venv_bin = Path(namespace["root"]) / ".venv" / "bin"
    env = {**os.environ, "COURSE_BUDGET": "quick", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env["PATH"] = f"{venv_bin}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv_bin.parent)
    env.pop("PYTEST_CURRENT_TEST", None)
    done = subprocess.run(
        command, cwd=namespace["root"], env=env, capture_output=True, text=True,
        timeout=TIMEOUT_S, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    if done.returncode != 0:
        raise AssertionError(
            f"{what} failed (exit {done.returncode}) in {namespace['root']}:\n"
            f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )


def _bash(example) -> None:
    script = Path(example.namespace["root"]) / ".docs-block.sh"
    script.write_text(example.parsed)
    _run(["bash", "-e", "-o", "pipefail", str(script)], example.namespace,
         f"the bash block at line {example.line}")  # fmt: skip


def _python(example) -> None:
    script = Path(example.namespace["root"]) / ".docs-block.py"
    script.write_text(example.parsed)
    python = Path(example.namespace["root"]) / ".venv" / "bin" / "python"
    _run([str(python), str(script)], example.namespace,
         f"the python block at line {example.line}")  # fmt: skip


class CheckParser:
    """``<!-- check: <shell command> -->``: the command succeeds in the copy."""

    def __init__(self):
        self.lexer = DirectiveInHTMLCommentLexer(directive="check", arguments=r"[^\n]+?")

    def __call__(self, document):
        from sybil import Region

        for lexed in self.lexer(document):
            yield Region(lexed.start, lexed.end, lexed.lexemes["arguments"], self.evaluate)

    @staticmethod
    def evaluate(example) -> None:
        _run(["bash", "-c", example.parsed], example.namespace,
             f"the check at line {example.line} ({example.parsed})")  # fmt: skip


pytest_collect_file = Sybil(
    parsers=[
        CodeBlockParser(language="bash", evaluator=_bash),
        CodeBlockParser(language="python", evaluator=_python),
        CheckParser(),
        SkipParser(),
    ],
    patterns=["README.md"],
    setup=_copy_of_the_repository,
    teardown=_remove_the_copy,
).pytest()


# the groups that take longest (seconds on 2 cores, one worker each): they are handed
# out first, so that a worker is not left running a long one alone at the end; the rest
# (units, nbval of a notebook) fill the gaps
LONGEST = {
    "tests/test_browser.py": 330,
    "graded-benchmark_tricks": 220,
    "graded-residual_networks": 200,
    "README.md": 200,
    "tests/test_batch.py": 190,
    "graded-keras_tutorial": 170,
    "tests/test_hostile.py": 160,
    "tests/test_hub.py": 130,
    "tests/test_variants.py": 120,
    "graded-inception": 110,
    "tests/test_exchange.py": 100,
    "tests/test_grade_demo.py": 100,
    "graded-classic_networks": 70,
}
# the tests that read an assignment's grading (the session fixture graded_catalog): the
# round trip and the catalog of one assignment run in one process, so it is graded once
GRADED = (
    "tests/test_assignments.py::test_assignment_round_trip[",
    "tests/test_catalog.py::test_catalog_loses_exactly_the_right_points[",
)


def group_of(nodeid: str) -> str:
    """The tests that must run in one process when ``make test`` runs them on
    pytest-xdist's workers: a file's (an nbval notebook's cells, the README's commands in
    their copy of the repository, a module's fixtures), except that an assignment's round
    trip and catalog share one grading (``graded-<assignment>``)."""
    for prefix in GRADED:
        if nodeid.startswith(prefix):
            return "graded-" + nodeid[len(prefix) :].split("]", 1)[0]
    return nodeid.split("::", 1)[0]


def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist hands out whole groups (:func:`group_of`), in collection order."""
    from xdist.scheduler import LoadScopeScheduling

    class InGroups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    return InGroups(config, log)


def pytest_collection_modifyitems(items) -> None:
    """Executing a notebook (nbval) and running the README's commands take minutes: both
    are ``slow``, so that ``-m 'not slow'`` runs the unit tests alone. The tests are
    ordered by group (:func:`group_of`), the longest groups first."""
    groups: dict[str, list] = {}
    for item in items:
        path = Path(str(item.fspath))
        if path.suffix == ".ipynb" or path.suffix == ".md":
            item.add_marker(pytest.mark.slow)
        group = group_of(item.nodeid)
        if "graded_catalog" in getattr(item, "fixturenames", ()) and group[:7] != "graded-":
            raise pytest.UsageError(
                f"{item.nodeid} reads graded_catalog: add it to conftest.GRADED, or it is "
                "graded again by another worker"
            )
        groups.setdefault(group, []).append(item)
    order = sorted(groups, key=lambda g: -LONGEST.get(g, 0))  # stable: the rest as found
    items[:] = [item for group in order for item in groups[group]]
