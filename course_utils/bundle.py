"""The student bundle: a self-contained repository an instructor can publish.

``make_bundle(root, dest)`` (``course release --bundle DIR``) builds, in ``dest``::

    notebooks/<a>/<a>.ipynb      the released notebooks (nbgrader's student version)
    course_utils/                the modules the notebooks need - no reference/, no
                                 instructor tools (grading, authoring, collect, ...)
    course_utils/recorded/       expected values recorded now from the live reference
    data/                        the shipped data (the files git tracks under data/)
    pyproject.toml, environment.yml, README.md, Makefile, .gitignore

Which modules are kept is computed, not listed: the ``course_utils`` modules the source
notebooks import, and everything those import in turn (``reference`` aside: the checks
fall back to ``recorded/`` without it). A new instructor-only module is therefore left
out by default, and a kept module that imports ``grading`` or ``authoring`` is refused.

The bundle is built in a staging folder next to ``dest`` and moved into place only once
it is complete and clean:

- every kept module is imported from the staged bundle in a fresh interpreter that
  cannot see the repository (``course_utils.reference`` must fail to import there), and
  every check key the released notebooks name must be recorded;
- :func:`find_solution_lines` searches every text file of the bundle for the
  significant lines of the source notebooks' solution and hidden-test blocks and of the
  bodies of the functions in ``course_utils/reference/*.py``: an exact match refuses
  the bundle (:class:`~course_utils.grading.LeakError`, naming file and line);
- :func:`find_solution_expressions` looks for the reference's larger expressions
  (compared as parsed code, so spacing and names of keywords do not hide them) inside
  the bundle's code; what it finds is reported (``BundleReport.near``), not refused.
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

from .authoring import HIDDEN_BEGIN, HIDDEN_END, SOLUTION_BEGIN, SOLUTION_END
from .grading import (
    GradingError,
    LeakError,
    _marked_lines,
    _significant,
    _unmarked_lines,
    find_assignments,
    marked_or_not,
    release,
)
from .sandbox import CELL_TIMEOUT_S

PACKAGE = "course_utils"
REFERENCE = "reference"
RECORDED = "recorded"
# never in a bundle; a kept module importing one of these is an error
INSTRUCTOR_ONLY = {"grading", "authoring", "bundle", "batch", "collect", REFERENCE}
MARKERS = (SOLUTION_BEGIN, SOLUTION_END, HIDDEN_BEGIN, HIDDEN_END)
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
    modules: list[str] = field(default_factory=list)  # course_utils modules kept
    skipped: list[str] = field(default_factory=list)  # left out on purpose, with why
    near: list[str] = field(default_factory=list)  # reference expressions found in code
    allowed: list[str] = field(default_factory=list)  # reviewed matches (ALLOWED), why

    def __str__(self) -> str:
        lines = [
            f"bundle {self.dest}: {', '.join(self.assignments)}; {self.files} files, "
            f"{self.bytes / 1e6:.1f} MB, built in {self.seconds:.0f} s",
            f"  course_utils modules: {', '.join(self.modules)}",
        ]
        lines += [f"  left out: {s}" for s in self.skipped]
        lines += [f"  allowed: {a}" for a in self.allowed]
        lines += [f"  note (not refused): {n}" for n in self.near]
        return "\n".join(lines)


# --------------------------------------------------------------------------- modules
def _code_of_cell(source: str) -> str:
    """A code cell's Python: IPython magics and shell lines blanked (line numbers kept)."""
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
    )


def _public_code(source: str) -> str:
    """A source cell's Python as students see it: solution and hidden-test blocks
    blanked (line numbers kept), magics too."""
    public = ("" if marked else line for line, marked in marked_or_not(source))
    return _code_of_cell("\n".join(public))


def _imported_modules(tree: ast.AST, available: set[str]) -> set[str]:
    """The ``course_utils`` modules (names in ``available``) that ``tree`` imports.

    ``import course_utils.x``, ``from course_utils.x import ...``, ``from course_utils
    import x`` and, inside the package, ``from .x import ...`` / ``from . import x``.
    """
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == PACKAGE and len(parts) > 1:
                    found.add(parts[1])
        elif isinstance(node, ast.ImportFrom):
            parts = node.module.split(".") if node.module else []
            if node.level == 0 and (not parts or parts[0] != PACKAGE):
                continue
            if node.level > 0:
                sub = parts[0] if parts else None
            else:
                sub = parts[1] if len(parts) > 1 else None
            if sub:
                found.add(sub)
            else:  # from course_utils import x, y  /  from . import x
                found |= {alias.name for alias in node.names}
    return found & available


def _guarded_reference_imports(tree: ast.AST) -> set[int]:
    """Lines of ``course_utils.reference`` imports that a student copy may lack: inside a
    ``try`` that catches ImportError, or inside a function (only run where it exists)."""
    ok = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Try):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    ok.add(inner.lineno)
    return ok


def student_modules(root: Path, notebooks: list[Path]) -> tuple[list[str], list[str]]:
    """(modules to keep, modules left out) of ``root/course_utils``.

    Kept: ``__init__`` and the modules ``notebooks`` import, closed over the imports of
    the kept modules. Raises :class:`GradingError` when a kept module imports an
    instructor-only one outside a guard.
    """
    package = root / PACKAGE
    available = {p.stem for p in package.glob("*.py")}
    wanted: set[str] = {"__init__"}
    for path in notebooks:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            try:
                tree = ast.parse(_public_code(cell.source))
            except SyntaxError:
                continue
            wanted |= _imported_modules(tree, available | {REFERENCE})
    todo, kept = sorted(wanted), set()
    while todo:
        name = todo.pop()
        if name in kept:
            continue
        if name in INSTRUCTOR_ONLY:
            raise GradingError(
                f"a notebook or kept module imports course_utils.{name}, which is "
                "instructor-only and never in a student bundle"
            )
        path = package / f"{name}.py"
        tree = ast.parse(path.read_text(), filename=str(path))
        kept.add(name)
        guarded = _guarded_reference_imports(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for sub in _imported_modules(node, available | {REFERENCE}):
                if sub == REFERENCE and node.lineno in guarded:
                    continue  # checks.reference_available() and friends
                if sub in INSTRUCTOR_ONLY:
                    raise GradingError(
                        f"{PACKAGE}/{name}.py:{node.lineno} imports {PACKAGE}.{sub}, "
                        "which is instructor-only; move what students need out of it"
                    )
                if sub not in kept:
                    todo.append(sub)
    return sorted(kept), sorted(available - kept)


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


def _without_comment(line: str) -> str:
    return line.split("  # ", 1)[0].rstrip() if "  # " in line else line


def _reference_modules(root: Path) -> list[Path]:
    """The reference modules holding solutions: ``reference/__init__.py`` is left out,
    its functions are the check harness (``BUILDERS``, the probe calls that
    ``checks.py`` makes on the student's function too), no exercise's answer."""
    return sorted(p for p in (root / PACKAGE / REFERENCE).glob("*.py") if p.name != "__init__.py")


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
            public |= _unmarked_lines(cell.source)
            if cell.cell_type == "markdown":
                given |= _code_in_text(cell.source)
    secret: dict[str, str] = {}
    for name in every:
        path = root / "notebooks" / name / f"{name}.ipynb"
        for cell in nbformat.read(path, as_version=4).cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
            for line in _marked_lines(cell.source, SOLUTION_BEGIN, SOLUTION_END):
                secret.setdefault(line, f"solution of {name}/{gid}")
            for line in _marked_lines(cell.source, HIDDEN_BEGIN, HIDDEN_END):
                secret.setdefault(line, f"hidden test of {name}/{gid}")
    for path in _reference_modules(root):
        rel = path.relative_to(root)
        for number, line in _body_lines(path):
            for variant in {line, _without_comment(line)}:
                secret.setdefault(variant, f"reference code ({rel}:{number})")
    return {
        k: v
        for k, v in secret.items()
        if _significant(_without_comment(k)) and k not in public and k not in given
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
    ("course_utils/checks.py", 'X = layers.Activation("relu")(X)'): _PROBE,
    ("course_utils/checks.py", "X = layers.Flatten()(X)"): _PROBE,
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
            what = secret.get(stripped) or secret.get(_without_comment(stripped))
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


# --------------------------------------------------------------------------- recording
def public_keys(assignment: str, released: Path) -> tuple[set[str], tuple[str, ...]]:
    """The check keys of ``assignment`` that student-side code asks for: ``(keys,
    prefixes)``. Keys named in the released notebooks or in ``checks.py`` (where an
    f-string like ``"a.case_{i}"`` gives the prefix ``"a.case_"``). A key only a hidden
    test uses is not among them: its expected value would show the hidden test's case."""
    from . import checks

    texts = [Path(checks.__file__).read_text()]
    for path in sorted(released.rglob("*.ipynb")):
        texts += [
            c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"
        ]
    name = re.escape(assignment) + r"\.[A-Za-z0-9_]+"
    keys, prefixes = set(), set()
    for text in texts:
        keys |= {m[1:-1] for m in re.findall(rf"[\"']{name}[\"']", text)}
        prefixes |= {m[1:-1] for m in re.findall(rf"[\"']{name}\{{", text)}
    return keys, tuple(sorted(prefixes))


def record_expected(
    assignment: str, folder: Path, recorded_from: Path, released: Path | None = None
) -> Path:
    """Record the expected values of ``assignment``'s checks into ``folder``.

    Built models and computed values come from the live reference now; measured values
    (a training run, ``reference.MEASURED``) are copied from ``recorded_from`` (the
    repository's tracked file, re-measured by a slow test) with the versions that
    measured them under ``measured_with``. With ``released`` (the released notebooks'
    folder), only the keys student-side code uses are recorded (:func:`public_keys`).
    """
    from . import checks, reference

    prefix = assignment + "."
    wanted = public_keys(assignment, released) if released is not None else None

    def public(key: str) -> bool:
        return wanted is None or key in wanted[0] or key.startswith(wanted[1] or ("\0",))

    live = sorted(
        k for k in {*reference.BUILDERS, *reference.VALUES} if k.startswith(prefix) and public(k)
    )
    measured = sorted(k for k in reference.MEASURED if k.startswith(prefix) and public(k))
    path = checks.record(assignment, live, folder=folder)
    if measured:
        source = json.loads((recorded_from / f"{assignment}.json").read_text())
        data = json.loads(path.read_text())
        missing = [k for k in measured if k not in source.get("values", {})]
        if missing:
            raise GradingError(
                f"{recorded_from / (assignment + '.json')} holds no measured value for "
                f"{', '.join(missing)}; re-measure it first"
            )
        data["values"].update({k: source["values"][k] for k in measured})
        data["measured_with"] = source.get("recorded_with", {})
        path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return path


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
    package settings; no ``course`` command, no dev extras (the gpu extra stays)."""
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
    if "gpu" in extras:
        text += f"\n[project.optional-dependencies]\ngpu = {json.dumps(extras['gpu'])}\n"
    text += (
        "\n[tool.setuptools.packages.find]\n"
        f'include = ["{PACKAGE}*"]\n\n'
        "[tool.setuptools.package-data]\n"
        f'{PACKAGE} = ["{RECORDED}/*.json"]\n'
    )
    return text


def student_environment(root: Path) -> str:
    """The bundle's environment.yml: the repository's, less the dev packages."""
    import yaml

    _, deps = _dependencies(root)
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


README = """\
# Deep convolutional models: case studies

The assignments of the course, one folder each under `notebooks/`:

{table}

## Install

You need Python 3.11-3.13.

```bash
python -m venv .venv
.venv/bin/pip install -e .        # Windows: .venv\\Scripts\\pip install -e .
.venv/bin/jupyter lab             # or: make lab
```

Install with `-e` (editable): the notebooks read the data from this folder's `data/`.
With conda instead: `conda env create -f environment.yml && conda activate {env}`.

## Working on an assignment

1. Open `notebooks/<assignment>/<assignment>.ipynb` in JupyterLab and read it top to
   bottom.
2. Fill in each `# YOUR CODE HERE` (delete the `raise NotImplementedError()` line).
3. Run the test cell right after each exercise. A failing check says which exercise,
   which layer or value, what was expected and what was found, with a hint. The
   checks compare your answer with values recorded from the instructor's solutions
   (in `course_utils/recorded/`); the solutions themselves are not in this folder.
4. Click **Validate** in the notebook toolbar to run the whole notebook, then submit
   the `.ipynb` file the way your instructor asks. The grader runs more tests than the
   ones you see.

Training cells run the full budget; `COURSE_BUDGET=quick` runs a short version.
"""

GITIGNORE = """\
.venv/
__pycache__/
*.egg-info/
*.pyc
.ipynb_checkpoints/
"""

# nbgrader's Validate button runs the whole notebook with the settings of the folder
# JupyterLab was started from: its default, 30 s per cell, is too short for a training
# cell on a laptop
NBGRADER_CONFIG = f"""\
# Settings of nbgrader's Validate button (it re-runs the whole notebook).
c = get_config()  # noqa: F821
c.Execute.timeout = {CELL_TIMEOUT_S}  # seconds per cell: training takes minutes
c.Execute.startup_timeout = 120
"""

MAKEFILE = """\
# make lab: create .venv, install the course's packages, open JupyterLab on notebooks/.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8888
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: lab env

$(STAMP): pyproject.toml
\ttest -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
\t$(BIN)/python -m pip install --quiet --upgrade pip
\t$(BIN)/python -m pip install --quiet -e .
\t$(BIN)/python -m ipykernel install --sys-prefix --name python3 \\
\t  --display-name "Python 3 (course)" --env TF_CPP_MIN_LOG_LEVEL 2
\t$(BIN)/jupyter labextension enable --level=sys_prefix @jupyter/nbgrader >/dev/null
\ttouch $(STAMP)

env: $(STAMP)

lab: $(STAMP)
\t$(BIN)/jupyter lab --ServerApp.root_dir=notebooks --port=$(PORT) $(ROOT_FLAG) \\
\t  --ServerApp.jpserver_extensions nbgrader.server_extensions.formgrader=False
"""


# --------------------------------------------------------------------------- checks
IMPORT_CHECK = """
import importlib, json, sys
sys.path[:0] = json.loads(sys.argv[1])
bundle, modules, keys = sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
import course_utils
problems = []
if not course_utils.__file__.startswith(bundle):
    problems.append(f"course_utils imported from {course_utils.__file__}, not the bundle")
for name in modules:
    try:
        importlib.import_module("course_utils." + name)
    except Exception as exc:
        problems.append(f"course_utils/{name}.py does not import: {exc!r}")
try:
    import course_utils.reference
    problems.append("course_utils.reference imports from " + course_utils.reference.__file__)
except ImportError:
    pass
from course_utils import checks
if checks.reference_available():
    problems.append("checks.reference_available() is True in the bundle")
for key in keys:
    try:
        checks.expected(key)
    except Exception as exc:
        problems.append(f"checks.expected({key!r}) fails: {exc}")
print(json.dumps(problems))
"""


def check_imports(staging: Path, modules: list[str], keys: list[str]) -> list[str]:
    """Import every kept module from ``staging`` in a fresh interpreter that sees the
    installed packages but not the repository (``-S``: no .pth files, so no editable
    install of ``course_utils``), and read every recorded key. Returns the problems."""
    import sysconfig

    paths = [str(staging)] + sorted(
        {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    )
    modules = [m for m in modules if m != "__init__"]
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
            json.dumps(modules),
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
    inside = [root / d for d in (PACKAGE, "notebooks", "data")]
    if dest == root or dest in root.parents or any(d == dest or d in dest.parents for d in inside):
        raise GradingError(f"refusing to build a bundle into {dest} (the course itself)")
    if dest.exists() and not force:
        raise GradingError(f"{dest} exists; pass force=True (--force) to replace it")
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.staging-", dir=dest.parent))
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)  # mkdtemp's folder is private; a bundle is to share
    skipped: list[str] = []
    try:
        published = release(root, names)
        for name, folder in published.items():
            shutil.copytree(
                folder, staging / "notebooks" / name, ignore=shutil.ignore_patterns(*IGNORED)
            )

        sources = [root / "notebooks" / n / f"{n}.ipynb" for n in find_assignments(root)]
        modules, left_out = student_modules(root, sources)
        package = staging / PACKAGE
        package.mkdir()
        for name in modules:
            shutil.copy2(root / PACKAGE / f"{name}.py", package / f"{name}.py")
        skipped.append(f"{PACKAGE}/{REFERENCE}/ (the reference solutions, instructor-only)")
        if left_out:
            skipped.append(
                f"{PACKAGE} modules no notebook needs (instructor tools): "
                + ", ".join(f"{m}.py" for m in left_out)
            )
        others = sorted(
            p.name
            for p in (root / PACKAGE).iterdir()
            if p.name not in (REFERENCE, RECORDED, "__pycache__") and p.suffix != ".py"
        )
        if others:
            skipped.append(f"other entries of {PACKAGE}/: {', '.join(others)}")

        for name in names:
            record_expected(
                name, package / RECORDED, root / PACKAGE / RECORDED, staging / "notebooks" / name
            )
        missing = _unrecorded_keys(staging / "notebooks", package / RECORDED, names)
        if missing:
            raise GradingError("the bundle would lack expected values:\n" + "\n".join(missing))

        _copy_data(root, staging, skipped)
        (staging / "environment.yml").write_text(student_environment(root))
        (staging / "pyproject.toml").write_text(student_pyproject(root))
        table = "\n".join(f"- `notebooks/{n}/{n}.ipynb`" for n in names)
        env_name = re.search(r"^name:\s*(\S+)", (staging / "environment.yml").read_text(), re.M)
        (staging / "README.md").write_text(
            README.format(table=table, env=env_name.group(1) if env_name else "course")
        )
        (staging / ".gitignore").write_text(GITIGNORE)
        (staging / "Makefile").write_text(MAKEFILE)
        (staging / "nbgrader_config.py").write_text(NBGRADER_CONFIG)

        leaks, allowed = search_bundle(staging, find_solution_lines(root))
        if leaks:
            raise LeakError(leaks)
        near = find_solution_expressions(root, staging)
        if near and strict:
            raise LeakError(near)
        keys = sorted(
            k
            for path in (package / RECORDED).glob("*.json")
            for k in json.loads(path.read_text())["values"]
        )
        problems = check_imports(staging, modules, keys)
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
            modules=modules,
            skipped=skipped,
            near=near,
            allowed=allowed,
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
