"""The course's training recipe in one call, so that notebooks do not each write it.

``train(model, batches, epochs, learning_rate)`` compiles ``model`` with adam on a
cosine schedule (from ``learning_rate`` down to 0 at the last step), sparse categorical
cross-entropy and accuracy, fits it on ``batches`` (a ``tf.data`` pipeline such as
``datasets.as_dataset``) and returns the History together with a
``timing.epoch_timer`` that recorded the time at the end of every epoch.
"""

from __future__ import annotations

from .timing import epoch_timer


def train(model, batches, epochs: int, learning_rate: float, validation_data=None,
          run_eagerly: bool = False, verbose: int = 0):  # fmt: skip
    """Compile and fit ``model`` with the course's recipe; returns (history, timer).

    batches: a finite, batched dataset (its ``len`` is the number of steps per epoch).
    validation_data: (x, y) checked after every epoch (``val_accuracy`` in the history).
    run_eagerly: True for the short CI budget, where tracing a big step costs more than
    the few steps it runs.
    """
    import keras

    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    steps = epochs * len(batches)
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, steps)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        run_eagerly=run_eagerly,
    )
    timer = epoch_timer()
    # shuffle=False: the dataset shuffles itself (Keras cannot shuffle a tf.data pipeline)
    history = model.fit(batches, epochs=epochs, validation_data=validation_data,
                        shuffle=False, verbose=verbose, callbacks=[timer])  # fmt: skip
    return history, timer
