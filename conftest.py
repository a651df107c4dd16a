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

from sybil import Sybil
from sybil.parsers.markdown import CodeBlockParser, SkipParser
from sybil.parsers.markdown.lexers import DirectiveInHTMLCommentLexer

REPO = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
TIMEOUT_S = 1200
COPIED_NOT = (".git", ".venv", "build", "__pycache__", ".pytest_cache", ".ruff_cache")


def _copy_of_the_repository(namespace: dict) -> None:
    """The working tree copied (its files as they are now: a fresh clone of them), with
    the environment of this one (``.venv`` linked, not rebuilt)."""
    root = Path(tempfile.mkdtemp(prefix="docs-"))
    shutil.copytree(REPO, root / "repo", ignore=shutil.ignore_patterns(*COPIED_NOT))
    (root / "repo" / ".venv").symlink_to(REPO / ".venv")
    namespace["root"] = root / "repo"


def _remove_the_copy(namespace: dict) -> None:
    shutil.rmtree(Path(namespace["root"]).parent, ignore_errors=True)


def _run(command: list[str], namespace: dict, what: str) -> None:
    env = {**os.environ, "COURSE_BUDGET": "quick", "TF_CPP_MIN_LOG_LEVEL": "3"}
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
    _run([str(BIN / "python"), str(script)], example.namespace,
         f"the python block at line {example.line}")  # fmt: skip


class CheckParser:
    """``<!-- check: <shell command> -->``: the command succeeds in the copy."""

    def __init__(self):
        self.lexer = DirectiveInHTMLCommentLexer(directive="check", arguments=".+")

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
