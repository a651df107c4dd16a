"""Checks of assignment 4, inception: the 1x1 convolution in numpy, against Keras.

(The module and the small network are model checks: :mod:`course_utils.checks.models`;
the bottleneck's cost is a value check.)
"""

from __future__ import annotations

import numpy as np

from ..guard import fail
from .calls import call_student


def conv1x1_case(index: int, shape: tuple):
    """Seeded inputs of one conv1x1 case and Keras' own answer: (X, W, b, want,
    no_bias), ``shape`` = (m, n_H, n_W, n_C, n_C'); ``no_bias``: Keras' output with the
    bias left out (to recognise a forgotten bias)."""
    import keras

    m, n_H, n_W, n_C, n_C2 = shape
    rng = np.random.default_rng(100 + index)
    X = rng.normal(size=(m, n_H, n_W, n_C)).astype("float32")
    W = rng.normal(size=(n_C, n_C2)).astype("float32")
    b = rng.normal(size=(n_C2,)).astype("float32")
    conv = keras.layers.Conv2D(n_C2, 1, activation="relu")
    conv.build(X.shape)
    conv.set_weights([W.reshape(1, 1, n_C, n_C2), np.zeros_like(b)])
    no_bias = np.asarray(conv(X))
    conv.set_weights([W.reshape(1, 1, n_C, n_C2), b])
    return X, W, b, np.asarray(conv(X)), no_bias


def conv1x1_call(X, W, b) -> str:
    return f"conv1x1(X of shape {X.shape}, W of shape {W.shape}, b of shape {b.shape})"


def judge_conv1x1(got, want, no_bias, exercise: str, call: str) -> None:
    """Fail unless ``got`` is Keras' 1x1 convolution ``want``, naming the mistake."""
    got = np.asarray(got, dtype="float64")
    if got.shape != want.shape:
        fail(
            exercise,
            f"{call} should return shape {want.shape}, found {got.shape}.",
            "contract X's channel axis (axis 3) with W's first axis: the result keeps "
            "(m, n_H, n_W) and has W.shape[1] channels.",
        )
    if not np.allclose(got, want, atol=1e-4):
        if got.min() < 0:
            hint = "a ReLU follows the 1x1 convolution: its output is never negative."
        elif np.allclose(got, no_bias, atol=1e-4):
            hint = "add the bias b (one per output channel) before the ReLU."
        else:
            hint = (
                "output[i, h, w, c] = ReLU(sum over k of X[i, h, w, k] * W[k, c] + b[c]): "
                "one fully connected layer, applied at every position."
            )
        where = tuple(int(v) for v in np.unravel_index(np.abs(got - want).argmax(), want.shape))
        fail(
            exercise,
            f"{call}: at {where} expected {want[where]:.4f}, found {got[where]:.4f}.",
            hint,
        )


CONV1X1_SHAPES = ((2, 4, 4, 3, 5), (1, 3, 5, 8, 2))  # the public cases


def check_conv1x1(function, exercise: str, shapes=CONV1X1_SHAPES):
    """Compare the student's numpy ``function(X, W, b)`` with Keras' own 1x1
    ``Conv2D(..., activation="relu")`` holding the same weights, on seeded inputs of
    each (m, n_H, n_W, n_C, n_C') in ``shapes``. Keras is the reference here, computed
    live. Returns the number of cases."""
    for i, shape in enumerate(shapes):
        X, W, b, want, no_bias = conv1x1_case(i, shape)
        call = conv1x1_call(X, W, b)
        hint = (
            "W has shape (n_C, n_C'): multiply along X's last axis (its n_C channels) and "
            "W's first axis."
        )
        got = call_student(exercise, call, function, X.copy(), W.copy(), b.copy(), hint=hint)
        judge_conv1x1(got, want, no_bias, exercise, call)
    return len(shapes)
