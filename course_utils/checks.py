"""What the notebooks' test cells call: checks that say what is wrong and where.

Expected values come from the reference solutions (``course_utils.reference``), computed
at check time wherever the reference is present (instructor, CI), so a new Keras cannot
silently break a check. Where it is absent (a student bundle), they come from
``course_utils/recorded/<assignment>.json``, recorded from the same reference when the
assignment is released and tagged with the library versions that produced them.

A failing check raises :class:`CheckFailure` (an ``AssertionError``, so nbgrader scores
the cell 0) whose message names the exercise, the layer or value, what was expected,
what was found, and one hint.

Example (a test cell)::

    from course_utils.checks import check_model
    check_model(HappyModel((64, 64, 3)), "keras_tutorial.HappyModel", "Exercise 1 - HappyModel")
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import numpy as np

RECORDED = Path(__file__).resolve().parent / "recorded"

# the configuration that matters, per layer type, and a hint for each
KEY_CONFIG = {
    "Conv2D": (
        "filters",
        "kernel_size",
        "strides",
        "padding",
        "groups",
        "activation",
        "use_bias",
    ),
    "Dense": ("units", "activation", "use_bias"),
    "BatchNormalization": ("axis",),
    "Activation": ("activation",),
    "MaxPooling2D": ("pool_size", "strides", "padding"),
    "AveragePooling2D": ("pool_size", "strides", "padding"),
    "ZeroPadding2D": ("padding",),
    "Concatenate": ("axis", "inputs"),  # inputs: the layers joined, in order
    "Dropout": ("rate",),
    "RandomFlip": ("mode",),
    "RandomRotation": ("factor",),
    "RandomZoom": ("height_factor", "width_factor"),
    "RandomContrast": ("factor",),
}
HINTS = {
    "padding": "'valid' adds no border (the output shrinks), 'same' keeps height and width.",
    "axis": "BatchNormalization normalises each channel: with (m, n_H, n_W, n_C) inputs that "
    "is axis=3 (or -1).",
    "activation": "check the activation argument of this layer (activation='relu' in a "
    "hidden layer; 'sigmoid' or 'softmax' at the output, as the exercise says).",
    "kernel_size": "the filter size f is the second argument, as a tuple (f, f).",
    "strides": "strides=(s, s) moves the filter s pixels at a time.",
    "filters": "the number of filters is the number of output channels.",
    "units": "units is the number of neurons of the Dense layer.",
    "pool_size": "pool_size=(2, 2) halves height and width.",
    "groups": "groups=g splits the input channels and the filters into g independent "
    "groups (AlexNet's two GPUs: g=2); leave it at 1 unless the exercise says otherwise.",
    "use_bias": "every layer here has biases (use_bias=True, the default).",
    "rate": "the rate is the fraction of units dropped, as the exercise gives it.",
    "mode": 'mirror left to right: RandomFlip("horizontal") (a hand upside down is not a sign).',
    "factor": "pass the function's argument as the layer's factor.",
    "height_factor": "pass the function's argument as RandomZoom's factor.",
    ("Concatenate", "axis"): "join the branches along the channels: axis=-1 (or 3).",
    ("Concatenate", "inputs"): "list the tensors in Concatenate()([...]) in the order the "
    "exercise gives; the order decides which channels hold which branch.",
}
CONCATENATE_HINT = (
    "the tensors you concatenate must match in every axis but the one they are joined on: "
    "join along the channels (axis=-1), and keep each branch's height and width ('same' "
    "padding, stride 1)."
)


class CheckFailure(AssertionError):
    """A check failed; the message says where, what was expected, what was found, and a hint."""


def _a(word: str) -> str:
    return ("an " if word[:1].upper() in "AEIOU" else "a ") + word


def _first_line(exc: BaseException) -> str:
    """The line of an error message that says what went wrong (Keras puts "Exception
    encountered when calling ..." first, and colours the rest)."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith("Exception encountered")]
    return (useful or lines or [""])[0][:300]


def _fail(exercise: str, text: str, hint: str = "") -> None:
    message = f"{exercise}: {text}"
    if hint:
        message += f"\n  Hint: {hint}"
    raise CheckFailure(message)


# --------------------------------------------------------------------------- expected values
def _versions() -> dict:
    import keras

    versions = {"keras": keras.__version__, "numpy": np.__version__}
    try:
        import tensorflow as tf

        versions["tensorflow"] = tf.__version__
    except ImportError:  # pragma: no cover - another Keras backend
        pass
    return versions


def reference_available() -> bool:
    """True where the instructor-only reference solutions are installed."""
    try:
        import course_utils.reference  # noqa: F401
    except ImportError:
        return False
    return True


def compute_expected(key: str):
    """The expected value of ``key`` computed live from the reference (JSON-able)."""
    from course_utils import reference

    if key in reference.BUILDERS:
        model = reference.BUILDERS[key]()
        return {"layers": layer_table(model), "output": seeded_output(model)}
    if key in reference.VALUES:
        return _jsonable(reference.VALUES[key]())
    if key in reference.MEASURED:
        return _jsonable(reference.MEASURED[key]())
    raise KeyError(f"no reference for check {key!r}")


def expected(key: str):
    """The expected value of ``key``: live from the reference if present, else recorded.

    Measured values (a training run) are always read from the recorded file."""
    if reference_available():
        from course_utils import reference

        if key in reference.BUILDERS or key in reference.VALUES:
            return compute_expected(key)
    assignment = key.split(".")[0]
    path = RECORDED / f"{assignment}.json"
    try:
        data = json.loads(path.read_text())
        return data["values"][key]
    except (OSError, ValueError, KeyError) as exc:
        raise CheckFailure(
            f"the expected values for {key!r} are missing ({path}: {exc}); this copy of the "
            "course is incomplete - ask your instructor for a fresh release."
        ) from exc


def record(assignment: str, keys: list[str], folder: Path = RECORDED) -> Path:
    """Write the expected values of ``keys`` (from the reference) for a student release."""
    values = {key: compute_expected(key) for key in keys}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{assignment}.json"
    payload = {"recorded_with": _versions(), "values": values}
    tmp = path.with_suffix(".json.part")
    tmp.write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n")
    tmp.replace(path)
    return path


_PLAIN = (int, float, str, bool, type(None))


def _jsonable(value):
    """``value`` as plain data - lists, dicts with string keys, and the exact types int,
    float, str, bool and None - to compare with (or record as) an expected value.

    Anything else becomes the string ``"<a Name object>"``, which equals no expected
    value: an object whose ``__eq__`` says yes to everything (or an int subclass that
    does) earns nothing, because the comparison never calls its code."""
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in list(value)]
    if isinstance(value, dict):
        return {k if type(k) in _PLAIN else str(k): _jsonable(v) for k, v in dict(value).items()}
    if isinstance(value, np.generic) and type(value).__module__ == "numpy":
        return _jsonable(value.item())
    if type(value) in _PLAIN:
        return value
    return f"<{_a(type(value).__name__)} object>"


# --------------------------------------------------------------------------- models
def _snake(name: str) -> str:
    """The name Keras gives an unnamed layer of class ``name`` (ReLU -> re_lu)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _auto_named(layer) -> bool:
    return re.fullmatch(rf"{_snake(type(layer).__name__)}(_\d+)?", layer.name) is not None


def _in_graph_order(model) -> list:
    """The model's layers from input to output, in an order that does not depend on how
    the code was written: by distance from the output (farthest first), and layers at
    the same distance (the two paths of a residual block) by name."""
    graph = model if hasattr(model, "_nodes_by_depth") else getattr(model, "_functional", None)
    if graph is None:
        return list(model.layers)
    depth = {}
    for d, nodes in graph._nodes_by_depth.items():
        for node in nodes:
            depth[id(node.operation)] = max(depth.get(id(node.operation), -1), d)
    index = {id(layer): i for i, layer in enumerate(model.layers)}
    return sorted(
        model.layers,
        key=lambda layer: (
            -depth.get(id(layer), 0),
            "" if _auto_named(layer) else layer.name,
            index[id(layer)],
        ),
    )


def _inbound_names(layer) -> list:
    """The names of the layers whose outputs ``layer`` takes, in order (``None`` for a
    name Keras made up)."""
    node = layer._inbound_nodes[0]
    names = []
    for tensor in node.input_tensors:
        operation = tensor._keras_history.operation
        names.append(None if _auto_named(operation) else operation.name)
    return names


def layer_table(model) -> list[dict]:
    """One row per layer (inputs left out): type, name, output shape, parameters and
    the configuration that matters. Names Keras made up are recorded as ``None``.
    Layers come from input to output; where two paths run side by side (a residual
    block's shortcut), layers at the same depth are ordered by name."""
    rows = []
    for layer in _in_graph_order(model):
        kind = type(layer).__name__
        if kind == "InputLayer":
            continue
        config = layer.get_config()
        if kind == "ReLU" and not config.get("max_value") and not config.get("negative_slope") \
                and not config.get("threshold"):  # fmt: skip
            kind, config = "Activation", {**config, "activation": "relu"}  # the same layer
        if kind == "Concatenate":
            config = {**config, "inputs": _inbound_names(layer)}
        rows.append(
            {
                "type": kind,
                "name": None if _auto_named(layer) else layer.name,
                "output_shape": list(layer.output.shape[1:]),
                "params": int(layer.count_params()),
                "config": {
                    k: _jsonable(_normalise(k, config.get(k))) for k in KEY_CONFIG.get(kind, ())
                },
            }
        )
    return rows


def _normalise(key, value):
    if key == "axis" and isinstance(value, list | tuple) and len(value) == 1:
        value = value[0]
    if key == "axis" and value == -1:
        value = 3  # the channels axis of (m, n_H, n_W, n_C), however it is written
    if key in ("height_factor", "width_factor") and isinstance(value, int | float):
        value = [-value, value]  # RandomZoom(0.1) is RandomZoom((-0.1, 0.1))
    if key == "padding" and isinstance(value, int):
        value = [[value, value], [value, value]]
    if key == "padding" and isinstance(value, list | tuple) and len(value) == 2:
        value = [[v, v] if isinstance(v, int) else list(v) for v in value]
    return value


def _seeded_weight(rng, var):
    """One weight drawn so that every layer passes on a signal that still depends on the
    input: kernels U(-a, a) with a = min(0.2, sqrt(3 / fan_in)); biases, betas and
    moving means U(-0.05, 0.05); gammas and moving variances U(0.8, 1.2)."""
    shape = tuple(var.shape)
    name = var.path.rsplit("/", 1)[-1]
    if name in ("gamma", "moving_variance"):
        low, high = 0.8, 1.2
    elif len(shape) < 2:  # bias, beta, moving_mean
        low, high = -0.05, 0.05
    else:
        fan_in = int(np.prod(shape[:-1]))
        a = min(0.2, float(np.sqrt(3.0 / max(fan_in, 1))))
        low, high = -a, a
    return rng.uniform(low, high, size=shape).astype(var.dtype)


def seeded_output(model, seed: int = 0) -> list:
    """The model's output on a fixed input after setting every weight from a seeded
    stream (independent of Keras' own initialisers). Restores the weights afterwards.

    Weights are drawn as :func:`_seeded_weight` says, so that even a deep network's
    output depends on its input and a wiring difference shows (a test checks that the
    two examples' outputs differ by far more than the comparison's tolerance for every
    reference model). The input is (2, *input_shape) drawn from the same seed; returns
    a nested list.
    """
    rng = np.random.default_rng(seed)
    saved = model.get_weights()
    try:
        # layer by layer in graph order, so that the same layers get the same numbers
        # however the code that built them was ordered
        for layer in _in_graph_order(model):
            values = []
            for var in layer.weights:
                values.append(_seeded_weight(rng, var))
            if values:
                layer.set_weights(values)
        x = rng.uniform(0, 1, size=(2, *model.input_shape[1:])).astype("float32")
        out = np.asarray(model(x, training=False))
    finally:
        model.set_weights(saved)
    return np.round(out.astype(np.float64), 6).tolist()


def _compare_names(want: list[dict], got: list[dict], exercise: str) -> None:
    """Where the exercise names its layers (a residual block, ResNet-50), say which
    named layer is missing or extra before comparing position by position."""
    named = [row for row in want if row["name"]]
    if len(named) < 3:
        return
    have = {row["name"] for row in got if row["name"]}
    for row in named:
        if row["name"] not in have:
            _fail(
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
            _fail(
                exercise,
                f"an extra layer {row['name']!r} ({row['type']}) that the exercise does not have.",
                "remove it; compare your model.summary() with the description above.",
            )


def check_model(build, key: str, exercise: str, input_shape=(64, 64, 3)):
    """Build the student's model with ``build(input_shape)`` and compare it with the
    reference, layer by layer, then numerically. Returns the student's model.

    Raises :class:`CheckFailure` at the first difference: a missing or extra layer, a
    layer of another type, name, output shape, parameter count or key setting, or (all
    that equal) a different output for the same weights and input.
    """
    import keras

    want = expected(key)
    with student_code(exercise):
        try:
            model = build(input_shape)
        except (CheckFailure, NotImplementedError):
            raise
        except Exception as exc:  # noqa: BLE001 - any error building it is the answer's
            _fail(
                exercise,
                f"building it raised {type(exc).__name__}: {_first_line(exc)}",
                CONCATENATE_HINT
                if "Concatenate" in str(exc)
                else "the shapes of two tensors you combine (or a layer's settings) do not "
                "match; print the shape of each tensor as you go.",
            )
    if not isinstance(model, keras.Model):
        _fail(
            exercise,
            f"expected a keras.Model, got {type(model).__name__}.",
            "return the model you built, e.g. `return model`.",
        )
    try:
        got = layer_table(model)
    except (AttributeError, ValueError) as exc:
        _fail(
            exercise,
            f"the model has no defined input, so its layers have no shapes ({exc}).",
            "start the model from keras.Input(input_shape).",
        )
    _compare_names(want["layers"], got, exercise)
    for i, (w, g) in enumerate(zip(want["layers"], got, strict=False)):
        where = f"layer {i + 1} ({w['type']}{' ' + repr(w['name']) if w['name'] else ''})"
        if g["type"] != w["type"]:
            _fail(
                exercise,
                f"{where}: expected {_a(w['type'])} layer here, found {g['type']}.",
                "layers must come in the lecture's order; print model.summary() to compare.",
            )
        if w["name"] and g["name"] != w["name"]:
            _fail(
                exercise,
                f"{where}: expected the name {w['name']!r}, found {g['name']!r}.",
                f"pass name={w['name']!r} when you create the layer.",
            )
        for k, value in w["config"].items():
            if g["config"].get(k) != value:
                _fail(
                    exercise,
                    f"{where}: {k} should be {value!r}, found {g['config'].get(k)!r}.",
                    HINTS.get((w["type"], k), HINTS.get(k, "")),
                )
        if g["output_shape"] != w["output_shape"]:
            _fail(
                exercise,
                f"{where}: output shape should be (None, "
                f"{', '.join(map(str, w['output_shape']))}), found (None, "
                f"{', '.join(map(str, g['output_shape']))}).",
                "check the padding and strides of the layers before this one.",
            )
        if g["params"] != w["params"]:
            _fail(
                exercise, f"{where}: {w['params']:,} parameters expected, found {g['params']:,}."
            )
    if len(got) != len(want["layers"]):
        extra = len(got) > len(want["layers"])
        i = len(want["layers"]) if extra else len(got)
        row = (got if extra else want["layers"])[i]
        _fail(
            exercise,
            f"{'an extra' if extra else 'a missing'} layer {i + 1}: {row['type']} "
            f"({len(got)} layers found, {len(want['layers'])} expected).",
            "print model.summary() and compare it with the exercise's description.",
        )
    out = seeded_output(model)
    if not np.allclose(out, want["output"], rtol=1e-4, atol=1e-5):
        _fail(
            exercise,
            "every layer matches, but with the same weights your model computes "
            f"{np.ravel(out)[:2]} where the reference computes {np.ravel(want['output'])[:2]}.",
            "the layers may be connected differently: check which tensor each layer (and "
            "each Add) takes as its input.",
        )
    return model


def check_value(compute, key: str, exercise: str, what: str = "the result"):
    """Compare ``compute()`` - the student's code, a plain value (numbers, tuples,
    lists) - with the reference's. Returns the student's value."""
    want = expected(key)
    with student_code(exercise):
        value = compute()
    got = _jsonable(value)
    if got != want:
        _fail(exercise, f"{what} should be {want!r}, found {got!r}.")
    return value


def _number(value) -> str:
    """120422400 -> '120,422,400'; a tuple of ints in Python's own digit grouping,
    (120_422_400, 12_443_648), so that its commas stay separators; anything else as
    repr."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return f"{int(value):,}"
    if isinstance(value, tuple) and value and all(isinstance(v, int) for v in value):
        return f"({', '.join(f'{v:_}' for v in value)}{',' if len(value) == 1 else ''})"
    return repr(value)


def _call_text(name: str, args, kwargs) -> str:
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


# --------------------------------------------------------------------------- blocks
def block_model(block, input_shape, *args, **kwargs):
    """Wrap a block function (tensor -> tensor) into a keras.Model on ``input_shape``."""
    import keras

    X_input = keras.Input(input_shape)
    return keras.Model(X_input, block(X_input, *args, **kwargs))


def check_block(block, key: str, exercise: str, input_shape, *args, **kwargs):
    """Check a residual block: wrap ``block(X, *args, **kwargs)`` on ``input_shape``
    into a model, require non-negative outputs (the block ends with a ReLU after the
    addition), then compare it with the reference layer by layer and numerically
    (:func:`check_model`). Returns the model."""

    def build(shape):
        return block_model(block, shape, *args, **kwargs)

    import keras

    try:
        with student_code(exercise):
            model = build(input_shape)
        out = np.asarray(seeded_output(model)) if isinstance(model, keras.Model) else None
    except Exception:  # noqa: BLE001 - check_model below names what is wrong
        out = None
    if out is not None and out.size and out.min() < 0:
        _fail(
            exercise,
            f"the block's output has negative values (as low as {out.min():.3f}); a "
            "block ends with a ReLU, so its output is never negative.",
            "add the shortcut first, then apply the final Activation('relu') to the sum.",
        )
    return check_model(build, key, exercise, input_shape)


# --------------------------------------------------------------------------- gradients
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
    if not isinstance(got, dict):
        _fail(
            exercise,
            f"expected a dict {{layer name: norm}}, found {type(got).__name__}.",
            "return {layer.name: float(norm) for ...}.",
        )
    if list(got) != list(want):
        _fail(
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
            _fail(exercise, f"the norm for {name!r} should be a number, found {got[name]!r}.")
    ratios = [found[name] / value for name, value in want.items() if value]
    for name, value in want.items():
        if not np.isclose(found[name], value, rtol=1e-3, atol=1e-7):
            hint = (
                "the L2 norm of the gradient of the mean loss w.r.t. layer.kernel, with the "
                "model called as in a training step: model(X, training=True)."
            )
            if np.allclose(ratios, len(X), rtol=1e-3):
                hint = f"every norm is {len(X)}x too large: average the loss over the " \
                    "batch, do not sum it."  # fmt: skip
            _fail(
                exercise,
                f"layer {name!r}: the gradient norm should be {value:.6g}, "
                f"found {found[name]:.6g}.",
                hint,
            )
    return got


# correct stand-ins for helpers an exercise builds on, so that it is graded on its own
_standing_in: list[str] = []  # the stand-ins running now (they may use guarded helpers)


def _conv_output_shape(input_shape, filters, f, s=1, padding="valid"):
    from .cost import _conv2d

    if not _active_stand_ins:
        _fail(
            _guarded[-1] if _guarded else "conv_output_shape",
            "the grader's stand-in for conv_output_shape is not an answer; that earns no points.",
        )
    _standing_in.append("conv_output_shape")
    try:
        return _conv2d(input_shape, filters, f, s, padding).output_shape
    finally:
        _standing_in.pop()


_active_stand_ins: list[tuple] = []  # set by with_correct while it replaces helpers


STAND_INS = {"conv_output_shape": _conv_output_shape}


@contextlib.contextmanager
def with_correct(function, *names: str):
    """Within the block, the helpers ``names`` that ``function`` finds in its notebook
    are correct ones (``STAND_INS``): an exercise that uses an earlier one is graded on
    its own, and a mistake in the earlier one costs its points only once."""
    stand_ins = dict(STAND_INS)
    if reference_available():  # the instructor's grader: the reference blocks
        from course_utils import reference

        stand_ins.update(reference.STAND_INS)
    # where no correct version is at hand (a student's copy), their own one is used
    names = tuple(name for name in names if name in stand_ins)
    namespace = function.__globals__
    saved = {name: namespace[name] for name in names if name in namespace}
    try:
        namespace.update({name: stand_ins[name] for name in names})
        _active_stand_ins.append(names)
        yield
    finally:
        _active_stand_ins.pop()
        for name in names:
            namespace.pop(name, None)
        namespace.update(saved)


def check_cases(function, key: str, exercise: str, hint: str = "", uses: tuple = ()):
    """Call the student's ``function`` on each recorded case of ``key`` and compare with
    the reference's result. A case is ``{"args": [...], "kwargs": {...}, "result": ...}``
    (lists in ``args`` are passed as tuples). The first difference fails with the call
    written out, the expected and the found result, and ``hint``. ``uses``: names of
    earlier exercises' functions that ``function`` calls, replaced by correct ones while
    it runs (see :func:`with_correct`)."""
    cases = expected(key)
    for case in cases:
        args = [tuple(a) if isinstance(a, list) else a for a in case["args"]]
        kwargs = case.get("kwargs", {})
        with student_code(exercise), with_correct(function, *uses):
            got = function(*args, **kwargs)
        want = case["result"]
        if _jsonable(got) != want:
            want_text = tuple(want) if isinstance(want, list) else want
            _fail(
                exercise,
                f"{_call_text(function.__name__, args, kwargs)} should return "
                f"{_number(want_text)}, found {_number(got)}.",
                hint,
            )
    return len(cases)


def check_conv1x1(function, exercise: str, shapes=((2, 4, 4, 3, 5), (1, 3, 5, 8, 2))):
    """Compare the student's numpy ``function(X, W, b)`` with Keras' own 1x1
    ``Conv2D(..., activation="relu")`` holding the same weights, on seeded inputs of
    each (m, n_H, n_W, n_C, n_C') in ``shapes``. Keras is the reference here, computed
    live. Returns the number of cases."""
    import keras

    for i, (m, n_H, n_W, n_C, n_C2) in enumerate(shapes):
        rng = np.random.default_rng(100 + i)
        X = rng.normal(size=(m, n_H, n_W, n_C)).astype("float32")
        W = rng.normal(size=(n_C, n_C2)).astype("float32")
        b = rng.normal(size=(n_C2,)).astype("float32")
        conv = keras.layers.Conv2D(n_C2, 1, activation="relu")
        conv.build(X.shape)
        conv.set_weights([W.reshape(1, 1, n_C, n_C2), np.zeros_like(b)])
        no_bias = np.asarray(conv(X))  # to recognise a forgotten bias
        conv.set_weights([W.reshape(1, 1, n_C, n_C2), b])
        want = np.asarray(conv(X))
        call = f"conv1x1(X of shape {X.shape}, W of shape {W.shape}, b of shape {b.shape})"
        hint = (
            "W has shape (n_C, n_C'): multiply along X's last axis (its n_C channels) and "
            "W's first axis."
        )
        got = _array_call(exercise, call, function, X.copy(), W.copy(), b.copy(), hint=hint)
        got = np.asarray(got, dtype="float64")
        if got.shape != want.shape:
            _fail(
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
            where = tuple(
                int(v) for v in np.unravel_index(np.abs(got - want).argmax(), want.shape)
            )
            _fail(
                exercise,
                f"{call}: at {where} expected {want[where]:.4f}, found {got[where]:.4f}.",
                hint,
            )
    return len(shapes)


_guarded: list[str] = []  # the exercises whose student code is running now


@contextlib.contextmanager
def student_code(exercise: str):
    """Run a student's code: within the block, calling a reference solution fails.

    An answer that just calls ``course_utils.reference`` (present where the instructor
    grades) earns nothing, and is told why. An exercise not written yet (the released
    stub's ``raise NotImplementedError()``) is said to be that, not reported as a bug.
    """
    _guarded.append(exercise)
    try:
        yield
    except NotImplementedError:
        _fail(
            exercise,
            "not written yet: the exercise still raises NotImplementedError.",
            "replace the `raise NotImplementedError()` line in the exercise cell with your "
            "code, run that cell, then run this check again.",
        )
    finally:
        _guarded.pop()


def not_an_answer(what: str):
    """Decorator factory: the decorated function refuses to run for student code.

    ``what`` says what it is in the message (for example "the reference solution" or
    "course_utils.cost, which computes the answer for you")."""
    import functools

    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            if _guarded and not _standing_in:
                _fail(
                    _guarded[-1],
                    f"your answer calls {fn.__name__}(), {what}; that earns no points.",
                    "write it yourself, as the exercise shows.",
                )
            return fn(*args, **kwargs)

        return wrapper

    return decorate


reference_solution = not_an_answer("the reference solution")
reference_solution.__doc__ = (
    "Mark a function of ``course_utils.reference``: it refuses to run for student code."
)


# --------------------------------------------------------------------------- training
def check_compile_and_train(compile_and_train, exercise: str):
    """Run the student's ``compile_and_train`` on a tiny model and data, and check that
    it compiles with adam and binary cross-entropy on probabilities, reports accuracy,
    trains on the train set only (counted in optimizer steps), for the requested epochs,
    and watches the dev set."""
    import math

    import keras

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (12, 8, 8, 3)).astype("float32")
    y = (np.arange(12) % 2).astype("float32")
    x_dev, y_dev = rng.uniform(0, 1, (4, 8, 8, 3)).astype("float32"), np.array([0, 1, 0, 1.0])
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 3))
    model = keras.Model(
        inputs, keras.layers.Dense(1, activation="sigmoid")(keras.layers.Flatten()(inputs))
    )
    epochs, batch_size = 2, 4
    with student_code(exercise):
        history = compile_and_train(model, x, y, x_dev, y_dev, epochs, batch_size)
    h = getattr(history, "history", None)
    if not isinstance(h, dict):
        _fail(
            exercise,
            f"expected the History that model.fit returns, found {type(history).__name__}.",
            "return model.fit(...).",
        )
    if model.optimizer is None:
        _fail(exercise, "the model was not compiled.", "call model.compile(...) before fit.")
    if type(model.optimizer).__name__ != "Adam":
        _fail(
            exercise,
            f"the optimizer should be Adam, found {type(model.optimizer).__name__}.",
            "optimizer='adam'.",
        )
    loss = model.loss
    loss_name = loss if isinstance(loss, str) else type(loss).__name__
    if loss_name not in ("binary_crossentropy", "BinaryCrossentropy"):
        _fail(
            exercise,
            f"the loss should be binary cross-entropy, found {loss_name}.",
            "loss='binary_crossentropy' for one sigmoid output.",
        )
    if getattr(loss, "from_logits", False):
        _fail(
            exercise,
            "the loss is told the outputs are logits (from_logits=True), but the "
            "model ends with a sigmoid: its outputs are probabilities.",
            "use loss='binary_crossentropy' (from_logits=False).",
        )
    if "accuracy" not in h:
        _fail(
            exercise,
            f"the history has no 'accuracy' (it has {sorted(h)}).",
            "metrics=['accuracy'].",
        )
    if len(h["loss"]) != epochs:
        _fail(
            exercise,
            f"asked for {epochs} epochs, the history has {len(h['loss'])}.",
            "pass epochs=epochs to fit.",
        )
    steps = int(model.optimizer.iterations.numpy())
    want = epochs * math.ceil(len(x) / batch_size)
    if steps != want:
        _fail(
            exercise,
            f"the model took {steps} training steps; {len(x)} training examples in "
            f"batches of {batch_size} for {epochs} epochs make {want}.",
            "train on X_train, Y_train only, with batch_size=batch_size; the dev set is for "
            "validation_data, never for training.",
        )
    if "val_accuracy" not in h:
        _fail(
            exercise,
            "the dev set was not evaluated during training (no 'val_accuracy').",
            "pass validation_data=(X_dev, Y_dev) to fit.",
        )
    return history


def check_follows_tips(build, exercise: str, input_shape=(64, 64, 3)):
    """The lecture's tips: two or more CONV->BN->RELU blocks, MAXPOOL after blocks,
    height and width small before the classifier, one sigmoid unit at the end."""
    import keras

    with student_code(exercise):
        model = build(input_shape)
    if not isinstance(model, keras.Model):
        _fail(exercise, f"expected a keras.Model, found {type(model).__name__}.")
    kinds = [
        type(layer).__name__ for layer in model.layers if type(layer).__name__ != "InputLayer"
    ]
    blocks = 0
    for i, layer in enumerate(model.layers[:-2]):
        if type(layer).__name__ == "Conv2D":
            nxt = model.layers[i + 1 : i + 3]
            if (
                type(nxt[0]).__name__ == "BatchNormalization"
                and type(nxt[1]).__name__ in ("Activation", "ReLU")
                and nxt[1].get_config().get("activation", "relu") == "relu"
            ):
                blocks += 1
    if blocks < 2:
        _fail(
            exercise,
            f"found {blocks} CONV->BN->RELU block(s) (layers: {', '.join(kinds)}).",
            "stack at least two Conv2D -> BatchNormalization(axis=3) -> Activation('relu').",
        )
    if "MaxPooling2D" not in kinds:
        _fail(exercise, "no MaxPooling2D layer.", "add MaxPooling2D((2, 2)) after your blocks.")
    last = model.layers[-1]
    if (
        type(last).__name__ != "Dense"
        or last.get_config()["units"] != 1
        or last.get_config()["activation"] != "sigmoid"
    ):
        _fail(
            exercise,
            f"the last layer should be Dense(1, activation='sigmoid'), found "
            f"{type(last).__name__}.",
            "one unit giving P(smiling).",
        )
    for layer in model.layers:
        if type(layer).__name__ in ("Flatten", "GlobalAveragePooling2D", "GlobalMaxPooling2D"):
            _, height, width, _ = layer.input.shape
            if height * width > 16 * 16:
                _fail(
                    exercise,
                    f"height and width are {height}x{width} before "
                    f"{type(layer).__name__}; the tips say to shrink them first.",
                    "more MaxPooling2D until height and width are 16 or less.",
                )
            break
    return model


def train_and_measure(build, epochs: int = 20, batch_size: int = 16, seed: int = 0):
    """Build a model with ``build((64, 64, 3))`` and train it the same way for everyone -
    seeded, adam, binary cross-entropy, ``epochs`` epochs on the Happy train split (dev
    20%, seed 0) - and return its dev ``(accuracy, loss)``."""
    import keras

    from .datasets import load_happy, normalize, train_dev_split

    data = load_happy()
    x_train, y_train, x_dev, y_dev = train_dev_split(normalize(data.x_train), data.y_train, 0.2, 0)
    keras.utils.set_random_seed(seed)
    model = build((64, 64, 3))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, verbose=0)
    loss, accuracy = model.evaluate(x_dev, y_dev, verbose=0)
    return float(accuracy), float(loss)


def check_beats_lecture_model(build, exercise: str, epochs: int = 20) -> None:
    """Train the student's improved model exactly as the lecture model was measured
    (``train_and_measure``, 20 epochs) and require a better dev score: a higher
    accuracy, or the same accuracy with a lower loss."""

    lecture = expected("keras_tutorial.lecture_dev_score")
    with student_code(exercise):
        accuracy, loss = train_and_measure(build, epochs=epochs)
    better = accuracy > lecture["accuracy"] + 1e-6 or (
        abs(accuracy - lecture["accuracy"]) <= 1e-6 and loss < lecture["loss"]
    )
    if not better:
        _fail(
            exercise,
            f"trained the same way ({epochs} epochs), your model reaches dev accuracy "
            f"{accuracy:.3f} (loss {loss:.3f}); the lecture's HappyModel reaches "
            f"{lecture['accuracy']:.3f} (loss {lecture['loss']:.3f}). Yours must beat it.",
            "more CONV->BN->RELU blocks with 'same' padding and 3x3 filters, MAXPOOL after each.",
        )
    print(
        f"{exercise}: dev accuracy {accuracy:.3f} (loss {loss:.3f}) after {epochs} epochs; "
        f"the lecture model's is {lecture['accuracy']:.3f} (loss {lecture['loss']:.3f})."
    )
    # nothing returned: a number left as a test cell's last value is read by nbgrader
    # as partial credit


# --------------------------------------------------------------------------- benchmark tricks
def pca_probe(seed: int = 5):
    """Images whose colours are correlated, as a photograph's are: (4, 16, 16, 3)."""
    rng = np.random.default_rng(seed)
    grey = rng.uniform(0.2, 0.8, size=(4, 16, 16, 1))
    tint = rng.normal(0, 0.05, size=(4, 16, 16, 3))
    return grey * np.array([1.0, 0.9, 0.7]) + tint


def crop_probe(shape=(2, 7, 9, 2)):
    """Images whose every pixel value is distinct (its index), so that a crop's content
    says exactly where it was cut: ``np.arange(size).reshape(shape)``."""
    return np.arange(int(np.prod(shape)), dtype="float32").reshape(shape)


def probe_models(count: int = 3, input_shape=(4, 4, 2), classes: int = 3):
    """Small deterministic classifiers (global average pool, dense softmax) that accept
    any height and width: ``count`` keras.Models with seeded weights."""
    import keras

    models = []
    for i in range(count):
        X_in = keras.Input((None, None, input_shape[-1]))
        X = keras.layers.Conv2D(4, 2, padding="same", activation="relu")(X_in)
        X = keras.layers.GlobalAveragePooling2D()(X)
        model = keras.Model(X_in, keras.layers.Dense(classes, activation="softmax")(X))
        rng = np.random.default_rng(40 + i)
        model.set_weights([rng.normal(0, 0.3, size=w.shape) for w in model.get_weights()])
        models.append(model)
    return models


def _array_call(exercise, call, function, *args, hint=""):
    """``function(*args)`` as student code: an error in it fails the check, naming the
    ``call`` (written out) and the error."""
    with student_code(exercise):
        try:
            return function(*args)
        except (CheckFailure, NotImplementedError):
            raise
        except Exception as exc:  # noqa: BLE001 - any error in it is the answer's
            _fail(exercise, f"{call} raised {type(exc).__name__}: {_first_line(exc)}", hint)


def _same_shape(exercise, call, got, want, hint):
    got = np.asarray(got)
    if got.shape != np.shape(want):
        _fail(exercise, f"{call} should return shape {np.shape(want)}, found {got.shape}.", hint)
    return got.astype("float64")


def check_rgb_pca(function, exercise: str):
    """The student's ``rgb_pca(images)`` against the reference on :func:`pca_probe`:
    eigenvalues in decreasing order, eigenvectors as columns (each up to its sign; the
    covariance may divide by N or N - 1)."""
    want = expected("benchmark_tricks.rgb_pca")
    images = pca_probe()
    call = "rgb_pca(images of shape (4, 16, 16, 3))"
    got = _array_call(exercise, call, function, images.copy())
    if not isinstance(got, tuple | list) or len(got) != 2:
        _fail(exercise, f"{call} should return (eigenvalues, eigenvectors).")
    values = _same_shape(exercise, call + "[0]", got[0], want["eigenvalues"], "3 eigenvalues.")
    vectors = _same_shape(exercise, call + "[1]", got[1], want["eigenvectors"], "a 3x3 matrix.")
    want_values = np.asarray(want["eigenvalues"])
    if np.allclose(values[::-1], want_values, rtol=2e-3) and not np.allclose(
        values, want_values, rtol=2e-3
    ):
        _fail(
            exercise,
            f"the eigenvalues come in increasing order: {np.round(values, 6).tolist()}.",
            "np.linalg.eigh returns them smallest first; reverse them, and the eigenvectors "
            "(columns) with them.",
        )
    if not np.allclose(values, want_values, rtol=2e-3):
        _fail(
            exercise,
            f"{call}: eigenvalues should be {np.round(want_values, 6).tolist()}, found "
            f"{np.round(values, 6).tolist()}.",
            "the covariance of the RGB values of all pixels: reshape to (pixels, 3) and "
            "subtract the mean colour (np.cov(pixels, rowvar=False) does both).",
        )
    agreement = np.abs(vectors.T @ np.asarray(want["eigenvectors"]))
    if not np.allclose(agreement, np.eye(3), atol=1e-3):
        rows = np.abs(vectors @ np.asarray(want["eigenvectors"]))
        hint = (
            "eigenvector i is column i (eigenvectors[:, i]), not row i."
            if np.allclose(rows, np.eye(3), atol=1e-3)
            else "keep each eigenvector with its eigenvalue when you sort them."
        )
        _fail(exercise, f"{call}: the eigenvectors do not match the eigenvalues' order.", hint)


PCA_COLOR_CASES = ((2, 3, 3), (3, 2, 4))  # (m, n_H, n_W) of each recorded case


def check_pca_color(function, exercise: str, cases=(0,)):
    """The student's ``pca_color_augmentation(images, eigenvalues, eigenvectors, rng,
    sigma)`` against the reference, with the same seed: for each case i, images of
    shape ``PCA_COLOR_CASES[i]`` from :func:`pca_probe` and the reference's
    eigen-decomposition. Returns the number of cases."""
    pca = expected("benchmark_tricks.rgb_pca")
    values, vectors = np.asarray(pca["eigenvalues"]), np.asarray(pca["eigenvectors"])
    for i in cases:
        m, n_H, n_W = PCA_COLOR_CASES[i]
        want = np.asarray(expected(f"benchmark_tricks.pca_color_augmentation_{i}"))
        images = pca_probe()[:m, :n_H, :n_W]
        call = (
            f"pca_color_augmentation(images of shape {images.shape}, eigenvalues, "
            f"eigenvectors, np.random.default_rng({7 + i}), sigma=0.1)"
        )
        got = _array_call(
            exercise, call, function, images.copy(), values, vectors,
            np.random.default_rng(7 + i), 0.1,
        )  # fmt: skip
        got = _same_shape(exercise, call, got, want, "the images keep their shape.")
        if np.allclose(got, want, atol=1e-6):
            continue
        shift = (got - images).reshape(m, -1, 3)
        alpha = np.random.default_rng(7 + i).normal(0.0, 0.1, size=(m, 3))
        if not np.allclose(shift, shift[:, :1], atol=1e-9):
            hint = (
                "draw alpha once per image (rng.normal(0.0, sigma, size=(m, 3))) and add the "
                "same RGB shift to every pixel of that image."
            )
        elif np.allclose(shift[:, 0], alpha @ vectors.T, atol=1e-9):
            hint = "scale each alpha by its eigenvalue: the shift is V @ (alpha * eigenvalues)."
        elif np.allclose(shift[:, 0], (alpha * values) @ vectors, atol=1e-9):
            hint = "eigenvector i is column i of eigenvectors: the shift is V @ (alpha * lambda)."
        else:
            hint = (
                "shift = eigenvectors @ (alpha * eigenvalues), with alpha = rng.normal(0.0, "
                "sigma, size=(m, 3)) drawn once, row i for image i."
            )
        where = tuple(int(v) for v in np.unravel_index(np.abs(got - want).argmax(), want.shape))
        _fail(
            exercise,
            f"{call}: at {where} expected {want[where]:.6f}, found {got[where]:.6f}.",
            hint,
        )
    return len(cases)


def check_augmenter(build, key: str, exercise: str, input_shape=(8, 8, 3), **kwargs):
    """``build(**kwargs)`` must return a Keras model whose layers match the reference's
    (types, names, settings) and that distorts in training but passes images through
    unchanged at inference. Returns the model."""
    import keras

    def built(shape):
        model = build(**kwargs)
        if isinstance(model, keras.Model):
            model.build((None, *shape))
        return model

    want = [row["type"] for row in expected(key)["layers"]]
    with student_code(exercise):
        first = built(input_shape)
    if isinstance(first, keras.Model) and len(first.layers) != len(want):
        args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        _fail(
            exercise,
            f"build_augmenter({args}) should have {len(want)} layers ({', '.join(want)}), "
            f"found {len(first.layers)} ({', '.join(type(x).__name__ for x in first.layers)}).",
            "one layer per distortion, in the order given; leave a layer out when its "
            "argument is False or 0.",
        )
    images = np.random.default_rng(3).uniform(0, 1, size=(4, *input_shape)).astype("float32")
    if isinstance(first, keras.Model) and not np.array_equal(
        np.asarray(first(images, training=False)), images
    ):
        _fail(
            exercise,
            "at inference (training=False) the augmenter changed the images.",
            "use Keras' Random* layers only: they distort in training and pass images "
            "through unchanged at inference.",
        )
    model = check_model(built, key, exercise, input_shape)
    if kwargs.get("flip", True) and np.array_equal(
        np.asarray(model(images, training=True)), images
    ):
        _fail(
            exercise,
            "in training (training=True) the augmenter left the images unchanged.",
            "the layers must get the function's arguments (a factor of 0 does nothing).",
        )
    return model


_CROP_NAMES = ("top-left", "top-right", "bottom-left", "bottom-right", "centre")


def check_ten_crop(function, key: str, exercise: str, shape=(2, 7, 9, 2), crop_size=4):
    """The student's ``ten_crop(images, crop_size)`` on :func:`crop_probe` images
    against the reference: shape, order and exact content of every crop."""
    want = np.asarray(expected(key))
    images = crop_probe(shape)
    call = f"ten_crop(images of shape {shape}, {crop_size})"
    got = _array_call(exercise, call, function, images.copy(), crop_size)
    got = _same_shape(
        exercise, call, got, want,
        "(m, 10, crop_size, crop_size, n_C): stack the ten crops on axis 1.",
    )  # fmt: skip
    for k in range(10):
        if np.array_equal(got[:, k], want[:, k]):
            continue
        name = f"{'mirrored ' if k >= 5 else ''}{_CROP_NAMES[k % 5]}"

        def pixel(value):
            """(row, column) in the image of the crop probe's pixel ``value``."""
            return divmod(int(value) // shape[3] % (shape[1] * shape[2]), shape[2])

        if k >= 5 and np.array_equal(got[:, k], want[:, k - 5]):
            hint = "crops 6 to 10 are cut from the mirrored images (images[:, :, ::-1])."
        else:
            hint = (
                "corner crops touch the image's edges (the last rows are n_H - c to n_H); "
                "the centre crop starts at ((n_H - c) // 2, (n_W - c) // 2)."
            )
        _fail(
            exercise,
            f"{call}: crop {k + 1} (the {name} crop) should have the image's pixel "
            f"{pixel(want[0, k, 0, 0, 0])} in its top-left corner, found pixel "
            f"{pixel(got[0, k, 0, 0, 0])}.",
            hint,
        )
    return got


def check_ensemble(function, key: str, exercise: str):
    """The student's ``ensemble_predict(models, X)`` on three :func:`probe_models`
    against the reference: averaged probabilities, shape (m, classes)."""
    want = np.asarray(expected(key))
    X = crop_probe((2, 4, 4, 2)) / 32.0
    call = "ensemble_predict([three models], X of shape (2, 4, 4, 2))"
    got = _array_call(exercise, call, function, probe_models(3), X)
    got = _same_shape(
        exercise, call, got, want,
        "return class probabilities, one row per example - not the predicted labels.",
    )  # fmt: skip
    if not np.allclose(got, want, atol=1e-5):
        sums = got.sum(axis=1)
        hint = (
            "average the members' probabilities: divide their sum by the number of models."
            if not np.allclose(sums, 1, atol=1e-4)
            else "average the probabilities of every model in the list (np.mean over axis 0)."
        )
        _fail(
            exercise,
            f"{call}: expected {np.round(want[0], 4).tolist()} for the first example, found "
            f"{np.round(got[0], 4).tolist()}.",
            hint,
        )
    return got


def check_multi_crop(function, key: str, exercise: str, crop_size=4):
    """The student's ``multi_crop_predict(model, X, crop_size)`` on a :func:`probe_models`
    classifier against the reference: probabilities averaged over the ten crops."""
    want = np.asarray(expected(key))
    X = crop_probe((2, 7, 9, 2)) / 126.0
    call = f"multi_crop_predict(model, X of shape (2, 7, 9, 2), {crop_size})"
    got = _array_call(exercise, call, function, probe_models(1)[0], X, crop_size)
    got = _same_shape(
        exercise, call, got, want,
        "return class probabilities, one row per image: average over its ten crops.",
    )  # fmt: skip
    if not np.allclose(got, want, atol=1e-5):
        _fail(
            exercise,
            f"{call}: expected {np.round(want[0], 4).tolist()} for the first image, found "
            f"{np.round(got[0], 4).tolist()}.",
            "predict all ten crops of each image (ten_crop) and average the ten rows of "
            "probabilities; reshape (m * 10, ...) back to (m, 10, classes) first.",
        )
    return got
