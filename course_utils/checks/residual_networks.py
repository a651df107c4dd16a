"""Checks of assignment 3, residual networks: the gradient-norm measurement.

(The blocks and ResNet-50 are model checks: :mod:`course_utils.checks.models`.)
"""

from __future__ import annotations

import numpy as np

from ..guard import fail, student_code
from .expected_values import expected


def gradient_probe():
    """A small fixed model and batch to check gradient code on: two conv-BN-ReLU layers
    and a softmax, weights drawn from a seeded stream. Returns (model, X (4, 8, 8, 3),
    Y one-hot (4, 3))."""
    import keras
    from keras import layers

    X_input = keras.Input((8, 8, 3))
    X = layers.Conv2D(4, (3, 3), padding="same", name="conv_a")(X_input)
    X = layers.BatchNormalization(axis=3, name="bn_a")(X)
    X = layers.Activation("relu")(X)
    X = layers.Conv2D(4, (3, 3), strides=(2, 2), padding="same", name="conv_b")(X)
    X = layers.BatchNormalization(axis=3, name="bn_b")(X)
    X = layers.Activation("relu")(X)
    X = layers.Flatten()(X)
    X = layers.Dense(3, activation="softmax", name="fc")(X)
    model = keras.Model(X_input, X, name="probe")
    rng = np.random.default_rng(7)
    model.set_weights(
        [
            np.abs(w) + 0.5 if v.path.endswith("moving_variance") else w
            for w, v in zip(
                [
                    rng.uniform(-0.5, 0.5, size=w.shape).astype(w.dtype)
                    for w in model.get_weights()
                ],
                model.weights,
                strict=True,
            )
        ]
    )
    X = rng.uniform(0, 1, size=(4, 8, 8, 3)).astype("float32")
    Y = np.eye(3, dtype="float32")[[0, 1, 2, 1]]
    return model, X, Y


def check_gradient_norms(function, key: str, exercise: str):
    """Run the student's ``function(model, X, Y)`` on :func:`gradient_probe` and compare
    the {layer name: gradient norm} it returns with the reference's."""
    want = expected(key)
    model, X, Y = gradient_probe()
    with student_code(exercise):
        got = function(model, X, Y)
    judge_gradient_norms(got, want, len(X), exercise)
    return got


def judge_gradient_norms(got, want: dict, batch_size: int, exercise: str) -> None:
    """Fail unless ``got`` is ``{layer name: norm}`` as ``want`` (for a batch of
    ``batch_size``), naming the first layer that differs."""
    if not isinstance(got, dict):
        fail(
            exercise,
            f"expected a dict {{layer name: norm}}, found {type(got).__name__}.",
            "return {layer.name: float(norm) for ...}.",
        )
    if list(got) != list(want):
        fail(
            exercise,
            f"expected the layers {list(want)} (every layer with a kernel, in the model's "
            f"order), found {list(got)}.",
            "loop over model.layers and keep those with a `kernel` attribute.",
        )
    found = {}
    for name in want:
        try:
            found[name] = float(got[name])
        except (TypeError, ValueError):
            fail(exercise, f"the norm for {name!r} should be a number, found {got[name]!r}.")
    ratios = [found[name] / value for name, value in want.items() if value]
    for name, value in want.items():
        if not np.isclose(found[name], value, rtol=1e-3, atol=1e-7):
            hint = (
                "the L2 norm of the gradient of the mean loss w.r.t. layer.kernel, with the "
                "model called as in a training step: model(X, training=True)."
            )
            if np.allclose(ratios, batch_size, rtol=1e-3):
                hint = f"every norm is {batch_size}x too large: average the loss over the " \
                    "batch, do not sum it."  # fmt: skip
            fail(
                exercise,
                f"layer {name!r}: the gradient norm should be {value:.6g}, "
                f"found {found[name]:.6g}.",
                hint,
            )


# correct stand-ins for helpers an exercise builds on, so that it is graded on its own


# the build errors of the usual ResNet-50 mistakes, and what to do
RESNET_HINTS = {
    "zero or negative": "height and width shrank to nothing before the average pool: "
    "stage 2 keeps stride 1 (the max pool has already halved the map), stages 3, 4 and 5 "
    "use s=2.",
}


def judge_resnet(got: dict, want: dict, exercise: str, stages) -> None:
    """:func:`~course_utils.checks.models.judge_model`, and where blocks are missing or
    extra with other ``stages`` than (3, 4, 6, 3), the hint that the lesson is
    ``stages``."""
    from ..guard import CheckFailure
    from .models import judge_model

    try:
        judge_model(got, want, exercise)
    except CheckFailure as exc:
        text = str(exc)
        blocks = ("identity_block" in text or "convolutional_block" in text) and (
            "missing" in text or "extra" in text
        )
        if tuple(stages) == (3, 4, 6, 3) or not blocks:
            raise
        raise CheckFailure(
            text.split("\n  Hint:")[0] + f"\n  Hint: stages={tuple(stages)} asks for that "
            "many blocks in each stage: use `stages` for the number of blocks per stage, "
            "not ResNet-50's (3, 4, 6, 3) written in."
        ) from None


def check_resnet(ResNet50, key: str, exercise: str, input_shape=(64, 64, 3), **kwargs):  # noqa: N803
    """Build ``ResNet50(input_shape, **kwargs)`` and compare it with the expected value of
    ``key`` (:func:`judge_resnet`). Returns the model."""
    from .models import build_model, describe

    want = expected(key)
    model = build_model(
        lambda shape: ResNet50(shape, **kwargs), exercise, input_shape, RESNET_HINTS
    )
    judge_resnet(describe(model, exercise), want, exercise, kwargs.get("stages", (3, 4, 6, 3)))
    return model
