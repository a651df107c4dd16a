"""Reference solutions for assignment 2, classic networks (LeNet-5, AlexNet, VGG-16)."""

import keras
from keras import layers

from course_utils.guard import reference_solution


@reference_solution
def conv_output_shape(input_shape, filters, f, s=1, padding="valid"):
    """(n_H, n_W, n_C) -> (n_H', n_W', filters) for an f x f convolution, stride s.

    padding: 'valid' (p = 0), 'same' (p = (f - 1) / 2, odd f) or an int p.
    n' = floor((n + 2p - f) / s) + 1.
    """
    n_H, n_W, _ = input_shape
    p = {"valid": 0, "same": (f - 1) // 2}[padding] if isinstance(padding, str) else padding
    return ((n_H + 2 * p - f) // s + 1, (n_W + 2 * p - f) // s + 1, filters)


@reference_solution
def conv_multiplications(input_shape, filters, f, s=1, padding="valid"):
    """Multiplications of the convolution: every output number takes f * f * n_C."""
    n_H2, n_W2, n_C2 = conv_output_shape.unguarded(input_shape, filters, f, s, padding)
    return n_H2 * n_W2 * n_C2 * f * f * input_shape[2]


@reference_solution
def lenet5(input_shape=(32, 32, 1), classes=10):
    """LeNet-5 in its common modern form: (m, 32, 32, 1) -> (m, 10) probabilities.

    C1 conv 5x5 (6) tanh -> S2 average pool 2x2/2 -> C3 conv 5x5 (16) tanh -> S4 average
    pool 2x2/2 -> flatten -> C5 dense 120 tanh -> F6 dense 84 tanh -> softmax 10.
    61,706 parameters.
    """
    X_input = keras.Input(input_shape)
    X = layers.Conv2D(6, (5, 5), activation="tanh", name="C1")(X_input)
    X = layers.AveragePooling2D((2, 2), strides=(2, 2), name="S2")(X)
    X = layers.Conv2D(16, (5, 5), activation="tanh", name="C3")(X)
    X = layers.AveragePooling2D((2, 2), strides=(2, 2), name="S4")(X)
    X = layers.Flatten()(X)
    X = layers.Dense(120, activation="tanh", name="C5")(X)
    X = layers.Dense(84, activation="tanh", name="F6")(X)
    X = layers.Dense(classes, activation="softmax", name="output")(X)
    return keras.Model(X_input, X, name="LeNet5")


@reference_solution
def alexnet(input_shape=(227, 227, 3), classes=1000, groups=1):
    """AlexNet: (m, 227, 227, 3) -> (m, 1000) probabilities; 62,378,344 parameters.

    conv1 11x11/4 (96) -> pool 3x3/2 -> conv2 5x5 same (256) -> pool 3x3/2 -> conv3 3x3
    same (384) -> conv4 3x3 same (384) -> conv5 3x3 same (256) -> pool 3x3/2 -> flatten
    -> fc6 4096 -> fc7 4096 -> fc8 softmax. ``groups=2``: conv2, conv4 and conv5 split in
    two halves as on the paper's two GPUs (60,965,224 parameters).
    """
    X_input = keras.Input(input_shape)
    X = layers.Conv2D(96, (11, 11), strides=(4, 4), activation="relu", name="conv1")(X_input)
    X = layers.MaxPooling2D((3, 3), strides=(2, 2), name="pool1")(X)
    X = layers.Conv2D(256, (5, 5), padding="same", groups=groups, activation="relu",
                      name="conv2")(X)  # fmt: skip
    X = layers.MaxPooling2D((3, 3), strides=(2, 2), name="pool2")(X)
    X = layers.Conv2D(384, (3, 3), padding="same", activation="relu", name="conv3")(X)
    X = layers.Conv2D(384, (3, 3), padding="same", groups=groups, activation="relu",
                      name="conv4")(X)  # fmt: skip
    X = layers.Conv2D(256, (3, 3), padding="same", groups=groups, activation="relu",
                      name="conv5")(X)  # fmt: skip
    X = layers.MaxPooling2D((3, 3), strides=(2, 2), name="pool5")(X)
    X = layers.Flatten()(X)
    X = layers.Dense(4096, activation="relu", name="fc6")(X)
    X = layers.Dense(4096, activation="relu", name="fc7")(X)
    X = layers.Dense(classes, activation="softmax", name="fc8")(X)
    return keras.Model(X_input, X, name="AlexNet")


@reference_solution
def vgg16(input_shape=(224, 224, 3), classes=1000):
    """VGG-16: (m, 224, 224, 3) -> (m, 1000) probabilities; 138,357,544 parameters.

    Five blocks of 3x3 'same' convolutions (64 x2, 128 x2, 256 x3, 512 x3, 512 x3), each
    followed by a 2x2/2 max pool; then fc 4096 -> fc 4096 -> softmax. Layer names as in
    Keras Applications (block1_conv1 ... block5_pool, fc1, fc2, predictions).
    """
    X_input = keras.Input(input_shape)
    X = X_input
    for block, (filters, convs) in enumerate(
        ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)), start=1
    ):
        for i in range(1, convs + 1):
            X = layers.Conv2D(filters, (3, 3), padding="same", activation="relu",
                              name=f"block{block}_conv{i}")(X)  # fmt: skip
        X = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(X)
    X = layers.Flatten(name="flatten")(X)
    X = layers.Dense(4096, activation="relu", name="fc1")(X)
    X = layers.Dense(4096, activation="relu", name="fc2")(X)
    X = layers.Dense(classes, activation="softmax", name="predictions")(X)
    return keras.Model(X_input, X, name="VGG16")
