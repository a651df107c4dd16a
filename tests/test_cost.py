"""course_utils.cost: parameter and multiply-accumulate (MAC) counts per layer and per model.

Every expected number here is either a published fact (the lecture's example, the
parameter and MAC counts quoted in the papers, with the source beside each number),
``model.count_params()`` from Keras, or an independent count: a naive convolution and a
naive dense layer written below with explicit loops, which count every multiplication
they perform and are first checked against Keras on the same weights and input. None is
the module's own output pasted in.

Also tested: nested and shared layers, the errors for what cannot be counted, the guard
that refuses the module to student code, and the text table, comparison and plot.
"""

import math
from collections import namedtuple

import keras
import matplotlib
import numpy as np
import pytest
from keras import layers

from course_reference import classic_networks as classic
from course_utils import checks, cost
from course_utils.checks import CheckFailure
from course_utils.cost import UncountedLayerError

matplotlib.use("Agg")

# --------------------------------------------------------------------------- networks
Built = namedtuple("Built", "count_params table")

BUILDERS = {
    "LeNet-5": lambda: classic.lenet5(),
    "AlexNet": lambda: classic.alexnet(),
    "AlexNet groups=2": lambda: classic.alexnet(groups=2),
    "VGG-16": lambda: classic.vgg16(),
    "ResNet50": lambda: keras.applications.ResNet50(weights=None),
    "ResNet50 64x64 6 classes": lambda: keras.applications.ResNet50(
        weights=None, input_shape=(64, 64, 3), classes=6
    ),
    "MobileNet": lambda: keras.applications.MobileNet(weights=None),  # DepthwiseConv2D
    "MobileNetV2": lambda: keras.applications.MobileNetV2(weights=None),
    # BatchNormalization(scale=False), Concatenate
    "InceptionV3": lambda: keras.applications.InceptionV3(weights=None),
}

# Published parameter counts.
PUBLISHED_PARAMS = {
    "LeNet-5": 61_706,  # LeNet-5 in its modern form (tanh, average pooling, dense C5)
    "AlexNet": 62_378_344,  # single tower, the form taught in the course
    "AlexNet groups=2": 60_965_224,  # conv2, conv4, conv5 split over two GPUs
    "VGG-16": 138_357_544,  # Simonyan & Zisserman 2015; Keras Applications VGG16
    "ResNet50": 25_636_712,  # Keras Applications ResNet50, 224x224, 1000 classes
    "ResNet50 64x64 6 classes": 23_600_006,  # the course's SIGNS ResNet50 (Coursera)
}


@pytest.fixture(scope="module")
def networks():
    """``networks(name)`` -> Built(count_params, table); each network is built once per
    module, and the model itself is dropped once counted (VGG-16 alone is 0.5 GB)."""
    cache = {}

    def get(name):
        if name not in cache:
            model = BUILDERS[name]()
            cache[name] = Built(model.count_params(), cost.model_cost(model))
        return cache[name]

    return get


# --------------------------------------------------------------------------- 1. lecture
def test_the_lectures_example():
    # 28x28x32 outputs, each from 5x5x192 multiplications
    assert cost.conv2d((28, 28, 192), 32, 5, padding="same").macs == 120_422_400
    # the 1x1 bottleneck to 16 channels first: 28x28x16 x 192 ...
    bottleneck = cost.conv2d((28, 28, 192), 16, 1)
    assert bottleneck.macs == 2_408_448
    assert bottleneck.output_shape == (28, 28, 16)
    # ... then 28x28x32 x 5x5x16
    conv = cost.conv2d(bottleneck.output_shape, 32, 5, padding="same")
    assert conv.macs == 10_035_200
    assert bottleneck.macs + conv.macs == 12_443_648


# --------------------------------------------------------------------------- 2. params
@pytest.mark.parametrize("name", list(BUILDERS))
def test_params_equal_count_params(networks, name):
    built = networks(name)
    assert built.table.params == built.count_params
    if name in PUBLISHED_PARAMS:
        assert built.count_params == PUBLISHED_PARAMS[name]


# --------------------------------------------------------------------------- 3. MACs
def test_resnet50_macs(networks):
    table = networks("ResNet50").table
    # He et al. 2016, "Deep Residual Learning for Image Recognition", Table 1:
    # 3.8 x 10^9 "FLOPs", which are multiply-adds; Sze et al. 2017 (below): 3.9G MACs.
    assert round(table.macs / 1e9, 2) == 3.86
    assert round(table.macs / 1e9, 1) == 3.9
    assert table.flops() == 2 * table.macs


def test_vgg16_macs(networks):
    table = networks("VGG-16").table
    # Sze et al. 2017, "Efficient Processing of Deep Neural Networks: A Tutorial and
    # Survey", table of popular DNNs: VGG-16, 15.5G MACs (15.47 x 10^9).
    assert round(table.macs / 1e9, 2) == 15.47
    assert table.flops() == 2 * table.macs


def test_mobilenet_macs(networks):
    # Howard et al. 2017, "MobileNets", Table 8: 1.0 MobileNet-224, 569 million mult-adds.
    assert networks("MobileNet").table.macs == pytest.approx(569e6, rel=0.005)


def test_mobilenet_v2_macs(networks):
    # Sandler et al. 2018, "MobileNetV2", Table 4: MobileNetV2 (1.0, 224), 300M mult-adds.
    assert networks("MobileNetV2").table.macs == pytest.approx(300e6, rel=0.005)


def test_alexnet_macs(networks):
    grouped = networks("AlexNet groups=2").table
    # Sze et al. 2017, "Efficient Processing of Deep Neural Networks: A Tutorial and
    # Survey", table of popular DNNs: AlexNet, 724M MACs.
    assert grouped.macs == pytest.approx(724e6, rel=0.005)
    assert grouped.flops() == 2 * grouped.macs
    # One tower does all of conv2, conv4 and conv5 instead of half of each (by hand:
    # output volume x window x input channels, halved).
    conv2 = 27 * 27 * 256 * 5 * 5 * 96
    conv4 = 13 * 13 * 384 * 3 * 3 * 384
    conv5 = 13 * 13 * 256 * 3 * 3 * 384
    assert networks("AlexNet").table.macs - grouped.macs == (conv2 + conv4 + conv5) // 2


def test_lenet5_macs_by_hand(networks):
    c1 = 28 * 28 * 6 * 5 * 5 * 1  # 32x32x1 -> 28x28x6, 5x5 windows
    c3 = 10 * 10 * 16 * 5 * 5 * 6  # 14x14x6 -> 10x10x16
    dense = 400 * 120 + 120 * 84 + 84 * 10  # 5x5x16 = 400 -> 120 -> 84 -> 10
    assert networks("LeNet-5").table.macs == c1 + c3 + dense == 416_520


# --------------------------------------------------------------------------- 4. naive count
def naive_conv2d(x, kernel, bias, stride, padding, groups):
    """A channels-last convolution with explicit loops, as TensorFlow computes it.

    x: (m, n_H, n_W, n_C); kernel: (f_H, f_W, n_C // groups, filters). 'same' pads like
    TensorFlow: pad_total = max((ceil(n / s) - 1) * s + f - n, 0), the smaller half
    before. Returns (output, the number of multiplications performed); the padded zeros
    are multiplied too, as a convolution over the padded volume does.
    """
    m, n_H, n_W, _ = x.shape
    f_H, f_W, c_per_group, filters = kernel.shape
    pads = [(0, 0), (0, 0)]
    if padding == "same":
        for axis, (n, f) in enumerate(((n_H, f_H), (n_W, f_W))):
            total = max((math.ceil(n / stride) - 1) * stride + f - n, 0)
            pads[axis] = (total // 2, total - total // 2)
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    out_H = (xp.shape[1] - f_H) // stride + 1
    out_W = (xp.shape[2] - f_W) // stride + 1
    filters_per_group = filters // groups
    out = np.zeros((m, out_H, out_W, filters))
    multiplications = 0
    for e in range(m):
        for i in range(out_H):
            for j in range(out_W):
                for k in range(filters):
                    group = k // filters_per_group
                    acc = bias[k]
                    for a in range(f_H):
                        for b in range(f_W):
                            for c in range(c_per_group):
                                channel = group * c_per_group + c
                                acc += (
                                    xp[e, i * stride + a, j * stride + b, channel]
                                    * kernel[a, b, c, k]
                                )
                                multiplications += 1
                    out[e, i, j, k] = acc
    return out, multiplications


def naive_dense(x, kernel, bias):
    """A dense layer on the last axis, with explicit loops. Returns (output, the number
    of multiplications performed)."""
    *lead, n_in = x.shape
    rows = x.reshape(-1, n_in)
    out = np.zeros((rows.shape[0], kernel.shape[1]))
    multiplications = 0
    for r in range(rows.shape[0]):
        for u in range(kernel.shape[1]):
            acc = bias[u]
            for i in range(n_in):
                acc += rows[r, i] * kernel[i, u]
                multiplications += 1
            out[r, u] = acc
    return out.reshape(*lead, kernel.shape[1]), multiplications


def random_conv_configs(count=8, seed=2024):
    rng = np.random.default_rng(seed)
    configs = []
    for _ in range(count):
        f_H, f_W = (int(f) for f in rng.integers(1, 4, size=2))
        n_H, n_W = int(rng.integers(f_H, 10)), int(rng.integers(f_W, 10))
        n_C, filters = (int(n) for n in rng.integers(1, 5, size=2))
        divisible = n_C % 2 == 0 and filters % 2 == 0
        configs.append(
            dict(
                input_shape=(n_H, n_W, n_C),
                filters=filters,
                kernel_size=(f_H, f_W),
                strides=int(rng.integers(1, 4)),
                padding=str(rng.choice(["valid", "same"])),
                groups=2 if divisible and rng.random() < 0.7 else 1,
                use_bias=bool(rng.random() < 0.75),
            )
        )
    return configs


CONV_CONFIGS = random_conv_configs()


def test_the_random_configurations_cover_the_cases():
    kernels = {f for c in CONV_CONFIGS for f in c["kernel_size"]}
    assert {1, 2, 3} <= kernels  # odd and even windows
    assert {c["strides"] for c in CONV_CONFIGS} == {1, 2, 3}
    assert {c["padding"] for c in CONV_CONFIGS} == {"valid", "same"}
    assert {c["groups"] for c in CONV_CONFIGS} == {1, 2}
    assert any(c["padding"] == "same" and c["strides"] > 1 for c in CONV_CONFIGS)


def config_id(c):
    (n_H, n_W, n_C), (f_H, f_W) = c["input_shape"], c["kernel_size"]
    return (
        f"{n_H}x{n_W}x{n_C}-{c['filters']}f-{f_H}x{f_W}-s{c['strides']}-{c['padding']}"
        f"-g{c['groups']}{'' if c['use_bias'] else '-nobias'}"
    )


@pytest.mark.parametrize("config", CONV_CONFIGS, ids=config_id)
def test_conv2d_counts_every_multiplication(config):
    rng = np.random.default_rng(0)
    n_H, n_W, n_C = config["input_shape"]
    f_H, f_W = config["kernel_size"]
    filters, groups = config["filters"], config["groups"]
    m = 2
    x = rng.normal(size=(m, n_H, n_W, n_C)).astype("float32")
    kernel = rng.normal(size=(f_H, f_W, n_C // groups, filters)).astype("float32")
    bias = rng.normal(size=filters).astype("float32") if config["use_bias"] else None

    layer = layers.Conv2D(
        filters,
        (f_H, f_W),
        strides=config["strides"],
        padding=config["padding"],
        groups=groups,
        use_bias=config["use_bias"],
    )
    layer.build((None, n_H, n_W, n_C))
    layer.set_weights([kernel] if bias is None else [kernel, bias])
    want = np.asarray(layer(x))
    got, multiplications = naive_conv2d(
        x.astype("float64"),
        kernel.astype("float64"),
        np.zeros(filters) if bias is None else bias.astype("float64"),
        config["strides"],
        config["padding"],
        groups,
    )
    assert got.shape == want.shape
    assert np.allclose(got, want, rtol=1e-4, atol=1e-4)  # the naive convolution is right

    counted = cost.conv2d(**config)
    assert multiplications == m * counted.macs  # MACs are per example
    assert counted.output_shape == got.shape[1:]
    assert counted.params == layer.count_params()

    # the same count through a model
    inputs = keras.Input(config["input_shape"])
    (row,) = cost.model_cost(keras.Model(inputs, layer(inputs))).rows
    assert m * row.macs == multiplications
    assert row.params == layer.count_params()


@pytest.mark.parametrize("lead", [(), (3,)], ids=["2-D input", "3-D input"])
def test_dense_counts_every_multiplication(lead):
    rng = np.random.default_rng(1)
    m, n_in, units = 2, 5, 4
    x = rng.normal(size=(m, *lead, n_in)).astype("float32")
    kernel = rng.normal(size=(n_in, units)).astype("float32")
    bias = rng.normal(size=units).astype("float32")
    layer = layers.Dense(units)
    layer.build((None, *lead, n_in))
    layer.set_weights([kernel, bias])
    want = np.asarray(layer(x))
    got, multiplications = naive_dense(
        x.astype("float64"), kernel.astype("float64"), bias.astype("float64")
    )
    assert np.allclose(got, want, rtol=1e-4, atol=1e-4)  # the naive dense layer is right

    if not lead:
        counted = cost.dense(n_in, units)
        assert multiplications == m * counted.macs
        assert counted.output_shape == got.shape[1:]
        assert counted.params == layer.count_params()
        assert cost.dense(n_in, units, use_bias=False).params == n_in * units
    inputs = keras.Input((*lead, n_in))
    (row,) = cost.model_cost(keras.Model(inputs, layer(inputs))).rows
    assert m * row.macs == multiplications  # Dense applies to the last axis
    assert row.output_shape == got.shape[1:]
    assert row.params == layer.count_params()


# --------------------------------------------------------------------------- 5. nesting
@pytest.mark.parametrize("with_input", [True, False], ids=["Sequential(Input...)", "deferred"])
def test_nested_models_are_walked(with_input):
    inner_layers = [layers.Dense(4, name="hidden"), layers.Dense(3)]
    if with_input:
        inner_layers.insert(0, keras.Input((8,)))
    head = keras.Sequential(inner_layers, name="head")
    x_in = keras.Input((6,))
    model = keras.Model(x_in, head(layers.Dense(8, name="stem")(x_in)))
    table = cost.model_cost(model)
    names = [r.name for r in table.rows]
    assert names[0] == "stem"
    assert names[1:] == [f"head/{layer.name}" for layer in head.layers]
    assert table.params == model.count_params()
    assert table.macs == 6 * 8 + 8 * 4 + 4 * 3


def test_a_shared_layer_counts_its_params_once_and_its_macs_per_call():
    shared = layers.Dense(3, name="shared")
    a, b = keras.Input((5,)), keras.Input((5,))
    model = keras.Model([a, b], layers.Add()([shared(a), shared(b)]))
    table = cost.model_cost(model)
    calls = [r for r in table.rows if r.name.startswith("shared")]
    assert len(calls) == 2
    assert table.params == model.count_params() == 5 * 3 + 3
    assert sum(r.params for r in calls) == 5 * 3 + 3
    assert [r.macs for r in calls] == [5 * 3, 5 * 3]
    assert table.macs == 2 * 5 * 3


def test_a_shared_nested_model_counts_its_macs_per_call():
    encoder = keras.Sequential([keras.Input((5,)), layers.Dense(3, name="e")], name="encoder")
    a, b = keras.Input((5,)), keras.Input((5,))
    model = keras.Model([a, b], layers.Add()([encoder(a), encoder(b)]))  # a siamese pair
    table = cost.model_cost(model)
    assert table.params == model.count_params() == 5 * 3 + 3
    assert table.macs == 2 * 5 * 3


# --------------------------------------------------------------------------- 6. errors
class Scale(layers.Layer):
    """A custom layer with a weight: one learned factor per channel."""

    def build(self, input_shape):
        self.factor = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, x):
        return x * self.factor


def lstm_model():
    inputs = keras.Input((7, 3))  # (timesteps, features)
    x = layers.LSTM(4, name="memory")(inputs)
    return keras.Model(inputs, layers.Dense(2, name="fc")(x)), "memory", "LSTM", 4 * 2


def custom_model():
    inputs = keras.Input((3,))
    x = Scale(name="scale")(inputs)
    return keras.Model(inputs, layers.Dense(2, name="fc")(x)), "scale", "Scale", 3 * 2


@pytest.mark.parametrize("build", [lstm_model, custom_model], ids=["LSTM", "custom"])
def test_an_unknown_layer_is_named(build):
    model, name, kind, fc_macs = build()
    with pytest.raises(UncountedLayerError) as info:
        cost.model_cost(model)
    message = str(info.value)
    assert name in message
    assert kind in message
    assert "uncounted='list'" in message

    table = cost.model_cost(model, uncounted="list")
    (row,) = [r for r in table.rows if r.name == name]
    assert row.macs is None
    assert table.uncounted == [name]
    assert table.params == model.count_params()
    with pytest.raises(UncountedLayerError):
        table.macs  # noqa: B018
    with pytest.raises(UncountedLayerError):
        table.flops()
    (fc,) = [r for r in table.rows if r.name == "fc"]
    assert fc.macs == fc_macs  # the rest is still counted
    text = table.format()
    assert "unknown" in text
    total = text.splitlines()[-1]
    assert total.startswith("total") and "unknown" in total


def test_an_operation_that_is_not_a_layer_is_not_skipped_silently():
    inputs = keras.Input((6,))
    x = layers.Dense(8, name="fc")(inputs)
    model = keras.Model(inputs, keras.ops.matmul(x, keras.ops.ones((8, 8))))
    try:
        table = cost.model_cost(model)
    except UncountedLayerError:
        return  # named as uncounted: fine
    assert table.macs == 6 * 8 + 8 * 8  # or counted: the matmul's 8x8 per example too


def test_elementwise_ops_between_layers_are_counted_as_other_ops():
    inputs = keras.Input((6,))
    x = layers.Dense(8, name="fc")(inputs)
    model = keras.Model(inputs, x * 2.0 + x)
    table = cost.model_cost(model)
    assert table.macs == 6 * 8
    assert sum(r.other_ops for r in table.rows if r.type.startswith("ops.")) == 2 * 8


@pytest.mark.parametrize("shape", [(None, None, 3), (None, 5)])
def test_inputs_of_unknown_size_get_a_clear_error(shape):
    inputs = keras.Input(shape)
    x = layers.Conv2D(4, 3)(inputs) if len(shape) == 3 else layers.Dense(2)(inputs)
    with pytest.raises(ValueError, match="unknown size"):
        cost.model_cost(keras.Model(inputs, x))


def test_uncounted_must_be_raise_or_list():
    with pytest.raises(ValueError, match="uncounted"):
        cost.model_cost(lstm_model()[0], uncounted="ignore")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(input_shape=(28, 28), filters=8, kernel_size=3), "input_shape"),
        (dict(input_shape=(None, 28, 28, 3), filters=8, kernel_size=3), "batch"),
        (dict(input_shape=(1, 28, 28, 3), filters=8, kernel_size=3), "batch"),
        (dict(input_shape=(28, 28, 3), filters=8, kernel_size=3, padding="full"), "'full'"),
        (dict(input_shape=(4, 4, 3), filters=8, kernel_size=5), "does not fit"),
        (dict(input_shape=(9, 9, 3), filters=8, kernel_size=3, strides=2, padding=-1), "padding"),
        (dict(input_shape=(28, 28, 3), filters=8, kernel_size=3, groups=2), "groups"),
        (dict(input_shape=(28, 28, 3), filters=8, kernel_size=3, groups=0), "groups"),
        (dict(input_shape=(28, 28, 3), filters=8, kernel_size=3, strides=0), "strides"),
        (dict(input_shape=(28, 28, 3), filters=0, kernel_size=3), "filters"),
        (dict(input_shape=(28, 28, 3), filters=8, kernel_size=0), "kernel_size"),
        (dict(input_shape=(8.7, 8, 4), filters=8, kernel_size=3), "input_shape"),
        (
            dict(input_shape=(5, 5, 3), filters=8, kernel_size=3, dilation_rate=3),
            "dilated to 7x7",
        ),
    ],
)
def test_conv2d_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        cost.conv2d(**kwargs)


def test_a_subclassed_model_is_refused():
    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.fc = layers.Dense(3)

        def call(self, x):
            return self.fc(x)

    model = Subclassed()
    model(np.zeros((1, 4), "float32"))
    with pytest.raises(ValueError, match=r"keras\.Input"):
        cost.model_cost(model)


# --------------------------------------------------------------------------- 7. guard
def test_student_code_may_not_call_it():
    model = classic.lenet5()  # outside the guard: the reference builds
    exercise = "Exercise 1 - conv"
    for call in (
        lambda: cost.conv2d((28, 28, 192), 32, 5, padding="same"),
        lambda: cost.dense(400, 120),
        lambda: cost.model_cost(model),
    ):
        with pytest.raises(CheckFailure, match="earns no points") as info:
            with checks.student_code(exercise):
                call()
        assert str(info.value).startswith(exercise)
        call()  # outside, it works
    assert cost.model_cost(model).params == 61_706


# --------------------------------------------------------------------------- 8. presentation
def test_the_text_table():
    model = classic.lenet5()
    text = str(cost.model_cost(model))
    lines = text.splitlines()
    n_layers = len([layer for layer in model.layers if not isinstance(layer, layers.InputLayer)])
    assert len(lines) == n_layers + 4  # header, rule, one per layer, rule, total
    for layer in model.layers[1:]:
        assert any(line.startswith(layer.name) for line in lines[2:-2])
    assert lines[-1].startswith("total")
    assert "61,706" in lines[-1]
    assert f"{416_520:,}" in lines[-1]  # the MACs counted by hand above


@pytest.mark.parametrize(
    "name, depth", [("LeNet-5", 5), ("AlexNet", 8), ("AlexNet groups=2", 8), ("VGG-16", 16)]
)
def test_depth_is_the_published_one(networks, name, depth):
    assert networks(name).table.depth == depth


def test_most_of_vggs_parameters_are_in_the_fc_layers(networks):
    table = networks("VGG-16").table
    fc_params = 25088 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 1000 + 1000
    params_share, macs_share = table.share("Dense")
    assert params_share > 0.85
    assert round(params_share * table.params) == fc_params
    assert round(macs_share * table.macs) == 25088 * 4096 + 4096 * 4096 + 4096 * 1000


def test_compare_names_each_network(networks):
    names = ("LeNet-5", "AlexNet", "VGG-16")
    text = cost.compare({name: networks(name).table for name in names})
    lines = text.splitlines()
    assert len(lines) == 1 + len(names)
    for name, line in zip(names, lines[1:], strict=True):
        assert line.startswith(name)
        assert f"{PUBLISHED_PARAMS[name]:,}" in line


def test_compare_takes_models_as_the_readme_shows(networks):
    model = BUILDERS["LeNet-5"]()
    by_model = cost.compare({"LeNet-5": model})
    assert by_model == cost.compare({"LeNet-5": networks("LeNet-5").table})
    with pytest.raises(TypeError, match="give a cost table"):
        cost.compare({"LeNet-5": "not a model"})


def test_plot_returns_a_figure(networks):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    fig = networks("LeNet-5").table.plot()
    try:
        assert isinstance(fig, Figure)
        assert len(fig.axes[0].get_xticklabels()) == 5  # the weighted layers
    finally:
        plt.close(fig)


def test_grouped_sums_rows_by_group_in_order():
    inputs = keras.Input((6, 6, 3))
    a = layers.Conv2D(4, 1, name="inception_x_1x1")(inputs)
    b = layers.Conv2D(2, 3, padding="same", name="inception_x_3x3")(inputs)
    x = layers.Concatenate(name="inception_x_concat")([a, b])
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    table = cost.model_cost(keras.Model(inputs, layers.Dense(5, name="out")(x)))
    stages = table.grouped(lambda n: "_".join(n.split("_")[:2]) if n.startswith("inc") else n)
    assert list(stages) == ["inception_x", "pool", "out"]
    module = stages["inception_x"]
    assert module.params == (3 * 4 + 4) + (9 * 3 * 2 + 2)
    assert module.macs == 36 * 4 * 3 + 36 * 2 * 27
    assert module.output_shape == (6, 6, 6)
    assert sum(s.params for s in stages.values()) == table.params
    assert sum(s.macs for s in stages.values()) == table.macs
