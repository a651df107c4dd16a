"""The verdict of each graded cell, from the kernel's answers, in the checker's process.

For every exercise, its cases are drawn again from the seed (:func:`.plan.cases_of`);
each case's expected value is computed from the reference (a public case's once per
release and process, :data:`CACHE`); the kernel's answer is read (:mod:`.answers`) and
judged with the same judges the public checks use, so a student reads the same message
wherever the mistake is found. An exercise earns its points when every case passes; the
first failing case says why.

Example::

    verdicts = decide(exercises, seed, folder, reference, cells)
    verdicts["lenet5_tests"]   # {"passed": False, "message": "Exercise 3 - lenet5: ..."}
"""

from __future__ import annotations

import ast
import gc
from pathlib import Path

import numpy as np

from course_utils.guard import CheckFailure

from .answers import BadAnswer, read_answers, read_array, read_file, read_weights
from .plan import cases_of
from .safe_models import UnsafeModel, rebuild
from .spec import SameComputation

CACHE: dict[tuple, object] = {}  # (release, case key) -> expected value, public cases only
MAX_CACHE = 256


def _expected(case, reference, release: str):
    if not case.public:
        return case.expect(reference)
    key = (release, case.function, case.key or case.label)
    if key not in CACHE:
        if len(CACHE) >= MAX_CACHE:
            CACHE.clear()
        CACHE[key] = case.expect(reference)
    return CACHE[key]


def _answer(case, answer: dict, folder: Path, expected):
    """The kernel's answer to ``case`` as the judge takes it (a value, an array, a rebuilt
    model, a training report), or :class:`CheckFailure` / :class:`BadAnswer`."""
    if answer.get("kind_mismatch"):
        raise BadAnswer("the kernel answered another question")
    if case.kind == "value":
        if "value" not in answer:
            raise BadAnswer("the kernel gave no value")
        return answer["value"]
    if case.kind == "array":
        want = expected["want"] if isinstance(expected, dict) and "want" in expected else expected
        if isinstance(expected, dict) and "images" in expected:
            want = expected["images"]
        try:
            return read_array(folder, answer.get("array"), np.shape(want))
        except BadAnswer as exc:
            if "expected, found" in str(exc):
                message = (
                    f"{case.label} should return shape {np.shape(want)}, found "
                    f"{str(exc).rsplit('found ', 1)[1]}."
                )
                try:  # the array as it is, for the judge's own message about it
                    return WrongShape(read_array(folder, answer.get("array")), message)
                except BadAnswer:
                    raise CheckFailure(message) from None
            raise
    if case.kind == "arrays":
        names = answer.get("arrays")
        if not isinstance(names, list) or len(names) > 8:
            raise BadAnswer("the kernel gave no arrays")
        return tuple(read_array(folder, name) for name in names)
    if case.kind in ("model", "block"):
        text = read_file(folder, answer.get("config"), 20_000_000).decode("utf-8", "replace")
        if hasattr(expected, "get") and expected.get("signature"):
            import json

            from course_utils.checks.layers import computation_signature

            try:
                same = computation_signature(json.loads(text)) == expected["signature"]
            except (ValueError, RecursionError, TypeError, AttributeError):
                same = False
            if same:  # what the reference computes, whatever it was written like
                return SameComputation(expected.get("class", ""))
        try:
            return rebuild(text, stand_ins=bool(case.stand_ins), zeros=True)
        except UnsafeModel as exc:
            raise CheckFailure(f"the model cannot be checked: {exc}.") from None
    if case.kind == "training":
        report = dict(answer)
        count = answer.get("weight_count")
        if isinstance(count, int) and 0 < count <= 64 and answer.get("weights"):
            report["weights_found"] = read_weights(folder, answer["weights"], count)
        return report
    raise ValueError(f"unknown case kind {case.kind!r}")


class WrongShape:
    """An array answer of another shape than the expected one: failed whatever the judge
    says, but the judge says it first where it can (its hint names the usual mistake:
    votes for probabilities, a batch dimension kept), else ``message``."""

    def __init__(self, array: np.ndarray, message: str):
        self.array, self.message = array, message

    def judge(self, case, expected, title: str) -> None:
        try:
            case.judge(case, self.array, expected, title)
        except CheckFailure:
            raise
        except Exception:  # noqa: BLE001 - a judge that cannot take this shape
            pass
        raise CheckFailure(self.message)


def _failure(exercise, case, text: str) -> str:
    where = exercise.title if case.public else f"{exercise.title} ({case.label})"
    return f"{where}: {text}"


def _judge_case(exercise, case, answer: dict | None, folder: Path, reference, release: str):
    """None when the case passes, else the message."""
    title = exercise.title if case.public else f"{exercise.title} ({case.label})"
    if answer is None:
        return _failure(
            exercise,
            case,
            "the kernel gave no answer (it stopped, ran out of "
            "time, or the notebook no longer defines the function).",
        )
    if not answer.get("ok"):
        error = str(answer.get("error", "no answer"))[:400]
        if answer.get("guard"):  # the kernel's guard names the function first: once is enough
            error = error.split(": ", 1)[-1]
            error = error.removeprefix(f"{case.function}: ")
        if answer.get("not_written") or (answer.get("guard") and "not written yet" in error):
            return _failure(
                exercise,
                case,
                "not written yet: the exercise still raises "
                "NotImplementedError.\n  Hint: replace the `raise "
                "NotImplementedError()` line in the exercise cell with your code.",
            )
        if answer.get("guard"):
            return _failure(exercise, case, error)
        if answer.get("no_input") and case.kind in ("model", "block"):
            return _failure(
                exercise,
                case,
                f"{error}.\n  Hint: start the model from keras.Input(input_shape).",
            )
        if case.kind in ("model", "block"):  # the public check's words for it
            from course_utils.checks.models import build_failure_hint

            hint = build_failure_hint(error, case.hints)
            return _failure(
                exercise, case, f"building {case.label} raised {error}\n  Hint: {hint}"
            )
        return _failure(exercise, case, f"{case.label} raised {error}")
    try:
        expected = _expected(case, reference, release)
        got = _answer(case, answer, folder, expected)
        if isinstance(got, WrongShape):
            got.judge(case, expected, title)
        case.judge(case, got, expected, title)
    except CheckFailure as exc:
        text = str(exc)
        return text if text.startswith(exercise.title) else _failure(exercise, case, text)
    except BadAnswer as exc:
        return _failure(exercise, case, f"the answer to {case.label} cannot be used: {exc}.")
    return None


def _attribute_path(node) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def uses(source: str, names: tuple) -> str | None:
    """The first of ``names`` (dotted paths: ``keras.applications``) that ``source``
    refers to, by attribute or import; None when none (or the code does not parse)."""
    try:
        tree = ast.parse(
            "\n".join(
                "" if line.lstrip().startswith(("%", "!")) else line
                for line in source.splitlines()
            )
        )
    except SyntaxError:
        return None
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            found.add(_attribute_path(node))
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {f"{node.module}.{alias.name}" for alias in node.names} | {node.module}
    for name in names:
        for path in found:
            if (
                path == name
                or path.startswith(name + ".")
                or path.endswith("." + name)
                or ("." + name + "." in "." + path + ".")
            ):
                return name
    return None


def decide(exercises, seed: int, folder: Path, reference, cells=None, release: str = "") -> dict:
    """``{grade_id: verdict}`` for the answers under ``folder``: verdict = ``{"passed",
    "message", "public_passed", "failed_case", "hidden", "cases"}``. ``cells``: the
    submission's code cells as ``{"answers": {grade_id: source}, "added": [source]}``,
    for the exercises' ``forbidden`` names."""
    cells = cells or {"answers": {}, "added": []}
    verdicts = {}
    for exercise, cases in cases_of(exercises, seed):
        where = Path(folder) / exercise.grade_id
        answers = read_answers(where)
        verdict = {
            "passed": True,
            "message": "",
            "public_passed": True,
            "failed_case": "",
            "hidden": False,
            "cases": len(cases),
        }
        sources = [cells["answers"].get(exercise.answer_cell, ""), *cells.get("added", [])]
        banned = next((u for u in (uses(s, exercise.forbidden) for s in sources) if u), None)
        if exercise.forbidden and banned:
            verdict.update(
                passed=False,
                public_passed=False,
                message=(
                    f"{exercise.title}: your answer uses {banned}, which builds the network for "
                    "you; that earns no points.\n  Hint: write the layers yourself, as the "
                    "exercise shows."
                ),
            )
        if not cases:  # nothing checked earns nothing (course release refuses it too)
            verdict.update(
                passed=False,
                public_passed=False,
                message=f"{exercise.title}: the grader has no checks for this exercise; ask "
                "your instructor (it has not been graded).",
            )
        for i, case in enumerate(cases):
            if not verdict["passed"] and not case.public:
                break
            message = _judge_case(exercise, case, answers.get(f"q{i}"), where, reference, release)
            if message and verdict["passed"]:
                verdict.update(
                    passed=False,
                    message=message[:2000],
                    failed_case=case.label,
                    hidden=not case.public,
                )
            if message and case.public:
                verdict["public_passed"] = False
        verdicts[exercise.grade_id] = verdict
    gc.collect()  # the models built for this submission
    return verdicts
