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
            "an Activation in another place: the exercise has it after the 1st Add",
        ),
        "BatchNormalization on axis 1": (
            _identity(_main_path(axis=1)),
            "axis should be 3, found 1",
        ),
        "the ReLU inside the first Conv2D, before its BN": (
            _identity(
                _main_path(conv1='activation="relu", ').replace(
                    '    X = layers.Activation("relu", name=f"{name}_1_relu")(X)\n', ""
                )
            ),
            "applies activation='relu' itself, so the relu comes right after it; the exercise "
            "applies it later, after the 1st BatchNormalization",
        ),
        "'valid' padding on the middle conv": (
            _identity(_main_path(middle_padding="")),
            "padding='same' on its f x f convolution",
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
            "the 4th BatchNormalization (after the 4th Conv2D; 'check_0_bn' in the exercise) is "
            "missing",
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
            "the 2nd identity_block (after the 1st convolutional_block; 'conv2_block3' in the "
            "exercise) is missing",
        ),
        "the stages written in, not read from `stages`": (
            _resnet(stages="(3, 4, 6, 3)"),
            "use `stages` for the number of blocks per stage",
        ),
        "max pooling at the end": (
            _resnet(pool="MaxPooling2D"),
            "expected an AveragePooling2D here, found a MaxPooling2D",
        ),
        "stage 2 with stride 2": (
            _resnet().replace("s=1 if stage == 2 else 2", "s=2"),
            "stage 2 keeps stride 1",
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
        "identity_block": "'valid' padding on the middle conv",
        "ResNet50": "the stages written in, not read from `stages`",
    },
    "catalog4": {
        "identity_block": "F3 used for the middle conv",
        "convolutional_block": "no stride on the shortcut",
        "ResNet50": "max pooling at the end",
    },
    "catalog5": {
        "convolutional_block": "an f x f last conv",
        "ResNet50": "stage 2 with stride 2",
    },
    "catalog6": {"identity_block": "the ReLU inside the first Conv2D, before its BN"},
}

# Correct answers written as students write them: every one must earn full marks
# (tests/test_variants.py in the kernel and the checker; tests/test_catalog.py graded).
VARIANTS = {
    "layer_gradient_norms": {
        "the loss object, a list of kernels": """
def layer_gradient_norms(model, X, Y):
    loss_fn = keras.losses.CategoricalCrossentropy()
    layers_with_kernel = [l for l in model.layers if getattr(l, "kernel", None) is not None]
    with tf.GradientTape() as tape:
        loss = loss_fn(Y, model(X, training=True))
    grads = tape.gradient(loss, [l.kernel for l in layers_with_kernel])
    return {l.name: float(np.sqrt(np.sum(np.square(g.numpy()))))
            for l, g in zip(layers_with_kernel, grads)}
""",
    },
    "identity_block": {
        "the original course's (2017): name bases, glorot_uniform(seed=0), tf.keras": """
from tensorflow.keras.initializers import glorot_uniform
from tensorflow.keras.layers import Activation, Add, BatchNormalization, Conv2D


def identity_block(X, f, filters, name="block"):
    conv_name_base = name + '_branch'
    bn_name_base = name + '_bn_branch'
    F1, F2, F3 = filters
    X_shortcut = X
    X = Conv2D(filters=F1, kernel_size=(1, 1), strides=(1, 1), padding='valid',
               name=conv_name_base + '2a', kernel_initializer=glorot_uniform(seed=0))(X)
    X = BatchNormalization(axis=3, name=bn_name_base + '2a')(X)
    X = Activation('relu')(X)
    X = Conv2D(filters=F2, kernel_size=(f, f), strides=(1, 1), padding='same',
               name=conv_name_base + '2b', kernel_initializer=glorot_uniform(seed=0))(X)
    X = BatchNormalization(axis=3, name=bn_name_base + '2b')(X)
    X = Activation('relu')(X)
    X = Conv2D(filters=F3, kernel_size=(1, 1), strides=(1, 1), padding='valid',
               name=conv_name_base + '2c', kernel_initializer=glorot_uniform(seed=0))(X)
    X = BatchNormalization(axis=3, name=bn_name_base + '2c')(X)
    X = Add()([X, X_shortcut])
    X = Activation('relu')(X)
    return X
""",
        "no names, ReLU layers, Add([shortcut, X])": """
def identity_block(X, f, filters, name="block"):
    F1, F2, F3 = filters
    X_shortcut = X
    X = layers.Conv2D(F1, 1, padding="valid")(X)
    X = layers.BatchNormalization(axis=-1)(X)
    X = layers.ReLU()(X)
    X = layers.Conv2D(F2, (f, f), padding="same")(X)
    X = layers.BatchNormalization()(X)
    X = layers.ReLU()(X)
    X = layers.Conv2D(F3, 1)(X)
    X = layers.BatchNormalization()(X)
    X = layers.Add()([X_shortcut, X])
    return layers.Activation("relu")(X)
""",
        "'same' padding on the 1x1 convolutions (for a 1x1, the same computation)": """
def identity_block(X, f, filters, name="block"):
    F1, F2, F3 = filters
    X_shortcut = X
    X = layers.Conv2D(F1, (1, 1), padding="same")(X)
    X = layers.BatchNormalization(axis=3)(X)
    X = layers.Activation("relu")(X)
    X = layers.Conv2D(F2, (f, f), padding="same")(X)
    X = layers.BatchNormalization(axis=3)(X)
    X = layers.Activation("relu")(X)
    X = layers.Conv2D(F3, (1, 1), padding="same")(X)
    X = layers.BatchNormalization(axis=3)(X)
    X = layers.Add()([X, X_shortcut])
    return layers.Activation("relu")(X)
""",
        "the student's own names, layers.add": """
def identity_block(X, f, filters, name="block"):
    F1, F2, F3 = filters
    shortcut = X
    for i, (n, k) in enumerate(((F1, 1), (F2, f), (F3, 1)), start=1):
        X = layers.Conv2D(n, kernel_size=(k, k), strides=(1, 1),
                          padding="same" if k > 1 else "valid", name=f"{name}_c{i}")(X)
        X = layers.BatchNormalization(axis=3, name=f"{name}_b{i}")(X)
        if i < 3:
            X = layers.Activation(keras.activations.relu)(X)
    return layers.Activation("relu", name=f"{name}_relu")(layers.add([X, shortcut]))
""",
    },
    "convolutional_block": {
        "the original course's (2017): name bases, glorot_uniform(seed=0)": """
from tensorflow.keras.initializers import glorot_uniform
from tensorflow.keras.layers import Activation, Add, BatchNormalization, Conv2D


def convolutional_block(X, f, filters, s=2, name="block"):
    conv_name_base = name + '_branch'
    bn_name_base = name + '_bn_branch'
    F1, F2, F3 = filters
    X_shortcut = X
    X = Conv2D(F1, (1, 1), strides=(s, s), name=conv_name_base + '2a',
               kernel_initializer=glorot_uniform(seed=0))(X)
    X = BatchNormalization(axis=3, name=bn_name_base + '2a')(X)
    X = Activation('relu')(X)
    X = Conv2D(F2, (f, f), strides=(1, 1), padding='same', name=conv_name_base + '2b',
               kernel_initializer=glorot_uniform(seed=0))(X)
    X = BatchNormalization(axis=3, name=bn_name_base + '2b')(X)
    X = Activation('relu')(X)
    X = Conv2D(F3, (1, 1), strides=(1, 1), padding='valid', name=conv_name_base + '2c',
               kernel_initializer=glorot_uniform(seed=0))(X)
    X = BatchNormalization(axis=3, name=bn_name_base + '2c')(X)
    X_shortcut = Conv2D(F3, (1, 1), strides=(s, s), padding='valid', name=conv_name_base + '1',
                        kernel_initializer=glorot_uniform(seed=0))(X_shortcut)
    X_shortcut = BatchNormalization(axis=3, name=bn_name_base + '1')(X_shortcut)
    X = Add()([X, X_shortcut])
    X = Activation('relu')(X)
    return X
""",
        "no names, the shortcut after the main path, strides as an int": """
def convolutional_block(X, f, filters, s=2, name="block"):
    F1, F2, F3 = filters
    X_in = X
    X = layers.Conv2D(F1, 1, strides=s)(X)
    X = layers.BatchNormalization()(X)
    X = layers.Activation("relu")(X)
    X = layers.Conv2D(F2, f, padding="same")(X)
    X = layers.BatchNormalization()(X)
    X = layers.Activation("relu")(X)
    X = layers.Conv2D(F3, 1)(X)
    X = layers.BatchNormalization()(X)
    shortcut = layers.Conv2D(F3, 1, strides=s)(X_in)
    shortcut = layers.BatchNormalization()(shortcut)
    X = layers.Add()([shortcut, X])
    return layers.ReLU()(X)
""",
    },
    "ResNet50": {
        "no names, blocks called without name=, average pool with 'same' padding": """
def ResNet50(input_shape=(64, 64, 3), classes=6, stages=(3, 4, 6, 3)):
    X_input = keras.Input(input_shape)
    X = layers.ZeroPadding2D(3)(X_input)
    X = layers.Conv2D(64, 7, strides=2)(X)
    X = layers.BatchNormalization()(X)
    X = layers.ReLU()(X)
    X = layers.MaxPool2D(3, strides=2)(X)
    widths = [[64, 64, 256], [128, 128, 512], [256, 256, 1024], [512, 512, 2048]]
    for i, (filters, blocks) in enumerate(zip(widths, stages)):
        X = convolutional_block(X, 3, filters, s=1 if i == 0 else 2)
        for _ in range(blocks - 1):
            X = identity_block(X, 3, filters)
    X = layers.AveragePooling2D((2, 2), padding="same")(X)
    X = layers.Flatten()(X)
    X = layers.Dense(classes, activation="softmax")(X)
    return keras.Model(X_input, X)
""",
        "the pool with stride 1, the softmax as a layer": """
def ResNet50(input_shape=(64, 64, 3), classes=6, stages=(3, 4, 6, 3)):
    X_input = keras.Input(input_shape)
    X = layers.ZeroPadding2D((3, 3), name="conv1_pad")(X_input)
    X = layers.Conv2D(64, (7, 7), strides=(2, 2), name="conv1_conv")(X)
    X = layers.BatchNormalization(axis=3, name="conv1_bn")(X)
    X = layers.Activation("relu", name="conv1_relu")(X)
    X = layers.MaxPooling2D((3, 3), strides=(2, 2), name="pool1_pool")(X)
    X = convolutional_block(X, f=3, filters=[64, 64, 256], s=1, name="conv2_block1")
    for b in range(2, stages[0] + 1):
        X = identity_block(X, 3, [64, 64, 256], name=f"conv2_block{b}")
    for stage, filters, blocks in ((3, 128, stages[1]), (4, 256, stages[2]),
                                   (5, 512, stages[3])):
        wide = [filters, filters, 4 * filters]
        X = convolutional_block(X, 3, wide, s=2, name=f"conv{stage}_block1")
        for b in range(2, blocks + 1):
            X = identity_block(X, 3, wide, name=f"conv{stage}_block{b}")
    X = layers.AveragePooling2D(pool_size=(2, 2), strides=(1, 1))(X)
    X = layers.Flatten()(X)
    X = layers.Dense(classes)(X)
    X = layers.Softmax()(X)
    return keras.Model(inputs=X_input, outputs=X, name="ResNet50")
""",
    },
}
