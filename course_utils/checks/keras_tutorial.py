"""Checks of assignment 1, the Keras tutorial: compiling and training, the lecture's
tips, and an improved model that must beat the lecture's one.

(HappyModel and its Sequential twin are model checks: :mod:`course_utils.checks.models`.)
"""

from __future__ import annotations

import numpy as np

from ..guard import fail, student_code
from .expected_values import expected


def check_compile_and_train(compile_and_train, exercise: str):
    """Run the student's ``compile_and_train`` on a tiny model and data, and check that
    it compiles with adam and binary cross-entropy on probabilities, reports accuracy,
    trains on the train set only (counted in optimizer steps), for the requested epochs,
    and watches the dev set."""
    import math

    import keras

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (12, 8, 8, 3)).astype("float32")
    y = (np.arange(12) % 2).astype("float32")
    x_dev, y_dev = rng.uniform(0, 1, (4, 8, 8, 3)).astype("float32"), np.array([0, 1, 0, 1.0])
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 3))
    model = keras.Model(
        inputs, keras.layers.Dense(1, activation="sigmoid")(keras.layers.Flatten()(inputs))
    )
    epochs, batch_size = 2, 4
    with student_code(exercise):
        history = compile_and_train(model, x, y, x_dev, y_dev, epochs, batch_size)
    h = getattr(history, "history", None)
    if not isinstance(h, dict):
        fail(
            exercise,
            f"expected the History that model.fit returns, found {type(history).__name__}.",
            "return model.fit(...).",
        )
    if model.optimizer is None:
        fail(exercise, "the model was not compiled.", "call model.compile(...) before fit.")
    if type(model.optimizer).__name__ != "Adam":
        fail(
            exercise,
            f"the optimizer should be Adam, found {type(model.optimizer).__name__}.",
            "optimizer='adam'.",
        )
    loss = model.loss
    loss_name = loss if isinstance(loss, str) else type(loss).__name__
    if loss_name not in ("binary_crossentropy", "BinaryCrossentropy"):
        fail(
            exercise,
            f"the loss should be binary cross-entropy, found {loss_name}.",
            "loss='binary_crossentropy' for one sigmoid output.",
        )
    if getattr(loss, "from_logits", False):
        fail(
            exercise,
            "the loss is told the outputs are logits (from_logits=True), but the "
            "model ends with a sigmoid: its outputs are probabilities.",
            "use loss='binary_crossentropy' (from_logits=False).",
        )
    if "accuracy" not in h:
        fail(
            exercise,
            f"the history has no 'accuracy' (it has {sorted(h)}).",
            "metrics=['accuracy'].",
        )
    if len(h["loss"]) != epochs:
        fail(
            exercise,
            f"asked for {epochs} epochs, the history has {len(h['loss'])}.",
            "pass epochs=epochs to fit.",
        )
    steps = int(model.optimizer.iterations.numpy())
    want = epochs * math.ceil(len(x) / batch_size)
    if steps != want:
        fail(
            exercise,
            f"the model took {steps} training steps; {len(x)} training examples in "
            f"batches of {batch_size} for {epochs} epochs make {want}.",
            "train on X_train, Y_train only, with batch_size=batch_size; the dev set is for "
            "validation_data, never for training.",
        )
    if "val_accuracy" not in h:
        fail(
            exercise,
            "the dev set was not evaluated during training (no 'val_accuracy').",
            "pass validation_data=(X_dev, Y_dev) to fit.",
        )
    return history


def check_follows_tips(build, exercise: str, input_shape=(64, 64, 3)):
    """The lecture's tips: two or more CONV->BN->RELU blocks, MAXPOOL after blocks,
    height and width small before the classifier, one sigmoid unit at the end."""
    import keras

    with student_code(exercise):
        model = build(input_shape)
    if not isinstance(model, keras.Model):
        fail(exercise, f"expected a keras.Model, found {type(model).__name__}.")
    kinds = [
        type(layer).__name__ for layer in model.layers if type(layer).__name__ != "InputLayer"
    ]
    blocks = 0
    for i, layer in enumerate(model.layers[:-2]):
        if type(layer).__name__ == "Conv2D":
            nxt = model.layers[i + 1 : i + 3]
            if (
                type(nxt[0]).__name__ == "BatchNormalization"
                and type(nxt[1]).__name__ in ("Activation", "ReLU")
                and nxt[1].get_config().get("activation", "relu") == "relu"
            ):
                blocks += 1
    if blocks < 2:
        fail(
            exercise,
            f"found {blocks} CONV->BN->RELU block(s) (layers: {', '.join(kinds)}).",
            "stack at least two Conv2D -> BatchNormalization(axis=3) -> Activation('relu').",
        )
    if "MaxPooling2D" not in kinds:
        fail(exercise, "no MaxPooling2D layer.", "add MaxPooling2D((2, 2)) after your blocks.")
    last = model.layers[-1]
    if (
        type(last).__name__ != "Dense"
        or last.get_config()["units"] != 1
        or last.get_config()["activation"] != "sigmoid"
    ):
        fail(
            exercise,
            f"the last layer should be Dense(1, activation='sigmoid'), found "
            f"{type(last).__name__}.",
            "one unit giving P(smiling).",
        )
    for layer in model.layers:
        if type(layer).__name__ in ("Flatten", "GlobalAveragePooling2D", "GlobalMaxPooling2D"):
            _, height, width, _ = layer.input.shape
            if height * width > 16 * 16:
                fail(
                    exercise,
                    f"height and width are {height}x{width} before "
                    f"{type(layer).__name__}; the tips say to shrink them first.",
                    "more MaxPooling2D until height and width are 16 or less.",
                )
            break
    return model


def train_and_measure(build, epochs: int = 20, batch_size: int = 16, seed: int = 0):
    """Build a model with ``build((64, 64, 3))`` and train it the same way for everyone -
    seeded, adam, binary cross-entropy, ``epochs`` epochs on the Happy train split (dev
    20%, seed 0) - and return its dev ``(accuracy, loss)``."""
    import keras

    from ..datasets import load_happy, normalize, train_dev_split

    data = load_happy()
    x_train, y_train, x_dev, y_dev = train_dev_split(normalize(data.x_train), data.y_train, 0.2, 0)
    keras.utils.set_random_seed(seed)
    model = build((64, 64, 3))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, verbose=0)
    loss, accuracy = model.evaluate(x_dev, y_dev, verbose=0)
    return float(accuracy), float(loss)


def check_beats_lecture_model(build, exercise: str, epochs: int = 20) -> None:
    """Train the student's improved model exactly as the lecture model was measured
    (``train_and_measure``, 20 epochs) and require a better dev score: a higher
    accuracy, or the same accuracy with a lower loss."""

    lecture = expected("keras_tutorial.lecture_dev_score")
    with student_code(exercise):
        accuracy, loss = train_and_measure(build, epochs=epochs)
    better = accuracy > lecture["accuracy"] + 1e-6 or (
        abs(accuracy - lecture["accuracy"]) <= 1e-6 and loss < lecture["loss"]
    )
    if not better:
        fail(
            exercise,
            f"trained the same way ({epochs} epochs), your model reaches dev accuracy "
            f"{accuracy:.3f} (loss {loss:.3f}); the lecture's HappyModel reaches "
            f"{lecture['accuracy']:.3f} (loss {lecture['loss']:.3f}). Yours must beat it.",
            "more CONV->BN->RELU blocks with 'same' padding and 3x3 filters, MAXPOOL after each.",
        )
    print(
        f"{exercise}: dev accuracy {accuracy:.3f} (loss {loss:.3f}) after {epochs} epochs; "
        f"the lecture model's is {lecture['accuracy']:.3f} (loss {lecture['loss']:.3f})."
    )
    # nothing returned: a number left as a test cell's last value is read by nbgrader
    # as partial credit
