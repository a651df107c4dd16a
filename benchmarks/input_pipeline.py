"""Does a parallel input pipeline feed more images per second than a sequential one?

The distortions of the benchmark tricks assignment (a random 56x56 crop, a mirror, a
small rotation and zoom - Keras' Random* layers - on each 64x64 SIGNS picture) prepared
three ways, without any training, so that only the input pipeline is measured:

- "python loop": for each batch, distort it in the main Python loop (eager Keras);
- "tf.data sequential": ``Dataset.map(distort)`` one picture at a time, no prefetch;
- "tf.data parallel": ``map(distort, num_parallel_calls=AUTOTUNE)`` and ``prefetch``.

Each is run for the same number of batches in alternating rounds (order reversed every
round); the median images per second and the parallel / sequential ratio are printed.

    .venv/bin/python benchmarks/input_pipeline.py [--batches 30] [--rounds 5]
"""

import argparse
import os
import statistics
import time

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from course_utils.datasets import load_signs, normalize
from course_utils.timing import alternate

CROP = 56


def make_augment():
    """Keras' Random* layers (a fresh model: one is built for single pictures, one for
    batches)."""
    return keras.Sequential(
        [
            layers.RandomFlip("horizontal", seed=0),
            layers.RandomRotation(0.05, seed=0),
            layers.RandomZoom(0.1, seed=0),
        ]
    )


def make_distort():
    augment = make_augment()

    def distort(image, label):
        """One (64, 64, 3) picture -> a distorted (56, 56, 3) crop."""
        image = tf.image.random_crop(image, (CROP, CROP, 3), seed=0)
        return augment(image, training=True), label

    return distort


def pipelines(x, y, batch):
    distort = make_distort()
    augment = make_augment()
    base = tf.data.Dataset.from_tensor_slices((x, y)).repeat()

    def python_loop():
        rng = np.random.default_rng(0)
        while True:
            pick = rng.choice(len(x), batch, replace=False)
            images = np.stack([tf.image.random_crop(image, (CROP, CROP, 3)) for image in x[pick]])
            yield augment(images, training=True), y[pick]

    sequential = base.map(distort).batch(batch)
    parallel = base.map(distort, num_parallel_calls=tf.data.AUTOTUNE).batch(batch)
    parallel = parallel.prefetch(tf.data.AUTOTUNE)
    return {
        "python loop": python_loop,
        "tf.data sequential": lambda: iter(sequential),
        "tf.data parallel": lambda: iter(parallel),
    }


def images_per_second(make_iterator, batches: int, batch: int) -> float:
    iterator = make_iterator()
    next(iterator)  # start the pipeline (threads, tracing) untimed
    start = time.perf_counter()
    for _ in range(batches):
        images, _ = next(iterator)
        np.asarray(images)  # the batch really is ready
    return batches * batch / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()

    keras.utils.set_random_seed(0)
    signs = load_signs()
    x, y = normalize(signs.x_train), signs.y_train
    ways = pipelines(x, y, args.batch)
    rates = alternate(
        {name: (lambda w=w: images_per_second(w, args.batches, args.batch))
         for name, w in ways.items()},
        args.rounds,
    )  # fmt: skip

    print(f"input pipeline alone, {os.cpu_count()} CPU cores, batches of {args.batch}, "
          f"{args.batches} batches x {args.rounds} rounds")  # fmt: skip
    for name, values in rates.items():
        rounds = ", ".join(f"{v:.0f}" for v in values)
        print(f"{name:<20} {statistics.median(values):8.0f} images/s (median)   {rounds}")
    ratios = [p / s for p, s in zip(rates["tf.data parallel"], rates["tf.data sequential"],
                                    strict=True)]  # fmt: skip
    print(f"parallel / sequential: {statistics.median(ratios):.2f}x (median of per-round "
          f"ratios {', '.join(f'{r:.2f}' for r in ratios)})")  # fmt: skip
    loop = statistics.median(rates["python loop"])
    print(f"parallel / python loop: {statistics.median(rates['tf.data parallel']) / loop:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
