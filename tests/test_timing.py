"""course_utils.timing: repeated, alternated timings and time-to-goal from a fit."""

import time

import keras
import numpy as np
import pytest

from course_utils import timing


class Sleeper:
    """A stand-in model whose predict takes a known time and records the call order."""

    def __init__(self, name, seconds, log):
        self.name, self.seconds, self.log = name, seconds, log

    def predict_on_batch(self, batch):
        self.log.append(self.name)
        time.sleep(self.seconds)
        return batch


def test_compare_inference_times_each_model_in_alternation():
    log = []
    models = {"fast": Sleeper("fast", 0.002, log), "slow": Sleeper("slow", 0.02, log)}
    timings = timing.compare_inference(models, np.zeros((4, 3)), repeats=4, warmup=1)
    assert log[:2] == ["fast", "slow"]  # warm-up, untimed
    assert log[2:] == ["fast", "slow", "slow", "fast", "fast", "slow", "slow", "fast"]
    assert len(timings["fast"].seconds) == 4
    assert timings["slow"].median >= 0.02 > timings["fast"].median
    assert timings["slow"].per_image == pytest.approx(timings["slow"].median / 4)
    assert timings["fast"].images_per_second == pytest.approx(4 / timings["fast"].median)


def test_timing_properties():
    t = timing.Timing((1.0, 3.0, 2.0), batch_size=2)
    assert (t.median, t.per_image, t.images_per_second, t.spread) == (2.0, 1.0, 1.0, 1.0)


@pytest.mark.parametrize(
    ("models", "batch", "kwargs", "words"),
    [
        ({}, np.zeros((2, 3)), {}, "models is empty"),
        ({"a": None}, np.zeros(3), {}, "array of examples"),
        ({"a": None}, np.zeros((0, 3)), {}, "m >= 1"),
        ({"a": None}, np.zeros((2, 3)), {"repeats": 0}, "repeats must be >= 1"),
    ],
)
def test_compare_inference_rejects_bad_input(models, batch, kwargs, words):
    with pytest.raises(ValueError, match=words):
        timing.compare_inference(models, batch, **kwargs)


def test_time_to_reach_reads_the_first_epoch_at_the_goal():
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(
        keras.optimizers.Adam(0.1), "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    timer = timing.epoch_timer()
    history = model.fit(x, y, epochs=6, validation_data=(x, y), verbose=0, callbacks=[timer])
    assert len(timer.seconds) == 6 and timer.seconds == sorted(timer.seconds)
    values = history.history["val_accuracy"]
    goal = max(values)
    epoch, seconds = timing.time_to_reach(history, timer, goal)
    assert values[epoch - 1] >= goal and all(v < goal for v in values[: epoch - 1])
    assert seconds == timer.seconds[epoch - 1]
    assert timing.time_to_reach(history, timer, 1.01) is None
    with pytest.raises(KeyError, match="pass validation_data"):
        timing.time_to_reach(history, timer, 0.5, metric="val_auc")
    timer.seconds.pop()
    with pytest.raises(ValueError, match="different fits"):
        timing.time_to_reach(history, timer, 0.5)


def test_alternate_reverses_the_order_every_round():
    log = []
    results = timing.alternate(
        {"a": lambda: log.append("a") or 1, "b": lambda: log.append("b") or 2}, rounds=3
    )
    assert log == ["a", "b", "b", "a", "a", "b"]
    assert results == {"a": [1, 1, 1], "b": [2, 2, 2]}
    with pytest.raises(ValueError, match="rounds"):
        timing.alternate({"a": int}, 0)
    with pytest.raises(ValueError, match="nothing to measure"):
        timing.alternate({}, 1)
