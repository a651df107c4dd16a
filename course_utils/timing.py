"""Measured time: how long a model takes on this machine, to set beside what
``course_utils.cost`` says it should take.

Timings are noisy (other programs, caches, a CPU changing its clock), so every function
here repeats the measurement and reports the median, and callers compare models timed
in alternation in one run, never against a number from another run.

Example::

    timings = compare_inference({"naive": naive, "bottleneck": bottleneck}, batch)
    timings["naive"].per_image  # seconds for one image
"""

import statistics
import time
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Timing:
    """Repeated timings of one batch: ``seconds`` per repeat, ``batch_size`` images."""

    seconds: tuple[float, ...]
    batch_size: int

    @property
    def median(self) -> float:
        """Median seconds for the batch."""
        return statistics.median(self.seconds)

    @property
    def per_image(self) -> float:
        """Median seconds for one image."""
        return self.median / self.batch_size

    @property
    def images_per_second(self) -> float:
        return self.batch_size / self.median

    @property
    def spread(self) -> float:
        """(slowest - fastest) / median: how noisy the repeats were."""
        return (max(self.seconds) - min(self.seconds)) / self.median


def _check_batch(batch) -> np.ndarray:
    batch = np.asarray(batch, dtype="float32")
    if batch.ndim < 2 or len(batch) == 0:
        raise ValueError(
            f"batch must be an array of examples (m, ...) with m >= 1, got shape {batch.shape}"
        )
    return batch


def alternate(measures: dict, rounds: int) -> dict:
    """Call every ``measures[name]()`` once per round, in an order that reverses every
    round (A B, B A, ...), so that a slow moment of the machine slows all alike.
    Returns {name: [result of each round]}."""
    if not measures:
        raise ValueError("nothing to measure: give {name: function}")
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
    results = {name: [] for name in measures}
    names = list(measures)
    for round_ in range(rounds):
        for name in names if round_ % 2 == 0 else names[::-1]:
            results[name].append(measures[name]())
    return results


def compare_inference(models: dict, batch, repeats: int = 7, warmup: int = 2) -> dict:
    """Time ``model.predict_on_batch(batch)`` for each model, in alternation.

    models: {name: keras.Model}, each accepting ``batch`` (m, ...). The first ``warmup``
    calls of each model (which trace and compile it) are not timed; then ``repeats``
    rounds each time every model once (:func:`alternate`). Returns {name: Timing}.
    """
    if not models:
        raise ValueError("models is empty: give {name: keras.Model}")
    if repeats < 1 or warmup < 0:
        raise ValueError(f"repeats must be >= 1 and warmup >= 0, got {repeats} and {warmup}")
    batch = _check_batch(batch)
    for model in models.values():
        for _ in range(warmup):
            model.predict_on_batch(batch)

    def timed(model):
        start = time.perf_counter()
        np.asarray(model.predict_on_batch(batch))
        return time.perf_counter() - start

    seconds = alternate({name: (lambda m=m: timed(m)) for name, m in models.items()}, repeats)
    return {name: Timing(tuple(s), len(batch)) for name, s in seconds.items()}


def epoch_timer():
    """A Keras callback that records, at the end of each epoch, the seconds since
    training began: ``timer.seconds[i]`` for epoch i + 1. Pass it to ``fit``."""
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.seconds = []
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._start)

    return EpochTimer()


def time_to_reach(history, timer, goal: float, metric: str = "val_accuracy"):
    """(epochs, seconds) until ``metric`` first reached ``goal``, from a ``fit``
    History and the :func:`epoch_timer` passed to the same ``fit``; ``None`` if it
    never did."""
    values = history.history.get(metric)
    if values is None:
        raise KeyError(
            f"the history has no {metric!r}; it has {sorted(history.history)} (pass "
            "validation_data to fit for val_ metrics)"
        )
    if len(values) != len(timer.seconds):
        raise ValueError("history and timer come from different fits: pass both to one fit")
    for epoch, value in enumerate(values):
        if value >= goal:
            return epoch + 1, timer.seconds[epoch]
    return None
