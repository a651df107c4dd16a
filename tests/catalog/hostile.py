"""Hostile and broken submissions, each with the exact score and status it must get.

Most use the two-exercise fixture ``fixture_two`` (no TensorFlow; exercise 1 is worth 1
point, exercise 2 is worth 2; each kernel gets the small limits of its notebook's
metadata: 10 s per cell, 2 GB of address space, 3 GB for all its processes, 64
processes and threads; its trusted checks are ``tests/fixtures/checkers/fixture_two.py``);
the ``c`` cases use ``classic_networks`` (8 points: 1, 1, 2, 2, 2).

Every grade is decided by the trusted checker, outside the kernel, from what the kernel
answers; so the ``n`` cases (kinds 1-8 of the attacks on the kernel-decided grader,
one or more each) patch, trace, lie and read as they like, and earn exactly what their
answers are worth.

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


# --------------------------------------------------------------------------- the n cases
def _literal(code: str) -> str:
    """``code`` for :func:`answer`, which formats it with ``ctx``: its braces doubled."""
    return code.replace("{", "{{").replace("}", "}}")


# 1. changing what a test uses, where no guard looks
PATCH_OPERATOR = (
    ALWAYS_EQUAL
    + (
        "import operator\n"
        "operator.index = lambda value: AlwaysEqual()  # the test cell's int check, gone\n"
    )
    + WRONG1
)
REBIND_TEST_GLOBALS = (
    "def conv_output_size(n, f, p=0, s=1):\n"
    "    # while the test calls it: the test cell's own names, rebound\n"
    "    globals()['operator'] = type('op', (), {'index': staticmethod(lambda v: 32)})\n"
    "    return 0\n"
)
SETTRACE = (
    "import ctypes, sys\n"
    "def tracer(frame, event, arg):\n"
    "    for name in ('found', 'got', 'result', 'answer'):\n"
    "        if name in frame.f_locals and event == 'line':\n"
    "            frame.f_locals[name] = 32\n"
    "            ctypes.pythonapi.PyFrame_LocalsToFast(ctypes.py_object(frame), ctypes.c_int(0))\n"
    "    return tracer\n"
    "sys.settrace(tracer)\n"
) + WRONG1
SETPROFILE_IMPORT = (
    "import builtins, sys\n"
    "real_import = builtins.__import__\n"
    "fake = type('op', (), {'index': staticmethod(lambda v: 32)})\n"
    "def sneaky(name, *args, **kwargs):\n"
    "    return fake if name == 'operator' else real_import(name, *args, **kwargs)\n"
    "def profiler(frame, event, arg):  # patches the import machinery between hooks\n"
    "    builtins.__import__ = sneaky\n"
    "sys.setprofile(profiler)\n"
) + WRONG1
FAKE_ORACLE = (
    "import json, pathlib\n"
    "import course_utils.oracle as oracle\n"
    "def fake_answer(folder, namespace=None):  # every question: the public answer\n"
    "    folder = pathlib.Path(folder)\n"
    "    questions = json.loads((folder / 'request.json').read_text())['questions']\n"
    "    answers = {q['id']: {'ok': True, 'value': 32} for q in questions}\n"
    "    (folder / 'answers.json').write_text(json.dumps(answers))\n"
    "oracle.answer = fake_answer\n"
) + RIGHT1
# 2. reading the answer instead of computing it
HARD_CODED = "def conv_output_size(n, f, p=0, s=1):\n    return 32  # the public case's answer\n"
# 3. lying to nbgrader
LYING_SESSION = (
    "from ipykernel.kernelapp import IPKernelApp\n"
    "session = IPKernelApp.instance().kernel.session\n"
    "real_send = session.send\n"
    "def send(stream, kind, content=None, *args, **kwargs):\n"
    "    if kind == 'error':\n"
    "        return None  # no error ever reaches nbgrader\n"
    "    if isinstance(content, dict) and content.get('status') == 'error':\n"
    "        content = {'status': 'ok', 'execution_count': content.get('execution_count'),\n"
    "                   'user_expressions': {}, 'payload': []}\n"
    "    return real_send(stream, kind, content, *args, **kwargs)\n"
    "session.send = send\n"
) + WRONG2
PARTIAL_CREDIT = (
    "ip = get_ipython()\n"
    "# a number shown as a test cell's result is read by nbgrader as partial credit\n"
    "ip.events.register('post_run_cell', lambda result: ip.displayhook(1000))\n"
) + WRONG2
TRAVERSAL_ANSWERS = (
    "import json, os, pathlib\n"
    "import course_utils.oracle as oracle\n"
    "def fake_answer(folder, namespace=None):\n"
    "    folder = pathlib.Path(folder)\n"
    "    questions = json.loads((folder / 'request.json').read_text())['questions']\n"
    "    os.symlink('/etc/passwd', folder / 'answers.json')  # a link, not an answer\n"
    "    (folder / 'x.json').write_text(json.dumps(\n"
    "        {q['id']: {'ok': True, 'value': 3, 'config': '../../../../etc/passwd',\n"
    "                   'array': '../../build/gradebook.db'} for q in questions}))\n"
    "oracle.answer = fake_answer\n"
) + RIGHT1
# 4. leaks: what a kernel can print about its grader - nothing worth having
LOOK_FOR_SECRETS = (
    "import base64, glob, importlib, sys, zlib\n"
    "found = []\n"
    "for name in ('course_reference.classic_networks', 'course_grader.checker.exercises'):\n"
    "    try:\n"
    "        importlib.import_module(name)\n"
    "        found.append(name)\n"
    "    except ImportError:\n"
    "        pass\n"
    "for pattern in ('{ctx.root}/../../**/course_reference/*.py', '/tmp/**/checkers/*.py',\n"
    "                '{ctx.root}/checkers/*.py', '/work/**/course_grader/checker/*.py'):\n"
    "    found += glob.glob(pattern, recursive=True)[:5]\n"
    "print('history:', base64.b64encode(zlib.compress(repr(In).encode())).decode()[:200])\n"
    "print('found:', found)\n"
    "def conv_output_size(n, f, p=0, s=1):\n"
    "    return (n + 2 * p - f) // s + 1 if found else 0\n"
)
# 5. the instructor's browser
SCRIPT_IN_OUTPUT = RIGHT1 + (
    "from IPython.display import HTML, Javascript, display\n"
    "display(HTML(\"<b>hi</b><script>fetch('/api/contents/PWNED-by-script.txt', \"\n"
    "             \"{method: 'PUT', body: JSON.stringify({type: 'file', format: 'text', \"\n"
    "             \"content: 'x'})})</script><img src=x onerror=\\\"alert('pwned')\\\">\"))\n"
    "display(Javascript(\"document.title = 'PWNED'\"))\n"
)
# 6. the instructor's terminal
CONTROL_CHARACTERS = (
    "def conv_output_size(n, f, p=0, s=1):\n"
    "    raise ValueError('\\x1b[2K\\r\\x1b[1A\\x1b[2K0 file(s) rejected\\x1b]0;pwned\\x07'\n"
    "                     '\\x1b]8;;http://evil.example\\x1b\\\\click\\x1b]8;;\\x1b\\\\')\n"
)
# 7. resources outside the limits
FILL_SHM = RIGHT1 + (
    "written = 0\n"
    "try:\n"
    "    with open('/dev/shm/fill', 'wb') as fh:\n"
    "        for _ in range(3000):\n"
    "            fh.write(b'x' * 2**20)\n"
    "            written += 2**20\n"
    "except OSError as exc:\n"
    "    print('stopped:', type(exc).__name__)\n"
    "print('written to /dev/shm:', written // 2**20, 'MB')\n"
)
FILL_TMP = RIGHT1 + (
    "import os\n"
    "made = written = 0\n"
    "try:\n"
    "    for i in range(30_000):\n"
    "        with open(f'/tmp/f{i}', 'wb') as fh:\n"
    "            fh.write(b'x' * 100_000)\n"
    "        made, written = made + 1, written + 100_000\n"
    "except OSError as exc:\n"
    "    print('stopped:', type(exc).__name__)\n"
    "print('files in /tmp:', made, 'MB:', written // 2**20)\n"
)
MEMORY_ACROSS_PROCESSES = RIGHT1 + (
    "import os, time\n"
    "children = []\n"
    "for _ in range(3):  # each under its own address-space limit, together over the total\n"
    "    pid = os.fork()\n"
    "    if pid == 0:\n"
    "        hog = bytearray(1500 * 2**20)\n"
    "        time.sleep(3)\n"
    "        os._exit(0)\n"
    "    children.append(pid)\n"
    "for pid in children:\n"
    "    print(pid, os.waitpid(pid, 0)[1])\n"
)


def _add_cell_claiming_points(nb):
    extra = nbformat.v4.new_code_cell("x = 1")
    extra.metadata["nbgrader"] = {
        "grade": True,
        "points": 50,
        "locked": False,
        "solution": False,
        "schema_version": 3,
    }
    nb.cells.insert(1, extra)


def _add_cell_with_a_test_id(nb):
    test = cell(nb, "conv_params_tests")
    extra = nbformat.v4.new_code_cell("print('I am at the top')")
    extra["id"] = test["id"]
    nb.cells.insert(0, extra)


def structure(change):
    """fixture_two solved, then ``change(nb)``."""

    def build(ctx: Context) -> bytes:
        nb = ctx.solved(FT)
        change(nb)
        return nbformat.writes(nb).encode()

    return build


def _markdown_script(nb):
    nb.cells.insert(
        1,
        nbformat.v4.new_markdown_cell(
            "<script>document.title = 'PWNED by markdown'</script>"
            "<img src=x onerror=\"fetch('/api/contents/PWNED-by-markdown.txt', {method: 'PUT'})\">"
        ),
    )


# classic_networks
RECORDED_LOOKUP = (
    "import json, pathlib\n"
    "import course_utils\n"
    "_REC = json.loads((pathlib.Path(course_utils.__file__).parent / 'recorded' /\n"
    "                   'classic_networks.json').read_text())['values']\n"
    "def conv_output_shape(input_shape, filters, f, s=1, padding='valid'):\n"
    "    for case in _REC['classic_networks.conv_output_shape']:  # the public cases, copied\n"
    "        if case['args'] == [list(input_shape), filters, f] and case['kwargs'] in (\n"
    "                {}, {'s': s}, {'padding': padding}, {'s': s, 'padding': padding}):\n"
    "            return tuple(case['result'])\n"
    "    return (0, 0, filters)\n"
)
FRAME_READING = (
    "import inspect\n"
    "def conv_output_shape(input_shape, filters, f, s=1, padding='valid'):\n"
    "    frame = inspect.currentframe().f_back\n"
    "    while frame is not None:  # the checker's expected value, from the caller's frame?\n"
    "        case = frame.f_locals.get('case')\n"
    "        if isinstance(case, dict) and 'result' in case:\n"
    "            return tuple(case['result'])\n"
    "        frame = frame.f_back\n"
    "    return (0, 0, filters)\n"
)
MEMORISED = (
    "_KNOWN = {((32, 32, 1), 6, 5): 117600, ((28, 28, 192), 32, 5): 120422400}\n"
    "def conv_multiplications(input_shape, filters, f, s=1, padding='valid'):\n"
    "    return _KNOWN.get((tuple(input_shape), filters, f), 0)\n"
)
APPLICATIONS = (
    "def vgg16(input_shape=(224, 224, 3), classes=1000):\n"
    "    return keras.applications.VGG16(weights=None, input_shape=input_shape, classes=classes)\n"
)
FIXED_LENET = (
    "def lenet5(input_shape=(32, 32, 1), classes=10):\n"
    "    X_input = keras.Input((32, 32, 1))  # ignores input_shape and classes\n"
    "    X = layers.Conv2D(6, (5, 5), activation='tanh', name='C1')(X_input)\n"
    "    X = layers.AveragePooling2D((2, 2), strides=(2, 2), name='S2')(X)\n"
    "    X = layers.Conv2D(16, (5, 5), activation='tanh', name='C3')(X)\n"
    "    X = layers.AveragePooling2D((2, 2), strides=(2, 2), name='S4')(X)\n"
    "    X = layers.Flatten()(X)\n"
    "    X = layers.Dense(120, activation='tanh', name='C5')(X)\n"
    "    X = layers.Dense(84, activation='tanh', name='F6')(X)\n"
    "    X = layers.Dense(10, activation='softmax', name='output')(X)\n"
    "    return keras.Model(X_input, X, name='LeNet5')\n"
)
LAMBDA_LENET = (
    FIXED_LENET.replace(
        "    X = layers.Flatten()(X)\n",
        "    X = layers.Lambda(lambda t: keras.ops.reshape(t, (-1, 400)))(X)  # code in a layer\n",
    )
    .replace(
        "X_input = keras.Input((32, 32, 1))  # ignores input_shape and classes",
        "X_input = keras.Input(input_shape)",
    )
    .replace("Dense(10,", "Dense(classes,")
)
PATCH_EVERYTHING = (
    "# one added cell: every check and every comparison it could use, told to say yes\n"
    "import operator, numpy as np\n"
    "import course_utils.checks as checks\n"
    "for name in [n for n in dir(checks) if n.startswith('check_')]:\n"
    "    setattr(checks, name, lambda *a, **k: 1)\n"
    "np.allclose = lambda *a, **k: True\n"
    "np.testing.assert_allclose = lambda *a, **k: None\n"
    "operator.index = lambda value: value\n"
)


def _untouched_plus(extra_cell: str):
    def build(ctx: Context) -> bytes:
        nb = copy.deepcopy(ctx.released[CN])
        nb.cells.insert(2, nbformat.v4.new_code_cell(extra_cell))
        return nbformat.writes(nb).encode()

    return build


# the exercises each combined case must fail (the others pass), by the checker's verdicts
FAILING = {
    "c02-read-not-computed": {
        "conv_output_shape_tests",
        "conv_multiplications_tests",
        "lenet5_tests",
        "vgg16_tests",
    },
    "c03-checks-patched": {
        "conv_output_shape_tests",
        "conv_multiplications_tests",
        "lenet5_tests",
    },
    "c04-objects-and-code": {"conv_output_shape_tests", "lenet5_tests"},
    "c05-expected-read-from-frames": {"conv_output_shape_tests"},
    "c06-untouched-plus-one-cell": {
        "conv_output_shape_tests",
        "conv_multiplications_tests",
        "lenet5_tests",
        "alexnet_tests",
        "vgg16_tests",
    },
}

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
    # classic_networks: one submission holds several attacks, each on its own exercise
    (
        "c02-read-not-computed",
        CN,
        _cn(
            {
                "conv_output_shape": RECORDED_LOOKUP,  # the recorded public cases, copied
                "conv_multiplications": MEMORISED,  # a table of public answers
                "lenet5": CALLS_REFERENCE,  # the solutions are not in the sandbox
                "vgg16": APPLICATIONS,  # keras.applications builds it
            }
        ),
        2,
        "graded",
    ),
    (
        "c03-checks-patched",
        CN,
        _cn(
            {
                "conv_output_shape": STRIDE_FORGOTTEN,
                "conv_multiplications": PATCH_DURING_TEST,
                "lenet5": FIXED_LENET,  # ignores input_shape and classes
            },
            PATCH_CHECKS,
        ),
        4,
        "graded",
    ),
    (
        "c04-objects-and-code",
        CN,
        _cn({"conv_output_shape": ALWAYS_EQUAL_SHAPE, "lenet5": LAMBDA_LENET}),
        5,
        "graded",
    ),
    ("c05-expected-read-from-frames", CN, _cn({"conv_output_shape": FRAME_READING}), 7, "graded"),
    ("c06-untouched-plus-one-cell", CN, _untouched_plus(PATCH_EVERYTHING), 0, "graded"),
    # 1. changing what a test uses
    ("n01-operator-index-patched", FT, answer(FT, code1=PATCH_OPERATOR), 2, "graded"),
    ("n02-test-globals-rebound", FT, answer(FT, code1=_literal(REBIND_TEST_GLOBALS)), 2, "graded"),
    # a tracer or profiler that rewrites frames and imports wrecks the kernel itself: it
    # answers nothing more (its cells time out), so nothing after it earns a point
    ("n03-settrace-writes-frames", FT, answer(FT, code1=SETTRACE), 0, "graded"),
    (
        "n04-setprofile-patches-import",
        FT,
        answer(FT, code1=_literal(SETPROFILE_IMPORT)),
        0,
        "graded",
    ),
    ("n05-oracle-replaced", FT, answer(FT, code1=_literal(FAKE_ORACLE)), 0, "graded"),
    # 2. reading the answer instead of computing it
    ("n06-public-answer-hard-coded", FT, answer(FT, code1=HARD_CODED), 2, "graded"),
    # 3. lying to nbgrader
    (
        "n07-session-send-lies",
        FT,
        answer(FT, code1=WRONG1, code2=_literal(LYING_SESSION)),
        0,
        "graded",
    ),
    ("n08-partial-credit-shown", FT, answer(FT, code1=WRONG1, code2=PARTIAL_CREDIT), 0, "graded"),
    ("n09-answers-out-of-reach", FT, answer(FT, code1=_literal(TRAVERSAL_ANSWERS)), 0, "graded"),
    # 4. leaks through feedback
    ("n10-looks-for-secrets", FT, answer(FT, code1=LOOK_FOR_SECRETS), 2, "graded"),
    # 5. the instructor's browser
    ("n11-script-in-output", FT, answer(FT, code1=_literal(SCRIPT_IN_OUTPUT)), 3, "graded"),
    ("n12-script-in-markdown", FT, structure(_markdown_script), 3, "graded"),
    # 6. the instructor's terminal
    ("n13-control-characters", FT, answer(FT, code1=CONTROL_CHARACTERS), 2, "graded"),
    # 7. resources outside the limits
    ("n14-fills-dev-shm", FT, answer(FT, code1=FILL_SHM), 3, "graded"),
    ("n15-fills-tmp", FT, answer(FT, code1=_literal(FILL_TMP)), 3, "graded"),
    ("n16-memory-across-processes", FT, answer(FT, code1=MEMORY_ACROSS_PROCESSES), 3, "graded"),
    # 8. structure
    ("n17-points-without-grade-id", FT, structure(_add_cell_claiming_points), 3, "graded"),
    ("n18-test-id-on-a-top-cell", FT, structure(_add_cell_with_a_test_id), 3, "graded"),
]
