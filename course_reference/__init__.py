"""Instructor-only: the reference solutions of the graded exercises, and the expected
values of the public checks computed from them.

Never in a student bundle, never visible to a grading kernel. ``course_utils`` does not
import this package: it finds :func:`live_value` through the entry point group
``course_utils.expected`` (``pyproject.toml``) where this package is installed and
importable, and reads ``course_utils/recorded/`` elsewhere; :mod:`.record` writes those
files. The trusted checker of the grader (``course_grader``) imports it directly.

``BUILDERS`` maps a check key to a function that builds the reference model, ``VALUES``
to one that computes a plain value, ``MEASURED`` to a training run whose result is
always read from the recorded file (too slow to compute at check time).
"""

from course_utils.checks import stand_ins

from . import benchmark_tricks, classic_networks, inception, keras_tutorial, residual_networks


def _block(block, input_shape, *args, **kwargs):
    from course_utils.checks import block_model

    return block_model(block, input_shape, *args, **kwargs)


def _resnet50_with_stand_ins(input_shape=(64, 64, 3), classes=6, stages=(3, 4, 6, 3)):
    """ResNet-50 with stand-in blocks: what the ResNet50 exercise is compared with on its
    own (course_utils.checks.stand_ins)."""
    return residual_networks.resnet(
        input_shape, classes, stages, f"ResNet{3 * sum(stages) + 2}",
        stand_ins.STAND_INS["identity_block"], stand_ins.STAND_INS["convolutional_block"],
    )  # fmt: skip


def _small_inception_with_stand_ins(input_shape=(64, 64, 3), classes=6):
    """The small inception network with stand-in modules."""
    return inception.small_inception_net_with(
        stand_ins.STAND_INS["inception_module"], input_shape, classes
    )


RESNET_STAGES = (2, 3, 4, 2)  # the public check of ResNet50's `stages`

BUILDERS = {
    "classic_networks.lenet5": lambda: classic_networks.lenet5((32, 32, 1)),
    "classic_networks.alexnet": lambda: classic_networks.alexnet((227, 227, 3)),
    "classic_networks.vgg16": lambda: classic_networks.vgg16((224, 224, 3)),
    "residual_networks.identity_block": lambda: _block(
        residual_networks.identity_block, (4, 4, 6), 3, (2, 4, 6), name="check"
    ),
    "residual_networks.convolutional_block": lambda: _block(
        residual_networks.convolutional_block, (4, 4, 6), 3, (2, 4, 6), s=2, name="check"
    ),
    "residual_networks.ResNet50": lambda: _resnet50_with_stand_ins((64, 64, 3), 6),
    "residual_networks.ResNet50_stages": lambda: _resnet50_with_stand_ins(
        (64, 64, 3), 6, RESNET_STAGES
    ),
    "inception.inception_module": lambda: _block(
        inception.inception_module, (6, 6, 5), (4, 2, 4, 2, 3, 3), name="check"
    ),
    "inception.small_inception_net": lambda: _small_inception_with_stand_ins((64, 64, 3), 6),
    "benchmark_tricks.build_augmenter": lambda: _augmenter(),
    "keras_tutorial.HappyModel": lambda: keras_tutorial.HappyModel((64, 64, 3)),
    "keras_tutorial.happy_model_sequential": lambda: keras_tutorial.happy_model_sequential(
        (64, 64, 3)
    ),
}

# measured: too slow to compute at check time, so always read from recorded/ (a slow
# test re-measures them)
MEASURED = {
    "keras_tutorial.lecture_dev_score": keras_tutorial.lecture_dev_score,
}


def _cases(function, calls):
    """[{"args", "kwargs", "result"}] for the reference ``function`` on each call."""
    return [
        {"args": list(args), "kwargs": kwargs, "result": function(*args, **kwargs)}
        for args, kwargs in calls
    ]


# conv arithmetic: the lecture's examples, the classic networks' first layers, a stride
# that does not divide (AlexNet's 224 vs 227) and an explicit padding
CONV_CALLS = [
    (((32, 32, 1), 6, 5), {}),
    (((28, 28, 192), 32, 5), {"s": 1, "padding": "same"}),
    (((28, 28, 192), 16, 1), {}),
    (((28, 28, 16), 32, 5), {"padding": "same"}),
    (((7, 7, 3), 1, 3), {"s": 2}),
    (((227, 227, 3), 96, 11), {"s": 4}),
    (((224, 224, 3), 96, 11), {"s": 4}),
    (((224, 224, 3), 64, 3), {"padding": "same"}),
    (((13, 13, 256), 384, 3), {"padding": 1}),
]


# bottleneck costs: the lecture's example, branches of GoogLeNet's inception (3a), (4a)
# and (5b), a 3x3 stem, a non-square input, and a 1x1 "expansion"
BOTTLENECK_CALLS = [
    (((28, 28, 192), 32, 5, 16), {}),
    (((28, 28, 192), 128, 3, 96), {}),
    (((14, 14, 480), 48, 5, 16), {}),
    (((7, 7, 832), 128, 5, 48), {}),
    (((56, 56, 64), 192, 3, 64), {}),
    (((10, 6, 3), 4, 3, 2), {}),
    (((8, 8, 16), 64, 1, 4), {}),
]


def _augmenter(**kwargs):
    model = benchmark_tricks.build_augmenter(**kwargs)
    model.build((None, 8, 8, 3))
    return model


def _rgb_pca():
    from course_utils.checks import pca_probe

    values, vectors = benchmark_tricks.rgb_pca(pca_probe())
    return {"eigenvalues": values.tolist(), "eigenvectors": vectors.tolist()}


def _pca_color(i, m, n_H, n_W):
    import numpy as np

    from course_utils.checks import pca_probe

    values, vectors = benchmark_tricks.rgb_pca(pca_probe())
    images = pca_probe()[:m, :n_H, :n_W]
    rng = np.random.default_rng(7 + i)
    return benchmark_tricks.pca_color_augmentation(images, values, vectors, rng, 0.1).tolist()


def _ten_crop(shape, crop_size):
    from course_utils.checks import crop_probe

    return benchmark_tricks.ten_crop(crop_probe(shape), crop_size).tolist()


def _ensemble():
    from course_utils.checks import crop_probe, probe_models

    X = crop_probe((2, 4, 4, 2)) / 32.0
    return benchmark_tricks.ensemble_predict(probe_models(3), X).tolist()


def _multi_crop():
    from course_utils.checks import crop_probe, probe_models

    X = crop_probe((2, 7, 9, 2)) / 126.0
    return benchmark_tricks.multi_crop_predict.unguarded(probe_models(1)[0], X, 4).tolist()


def _multi_crop_crops():
    """The ten crops of check_multi_crop's input: what its ten_crop stand-in answers."""
    from course_utils.checks import crop_probe

    X = crop_probe((2, 7, 9, 2)) / 126.0
    return benchmark_tricks.ten_crop.unguarded(X, 4).tolist()


def _gradient_norms():
    from course_utils.checks import gradient_probe

    return residual_networks.layer_gradient_norms(*gradient_probe())


VALUES = {
    "residual_networks.layer_gradient_norms": _gradient_norms,
    "classic_networks.conv_output_shape": lambda: _cases(
        classic_networks.conv_output_shape, CONV_CALLS
    ),
    "classic_networks.conv_multiplications": lambda: _cases(
        classic_networks.conv_multiplications, CONV_CALLS
    ),
    "inception.bottleneck_cost": lambda: _cases(inception.bottleneck_cost, BOTTLENECK_CALLS),
    "benchmark_tricks.rgb_pca": _rgb_pca,
    "benchmark_tricks.pca_color_augmentation_0": lambda: _pca_color(0, 2, 3, 3),
    "benchmark_tricks.ten_crop": lambda: _ten_crop((2, 7, 9, 2), 4),
    "benchmark_tricks.ensemble_predict": _ensemble,
    "benchmark_tricks.multi_crop_predict": _multi_crop,
    "benchmark_tricks.multi_crop_predict_crops": _multi_crop_crops,
    "keras_tutorial.layer_output_shapes": lambda: keras_tutorial.layer_output_shapes((64, 64, 3)),
}


def keys(assignment: str | None = None) -> list[str]:
    """Every check key (of ``assignment``), sorted."""
    every = sorted({*BUILDERS, *VALUES, *MEASURED})
    return [k for k in every if assignment is None or k.startswith(assignment + ".")]


def reference_model(key: str):
    """The reference model of check ``key`` as a lazy
    :class:`~course_utils.checks.models.Description` (built with zero weights: describing
    it draws them again)."""
    from course_utils.checks.layers import weights_as_zeros
    from course_utils.checks.models import Description

    with weights_as_zeros():
        model = BUILDERS[key]()
    return Description(model, key)


def compute(key: str):
    """The expected value of ``key`` computed now from the reference (plain data; a
    model's description carries its computation signature too)."""
    from course_utils.checks import plain

    if key in BUILDERS:
        return reference_model(key).full()
    if key in VALUES:
        return plain(VALUES[key]())
    if key in MEASURED:
        return plain(MEASURED[key]())
    raise KeyError(f"no reference for check {key!r}")


def live_value(key: str):
    """The entry point ``course_utils.expected``: ``key``'s value computed live, or
    ``KeyError`` for a measured value (read from the recorded file) or an unknown key."""
    if key in BUILDERS:  # described only if the student's model is not the same
        return reference_model(key)
    if key in VALUES:
        return compute(key)
    raise KeyError(key)
