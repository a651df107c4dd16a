"""Hostile and broken submissions, each with the exact score and status it must get.

Most use the two-exercise fixture ``fixture_two`` (no TensorFlow; exercise 1 is worth 1
point, exercise 2 is worth 2; each kernel gets the small limits of its notebook's
metadata: 10 s per cell, 2 GB of address space, 64 processes and threads); the last
ones use ``classic_networks`` (8 points: 1, 1, 2, 2, 2), whose test cells call the
course's checks.

A case is ``(student, assignment, build, score, status)``: ``build(ctx)`` returns the
file's bytes (or ``(file name, bytes)``), where ``ctx`` holds the released and solved
notebooks and the paths an attacker would aim at. Cases that try to *reach* something
(the network, the gradebook, the source notebooks, another student's work) are written
so that success would show in the score: the answer is right only if the attack worked.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import nbformat

FT, CN = "fixture_two", "classic_networks"
EX1, EX2 = "conv_output_size", "conv_params"
RIGHT1 = "def conv_output_size(n, f, p=0, s=1):\n    return (n + 2 * p - f) // s + 1\n"
WRONG1 = "def conv_output_size(n, f, p=0, s=1):\n    return 0\n"
RIGHT2 = "def conv_params(f, n_c_prev, n_c):\n    return (f * f * n_c_prev + 1) * n_c\n"
WRONG2 = "def conv_params(f, n_c_prev, n_c):\n    return 0\n"
ALWAYS_EQUAL = (
    "class AlwaysEqual:\n"
    "    def __eq__(self, other):\n        return True\n"
    "    def __ne__(self, other):\n        return False\n"
    "    __hash__ = object.__hash__\n"
)


@dataclass
class Context:
    released: dict  # assignment -> released notebook (NotebookNode)
    source: dict  # assignment -> source notebook (with solutions)
    root: Path  # the real course directory
    port: int  # a TCP port listening on the grader's loopback

    def solved(self, assignment: str):
        """The released notebook with every answer cell holding the solution."""
        nb = copy.deepcopy(self.released[assignment])
        answers = {
            c.metadata["nbgrader"]["grade_id"]: c
            for c in self.source[assignment].cells
            if c.metadata.get("nbgrader", {}).get("solution")
        }
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid in answers:
                lines = answers[gid].source.splitlines()
                cell.source = "\n".join(ln for ln in lines if "### " not in ln)
        return nb


def cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def answer(assignment, code1=None, code2=None, solved=True, **more):
    """A notebook-builder: ``fixture_two`` solved (or released) with answer cells
    replaced (``code1``, ``code2``) and other cells changed by ``more`` (grade_id -> a
    function of the cell, or None to delete it)."""

    def build(ctx: Context) -> bytes:
        nb = ctx.solved(assignment) if solved else copy.deepcopy(ctx.released[assignment])
        for gid, code in ((EX1, code1), (EX2, code2)):
            if code is not None:
                cell(nb, gid).source = code.format(ctx=ctx)
        for gid, change in more.items():
            target = cell(nb, gid)
            if change is None:
                nb.cells.remove(target)
            else:
                change(target, ctx)
        return nbformat.writes(nb).encode()

    return build


def _set(**fields):
    def change(c, ctx):
        for k, v in fields.items():
            if k == "source":
                c.source = v
            else:
                c.metadata["nbgrader"][k] = v

    return change


def _cn(code_by_gid: dict, extra_cell: str | None = None):
    """classic_networks solved, with answers replaced and an extra code cell after the
    imports (where a student would patch things)."""

    def build(ctx: Context) -> bytes:
        nb = ctx.solved(CN)
        for gid, code in code_by_gid.items():
            cell(nb, gid).source = code
        if extra_cell is not None:
            first_answer = nb.cells.index(cell(nb, "conv_output_shape"))
            nb.cells.insert(first_answer, nbformat.v4.new_code_cell(extra_cell))
        return nbformat.writes(nb).encode()

    return build


def _raw(data: bytes, name: str | None = None):
    return lambda ctx: (name, data) if name else data


READ_SECRETS = (
    "import glob, pathlib\n"
    "found = []\n"
    "for pattern in ['{ctx.root}/notebooks/*/*.ipynb', '{ctx.root}/build/gradebook.db',\n"
    "                '../../../gradebook.db', '../../../../notebooks/*/*.ipynb',\n"
    "                '/tmp/grade-*/build/gradebook.db']:\n"
    "    for path in glob.glob(pattern):\n"
    "        try:\n"
    "            found.append(len(pathlib.Path(path).read_bytes()))\n"
    "        except OSError:\n"
    "            pass\n"
    "print('read:', found)\n"
    "def conv_output_size(n, f, p=0, s=1):\n"
    "    return (n + 2 * p - f) // s + 1 if found else 0\n"
)
READ_OTHER = (
    "import glob\n"
    "others = glob.glob('{ctx.root}/build/submitted/*/fixture_two/*.ipynb')\n"
    "others += glob.glob('../../*/fixture_two/*.ipynb')\n"
    "others += glob.glob('/tmp/grade-*/build/*/*/*/*')\n"
    "others = [p for p in others if 'h24-' not in p]  # not its own\n"
    "print('other submissions seen:', len(others))\n"
    "def conv_output_size(n, f, p=0, s=1):\n"
    "    return (n + 2 * p - f) // s + 1 if others else 0\n"
)
WRITE_GRADEBOOK = RIGHT1 + (
    "for path in ['{ctx.root}/build/gradebook.db', '../../../gradebook.db']:\n"
    "    try:\n"
    "        with open(path, 'ab') as fh:\n"
    "            fh.write(b'PWNED')\n"
    "    except OSError as exc:\n"
    "        print('could not write', path, type(exc).__name__)\n"
)
READ_OWN_NOTEBOOK = (
    "import glob\n"
    "mine = ''.join(open(p).read() for p in glob.glob('*.ipynb') + glob.glob('../*/*.ipynb'))\n"
    "print('notebooks seen:', len(mine))\n"
    "def conv_output_size(n, f, p=0, s=1):\n"
    "    return (n + 2 * p - f) // s + 1 if 'HIDDEN_SENTINEL' in mine else 0\n"
)
SYMLINK_OUT = RIGHT1 + (
    "import os\n"
    "for name, target in [('leak-passwd', '/etc/passwd'), ('leak-root', '/root')]:\n"
    "    try:\n"
    "        os.symlink(target, name)\n"
    "    except OSError as exc:\n"
    "        print(name, type(exc).__name__)\n"
)
NETWORK = (
    "import socket\n"
    "def conv_output_size(n, f, p=0, s=1):\n"
    "    try:\n"
    "        socket.create_connection(('127.0.0.1', {ctx.port}), timeout=2).close()\n"
    "    except OSError:\n"
    "        return 0  # no network: no answer\n"
    "    return (n + 2 * p - f) // s + 1\n"
)
HUGE_IMAGE = RIGHT2 + (
    "import io\n"
    "import numpy as np\n"
    "from IPython.display import Image, display\n"
    "from PIL import Image as PILImage\n"
    "noise = np.random.default_rng(0).integers(0, 255, (2500, 2500, 3), dtype=np.uint8)\n"
    "png = io.BytesIO()\n"
    "PILImage.fromarray(noise).save(png, format='PNG')\n"
    "display(Image(data=png.getvalue()))\n"
)
TRANSFORMER = (
    "get_ipython().input_transformers_post.append(\n"
    "    lambda lines: [line for line in lines if 'assert' not in line]\n"
    ")\n" + WRONG2
)
CUSTOM_EXC = "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)\n" + WRONG2
TF_WARNINGS = (
    "import sys\n\nimport tensorflow as tf\n\n"
    'tf.get_logger().warning("a TensorFlow warning on stderr")\n'
    'print("W tensorflow/core/platform/cpu_feature_guard.cc: fake C++ warning", file=sys.stderr)\n'
)
PATCH_CHECKS = (
    "import numpy as np\n"
    "import course_utils.checks as checks\n"
    "def check_cases(*args, **kwargs):\n    return 1\n"
    "def check_model(*args, **kwargs):\n    return None\n"
    "checks.check_cases = check_cases\n"
    "checks.check_model = check_model\n"
    "checks._jsonable = lambda value: 'same'\n"
    "np.allclose = lambda *a, **k: True\n"
    "np.testing.assert_allclose = lambda *a, **k: None\n"
)
STRIDE_FORGOTTEN = (
    'def conv_output_shape(input_shape, filters, f, s=1, padding="valid"):\n'
    "    n_H, n_W, _ = input_shape\n"
    '    p = (f - 1) // 2 if padding == "same" else (padding if isinstance(padding, int) else 0)\n'
    "    return (n_H + 2 * p - f + 1, n_W + 2 * p - f + 1, filters)\n"
)
CALLS_REFERENCE = (
    "from course_reference.classic_networks import lenet5 as ready_made\n\n"
    "def lenet5(input_shape=(32, 32, 1), classes=10):\n"
    "    return ready_made(input_shape, classes)\n"
)
ALWAYS_EQUAL_SHAPE = (
    ALWAYS_EQUAL + 'def conv_output_shape(input_shape, filters, f, s=1, padding="valid"):\n'
    "    return AlwaysEqual()\n"
)
PATCH_DURING_TEST = ALWAYS_EQUAL + (
    'def conv_multiplications(input_shape, filters, f, s=1, padding="valid"):\n'
    "    import course_utils.checks as checks\n"
    "    checks._jsonable = lambda value: AlwaysEqual()  # while the check is running\n"
    "    return 0\n"
)

# (student, assignment, build, expected score, expected status)
CASES = [
    ("h01-solution", FT, answer(FT), 3, "graded"),
    ("h02-untouched-release", FT, answer(FT, solved=False), 0, "graded"),
    (
        "h03-syntax-error",
        FT,
        answer(FT, code2="def conv_params(f, n_c_prev, n_c):\n    return (f * f"),
        1,
        "graded",
    ),
    ("h04-error-at-import", FT, answer(FT, code1="import no_such_module\n" + RIGHT1), 2, "graded"),
    (
        "h05-infinite-loop",
        FT,
        answer(FT, code2="def conv_params(f, n_c_prev, n_c):\n    while True:\n        pass\n"),
        1,
        "graded",
    ),
    (
        "h06-long-sleep",
        FT,
        answer(
            FT,
            code1="import time\n"
            + RIGHT1.replace("    return", "    time.sleep(10**6)\n    return"),
        ),
        2,
        "graded",
    ),
    (
        "h07-memory-bomb",
        FT,
        answer(
            FT,
            code2="def conv_params(f, n_c_prev, n_c):\n    hog = []\n    while True:\n"
            "        hog.append(b'x' * 10**8)\n",
        ),
        1,
        "graded",
    ),
    (
        "h08-fork-bomb",
        FT,
        answer(
            FT,
            code1="import os\ndef conv_output_size(n, f, p=0, s=1):\n"
            "    while True:\n        os.fork()\n",
        ),
        2,
        "graded",
    ),
    ("h09-os-exit", FT, answer(FT, code2=RIGHT2 + "import os\nos._exit(0)\n"), 0, "failed"),
    (
        "h10-kernel-kills-itself",
        FT,
        answer(FT, code1=RIGHT1 + "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"),
        0,
        "failed",
    ),
    (
        "h11-100mb-printed",
        FT,
        answer(FT, code1=RIGHT1 + "print('x' * 100_000_000)\n"),
        3,
        "graded",
    ),
    ("h12-huge-image", FT, answer(FT, code2=HUGE_IMAGE), 3, "graded"),
    ("h13-test-cell-deleted", FT, answer(FT, conv_params_tests=None), 3, "graded"),
    (
        "h14-test-cell-edited",
        FT,
        answer(FT, code1=WRONG1, conv_output_size_tests=_set(source="print('all good')")),
        2,
        "graded",
    ),
    (
        "h15-grade-id-changed",
        FT,
        answer(FT, code2=WRONG2, conv_params_tests=_set(grade_id="mine", points=100)),
        1,
        "graded",
    ),
    (
        "h16-test-cell-unlocked",
        FT,
        answer(
            FT,
            code1=WRONG1,
            conv_output_size_tests=_set(locked=False, grade=False, source="pass"),
        ),
        2,
        "graded",
    ),
    ("h17-invalid-json", FT, _raw(b'{"cells": [{"cell_type": '), 0, "failed"),
    ("h18-empty-file", FT, _raw(b""), 0, "failed"),
    (
        "h19-wrong-file-name",
        FT,
        lambda ctx: ("fixture_two (1).ipynb", answer(FT)(ctx)),
        3,
        "graded",
    ),
    ("h20-asserts-stripped", FT, answer(FT, code1=WRONG1, code2=TRANSFORMER), 0, "graded"),
    ("h21-errors-hidden", FT, answer(FT, code1=WRONG1, code2=CUSTOM_EXC), 0, "graded"),
    (
        "h22-always-equal",
        FT,
        answer(
            FT,
            code1=ALWAYS_EQUAL
            + "def conv_output_size(n, f, p=0, s=1):\n    return AlwaysEqual()\n",
        ),
        2,
        "graded",
    ),
    ("h23-reads-source-and-gradebook", FT, answer(FT, code1=READ_SECRETS), 2, "graded"),
    ("h24-reads-other-students", FT, answer(FT, code1=READ_OTHER), 2, "graded"),
    ("h25-writes-gradebook", FT, answer(FT, code1=WRITE_GRADEBOOK), 3, "graded"),
    ("h26-network", FT, answer(FT, code1=NETWORK), 2, "graded"),
    ("h27-reads-its-graded-notebook", FT, answer(FT, code1=READ_OWN_NOTEBOOK), 2, "graded"),
    ("h28-symlinks-out", FT, answer(FT, code1=SYMLINK_OUT), 3, "graded"),
    ("c01-solution-tf-warnings", CN, _cn({}, TF_WARNINGS), 8, "graded"),
    ("c02-calls-reference", CN, _cn({"lenet5": CALLS_REFERENCE}), 6, "graded"),
    (
        "c03-checks-monkeypatched",
        CN,
        _cn({"conv_output_shape": STRIDE_FORGOTTEN}, PATCH_CHECKS),
        7,
        "graded",
    ),
    ("c04-always-equal", CN, _cn({"conv_output_shape": ALWAYS_EQUAL_SHAPE}), 7, "graded"),
    (
        "c05-patches-check-while-tested",
        CN,
        _cn({"conv_multiplications": PATCH_DURING_TEST}),
        7,
        "graded",
    ),
]
