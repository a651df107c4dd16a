"""Checks of assignment 1, the Keras tutorial: compiling and training, the lecture's
tips, and an improved model that must beat the lecture's one.

(HappyModel and its Sequential twin are model checks: :mod:`course_utils.checks.models`.)
"""

from __future__ import annotations

import numpy as np

from ..guard import fail, student_code
from .expected_values import expected
from .plain import plain

TRAINING = {"epochs": 2, "batch_size": 4}  # of the compile_and_train probe
# what the history calls accuracy: metrics=["accuracy"] or ["acc"], or the metric object
# keras.metrics.BinaryAccuracy()
ACCURACY_KEYS = ("accuracy", "binary_accuracy", "acc")


def training_probe(seed: int = 0):
    """A tiny model and data to check training code on: (model, x (12, 8, 8, 3), y (12,),
    x_dev (4, 8, 8, 3), y_dev (4,)); the model (flatten, one sigmoid unit) is not
    compiled, its weights drawn with Keras' global seed ``seed``."""
    import keras

    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (12, 8, 8, 3)).astype("float32")
    y = (np.arange(12) % 2).astype("float32")
    x_dev, y_dev = rng.uniform(0, 1, (4, 8, 8, 3)).astype("float32"), np.array([0, 1, 0, 1.0])
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((8, 8, 3))
    model = keras.Model(
        inputs, keras.layers.Dense(1, activation="sigmoid")(keras.layers.Flatten()(inputs))
    )
    return model, x, y, x_dev, y_dev


def _loss_name(loss) -> str:
    if isinstance(loss, str):
        return loss
    # a loss function (keras.losses.binary_crossentropy) or a loss object
    return getattr(loss, "__name__", None) or type(loss).__name__


def training_report(model, history) -> dict:
    """What training did to ``model``, as plain data: what ``fit`` returned, the
    optimizer, the loss, its history and the optimizer's steps."""
    import keras

    h = getattr(history, "history", None)
    report = {
        "returned": type(history).__name__,
        "history": plain(h) if isinstance(h, dict) else None,
        "compiled": model.optimizer is not None,
    }
    if model.optimizer is not None:
        report["optimizer"] = type(model.optimizer).__name__
        report["iterations"] = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
        report["loss"] = _loss_name(model.loss)
        report["from_logits"] = bool(getattr(model.loss, "from_logits", False))
    return report


def judge_training(report: dict, n_train: int, exercise: str, dev_loss=None, replay=None):
    """Fail unless ``report`` (a :func:`training_report`) shows adam, binary
    cross-entropy on probabilities, accuracy, ``TRAINING``'s epochs on the ``n_train``
    training examples in its batches, and the dev set watched. ``dev_loss``: the
    trained model's loss on the dev set, evaluated by the judge's side: the history's
    last ``val_loss`` must be it. ``replay``: ``{"weights": [...]}`` of the same
    training done the exercise's way (the trusted checker's): the trained weights must
    be those."""
    import math

    epochs, batch_size = TRAINING["epochs"], TRAINING["batch_size"]
    h = report.get("history")
    if not isinstance(h, dict):
        fail(
            exercise,
            f"expected the History that model.fit returns, found {report.get('returned')}.",
            "return model.fit(...).",
        )
    if not report.get("compiled"):
        fail(exercise, "the model was not compiled.", "call model.compile(...) before fit.")
    if report.get("optimizer") != "Adam":
        fail(
            exercise,
            f"the optimizer should be Adam, found {report.get('optimizer')}.",
            "optimizer='adam'.",
        )
    if report.get("loss") not in ("binary_crossentropy", "BinaryCrossentropy"):
        fail(
            exercise,
            f"the loss should be binary cross-entropy, found {report.get('loss')}.",
            "loss='binary_crossentropy' for one sigmoid output.",
        )
    if report.get("from_logits"):
        fail(
            exercise,
            "the loss is told the outputs are logits (from_logits=True), but the "
            "model ends with a sigmoid: its outputs are probabilities.",
            "use loss='binary_crossentropy' (from_logits=False).",
        )
    accuracy = next((k for k in ACCURACY_KEYS if k in h), None)
    if accuracy is None:
        fail(
            exercise,
            f"the history has no 'accuracy' (it has {sorted(h)}).",
            "metrics=['accuracy'].",
        )
    if not isinstance(h.get("loss"), list) or len(h["loss"]) != epochs:
        found = len(h["loss"]) if isinstance(h.get("loss"), list) else "none"
        fail(
            exercise,
            f"asked for {epochs} epochs, the history has {found}.",
            "pass epochs=epochs to fit.",
        )
    steps = report.get("iterations")
    want = epochs * math.ceil(n_train / batch_size)
    if steps != want:
        fail(
            exercise,
            f"the model took {steps} training steps; {n_train} training examples in "
            f"batches of {batch_size} for {epochs} epochs make {want}.",
            "train on X_train, Y_train only, with batch_size=batch_size; the dev set is for "
            "validation_data, never for training.",
        )
    if f"val_{accuracy}" not in h or not isinstance(h.get("val_loss"), list) or not h["val_loss"]:
        fail(
            exercise,
            "the dev set was not evaluated during training (no 'val_accuracy').",
            "pass validation_data=(X_dev, Y_dev) to fit.",
        )
    if dev_loss is not None and not np.isclose(h["val_loss"][-1], dev_loss, rtol=1e-3, atol=1e-5):
        fail(
            exercise,
            f"the validation loss of the last epoch is {h['val_loss'][-1]:.5f}, but the "
            f"trained model's loss on X_dev, Y_dev is {dev_loss:.5f}: what was validated is "
            "not the dev set.",
            "pass validation_data=(X_dev, Y_dev) to fit; not validation_split (a part of "
            "the training set) and not the training set itself.",
        )
    if replay is not None:
        weights = report.get("weights_found")
        same = (
            weights is not None
            and len(weights) == len(replay["weights"])
            and all(
                np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-4, atol=1e-5)
                for a, b in zip(weights, replay["weights"], strict=True)
            )
        )
        if not same:
            fail(
                exercise,
                "the training took the right number of steps, but it did not train on "
                "X_train, Y_train as the exercise says: the weights it ended with are not "
                "those of model.fit(X_train, Y_train, epochs=epochs, batch_size=batch_size).",
                "do not hold part of the training set out (validation_split) and do not "
                "change the data; the dev set goes to validation_data.",
            )


def check_compile_and_train(compile_and_train, exercise: str):
    """Run the student's ``compile_and_train`` on :func:`training_probe` and judge what
    it did (:func:`judge_training`), the dev loss evaluated here. Returns the History."""
    model, x, y, x_dev, y_dev = training_probe()
    with student_code(exercise):
        history = compile_and_train(
            model, x, y, x_dev, y_dev, TRAINING["epochs"], TRAINING["batch_size"]
        )
    report = training_report(model, history)
    dev_loss = None
    if report.get("compiled"):
        dev_loss = float(
            np.asarray(model.evaluate(x_dev, y_dev, verbose=0, return_dict=True)["loss"])
        )
    judge_training(report, len(x), exercise, dev_loss=dev_loss)
    return history


def check_follows_tips(build, exercise: str, input_shape=(64, 64, 3)):
    """The lecture's tips: two or more CONV->BN->RELU blocks, MAXPOOL after blocks,
    height and width small before the classifier, one sigmoid unit at the end."""
    import keras

    with student_code(exercise):
        model = build(input_shape)
    if not isinstance(model, keras.Model):
        fail(exercise, f"expected a keras.Model, found {type(model).__name__}.")
    judge_follows_tips(model, exercise)
    return model


def judge_follows_tips(model, exercise: str) -> None:
    """Fail unless the built ``model`` follows the lecture's tips (see
    :func:`check_follows_tips`)."""
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


LOSS_TOLERANCE = 0.002  # dev loss: what two machines' training runs may differ by


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
    judge_beats_lecture_model(accuracy, loss, lecture, exercise, epochs)


def judge_beats_lecture_model(accuracy, loss, lecture: dict, exercise: str, epochs: int = 20):
    """Fail unless the dev ``(accuracy, loss)`` beat the lecture model's ``lecture``."""
    # the same accuracy on 120 dev images and a loss no worse than the lecture model's
    # (within LOSS_TOLERANCE: training on another machine rounds differently) also counts
    better = accuracy > lecture["accuracy"] + 1e-6 or (
        abs(accuracy - lecture["accuracy"]) <= 1e-6 and loss <= lecture["loss"] + LOSS_TOLERANCE
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
