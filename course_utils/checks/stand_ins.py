"""Stand-ins: correct versions of the helpers an exercise builds on, so that the
exercise is graded on its own and a mistake in an earlier one costs its points once.

None of them is an answer to the exercise it stands in for:

- ``conv_output_shape`` counts with ``course_utils.cost`` (the formula the exercise
  states), and refuses to run outside :func:`with_correct`;
- ``identity_block``, ``convolutional_block`` and ``inception_module`` add one
  :class:`StandIn` layer: an opaque block with the right output shape and a fixed,
  weightless computation, so that the network around it (ResNet-50, the small inception
  network) is compared on its own layers, and the block's own layers are not in it;
- ``ten_crop`` returns the crops the check (or the trusted checker) knows for the
  images it asks about (:func:`remember`), and the student's own function otherwise.

Example (a test cell)::

    with with_correct(ResNet50, "identity_block", "convolutional_block"):
        check_model(ResNet50, "residual_networks.ResNet50", "Exercise 4 - ResNet50")
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from ..guard import fail, running_exercise, standing_in

_active: list[tuple] = []  # the names with_correct replaces now (innermost last)
_memo: dict[str, list[tuple[tuple, object]]] = {}  # name -> [(arguments, result)]


# --------------------------------------------------------------------------- formula
def _conv_output_shape(input_shape, filters, f, s=1, padding="valid"):
    from ..cost import conv2d

    if not _active:
        fail(
            running_exercise() or "conv_output_shape",
            "the grader's stand-in for conv_output_shape is not an answer; that earns no points.",
        )
    with standing_in("conv_output_shape"):
        return conv2d(input_shape, filters, f, s, padding).output_shape


# --------------------------------------------------------------------------- blocks
def _channel_map(n_in: int, n_out: int) -> np.ndarray:
    """A fixed (n_in, n_out) matrix, the same on every machine (numpy's seeded PCG64):
    every output channel a different mix of the inputs, scaled by 1 / sqrt(n_in) so that
    the signal neither grows nor fades through a stack of blocks."""
    rng = np.random.default_rng(1_000_003 * n_in + n_out)
    return (rng.standard_normal((n_in, n_out)) / math.sqrt(max(n_in, 1))).astype("float32")


def _stand_in_layer_class():
    import keras

    @keras.saving.register_keras_serializable(package="course_utils")
    class StandIn(keras.layers.Layer):
        """An opaque block: ``function(X, **arguments)`` as one weightless layer.

        Output: (m, ceil(n_H / s), ceil(n_W / s), channels): with ``Xs = X[:, ::s, ::s]``
        and ``M`` a fixed channel map, ``relu(Xs + Xs @ M / 2)`` where the channels stay
        the same (a residual block's shortcut keeps the input's signal, however deep the
        network), ``relu(Xs @ M)`` where they change. ``channels`` is what the block's
        ``filters`` say (F3, or the sum of an inception module's branches)."""

        def __init__(self, function, arguments, channels, strides=1, **kwargs):
            super().__init__(**kwargs)
            self.function = function
            self.arguments = dict(arguments)
            self.channels = int(channels)
            self.strides = int(strides)

        def build(self, input_shape):
            self.mix = _channel_map(int(input_shape[-1]), self.channels)

        def compute_output_shape(self, input_shape):
            s = self.strides
            h, w = input_shape[1], input_shape[2]
            return (
                input_shape[0],
                None if h is None else -(-h // s),
                None if w is None else -(-w // s),
                self.channels,
            )

        def call(self, X):
            from keras import ops

            X = X[:, :: self.strides, :: self.strides, :]
            mixed = ops.tensordot(X, ops.convert_to_tensor(self.mix), axes=1)
            if X.shape[-1] == self.channels:
                return ops.relu(X + 0.5 * mixed)
            return ops.relu(mixed)

        def get_config(self):
            return {
                **super().get_config(),
                "function": self.function,
                "arguments": self.arguments,
                "channels": self.channels,
                "strides": self.strides,
            }

    return StandIn


_classes: dict[str, type] = {}


def stand_in_layer():
    """The :class:`StandIn` layer class (made on first use: it needs Keras)."""
    if "StandIn" not in _classes:
        _classes["StandIn"] = _stand_in_layer_class()
    return _classes["StandIn"]


def _plain_filters(filters):
    return [int(v) for v in filters]


def _named(name) -> dict:
    """``{"name": name}``, or nothing for the blocks' default name: a network whose code
    does not name its blocks stacks many, and Keras refuses one name used twice."""
    return {} if name in (None, "block") else {"name": name}


def _identity_block(X, f, filters, name="block"):
    return stand_in_layer()(
        "identity_block", {"f": int(f), "filters": _plain_filters(filters)},
        channels=filters[-1], **_named(name),
    )(X)  # fmt: skip


def _convolutional_block(X, f, filters, s=2, name="block"):
    return stand_in_layer()(
        "convolutional_block", {"f": int(f), "filters": _plain_filters(filters), "s": int(s)},
        channels=filters[-1], strides=s, **_named(name),
    )(X)  # fmt: skip


def _inception_module(X, filters, name):
    n1x1, _, n3x3, _, n5x5, pool_proj = filters
    return stand_in_layer()(
        "inception_module", {"filters": _plain_filters(filters)},
        channels=n1x1 + n3x3 + n5x5 + pool_proj, **_named(name),
    )(X)  # fmt: skip


# --------------------------------------------------------------------------- memo
def remember(name: str, args: tuple, result) -> None:
    """From now on the stand-in for ``name`` answers ``args`` with ``result``."""
    _memo.setdefault(name, []).append((tuple(args), result))


def forget(name: str | None = None) -> None:
    """Drop what :func:`remember` stored (for ``name``, or all)."""
    if name is None:
        _memo.clear()
    else:
        _memo.pop(name, None)


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        try:
            a, b = np.asarray(a), np.asarray(b)
        except (TypeError, ValueError):
            return False
        return a.shape == b.shape and bool(np.array_equal(a, b))
    return type(a) is type(b) and a == b


def _memo_stand_in(name: str, own):
    parameters = MEMO_STAND_INS[name]

    def stand_in(*args, **kwargs):
        given = list(args) + [kwargs[p] for p in parameters[len(args) :] if p in kwargs]
        for known, result in _memo.get(name, []):
            if len(known) == len(given) and all(
                _same(a, b) for a, b in zip(known, given, strict=True)
            ):
                return np.array(result, copy=True)
        if own is None:
            fail(
                running_exercise() or name,
                f"your code calls {name}() on arguments the check does not know, and there "
                f"is no {name} of yours to fall back on.",
            )
        return own(*args, **kwargs)

    stand_in.__name__ = name
    return stand_in


STAND_INS = {
    "conv_output_shape": _conv_output_shape,
    "identity_block": _identity_block,
    "convolutional_block": _convolutional_block,
    "inception_module": _inception_module,
}
# stand-ins that answer from what they were told, and their parameters' names
MEMO_STAND_INS = {"ten_crop": ("images", "crop_size")}


@contextlib.contextmanager
def with_correct(function, *names: str):
    """Within the block, the helpers ``names`` that ``function`` finds in its module or
    notebook are stand-ins (see the module's docstring); unknown names are left alone."""
    names = tuple(n for n in names if n in STAND_INS or n in MEMO_STAND_INS)
    namespace = function.__globals__
    saved = {name: namespace[name] for name in names if name in namespace}
    replacements = {
        name: STAND_INS[name] if name in STAND_INS else _memo_stand_in(name, saved.get(name))
        for name in names
    }
    try:
        namespace.update(replacements)
        _active.append(names)
        yield
    finally:
        _active.pop()
        for name in names:
            namespace.pop(name, None)
        namespace.update(saved)
