"""A Keras model rebuilt from a configuration the student's kernel wrote: Keras' own
layers only, never code.

``keras.models.model_from_json`` with ``safe_mode`` refuses a ``Lambda``'s bytecode, but
it would still import any module a configuration names under ``keras``, and build any
size of layer. Here the whole configuration is checked first: every object it names
must be one of :data:`ALLOWED` (plus the course's own stand-in block where the case
asks for it); then it is rebuilt in safe mode.

Example::

    model = rebuild(config_text, stand_ins=False)  # or raises UnsafeModel
"""

from __future__ import annotations

import json

MAX_CONFIG_BYTES = 20_000_000
MAX_LAYERS = 2_000
MAX_DEPTH = 64

LAYERS = {
    "InputLayer", "Conv2D", "Dense", "BatchNormalization", "Activation", "ReLU", "LeakyReLU",
    "Softmax", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D",
    "GlobalMaxPooling2D", "ZeroPadding2D", "Cropping2D", "Flatten", "Reshape", "Dropout",
    "SpatialDropout2D", "Add", "Concatenate", "Multiply", "Average", "Maximum", "Rescaling",
    "RandomFlip", "RandomRotation", "RandomZoom", "RandomContrast", "RandomTranslation",
    "RandomCrop", "RandomBrightness", "Identity", "SeparableConv2D", "DepthwiseConv2D",
}  # fmt: skip
ALLOWED = (
    {("keras.layers", name) for name in LAYERS}
    | {
        ("keras", "DTypePolicy"),
        ("keras", "FloatDTypePolicy"),
        ("keras", "Functional"),
        ("keras", "Sequential"),
        ("keras", "Model"),
        ("keras.src.models.functional", "Functional"),
        ("keras.src.models.sequential", "Sequential"),
        ("keras.models", "Sequential"),
        ("keras.models", "Functional"),
        (None, "__keras_tensor__"),
        (None, "__tuple__"),
    }
    | {
        ("keras.initializers", name)
        for name in (
            "GlorotUniform",
            "GlorotNormal",
            "HeUniform",
            "HeNormal",
            "LecunUniform",
            "LecunNormal",
            "RandomUniform",
            "RandomNormal",
            "TruncatedNormal",
            "Zeros",
            "Ones",
            "Constant",
            "Orthogonal",
            "VarianceScaling",
            "Identity",
        )  # fmt: skip
    }
    | {("keras.regularizers", name) for name in ("L1", "L2", "L1L2", "OrthogonalRegularizer")}
    | {("keras.constraints", name) for name in ("MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm")}
)
STAND_IN = ("course_utils.checks.stand_ins", "StandIn")


class UnsafeModel(ValueError):
    """A configuration the checker will not build; the message says what and why."""


def _walk(node, allowed: set, depth: int = 0, found: list | None = None) -> list:
    found = [] if found is None else found
    if depth > MAX_DEPTH:
        raise UnsafeModel("the configuration is nested too deep")
    if isinstance(node, dict):
        if "class_name" in node:
            kind = (node.get("module"), node["class_name"])
            if kind not in allowed:
                where = f"{kind[0]}.{kind[1]}" if kind[0] else kind[1]
                raise UnsafeModel(
                    f"it uses {where}, which is not one of Keras' own layers the exercise "
                    "needs (a Lambda layer, or a class of your own, cannot be checked); "
                    "build the model from keras.layers"
                )
            registered = node.get("registered_name")
            if registered not in (None, node["class_name"], "course_utils>StandIn"):
                raise UnsafeModel(f"it names a registered object {registered!r}")
            found.append(node["class_name"])
        for value in node.values():
            _walk(value, allowed, depth + 1, found)
    elif isinstance(node, list):
        for value in node:
            _walk(value, allowed, depth + 1, found)
    return found


def rebuild(text: str, stand_ins: bool = False, zeros: bool = False):
    """The keras.Model of the configuration ``text`` (``model.to_json()``); ``zeros``:
    its weights start as zeros (a model rebuilt only to be described)."""
    import keras

    if len(text) > MAX_CONFIG_BYTES:
        raise UnsafeModel(
            f"its configuration is {len(text):,} bytes (at most {MAX_CONFIG_BYTES:,})"
        )
    try:
        config = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise UnsafeModel(f"its configuration is not JSON ({exc})") from None
    allowed = ALLOWED | ({STAND_IN} if stand_ins else set())
    classes = _walk(config, allowed)
    if sum(1 for c in classes if c in LAYERS or c == "StandIn") > MAX_LAYERS:
        raise UnsafeModel(f"it has more than {MAX_LAYERS} layers")
    custom = {}
    if stand_ins:
        from course_utils.checks.stand_ins import stand_in_layer

        custom["StandIn"] = stand_in_layer()
    from course_utils.checks.layers import weights_as_zeros

    try:
        if zeros:
            with weights_as_zeros():
                return keras.models.model_from_json(text, custom_objects=custom)
        return keras.models.model_from_json(text, custom_objects=custom)
    except UnsafeModel:
        raise
    except Exception as exc:  # noqa: BLE001 - a configuration Keras cannot build
        raise UnsafeModel(f"Keras cannot rebuild it: {type(exc).__name__}: {exc}"[:400]) from None
