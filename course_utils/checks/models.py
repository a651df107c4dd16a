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

import numpy as np

from ..guard import CheckFailure, fail, first_line, student_code
from .expected_values import expected
from .layers import CONCATENATE_HINT, HINTS, layer_table, seeded_output
from .plain import article


def build_model(build, exercise: str, input_shape):
    """``build(input_shape)`` as student code: the keras.Model it returns, or a
    :class:`CheckFailure` that says what went wrong."""
    import keras

    with student_code(exercise):
        try:
            model = build(input_shape)
        except (CheckFailure, NotImplementedError):
            raise
        except Exception as exc:  # noqa: BLE001 - any error building it is the answer's
            fail(
                exercise,
                f"building it raised {type(exc).__name__}: {first_line(exc)}",
                CONCATENATE_HINT
                if "Concatenate" in str(exc)
                else "the shapes of two tensors you combine (or a layer's settings) do not "
                "match; print the shape of each tensor as you go.",
            )
    if not isinstance(model, keras.Model):
        fail(
            exercise,
            f"expected a keras.Model, got {type(model).__name__}.",
            "return the model you built, e.g. `return model`.",
        )
    return model


def describe(model, exercise: str, restore: bool = True) -> dict:
    """``{"layers": layer_table(model), "output": seeded_output(model)}``, or a
    :class:`CheckFailure` for a model without a defined input. ``restore=False``: the
    model is thrown away after, its weights need not be kept."""
    try:
        layers = layer_table(model)
    except (AttributeError, ValueError) as exc:
        fail(
            exercise,
            f"the model has no defined input, so its layers have no shapes ({exc}).",
            "start the model from keras.Input(input_shape).",
        )
    return {"layers": layers, "output": seeded_output(model, restore=restore)}


def _compare_names(want: list[dict], got: list[dict], exercise: str) -> None:
    """Where the exercise names its layers (a residual block, ResNet-50), say which
    named layer is missing or extra before comparing position by position."""
    named = [row for row in want if row["name"]]
    if len(named) < 3:
        return
    have = {row["name"] for row in got if row["name"]}
    for row in named:
        if row["name"] not in have:
            fail(
                exercise,
                f"no layer named {row['name']!r} (a {row['type']} with output shape "
                f"{tuple(row['output_shape'])}).",
                "the exercise names this layer; pass name=... when you create it, and check "
                "that no layer is missing.",
            )
    expected_names = {row["name"] for row in named}
    unnamed_types = {row["type"] for row in want if not row["name"]}
    for row in got:
        # a name on a layer the exercise leaves unnamed (a Flatten, say) is fine
        if row["name"] and row["name"] not in expected_names and row["type"] not in unnamed_types:
            fail(
                exercise,
                f"an extra layer {row['name']!r} ({row['type']}) that the exercise does not have.",
                "remove it; compare your model.summary() with the description above.",
            )


def judge_model(got: dict, want: dict, exercise: str) -> None:
    """Compare two :func:`describe` results; raise :class:`CheckFailure` at the first
    difference: a missing or extra layer, a layer of another type, name, output shape,
    parameter count or key setting, or (all that equal) a different output for the same
    weights and input."""
    got_layers, want_layers = got["layers"], want["layers"]
    _compare_names(want_layers, got_layers, exercise)
    for i, (w, g) in enumerate(zip(want_layers, got_layers, strict=False)):
        where = f"layer {i + 1} ({w['type']}{' ' + repr(w['name']) if w['name'] else ''})"
        if g["type"] != w["type"]:
            fail(
                exercise,
                f"{where}: expected {article(w['type'])} layer here, found {g['type']}.",
                "layers must come in the lecture's order; print model.summary() to compare.",
            )
        if w["name"] and g["name"] != w["name"]:
            fail(
                exercise,
                f"{where}: expected the name {w['name']!r}, found {g['name']!r}.",
                f"pass name={w['name']!r} when you create the layer.",
            )
        for k, value in w["config"].items():
            if g["config"].get(k) != value:
                fail(
                    exercise,
                    f"{where}: {k} should be {value!r}, found {g['config'].get(k)!r}.",
                    HINTS.get((w["type"], k), HINTS.get(k, "")),
                )
        if g["output_shape"] != w["output_shape"]:
            fail(
                exercise,
                f"{where}: output shape should be (None, "
                f"{', '.join(map(str, w['output_shape']))}), found (None, "
                f"{', '.join(map(str, g['output_shape']))}).",
                "check the padding and strides of the layers before this one.",
            )
        if g["params"] != w["params"]:
            fail(exercise, f"{where}: {w['params']:,} parameters expected, found {g['params']:,}.")
    if len(got_layers) != len(want_layers):
        extra = len(got_layers) > len(want_layers)
        i = len(want_layers) if extra else len(got_layers)
        row = (got_layers if extra else want_layers)[i]
        fail(
            exercise,
            f"{'an extra' if extra else 'a missing'} layer {i + 1}: {row['type']} "
            f"({len(got_layers)} layers found, {len(want_layers)} expected).",
            "print model.summary() and compare it with the exercise's description.",
        )
    out = np.asarray(got["output"], dtype="float64")
    if out.shape != np.shape(want["output"]) or not np.allclose(
        out, want["output"], rtol=1e-4, atol=1e-5
    ):
        fail(
            exercise,
            "every layer matches, but with the same weights your model computes "
            f"{np.ravel(out)[:2]} where the reference computes {np.ravel(want['output'])[:2]}.",
            "the layers may be connected differently: check which tensor each layer (and "
            "each Add) takes as its input.",
        )


def check_model(build, key: str, exercise: str, input_shape=(64, 64, 3)):
    """Build the student's model with ``build(input_shape)`` and compare it with the
    expected value of ``key`` (:func:`judge_model`). Returns the student's model."""
    want = expected(key)
    model = build_model(build, exercise, input_shape)
    judge_model(describe(model, exercise), want, exercise)
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
    judge_block(describe(model, exercise), want, exercise)
    return model
