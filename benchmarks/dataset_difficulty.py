"""Are the shipped Happy and SIGNS sets hard enough to teach something?

Trains, on each data set, a logistic regression on raw pixels and a small CNN
(CONV->RELU->MAXPOOL x3, then two dense layers), and prints their test accuracies
side by side, with load times. A set where the linear model matches the CNN teaches
nothing about convolutions; one where the CNN cannot learn is useless.

    .venv/bin/python benchmarks/dataset_difficulty.py [--epochs 30] [--seed 0]
"""

import argparse
import time

import keras
from keras import layers
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from course_utils.datasets import load_happy, load_signs, normalize


def small_cnn(input_shape, n_classes):
    """CONV->RELU->MAXPOOL three times, then two dense layers."""
    x_in = keras.Input(input_shape)
    x = x_in
    for filters in (32, 64, 64):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(64, activation="relu")(x)
    out = layers.Dense(n_classes, activation="softmax")(x)
    return keras.Model(x_in, out, name="small_cnn")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = []
    for loader in (load_happy, load_signs):
        start = time.perf_counter()
        data = loader()
        load_s = time.perf_counter() - start
        x_train, x_test = normalize(data.x_train), normalize(data.x_test)

        start = time.perf_counter()
        scaler = StandardScaler().fit(x_train.reshape(len(x_train), -1))
        logreg = LogisticRegression(max_iter=2000, C=0.01)
        logreg.fit(scaler.transform(x_train.reshape(len(x_train), -1)), data.y_train)
        flat_test = scaler.transform(x_test.reshape(len(x_test), -1))
        logreg_acc = float((logreg.predict(flat_test) == data.y_test).mean())
        logreg_s = time.perf_counter() - start

        keras.utils.set_random_seed(args.seed)
        start = time.perf_counter()
        model = small_cnn(x_train.shape[1:], len(data.classes))
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x_train, data.y_train, epochs=args.epochs, batch_size=32, verbose=0)
        cnn_acc = float(model.evaluate(x_test, data.y_test, verbose=0)[1])
        cnn_s = time.perf_counter() - start
        rows.append((data.name, load_s, logreg_acc, logreg_s, cnn_acc, cnn_s))

    header = ("data set", "load", "logreg acc", "(time)", "CNN acc", "(time)")
    print("{:<8} {:>7} {:>11} {:>8} {:>9} {:>8}".format(*header))
    for name, load_s, lr_acc, lr_s, cnn_acc, cnn_s in rows:
        print(
            f"{name:<8} {load_s:>6.2f}s {lr_acc:>11.3f} {lr_s:>7.1f}s "
            f"{cnn_acc:>9.3f} {cnn_s:>7.1f}s"
        )
    print(f"(CNN: {args.epochs} epochs, batch 32, adam, seed {args.seed}; chance is 0.5 / 0.167)")


if __name__ == "__main__":
    main()
