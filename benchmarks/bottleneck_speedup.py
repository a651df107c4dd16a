"""How much of the 1x1 bottleneck's counted saving shows up on the clock?

The lecture's example: a 5x5 'same' convolution with 32 filters on 28x28x192, directly
(120,422,400 multiplications per image) or through a 1x1 convolution to 16 channels
first (12,443,648: 9.68x fewer). And the whole module: the naive inception module of
the lecture (1x1 64, 3x3 128, 5x5 32, pool -> 1x1 32) against GoogLeNet's inception (3a)
with dimension reductions, both 28x28x192 -> 28x28x256. Each pair is timed in
alternation (``course_utils.timing.compare_inference``: order reversed every round,
median kept) at several batch sizes, and the measured speed-up is printed beside the
counted one.

    .venv/bin/python benchmarks/bottleneck_speedup.py [--batches 1 8 32] [--repeats 7]
"""

import argparse

import keras
import numpy as np
from keras import layers

from course_reference.inception import inception_module
from course_utils import cost
from course_utils.timing import compare_inference


def single_convs():
    shape = (28, 28, 192)
    direct = keras.Sequential([keras.Input(shape), layers.Conv2D(32, 5, padding="same")])
    through = keras.Sequential(
        [keras.Input(shape), layers.Conv2D(16, 1), layers.Conv2D(32, 5, padding="same")]
    )
    return {"5x5 directly": direct, "1x1 to 16, then 5x5": through}


def modules():
    X_in = keras.Input((28, 28, 192))
    branches = [
        layers.Conv2D(64, 1, activation="relu")(X_in),
        layers.Conv2D(128, 3, padding="same", activation="relu")(X_in),
        layers.Conv2D(32, 5, padding="same", activation="relu")(X_in),
        layers.Conv2D(32, 1, activation="relu")(
            layers.MaxPooling2D(3, strides=1, padding="same")(X_in)
        ),
    ]
    naive = keras.Model(X_in, layers.Concatenate()(branches))
    X_in = keras.Input((28, 28, 192))
    reduced = keras.Model(
        X_in, inception_module.unguarded(X_in, (64, 96, 128, 16, 32, 32), "inception_3a")
    )
    return {"naive module": naive, "inception (3a)": reduced}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    print(f"{'pair':<40} {'batch':>5} {'ms/image':>18} {'measured':>9} {'counted':>8}")
    for pair in (single_convs(), modules()):
        (slow_name, slow), (fast_name, fast) = pair.items()
        counted = cost.model_cost(slow).macs / cost.model_cost(fast).macs
        for batch in args.batches:
            x = rng.normal(size=(batch, 28, 28, 192)).astype("float32")
            t = compare_inference(pair, x, repeats=args.repeats)
            measured = t[slow_name].median / t[fast_name].median
            ms = f"{t[slow_name].per_image * 1e3:.2f} vs {t[fast_name].per_image * 1e3:.2f}"
            print(
                f"{slow_name + ' vs ' + fast_name:<40} {batch:>5} {ms:>18} "
                f"{measured:>8.2f}x {counted:>7.2f}x"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
