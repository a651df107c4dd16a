"""Typical wrong answers to the classic networks assignment, and what the grader must say.

MISTAKES[solution grade_id] = {mistake: (answer source, words the feedback must contain)}
SUBMISSIONS: which mistakes each catalog submission carries (exercises are graded
independently; every exercise is right in at least one submission).
"""

TESTS = {  # solution cell -> its test cell, and the points at stake
    "conv_output_shape": ("conv_output_shape_tests", 1),
    "conv_multiplications": ("conv_multiplications_tests", 1),
    "lenet5": ("lenet5_tests", 2),
    "alexnet": ("alexnet_tests", 2),
    "vgg16": ("vgg16_tests", 2),
}


RIGHT_P = "0 if padding == 'valid' else (f - 1) // 2 if padding == 'same' else padding"


def _shape(formula, p=RIGHT_P, channels="filters"):
    return f"""
def conv_output_shape(input_shape, filters, f, s=1, padding="valid"):
    n_H, n_W, n_C = input_shape
    p = {p}
    return ({formula.format(n="n_H")}, {formula.format(n="n_W")}, {channels})
"""


def _mults(body):
    return f"""
def conv_multiplications(input_shape, filters, f, s=1, padding="valid"):
    n_H2, n_W2, n_C2 = conv_output_shape(input_shape, filters, f, s, padding)
    n_H, n_W, n_C = input_shape
    return {body}
"""


def _lenet(pool="AveragePooling2D", c1="", out="softmax", c5="120"):
    return f"""
def lenet5(input_shape=(32, 32, 1), classes=10):
    X_input = keras.Input(input_shape)
    X = layers.Conv2D(6, (5, 5), activation="tanh", {c1}name="C1")(X_input)
    X = layers.{pool}((2, 2), strides=(2, 2), name="S2")(X)
    X = layers.Conv2D(16, (5, 5), activation="tanh", name="C3")(X)
    X = layers.{pool}((2, 2), strides=(2, 2), name="S4")(X)
    X = layers.Flatten()(X)
    X = layers.Dense({c5}, activation="tanh", name="C5")(X)
    X = layers.Dense(84, activation="tanh", name="F6")(X)
    X = layers.Dense(classes, activation="{out}", name="output")(X)
    return keras.Model(X_input, X, name="LeNet5")
"""


def _alexnet(conv1="strides=(4, 4), ", pool="(3, 3), strides=(2, 2)", g2="groups", g3="1"):
    return f"""
def alexnet(input_shape=(227, 227, 3), classes=1000, groups=1):
    X_input = keras.Input(input_shape)
    X = layers.Conv2D(96, (11, 11), {conv1}activation="relu", name="conv1")(X_input)
    X = layers.MaxPooling2D({pool}, name="pool1")(X)
    X = layers.Conv2D(256, (5, 5), padding="same", groups={g2}, activation="relu",
                      name="conv2")(X)
    X = layers.MaxPooling2D({pool}, name="pool2")(X)
    X = layers.Conv2D(384, (3, 3), padding="same", groups={g3}, activation="relu",
                      name="conv3")(X)
    X = layers.Conv2D(384, (3, 3), padding="same", groups=groups, activation="relu",
                      name="conv4")(X)
    X = layers.Conv2D(256, (3, 3), padding="same", groups=groups, activation="relu",
                      name="conv5")(X)
    X = layers.MaxPooling2D({pool}, name="pool5")(X)
    X = layers.Flatten()(X)
    X = layers.Dense(4096, activation="relu", name="fc6")(X)
    X = layers.Dense(4096, activation="relu", name="fc7")(X)
    X = layers.Dense(classes, activation="softmax", name="fc8")(X)
    return keras.Model(X_input, X, name="AlexNet")
"""


def _vgg(blocks="[(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)]", padding="same",
         fc2="4096", classes="classes"):  # fmt: skip
    return f"""
def vgg16(input_shape=(224, 224, 3), classes=1000):
    X_input = keras.Input(input_shape)
    X = X_input
    for block, (filters, convs) in enumerate({blocks}, start=1):
        for i in range(1, convs + 1):
            X = layers.Conv2D(filters, (3, 3), padding="{padding}", activation="relu",
                              name=f"block{{block}}_conv{{i}}")(X)
        X = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{{block}}_pool")(X)
    X = layers.Flatten(name="flatten")(X)
    X = layers.Dense(4096, activation="relu", name="fc1")(X)
    X = layers.Dense({fc2}, activation="relu", name="fc2")(X)
    X = layers.Dense({classes}, activation="softmax", name="predictions")(X)
    return keras.Model(X_input, X, name="VGG16")
"""


RIGHT_SHAPE = "({n} + 2 * p - f) // s + 1"

MISTAKES = {
    "conv_output_shape": {
        "the stride forgotten": (
            _shape("{n} + 2 * p - f + 1"),
            "conv_output_shape((7, 7, 3), 1, 3, s=2) should return (3, 3, 1), found (5, 5, 1)",
        ),
        "'same' padding ignored": (
            _shape(RIGHT_SHAPE, p="padding if isinstance(padding, int) else 0"),
            "conv_output_shape((28, 28, 192), 32, 5, s=1, padding='same') should return "
            "(28, 28, 32), found (24, 24, 32)",
        ),
        "true division instead of floor": (
            _shape(
                "int(({n} + 2 * p - f) / s + 1) if ({n} + 2 * p - f) % s == 0 "
                "else ({n} + 2 * p - f) / s + 1"
            ),  # fmt: skip
            "should return (54, 54, 96), found (54.25, 54.25, 96)",
        ),
    },
    "conv_multiplications": {
        "biases counted as multiplications": (
            _mults("n_H2 * n_W2 * n_C2 * (f * f * n_C + 1)"),
            "conv_multiplications((32, 32, 1), 6, 5) should return 117,600, found 122,304",
        ),
        "the filter depth taken from the output": (
            _mults("n_H2 * n_W2 * n_C2 * f * f * n_C2"),
            "should return 117,600, found 705,600",
        ),
        "the input size instead of the output's": (
            _mults("n_H * n_W * n_C2 * f * f * n_C"),
            "should return 117,600, found 153,600",
        ),
    },
    "lenet5": {
        "max instead of average pooling": (
            _lenet(pool="MaxPooling2D"),
            "the 1st AveragePooling2D (after the 1st Conv2D; 'S2' in the exercise): expected an "
            "AveragePooling2D here, found a MaxPooling2D",
        ),
        "'same' padding in C1": (
            _lenet(c1='padding="same", '),
            "padding should be 'valid', found 'same'",
        ),
        "no softmax at the output": (
            _lenet(out="linear"),
            "the 3rd Dense (after the 1st Flatten; 'output' in the exercise) should apply "
            "activation='softmax'; yours applies none",
        ),
    },
    "alexnet": {
        "'same' padding in conv1": (
            _alexnet(conv1='strides=(4, 4), padding="same", '),
            "padding should be 'valid', found 'same'",
        ),
        "non-overlapping 2x2 pooling": (
            _alexnet(pool="(2, 2), strides=(2, 2)"),
            "pool_size should be [3, 3], found [2, 2]",
        ),
        "conv3 split too, conv2 not": (
            _alexnet(g2="1", g3="groups"),
            "the 2nd Conv2D (after the 1st MaxPooling2D; 'conv2' in the exercise): groups "
            "should be 2, found 1.",
        ),
    },
    "vgg16": {
        "fc2 with 1000 units": (
            _vgg(fc2="1000"),
            "units should be 4096, found 1000",
        ),
        "'valid' padding": (_vgg(padding="valid"), "padding should be 'same', found 'valid'"),
        "1000 classes written in": (
            _vgg(classes="1000"),
            "the 3rd Dense (after the 1st Flatten; 'predictions' in the exercise): units should "
            "be",
        ),
    },
}

SUBMISSIONS = {
    "catalog1": {
        "conv_output_shape": "the stride forgotten",
        "conv_multiplications": "biases counted as multiplications",
        "lenet5": "max instead of average pooling",
        "alexnet": "'same' padding in conv1",
    },
    "catalog2": {
        "conv_output_shape": "'same' padding ignored",
        "lenet5": "'same' padding in C1",
        "alexnet": "non-overlapping 2x2 pooling",
        "vgg16": "fc2 with 1000 units",
    },
    "catalog3": {
        "conv_multiplications": "the filter depth taken from the output",
        "lenet5": "no softmax at the output",
        "vgg16": "'valid' padding",
    },
    "catalog4": {
        "conv_output_shape": "true division instead of floor",
        "conv_multiplications": "the input size instead of the output's",
        "alexnet": "conv3 split too, conv2 not",
        "vgg16": "1000 classes written in",
    },
}

# Correct answers written as students write them: every one must earn full marks
# (tests/test_variants.py in the kernel and the checker; tests/test_catalog.py graded).
VARIANTS = {
    "conv_output_shape": {
        "math.floor, a dictionary of paddings": """
import math


def conv_output_shape(input_shape, filters, f, s=1, padding="valid"):
    n_H, n_W, n_C = input_shape
    p = {"valid": 0, "same": (f - 1) // 2}.get(padding, padding)
    size = [math.floor((n + 2 * p - f) / s) + 1 for n in (n_H, n_W)]
    return (int(size[0]), int(size[1]), filters)
""",
    },
    "conv_multiplications": {
        "numpy's product of the output shape": """
def conv_multiplications(input_shape, filters, f, s=1, padding="valid"):
    out = conv_output_shape(input_shape, filters, f, s=s, padding=padding)
    return int(np.prod(out)) * f * f * int(input_shape[-1])
""",
    },
    "lenet5": {
        "keras.Sequential, Activation layers, no names": """
def lenet5(input_shape=(32, 32, 1), classes=10):
    return keras.Sequential([
        keras.Input(input_shape),
        layers.Conv2D(6, 5), layers.Activation("tanh"),
        layers.AvgPool2D(2),
        layers.Conv2D(16, 5), layers.Activation("tanh"),
        layers.AveragePooling2D(pool_size=(2, 2), strides=2),
        layers.Flatten(),
        layers.Dense(120, activation="tanh"),
        layers.Dense(84), layers.Activation("tanh"),
        layers.Dense(classes), layers.Softmax(),
    ])
""",
    },
    "alexnet": {
        "ReLU layers, integer sizes, no names": """
def alexnet(input_shape=(227, 227, 3), classes=1000, groups=1):
    X_input = keras.Input(input_shape)
    X = layers.ReLU()(layers.Conv2D(96, 11, strides=4)(X_input))
    X = layers.MaxPooling2D(3, 2)(X)
    X = layers.ReLU()(layers.Conv2D(256, 5, padding="same", groups=groups)(X))
    X = layers.MaxPooling2D(3, 2)(X)
    for filters, g in ((384, 1), (384, groups), (256, groups)):
        X = layers.Conv2D(filters, 3, padding="same", groups=g, activation="relu")(X)
    X = layers.MaxPooling2D(3, 2)(X)
    X = layers.Flatten()(X)
    X = layers.Dense(4096, activation="relu")(X)
    X = layers.Dense(4096, activation="relu")(X)
    return keras.Model(X_input, layers.Dense(classes, activation="softmax")(X))
""",
    },
    "vgg16": {
        "every layer written out, no names": """
def vgg16(input_shape=(224, 224, 3), classes=1000):
    conv = lambda n: layers.Conv2D(n, (3, 3), padding="same", activation="relu")  # noqa: E731
    pool = lambda: layers.MaxPool2D((2, 2))  # noqa: E731
    model = keras.Sequential([
        keras.Input(input_shape),
        conv(64), conv(64), pool(),
        conv(128), conv(128), pool(),
        conv(256), conv(256), conv(256), pool(),
        conv(512), conv(512), conv(512), pool(),
        conv(512), conv(512), conv(512), pool(),
        layers.Flatten(),
        layers.Dense(4096, activation="relu"),
        layers.Dense(4096, activation="relu"),
        layers.Dense(classes, activation="softmax"),
    ])
    return model
""",
    },
}
