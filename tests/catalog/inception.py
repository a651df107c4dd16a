"""Typical wrong answers to the inception assignment, and what the grader must say.

MISTAKES[solution grade_id] = {mistake: (answer source, words the feedback must contain)}
SUBMISSIONS: which mistakes each catalog submission carries (exercises are graded
independently - small_inception_net is checked with a correct inception_module standing
in for the student's - and every exercise is right in at least one submission).
"""

TESTS = {  # solution cell -> its test cell, and the points at stake
    "conv1x1": ("conv1x1_tests", 2),
    "bottleneck_cost": ("bottleneck_cost_tests", 1),
    "inception_module": ("inception_module_tests", 3),
    "small_inception_net": ("small_inception_net_tests", 2),
}


def _conv1x1(body):
    return f"""
def conv1x1(X, W, b):
    {body}
"""


def _cost(naive="n_H * n_W * filters * f * f * n_C",
          reduce="n_H * n_W * reduce_to * n_C",
          expand="n_H * n_W * filters * f * f * reduce_to"):  # fmt: skip
    return f"""
def bottleneck_cost(input_shape, filters, f, reduce_to):
    n_H, n_W, n_C = input_shape
    return {naive}, {reduce} + {expand}
"""


def _module(pad3="same", pool_pad="same", reduce5=True, axis=-1,
            order="[branch_1x1, branch_3x3, branch_5x5, branch_pool]"):  # fmt: skip
    branch5 = (
        '    branch_5x5 = layers.Conv2D(n5x5_reduce, 1, activation="relu", '
        'name=f"{name}_5x5_reduce")(X)\n'
        '    branch_5x5 = layers.Conv2D(n5x5, 5, padding="same", activation="relu", '
        'name=f"{name}_5x5")(branch_5x5)\n'
        if reduce5
        else '    branch_5x5 = layers.Conv2D(n5x5, 5, padding="same", activation="relu", '
        'name=f"{name}_5x5")(X)\n'
    )
    return f"""
def inception_module(X, filters, name):
    n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj = filters
    branch_1x1 = layers.Conv2D(n1x1, 1, activation="relu", name=f"{{name}}_1x1")(X)
    branch_3x3 = layers.Conv2D(n3x3_reduce, 1, activation="relu", name=f"{{name}}_3x3_reduce")(X)
    branch_3x3 = layers.Conv2D(n3x3, 3, padding="{pad3}", activation="relu",
                               name=f"{{name}}_3x3")(branch_3x3)
{branch5}    branch_pool = layers.MaxPooling2D(3, strides=1, padding="{pool_pad}",
                                      name=f"{{name}}_pool")(X)
    branch_pool = layers.Conv2D(pool_proj, 1, activation="relu",
                                name=f"{{name}}_pool_proj")(branch_pool)
    return layers.Concatenate(axis={axis}, name=f"{{name}}_concat")({order})
"""


def _small(pool3=True, head="GlobalAveragePooling2D", dropout=True, modules=None):
    modules = modules or [
        ("inception_3a", "(32, 32, 48, 8, 16, 16)"),
        ("inception_3b", "(48, 48, 64, 8, 24, 24)"),
        ("inception_4a", "(64, 48, 96, 12, 32, 32)"),
    ]
    lines = [f'    X = inception_module(X, {f}, name="{n}")' for n, f in modules[:2]]
    if pool3:
        lines.append('    X = layers.MaxPooling2D(3, strides=2, padding="same", name="pool3")(X)')
    lines += [f'    X = inception_module(X, {f}, name="{n}")' for n, f in modules[2:]]
    lines.append(
        '    X = layers.GlobalAveragePooling2D(name="avg_pool")(X)'
        if head == "GlobalAveragePooling2D"
        else '    X = layers.Flatten(name="avg_pool")(X)'
    )
    if dropout:
        lines.append('    X = layers.Dropout(0.4, name="dropout")(X)')
    body = "\n".join(lines)
    return f"""
def small_inception_net(input_shape=(64, 64, 3), classes=6):
    X_input = keras.Input(input_shape)
    X = layers.Conv2D(32, 5, strides=2, padding="same", activation="relu", name="conv1")(X_input)
    X = layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(X)
    X = layers.Conv2D(32, 1, activation="relu", name="conv2_reduce")(X)
    X = layers.Conv2D(64, 3, padding="same", activation="relu", name="conv2")(X)
{body}
    X = layers.Dense(classes, activation="softmax", name="predictions")(X)
    return keras.Model(X_input, X, name="SmallInception")
"""


MISTAKES = {
    "conv1x1": {
        "no ReLU": (
            _conv1x1("return np.tensordot(X, W, axes=([3], [0])) + b"),
            "a ReLU follows the 1x1 convolution",
        ),
        "the bias left out": (
            _conv1x1("return np.maximum(np.tensordot(X, W, axes=([3], [0])), 0)"),
            "add the bias b",
        ),
        "W transposed": (
            _conv1x1("return np.maximum(X @ W.T + b, 0)"),
            "raised ValueError",
        ),
        "the channels averaged, not summed": (
            _conv1x1("return np.maximum(np.tensordot(X, W, axes=([3], [0])) / X.shape[3] + b, 0)"),
            "sum over k of X[i, h, w, k] * W[k, c]",
        ),
    },
    "bottleneck_cost": {
        "biases counted as multiplications": (
            _cost(
                naive="n_H * n_W * filters * (f * f * n_C + 1)",
                expand="n_H * n_W * filters * (f * f * reduce_to + 1)",
            ),  # fmt: skip
            "should return (120_422_400, 12_443_648), found (120_447_488, 12_468_736)",
        ),
        "the 1x1 conv's own cost left out": (
            _cost(reduce="0"),
            "found (120_422_400, 10_035_200)",
        ),
        "the 5x5 filters see all 192 channels": (
            _cost(expand="n_H * n_W * filters * f * f * n_C"),
            "found (120_422_400, 122_830_848)",
        ),
    },
    "inception_module": {
        "'valid' padding in the 3x3 branch": (
            _module(pad3="valid"),
            "keep each branch's height and width",
        ),
        "max pool without 'same' padding": (
            _module(pool_pad="valid"),
            "keep each branch's height and width",
        ),
        "no 1x1 reduce before the 5x5": (
            _module(reduce5=False),
            "the 4th Conv2D ('check_5x5_reduce' in the exercise) is missing",
        ),
        "the branches concatenated in another order": (
            _module(order="[branch_pool, branch_1x1, branch_3x3, branch_5x5]"),
            "joins the branches in the order [1x1 conv (3) after a 3x3 max pool, 1x1 conv (4), "
            "3x3 conv (4), 5x5 conv (3)]",
        ),
        "concatenated along the height": (
            _module(axis=1),
            "join along the channels (axis=-1)",
        ),
    },
    "small_inception_net": {
        "no pool between the (3b) and (4a) modules": (
            _small(pool3=False),
            "the 2nd MaxPooling2D (after the 2nd inception_module; 'pool3' in the exercise) is "
            "missing",
        ),
        "flatten instead of global average pooling": (
            _small(head="Flatten"),
            "expected a GlobalAveragePooling2D here, found a Flatten",
        ),
        "no dropout": (
            _small(dropout=False),
            "the 1st Dropout (after the 1st GlobalAveragePooling2D) is missing",
        ),
        "the (3b) filters of GoogLeNet": (
            _small(
                modules=[
                    ("inception_3a", "(32, 32, 48, 8, 16, 16)"),
                    ("inception_3b", "(128, 128, 192, 32, 96, 64)"),
                    ("inception_4a", "(64, 48, 96, 12, 32, 32)"),
                ]
            ),
            "should be {'filters': [48, 48, 64, 8, 24, 24]}, found {'filters': [128, 128, 192",
        ),
    },
}

SUBMISSIONS = {
    "catalog1": {
        "conv1x1": "no ReLU",
        "bottleneck_cost": "biases counted as multiplications",
        "inception_module": "'valid' padding in the 3x3 branch",
        "small_inception_net": "no pool between the (3b) and (4a) modules",
    },
    "catalog2": {
        "conv1x1": "the bias left out",
        "bottleneck_cost": "the 1x1 conv's own cost left out",
        "inception_module": "max pool without 'same' padding",
        "small_inception_net": "flatten instead of global average pooling",
    },
    "catalog3": {
        "conv1x1": "W transposed",
        "bottleneck_cost": "the 5x5 filters see all 192 channels",
        "inception_module": "no 1x1 reduce before the 5x5",
    },
    "catalog4": {
        "conv1x1": "the channels averaged, not summed",
        "inception_module": "the branches concatenated in another order",
        "small_inception_net": "no dropout",
    },
    "catalog5": {"inception_module": "concatenated along the height"},
    "catalog6": {"small_inception_net": "the (3b) filters of GoogLeNet"},
}

# Correct answers written as students write them: every one must earn full marks
# (tests/test_variants.py in the kernel and the checker; tests/test_catalog.py graded).
VARIANTS = {
    "conv1x1": {
        "a matrix product over the flattened pixels": """
def conv1x1(X, W, b):
    m, n_H, n_W, n_C = X.shape
    Z = X.reshape(-1, n_C) @ W + b
    return np.where(Z > 0, Z, 0.0).reshape(m, n_H, n_W, W.shape[1])
""",
    },
    "bottleneck_cost": {
        "one product per layer, as a list": """
def bottleneck_cost(input_shape, filters, f, reduce_to):
    n_H, n_W, n_C = input_shape
    direct = f * f * n_C * filters * n_H * n_W
    costs = [n_H * n_W * reduce_to * (1 * 1 * n_C), n_H * n_W * filters * (f * f * reduce_to)]
    return [direct, sum(costs)]
""",
    },
    "inception_module": {
        "no names, the pool branch written first, ReLU layers, layers.concatenate": """
def inception_module(X, filters, name):
    n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj = filters
    pool = layers.MaxPooling2D(pool_size=(3, 3), strides=(1, 1), padding="same")(X)
    pool = layers.ReLU()(layers.Conv2D(pool_proj, (1, 1))(pool))
    five = layers.Conv2D(n5x5_reduce, 1, activation="relu")(X)
    five = layers.Conv2D(n5x5, (5, 5), padding="same", activation="relu")(five)
    three = layers.Conv2D(n3x3_reduce, 1, activation="relu")(X)
    three = layers.Conv2D(n3x3, (3, 3), padding="same", activation="relu")(three)
    one = layers.Conv2D(n1x1, 1, padding="same", activation="relu")(X)
    return layers.concatenate([one, three, five, pool], axis=3)
""",
    },
    "small_inception_net": {
        "no names, tuples, modules called without name=": """
def small_inception_net(input_shape=(64, 64, 3), classes=6):
    X_input = keras.Input(shape=input_shape)
    X = layers.Conv2D(32, (5, 5), strides=(2, 2), padding="same", activation="relu")(X_input)
    X = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same")(X)
    X = layers.Conv2D(32, (1, 1), activation="relu")(X)
    X = layers.Conv2D(64, (3, 3), padding="same", activation="relu")(X)
    X = inception_module(X, [32, 32, 48, 8, 16, 16], "a")
    X = inception_module(X, [48, 48, 64, 8, 24, 24], "b")
    X = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same")(X)
    X = inception_module(X, [64, 48, 96, 12, 32, 32], "c")
    X = layers.GlobalAveragePooling2D()(X)
    X = layers.Dropout(rate=0.4)(X)
    return keras.Model(X_input, layers.Dense(classes, activation="softmax")(X))
""",
    },
}
