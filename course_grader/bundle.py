"""The student bundle: a self-contained repository an instructor can publish.

``make_bundle(root, dest)`` (``course release --bundle DIR``) builds, in ``dest``, a copy::

    notebooks/<a>/<a>.ipynb      the released notebooks (nbgrader's student version)
    course_utils/                the student's package as it is in the repository,
                                 byte for byte (its recorded/ holds only public values)
    data/                        the shipped data (the files git tracks under data/)
    README.md, Makefile, ...     the files of course_grader/templates/bundle/
    pyproject.toml, environment.yml   the repository's, less what only instructors need

``course_reference`` (the solutions) and ``course_grader`` (this grader, with the hidden
checks) are never in it: they are other packages, and nothing is copied from them.

The bundle is built in a staging folder next to ``dest`` and moved into place only once
it is complete and clean:

- :func:`find_solution_lines` searches every text file of the bundle for the
  significant lines of the source notebooks' solution and hidden-test blocks and of the
  bodies of the functions in ``course_reference/*.py``: an exact match refuses the
  bundle (:class:`~course_grader.release.LeakError`, naming file and line);
- :func:`find_solution_expressions` looks for the reference's larger expressions
  (compared as parsed code, so spacing and names of keywords do not hide them) inside
  the bundle's code; what it finds refuses the bundle too (``strict``) or is reported;
- every module of the bundle's ``course_utils`` is imported in a fresh interpreter that
  sees the bundle but not the repository (``course_reference`` and ``course_grader``
  must fail to import there), and every check key the released notebooks name must have
  a recorded value.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .course import GradingError, find_assignments
from .markers import (
    HIDDEN,
    MARKERS,
    SOLUTION,
    marked_lines,
    scan,
    significant,
    unmarked_lines,
    without_comment,
)
from .release import LeakError, release

PACKAGE = "course_utils"
OTHER_PACKAGES = ("course_reference", "course_grader")
TEMPLATES = Path(__file__).resolve().parent / "templates" / "bundle"
IGNORED = ("__pycache__", ".ipynb_checkpoints", ".DS_Store", "*.pyc")
MIN_EXPRESSION = 24  # characters of unparsed code: shorter expressions are too common


@dataclass
class BundleReport:
    """What :func:`make_bundle` built."""

    dest: Path
    assignments: list[str]
    files: int
    bytes: int
    seconds: float
    skipped: list[str] = field(default_factory=list)  # left out on purpose, with why
    near: list[str] = field(default_factory=list)  # reference expressions found in code
    allowed: list[str] = field(default_factory=list)  # reviewed matches (ALLOWED), why

    def __str__(self) -> str:
        lines = [
            f"bundle {self.dest}: {', '.join(self.assignments)}; {self.files} files, "
            f"{self.bytes / 1e6:.1f} MB, built in {self.seconds:.0f} s"
        ]
        lines += [f"  left out: {s}" for s in self.skipped]
        lines += [f"  allowed: {a}" for a in self.allowed]
        lines += [f"  note (not refused): {n}" for n in self.near]
        return "\n".join(lines)


def _code_of_cell(source: str) -> str:
    """A code cell's Python: IPython magics and shell lines blanked (line numbers kept)."""
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
    )


def _public_code(source: str) -> str:
    """A source cell's Python as students see it: solution and hidden-test blocks
    blanked (line numbers kept), magics too."""
    public = ("" if marked else line for line, marked in scan(source))
    return _code_of_cell("\n".join(public))


# --------------------------------------------------------------------------- leak search
def _body_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, stripped line) of the bodies of every function in ``path``,
    docstrings left out."""
    text = path.read_text()
    lines = text.splitlines()
    found = []
    for node in ast.walk(ast.parse(text, filename=str(path))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        body = node.body
        if (
            body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            body = body[1:]
        if not body:
            continue
        for number in range(body[0].lineno, node.end_lineno + 1):
            found.append((number, lines[number - 1].strip()))
    return found


def _reference_modules(root: Path) -> list[Path]:
    """The reference modules holding solutions: ``course_reference/__init__.py`` and
    ``record.py`` are left out, their functions are the check harness (``BUILDERS``, the
    probe calls the checks make on the student's function too), no exercise's answer."""
    return sorted(
        p
        for p in (root / "course_reference").glob("*.py")
        if p.name not in ("__init__.py", "record.py")
    )


def _code_in_text(markdown: str) -> set[str]:
    """Code a notebook's text shows: inline code spans and fenced lines, stripped."""
    found = {span.strip() for span in re.findall(r"`([^`\n]+)`", markdown)}
    fenced = re.findall(r"^```[^\n]*\n(.*?)^```", markdown, flags=re.M | re.S)
    found |= {line.strip() for block in fenced for line in block.splitlines()}
    return found


def find_solution_lines(root: str | Path, assignments: list[str] | None = None) -> dict:
    """{line: what it is} of the code a student bundle must not contain.

    (a) the significant lines of the solution and hidden-test blocks of every source
    notebook, (b) the significant lines of the bodies of the functions in the
    reference modules (:func:`_reference_modules`; docstrings aside; a line with a
    trailing comment is also tried without it, and is significant only without it).
    A line is not secret when one of the source notebooks of ``assignments`` (default:
    all) shows it to students: unmarked in a code cell (an exercise's given
    scaffolding, such as ``X_input = keras.Input(input_shape)``) or as code in its
    text (keras_tutorial gives ``model.compile(optimizer="adam", ...)`` verbatim).
    """
    root = Path(root).resolve()
    every = find_assignments(root)
    public: set[str] = set()
    given: set[str] = set()
    for name in assignments or every:
        nb = nbformat.read(root / "notebooks" / name / f"{name}.ipynb", as_version=4)
        for cell in nb.cells:
            public |= unmarked_lines(cell.source)
            if cell.cell_type == "markdown":
                given |= _code_in_text(cell.source)
    # a line students see with a trailing comment is public without it too (the search
    # below also compares lines with their comments stripped)
    public |= {without_comment(line) for line in public}
    given |= {without_comment(line) for line in given}
    secret: dict[str, str] = {}
    for name in every:
        path = root / "notebooks" / name / f"{name}.ipynb"
        for cell in nbformat.read(path, as_version=4).cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
            for line in marked_lines(cell.source, SOLUTION):
                secret.setdefault(line, f"solution of {name}/{gid}")
            for line in marked_lines(cell.source, HIDDEN):
                secret.setdefault(line, f"hidden test of {name}/{gid}")
    for path in _reference_modules(root):
        rel = path.relative_to(root)
        for number, line in _body_lines(path):
            for variant in {line, without_comment(line)}:
                secret.setdefault(variant, f"reference code ({rel}:{number})")
    return {
        k: v
        for k, v in secret.items()
        if significant(without_comment(k)) and k not in public and k not in given
    }


def _text_lines(path: Path) -> list[tuple[str, str]] | None:
    """[(where, line)] of a text file (a notebook: its cells' sources and text outputs);
    None for a binary file."""
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if path.suffix == ".ipynb":
        try:
            nb = nbformat.reads(text, as_version=4)
        except Exception:  # not a notebook after all: search it as text
            nb = None
        if nb is not None:
            found = []
            for index, cell in enumerate(nb.cells):
                texts = [cell.source]
                for out in cell.get("outputs", []):
                    texts.append(out.get("text", ""))
                    texts.append("\n".join(out.get("traceback", [])))
                    texts.extend(str(v) for v in out.get("data", {}).values())
                for chunk in texts:
                    for number, line in enumerate(str(chunk).splitlines(), 1):
                        found.append((f"cell {index} line {number}", line))
            return found
    return [(f"line {number}", line) for number, line in enumerate(text.splitlines(), 1)]


_COST = (
    "course_utils.cost (public: the notebooks count costs with it) handles padding the "
    "way the lecture does; the exercise's own docstring and hint state the same rule "
    "(p = 0 for 'valid', (f - 1) // 2 for 'same', else the int p), and cost refuses to "
    "run inside a student's answer"
)
_PROBE = "a generic layer of checks.gradient_probe's fixed probe network, no exercise's answer"
_MODELS = (
    "a generic line of a ready-made network of course_utils.models (used, not graded); "
    "one layer call, not the graded network"
)
# Bundle lines that equal a secret line, each reviewed: (file, stripped line) -> why it
# is not a solution. Anything else that matches refuses the bundle.
ALLOWED = {
    ("course_utils/cost.py", 'if padding == "valid":'): _COST,
    ("course_utils/cost.py", "p = padding"): _COST,
    ("course_utils/checks/residual_networks.py", 'X = layers.Activation("relu")(X)'): _PROBE,
    ("course_utils/checks/residual_networks.py", "X = layers.Flatten()(X)"): _PROBE,
    ("course_utils/models.py", "X = layers.Conv2D("): _MODELS,
    ("course_utils/models.py", 'X = layers.GlobalAveragePooling2D(name="avg_pool")(X)'): _MODELS,
    ("course_utils/models.py", "return keras.Model(X_input, X, name=name)"): _MODELS,
    ("course_utils/models.py", 'X = layers.Flatten(name="flatten")(X)'): _MODELS,
}


def search_bundle(
    folder: str | Path, secret: dict[str, str], allowed: dict | None = None
) -> tuple[list[str], list[str]]:
    """(leaks, allowed) in the text files under ``folder``: every line that is a secret
    line (exact, after stripping) or contains a solution or hidden-test marker, as
    'file: where: what'. A match listed in ``allowed`` (default :data:`ALLOWED`) goes
    to the second list with its reason instead."""
    folder = Path(folder)
    allowed = ALLOWED if allowed is None else allowed
    leaks, excused = [], []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        lines = _text_lines(path)
        if lines is None:
            continue
        rel = path.relative_to(folder)
        for where, line in lines:
            stripped = line.strip()
            what = secret.get(stripped) or secret.get(without_comment(stripped))
            if what:
                why = allowed.get((rel.as_posix(), stripped))
                text = f"{rel}: {where} is a line of the {what}: {stripped!r}"
                if why:
                    excused.append(f"{text} - allowed: {why}")
                else:
                    leaks.append(text)
            for marker in MARKERS:
                if marker in line:
                    leaks.append(f"{rel}: {where} contains the marker '{marker}'")
    return leaks, excused


def _expressions(tree: ast.AST) -> set[str]:
    return {
        text
        for node in ast.walk(tree)
        if isinstance(node, ast.expr)
        and len(text := ast.unparse(node)) >= MIN_EXPRESSION
        and not (isinstance(node, ast.Constant) and isinstance(node.value, str))
    }


def _parse_or_none(text: str):
    try:
        return ast.parse(text)
    except SyntaxError:
        return None


def find_solution_expressions(
    root: str | Path, folder: str | Path, assignments: list[str] | None = None
) -> list[str]:
    """Expressions of the reference functions' bodies (``MIN_EXPRESSION`` characters or
    more, compared as ``ast.unparse`` writes them) found in the Python of ``folder``'s
    ``.py`` files and notebooks, other than in code the source notebooks show students
    (unmarked code, code in their text) and on the lines of :data:`ALLOWED`. Docstrings
    and string constants are not compared."""
    root, folder = Path(root).resolve(), Path(folder)
    reference: dict[str, str] = {}
    for path in _reference_modules(root):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for stmt in node.body:
                    for text in _expressions(stmt):
                        reference.setdefault(text, f"{path.relative_to(root)}:{stmt.lineno}")
    public: set[str] = set()
    for name in assignments or find_assignments(root):
        nb = nbformat.read(root / "notebooks" / name / f"{name}.ipynb", as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                tree = _parse_or_none(_public_code(cell.source))
                public |= _expressions(tree) if tree else set()
            else:  # code the text gives verbatim
                for code in _code_in_text(cell.source):
                    tree = _parse_or_none(code)
                    public |= _expressions(tree) if tree else set()
    wanted = {k: v for k, v in reference.items() if k not in public}
    found = []
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".py":
            sources = [("", path.read_text())]
        elif path.suffix == ".ipynb":
            nb = nbformat.read(path, as_version=4)
            sources = [
                (f" cell {i}", _code_of_cell(c.source))
                for i, c in enumerate(nb.cells)
                if c.cell_type == "code"
            ]
        else:
            continue
        rel = path.relative_to(folder).as_posix()
        for where, source in sources:
            tree = _parse_or_none(source)
            if tree is None:
                continue
            lines = source.splitlines()
            for node in ast.walk(tree):
                if isinstance(node, ast.expr) and hasattr(node, "lineno"):
                    text = ast.unparse(node)
                    if (rel, lines[node.lineno - 1].strip()) in ALLOWED:
                        continue  # reviewed: see ALLOWED
                    if text in wanted:
                        found.append(
                            f"{path.relative_to(folder)}{where}:{node.lineno} computes "
                            f"{text!r}, as the reference does ({wanted[text]})"
                        )
    # an expression inside a reported one says nothing new
    return [f for f in found if not any(f != g and _inner(f, g) for g in found)]


def _inner(small: str, big: str) -> bool:
    where_s, where_b = small.split(" computes ")[0], big.split(" computes ")[0]
    text_s = small.split(" computes ", 1)[1].rsplit(", as the reference", 1)[0]
    text_b = big.split(" computes ", 1)[1].rsplit(", as the reference", 1)[0]
    return where_s == where_b and text_s != text_b and text_s[1:-1] in text_b


CHECK_KEY = r"""["']({names})\.[A-Za-z0-9_]+["']"""


def _unrecorded_keys(released: Path, recorded: Path, names: list[str]) -> list[str]:
    """Check keys ("<assignment>.<name>" strings) in the released notebooks that
    ``recorded/`` does not hold."""
    pattern = re.compile(CHECK_KEY.format(names="|".join(map(re.escape, names))))
    values: dict = {}
    for path in recorded.glob("*.json"):
        values |= json.loads(path.read_text())["values"]
    missing = []
    for path in sorted(released.rglob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            for match in pattern.finditer(cell.source):
                key = match.group(0)[1:-1]
                if key not in values:
                    missing.append(f"{path.name}: check key {key!r} has no recorded value")
    return sorted(set(missing))


# --------------------------------------------------------------------------- files
def _tracked(root: Path, folder: str) -> list[Path] | None:
    """The files git tracks under ``root/folder`` (None outside a git checkout)."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--", folder],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return [root / p for p in out.decode().split("\0") if p]


def _copy_data(root: Path, staging: Path, skipped: list[str]) -> None:
    source = root / "data"
    files = _tracked(root, "data")
    every = [p for p in source.rglob("*") if p.is_file()]
    if files is None:  # not a git checkout: the whole folder
        files = every
    else:
        extra = sorted(set(every) - set(files))
        if extra:
            skipped.append(
                f"{len(extra)} file(s) under data/ that git does not track (an instructor's "
                f"own copies, not the shipped data), e.g. {extra[0].relative_to(root)}"
            )
    for path in files:
        if not path.is_file():
            continue
        target = staging / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


def _dependencies(root: Path) -> tuple[dict, list[str]]:
    project = tomllib.loads((root / "pyproject.toml").read_text())
    return project, list(project["project"]["dependencies"])


def _toml_list(items: list[str], indent: str = "    ") -> str:
    return "[\n" + "".join(f"{indent}{json.dumps(i)},\n" for i in items) + "]"


def student_pyproject(root: Path) -> str:
    """The bundle's pyproject.toml: the repository's dependencies, build system and
    package settings; no ``course`` command, no entry points, no dev extras (the cpu and
    gpu extras stay: TensorFlow is chosen by one of them)."""
    data, deps = _dependencies(root)
    project = data["project"]
    extras = project.get("optional-dependencies", {})
    text = (
        "[build-system]\n"
        f"requires = {json.dumps(data['build-system']['requires'])}\n"
        f"build-backend = {json.dumps(data['build-system']['build-backend'])}\n\n"
        "[project]\n"
        f"name = {json.dumps(project['name'])}\n"
        f"version = {json.dumps(project['version'])}\n"
        f"description = {json.dumps(project.get('description', ''))}\n"
        'readme = "README.md"\n'
        f"requires-python = {json.dumps(project['requires-python'])}\n"
        "# Keep this list and environment.yml identical.\n"
        f"dependencies = {_toml_list(deps)}\n"
    )
    # TensorFlow is an extra, as in the repository: cpu or gpu, never both in one venv
    text += "\n[project.optional-dependencies]\n"
    for name in ("cpu", "gpu"):
        text += f"{name} = {_toml_list(extras[name])}\n"
    text += (
        "\n[tool.setuptools.packages.find]\n"
        f'include = ["{PACKAGE}*"]\n\n'
        "[tool.setuptools.package-data]\n"
        f'{PACKAGE} = ["recorded/*.json"]\n'
    )
    return text


def student_environment(root: Path) -> str:
    """The bundle's environment.yml: the repository's, less the dev packages."""
    import yaml

    project, deps = _dependencies(root)
    deps = deps + list(project["project"]["optional-dependencies"]["cpu"])
    runtime = {re.split(r"[<>=!~;\[ ]", d, maxsplit=1)[0].lower() for d in deps}
    env = yaml.safe_load((root / "environment.yml").read_text())
    conda, pip = [], []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip = [
                d
                for d in dep.get("pip", [])
                if d.startswith("-") or re.split(r"[<>=!~;\[ ]", d, maxsplit=1)[0] in runtime
            ]
        elif re.split(r"[<>=!~ ]", dep, maxsplit=1)[0] in runtime | {"python", "pip"}:
            conda.append(dep)
    lines = [
        "# Conda environment for the course: the same packages as pyproject.toml.",
        "#   conda env create -f environment.yml && conda activate " + env["name"],
        f"name: {env['name']}",
        "channels:",
        *(f"  - {c}" for c in env.get("channels", ["conda-forge"])),
        "dependencies:",
        *(f"  - {d}" for d in conda if d != "pip"),
        "  - pip",
        "  - pip:",
        *(f"      - {d}" for d in pip),
    ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- checks
IMPORT_CHECK = """
import importlib, json, pkgutil, sys
sys.path[:0] = json.loads(sys.argv[1])
bundle, others, keys = sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
import course_utils
problems = []
if not course_utils.__file__.startswith(bundle):
    problems.append(f"course_utils imported from {course_utils.__file__}, not the bundle")
for info in pkgutil.walk_packages(course_utils.__path__, "course_utils."):
    try:
        importlib.import_module(info.name)
    except Exception as exc:
        problems.append(f"{info.name} does not import: {exc!r}")
for name in others:
    try:
        module = importlib.import_module(name)
        problems.append(f"{name} imports from {module.__file__}")
    except ImportError:
        pass
from course_utils.checks import expected_values as expected
if expected.live_provider() is not None:
    problems.append("the bundle finds a live reference (an installed course_reference)")
for key in keys:
    try:
        expected.expected(key)
    except Exception as exc:
        problems.append(f"expected({key!r}) fails: {exc}")
print(json.dumps(problems))
"""


def check_imports(staging: Path, keys: list[str]) -> list[str]:
    """Import every module of the staged ``course_utils`` in a fresh interpreter that sees
    the installed packages but not the repository (``-S``: no .pth files, so no editable
    install; of this interpreter's path, every folder that holds one of our packages is
    left out), check that ``course_reference`` and ``course_grader`` do not import, and
    read every recorded key. Returns the problems."""
    ours = ("course_utils", *OTHER_PACKAGES)
    paths = [str(staging)] + [
        p
        for p in dict.fromkeys(sys.path)
        if p and Path(p).is_dir() and not any((Path(p) / name).exists() for name in ours)
    ]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    proc = subprocess.run(
        [
            sys.executable,
            "-S",
            "-c",
            IMPORT_CHECK,
            json.dumps(paths),
            str(staging),
            json.dumps(list(OTHER_PACKAGES)),
            json.dumps(keys),
        ],
        cwd=staging,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return [f"the import check did not run:\n{(proc.stdout + proc.stderr)[-3000:]}"]


# --------------------------------------------------------------------------- bundle
def _copy_templates(staging: Path, names: list[str]) -> None:
    """The files of ``templates/bundle/`` into the bundle; ``README.md`` gets the list of
    assignments and the conda environment's name. A leading ``dot-`` in a template's
    name is a ``.`` in the bundle (``dot-gitignore``: ``.gitignore``)."""
    env_name = re.search(r"^name:\s*(\S+)", (staging / "environment.yml").read_text(), re.M)
    table = "\n".join(f"- `notebooks/{n}/{n}.ipynb`" for n in names)
    for path in sorted(p for p in TEMPLATES.rglob("*") if p.is_file()):
        rel = path.relative_to(TEMPLATES)
        target = staging / Path(*[("." + p[4:]) if p.startswith("dot-") else p for p in rel.parts])
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel.as_posix() == "README.md":
            target.write_text(
                path.read_text().format(
                    assignments=table, env=env_name.group(1) if env_name else "course"
                )
            )
        else:
            shutil.copy2(path, target)


def make_bundle(
    root: str | Path,
    dest: str | Path,
    assignments: list[str] | None = None,
    *,
    force: bool = False,
    strict: bool = True,
) -> BundleReport:
    """Build the student bundle of ``assignments`` (default: all) into ``dest``.

    Refuses (:class:`GradingError`) when ``dest`` exists, unless ``force`` replaces it,
    and (:class:`LeakError`, naming file and line) when any file would contain a line of
    a solution, a hidden test or a reference function's body. ``strict``: refuse also
    when a reference expression turns up in the bundle's code (``BundleReport.near``).
    Nothing is left behind when it refuses or fails.
    """
    started = time.perf_counter()
    root, dest = Path(root).resolve(), Path(dest).resolve()
    names = list(assignments or find_assignments(root))
    if not names:
        raise GradingError(f"no assignments found under {root / 'notebooks'}")
    inside = [root / d for d in (PACKAGE, *OTHER_PACKAGES, "notebooks", "data")]
    if dest == root or dest in root.parents or any(d == dest or d in dest.parents for d in inside):
        raise GradingError(f"refusing to build a bundle into {dest} (the course itself)")
    if dest.exists() and not force:
        raise GradingError(f"{dest} exists; pass force=True (--force) to replace it")
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.staging-", dir=dest.parent))
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)  # mkdtemp's folder is private; a bundle is to share
    skipped = [
        "course_reference/ (the reference solutions) and course_grader/ (the grader and "
        "its hidden checks): instructor only"
    ]
    try:
        published = release(root, names)
        for name, folder in published.items():
            shutil.copytree(
                folder, staging / "notebooks" / name, ignore=shutil.ignore_patterns(*IGNORED)
            )
        shutil.copytree(root / PACKAGE, staging / PACKAGE, ignore=shutil.ignore_patterns(*IGNORED))
        missing = _unrecorded_keys(staging / "notebooks", staging / PACKAGE / "recorded", names)
        if missing:
            raise GradingError(
                "the bundle would lack expected values (re-record them: python -m "
                "course_reference.record):\n" + "\n".join(missing)
            )
        _copy_data(root, staging, skipped)
        shutil.copytree(  # the student's JupyterLab settings, as `make lab` uses them here
            root / "jupyter" / "student", staging / "jupyter" / "student",
            ignore=shutil.ignore_patterns(*IGNORED),
        )  # fmt: skip
        (staging / "environment.yml").write_text(student_environment(root))
        (staging / "pyproject.toml").write_text(student_pyproject(root))
        _copy_templates(staging, names)

        leaks, allowed = search_bundle(staging, find_solution_lines(root))
        if leaks:
            raise LeakError(leaks, "the student bundle")
        near = find_solution_expressions(root, staging)
        if near and strict:
            raise LeakError(near, "the student bundle")
        keys = sorted(
            k
            for path in (staging / PACKAGE / "recorded").glob("*.json")
            for k in json.loads(path.read_text())["values"]
        )
        problems = check_imports(staging, keys)
        if problems:
            raise GradingError("the bundle does not work on its own:\n" + "\n".join(problems))

        files = [p for p in staging.rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files)
        if dest.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old-", dir=dest.parent))
            os.replace(dest, old / dest.name)
            os.replace(staging, dest)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, dest)
        return BundleReport(
            dest=dest,
            assignments=names,
            files=len(files),
            bytes=size,
            seconds=time.perf_counter() - started,
            skipped=skipped,
            near=near,
            allowed=allowed,
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
