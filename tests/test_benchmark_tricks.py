"""Assignment 5's checks: the reference passes, each typical mistake is named; the
reference's ten-crop and colour shift agree with plain loops; the helpers it uses."""

import re

import matplotlib

matplotlib.use("Agg")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from keras import layers  # noqa: E402

from course_reference import benchmark_tricks as ref  # noqa: E402
from course_utils import checks, plotting  # noqa: E402
from course_utils.checks import CheckFailure  # noqa: E402
from course_utils.models import small_convnet  # noqa: E402

EX = "Ex"


def test_the_reference_passes_every_check():
    checks.check_rgb_pca(ref.rgb_pca.unguarded, EX)
    assert checks.check_pca_color(ref.pca_color_augmentation.unguarded, EX) == 1
    checks.check_augmenter(ref.build_augmenter.unguarded, "benchmark_tricks.build_augmenter", EX)
    checks.check_ten_crop(ref.ten_crop.unguarded, "benchmark_tricks.ten_crop", EX)
    checks.check_ensemble(ref.ensemble_predict.unguarded, "benchmark_tricks.ensemble_predict", EX)
    checks.check_multi_crop(
        ref.multi_crop_predict.unguarded, "benchmark_tricks.multi_crop_predict", EX
    )


def test_ten_crop_agrees_with_a_loop_over_windows():
    images = np.random.default_rng(0).uniform(size=(3, 11, 8, 2))
    crops = ref.ten_crop.unguarded(images, 5)
    for i in range(3):
        for k, (r, c) in enumerate([(0, 0), (0, 3), (6, 0), (6, 3), (3, 1)]):
            assert np.array_equal(crops[i, k], images[i, r : r + 5, c : c + 5])
            mirrored = images[i, :, ::-1]
            assert np.array_equal(crops[i, 5 + k], mirrored[r : r + 5, c : c + 5])


def test_pca_colour_shift_is_one_colour_per_image_along_the_components():
    images = checks.pca_probe()
    values, vectors = ref.rgb_pca.unguarded(images)
    # the decomposition reproduces the covariance
    cov = np.cov(images.reshape(-1, 3), rowvar=False)
    assert np.allclose(vectors @ np.diag(values) @ vectors.T, cov)
    out = ref.pca_color_augmentation.unguarded(
        images, values, vectors, np.random.default_rng(1), 0.1
    )
    shift = (out - images).reshape(len(images), -1, 3)
    assert np.allclose(shift, shift[:, :1])  # the same shift at every pixel of an image
    alpha = np.random.default_rng(1).normal(0, 0.1, size=(len(images), 3))
    for i in range(len(images)):  # written out: sum_j alpha_ij lambda_j p_j
        expected = sum(alpha[i, j] * values[j] * vectors[:, j] for j in range(3))
        assert np.allclose(shift[i, 0], expected)


def _vertical(flip=True, rotation=0.05, zoom=0.1, contrast=0.2, seed=0):
    steps = [layers.RandomFlip("vertical", seed=seed, name="flip")]
    steps += [layers.RandomRotation(rotation, seed=seed, name="rotation")]
    steps += [layers.RandomZoom(zoom, seed=seed, name="zoom")]
    steps += [layers.RandomContrast(contrast, seed=seed, name="contrast")]
    return keras.Sequential(steps, name="augmenter")


def _rescaled(**kwargs):
    model = ref.build_augmenter.unguarded(**kwargs)
    return keras.Sequential([*model.layers, layers.Rescaling(1.1)], name="augmenter")


def _eigh_order(images):
    return np.linalg.eigh(np.cov(np.asarray(images).reshape(-1, 3), rowvar=False))


MISTAKES = {
    "rgb_pca increasing": (checks.check_rgb_pca, (_eigh_order, EX), "increasing order"),
    "pca colour per pixel": (
        checks.check_pca_color,
        (lambda im, v, V, rng, s=0.1: im + (rng.normal(0, s, size=im.shape) * v) @ V.T, EX),
        "once per image",
    ),
    "vertical flip": (
        checks.check_augmenter,
        (_vertical, "benchmark_tricks.build_augmenter", EX),
        "mode should be 'horizontal'",
    ),
    "an extra layer": (
        checks.check_augmenter,
        (_rescaled, "benchmark_tricks.build_augmenter", EX),
        "should have 4 layers",
    ),
    "ten crop without mirrors": (
        checks.check_ten_crop,
        (lambda im, c: ref.ten_crop.unguarded(im, c)[:, :5], "benchmark_tricks.ten_crop", EX),
        "found (2, 5, 4, 4, 2)",
    ),
    "ensemble of votes": (
        checks.check_ensemble,
        (
            lambda models, X: np.mean([m.predict(X, verbose=0).argmax(1) for m in models], 0),
            "benchmark_tricks.ensemble_predict",
            EX,
        ),
        "not the predicted labels",
    ),
    "multi-crop of the centre only": (
        checks.check_multi_crop,
        (
            lambda model, X, c: model.predict(ref.ten_crop.unguarded(X, c)[:, 4], verbose=0),
            "benchmark_tricks.multi_crop_predict",
            EX,
        ),
        "average the ten rows",
    ),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_each_typical_mistake_is_named(name):
    check, args, words = MISTAKES[name]
    with pytest.raises(CheckFailure, match=re.escape(words)):
        check(*args)


def test_an_error_inside_the_answer_is_reported_as_the_answers():
    def broken(images, crop_size):
        return images[:, :, :, :, 0]  # too many indices

    with pytest.raises(CheckFailure, match="raised IndexError"):
        checks.check_ten_crop(broken, "benchmark_tricks.ten_crop", EX)


def test_the_augmenter_must_leave_images_alone_at_inference():
    # a layer that looks like RandomContrast but halves the contrast even at inference
    always = type(
        "RandomContrast", (layers.RandomContrast,), {"call": lambda self, x, **_: x * 0.5}
    )

    def build(**kwargs):
        model = ref.build_augmenter.unguarded(**kwargs)
        contrast = always(0.2, seed=0, name="contrast")
        return keras.Sequential([*model.layers[:-1], contrast], name="augmenter")

    with pytest.raises(CheckFailure, match="at inference"):
        checks.check_augmenter(build, "benchmark_tricks.build_augmenter", EX)


def test_small_convnet_takes_crops_and_full_pictures():
    for size in (56, 64):
        model = small_convnet((size, size, 3), classes=6)
        assert model.output.shape[1:] == (6,)
    with pytest.raises(ValueError, match="width"):
        small_convnet(width=0)
    with pytest.raises(ValueError, match="both"):
        small_convnet(pixel_mean=[0.5, 0.5, 0.5])
    # its first layer standardises: a picture of the mean colour becomes zeros
    model = small_convnet(pixel_mean=[0.7, 0.6, 0.5], pixel_std=[0.2, 0.1, 0.4])
    standardise = keras.Model(model.input, model.get_layer("standardise").output)
    picture = np.broadcast_to([0.9, 0.6, 0.1], (1, 64, 64, 3)).astype("float32")
    assert np.allclose(np.asarray(standardise(picture))[0, 0, 0], [1.0, 0.0, -1.0], atol=1e-5)


def test_bars_curves_and_augmentation_grids_are_figures():
    fig = plotting.plot_bars({"a": 1.0, "b": 2.5}, "images/s")
    assert [round(p.get_height(), 1) for p in fig.axes[0].patches] == [1.0, 2.5]
    fig = plotting.plot_curves({"k": ([1, 2, 3], [0.5, 0.6, 0.7])}, "members", "accuracy")
    assert fig.axes[0].get_xlabel() == "members"
    image = np.random.default_rng(0).uniform(size=(8, 8, 3))
    fig = plotting.show_augmentations(image, {"flip": lambda b: b[:, :, ::-1]}, n=3)
    assert len(fig.axes) == 4
    assert np.allclose(fig.axes[1].images[0].get_array(), image[:, ::-1])
