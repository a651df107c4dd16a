"""Which augmentation, and which network, reads SIGNS hands photographed somewhere else?

Trains the benchmark tricks assignment's small network once per row, on the training
signers minus a dev set of other signers (``train_dev_split`` by signer), and prints,
side by side, the accuracy on the dev photographs as taken, on the same photographs
"somewhere else" (``datasets.somewhere_else``, seed 1: another framing, light,
background and camera, in combinations), and with each of the four changes alone on
every picture. It
looks only at people of the training set: this is where the recipe is chosen; the
notebook reports the test set once.

Rows: no distortion; mirroring; each group of ``training.camera_augmenter`` alone; all of
them; all of them with the network whose head averages over positions
(``small_convnet(stages=4, head="average")``); the same without pieces of real photographs
among the backgrounds (``all+average-photos``), with a new background behind every
picture instead of 80% (``all+average-walls``), one and a half times as wide
(``all+average-wide``: 48 filters in the first stage instead of 32), and with three new
backgrounds in ten the colour of a hand of the batch (``all+average-skin``: ``skin=0.3``).

With ``--draws N`` the "somewhere else" column is the mean over N draws of the dev
photographs somewhere else (seeds 1 to N: N x 200 pictures; one draw moves by a few
photographs from seed to seed), and ``gap`` is the dev column minus it, in points.

    .venv/bin/python benchmarks/camera_robustness.py [--epochs 20] [--rate 0.5]
        [--rows none,all,all+average]      # about 3 minutes a row on 2 cores
        [--members 3] [--mirror]           # ensembles of 1, 2, 3; with the mirror image
        [--draws 3]                        # somewhere else: the mean of three draws
        [--errors build/errors]            # the dev photographs read wrong somewhere else

With ``--errors DIR`` each row's first network also lists the dev photographs it reads
wrong somewhere else (draw 1), with what changed in each, and draws them in
``DIR/<row>.png``: each as taken above, somewhere else below, the truth and the answer in
the title. That is where to look before choosing the next distortion.
"""

import argparse
import time
from pathlib import Path

import keras
import numpy as np
from keras import layers

from course_utils.datasets import (
    ELSEWHERE_FACTORS,
    as_dataset,
    elsewhere_changes,
    load_signs,
    normalize,
    somewhere_else,
    train_dev_split,
)
from course_utils.models import small_convnet
from course_utils.plotting import show_images
from course_utils.training import camera_augmenter, train

GROUPS = ("framing", "background", "lighting", "camera")


def rows(rate):
    """{row: (distorting layer or None, network keyword arguments)}."""
    alone = {g: (camera_augmenter(**{h: h == g for h in GROUPS}, rate=rate), {}) for g in GROUPS}
    return {
        "none": (None, {}),
        "mirroring": (layers.RandomFlip("horizontal", seed=0), {}),
        **alone,
        "all": (camera_augmenter(rate=rate), {}),
        "all+average": (camera_augmenter(rate=rate), {"stages": 4, "head": "average"}),
        "all+average-photos": (
            camera_augmenter(rate=rate, photos=False),
            {"stages": 4, "head": "average"},
        ),
        "all+average-walls": (
            camera_augmenter(rate=rate, background_rate=1.0),
            {"stages": 4, "head": "average"},
        ),
        "all+average-wide": (
            camera_augmenter(rate=rate),
            {"stages": 4, "head": "average", "width": 48},
        ),
        "all+average-skin": (
            camera_augmenter(rate=rate, skin=0.3),
            {"stages": 4, "head": "average"},
        ),
    }


def show_errors(path, taken, elsewhere, y, answers_taken, answers_elsewhere, changes, cols=16):
    """Print and draw the photographs read wrong somewhere else: ``taken`` and
    ``elsewhere`` (m, H, W, 3) in [0, 1], ``y`` (m,) labels, ``answers_*`` (m,) the
    network's labels, ``changes`` the factors changed in each picture (m sets). Draws the
    first ``cols`` of them, each as taken above its picture somewhere else."""
    import matplotlib.pyplot as plt

    wrong = np.flatnonzero(answers_elsewhere != y)
    walls = sum("background" in changes[i] for i in wrong)
    print(f"  {len(wrong)} dev photographs read wrong somewhere else, {walls} with a new wall")
    for i in wrong:
        changed = "+".join(sorted(changes[i])) or "nothing"
        print(f"  #{i}: sign {y[i]}, read {answers_taken[i]} as taken and "
              f"{answers_elsewhere[i]} somewhere else ({changed} changed)")  # fmt: skip
    shown = wrong[:cols]
    if not len(shown):
        return
    figure = show_images(
        np.concatenate([taken[shown], elsewhere[shown]]),
        np.concatenate([y[shown]] * 2),
        n=2 * len(shown),
        cols=len(shown),
        predictions=np.concatenate([answers_taken[shown], answers_elsewhere[shown]]),
        title=f"{len(wrong)} read wrong somewhere else ({len(shown)} shown): "
        "as taken above, somewhere else below",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80)
    plt.close(figure)
    print(f"  drawn in {path}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--rate", type=float, default=0.5)
    parser.add_argument("--rows", default=",".join(rows(0.5)))
    parser.add_argument(
        "--members",
        type=int,
        default=1,
        help="networks per row (seeds 0, 1, ...): a line for each ensemble",
    )
    parser.add_argument(
        "--mirror",
        action="store_true",
        help="also average each network's answers on the mirrored photos",
    )
    parser.add_argument(
        "--draws",
        type=int,
        default=1,
        help="draws of the dev photographs somewhere else (seeds 1..N), averaged",
    )
    parser.add_argument(
        "--errors",
        type=Path,
        metavar="DIR",
        help="list and draw the dev photographs each row's first network reads wrong "
        "somewhere else (DIR/<row>.png)",
    )
    args = parser.parse_args()
    if args.draws < 1:
        parser.error(f"--draws must be at least 1, got {args.draws}")
    signs = load_signs()
    x_train, y_train, x_dev, y_dev = train_dev_split(
        signs.x_train, signs.y_train, 0.2, seed=0, groups=signs.signers_train
    )
    dev = {"dev": normalize(x_dev)}
    draws = [f"elsewhere {s}" for s in range(1, args.draws + 1)]
    for s, key in enumerate(draws, start=1):
        dev[key] = normalize(somewhere_else(x_dev, seed=s))
    for factor in ELSEWHERE_FACTORS:
        dev[factor] = normalize(somewhere_else(x_dev, seed=1, factors=(factor,), rate=1.0))
    x_train = normalize(x_train)
    pixels = {"pixel_mean": x_train.mean(axis=(0, 1, 2)), "pixel_std": x_train.std(axis=(0, 1, 2))}
    print(
        f"train {len(x_train)} photos, dev {len(x_dev)} photos of other signers; "
        f"{args.epochs} epochs, each camera_augmenter group on {args.rate:.0%} of the pictures"
    )
    columns = ["dev", "elsewhere", *ELSEWHERE_FACTORS, "gap"]
    print(f"{'row':<20} {'train':>6} " + " ".join(f"{k:>10}" for k in columns) + f" {'time':>6}")
    table = rows(args.rate)
    for name in args.rows.split(","):
        augment, network = table[name]
        distort = None if augment is None else (lambda x, y, a=augment: (a(x, training=True), y))
        members = []  # each member's probabilities on every dev set (as taken, mirrored)
        for seed in range(args.members):
            keras.utils.set_random_seed(seed)
            model = small_convnet(**network, **pixels)
            batches = as_dataset(x_train, y_train, batch_size=32, seed=seed, distort=distort)
            start = time.perf_counter()
            history, _ = train(model, batches, args.epochs, 0.003)
            seconds = time.perf_counter() - start
            members.append({k: (model.predict(x, verbose=0),
                                model.predict(x[:, :, ::-1], verbose=0) if args.mirror else None)
                            for k, x in dev.items()})  # fmt: skip
            if args.errors and seed == 0:
                said = {k: members[0][k][0].argmax(axis=1) for k in ("dev", "elsewhere 1")}
                show_errors(args.errors / f"{name}.png", dev["dev"], dev["elsewhere 1"], y_dev,
                            said["dev"], said["elsewhere 1"],
                            elsewhere_changes(len(y_dev), seed=1))  # fmt: skip
            k = len(members)
            ways = {"": False, " +mirror": True} if args.mirror else {"": False}
            for suffix, mirrored in ways.items():
                accuracy = {}
                for key in dev:
                    runs = [m[key][0] for m in members]
                    runs += [m[key][1] for m in members] if mirrored else []
                    accuracy[key] = float(np.mean(np.mean(runs, 0).argmax(axis=1) == y_dev))
                accuracy["elsewhere"] = float(np.mean([accuracy[d] for d in draws]))
                accuracy["gap"] = 100 * (accuracy["dev"] - accuracy["elsewhere"])
                label = name + (f" x{k}" if args.members > 1 else "") + suffix
                print(
                    f"{label:<20} {history.history['accuracy'][-1]:>6.3f} "
                    + " ".join(
                        f"{accuracy[c]:>10.1f}" if c == "gap" else f"{accuracy[c]:>10.3f}"
                        for c in columns
                    )
                    + f" {seconds:>5.0f}s",
                    flush=True,
                )


if __name__ == "__main__":
    main()
