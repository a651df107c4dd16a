"""Typical wrong answers to the residual networks assignment, and what the grader must say.

MISTAKES[solution grade_id] = {mistake: (answer source, words the feedback must contain)}
SUBMISSIONS: which mistakes each catalog submission carries (exercises are graded
independently - ResNet50 is checked with correct blocks standing in for the student's -
and every exercise is right in at least one submission).
"""

TESTS = {  # solution cell -> its test cell, and the points at stake
    "layer_gradient_norms": ("layer_gradient_norms_tests", 2),
    "identity_block": ("identity_block_tests", 3),
    "convolutional_block": ("convolutional_block_tests", 3),
    "ResNet50": ("ResNet50_tests", 2),
}


def _norms(loss="keras.ops.mean", training="True", target="layer.kernel"):
    return f"""
def layer_gradient_norms(model, X, Y):
    kernels = [layer for layer in model.layers if hasattr(layer, "kernel")]
    with tf.GradientTape() as tape:
        probabilities = model(X, training={training})
        loss = {loss}(keras.losses.categorical_crossentropy(Y, probabilities))
    grads = tape.gradient(loss, [{target} for layer in kernels])
    return {{layer.name: float(tf.norm(g)) for layer, g in zip(kernels, grads, strict=True)}}
"""


def _main_path(conv1="", axis=3, middle="F2", middle_padding='padding="same", ', last_f="1",
               one_by_one=""):  # fmt: skip
    last = 'padding="same", ' if last_f == "f" else one_by_one
    return f"""    X = layers.Conv2D(F1, (1, 1), {conv1}{one_by_one}name=f"{{name}}_1_conv")(X)
    X = layers.BatchNormalization(axis={axis}, name=f"{{name}}_1_bn")(X)
    X = layers.Activation("relu", name=f"{{name}}_1_relu")(X)
    X = layers.Conv2D({middle}, (f, f), {middle_padding}name=f"{{name}}_2_conv")(X)
    X = layers.BatchNormalization(axis={axis}, name=f"{{name}}_2_bn")(X)
    X = layers.Activation("relu", name=f"{{name}}_2_relu")(X)
    X = layers.Conv2D(F3, ({last_f}, {last_f}), {last}name=f"{{name}}_3_conv")(X)
    X = layers.BatchNormalization(axis={axis}, name=f"{{name}}_3_bn")(X)
"""


END = """    X = layers.Add(name=f"{name}_add")([X, X_shortcut])
    X = layers.Activation("relu", name=f"{name}_out")(X)
"""


def _identity(main=None, end=END):
    return f"""
def identity_block(X, f, filters, name="block"):
    F1, F2, F3 = filters
    X_shortcut = X
{main or _main_path()}{end}    return X
"""


def _convolutional(main=None, shortcut=None, end=END):
    shortcut = shortcut or (
        '    X_shortcut = layers.Conv2D(F3, (1, 1), strides=(s, s), name=f"{name}_0_conv")(X)\n'
        '    X_shortcut = layers.BatchNormalization(axis=3, name=f"{name}_0_bn")(X_shortcut)\n'
    )
    return f"""
def convolutional_block(X, f, filters, s=2, name="block"):
    F1, F2, F3 = filters
{shortcut}{main or _main_path(conv1="strides=(s, s), ")}{end}    return X
"""


def _resnet(pad=True, stages="stages", blocks="blocks + 1", pool="AveragePooling2D"):
    stem = '    X = layers.ZeroPadding2D((3, 3), name="conv1_pad")(X_input)\n' if pad else (
        "    X = X_input\n"
    )  # fmt: skip
    return f"""
def ResNet50(input_shape=(64, 64, 3), classes=6, stages=(3, 4, 6, 3)):
    X_input = keras.Input(input_shape)
{stem}    X = layers.Conv2D(64, (7, 7), strides=(2, 2), name="conv1_conv")(X)
    X = layers.BatchNormalization(axis=3, name="conv1_bn")(X)
    X = layers.Activation("relu", name="conv1_relu")(X)
    X = layers.MaxPooling2D((3, 3), strides=(2, 2), name="pool1_pool")(X)
    widths = [(64, 64, 256), (128, 128, 512), (256, 256, 1024), (512, 512, 2048)]
    for stage, (filters, blocks) in enumerate(zip(widths, {stages}, strict=True), start=2):
        X = convolutional_block(X, 3, filters, s=1 if stage == 2 else 2,
                                name=f"conv{{stage}}_block1")
        for i in range(2, {blocks}):
            X = identity_block(X, 3, filters, name=f"conv{{stage}}_block{{i}}")
    X = layers.{pool}((2, 2), name="avg_pool")(X)
    X = layers.Flatten(name="flatten")(X)
    X = layers.Dense(classes, activation="softmax", name="predictions")(X)
    return keras.Model(X_input, X, name=f"ResNet{{3 * sum(stages) + 2}}")
"""


MISTAKES = {
    "layer_gradient_norms": {
        "the loss summed over the batch": (
            _norms(loss="keras.ops.sum"),
            "every norm is 4x too large: average the loss over the batch",
        ),
        "inference mode (training=False)": (
            _norms(training="False"),
            "model(X, training=True)",
        ),
        "the gradient of the biases": (_norms(target="layer.bias"), "w.r.t. layer.kernel"),
    },
    "identity_block": {
        "the shortcut added after the final ReLU": (
            _identity(
                end='    X = layers.Activation("relu", name=f"{name}_out")(X)\n'
                '    X = layers.Add(name=f"{name}_add")([X, X_shortcut])\n'
            ),
            "expected an Add layer here, found Activation",
        ),
        "BatchNormalization on axis 1": (
            _identity(_main_path(axis=1)),
            "axis should be 3, found 1",
        ),
        "'same' padding on the 1x1 convs": (
            _identity(_main_path(one_by_one='padding="same", ')),
            "padding should be 'valid', found 'same'",
        ),
        "F3 used for the middle conv": (
            _identity(_main_path(middle="F3")),
            "filters should be 4, found 6",
        ),
    },
    "convolutional_block": {
        "no BN on the shortcut": (
            _convolutional(
                shortcut="    X_shortcut = layers.Conv2D(F3, (1, 1), strides=(s, s), "
                'name=f"{name}_0_conv")(X)\n'
            ),
            "no layer named 'check_0_bn'",
        ),
        "the stride on the middle conv": (
            _convolutional(main=_main_path(middle_padding='strides=(s, s), padding="same", ')),
            "strides should be [2, 2], found [1, 1]",
        ),
        "no stride on the shortcut": (
            _convolutional(
                shortcut='    X_shortcut = layers.Conv2D(F3, (1, 1), name=f"{name}_0_conv")(X)\n'
                '    X_shortcut = layers.BatchNormalization(axis=3, name=f"{name}_0_bn")'
                "(X_shortcut)\n"
            ),
            "raised ValueError: Inputs have incompatible shapes",
        ),
        "an f x f last conv": (
            _convolutional(main=_main_path(conv1="strides=(s, s), ", last_f="f")),
            "kernel_size should be [1, 1], found [3, 3]",
        ),
    },
    "ResNet50": {
        "a stage with one identity block too few": (
            _resnet(blocks="blocks"),
            "no layer named 'conv2_block3'",
        ),
        "the stages written in, not read from `stages`": (
            _resnet(stages="(3, 4, 6, 3)"),
            "use `stages` for the number of blocks per stage",
        ),
        "max pooling at the end": (
            _resnet(pool="MaxPooling2D"),
            "expected an AveragePooling2D layer here, found MaxPooling2D",
        ),
    },
}

SUBMISSIONS = {
    "catalog1": {
        "layer_gradient_norms": "the loss summed over the batch",
        "identity_block": "the shortcut added after the final ReLU",
        "convolutional_block": "no BN on the shortcut",
        "ResNet50": "a stage with one identity block too few",
    },
    "catalog2": {
        "layer_gradient_norms": "inference mode (training=False)",
        "identity_block": "BatchNormalization on axis 1",
        "convolutional_block": "the stride on the middle conv",
    },
    "catalog3": {
        "layer_gradient_norms": "the gradient of the biases",
        "identity_block": "'same' padding on the 1x1 convs",
        "ResNet50": "the stages written in, not read from `stages`",
    },
    "catalog4": {
        "identity_block": "F3 used for the middle conv",
        "convolutional_block": "no stride on the shortcut",
        "ResNet50": "max pooling at the end",
    },
    "catalog5": {
        "convolutional_block": "an f x f last conv",
    },
}
