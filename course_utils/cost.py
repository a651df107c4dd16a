"""What a network costs: parameters and multiplications, counted from the layers' settings.

The lecture counts the cost of a convolution in **multiplications**: a 5x5 'same'
convolution with 32 filters on a 28x28x192 volume computes 28x28x32 numbers, each from
5x5x192 multiplications - 120,422,400 in all. Every multiplication is followed by an
addition, so these are multiply-accumulates (**MACs**); papers that say "FLOPs" often
mean the same thing (ResNet-50's "3.8 x 10^9 FLOPs" are multiply-adds), while others
count the multiplication and the addition separately: FLOPs = 2 x MACs, which
:meth:`CostTable.flops` gives when asked. Biases are additions, not multiplications.

MACs are counted for the layers with weights (convolutions and dense layers), where
nearly all the arithmetic is. The cheap element-wise work of the other layers (batch
normalisation's scale and shift, pooling's comparisons, activations, additions of a
skip connection) is shown apart, as ``other_ops``, and never mixed into the MACs.

Every count is analytic (from the layer's configuration and its input shape), and the
output shape it derives is compared with the one Keras computed, so a formula that
disagrees with Keras fails loudly instead of counting wrong.

Examples
--------
>>> from course_utils import cost
>>> cost.conv2d((28, 28, 192), filters=32, kernel_size=5, padding="same").macs
120422400
>>> table = cost.model_cost(model)          # doctest: +SKIP  (any built Keras model)
>>> print(table)                            # doctest: +SKIP  (a plain text table)
>>> table.plot()                            # doctest: +SKIP  (MACs and parameters per layer)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .guard import not_an_answer

_NOT_AN_ANSWER = not_an_answer("course_utils.cost, which computes the answer for you")


class UncountedLayerError(TypeError):
    """A layer whose cost this module does not know how to count."""


@dataclass
class LayerCost:
    """The cost of one layer (one call of it, for a layer called several times).

    ``output_shape`` excludes the batch dimension; ``macs`` is ``None`` for a layer that
    could not be counted (only when the caller asked to list such layers).
    """

    name: str
    type: str
    output_shape: tuple
    params: int
    macs: int | None
    other_ops: int = 0
    note: str = ""

    @property
    def weighted(self) -> bool:
        """True for the layers that carry the network's depth: convolutions and dense."""
        return self.type in WEIGHTED


WEIGHTED = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Dense")


def _pair(value, what: str) -> tuple[int, int]:
    """(a, b) from an int or a pair of positive ints."""
    try:
        a, b = (value, value) if not isinstance(value, list | tuple) else value
        return _positive(a, what), _positive(b, what)
    except (TypeError, ValueError):
        raise ValueError(
            f"{what} must be a positive int or a pair of them, got {value!r}"
        ) from None


def _size(shape) -> int:
    return int(math.prod(shape))


@_NOT_AN_ANSWER
def _spatial_out(n: int, k: int, s: int, padding, dilation: int = 1) -> int:
    """One spatial dimension of a convolution or pooling output.

    'valid': floor((n - k_eff) / s) + 1; 'same': ceil(n / s) (Keras pads as needed);
    an int p: zero padding p on both sides, floor((n + 2p - k_eff) / s) + 1 - the
    lecture's formula. k_eff = dilation * (k - 1) + 1.
    """
    k_eff = dilation * (k - 1) + 1
    if padding == "same":
        return -(-n // s)
    if padding == "valid":
        p = 0
    elif isinstance(padding, int) and not isinstance(padding, bool) and padding >= 0:
        p = padding
    else:
        raise ValueError(f"padding must be 'valid', 'same' or an int >= 0, got {padding!r}")
    out = (n + 2 * p - k_eff) // s + 1
    if out < 1:
        window = f"{k}x{k} window" + (f" (dilated to {k_eff}x{k_eff})" if dilation > 1 else "")
        raise ValueError(
            f"a {window} (stride {s}, padding {padding!r}) does not fit in {n} pixels"
        )
    return out


def _positive(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{what} must be a positive int, got {value!r}")
    return int(value)


def _check_input(input_shape, rank: int, what: str) -> tuple[int, ...]:
    try:
        shape = tuple(_positive(d, "every size") for d in input_shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"{what}: input_shape must be {rank} ints (no batch dimension), got {input_shape!r}"
        ) from None
    if len(shape) != rank or min(shape) < 1:
        raise ValueError(
            f"{what}: input_shape must be {rank} positive ints (n_H, n_W, n_C), without "
            f"the batch dimension; got {input_shape!r}"
        )
    return shape


@_NOT_AN_ANSWER
def _conv2d(
    input_shape,
    filters,
    kernel_size,
    strides=1,
    padding="valid",
    groups=1,
    use_bias=True,
    dilation_rate=1,
    name="conv2d",
    activation=None,
) -> LayerCost:
    n_H, n_W, n_C = _check_input(input_shape, 3, "Conv2D")
    filters, groups = _positive(filters, "filters"), _positive(groups, "groups")
    kh, kw = _pair(kernel_size, "kernel_size")
    sh, sw = _pair(strides, "strides")
    dh, dw = _pair(dilation_rate, "dilation_rate")
    if n_C % groups or filters % groups:
        raise ValueError(
            f"groups={groups} must divide the input channels ({n_C}) and filters ({filters})"
        )
    out = (
        _spatial_out(n_H, kh, sh, padding, dh),
        _spatial_out(n_W, kw, sw, padding, dw),
        filters,
    )
    per_output = kh * kw * (n_C // groups)  # each output number: one filter over its window
    return LayerCost(
        name,
        "Conv2D",
        out,
        params=per_output * filters + (filters if use_bias else 0),
        macs=_size(out) * per_output,
        other_ops=_activation_ops(activation, out),
        note=f"groups={groups}" if groups > 1 else "",
    )


@_NOT_AN_ANSWER
def conv2d(
    input_shape,
    filters: int,
    kernel_size,
    strides=1,
    padding="valid",
    groups: int = 1,
    use_bias: bool = True,
    dilation_rate=1,
) -> LayerCost:
    """The cost of a 2-D convolution on one example.

    input_shape: (n_H, n_W, n_C). padding: 'valid', 'same', or an int p (p zeros on
    every side, the lecture's formula n_H' = floor((n_H + 2p - f) / s) + 1).
    Returns a :class:`LayerCost` with output_shape (n_H', n_W', filters),
    params = f_H * f_W * n_C / groups * filters (+ filters biases) and
    macs = n_H' * n_W' * filters * f_H * f_W * n_C / groups.

    >>> conv2d((28, 28, 192), 16, 1).macs + conv2d((28, 28, 16), 32, 5, padding="same").macs
    12443648
    """
    return _conv2d(
        input_shape, filters, kernel_size, strides, padding, groups, use_bias, dilation_rate
    )


@_NOT_AN_ANSWER
def dense(n_in: int, units: int, use_bias: bool = True) -> LayerCost:
    """The cost of a dense (fully connected) layer on one example of ``n_in`` numbers:
    params = n_in * units (+ units biases), macs = n_in * units."""
    return _dense((_positive(n_in, "n_in"),), _positive(units, "units"), use_bias)


def _dense(input_shape, units, use_bias=True, name="dense", activation=None) -> LayerCost:
    *lead, n_in = input_shape
    out = (*lead, units)
    return LayerCost(
        name,
        "Dense",
        out,
        params=n_in * units + (units if use_bias else 0),
        macs=_size(lead) * n_in * units,
        other_ops=_activation_ops(activation, out),
    )


def _activation_ops(activation, shape) -> int:
    return 0 if activation in (None, "linear") else _size(shape)


# --------------------------------------------------------------------------- Keras layers
def _cost_of(layer, in_shapes: list[tuple], name: str) -> LayerCost:
    """Count one call of a (non-model) Keras layer on inputs of ``in_shapes``."""
    kind = type(layer).__name__
    config = layer.get_config()
    if config.get("data_format", "channels_last") != "channels_last":
        raise UncountedLayerError(
            f"layer {name!r} ({kind}) uses data_format={config['data_format']!r}; "
            "course_utils.cost counts channels_last layers (the Keras default) only."
        )
    shape = in_shapes[0] if in_shapes else ()
    elements = _size(shape)
    activation = config.get("activation")
    if kind == "Conv2D":
        return _conv2d(
            shape,
            config["filters"],
            config["kernel_size"],
            config["strides"],
            config["padding"],
            config.get("groups", 1),
            config["use_bias"],
            config["dilation_rate"],
            name,
            activation,
        )
    if kind == "DepthwiseConv2D":
        n_H, n_W, n_C = shape
        kh, kw = _pair(config["kernel_size"], "kernel_size")
        sh, sw = _pair(config["strides"], "strides")
        dh, dw = _pair(config["dilation_rate"], "dilation_rate")
        mult = config["depth_multiplier"]
        out = (
            _spatial_out(n_H, kh, sh, config["padding"], dh),
            _spatial_out(n_W, kw, sw, config["padding"], dw),
            n_C * mult,
        )
        return LayerCost(
            name,
            kind,
            out,
            params=kh * kw * n_C * mult + (n_C * mult if config["use_bias"] else 0),
            macs=_size(out) * kh * kw,
            other_ops=_activation_ops(activation, out),
        )
    if kind == "SeparableConv2D":
        n_H, n_W, n_C = shape
        kh, kw = _pair(config["kernel_size"], "kernel_size")
        sh, sw = _pair(config["strides"], "strides")
        dh, dw = _pair(config["dilation_rate"], "dilation_rate")
        mult, filters = config["depth_multiplier"], config["filters"]
        spatial = (
            _spatial_out(n_H, kh, sh, config["padding"], dh),
            _spatial_out(n_W, kw, sw, config["padding"], dw),
        )
        out = (*spatial, filters)
        depthwise = _size(spatial) * n_C * mult * kh * kw
        pointwise = _size(spatial) * n_C * mult * filters
        return LayerCost(
            name,
            kind,
            out,
            params=kh * kw * n_C * mult
            + n_C * mult * filters
            + (filters if config["use_bias"] else 0),
            macs=depthwise + pointwise,
            other_ops=_activation_ops(activation, out),
        )
    if kind == "Dense":
        return _dense(shape, config["units"], config["use_bias"], name, activation)
    if kind == "BatchNormalization":
        axis = config["axis"]
        axis = axis[0] if isinstance(axis, list | tuple) else axis
        channels = (None, *shape)[axis]
        per_channel = 2 + bool(config["center"]) + bool(config["scale"])
        # at inference: one multiplication and one addition per element (folded stats)
        return LayerCost(name, kind, shape, channels * per_channel, 0, 2 * elements)
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        n_H, n_W, n_C = shape
        kh, kw = _pair(config["pool_size"], "pool_size")
        sh, sw = _pair(config["strides"] or config["pool_size"], "strides")
        out = (
            _spatial_out(n_H, kh, sh, config["padding"]),
            _spatial_out(n_W, kw, sw, config["padding"]),
            n_C,
        )
        return LayerCost(name, kind, out, 0, 0, _size(out) * kh * kw)
    if kind in ("GlobalAveragePooling2D", "GlobalMaxPooling2D"):
        out = (1, 1, shape[-1]) if config.get("keepdims") else (shape[-1],)
        return LayerCost(name, kind, out, 0, 0, elements)
    if kind == "ZeroPadding2D":
        (top, bottom), (left, right) = config["padding"]
        out = (shape[0] + top + bottom, shape[1] + left + right, shape[2])
        return LayerCost(name, kind, out, 0, 0)
    if kind in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"):
        return LayerCost(name, kind, shape, 0, 0, elements * (len(in_shapes) - 1))
    if kind == "Concatenate":
        axis = config["axis"]
        out = list(shape)
        out[axis if axis < 0 else axis - 1] = sum(
            s[axis if axis < 0 else axis - 1] for s in in_shapes
        )
        return LayerCost(name, kind, tuple(out), 0, 0)
    if kind == "Flatten":
        return LayerCost(name, kind, (elements,), 0, 0)
    if kind == "Reshape":
        target = list(config["target_shape"])
        if -1 in target:
            known = _size(d for d in target if d != -1)
            target[target.index(-1)] = elements // known
        return LayerCost(name, kind, tuple(target), 0, 0)
    if kind in ("Activation", "ReLU", "Softmax", "LeakyReLU", "ELU", "PReLU"):
        return LayerCost(name, kind, shape, int(layer.count_params()), 0, elements)
    if kind == "Rescaling":
        return LayerCost(name, kind, shape, 0, 0, 2 * elements)
    if kind in ZERO_COST_AT_INFERENCE:
        return LayerCost(name, kind, shape, 0, 0, note="no work at inference")
    raise UncountedLayerError(
        f"course_utils.cost cannot count layer {name!r} of type {kind}. It counts "
        f"{', '.join(sorted(COUNTED))}. Pass uncounted='list' to model_cost to list such "
        "layers instead (their MACs are then shown as unknown, never as zero)."
    )


# identity at inference: dropout, and the data augmentation layers
ZERO_COST_AT_INFERENCE = (
    "Dropout",
    "SpatialDropout2D",
    "GaussianNoise",
    "Identity",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "RandomContrast",
    "RandomBrightness",
    "RandomShear",
    "RandomElasticTransform",
)
COUNTED = (
    *WEIGHTED,
    "BatchNormalization",
    "MaxPooling2D",
    "AveragePooling2D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling2D",
    "ZeroPadding2D",
    "Add",
    "Subtract",
    "Multiply",
    "Average",
    "Maximum",
    "Minimum",
    "Concatenate",
    "Flatten",
    "Reshape",
    "Activation",
    "ReLU",
    "Softmax",
    "LeakyReLU",
    "ELU",
    "PReLU",
    "Rescaling",
    *ZERO_COST_AT_INFERENCE,
)


# --------------------------------------------------------------------------- models
@dataclass
class CostTable:
    """The cost of a model, one row per layer call.

    ``rows``: :class:`LayerCost`; ``uncounted``: names of layers that could not be
    counted (only with ``uncounted='list'``).
    """

    model_name: str
    rows: list[LayerCost]
    uncounted: list[str] = field(default_factory=list)

    @property
    def params(self) -> int:
        """All parameters, trainable or not (equals ``model.count_params()``)."""
        return sum(r.params for r in self.rows)

    @property
    def macs(self) -> int:
        """Multiply-accumulates for one example (raises if some layer was uncounted)."""
        if self.uncounted:
            raise UncountedLayerError(
                f"{self.model_name}: the MACs of {', '.join(self.uncounted)} are unknown, "
                "so the total is too."
            )
        return sum(r.macs for r in self.rows)

    def flops(self) -> int:
        """FLOPs counting a multiplication and an addition separately: 2 x MACs."""
        return 2 * self.macs

    @property
    def depth(self) -> int:
        """The number of weighted layers (convolutions and dense). Every one counts, so
        ResNet-50's four shortcut projections make it 54; VGG-16 gives 16, AlexNet 8 and
        LeNet-5 5 (its paper counts 7 layers, the two pooling layers included)."""
        return sum(r.weighted for r in self.rows)

    def share(self, kind: str) -> tuple[float, float]:
        """The fraction of (parameters, MACs) in layers of type ``kind`` ("Dense", ...)."""
        params = sum(r.params for r in self.rows if r.type == kind)
        macs = sum(r.macs or 0 for r in self.rows if r.type == kind)
        return params / max(self.params, 1), macs / max(self.known_macs, 1)

    def grouped(self, key) -> dict[str, LayerCost]:
        """The rows summed by group, in the order groups first appear: ``key(layer
        name) -> group name`` (for example, every layer of an inception module to the
        module's name). Each group's ``output_shape`` is that of its last layer; its
        ``type`` lists the layer types in it; its MACs are ``None`` if any are unknown.
        """
        groups: dict[str, list[LayerCost]] = {}
        for row in self.rows:
            groups.setdefault(key(row.name), []).append(row)
        return {
            name: LayerCost(
                name=name,
                type="+".join(dict.fromkeys(r.type for r in rows)),
                output_shape=rows[-1].output_shape,
                params=sum(r.params for r in rows),
                macs=None if any(r.macs is None for r in rows) else sum(r.macs for r in rows),
                other_ops=sum(r.other_ops for r in rows),
            )
            for name, rows in groups.items()
        }

    @property
    def known_macs(self) -> int:
        """The MACs of the layers that were counted (all of them unless ``uncounted``)."""
        return sum(r.macs or 0 for r in self.rows)

    def format(self, weighted_only: bool = False, show_names: bool = True) -> str:
        """A plain text table (no pandas needed): layer, type, output shape, parameters,
        MACs, other element-wise operations. ``show_names=False`` leaves out the layer
        names (Keras numbers unnamed layers per session: flatten, flatten_1, ...)."""
        rows = [r for r in self.rows if r.weighted or not weighted_only]
        head = ("layer", "type", "output shape", "params", "MACs", "other ops")
        body = [
            (
                r.name,
                r.type,
                "x".join(map(str, r.output_shape)),
                f"{r.params:,}",
                "unknown" if r.macs is None else f"{r.macs:,}",
                f"{r.other_ops:,}",
            )
            for r in rows
        ]
        total = (
            "total",
            f"{self.depth} weighted",
            "",
            f"{self.params:,}",
            "unknown" if self.uncounted else f"{self.macs:,}",
            f"{sum(r.other_ops for r in self.rows):,}",
        )
        first = 0 if show_names else 1
        if not show_names:
            total = ("", "total", *total[2:])
        table = [row[first:] for row in (head, *body, total)]
        widths = [max(len(str(x[i])) for x in table) for i in range(len(table[0]))]
        texts = 3 - first  # the first columns are text, left-aligned; numbers go right

        def line(cells):
            return "  ".join(
                str(c).ljust(w) if i < texts else str(c).rjust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            ).rstrip()

        rule = "  ".join("-" * w for w in widths)
        head_line, *body_lines, total_line = map(line, table)
        return "\n".join([head_line, rule, *body_lines, rule, total_line])

    def __str__(self) -> str:
        return self.format()

    def plot(self, ax=None, weighted_only: bool = True):
        """Bar chart of MACs and parameters per layer (log scale). Returns the Figure."""
        from .plotting import plot_layer_costs

        return plot_layer_costs(self, ax=ax, weighted_only=weighted_only)


def _graph(model):
    """The Functional graph behind a model (a Sequential keeps one once it has an input)."""
    graph = model if hasattr(model, "_nodes_by_depth") else getattr(model, "_functional", None)
    if graph is None:
        raise ValueError(
            f"model {model.name!r} has no defined input, so its layers have no shapes. Start "
            "it from keras.Input(shape) (Sequential: put keras.Input first in the list); a "
            "subclassed model cannot be walked."
        )
    return graph


# keras.ops called directly on symbolic tensors: element-wise, no multiply-accumulates
ELEMENTWISE_OPS = (
    "Add",
    "Subtract",
    "Multiply",
    "Divide",
    "TrueDivide",
    "Negative",
    "Abs",
    "Square",
    "Sqrt",
    "Exp",
    "Log",
    "Maximum",
    "Minimum",
    "Relu",
    "Sigmoid",
    "Tanh",
    "Softmax",
)


def _is_model(operation) -> bool:
    return hasattr(operation, "layers") and (
        hasattr(operation, "_nodes_by_depth") or hasattr(operation, "_functional")
    )


def _walk(model, prefix: str, rows: list, uncounted: list, mode: str) -> None:
    import keras

    graph = _graph(model)
    in_graph = {id(n) for nodes in graph._nodes_by_depth.values() for n in nodes}
    for operation in graph._operations:
        name = prefix + operation.name
        kind = type(operation).__name__
        if kind == "InputLayer":
            continue
        calls = [n for n in operation._inbound_nodes if id(n) in in_graph]
        for call, node in enumerate(calls):
            label = name if len(calls) == 1 else f"{name}[{call}]"
            if _is_model(operation):
                start = len(rows)
                _walk(operation, label + "/", rows, uncounted, mode)
                if call > 0:  # a nested model called again: its work again, not its weights
                    for row in rows[start:]:
                        row.params = 0
                continue
            in_shapes = [tuple(t.shape[1:]) for t in node.input_tensors]
            keras_shape = tuple(node.outputs[0].shape[1:])
            if None in keras_shape or any(None in s for s in in_shapes):
                raise ValueError(
                    f"layer {label!r} ({kind}) works on inputs of unknown size "
                    f"{in_shapes}; costs need every size. Build the model from keras.Input "
                    "with a full shape, for example keras.Input((224, 224, 3))."
                )
            try:
                if isinstance(operation, keras.layers.Layer):
                    row = _cost_of(operation, in_shapes, label)
                elif kind in ELEMENTWISE_OPS:
                    row = LayerCost(label, f"ops.{kind}", keras_shape, 0, 0, _size(keras_shape))
                else:
                    raise UncountedLayerError(
                        f"course_utils.cost cannot count {label!r}, a keras.ops.{kind.lower()} "
                        "call in the model's graph. Wrap it in a layer it knows, or pass "
                        "uncounted='list' to model_cost to list it (its MACs are then "
                        "shown as unknown, never as zero)."
                    )
            except UncountedLayerError:
                if mode != "list":
                    raise
                uncounted.append(label)
                params = operation.count_params() if hasattr(operation, "count_params") else 0
                row = LayerCost(label, kind, keras_shape, int(params), None, 0, "not counted")
            if call > 0:
                row.params = 0  # a shared layer's weights are counted once
            if tuple(row.output_shape) != keras_shape:
                raise AssertionError(
                    f"course_utils.cost computed output shape {row.output_shape} for layer "
                    f"{label!r} ({kind}) but Keras has {keras_shape}: a bug in the cost "
                    "formulas, please report it."
                )
            rows.append(row)


@_NOT_AN_ANSWER
def model_cost(model, uncounted: str = "raise") -> CostTable:
    """Walk a built Keras model (Functional, Sequential, nested) and count every layer.

    uncounted: 'raise' (default) - a layer type this module cannot count raises
    :class:`UncountedLayerError` naming it; 'list' - such layers get a row with unknown
    MACs and are listed in ``table.uncounted`` (their parameters come from Keras).

    Returns a :class:`CostTable`: ``print(table)``, ``table.params``, ``table.macs``,
    ``table.flops()``, ``table.plot()``.
    """
    if uncounted not in ("raise", "list"):
        raise ValueError(f"uncounted must be 'raise' or 'list', got {uncounted!r}")
    rows: list[LayerCost] = []
    missing: list[str] = []
    _walk(model, "", rows, missing, uncounted)
    return CostTable(model.name, rows, missing)


def compare(tables: dict) -> str:
    """Side by side, as plain text: depth, parameters, MACs, and the share of the
    parameters and MACs in dense (fully connected) layers. ``tables``: ``{name: a
    CostTable or a built Keras model}`` (a model is counted with :func:`model_cost`).

    >>> print(compare({"AlexNet": model_cost(a), "VGG-16": v}))  # doctest: +SKIP
    """
    head = ("network", "depth", "params", "MACs", "params in FC", "MACs in FC")
    body = []
    for name, t in tables.items():
        if not isinstance(t, CostTable):
            if not hasattr(t, "layers"):
                raise TypeError(
                    f"compare: {name!r} is a {type(t).__name__}; give a cost table "
                    "(cost.model_cost(model)) or a built Keras model"
                )
            t = model_cost(t)
        fc_params, fc_macs = t.share("Dense")
        body.append(
            (
                name,
                str(t.depth),
                f"{t.params:,}",
                f"{t.macs:,}",
                f"{fc_params:.1%}",
                f"{fc_macs:.1%}",
            )
        )
    widths = [max(len(x[i]) for x in (head, *body)) for i in range(len(head))]
    return "\n".join(
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in (head, *body)
    )
