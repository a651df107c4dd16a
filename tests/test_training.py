"""course_utils.training.train: the course's recipe in one call."""

import keras
import numpy as np
import pytest

from course_utils.datasets import as_dataset
from course_utils.training import train


def test_train_compiles_fits_and_times_each_epoch():
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    batches = as_dataset(x, y, batch_size=16)
    history, timer = train(model, batches, 3, 0.1, validation_data=(x, y))
    assert len(timer.seconds) == 3 == len(history.history["val_accuracy"])
    assert history.history["loss"][-1] < history.history["loss"][0]
    # the cosine schedule ends at 0 after epochs x steps per epoch
    lr = model.optimizer._learning_rate  # the schedule object
    assert float(lr(3 * len(batches))) == pytest.approx(0.0, abs=1e-7)
    assert float(lr(0)) == pytest.approx(0.1)


def test_train_rejects_a_bad_epoch_count():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")])
    with pytest.raises(ValueError, match="epochs"):
        train(model, as_dataset(np.zeros((4, 2)), np.zeros(4)), 0, 0.1)
