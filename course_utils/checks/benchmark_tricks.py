"""Checks of assignment 5, benchmark tricks: PCA colour augmentation, the augmenter,
ten crops, ensembles and multi-crop prediction.

Inputs are small probes whose content says what went wrong: :func:`crop_probe`'s every
pixel is its own index, so a wrong crop names the pixel it started at.
"""

from __future__ import annotations

import numpy as np

from ..guard import fail, student_code
from .calls import call_student, same_shape
from .expected_values import expected
from .models import check_model
from .stand_ins import forget, remember


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


def check_rgb_pca(function, exercise: str):
    """The student's ``rgb_pca(images)`` against the reference on :func:`pca_probe`:
    eigenvalues in decreasing order, eigenvectors as columns (each up to its sign; the
    covariance may divide by N or N - 1)."""
    want = expected("benchmark_tricks.rgb_pca")
    images = pca_probe()
    call = "rgb_pca(images of shape (4, 16, 16, 3))"
    got = call_student(exercise, call, function, images.copy())
    judge_rgb_pca(got, want, exercise, call)


def judge_rgb_pca(got, want: dict, exercise: str, call: str) -> None:
    """Fail unless ``got`` is (eigenvalues, eigenvectors) as ``want`` says (each
    eigenvector up to its sign)."""
    if not isinstance(got, tuple | list) or len(got) != 2:
        fail(exercise, f"{call} should return (eigenvalues, eigenvectors).")
    values = same_shape(exercise, call + "[0]", got[0], want["eigenvalues"], "3 eigenvalues.")
    vectors = same_shape(exercise, call + "[1]", got[1], want["eigenvectors"], "a 3x3 matrix.")
    want_values = np.asarray(want["eigenvalues"])
    if np.allclose(values[::-1], want_values, rtol=2e-3) and not np.allclose(
        values, want_values, rtol=2e-3
    ):
        fail(
            exercise,
            f"the eigenvalues come in increasing order: {np.round(values, 6).tolist()}.",
            "np.linalg.eigh returns them smallest first; reverse them, and the eigenvectors "
            "(columns) with them.",
        )
    if not np.allclose(values, want_values, rtol=2e-3):
        fail(
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
        fail(exercise, f"{call}: the eigenvectors do not match the eigenvalues' order.", hint)


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
        got = call_student(
            exercise, call, function, images.copy(), values, vectors,
            np.random.default_rng(7 + i), 0.1,
        )  # fmt: skip
        judge_pca_color(got, want, images, values, vectors, 7 + i, 0.1, exercise, call)
    return len(cases)


def judge_pca_color(got, want, images, values, vectors, seed, sigma, exercise, call) -> None:
    """Fail unless ``got`` is ``want`` (the reference's shifted images for
    ``np.random.default_rng(seed)``), naming what the shift got wrong."""
    want = np.asarray(want)
    values, vectors = np.asarray(values), np.asarray(vectors)
    m = len(images)
    got = same_shape(exercise, call, got, want, "the images keep their shape.")
    if np.allclose(got, want, atol=1e-6):
        return
    shift = (got - images).reshape(m, -1, 3)
    alpha = np.random.default_rng(seed).normal(0.0, sigma, size=(m, 3))
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
    fail(
        exercise,
        f"{call}: at {where} expected {want[where]:.6f}, found {got[where]:.6f}.",
        hint,
    )


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

    want = expected(key)
    with student_code(exercise):
        first = built(input_shape)
    if not isinstance(first, keras.Model):
        check_model(built, key, exercise, input_shape)  # says what it found instead
    judge_augmenter(first, want, kwargs, exercise, input_shape)
    return first


def judge_augmenter(model, want: dict, kwargs: dict, exercise: str, input_shape=(8, 8, 3)):
    """Fail unless the built augmenter ``model`` has the reference's layers (``want``,
    a :func:`~course_utils.checks.models.describe` result), passes images through
    unchanged at inference and distorts them in training. ``model`` is run, so it must
    hold Keras' own layers only (the checker rebuilds it from its configuration)."""
    from .models import describe, judge_model

    first = model
    want_types = [row["type"] for row in want["layers"]]
    if len(first.layers) != len(want_types):
        args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        fail(
            exercise,
            f"build_augmenter({args}) should have {len(want_types)} layers "
            f"({', '.join(want_types)}), "
            f"found {len(first.layers)} ({', '.join(type(x).__name__ for x in first.layers)}).",
            "one layer per distortion, in the order given; leave a layer out when its "
            "argument is False or 0.",
        )
    images = np.random.default_rng(3).uniform(0, 1, size=(4, *input_shape)).astype("float32")
    if not np.array_equal(np.asarray(first(images, training=False)), images):
        fail(
            exercise,
            "at inference (training=False) the augmenter changed the images.",
            "use Keras' Random* layers only: they distort in training and pass images "
            "through unchanged at inference.",
        )
    judge_model(describe(first, exercise), want, exercise)
    if kwargs.get("flip", True) and np.array_equal(
        np.asarray(first(images, training=True)), images
    ):
        fail(
            exercise,
            "in training (training=True) the augmenter left the images unchanged.",
            "the layers must get the function's arguments (a factor of 0 does nothing).",
        )


_CROP_NAMES = ("top-left", "top-right", "bottom-left", "bottom-right", "centre")


def check_ten_crop(function, key: str, exercise: str, shape=(2, 7, 9, 2), crop_size=4):
    """The student's ``ten_crop(images, crop_size)`` on :func:`crop_probe` images
    against the reference: shape, order and exact content of every crop."""
    want = np.asarray(expected(key))
    images = crop_probe(shape)
    call = f"ten_crop(images of shape {shape}, {crop_size})"
    got = call_student(exercise, call, function, images.copy(), crop_size)
    return judge_ten_crop(got, want, shape, exercise, call)


def judge_ten_crop(got, want, shape, exercise: str, call: str):
    """Fail unless ``got`` holds the ten crops ``want`` holds of ``crop_probe(shape)``,
    naming the first wrong crop by the pixel it starts at."""
    want = np.asarray(want)
    got = same_shape(
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
        fail(
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
    got = call_student(exercise, call, function, probe_models(3), X)
    return judge_ensemble(got, want, exercise, call)


def judge_ensemble(got, want, exercise: str, call: str):
    """Fail unless ``got`` is the ensemble's averaged probabilities ``want``."""
    want = np.asarray(want)
    got = same_shape(
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
        fail(
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
    # a ten_crop stand-in (with_correct) answers with the crops the check knows for X
    crops = np.asarray(expected(key + "_crops"), dtype=X.dtype)
    remember("ten_crop", (X, crop_size), crops)
    try:
        got = call_student(exercise, call, function, probe_models(1)[0], X, crop_size)
    finally:
        forget("ten_crop")
    return judge_multi_crop(got, want, exercise, call)


def judge_multi_crop(got, want, exercise: str, call: str):
    """Fail unless ``got`` is the ten-crop average of probabilities ``want``."""
    want = np.asarray(want)
    got = same_shape(
        exercise, call, got, want,
        "return class probabilities, one row per image: average over its ten crops.",
    )  # fmt: skip
    if not np.allclose(got, want, atol=1e-5):
        fail(
            exercise,
            f"{call}: expected {np.round(want[0], 4).tolist()} for the first image, found "
            f"{np.round(got[0], 4).tolist()}.",
            "predict all ten crops of each image (ten_crop) and average the ten rows of "
            "probabilities; reshape (m * 10, ...) back to (m, 10, classes) first.",
        )
    return got
