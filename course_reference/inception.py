"""Reference solutions for assignment 4, 1x1 convolutions and Inception."""

import keras
import numpy as np
from keras import layers

from course_utils.guard import reference_solution


@reference_solution
def conv1x1(X, W, b):
    """A 1x1 convolution with ReLU, written as what it is: one fully connected layer
    applied at every position.

    X: (m, n_H, n_W, n_C); W: (n_C, n_C'); b: (n_C',) -> (m, n_H, n_W, n_C').
    """
    return np.maximum(np.tensordot(X, W, axes=([3], [0])) + b, 0)


@reference_solution
def bottleneck_cost(input_shape, filters, f, reduce_to):
    """Multiplications of an f x f 'same' convolution with ``filters`` filters on
    ``input_shape`` = (n_H, n_W, n_C), stride 1: (directly, through a 1x1 bottleneck to
    ``reduce_to`` channels first). Biases are additions and do not count."""
    n_H, n_W, n_C = input_shape
    naive = n_H * n_W * filters * f * f * n_C
    reduce = n_H * n_W * reduce_to * n_C
    expand = n_H * n_W * filters * f * f * reduce_to
    return naive, reduce + expand


@reference_solution
def inception_module(X, filters, name):
    """GoogLeNet's inception module with dimension reductions (Szegedy et al. 2014,
    figure 2b). X: (m, n_H, n_W, n_C) -> (m, n_H, n_W, n1x1 + n3x3 + n5x5 + pool_proj).

    filters = (n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj), Table 1's column
    order. Four branches, every convolution with ReLU and every one 'same', stride 1:
    1x1; 1x1 -> 3x3; 1x1 -> 5x5; 3x3 max pool -> 1x1; concatenated along the channels
    in that order.
    """
    n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj = filters
    branch1 = layers.Conv2D(n1x1, 1, activation="relu", name=f"{name}_1x1")(X)
    branch2 = layers.Conv2D(n3x3_reduce, 1, activation="relu", name=f"{name}_3x3_reduce")(X)
    branch2 = layers.Conv2D(n3x3, 3, padding="same", activation="relu", name=f"{name}_3x3")(
        branch2
    )
    branch3 = layers.Conv2D(n5x5_reduce, 1, activation="relu", name=f"{name}_5x5_reduce")(X)
    branch3 = layers.Conv2D(n5x5, 5, padding="same", activation="relu", name=f"{name}_5x5")(
        branch3
    )
    branch4 = layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_pool")(X)
    branch4 = layers.Conv2D(pool_proj, 1, activation="relu", name=f"{name}_pool_proj")(branch4)
    return layers.Concatenate(axis=-1, name=f"{name}_concat")([branch1, branch2, branch3, branch4])


# the small network of exercise 4: (name, filters) of its inception modules
SMALL_MODULES = {
    "inception_3a": (32, 32, 48, 8, 16, 16),  # -> 112 channels
    "inception_3b": (48, 48, 64, 8, 24, 24),  # -> 160 channels
    "inception_4a": (64, 48, 96, 12, 32, 32),  # -> 224 channels
}


def small_inception_net_with(module, input_shape=(64, 64, 3), classes=6):
    """The small inception network, built with ``module`` (the reference's or a
    student's). (m, 64, 64, 3) -> (m, classes) probabilities.

    conv1 5x5/2 (32) -> pool1 3x3/2 -> conv2_reduce 1x1 (32) -> conv2 3x3 (64) ->
    inception_3a -> inception_3b -> pool3 3x3/2 -> inception_4a -> global average pool
    -> dropout 0.4 -> dense softmax. Every conv 'same' with ReLU; pools 'same'.
    """
    X_input = keras.Input(input_shape)
    X = layers.Conv2D(32, 5, strides=2, padding="same", activation="relu", name="conv1")(X_input)
    X = layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(X)
    X = layers.Conv2D(32, 1, activation="relu", name="conv2_reduce")(X)
    X = layers.Conv2D(64, 3, padding="same", activation="relu", name="conv2")(X)
    X = module(X, SMALL_MODULES["inception_3a"], name="inception_3a")
    X = module(X, SMALL_MODULES["inception_3b"], name="inception_3b")
    X = layers.MaxPooling2D(3, strides=2, padding="same", name="pool3")(X)
    X = module(X, SMALL_MODULES["inception_4a"], name="inception_4a")
    X = layers.GlobalAveragePooling2D(name="avg_pool")(X)
    X = layers.Dropout(0.4, name="dropout")(X)
    X = layers.Dense(classes, activation="softmax", name="predictions")(X)
    return keras.Model(X_input, X, name="SmallInception")


@reference_solution
def small_inception_net(input_shape=(64, 64, 3), classes=6):
    """The reference small inception network (see :func:`small_inception_net_with`)."""
    return small_inception_net_with(inception_module.unguarded, input_shape, classes)
