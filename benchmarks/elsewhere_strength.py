"""How strong should the "somewhere else" test be?

Trains assignment 3's final model (ResNet-50, BatchNormalization momentum 0.9, the last
BN of each residual branch starting at zero, adam on a cosine schedule from 0.001,
mirrored batches of 32, 10 epochs, all 989 training photographs; seed 0) and prints its
accuracy on the SIGNS test photographs as taken, on ``somewhere_else`` at several
strengths (the chance ``rate`` that each factor changes a picture), and with each factor
alone on every picture. ``datasets.ELSEWHERE_RATE`` is the rate at which this model
scores about what it was reported to score on real photographs from another source
(0.55). About 5 minutes on 2 cores.

    .venv/bin/python benchmarks/elsewhere_strength.py [--epochs 10]
"""

import argparse

import keras
import numpy as np
from keras import layers

from course_reference.residual_networks import ResNet50
from course_utils.datasets import (
    ELSEWHERE_FACTORS,
    as_dataset,
    load_signs,
    normalize,
    somewhere_else,
)


def assignment_3_model(x, y, epochs):
    """The residual networks assignment's final model, trained on (x, y)."""
    augment = keras.Sequential([layers.RandomFlip("horizontal")])
    keras.utils.set_random_seed(0)
    batches = as_dataset(x, y, batch_size=32, seed=0,
                         distort=lambda a, b: (augment(a, training=True), b))  # fmt: skip
    model = ResNet50.unguarded((64, 64, 3), 6)
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.momentum = 0.9
            if layer.name.endswith("_3_bn"):
                layer.gamma.assign(np.zeros(layer.gamma.shape, dtype="float32"))
    schedule = keras.optimizers.schedules.CosineDecay(0.001, epochs * len(batches))
    model.compile(optimizer=keras.optimizers.Adam(schedule),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])  # fmt: skip
    model.fit(batches, epochs=epochs, verbose=2)
    return model


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    signs = load_signs()
    model = assignment_3_model(normalize(signs.x_train), signs.y_train, args.epochs)

    def accuracy(x):
        return float(
            np.mean(model.predict(normalize(x), verbose=0).argmax(axis=1) == signs.y_test)
        )

    print(f"test photographs as taken: {accuracy(signs.x_test):.3f}")
    for rate in (1.0, 0.75, 0.6, 0.5, 0.4):
        print(f"somewhere else, each factor with probability {rate}: "
              f"{accuracy(somewhere_else(signs.x_test, seed=0, rate=rate)):.3f}")  # fmt: skip
    for factor in ELSEWHERE_FACTORS:
        x = somewhere_else(signs.x_test, seed=0, factors=(factor,), rate=1.0)
        print(f"{factor} alone, on every picture: {accuracy(x):.3f}")


if __name__ == "__main__":
    main()
