"""Instructor-only: the reference solutions of the graded exercises.

Never part of a student bundle. The checks in ``course_utils.checks`` compute expected
values from these at check time when this package is present (the instructor's
autograder, the source notebooks, CI), and fall back to values recorded from them at
release time when it is not (the student bundle).

``BUILDERS`` maps a check key to a function that builds the reference model.
"""

from . import benchmark_tricks, classic_networks, inception, keras_tutorial, residual_networks


def _block(block, input_shape, *args, **kwargs):
    from course_utils.checks import block_model

    return block_model(block, input_shape, *args, **kwargs)


# the functions an exercise builds on, correct, for grading it on its own (unguarded)
STAND_INS = {
    "identity_block": residual_networks.identity_block.__wrapped__,
    "convolutional_block": residual_networks.convolutional_block.__wrapped__,
    "inception_module": inception.inception_module.__wrapped__,
    "ten_crop": benchmark_tricks.ten_crop.__wrapped__,
}

BUILDERS = {
    "classic_networks.lenet5": lambda: classic_networks.lenet5((32, 32, 1)),
    "classic_networks.alexnet": lambda: classic_networks.alexnet((227, 227, 3)),
    "classic_networks.vgg16": lambda: classic_networks.vgg16((224, 224, 3)),
    "residual_networks.identity_block": lambda: _block(
        residual_networks.identity_block, (4, 4, 6), 3, (2, 4, 6), name="check"
    ),
    "residual_networks.identity_block_f2": lambda: _block(
        residual_networks.identity_block, (5, 3, 8), 2, (3, 2, 8), name="other"
    ),
    "residual_networks.convolutional_block": lambda: _block(
        residual_networks.convolutional_block, (4, 4, 6), 3, (2, 4, 6), s=2, name="check"
    ),
    "residual_networks.convolutional_block_s1": lambda: _block(
        residual_networks.convolutional_block, (5, 3, 3), 2, (2, 3, 5), s=1, name="other"
    ),
    "residual_networks.ResNet50": lambda: residual_networks.ResNet50((64, 64, 3), 6),
    "inception.inception_module": lambda: _block(
        inception.inception_module, (6, 6, 5), (4, 2, 4, 2, 3, 3), name="check"
    ),
    "inception.inception_module_other": lambda: _block(
        inception.inception_module, (5, 7, 3), (2, 3, 2, 1, 2, 1), name="other"
    ),
    "inception.small_inception_net": lambda: inception.small_inception_net((64, 64, 3), 6),
    "inception.small_inception_net_32": lambda: inception.small_inception_net((32, 32, 3), 10),
    "benchmark_tricks.build_augmenter": lambda: _augmenter(),
    "benchmark_tricks.build_augmenter_partial": lambda: _augmenter(flip=False, zoom=0),
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
    return benchmark_tricks.multi_crop_predict(probe_models(1)[0], X, 4).tolist()


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
    "benchmark_tricks.pca_color_augmentation_1": lambda: _pca_color(1, 3, 2, 4),
    "benchmark_tricks.ten_crop": lambda: _ten_crop((2, 7, 9, 2), 4),
    "benchmark_tricks.ten_crop_other": lambda: _ten_crop((1, 6, 6, 3), 5),
    "benchmark_tricks.ensemble_predict": _ensemble,
    "benchmark_tricks.multi_crop_predict": _multi_crop,
    "keras_tutorial.layer_output_shapes": lambda: keras_tutorial.layer_output_shapes((64, 64, 3)),
}


def record_all():
    """Re-record the expected values of every check (run after changing a reference)."""
    from course_utils import checks

    keys = sorted({*BUILDERS, *VALUES, *MEASURED})
    for assignment in sorted({k.split(".")[0] for k in keys}):
        print(checks.record(assignment, [k for k in keys if k.startswith(assignment + ".")]))
