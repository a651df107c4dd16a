"""Ready-made networks the notebooks use but do not grade.

``plain_network`` and ``residual_network`` are the residual networks assignment's
experiment: two networks of the same depth, the same layers and the same parameters,
one a plain stack and one with a skip connection around every pair of convolutions
(the "basic" two-layer block of ResNet-18/34, not the graded bottleneck blocks).
``small_convnet`` is the benchmark tricks assignment's classifier, trained many times
over (with and without augmentation, as ensemble members, on crops); with
``head="average"`` and a fourth stage it is the network of the course's recipe for
photographs taken somewhere else.
"""

from __future__ import annotations


def _check(depth: int, activation: str) -> None:
    if not isinstance(depth, int) or depth < 4 or depth % 2:
        raise ValueError(f"depth must be an even int >= 4 (weighted layers), got {depth!r}")
    if activation not in ("relu", "sigmoid", "tanh"):
        raise ValueError(f"activation must be 'relu', 'sigmoid' or 'tanh', got {activation!r}")


def _conv(X, width, name, batchnorm, activation=None):
    from keras import layers

    X = layers.Conv2D(width, (3, 3), padding="same", name=name)(X)
    if batchnorm:
        X = layers.BatchNormalization(axis=3, name=f"{name}_bn")(X)
    return layers.Activation(activation, name=f"{name}_{activation}")(X) if activation else X


def _network(depth, width, input_shape, classes, activation, batchnorm, residual, name):
    import keras
    from keras import layers

    _check(depth, activation)
    X_input = keras.Input(input_shape)
    # stem: 64x64 -> 16x16, so that a deep stack stays cheap on a CPU
    X = layers.Conv2D(
        width, (3, 3), strides=(2, 2), padding="same", activation="relu", name="conv1"
    )(X_input)
    X = layers.MaxPooling2D((2, 2), name="pool1")(X)
    for i in range(2, depth, 2):
        shortcut = X
        X = _conv(X, width, f"conv{i}", batchnorm, activation)
        X = _conv(X, width, f"conv{i + 1}", batchnorm)
        if residual:
            X = layers.Add(name=f"add{i + 1}")([X, shortcut])
        X = layers.Activation(activation, name=f"out{i + 1}")(X)
    X = layers.GlobalAveragePooling2D(name="avg_pool")(X)
    X = layers.Dense(classes, activation="softmax", name="fc")(X)
    return keras.Model(X_input, X, name=name)


def plain_network(
    depth: int = 34,
    width: int = 16,
    input_shape=(64, 64, 3),
    classes: int = 6,
    activation: str = "relu",
    batchnorm: bool = True,
):
    """A plain stack of ``depth`` weighted layers: conv1 (3x3/2, ReLU) -> max pool 2x2 ->
    ``depth - 2`` 3x3 'same' convs conv2, conv3, ... (each followed by batch
    normalisation if ``batchnorm``, and ``activation``) -> global average pool -> dense
    softmax 'fc'. (m, 64, 64, 3) -> (m, classes)."""
    return _network(
        depth, width, input_shape, classes, activation, batchnorm, False, f"plain{depth}"
    )


def residual_network(
    depth: int = 34,
    width: int = 16,
    input_shape=(64, 64, 3),
    classes: int = 6,
    activation: str = "relu",
    batchnorm: bool = True,
):
    """The same layers as :func:`plain_network`, with a skip connection around every
    pair of convs: a = act(bn(conv(x))), x = act(x + bn(conv(a))). Same depth, same
    parameters."""
    return _network(
        depth, width, input_shape, classes, activation, batchnorm, True, f"residual{depth}"
    )


def small_convnet(input_shape=(64, 64, 3), classes=6, width=32, pixel_mean=None, pixel_std=None,
                  name="small_convnet", stages=3, head="flatten"):  # fmt: skip
    """A small classifier for the benchmark tricks assignment, quick to train on a CPU:
    ``stages`` conv(3x3 'same') - BN - ReLU - max pool(2) stages of ``width``, 2 x width,
    4 x width, ... filters (the last stage without its pool when ``head="average"``),
    then the head: ``"flatten"`` (flatten, dropout 0.3, dense softmax: each position of
    the last feature map has its own weights) or ``"average"`` (global average pool,
    dropout 0.3, dense softmax: the same weights wherever the hand is in the picture).

    (m, n_H, n_W, n_C) -> (m, classes), pixels in [0, 1]. ``pixel_mean`` and
    ``pixel_std`` (per channel, from the training set) make its first layer standardise
    the pixels, so that augmentation layers before it still see [0, 1] values.
    """
    import keras
    from keras import layers

    if not isinstance(width, int) or width < 1:
        raise ValueError(f"width must be a positive int, got {width!r}")
    if not isinstance(stages, int) or stages < 1:
        raise ValueError(f"stages must be a positive int, got {stages!r}")
    if head not in ("flatten", "average"):
        raise ValueError(f"head must be 'flatten' or 'average', got {head!r}")
    X_input = keras.Input(input_shape)
    X = X_input
    if pixel_mean is not None or pixel_std is not None:
        if pixel_mean is None or pixel_std is None:
            raise ValueError("give both pixel_mean and pixel_std, or neither")
        variance = [float(s) ** 2 for s in pixel_std]
        X = layers.Normalization(mean=list(pixel_mean), variance=variance, name="standardise")(X)
    for stage in range(1, stages + 1):
        filters = width * 2 ** (stage - 1)
        X = layers.Conv2D(filters, (3, 3), padding="same", use_bias=False, name=f"conv{stage}")(X)
        X = layers.BatchNormalization(momentum=0.9, name=f"conv{stage}_bn")(X)
        X = layers.Activation("relu", name=f"conv{stage}_relu")(X)
        if head == "flatten" or stage < stages:
            X = layers.MaxPooling2D((2, 2), name=f"pool{stage}")(X)
    if head == "flatten":
        X = layers.Flatten(name="flatten")(X)
    else:
        X = layers.GlobalAveragePooling2D(name="avg_pool")(X)
    X = layers.Dropout(0.3, name="dropout")(X)
    X = layers.Dense(classes, activation="softmax", name="fc")(X)
    return keras.Model(X_input, X, name=name)
