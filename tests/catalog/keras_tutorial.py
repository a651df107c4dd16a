"""Typical wrong answers to the Keras tutorial, and what the grader must say about them.

MISTAKES[solution grade_id] = {mistake: (answer source, words the feedback must contain)}
SUBMISSIONS: which mistakes each catalog submission carries (exercises are graded
independently, so one submission can carry a mistake in several exercises; every
exercise is also right in at least one submission, so a mistake that cost points
elsewhere would show).
"""

TESTS = {  # solution cell -> its test cell, and the points at stake
    "layer_output_shapes": ("layer_output_shapes_tests", 1),
    "happy_model": ("happy_model_tests", 2),
    "happy_model_sequential": ("happy_model_sequential_tests", 1),
    "compile_and_train": ("compile_and_train_tests", 2),
    "improved_model": ("improved_model_tests", 2),
}


def _shapes(body):
    return f"""
def layer_output_shapes(input_shape):
    X_input = keras.Input(input_shape)
{body}
"""


def _happy(pad="(3, 3)", conv="", axis=3, out='activation="sigmoid", '):
    return f"""
def HappyModel(input_shape):
    X_input = keras.Input(input_shape)
    X = layers.ZeroPadding2D({pad})(X_input)
    X = layers.Conv2D(32, (7, 7), strides=(1, 1), {conv}name="conv0")(X)
    X = layers.BatchNormalization(axis={axis}, name="bn0")(X)
    X = layers.Activation("relu")(X)
    X = layers.MaxPooling2D((2, 2), name="max_pool")(X)
    X = layers.Flatten()(X)
    X = layers.Dense(1, {out}name="fc")(X)
    return keras.Model(inputs=X_input, outputs=X, name="HappyModel")
"""


def _sequential(
    first="keras.Input(input_shape),", bn_name='name="bn0"', dense='1, activation="sigmoid"'
):
    return f"""
def happy_model_sequential(input_shape):
    return keras.Sequential([
        {first}
        layers.ZeroPadding2D((3, 3)),
        layers.Conv2D(32, (7, 7), strides=(1, 1), name="conv0"),
        layers.BatchNormalization(axis=3, {bn_name}),
        layers.Activation("relu"),
        layers.MaxPooling2D((2, 2), name="max_pool"),
        layers.Flatten(),
        layers.Dense({dense}, name="fc"),
    ])
"""


def _train(
    compile_args='optimizer="adam", loss="binary_crossentropy"',
    fit_x="X_train, Y_train",
    validation="validation_data=(X_dev, Y_dev), ",
):
    return f"""
def compile_and_train(model, X_train, Y_train, X_dev, Y_dev, epochs, batch_size):
    model.compile({compile_args}, metrics=["accuracy"])
    return model.fit({fit_x}, epochs=epochs, batch_size=batch_size, {validation}verbose=0)
"""


def _improved(blocks):
    return f"""
def improved_model(input_shape):
    X_input = keras.Input(input_shape)
    X = X_input
{blocks}
    X = layers.Flatten()(X)
    X = layers.Dense(1, activation="sigmoid")(X)
    return keras.Model(X_input, X)
"""


MISTAKES = {
    "layer_output_shapes": {
        "forgot the zero padding": (
            _shapes(
                "    X2 = layers.Conv2D(32, (7, 7))(X_input)\n"
                "    X3 = layers.MaxPooling2D((2, 2))(X2)\n"
                "    return [tuple(X.shape[1:]) for X in (X_input, X2, X3)]"
            ),
            "should return ([70, 70, 3], [64, 64, 32], [32, 32, 32])",
        ),
        "kept the batch dimension": (
            _shapes(
                "    X1 = layers.ZeroPadding2D((3, 3))(X_input)\n"
                "    X2 = layers.Conv2D(32, (7, 7))(X1)\n"
                "    X3 = layers.MaxPooling2D((2, 2))(X2)\n"
                "    return [tuple(X.shape) for X in (X1, X2, X3)]"
            ),
            "found ([None, 70, 70, 3]",
        ),
        "'same' padding in the convolution": (
            _shapes(
                "    X1 = layers.ZeroPadding2D((3, 3))(X_input)\n"
                "    X2 = layers.Conv2D(32, (7, 7), padding='same')(X1)\n"
                "    X3 = layers.MaxPooling2D((2, 2))(X2)\n"
                "    return [tuple(X.shape[1:]) for X in (X1, X2, X3)]"
            ),
            "found ([70, 70, 3], [70, 70, 32], [35, 35, 32])",
        ),
    },
    "happy_model": {
        "BatchNormalization on axis 1": (_happy(axis=1), "axis should be 3, found 1"),
        "'same' padding in conv0": (
            _happy(conv='padding="same", '),
            "padding should be 'valid', found 'same'",
        ),
        "the sigmoid missing": (
            _happy(out=""),
            "should apply activation='sigmoid'; yours applies none",
        ),
        "a Sequential model": (
            _sequential().replace("happy_model_sequential", "HappyModel"),
            "the model is a Sequential, but this exercise builds it as a Functional",
        ),
        "channels first, (3, 64, 64) written in": (
            _happy().replace("keras.Input(input_shape)", "keras.Input((3, 64, 64))"),
            "images here are channels last, (n_H, n_W, n_C)",
        ),
        "two extra CONV-BN-RELU blocks (17 layers)": (
            _happy().replace(
                '    X = layers.MaxPooling2D((2, 2), name="max_pool")(X)\n',
                '    X = layers.MaxPooling2D((2, 2), name="max_pool")(X)\n'
                "    for _ in range(2):\n"
                '        X = layers.Conv2D(32, (3, 3), padding="same")(X)\n'
                "        X = layers.BatchNormalization(axis=3)(X)\n"
                '        X = layers.Activation("relu")(X)\n'
                "        X = layers.MaxPooling2D((2, 2))(X)\n",
            ),
            "an extra Conv2D after the 1st MaxPooling2D",
        ),
    },
    "happy_model_sequential": {
        "no keras.Input first": (_sequential(first=""), "has no defined input"),
        "a Functional model": (
            _happy().replace("def HappyModel", "def happy_model_sequential"),
            "the model is a Functional, but this exercise builds it as a Sequential",
        ),
        "(64, 64, 3) written in": (
            _sequential(first="keras.Input((64, 64, 3)),"),
            "start from keras.Input(input_shape) with the argument you are given",
        ),
        "two softmax units": (
            _sequential(dense='2, activation="softmax"'),
            "units should be 1, found 2",
        ),
    },
    "compile_and_train": {
        "the dev set used for training": (
            _train(
                fit_x="np.concatenate([X_train, X_dev]), np.concatenate([Y_train, Y_dev])",
            ),
            "the dev set is for validation_data, never for training",
        ),
        "loss computed on logits": (
            _train(
                compile_args='optimizer="adam", '
                "loss=keras.losses.BinaryCrossentropy(from_logits=True)"
            ),
            "from_logits=True",
        ),
        "validation_split instead of the dev set": (
            _train(validation="validation_split=0.2, "),
            "what was validated is not the dev set",
        ),
        "the training set as validation_data": (
            _train(validation="validation_data=(X_train, Y_train), "),
            "what was validated is not the dev set",
        ),
        "plain SGD": (
            _train(compile_args='optimizer="sgd", loss="binary_crossentropy"'),
            "the optimizer should be Adam, found SGD",
        ),
    },
    "improved_model": {
        "the lecture model again": (
            _improved(
                "    X = layers.ZeroPadding2D((3, 3))(X)\n"
                "    X = layers.Conv2D(32, (7, 7))(X)\n"
                "    X = layers.BatchNormalization(axis=3)(X)\n"
                "    X = layers.Activation('relu')(X)\n"
                "    X = layers.MaxPooling2D((2, 2))(X)"
            ),
            "found 1 CONV->BN->RELU block(s)",
        ),
        "no batch normalisation": (
            _improved(
                "    for f in (16, 32, 32):\n"
                "        X = layers.Conv2D(f, (3, 3), padding='same', activation='relu')(X)\n"
                "        X = layers.MaxPooling2D((2, 2))(X)"
            ),
            "found 0 CONV->BN->RELU block(s)",
        ),
        "follows the tips but too small to beat it": (
            _improved(
                "    for f in (1, 1):\n"
                "        X = layers.Conv2D(f, (3, 3), padding='same')(X)\n"
                "        X = layers.BatchNormalization(axis=3)(X)\n"
                "        X = layers.Activation('relu')(X)\n"
                "        X = layers.MaxPooling2D((4, 4))(X)"
            ),
            "Yours must beat it",
        ),
    },
}

SUBMISSIONS = {
    "catalog1": {
        "layer_output_shapes": "forgot the zero padding",
        "happy_model": "BatchNormalization on axis 1",
        "happy_model_sequential": "no keras.Input first",
    },
    "catalog2": {
        "layer_output_shapes": "kept the batch dimension",
        "compile_and_train": "the dev set used for training",
        "improved_model": "the lecture model again",
    },
    "catalog3": {
        "happy_model": "'same' padding in conv0",
        "happy_model_sequential": "a Functional model",
        "compile_and_train": "loss computed on logits",
        "improved_model": "no batch normalisation",
    },
    "catalog4": {
        "layer_output_shapes": "'same' padding in the convolution",
        "happy_model": "the sigmoid missing",
        "happy_model_sequential": "two softmax units",
        "compile_and_train": "plain SGD",
        "improved_model": "follows the tips but too small to beat it",
    },
    "catalog5": {
        "happy_model": "a Sequential model",
        "happy_model_sequential": "(64, 64, 3) written in",
        "compile_and_train": "validation_split instead of the dev set",
    },
    "catalog6": {
        "happy_model": "channels first, (3, 64, 64) written in",
        "compile_and_train": "the training set as validation_data",
    },
    "catalog7": {"happy_model": "two extra CONV-BN-RELU blocks (17 layers)"},
}

# Correct answers written as students write them: every one must earn full marks
# (tests/test_variants.py in the kernel and the checker; tests/test_catalog.py graded).
VARIANTS = {
    "layer_output_shapes": {
        "keras.layers spelled out, shapes as lists": """
def layer_output_shapes(input_shape):
    x0 = keras.Input(shape=input_shape)
    x1 = keras.layers.ZeroPadding2D(padding=3)(x0)
    x2 = keras.layers.Conv2D(filters=32, kernel_size=7, strides=1, padding="valid")(x1)
    x3 = keras.layers.MaxPool2D(pool_size=2)(x2)
    return [tuple(int(d) for d in x.shape[1:]) for x in (x1, x2, x3)]
""",
    },
    "happy_model": {
        "the original course's (2017): keras.models.Model, tf.keras layers": """
from tensorflow.keras.layers import Activation, BatchNormalization, Conv2D, Dense, Flatten
from tensorflow.keras.layers import Input, MaxPooling2D, ZeroPadding2D
from tensorflow.keras.models import Model


def HappyModel(input_shape):
    X_input = Input(input_shape)
    X = ZeroPadding2D((3, 3))(X_input)
    X = Conv2D(32, (7, 7), strides=(1, 1), name='conv0')(X)
    X = BatchNormalization(axis=3, name='bn0')(X)
    X = Activation('relu')(X)
    X = MaxPooling2D((2, 2), name='max_pool')(X)
    X = Flatten()(X)
    X = Dense(1, activation='sigmoid', name='fc')(X)
    model = Model(inputs=X_input, outputs=X, name='HappyModel')
    return model
""",
        "no names, Activation('sigmoid') after the Dense": """
def HappyModel(input_shape):
    inputs = keras.Input(input_shape)
    x = layers.ZeroPadding2D(padding=(3, 3))(inputs)
    x = layers.Conv2D(32, 7)(x)
    x = layers.BatchNormalization(axis=-1)(x)
    x = layers.ReLU()(x)
    x = layers.MaxPool2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(1)(x)
    outputs = layers.Activation("sigmoid")(x)
    return keras.Model(inputs, outputs)
""",
        "from keras.layers import ..., the student's own names": """
from keras.layers import Activation, BatchNormalization, Conv2D, Dense, Flatten
from keras.layers import MaxPooling2D, ZeroPadding2D


def HappyModel(input_shape):
    X_input = keras.Input(input_shape)
    X = ZeroPadding2D(((3, 3), (3, 3)))(X_input)
    X = Conv2D(32, (7, 7), strides=(1, 1), name="my_conv", activation=None)(X)
    X = BatchNormalization(axis=3, name="my_bn")(X)
    X = Activation(keras.activations.relu)(X)
    X = MaxPooling2D(pool_size=(2, 2), strides=(2, 2), padding="valid")(X)
    X = Flatten(name="flat")(X)
    X = Dense(units=1, activation=keras.activations.sigmoid, name="out")(X)
    return keras.Model(inputs=X_input, outputs=X, name="happy")
""",
    },
    "happy_model_sequential": {
        "the original course's (2021): input_shape on the first layer, tfl aliases": """
import tensorflow as tf
import tensorflow.keras.layers as tfl


def happy_model_sequential(input_shape):
    model = tf.keras.Sequential([
        tfl.ZeroPadding2D(padding=3, input_shape=input_shape),
        tfl.Conv2D(32, 7, strides=1),
        tfl.BatchNormalization(axis=3),
        tfl.ReLU(),
        tfl.MaxPool2D(),
        tfl.Flatten(),
        tfl.Dense(1, activation="sigmoid"),
    ])
    return model
""",
        "layers added one by one, no names": """
def happy_model_sequential(input_shape):
    model = keras.Sequential()
    model.add(keras.Input(shape=input_shape))
    model.add(layers.ZeroPadding2D(3))
    model.add(layers.Conv2D(32, (7, 7)))
    model.add(layers.BatchNormalization(axis=3))
    model.add(layers.Activation("relu"))
    model.add(layers.MaxPooling2D(2))
    model.add(layers.Flatten())
    model.add(layers.Dense(1, activation="sigmoid"))
    return model
""",
    },
    "compile_and_train": {
        "the loss as a function, metrics as an object, keyword arguments": """
def compile_and_train(model, X_train, Y_train, X_dev, Y_dev, epochs, batch_size):
    model.compile(
        optimizer=keras.optimizers.Adam(),
        loss=keras.losses.binary_crossentropy,
        metrics=[keras.metrics.BinaryAccuracy()],
    )
    history = model.fit(
        x=X_train, y=Y_train, batch_size=batch_size, epochs=epochs,
        validation_data=(X_dev, Y_dev), verbose=0,
    )
    return history
""",
        "the loss as an object, a shuffled fit left at its default": """
def compile_and_train(model, X_train, Y_train, X_dev, Y_dev, epochs, batch_size):
    model.compile(keras.optimizers.Adam(learning_rate=0.001),
                  keras.losses.BinaryCrossentropy(), metrics=["accuracy"])
    return model.fit(X_train, Y_train, batch_size, epochs, verbose=0,
                     validation_data=[X_dev, Y_dev])
""",
    },
    "improved_model": {
        "Sequential, ReLU layers": """
def improved_model(input_shape):
    model = keras.Sequential([keras.Input(input_shape)])
    for filters in (16, 32, 32):
        model.add(layers.Conv2D(filters, 3, padding="same"))
        model.add(layers.BatchNormalization())
        model.add(layers.ReLU())
        model.add(layers.MaxPooling2D())
    model.add(layers.Flatten())
    model.add(layers.Dense(1, activation="sigmoid"))
    return model
""",
    },
}
