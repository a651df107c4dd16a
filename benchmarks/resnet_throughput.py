"""Does the course's ResNet-50 train as fast as the one a user would pick?

Trains the course's ResNet-50 (the reference solution of the residual networks
assignment: 64x64x3 input, 6 classes) and ``keras.applications.ResNet50(weights=None)``
with the same input and classes, side by side in one run, on SIGNS-sized batches, and
prints training images per second for each. The two are measured in alternation, in
turns whose order swaps every round (A B, B A, A B, ...) so that a noisy neighbour or a
warming machine slows both alike. The figure to read is the median of the per-round
ratios (each round times both back to back).

The two networks are the same architecture (53 convolutions, 23,600,006 parameters); the
course's pools 3x3/2 without padding (15x15 after stage 1, as the course has always done)
where Keras pads first (16x16), so its stage 2 works on 12% fewer positions.

    .venv/bin/python benchmarks/resnet_throughput.py [--steps 20] [--rounds 6] [--batch 32]
"""

import argparse
import statistics
import time

import keras
import numpy as np

from course_reference.residual_networks import ResNet50
from course_utils.datasets import load_signs, normalize
from course_utils.timing import alternate


def images_per_second(model, x, y, steps: int, batch: int) -> float:
    """Train ``steps`` batches (after the compiled step was warmed up) and time them."""
    start = time.perf_counter()
    for i in range(steps):
        j = (i * batch) % (len(x) - batch)
        model.train_on_batch(x[j : j + batch], y[j : j + batch])
    return steps * batch / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()

    signs = load_signs()
    x, y = normalize(signs.x_train), signs.y_train
    keras.utils.set_random_seed(0)
    models = {
        "course ResNet50 (reference)": ResNet50.unguarded((64, 64, 3), 6),
        "keras.applications.ResNet50": keras.applications.ResNet50(
            weights=None, input_shape=(64, 64, 3), classes=6
        ),
    }
    for model in models.values():
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.train_on_batch(x[: args.batch], y[: args.batch])  # compile the step
    rates = alternate(
        {name: (lambda m=m: images_per_second(m, x, y, args.steps, args.batch))
         for name, m in models.items()},
        args.rounds,
    )  # fmt: skip

    print(f"training throughput, batch {args.batch}, {args.steps} steps x {args.rounds} rounds")
    print(f"{'model':<30} {'params':>12} {'images/s (median)':>18}  all rounds")
    for name, model in models.items():
        rounds = ", ".join(f"{r:.1f}" for r in rates[name])
        print(
            f"{name:<30} {model.count_params():>12,} {statistics.median(rates[name]):>18.1f}  "
            f"{rounds}"
        )
    ours, theirs = (statistics.median(r) for r in rates.values())
    # each round measures both back to back: their ratio cancels what slowed that round
    ratios = [a / b for a, b in zip(*rates.values(), strict=True)]
    print(
        f"course / keras.applications: {statistics.median(ratios):.2f}x (median of the "
        f"per-round ratios {', '.join(f'{r:.2f}' for r in ratios)}; ratio of medians "
        f"{ours / theirs:.2f}x)"
    )
    return 0 if np.isfinite(ours) else 1


if __name__ == "__main__":
    raise SystemExit(main())
