"""A Keras model as a table of what it computes: one row per layer, in graph order,
and its output for seeded weights on a seeded input.

Two models that compute the same thing give the same table and output whichever way
their code was written (Functional or Sequential, layers created in any order).

Example::

    rows = layer_table(model)       # [{"type", "name", "output_shape", "params", "config"}]
    out = seeded_output(model)      # nested list, (2, *output_shape)
"""

from __future__ import annotations

import re

import numpy as np

from .plain import plain

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
    "StandIn": ("function", "arguments"),  # a stand-in block (checks.stand_ins)
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
    "function": "call the block the exercise names here (the identity or the convolutional "
    "block).",
    "arguments": "pass this block the f, filters and stride s that the exercise gives for "
    "its stage.",
    ("Concatenate", "axis"): "join the branches along the channels: axis=-1 (or 3).",
    ("Concatenate", "inputs"): "list the tensors in Concatenate()([...]) in the order the "
    "exercise gives; the order decides which channels hold which branch.",
}
CONCATENATE_HINT = (
    "the tensors you concatenate must match in every axis but the one they are joined on: "
    "join along the channels (axis=-1), and keep each branch's height and width ('same' "
    "padding, stride 1)."
)


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
                    k: plain(_normalise(k, config.get(k))) for k in KEY_CONFIG.get(kind, ())
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
    # float32 draws, scaled in place: a VGG-16 has 138 million weights to draw
    weight = rng.random(shape, dtype=np.float32)
    weight *= np.float32(high - low)
    weight += np.float32(low)
    return weight.astype(var.dtype, copy=False)


def seeded_output(model, seed: int = 0, restore: bool = True) -> list:
    """The model's output on a fixed input after setting every weight from a seeded
    stream (independent of Keras' own initialisers). Restores the weights afterwards.

    Weights are drawn as :func:`_seeded_weight` says, so that even a deep network's
    output depends on its input and a wiring difference shows (a test checks that the
    two examples' outputs differ by far more than the comparison's tolerance for every
    reference model). The input is (2, *input_shape) drawn from the same seed; returns
    a nested list. ``restore=False`` leaves the seeded weights in place (a model that is
    thrown away after: no copy of its weights is made).
    """
    rng = np.random.default_rng(seed)
    saved = model.get_weights() if restore else None
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
        if saved is not None:
            model.set_weights(saved)
    return np.round(out.astype(np.float64), 6).tolist()


_IGNORED_KEYS = {
    "trainable", "dtype", "kernel_initializer", "bias_initializer", "beta_initializer",
    "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer",
    "kernel_regularizer", "bias_regularizer", "activity_regularizer", "beta_regularizer",
    "gamma_regularizer", "kernel_constraint", "bias_constraint", "beta_constraint",
    "gamma_constraint", "seed",
}  # fmt: skip


def computation_signature(config: dict) -> str:
    """A model's configuration (``json.loads(model.to_json())``) without what cannot
    change its :func:`layer_table` or :func:`seeded_output` (initialisers, regularisers,
    constraints, dtypes, the model's own name): two models with the same signature
    describe the same. Names Keras made up (``flatten_3``, ``input_layer``) are numbered
    by their order in the model; names given in the code stay (they order the seeded
    weights)."""
    import json

    layers = (config.get("config") or {}).get("layers") or []
    made_up = {}
    for index, layer in enumerate(layers):
        name = (layer.get("config") or {}).get("name") or layer.get("name")
        kind = layer.get("class_name", "")
        if isinstance(name, str) and re.fullmatch(rf"{_snake(kind)}(_\d+)?", name):
            made_up[name] = f"~{_snake(kind)}#{index}"

    def rename(node):
        if isinstance(node, str):
            return made_up.get(node, node)
        if isinstance(node, dict):
            return {k: rename(v) for k, v in node.items()}
        if isinstance(node, list):
            return [rename(v) for v in node]
        return node

    def strip(node, top=False):
        if isinstance(node, dict):
            return {
                k: strip(v)
                for k, v in node.items()
                if k not in _IGNORED_KEYS and not (top and k == "name")
            }
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    stripped = dict(config)
    if isinstance(stripped.get("config"), dict):
        stripped["config"] = strip(stripped["config"], top=True)
    return json.dumps(rename(strip(stripped)), sort_keys=True)


class weights_as_zeros:  # noqa: N801 - used as a context manager, like contextlib's
    """Within the block every new Keras weight starts as zeros instead of its initialiser:
    building a model only to describe it (its weights are drawn again by
    :func:`seeded_output`) costs an allocation, not 138 million random draws."""

    def __enter__(self):
        import inspect

        import keras

        self._original = keras.layers.Layer.add_weight
        signature = inspect.signature(self._original)
        original = self._original

        def add_weight(layer, *args, **kwargs):
            bound = signature.bind(layer, *args, **kwargs)
            bound.arguments["initializer"] = "zeros"
            return original(*bound.args, **bound.kwargs)

        keras.layers.Layer.add_weight = add_weight
        return self

    def __exit__(self, *exc):
        import keras

        keras.layers.Layer.add_weight = self._original
        return False
