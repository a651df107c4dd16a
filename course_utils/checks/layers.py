"""A Keras model as a table of what it computes: one row per layer, in graph order,
and its output for seeded weights on a seeded input.

Two models that compute the same thing give the same table and output whichever way
their code was written: Functional or Sequential, layers created in any order, named or
not, the inputs of an ``Add`` in either order, ``Conv2D(..., activation="relu")`` or a
``Conv2D`` followed by ``Activation("relu")`` or ``ReLU()``.

Example::

    rows = layer_table(model)       # [{"type", "kind", "name", "output_shape", "params",
                                    #   "config", "fused"}]
    out = seeded_output(model)      # nested list, (2, *output_shape)
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

from .plain import plain

# the configuration that matters, per layer type, and a hint for each. A Conv2D's or a
# Dense's activation is a row of its own (an Activation, "fused"), so it is not here.
KEY_CONFIG = {
    "Conv2D": ("filters", "kernel_size", "strides", "padding", "groups", "use_bias"),
    "Dense": ("units", "use_bias"),
    "BatchNormalization": ("axis",),
    "Activation": ("activation",),
    "MaxPooling2D": ("pool_size", "strides", "padding"),
    "AveragePooling2D": ("pool_size", "strides", "padding"),
    "ZeroPadding2D": ("padding",),
    "Concatenate": ("axis", "inputs"),  # inputs: what each branch ends with, in order
    "Dropout": ("rate",),
    "RandomFlip": ("mode",),
    "RandomRotation": ("factor",),
    "RandomZoom": ("height_factor", "width_factor"),
    "RandomContrast": ("factor", "value_range"),
    "StandIn": ("function", "arguments"),  # a stand-in block (checks.stand_ins)
}
# settings that act only in training: a seeded output at inference cannot show them, so
# they must be the reference's exactly
TRAINING_ONLY = {
    "Dropout": ("rate",),
    "RandomFlip": ("mode",),
    "RandomRotation": ("factor",),
    "RandomZoom": ("height_factor", "width_factor"),
    "RandomContrast": ("factor", "value_range"),
}
FUSES_ACTIVATION = ("Conv2D", "Dense")  # layers whose activation= becomes its own row
COMMUTATIVE = ("Add", "Multiply", "Average", "Maximum", "Minimum")  # input order is free
HINTS = {
    "padding": "'valid' adds no border (an f x f filter shrinks height and width by f - 1), "
    "'same' keeps them (at stride 1).",
    "axis": "BatchNormalization normalises each channel: with (m, n_H, n_W, n_C) inputs that "
    "is axis=3 (or -1).",
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
    "value_range": "the images are in [0, 1]: value_range=(0, 1), or the contrast pushes "
    "pixels out of range.",
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


def setting_hint(kind: str, key: str, want) -> str:
    """The hint for a setting ``key`` of a layer of type ``kind`` that should be ``want``."""
    if key == "activation":
        if want == "relu":
            return "activation='relu' in a hidden layer (or an Activation('relu') after it)."
        if want in ("sigmoid", "softmax"):
            return (
                f"the output applies {want!r}: 'sigmoid' for one yes/no unit, 'softmax' "
                "over several classes."
            )
        return f"activation={want!r}, as the exercise says."
    return HINTS.get((kind, key), HINTS.get(key, ""))


def _snake(name: str) -> str:
    """The name Keras gives an unnamed layer of class ``name`` (ReLU -> re_lu)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _auto_named(layer) -> bool:
    return re.fullmatch(rf"{_snake(type(layer).__name__)}(_\d+)?", layer.name) is not None


def _graph(model):
    """The functional graph of ``model`` (a Sequential's own), or None."""
    if hasattr(model, "_nodes_by_depth"):
        return model
    return getattr(model, "_functional", None)


def _inputs_of(layer, node_index: int) -> list:
    """[(layer, node index)] whose outputs ``layer``'s call ``node_index`` takes, in order."""
    node = layer._inbound_nodes[node_index]
    return [(t._keras_history.operation, t._keras_history.node_index) for t in node.input_tensors]


def _postorder(roots: list, children) -> list:
    """Depth-first post-order from ``roots`` (inputs before the layers that take them),
    without recursion: a ResNet-152 is 500 layers deep."""
    order, seen, stack = [], set(), [(root, False) for root in reversed(roots)]
    while stack:
        item, done = stack.pop()
        key = (id(item[0]), item[1])
        if done:
            order.append(item)
            continue
        if key in seen:
            continue
        seen.add(key)
        stack.append((item, True))
        stack.extend(
            (child, False)
            for child in reversed(children(item))
            if (id(child[0]), child[1]) not in seen
        )
    return order


def _weightless_same_shape(layer) -> bool:
    try:
        return not layer.weights and tuple(layer.input.shape) == tuple(layer.output.shape)
    except (AttributeError, ValueError):
        return False


def _in_graph_order(model) -> list:
    """The model's layers from input to output, in an order that does not depend on how
    the code was written: depth first from the output, each layer after the layers it
    takes. The inputs of an ``Add`` (and other order-free merges) are taken deepest
    first (the main path before the shortcut: depth counts the layers with weights or
    that change the shape, so an activation inside a Conv2D or after it counts the
    same), equal depths by a hash of what computes them; a ``Concatenate``'s inputs in
    its own order. Names play no part."""
    graph = _graph(model)
    if graph is None:
        return list(model.layers)
    roots = [(t._keras_history.operation, t._keras_history.node_index) for t in graph.outputs]
    # what computes each output, and how deep it is, whichever order merges were written in
    digest, depth = {}, {}
    for layer, index in _postorder(roots, lambda item: _inputs_of(*item)):
        keys = [(id(op), i) for op, i in _inputs_of(layer, index)]
        inputs = [digest[k] for k in keys]
        if type(layer).__name__ in COMMUTATIVE:
            inputs.sort()
        below = max((depth[k] for k in keys), default=0)
        if _weightless_same_shape(layer) and len(inputs) == 1:
            digest[(id(layer), index)] = inputs[0]  # an activation, a dropout: see through
            depth[(id(layer), index)] = below
            continue
        token = (
            type(layer).__name__,
            [tuple(w.shape) for w in layer.weights],
            tuple(layer.output.shape[1:]) if hasattr(layer, "output") else (),
            inputs,
        )
        digest[(id(layer), index)] = hashlib.sha1(repr(token).encode()).hexdigest()
        depth[(id(layer), index)] = below + 1

    def children(item):
        inputs = _inputs_of(*item)
        if type(item[0]).__name__ in COMMUTATIVE:
            inputs.sort(key=lambda x: (-depth[(id(x[0]), x[1])], digest[(id(x[0]), x[1])]))
        return inputs

    layers, seen = [], set()
    for layer, _ in _postorder(roots, children):
        if id(layer) not in seen:  # a layer called twice is one layer
            seen.add(id(layer))
            layers.append(layer)
    return layers


_SEE_THROUGH = ("Activation", "ReLU", "LeakyReLU", "Softmax", "Dropout")


def _producer(tensor):
    """The layer that computes ``tensor``, seen through activations and dropouts."""
    op = tensor._keras_history.operation
    while type(op).__name__ in _SEE_THROUGH and op._inbound_nodes:
        op = op._inbound_nodes[0].input_tensors[0]._keras_history.operation
    return op


def _says(layer) -> str:
    """'3x3 conv (16)', '3x3 max pool', 'input': a layer as a branch's end is described."""
    kind, config = type(layer).__name__, layer.get_config()
    size = config.get("kernel_size") or config.get("pool_size")
    size = f"{size[0]}x{size[1]} " if isinstance(size, list | tuple) and len(size) == 2 else ""
    if kind == "Conv2D":
        return f"{size}conv ({config.get('filters')})"
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        return f"{size}{'max' if kind.startswith('Max') else 'average'} pool"
    return "the input" if kind == "InputLayer" else kind


def _branches(layer) -> list:
    """What each tensor a Concatenate joins is, in order: its last layer, and the layer
    before it where that is a pool ('1x1 conv (3) after a 3x3 max pool')."""
    found = []
    for tensor in layer._inbound_nodes[0].input_tensors:
        op = _producer(tensor)
        text = _says(op)
        if op._inbound_nodes and op._inbound_nodes[0].input_tensors:
            before = _producer(op._inbound_nodes[0].input_tensors[0])
            if type(before).__name__ in ("MaxPooling2D", "AveragePooling2D"):
                text += f" after a {_says(before)}"
        found.append(text)
    return found


def _row(layer) -> list[dict]:
    """The rows of one layer: one, or two where a Conv2D or Dense applies an activation
    of its own (the layer, then an Activation marked ``fused``)."""
    kind = type(layer).__name__
    config = layer.get_config()
    if kind == "ReLU" and not config.get("max_value") and not config.get("negative_slope") \
            and not config.get("threshold"):  # fmt: skip
        kind, config = "Activation", {**config, "activation": "relu"}  # the same layer
    if kind == "Softmax" and config.get("axis", -1) in (-1, [-1]):
        kind, config = "Activation", {**config, "activation": "softmax"}
    if kind == "Concatenate":
        config = {**config, "inputs": _branches(layer)}
    activation = plain(config.get("activation")) if kind in FUSES_ACTIVATION else None
    if isinstance(activation, dict):  # a serialised function
        activation = activation.get("config", activation).get("name", str(activation))
    row = {
        "type": kind,
        "kind": kind,
        "name": None if _auto_named(layer) else layer.name,
        "output_shape": list(layer.output.shape[1:]),
        "params": int(layer.count_params()),
        "config": {k: plain(_normalise(k, config.get(k), kind)) for k in KEY_CONFIG.get(kind, ())},
        "fused": False,
    }
    if kind == "StandIn":
        row["kind"] = str(config.get("function"))  # identity_block, convolutional_block...
    rows = [row]
    if activation not in (None, "linear"):
        rows.append(
            {
                "type": "Activation",
                "kind": "Activation",
                "name": None,
                "output_shape": list(row["output_shape"]),
                "params": 0,
                "config": {"activation": activation},
                "fused": True,
            }
        )
    return rows


def layer_table(model) -> list[dict]:
    """One row per layer (inputs left out): type, ``kind`` (the type, or a stand-in
    block's function), name (``None`` for a name Keras made up; names never decide a
    verdict, they only help a message point), output shape, parameters and the
    configuration that matters (:data:`KEY_CONFIG`). A Conv2D's or Dense's own
    activation is a row of its own after it (``fused``). Layers come from input to
    output in :func:`_in_graph_order`."""
    rows = []
    for layer in _in_graph_order(model):
        if type(layer).__name__ != "InputLayer":
            rows.extend(_row(layer))
    return rows


def input_shapes(model) -> list:
    """The shape of each of the model's inputs, without the batch axis."""
    return [list(t.shape[1:]) for t in (_graph(model) or model).inputs]


def _normalise(key, value, kind=""):
    if key == "axis" and isinstance(value, list | tuple) and len(value) == 1:
        value = value[0]
    if key == "axis" and value == -1:
        value = 3  # the channels axis of (m, n_H, n_W, n_C), however it is written
    if key in ("height_factor", "width_factor") and isinstance(value, int | float):
        value = [-value, value]  # RandomZoom(0.1) is RandomZoom((-0.1, 0.1))
    if key == "factor" and isinstance(value, int | float) and kind == "RandomRotation":
        value = [-value, value]  # RandomRotation(0.1) is RandomRotation((-0.1, 0.1))
    if key == "factor" and isinstance(value, int | float) and kind == "RandomContrast":
        value = [value, value]  # RandomContrast(0.2) is RandomContrast((0.2, 0.2))
    if key in ("kernel_size", "strides", "pool_size") and isinstance(value, int):
        value = [value, value]
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


def computation_signature(config: dict, ignored=_IGNORED_KEYS) -> str:
    """The SHA-256 of a model's configuration (``json.loads(model.to_json())``) without
    what cannot change its :func:`layer_table` or :func:`seeded_output` (initialisers,
    regularisers, constraints, dtypes, the model's own name): two models with the same
    signature describe the same. Names Keras made up (``flatten_3``, ``input_layer``) are
    numbered by their order in the model; names given in the code stay, so a model named
    otherwise is not this fast path's: it is described in full, and names play no part
    there. A digest, not the configuration: a recorded file that carries it tells a
    reader nothing of the reference's wiring."""
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
                if k not in ignored and not (top and k == "name")
            }
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    stripped = dict(config)
    if isinstance(stripped.get("config"), dict):
        stripped["config"] = strip(stripped["config"], top=True)
    text = json.dumps(rename(strip(stripped)), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def training_signature(config: dict) -> str:
    """:func:`computation_signature` keeping everything that changes how a model trains
    (initialisers, regularisers, constraints, dtypes): only names Keras made up and the
    model's own name are left out. Two models with the same training signature, trained
    with the same seed on the same data, train alike."""
    return computation_signature(config, ignored=frozenset())


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
