"""Reference solutions for assignment 3, residual networks.

Layer names follow Keras Applications (``conv2_block1_1_conv`` ... ``conv2_block1_out``)
so that a summary, a check message and Keras' own ResNet50 point at the same places.
"""

import keras
import tensorflow as tf
from keras import layers

from course_utils.guard import reference_solution


def _main_path_plus(X, X_shortcut, f, filters, s, name):
    """Both blocks' main path (stride s on the first 1x1 conv), plus the shortcut, ReLU."""
    F1, F2, F3 = filters
    X = layers.Conv2D(F1, (1, 1), strides=(s, s), name=f"{name}_1_conv")(X)
    X = layers.BatchNormalization(axis=3, name=f"{name}_1_bn")(X)
    X = layers.Activation("relu", name=f"{name}_1_relu")(X)
    X = layers.Conv2D(F2, (f, f), padding="same", name=f"{name}_2_conv")(X)
    X = layers.BatchNormalization(axis=3, name=f"{name}_2_bn")(X)
    X = layers.Activation("relu", name=f"{name}_2_relu")(X)
    X = layers.Conv2D(F3, (1, 1), name=f"{name}_3_conv")(X)
    X = layers.BatchNormalization(axis=3, name=f"{name}_3_bn")(X)
    X = layers.Add(name=f"{name}_add")([X, X_shortcut])
    return layers.Activation("relu", name=f"{name}_out")(X)


@reference_solution
def identity_block(X, f, filters, name="block"):
    """The identity block: the shortcut skips three layers and is added unchanged.

    X: (m, n_H, n_W, n_C) with n_C == F3. f: the middle conv's filter size.
    filters: (F1, F2, F3). Returns (m, n_H, n_W, F3).

    1x1 conv (F1) -> BN -> ReLU -> f x f 'same' conv (F2) -> BN -> ReLU -> 1x1 conv (F3)
    -> BN -> add the shortcut -> ReLU.
    """
    X_shortcut = X
    return _main_path_plus(X, X_shortcut, f, filters, 1, name)


@reference_solution
def convolutional_block(X, f, filters, s=2, name="block"):
    """The convolutional block: the shortcut has a 1x1 conv (stride s) and BN, so that
    its shape matches the main path's.

    X: (m, n_H, n_W, n_C). Returns (m, ceil(n_H / s), ceil(n_W / s), F3).
    Main path as the identity block's, with stride s on the first 1x1 conv.
    """
    F3 = filters[2]
    X_shortcut = layers.Conv2D(F3, (1, 1), strides=(s, s), name=f"{name}_0_conv")(X)
    X_shortcut = layers.BatchNormalization(axis=3, name=f"{name}_0_bn")(X_shortcut)
    return _main_path_plus(X, X_shortcut, f, filters, s, name)


def stage(X, filters, blocks, s, name, identity=identity_block, convolutional=None):
    """One stage: a convolutional block (stride s) then ``blocks - 1`` identity blocks."""
    convolutional = convolutional or convolutional_block
    X = convolutional(X, 3, filters, s=s, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        X = identity(X, 3, filters, name=f"{name}_block{i}")
    return X


def resnet(input_shape, classes, blocks_per_stage, name, identity=None, convolutional=None):
    """The ResNet-50 family for small images: stem, four stages, average pool, softmax."""
    identity = identity or identity_block
    convolutional = convolutional or convolutional_block
    X_input = keras.Input(input_shape)
    X = layers.ZeroPadding2D((3, 3), name="conv1_pad")(X_input)
    X = layers.Conv2D(64, (7, 7), strides=(2, 2), name="conv1_conv")(X)
    X = layers.BatchNormalization(axis=3, name="conv1_bn")(X)
    X = layers.Activation("relu", name="conv1_relu")(X)
    X = layers.MaxPooling2D((3, 3), strides=(2, 2), name="pool1_pool")(X)
    widths = ([64, 64, 256], [128, 128, 512], [256, 256, 1024], [512, 512, 2048])
    for i, (filters, blocks) in enumerate(zip(widths, blocks_per_stage, strict=True)):
        X = stage(X, filters, blocks, 1 if i == 0 else 2, f"conv{i + 2}", identity,
                  convolutional)  # fmt: skip
    X = layers.AveragePooling2D((2, 2), name="avg_pool")(X)
    X = layers.Flatten(name="flatten")(X)
    X = layers.Dense(classes, activation="softmax", name="predictions")(X)
    return keras.Model(X_input, X, name=name)


@reference_solution
def ResNet50(input_shape=(64, 64, 3), classes=6, stages=(3, 4, 6, 3)):  # noqa: N802
    """ResNet-50: (m, 64, 64, 3) -> (m, classes); stages of 3, 4, 6, 3 blocks.
    23,600,006 parameters for 64x64x3 and 6 classes. stages=(3, 8, 36, 3): ResNet-152."""
    return resnet(input_shape, classes, stages, f"ResNet{3 * sum(stages) + 2}",
                  identity_block.unguarded, convolutional_block.unguarded)  # fmt: skip


@reference_solution
def layer_gradient_norms(model, X, Y):
    """{layer name: L2 norm of d loss / d kernel} for every layer with a kernel, in the
    model's order. loss = mean categorical cross-entropy of model(X, training=True)
    against one-hot Y."""
    kernels = [layer for layer in model.layers if hasattr(layer, "kernel")]
    with tf.GradientTape() as tape:
        probabilities = model(X, training=True)
        loss = keras.ops.mean(keras.losses.categorical_crossentropy(Y, probabilities))
    grads = tape.gradient(loss, [layer.kernel for layer in kernels])
    return {layer.name: float(tf.norm(g)) for layer, g in zip(kernels, grads, strict=True)}
