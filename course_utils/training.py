"""The course's training recipe in one call, and the augmentation that makes a model read
hands photographed somewhere else.

``train(model, batches, epochs, learning_rate)`` compiles ``model`` with adam on a
cosine schedule (from ``learning_rate`` down to 0 at the last step), sparse categorical
cross-entropy and accuracy, fits it on ``batches`` (a ``tf.data`` pipeline such as
``datasets.as_dataset``) and returns the History together with a
``timing.epoch_timer`` that recorded the time at the end of every epoch.

``camera_augmenter()`` is the distortion the course recommends for SIGNS (assignment 5
measures it): the photographs were all taken in one school, on one kind of camera,
against a pale wall, and a model trained on them as they are reads hands photographed
anywhere else badly. Each of its layers changes one thing another place would change:

- ``framing``: mirror, zoom (the hand nearer or further), shift, rotation;
- :class:`RandomBackground`: the wall behind the hand replaced by a random colour field
  or a piece of a real photograph (none of those the "somewhere else" test uses), some of
  them the colour of skin;
- :class:`RandomLighting`: the camera's white balance (a gain per channel), exposure,
  gamma, and light from one side; then saturation and hue (``RandomColorJitter``);
- :class:`RandomCamera`: blur, a lower resolution, sensor noise, JPEG compression.

All of them distort only in training (``training=True``) and pass images through
unchanged at inference; images are float in [0, 1], (m, n_H, n_W, 3).
"""

from __future__ import annotations

import functools

import keras
from keras import layers, ops

from .timing import epoch_timer

SKIN_CHROMA = 0.05  # the same threshold as datasets.hand_mask


def train(model, batches, epochs: int, learning_rate: float, validation_data=None,
          run_eagerly: bool = False, verbose: int = 0):  # fmt: skip
    """Compile and fit ``model`` with the course's recipe; returns (history, timer).

    batches: a finite, batched dataset (its ``len`` is the number of steps per epoch).
    validation_data: (x, y) checked after every epoch (``val_accuracy`` in the history).
    run_eagerly: True for the short CI budget, where tracing a big step costs more than
    the few steps it runs.
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    steps = epochs * len(batches)
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, steps)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        run_eagerly=run_eagerly,
    )
    timer = epoch_timer()
    # shuffle=False: the dataset shuffles itself (Keras cannot shuffle a tf.data pipeline)
    history = model.fit(batches, epochs=epochs, validation_data=validation_data,
                        shuffle=False, verbose=verbose, callbacks=[timer])  # fmt: skip
    return history, timer


# --------------------------------------------------------------------------- helpers
def _per_image(x, generator, low, high, channels=1):
    """(m, 1, 1, channels) uniform draws in [low, high), one per image of ``x``."""
    return keras.random.uniform((ops.shape(x)[0], 1, 1, channels), low, high, seed=generator)


def _edge_pad(x):
    """Pad (m, n_H, n_W, C) by one pixel, repeating the edge (numpy's mode='edge')."""
    x = ops.concatenate([x[:, :1], x, x[:, -1:]], axis=1)
    return ops.concatenate([x[:, :, :1], x, x[:, :, -1:]], axis=2)


def skin_mask(x):
    """:func:`course_utils.datasets.hand_mask` in Keras ops, for a batch in a pipeline.

    x: (m, n_H, n_W, 3) float in [0, 1] -> (m, n_H, n_W, 1) in [0, 1], 1 on the hand."""
    total = ops.sum(x, axis=-1, keepdims=True) + 3.0 / 255
    hard = ops.cast((x[..., :1] - x[..., 2:3]) / total > SKIN_CHROMA, x.dtype)
    return ops.average_pool(_edge_pad(hard), 3, strides=1, padding="valid")


# real photographs scikit-image ships, none of them datasets.ELSEWHERE_BACKGROUNDS (the
# "somewhere else" test's): a photographer in a field, a blurred clock on a wall, a
# motorcycle in a workshop, coins, a printed page, writing on a board, the moon's surface,
# stained tissue, a retina
TRAINING_BACKGROUNDS = ("camera", "clock", "stereo_motorcycle", "coins", "page", "text",
                        "moon", "immunohistochemistry", "retina")  # fmt: skip
BACKGROUND_SIDE = 160  # pixels of each square the photographs are cut into


@functools.cache
def training_backgrounds(names: tuple[str, ...] = TRAINING_BACKGROUNDS):
    """The photographs :class:`RandomBackground` cuts its backgrounds from: each of
    ``names`` (``datasets.skimage_picture``, default :data:`TRAINING_BACKGROUNDS`) cut into
    squares (one, or two for a wide picture: its left and right ends) resized to
    ``BACKGROUND_SIDE``. Returns (P, side, side, 3) float32 in [0, 1], read once (and
    read-only: every caller shares it)."""
    import numpy as np
    from PIL import Image

    from .datasets import skimage_picture

    squares = []
    for name in names:
        image = skimage_picture(name)
        h, w = image.shape[:2]
        n = min(h, w)
        wide = max(h, w) > 1.3 * n
        corners = {(0, 0), (h - n, w - n)} if wide else {((h - n) // 2, (w - n) // 2)}
        for top, left in sorted(corners):
            square = Image.fromarray(image[top : top + n, left : left + n])
            side = (BACKGROUND_SIDE, BACKGROUND_SIDE)
            squares.append(np.asarray(square.resize(side, Image.BILINEAR)))
    photos = np.stack(squares).astype(np.float32) / 255
    photos.flags.writeable = False
    return photos


# --------------------------------------------------------------------------- layers
class RandomBackground(layers.Layer):
    """Replace the wall behind the hand, in a share ``rate`` of the pictures, by a random
    background: "dead leaves" (overlapping rectangles and ellipses of many sizes, coloured
    with pixels drawn from the batch itself: skin, sleeves, walls, shadows), a piece of
    another picture of the batch enlarged to the whole frame (skin and folds, no sign one
    can read), colour noise mixed from five scales (smooth blotches to fine grain), one
    plain colour, or (``photos=True``) a piece of a real photograph, mirrored or not and
    tinted (:func:`training_backgrounds`: a field, a clock on a wall, a workshop, coins,
    printed and written text, the moon, tissue under a microscope - none of the pictures
    ``datasets.somewhere_else`` uses). A share ``skin`` of those backgrounds is then
    recoloured to the colour of a hand of the batch, its texture kept: the hardest wall
    is one the colour of skin (wood, brick, an orange shirt, a face), where the colour
    alone no longer says where the hand ends.

    Where the hand is comes from :func:`skin_mask`. The network should learn that
    whatever is behind the hand, skin-coloured clutter and the edges and textures of real
    scenes included, does not decide the sign. (m, n_H, n_W, 3) in [0, 1] -> the same
    shape.
    """

    SCALES = (2, 4, 8, 16, 32)  # cells across the picture, for the colour noise
    LEAVES = 16  # shapes per dead-leaves background

    def __init__(self, rate=0.8, photos=True, skin=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate, self.photos, self.skin = rate, photos, skin
        self.generator = keras.random.SeedGenerator(seed)

    def _noise(self, x):
        m, height, width = ops.shape(x)[0], ops.shape(x)[1], ops.shape(x)[2]
        g = self.generator
        weights = keras.random.uniform((len(self.SCALES), m, 1, 1, 1), seed=g) ** 2
        weights = weights / ops.sum(weights, axis=0, keepdims=True)
        background = 0.0
        for k, cells in enumerate(self.SCALES):
            noise = keras.random.uniform((m, cells, cells, 3), seed=g)
            background += weights[k] * ops.image.resize(noise, (height, width))
        low = ops.min(background, axis=(1, 2, 3), keepdims=True)
        high = ops.max(background, axis=(1, 2, 3), keepdims=True)
        return (background - low) / (high - low + 1e-6)  # mixing flattens the contrast

    def _leaves(self, x):
        m, height, width = ops.shape(x)[0], ops.shape(x)[1], ops.shape(x)[2]
        g = self.generator
        # colours: pixels of the batch's own pictures, at random places
        flat = ops.reshape(x, (-1, 3))
        picks = keras.random.randint((m * (self.LEAVES + 1),), 0, ops.shape(flat)[0], seed=g)
        colours = ops.reshape(ops.take(flat, picks, axis=0), (m, self.LEAVES + 1, 1, 1, 3))
        rows = ops.reshape(ops.linspace(0.0, 1.0, height), (1, -1, 1))
        cols = ops.reshape(ops.linspace(0.0, 1.0, width), (1, 1, -1))
        background = colours[:, 0] * ops.ones_like(x)
        for k in range(1, self.LEAVES + 1):
            centre = keras.random.uniform((m, 2, 1, 1), seed=g)
            size = ops.exp(keras.random.uniform((m, 2, 1, 1), -3.0, -0.7, seed=g))  # 5-50%
            dy, dx = (rows - centre[:, 0]) / size[:, 0], (cols - centre[:, 1]) / size[:, 1]
            box = ops.maximum(ops.abs(dy), ops.abs(dx)) < 1
            ellipse = dy * dy + dx * dx < 1
            shape = ops.where(keras.random.uniform((m, 1, 1), seed=g) < 0.5, box, ellipse)
            background = ops.where(shape[..., None], colours[:, k], background)
        return background

    def _pieces(self, x):
        """Other pictures of the batch, a piece of each (a fifth to half the side, one
        window per batch) enlarged to the whole frame: skin, sleeves and shadows, no sign
        one can read."""
        import tensorflow as tf

        g = self.generator
        height, width = ops.shape(x)[1], ops.shape(x)[2]
        side = ops.cast(keras.random.uniform((), 0.2, 0.5, seed=g) * ops.cast(height, "float32"),
                        "int32")  # fmt: skip
        top, left = (ops.cast(keras.random.uniform((), seed=g) * ops.cast(n - side, "float32"),
                              "int32") for n in (height, width))  # fmt: skip
        piece = tf.slice(x, tf.stack([0, top, left, 0]), tf.stack([-1, side, side, -1]))
        piece = tf.image.resize(piece, tf.stack([height, width]))
        return ops.take(piece, keras.random.shuffle(ops.arange(ops.shape(x)[0]), seed=g), axis=0)

    def _photos(self, x):
        """A piece of a real photograph (a fifth to three fifths of its side, anywhere,
        mirrored in half the pictures) enlarged to the whole frame, each channel tinted
        by a gain of 0.6-1.2 (most of the photographs are grey)."""
        import tensorflow as tf

        g = self.generator
        m, height, width = ops.shape(x)[0], ops.shape(x)[1], ops.shape(x)[2]
        photos = ops.convert_to_tensor(training_backgrounds())
        which = keras.random.randint((m,), 0, int(photos.shape[0]), seed=g)
        side = keras.random.uniform((m, 1), 0.2, 0.6, seed=g)
        top, left = ops.split(keras.random.uniform((m, 2), seed=g) * (1 - side), 2, axis=1)
        # boxes are (y1, x1, y2, x2) in [0, 1]; x1 > x2 reads the piece mirrored
        mirror = keras.random.uniform((m, 1), seed=g) < 0.5
        x1, x2 = ops.where(mirror, left + side, left), ops.where(mirror, left, left + side)
        boxes = ops.concatenate([top, x1, top + side, x2], axis=1)
        chosen = ops.take(photos, which, axis=0)  # (not the constant itself: TensorFlow's
        # cost model would print all of it, once per trace, where its log shows warnings)
        pieces = tf.image.crop_and_resize(chosen, boxes, ops.arange(m), tf.stack([height, width]))
        tint = keras.random.uniform((m, 1, 1, 3), 0.6, 1.2, seed=g)
        return ops.clip(pieces * tint, 0.0, 1.0)

    def _skin_coloured(self, x, background, mask):
        """``background`` recoloured to the colour of a hand of the batch (each picture's
        mean over its ``mask``, the hands shuffled), its texture kept: its brightness
        relative to its own mean times that colour, times 0.7-1.3."""
        g = self.generator
        hands = ops.sum(mask * x, axis=(1, 2)) / (ops.sum(mask, axis=(1, 2)) + 1e-3)  # (m, 3)
        hands = ops.take(hands, keras.random.shuffle(ops.arange(ops.shape(x)[0]), seed=g), axis=0)
        luma = ops.mean(background, axis=-1, keepdims=True)
        texture = luma / (ops.mean(luma, axis=(1, 2, 3), keepdims=True) + 1e-3)
        colour = hands[:, None, None, :] * _per_image(x, g, 0.7, 1.3)
        return ops.clip(texture * colour, 0.0, 1.0)

    def call(self, x, training=False):
        if not training:
            return x
        g = self.generator
        kind = _per_image(x, g, 0, 1)
        plain = keras.random.uniform((ops.shape(x)[0], 1, 1, 3), seed=g) * ops.ones_like(x)
        background = ops.where(kind < 0.35, self._leaves(x), self._noise(x))
        background = ops.where((kind >= 0.35) & (kind < 0.6), self._pieces(x), background)
        if self.photos:  # three backgrounds in ten, taken from the leaves and the pieces
            background = ops.where((kind >= 0.2) & (kind < 0.5), self._photos(x), background)
        background = ops.where(kind > 0.9, plain, background)
        # most walls and rooms are not vivid: pull the colours part of the way to grey
        grey = ops.mean(background, axis=-1, keepdims=True)
        background = grey + _per_image(x, g, 0.3, 1.0) * (background - grey)
        mask = skin_mask(x)
        if self.skin:
            skin_like = self._skin_coloured(x, background, mask)
            background = ops.where(_per_image(x, g, 0, 1) < self.skin, skin_like, background)
        replaced = mask * x + (1 - mask) * background
        return ops.where(_per_image(x, g, 0, 1) < self.rate, replaced, x)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "photos": self.photos,
                "skin": self.skin}  # fmt: skip


class RandomLighting(layers.Layer):
    """Another camera's white balance and exposure, and another room's light: each
    picture's channels multiplied by their own gain (log-normal, ``white_balance`` its
    standard deviation), the whole picture by an exposure (log-normal, ``exposure``),
    raised to a gamma (log-uniform within +-``gamma``) and lit more from one side (a ramp
    of up to ``side`` either way). (m, n_H, n_W, 3) in [0, 1] -> the same, clipped."""

    def __init__(self, white_balance=0.12, exposure=0.25, gamma=0.3, side=0.3, seed=None,
                 **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        self.settings = {"white_balance": white_balance, "exposure": exposure,
                         "gamma": gamma, "side": side}  # fmt: skip
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, x, training=False):
        if not training:
            return x
        s, g = self.settings, self.generator
        m, height, width = ops.shape(x)[0], ops.shape(x)[1], ops.shape(x)[2]
        gains = ops.exp(keras.random.normal((m, 1, 1, 3), stddev=s["white_balance"], seed=g))
        gains = gains * ops.exp(keras.random.normal((m, 1, 1, 1), stddev=s["exposure"], seed=g))
        angle = _per_image(x, g, 0.0, 6.2832)
        rows = ops.reshape(ops.linspace(-1.0, 1.0, height), (1, -1, 1, 1))
        cols = ops.reshape(ops.linspace(-1.0, 1.0, width), (1, 1, -1, 1))
        ramp = ops.cos(angle) * cols + ops.sin(angle) * rows
        light = 1 + _per_image(x, g, -s["side"], s["side"]) * ramp
        lit = ops.clip(x * gains * light, 0.0, 1.0)
        return ops.power(lit + 1e-6, ops.exp(_per_image(x, g, -s["gamma"], s["gamma"])))

    def get_config(self):
        return {**super().get_config(), **self.settings}


class RandomCamera(layers.Layer):
    """Another camera: a blur of random strength (up to a Gaussian of sigma about
    ``blur`` pixels), in a share ``low_resolution`` of the pictures a resolution of half
    to three quarters, sensor noise (standard deviation up to ``noise``), and JPEG
    compression at a quality drawn from ``jpeg`` (one picture in ``1 / jpeg_rate``
    compressed). (m, n_H, n_W, 3) in [0, 1] -> the same. TensorFlow only (the JPEG
    codec), as the course is."""

    def __init__(self, blur=1.5, low_resolution=0.25, noise=0.03, jpeg=(25, 90),
                 jpeg_rate=0.5, seed=None, **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        self.settings = {"blur": blur, "low_resolution": low_resolution, "noise": noise,
                         "jpeg": tuple(jpeg), "jpeg_rate": jpeg_rate}  # fmt: skip
        self.generator = keras.random.SeedGenerator(seed)

    def _gaussian(self, x, sigma):
        import numpy as np

        radius = max(1, int(np.ceil(2 * sigma)))
        taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
        taps = (taps / taps.sum()).astype("float32")
        rows = ops.convert_to_tensor(np.tile(taps.reshape(-1, 1, 1, 1), (1, 1, 3, 1)))
        cols = ops.convert_to_tensor(np.tile(taps.reshape(1, -1, 1, 1), (1, 1, 3, 1)))
        x = ops.depthwise_conv(x, rows, padding="same")
        return ops.depthwise_conv(x, cols, padding="same")

    def call(self, x, training=False):
        if not training:
            return x
        import tensorflow as tf

        s, g = self.settings, self.generator
        height, width = ops.shape(x)[1], ops.shape(x)[2]
        # any blur between none and sigma=blur: a per-picture mix of two fixed blurs
        mild, strong = self._gaussian(x, s["blur"] / 2), self._gaussian(x, s["blur"])
        a, b = _per_image(x, g, 0, 1), _per_image(x, g, 0, 1)
        x = (1 - a) * x + a * ((1 - b) * mild + b * strong)
        side = ops.cast(ops.cast(height, "float32") * keras.random.uniform((), 0.5, 0.75, seed=g),
                        "int32")  # fmt: skip
        low = tf.image.resize(tf.image.resize(x, tf.stack([side, side])), (height, width))
        x = ops.where(_per_image(x, g, 0, 1) < s["low_resolution"], low, x)
        x = x + keras.random.normal(ops.shape(x), seed=g) * _per_image(x, g, 0, s["noise"])
        x = ops.clip(x, 0.0, 1.0)
        quality = ops.cast(keras.random.uniform((ops.shape(x)[0],), *s["jpeg"], seed=g), "int32")
        compress = keras.random.uniform((ops.shape(x)[0],), seed=g) < s["jpeg_rate"]

        def jpeg(args):
            image, q, on = args
            return tf.cond(on, lambda: tf.image.adjust_jpeg_quality(image, q), lambda: image)

        return tf.map_fn(jpeg, (x, quality, compress), fn_output_signature=x.dtype)

    def get_config(self):
        return {**super().get_config(), **self.settings}


class RandomApply(layers.Layer):
    """Apply ``layer`` (in training) to a share ``rate`` of the pictures of each batch,
    each picture drawn on its own; the others pass unchanged. (m, ...) -> (m, ...)."""

    def __init__(self, layer, rate=0.5, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.layer, self.rate = layer, rate
        self.generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        self.layer.build(input_shape)

    def call(self, x, training=False):
        if not training:
            return x
        changed = self.layer(x, training=True)
        return ops.where(_per_image(x, self.generator, 0, 1) < self.rate, changed, x)


def camera_augmenter(framing=True, background=True, lighting=True, camera=True, rate=1.0,
                     seed=0, photos=True, background_rate=0.8, skin=0.0):  # fmt: skip
    """The distortions the course recommends for SIGNS, as one ``keras.Sequential``
    named ``"camera_augmenter"`` (see the module's docstring); each group can be left
    out, and with ``rate`` < 1 each group changes only that share of the pictures (each
    picture drawn on its own), so that some stay close to the photographs (assignment 5's
    recipe takes ``rate=0.25`` and ``skin=0.3``, chosen on its dev signers). ``framing``:
    mirror, zoom from 0.8x nearer to 1.6x further (``RandomZoom`` (-0.2, 0.6)), shift up
    to 15%, rotation up to 30 degrees, edges extended (``fill_mode="nearest"``: the arm
    goes on, the wall too). Then the background, on ``background_rate`` of the pictures
    whatever ``rate`` is (``photos=False``: no pieces of real photographs among them;
    ``skin``: the share of them recoloured to the colour of a hand), the lighting (and
    saturation, hue), the camera.
    (m, n_H, n_W, 3) in [0, 1] -> the same; distorts in training only. Every layer draws
    from its own seed (``seed``, ``seed + 1``, ...): layers that share one would draw the
    same numbers, and zoom, shift and turn together."""
    for name, share in (("rate", rate), ("background_rate", background_rate), ("skin", skin)):
        if not 0 <= share <= 1:
            raise ValueError(f"{name} is the share of pictures changed, in [0, 1]; got {share!r}")
    seeds = iter(range(seed, seed + 100))
    groups = []
    if framing:
        groups.append([
            layers.RandomFlip("horizontal", seed=next(seeds)),
            layers.RandomZoom((-0.2, 0.6), fill_mode="nearest", seed=next(seeds)),
            layers.RandomTranslation(0.15, 0.15, fill_mode="nearest", seed=next(seeds)),
            layers.RandomRotation(30 / 360, fill_mode="nearest", seed=next(seeds)),
        ])  # fmt: skip
    if background:
        groups.append(
            [RandomBackground(background_rate, photos=photos, skin=skin, seed=next(seeds))]
        )
    if lighting:
        groups.append([
            RandomLighting(seed=next(seeds)),
            layers.RandomColorJitter(value_range=(0, 1), saturation_factor=(0.3, 0.7),
                                     hue_factor=0.03, seed=next(seeds)),
        ])  # fmt: skip
    if camera:
        groups.append([RandomCamera(seed=next(seeds))])
    steps = []
    for group in groups:
        if rate >= 1 or isinstance(group[0], RandomBackground):  # it has its own rate
            steps += group
        else:
            steps.append(RandomApply(keras.Sequential(group), rate, seed=next(seeds)))
    return keras.Sequential(steps, name="camera_augmenter")
