"""Model checks: the student's network against the reference, layer by layer (the
:func:`~course_utils.checks.layers.layer_table`), then numerically (the
:func:`~course_utils.checks.layers.seeded_output`).

Each check has two halves: building the student's model (student code, in the
student's kernel) and :func:`judge_model`, which compares plain data only. The trusted
checker of the grader runs the same judge on the tables it computes from the model's
configuration, so a verdict and its message are the same wherever they are made.

Example (a test cell)::

    from course_utils.checks import check_model
    check_model(lenet5, "classic_networks.lenet5", "Exercise 3 - lenet5", (32, 32, 1))
"""

from __future__ import annotations

from itertools import groupby

import numpy as np

from ..guard import CheckFailure, fail, first_line, student_code
from .expected_values import expected
from .layers import (
    CONCATENATE_HINT,
    FUSES_ACTIVATION,
    HINTS,
    TRAINING_ONLY,
    computation_signature,
    input_shapes,
    layer_table,
    seeded_output,
    setting_hint,
)
from .plain import article


def build_failure_hint(error: str, hints: dict | None = None) -> str:
    """The hint for a model whose building raised ``error`` (its text): ``hints``
    (``{words in the error: hint}``, an exercise's own) first, then what the usual
    mistakes raise."""
    for words, hint in (hints or {}).items():
        if words in error:
            return hint
    if error.startswith(("NameError", "ImportError", "ModuleNotFoundError", "UnboundLocalError")):
        return (
            "your code uses a name it never defined or imported: add the import (or the "
            "definition) to your notebook, above the exercise."
        )
    if error.startswith("TypeError") and "argument" in error:
        return "a function or layer was called with arguments it does not take: check the call."
    if "Concatenate" in error:
        return CONCATENATE_HINT
    if "zero or negative" in error:
        return (
            "a layer got a map smaller than its window: height and width shrank too fast "
            "before it. Count the strides (and 'valid' paddings) on the way, printing "
            "X.shape after each step."
        )
    if "Add" in error or "incompatible shapes" in error.lower():
        return (
            "the tensors you add must have the same shape: a path keeps height and width "
            "only with padding='same' on its f x f convolution, and both paths must use "
            "the same stride; print the shape of each before the Add."
        )
    return (
        "the shapes of two tensors you combine (or a layer's settings) do not match; "
        "print the shape of each tensor as you go."
    )


def build_model(build, exercise: str, input_shape, hints: dict | None = None):
    """``build(input_shape)`` as student code: the keras.Model it returns, or a
    :class:`CheckFailure` that says what went wrong (``hints``: see
    :func:`build_failure_hint`)."""
    import keras

    with student_code(exercise):
        try:
            model = build(input_shape)
        except (CheckFailure, NotImplementedError):
            raise
        except Exception as exc:  # noqa: BLE001 - any error building it is the answer's
            error = f"{type(exc).__name__}: {first_line(exc)}"
            fail(exercise, f"building it raised {error}", build_failure_hint(error, hints))
    if not isinstance(model, keras.Model):
        fail(
            exercise,
            f"expected a keras.Model, got {type(model).__name__}.",
            "return the model you built, e.g. `return model`.",
        )
    return model


def describe(model, exercise: str, restore: bool = True) -> dict:
    """``{"layers": layer_table(model), "inputs": input_shapes(model), "output":
    seeded_output(model)}``, or a :class:`CheckFailure` for a model without a defined
    input. ``restore=False``: the model is thrown away after, its weights need not be
    kept."""
    try:
        layers = layer_table(model)
        inputs = input_shapes(model)
    except (AttributeError, ValueError) as exc:
        fail(
            exercise,
            f"the model has no defined input, so its layers have no shapes ({exc}).",
            "start the model from keras.Input(input_shape).",
        )
    return {
        "layers": layers,
        "inputs": inputs,
        "class": type(model).__name__,
        "output": seeded_output(model, restore=restore),
    }


def signature_of(model) -> str | None:
    """The model's :func:`~course_utils.checks.layers.computation_signature`, or None
    where its configuration cannot be written out (a layer Keras cannot serialise)."""
    import json

    try:
        return computation_signature(json.loads(model.to_json()))
    except Exception:  # noqa: BLE001 - then it is described in full
        return None


class Description:
    """A reference model's :func:`describe`, made only when a judge asks for its layers
    or output: its class and computation signature are known at once, and an answer with
    the same signature computes the same, so it never needs the rest (a VGG-16's
    description costs seconds). Reads like the dict :func:`describe` returns (and
    ``"signature"``, ``"class"``).

    ``model`` is best built inside :class:`~course_utils.checks.layers.weights_as_zeros`:
    its weights are drawn again when it is described."""

    def __init__(self, model, exercise: str = "the reference"):
        self._model, self._exercise = model, exercise
        self._described: dict | None = None
        self.signature = signature_of(model)
        self.class_name = type(model).__name__

    def full(self) -> dict:
        """The whole description as a plain dict (recorded files are written from it)."""
        if self._described is None:
            described = describe(self._model, self._exercise, restore=False)
            self._described = {**described, "signature": self.signature}
            self._model = None  # described: its weights can go
        return self._described

    def __getitem__(self, key):
        if key == "signature" and self.signature is not None:
            return self.signature
        if key == "class":
            return self.class_name
        return self.full()[key]

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default


def same_computation(model, want) -> bool:
    """Whether ``model``'s configuration is the expected one's up to what cannot change
    its layer table or seeded output (``want["signature"]``, where it has one): then it
    computes what the reference computes, and describing it would only say so again."""
    signature = want.get("signature") if hasattr(want, "get") else None
    return bool(signature) and signature_of(model) == signature


API_HINTS = {
    "Functional": "call each layer on a tensor, from X_input = keras.Input(input_shape), then "
    "keras.Model(inputs=X_input, outputs=X): this exercise is the Functional API's.",
    "Sequential": "keras.Sequential([keras.Input(input_shape), layer, layer, ...]): this "
    "exercise is keras.Sequential's.",
}


def judge_api(got_class: str, want_class: str, exercise: str) -> None:
    """Where the lesson is the API: fail unless the model is a ``want_class``
    (``Functional`` or ``Sequential``); the layers are judged apart."""
    if got_class != want_class:
        fail(
            exercise,
            f"the model is a {got_class}, but this exercise builds it as a {want_class}.",
            API_HINTS.get(want_class, ""),
        )


# --------------------------------------------------------------------------- pointing
def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


_QUIET = ("BatchNormalization", "Activation")  # not landmarks: they follow every conv


def _nth(rows: list[dict], i: int) -> str:
    """'the 3rd Conv2D': the row's kind and its rank among the rows of that kind."""
    kind = rows[i]["kind"]
    n = sum(1 for row in rows[: i + 1] if row["kind"] == kind)
    return f"the {_ordinal(n)} {kind}"


def where(rows: list[dict], i: int, named: bool = True, yours: bool = False) -> str:
    """Where row ``i`` is, for a student who reads ``model.summary()``: 'the 3rd Conv2D
    (after the 1st MaxPooling2D; 'C3' in the exercise)' - the name, where there is one,
    said as the exercise's (a reference row) or as ``yours`` (a row of the student's
    model). An activation of a Conv2D or Dense's own is 'the activation of the 2nd
    Dense'."""
    row = rows[i]
    if row.get("fused") and i > 0:
        return f"the activation of {where(rows, i - 1, named, yours)}"
    text = _nth(rows, i)
    landmark = next(
        (j for j in range(i - 1, -1, -1)
         if rows[j]["kind"] != row["kind"] and rows[j]["kind"] not in _QUIET),
        None,
    )  # fmt: skip
    notes = [f"after {_nth(rows, landmark)}"] if landmark is not None else []
    if landmark is None and i == 0:
        notes.append("the first layer")
    if named and row.get("name"):
        notes.append(
            f"yours is named {row['name']!r}" if yours else f"{row['name']!r} in the exercise"
        )
    return text + (f" ({'; '.join(notes)})" if notes else "")


def _kinds(rows: list[dict]) -> str:
    return ", ".join(row["kind"] for row in rows)


def _shape(shape) -> str:
    return f"(None, {', '.join(map(str, shape))})"


# --------------------------------------------------------------------------- judging
def _judge_inputs(got: dict, want: dict, exercise: str) -> None:
    got_in, want_in = got.get("inputs"), want.get("inputs")
    if got_in is None or want_in is None or got_in == want_in:
        return
    g, w = (got_in[0] if got_in else []), (want_in[0] if want_in else [])
    channels_first = len(g) == 3 and len(w) == 3 and g == [w[2], w[0], w[1]]
    fail(
        exercise,
        f"the model's input is {_shape(g)}, but the check built it for {_shape(w)}.",
        "images here are channels last, (n_H, n_W, n_C): keras.Input(input_shape)."
        if channels_first
        else "start from keras.Input(input_shape) with the argument you are given, not a "
        "shape written in.",
    )


def _judge_concatenates(got_rows: list[dict], want_rows: list[dict], exercise: str) -> None:
    """Branches joined in another order: said before the layers are aligned (the
    branches' layers then come in another order too)."""
    got_c = [r for r in got_rows if r["type"] == "Concatenate"]
    want_c = [r for r in want_rows if r["type"] == "Concatenate"]
    for n, (g, w) in enumerate(zip(got_c, want_c, strict=False), start=1):
        gi, wi = g["config"].get("inputs"), w["config"].get("inputs")
        if gi != wi and sorted(gi or []) == sorted(wi or []):
            fail(
                exercise,
                f"the {_ordinal(n)} Concatenate joins the branches in the order "
                f"[{', '.join(gi)}]; the exercise's order is [{', '.join(wi)}].",
                HINTS[("Concatenate", "inputs")],
            )


def _structure_failure(tag, i1, i2, j1, j2, want_rows, got_rows, exercise, opcodes):
    """The first place where the layers differ (difflib's opcode), said by position."""
    counts = f"(yours has {len(got_rows)} layers, the exercise's {len(want_rows)})"
    extra, missing = got_rows[j1:j2], want_rows[i1:i2]
    # an activation of the conv's own where the exercise applies it later (after BN)
    if tag in ("insert", "replace") and extra and extra[0].get("fused"):
        act = extra[0]["config"]["activation"]
        later = [
            want_rows[k]
            for t, a1, a2, _, _ in opcodes
            if t in ("delete", "replace")
            for k in range(a1, a2)
            if want_rows[k]["type"] == "Activation"
            and want_rows[k]["config"].get("activation") == act
        ]
        if later:
            fail(
                exercise,
                f"{where(got_rows, j1 - 1, yours=True)} applies activation={act!r} itself, so the "
                f"{act} comes right after it; the exercise applies it later, after "
                f"{_nth(want_rows, i1)}.",
                f"create the {got_rows[j1 - 1]['kind']} without activation=, and add "
                f"Activation({act!r}) where the exercise puts it (Conv2D -> "
                "BatchNormalization -> ReLU).",
            )
    moved = _moved(tag, i1, i2, j1, j2, want_rows, got_rows, opcodes)
    if moved:
        fail(exercise, moved + f" {counts}.", "layers must come in the exercise's order; "
             "print model.summary() and compare it with the exercise's description.")  # fmt: skip
    if tag == "delete":
        first = missing[0]
        after = f", after {where(want_rows, i1 - 1, False)}" if i1 else ""
        if first["type"] == "Activation":
            act = first["config"].get("activation")
            if i1 and want_rows[i1 - 1]["kind"] in FUSES_ACTIVATION:
                text = f"{where(want_rows, i1 - 1)} should apply activation={act!r}; yours " \
                    "applies none"  # fmt: skip
            else:
                text = f"the activation {act!r}{after} is missing"
            fail(exercise, f"{text} {counts}.", setting_hint("Activation", "activation", act))
        more = f" ({len(missing)} layers: {_kinds(missing)})" if len(missing) > 1 else ""
        fail(
            exercise,
            f"{where(want_rows, i1)} is missing{more} {counts}.",
            "print model.summary() and compare it with the exercise's description.",
        )
    if tag == "insert":
        after = f" after {where(want_rows, i1 - 1, False)}" if i1 else " before the first layer"
        more = f" ({len(extra)} extra layers there: {_kinds(extra)})" if len(extra) > 1 else ""
        name = f" {extra[0]['name']!r}" if extra[0].get("name") else ""
        if extra[0].get("fused"):
            act = extra[0]["config"]["activation"]
            fail(
                exercise,
                f"{where(got_rows, j1 - 1, yours=True)} applies activation={act!r}, which "
                f"the exercise does not have there {counts}.",
                f"create it without activation= (or with activation={None!r}).",
            )
        fail(
            exercise,
            f"an extra {extra[0]['kind']}{name}{after}{more} {counts}.",
            "remove what the exercise does not have; compare model.summary() with its "
            "description.",
        )
    # replace
    if len(missing) == 1 and len(extra) == 1:
        fail(
            exercise,
            f"{where(want_rows, i1)}: expected {article(missing[0]['kind'])} here, found "
            f"{article(extra[0]['kind'])}.",
            "layers must come in the lecture's order; print model.summary() to compare.",
        )
    fail(
        exercise,
        f"from {where(want_rows, i1)} on, the layers differ: expected {_kinds(missing)}, "
        f"found {_kinds(extra)} {counts}.",
        "layers must come in the lecture's order; print model.summary() to compare.",
    )


def _token(row: dict) -> str:
    """What the alignment matches on: the kind, and a convolution's or pool's window (so
    that a missing 1x1 convolution is told from a missing 5x5 one)."""
    window = row["config"].get("kernel_size") or row["config"].get("pool_size")
    return f"{row['kind']}{window or ''}"


def _aligned(want_rows: list[dict], got_rows: list[dict]) -> list[tuple]:
    """Opcodes (difflib's form: ``(tag, i1, i2, j1, j2)``) from the reference's rows to
    the student's, by a longest common subsequence of their tokens (:func:`_token`) that matches as
    early as it can: where models differ, what comes before the difference lines up, as
    a student reading two summaries side by side lines them up. A deleted run next to
    an inserted one is a ``replace``; a replaced run of the same kinds (a window of
    another size) is ``equal``: its settings are compared after, where the message can
    name the setting."""
    want, got = [_token(r) for r in want_rows], [_token(r) for r in got_rows]
    n, m = len(want), len(got)
    # suffix[i][j]: the longest common subsequence of want[i:] and got[j:]
    suffix = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, below = suffix[i], suffix[i + 1]
        for j in range(m - 1, -1, -1):
            row[j] = below[j + 1] + 1 if want[i] == got[j] else max(below[j], row[j + 1])
    steps, i, j = [], 0, 0
    while i < n or j < m:
        if i < n and j < m and want[i] == got[j] and suffix[i][j] == suffix[i + 1][j + 1] + 1:
            steps.append("equal")
            i, j = i + 1, j + 1
        elif j < m and (i == n or suffix[i][j + 1] >= suffix[i + 1][j]):
            steps.append("insert")  # extra in the student's model
            j += 1
        else:
            steps.append("delete")  # missing from it
            i += 1
    opcodes, i, j = [], 0, 0
    for tag, run in groupby(steps):
        count = len(list(run))
        di, dj = (
            (count, count) if tag == "equal" else (count, 0) if tag == "delete" else (0, count)
        )
        if opcodes and {opcodes[-1][0], tag} == {"delete", "insert"}:
            last = opcodes.pop()
            opcodes.append(["replace", last[1], i + di, last[3], j + dj])
        else:
            opcodes.append([tag, i, i + di, j, j + dj])
        i, j = i + di, j + dj
    for op in opcodes:
        tag, i1, i2, j1, j2 = op
        if tag == "replace" and [r["kind"] for r in want_rows[i1:i2]] == [
            r["kind"] for r in got_rows[j1:j2]
        ]:
            op[0] = "equal"
    return [tuple(op) for op in opcodes]


def _moved(tag, i1, i2, j1, j2, want_rows, got_rows, opcodes) -> str:
    """'an Activation in another place: ...' where the layers missing at one place are
    the layers extra at another, else ''."""
    if tag not in ("insert", "delete"):
        return ""
    rows = got_rows[j1:j2] if tag == "insert" else want_rows[i1:i2]
    kinds = [r["kind"] for r in rows]
    for t, a1, a2, b1, b2 in opcodes:
        if t != ("delete" if tag == "insert" else "insert"):
            continue
        other = want_rows[a1:a2] if t == "delete" else got_rows[b1:b2]
        if [r["kind"] for r in other] != kinds:
            continue
        ref_at, your_at = (a1, j1) if tag == "insert" else (i1, b1)
        what = kinds[0] if len(kinds) == 1 else f"the layers {', '.join(kinds)}"
        article_what = article(what) if len(kinds) == 1 else what
        theirs = f"after {where(want_rows, ref_at - 1, False)}" if ref_at else "first"
        yours = f"after {where(got_rows, your_at - 1, False)}" if your_at else "first"
        return (
            f"{article_what} in another place: the exercise has it {theirs}, yours has it {yours}"
        )
    return ""


def _setting_failure(i: int, key: str, want_rows, got_rows, exercise: str, shapes: str = ""):
    w, g = want_rows[i], got_rows[i]
    want_value, got_value = w["config"].get(key), g["config"].get(key)
    what = "the activation" if w["type"] == "Activation" else key
    text = f"{where(want_rows, i)}: {what} should be {want_value!r}, found {got_value!r}"
    fail(exercise, text + shapes + ".", setting_hint(w["type"], key, want_value))


def judge_model(got: dict, want: dict, exercise: str) -> None:
    """Compare two :func:`describe` results by what they compute; raise
    :class:`CheckFailure` at the first difference that matters.

    1. the input shape; branches concatenated in another order;
    2. the layers, aligned as sequences (difflib): a missing, extra or other layer is
       said where it is ('the 3rd Conv2D (after the 1st MaxPooling2D) is missing');
    3. layer by layer: settings that act only in training (a Dropout's rate) must be the
       reference's; output shapes and parameter counts must be (a setting that differs
       before a shape does is named as the cause);
    4. the output for the same seeded weights and input. When it is the reference's, a
       setting that differs (an AveragePooling2D's padding on a map where 'same' and
       'valid' compute the same) is not a mistake; when it is not, the first differing
       setting is named, else the wiring.

    Names never decide: they only help a message point."""
    got_rows, want_rows = got["layers"], want["layers"]
    _judge_inputs(got, want, exercise)
    _judge_concatenates(got_rows, want_rows, exercise)
    opcodes = _aligned(want_rows, got_rows)
    for tag, i1, i2, j1, j2 in opcodes:
        if tag != "equal":
            _structure_failure(tag, i1, i2, j1, j2, want_rows, got_rows, exercise, opcodes)
    differs = None  # (row, key) of the first setting that differs
    for i, (w, g) in enumerate(zip(want_rows, got_rows, strict=True)):
        for key in TRAINING_ONLY.get(w["type"], ()):
            if g["config"].get(key) != w["config"].get(key):
                _setting_failure(i, key, want_rows, got_rows, exercise)
        if differs is None:
            key = next((k for k in w["config"] if g["config"].get(k) != w["config"][k]), None)
            differs = (i, key) if key else None
        if g["output_shape"] != w["output_shape"]:
            shapes = (
                f" (its output is {_shape(g['output_shape'])}, the exercise's "
                f"{_shape(w['output_shape'])})"
            )
            if differs is not None:
                _setting_failure(*differs, want_rows, got_rows, exercise, shapes)
            fail(
                exercise,
                f"{where(want_rows, i)}: output shape should be {_shape(w['output_shape'])}, "
                f"found {_shape(g['output_shape'])}.",
                "check the padding and strides of the layers up to this one.",
            )
        if g["params"] != w["params"]:
            if differs is not None:
                _setting_failure(*differs, want_rows, got_rows, exercise)
            fail(
                exercise,
                f"{where(want_rows, i)}: {w['params']:,} parameters expected, found "
                f"{g['params']:,}.",
            )
    out = np.asarray(got["output"], dtype="float64")
    if out.shape == np.shape(want["output"]) and np.allclose(
        out, want["output"], rtol=1e-4, atol=1e-5
    ):
        return  # it computes what the reference computes
    if differs is not None:
        _setting_failure(*differs, want_rows, got_rows, exercise)
    fail(
        exercise,
        "every layer matches, but with the same weights your model computes "
        f"{np.ravel(out)[:2]} where the reference computes {np.ravel(want['output'])[:2]}.",
        "the layers may be connected differently: check which tensor each layer (and "
        "each Add) takes as its input; or a setting the check does not list differs from "
        "the exercise's (a BatchNormalization's epsilon, say): leave those at Keras' "
        "defaults unless the exercise gives them.",
    )


def check_model(
    build, key: str, exercise: str, input_shape=(64, 64, 3), hints=None, api: str = ""
):
    """Build the student's model with ``build(input_shape)`` and compare it with the
    expected value of ``key`` (:func:`judge_model`). ``hints``: an exercise's own hints
    for errors its building may raise (:func:`build_failure_hint`); ``api``: where the
    lesson is the API, ``"Functional"`` or ``"Sequential"`` (:func:`judge_api`). Returns
    the student's model."""
    want = expected(key)
    model = build_model(build, exercise, input_shape, hints)
    if not same_computation(model, want):
        judge_model(describe(model, exercise), want, exercise)
    if api:
        judge_api(type(model).__name__, api, exercise)
    return model


def block_model(block, input_shape, *args, **kwargs):
    """Wrap a block function (tensor -> tensor) into a keras.Model on ``input_shape``."""
    import keras

    X_input = keras.Input(input_shape)
    return keras.Model(X_input, block(X_input, *args, **kwargs))


def judge_block(got: dict, want: dict, exercise: str) -> None:
    """:func:`judge_model` for a residual block, after checking that its output is never
    negative (the block ends with a ReLU after the addition)."""
    out = np.asarray(got["output"], dtype="float64")
    if out.size and out.min() < 0:
        fail(
            exercise,
            f"the block's output has negative values (as low as {out.min():.3f}); a "
            "block ends with a ReLU, so its output is never negative.",
            "add the shortcut first, then apply the final Activation('relu') to the sum.",
        )
    judge_model(got, want, exercise)


def check_block(block, key: str, exercise: str, input_shape, *args, **kwargs):
    """Check a residual block: wrap ``block(X, *args, **kwargs)`` on ``input_shape``
    into a model and compare it with the reference (:func:`judge_block`). Returns the
    model."""
    want = expected(key)

    def build(shape):
        return block_model(block, shape, *args, **kwargs)

    model = build_model(build, exercise, input_shape)
    if not same_computation(model, want):
        judge_block(describe(model, exercise), want, exercise)
    return model
