"""course_utils.training.train: the course's recipe in one call."""

import keras
import numpy as np
import pytest

from course_utils.datasets import as_dataset
from course_utils.training import train


def test_train_compiles_fits_and_times_each_epoch():
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    batches = as_dataset(x, y, batch_size=16)
    history, timer = train(model, batches, 3, 0.1, validation_data=(x, y))
    assert len(timer.seconds) == 3 == len(history.history["val_accuracy"])
    assert history.history["loss"][-1] < history.history["loss"][0]
    # the cosine schedule ends at 0 after epochs x steps per epoch
    lr = model.optimizer._learning_rate  # the schedule object
    assert float(lr(3 * len(batches))) == pytest.approx(0.0, abs=1e-7)
    assert float(lr(0)) == pytest.approx(0.1)


def test_train_rejects_a_bad_epoch_count():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    with pytest.raises(ValueError, match="epochs"):
        train(model, as_dataset(np.zeros((4, 2)), np.zeros(4)), 0, 0.1)


# --------------------------------------------------------------------------- camera_augmenter
def _photos(m=8):
    from course_utils.datasets import load_signs, normalize

    return normalize(load_signs().x_test[:m])


def test_the_pipeline_mask_is_the_loaders_mask():
    from course_utils.datasets import hand_mask, load_signs
    from course_utils.training import skin_mask

    x = load_signs().x_test[:16]
    found = np.asarray(skin_mask(keras.ops.convert_to_tensor(x / np.float32(255))))[..., 0]
    np.testing.assert_allclose(found, hand_mask(x), atol=1e-6)


@pytest.mark.parametrize("groups", [{}, {"framing": False, "camera": False}, {"rate": 0.5}])
def test_camera_augmenter_distorts_in_training_only(groups):
    from course_utils.training import camera_augmenter

    keras.utils.set_random_seed(0)
    x = _photos()
    augmenter = camera_augmenter(seed=1, **groups)
    assert augmenter.name == "camera_augmenter"
    np.testing.assert_array_equal(np.asarray(augmenter(x, training=False)), x)
    first = np.asarray(augmenter(x, training=True))
    second = np.asarray(augmenter(x, training=True))
    assert first.shape == x.shape and first.dtype == np.float32
    assert 0 <= first.min() and first.max() <= 1
    assert np.abs(first - x).mean() > 0.02 and np.abs(first - second).mean() > 0.02


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_the_background_share_is_its_own(share):
    """``background_rate`` decides how many walls change, whatever ``rate`` says."""
    from course_utils.training import camera_augmenter

    keras.utils.set_random_seed(0)
    x = _photos(16)
    only = {"framing": False, "lighting": False, "camera": False}
    augmenter = camera_augmenter(seed=1, rate=0.5, background_rate=share, **only)
    changed = np.abs(np.asarray(augmenter(x, training=True)) - x).mean(axis=(1, 2, 3)) > 1e-3
    assert changed.sum() == (16 if share else 0)


@pytest.mark.parametrize("shares", [{"rate": 1.5}, {"background_rate": -0.1}, {"skin": 2}])
def test_a_share_outside_zero_to_one_is_refused(shares):
    from course_utils.training import camera_augmenter

    with pytest.raises(ValueError, match=next(iter(shares))):
        camera_augmenter(**shares)


def test_random_background_replaces_the_wall_and_keeps_the_hand():
    from course_utils.datasets import hand_mask, load_signs
    from course_utils.training import RandomBackground

    keras.utils.set_random_seed(0)
    x8 = load_signs().x_test[:8]
    x = x8 / np.float32(255)
    out = np.asarray(RandomBackground(rate=1.0, seed=0)(x, training=True))
    mask = hand_mask(x8)
    change = np.abs(out - x).mean(axis=-1)
    assert change[mask == 1].max() < 1e-6
    assert change[mask == 0].mean() > 0.05


def test_training_backgrounds_are_real_photographs_the_elsewhere_test_does_not_use():
    from course_utils.datasets import ELSEWHERE_BACKGROUNDS
    from course_utils.training import TRAINING_BACKGROUNDS, training_backgrounds

    assert set(TRAINING_BACKGROUNDS).isdisjoint(ELSEWHERE_BACKGROUNDS)
    photos = training_backgrounds()
    assert photos.dtype == np.float32 and photos.ndim == 4 and photos.shape[-1] == 3
    assert len(photos) >= len(TRAINING_BACKGROUNDS) and 0 <= photos.min() < photos.max() <= 1
    # nor is any of them one of the test's pictures under another name: cut the same way,
    # every square differs from every square of the test's pictures
    test = training_backgrounds(ELSEWHERE_BACKGROUNDS)
    gaps = np.abs(photos[:, None] - test[None]).mean(axis=(2, 3, 4))
    assert gaps.min() > 0.05, gaps.min()


def test_random_background_takes_pieces_of_photographs_unless_told_not_to(monkeypatch):
    from course_utils.datasets import hand_mask, load_signs
    from course_utils.training import RandomBackground

    x8 = load_signs().x_test[:64]
    x = x8 / np.float32(255)
    wall = hand_mask(x8) == 0
    keras.utils.set_random_seed(0)
    layer = RandomBackground(rate=1.0, seed=3)
    assert RandomBackground.from_config(layer.get_config()).photos is True
    pieces = np.asarray(layer._photos(x))
    assert pieces.shape == x.shape and 0 <= pieces.min() and pieces.max() <= 1
    assert np.abs(pieces[0] - pieces[1]).mean() > 0.02  # each picture its own piece

    # mark the photographs' backgrounds with a grey no other kind paints exactly, and
    # count the pictures whose whole wall is that grey
    def marked(photos: bool) -> int:
        called = []

        def mark(self, batch):
            called.append(True)
            return keras.ops.full(keras.ops.shape(batch), 0.123)

        monkeypatch.setattr(RandomBackground, "_photos", mark)
        out = np.asarray(RandomBackground(rate=1.0, photos=photos, seed=3)(x, training=True))
        assert bool(called) == photos
        return sum(
            bool(np.all(np.abs(o[w] - 0.123) < 1e-6)) for o, w in zip(out, wall, strict=True)
        )

    assert 10 <= marked(True) <= 30  # three backgrounds in ten, of 64 pictures
    assert marked(False) == 0


def _chromaticity(colours):
    """(..., 3) colours -> (..., 3) each divided by its sum: the hue and saturation, not
    the brightness."""
    return colours / colours.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("skin", [0.0, 0.5, 1.0])
def test_a_share_of_the_backgrounds_takes_the_colour_of_a_hand(skin):
    """With ``skin`` s, about s of the new walls have the colour of one of the batch's
    hands (a wall's mean colour, up to brightness, within 0.01 of a hand's); the others
    keep the colours of their own kinds."""
    from course_utils.datasets import hand_mask, load_signs
    from course_utils.training import RandomBackground

    x8 = load_signs().x_test[:64]
    x = x8 / np.float32(255)
    mask = hand_mask(x8)
    hands = _chromaticity((mask[..., None] * x).sum(axis=(1, 2)) / mask.sum(axis=(1, 2))[:, None])
    keras.utils.set_random_seed(0)
    layer = RandomBackground(rate=1.0, skin=skin, seed=3)
    assert RandomBackground.from_config(layer.get_config()).skin == skin
    out = np.asarray(layer(x, training=True))
    wall = mask == 0
    walls = _chromaticity(np.stack([o[w].mean(axis=0) for o, w in zip(out, wall, strict=True)]))
    nearest = np.abs(walls[:, None] - hands[None]).max(axis=-1).min(axis=1)  # (64,)
    like_a_hand = int((nearest < 0.01).sum())
    assert abs(like_a_hand - 64 * skin) <= 12, like_a_hand


def test_lighting_and_camera_change_colours_and_sharpness():
    from course_utils.training import RandomCamera, RandomLighting

    keras.utils.set_random_seed(0)
    x = _photos()
    lit = np.asarray(RandomLighting(seed=0)(x, training=True))
    # a gain per channel: the picture's mean colour moves, not only its brightness
    ratio = lit.mean(axis=(1, 2)) / x.mean(axis=(1, 2))
    assert np.std(ratio / ratio.mean(axis=1, keepdims=True)) > 0.02
    sharp = np.abs(np.diff(x, axis=2)).mean()
    shot = np.asarray(RandomCamera(blur=2.0, noise=0.0, jpeg_rate=0.0, seed=0)(x, training=True))
    assert np.abs(np.diff(shot, axis=2)).mean() < sharp  # blur only softens


def test_a_rate_leaves_some_pictures_as_they_were():
    from course_utils.training import RandomApply, RandomLighting

    keras.utils.set_random_seed(0)
    x = np.concatenate([_photos(8)] * 8)  # 64 pictures
    out = np.asarray(RandomApply(RandomLighting(seed=0), rate=0.5, seed=0)(x, training=True))
    unchanged = np.all(out == x, axis=(1, 2, 3))
    assert 16 <= unchanged.sum() <= 48  # about half, drawn picture by picture
