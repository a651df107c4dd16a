"""Pictures the notebooks share: labelled image grids, training curves, misclassified
examples, confusion matrices and cost charts."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def show_images(
    x: np.ndarray,
    y: np.ndarray | None = None,
    classes=None,
    n: int = 16,
    cols: int = 8,
    title: str | None = None,
    predictions: np.ndarray | None = None,
    size: float = 1.4,
):
    """Show the first ``n`` images of ``x`` in a grid, each titled with its label.

    ``x``: (m, H, W, C) with C = 1 or 3, uint8 0-255 or float 0-1. ``y``: (m,) labels
    (or (m, n_classes) one-hot). ``classes``: names for the labels (a list, or a dict
    {label: name}); without it the label itself is shown. ``predictions``: (m,)
    predicted labels, shown beside the truth and in red where they differ.

    Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    x = np.asarray(x)
    if x.ndim != 4 or x.shape[-1] not in (1, 3):
        raise ValueError(f"x must be (m, H, W, 1 or 3) images, got shape {x.shape}")
    n = min(n, len(x))
    if n == 0:
        raise ValueError("x holds no images")
    cols = max(1, min(cols, n))
    rows = -(-n // cols)
    labels = None if y is None else np.asarray(y)
    if labels is not None and labels.ndim == 2:
        labels = labels.argmax(axis=1)

    def name(label):
        if classes is None:
            return str(label)
        return str(classes[label] if isinstance(classes, dict) else list(classes)[int(label)])

    fig, axes = plt.subplots(rows, cols, figsize=(cols * size, rows * (size + 0.25)))
    for i, ax in enumerate(np.atleast_1d(axes).ravel()):
        ax.axis("off")
        if i >= n:
            continue
        image = x[i]
        if image.dtype != np.uint8:
            image = np.clip(image, 0, 1)
        if image.shape[-1] == 1:
            ax.imshow(image[..., 0], cmap="gray_r" if image.max() <= 1 else "gray")
        else:
            ax.imshow(image)
        if labels is not None:
            text, colour = name(labels[i]), "black"
            if predictions is not None:
                text = f"{text} / pred {name(predictions[i])}"
                colour = "black" if predictions[i] == labels[i] else "red"
            ax.set_title(text, fontsize=8, color=colour)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def save_dataset_preview(sets: dict, out="build/preview/datasets.png", n: int = 24) -> Path:
    """Save labelled grids of data sets, stacked in one picture, to ``out``; return its
    path. ``sets``: {title: (x, y, class names)} with ``x`` (m, H, W, 3) images and ``y``
    (m,) labels; each grid shows the first ``n`` (``course_utils.datasets main`` passes
    the Happy House and SIGNS training sets). Each grid is also saved on its own beside
    ``out``, as ``<out stem>_<k><suffix>``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    if not sets:
        raise ValueError("no data sets to preview")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, (title, (x, y, names)) in enumerate(sets.items()):
        fig = show_images(x, y, names, n=n, cols=8, title=title)
        path = out.with_name(f"{out.stem}_{k}{out.suffix}")
        fig.savefig(path, dpi=100)
        plt.close(fig)
        paths.append(path)
    parts = [Image.open(p).convert("RGB") for p in paths]
    canvas = Image.new("RGB", (max(p.width for p in parts), sum(p.height for p in parts)), "white")
    top = 0
    for part in parts:
        canvas.paste(part, (0, top))
        top += part.height
    canvas.save(out)
    return out


def plot_history(history, title: str | None = None):
    """Training and dev curves, loss and accuracy side by side.

    ``history``: a ``keras.callbacks.History`` (from ``model.fit``) or its ``.history``
    dict with ``loss``, ``accuracy`` and optionally ``val_loss``, ``val_accuracy``.
    Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    h = getattr(history, "history", history)
    if "loss" not in h:
        raise ValueError(
            f"no 'loss' in the history (keys: {sorted(h)}); pass model.fit(...)'s result"
        )
    epochs = np.arange(1, len(h["loss"]) + 1)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for ax, metric in zip(axes, ("loss", "accuracy"), strict=True):
        if metric in h:
            ax.plot(epochs, h[metric], "o-", ms=3, label="train")
        if f"val_{metric}" in h:
            ax.plot(epochs, h[f"val_{metric}"], "s-", ms=3, label="dev")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def show_misclassified(x, y, probabilities, classes=None, n: int = 16, cols: int = 8):
    """The images a classifier got wrong, each titled with its true label and the
    prediction.

    ``x``: (m, H, W, C), ``y``: (m,) labels (or (m, n_classes) one-hot).
    ``probabilities``: (m,) or (m, 1) for a binary classifier (the probability of class
    1, titled ``p(1)``), or (m, n_classes) (titled with the predicted class and its
    probability). Returns the Figure, or None (and says so) when nothing was
    misclassified.
    """
    p = np.asarray(probabilities)
    y = np.asarray(y)
    if y.ndim == 2:
        y = y.argmax(axis=1)
    y = y.reshape(-1)
    binary = p.ndim == 1 or p.shape[-1] == 1
    if binary:
        p = p.reshape(-1)
        predicted = (p >= 0.5).astype(int)
    else:
        predicted = p.argmax(axis=1)
    wrong = np.flatnonzero(predicted != y)
    if wrong.size == 0:
        print("No misclassified images.")
        return None
    names = [str(c) for c in classes] if classes is not None else None

    def name(label):
        return names[label] if names else str(label)

    if binary:
        titles = [f"{name(y[i])}\np(1)={p[i]:.2f}" for i in wrong[:n]]
    else:
        titles = [
            f"true {name(y[i])}\nsaid {name(predicted[i])} ({p[i, predicted[i]]:.2f})"
            for i in wrong[:n]
        ]
    fig = show_images(
        x[wrong[:n]],
        None,
        n=n,
        cols=cols,
        size=1.5,
        title=f"{wrong.size} misclassified of {len(y)}",
    )
    for ax, text in zip([a for a in fig.axes if a.images], titles, strict=False):
        ax.set_title(text, fontsize=8, color="red")
    fig.tight_layout()
    return fig


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """Counts: entry [i, j] is the number of examples of class i predicted as j.

    ``y_true``, ``y_pred``: (m,) integer labels (or (m, n_classes) one-hot /
    probabilities, reduced with argmax)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.ndim == 2:
        y_true = y_true.argmax(axis=1)
    if y_pred.ndim == 2:
        y_pred = y_pred.argmax(axis=1)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{y_true.shape[0]} labels but {y_pred.shape[0]} predictions")
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (y_true.astype(int), y_pred.astype(int)), 1)
    return matrix


def plot_confusion_matrix(y_true, y_pred, classes, title: str | None = None):
    """The confusion matrix as a picture: rows are the true classes, columns the
    predicted ones, each cell with its count; the diagonal is what was right.
    Returns the Figure."""
    import matplotlib.pyplot as plt

    classes = [str(c) for c in classes]
    matrix = confusion_matrix(y_true, y_pred, len(classes))
    size = 1.2 + 0.45 * len(classes)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(matrix, cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        if count:
            light = count > matrix.max() / 2
            ax.text(j, i, str(count), ha="center", va="center", fontsize=8,
                    color="white" if light else "black")  # fmt: skip
    ax.set_xticks(range(len(classes)), classes)
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    accuracy = np.trace(matrix) / max(matrix.sum(), 1)
    ax.set_title(f"{title + ': ' if title else ''}accuracy {accuracy:.3f}")
    fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


def _plot_macs_and_params(rows, title: str | None, ax=None):
    """Bars of MACs and parameters per row (``LayerCost``), on a log scale."""
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(max(5, 0.45 * len(rows) + 2), 3.4))
    else:
        fig = ax.figure
    positions = np.arange(len(rows))
    ax.bar(positions - 0.2, [r.macs or 0 for r in rows], 0.4, label="MACs")
    ax.bar(positions + 0.2, [r.params for r in rows], 0.4, label="parameters")
    ax.set_yscale("log")
    ax.set_xticks(positions, [r.name for r in rows], rotation=60, ha="right", fontsize=8)
    if title:
        ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def plot_layer_costs(table, ax=None, weighted_only: bool = True):
    """MACs and parameters per layer of a ``course_utils.cost.CostTable``, on a log
    scale: where a network computes, and where it stores its weights. Returns the
    Figure."""
    rows = [r for r in table.rows if r.weighted or not weighted_only]
    unknown = " (some layers not counted)" if table.uncounted else ""
    title = (
        f"{table.model_name}: {table.params:,} parameters, "
        f"{table.known_macs / 1e6:,.1f} M MACs{unknown}"
    )
    return _plot_macs_and_params(rows, title, ax)


def _human(value: float) -> str:
    """2,572 -> '2.6k', 58,631,040 -> '58.6M', 15,346,630,656 -> '15.3G'."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:g}"


def plot_cost_comparison(tables: dict):
    """Several networks side by side: parameters and MACs per image (log scale), each
    split into convolutional and fully connected layers. ``tables``: {name: CostTable}.
    Returns the Figure."""
    import matplotlib.pyplot as plt

    names = list(tables)
    positions = np.arange(len(names))
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    for ax, what in zip(axes, ("params", "macs"), strict=True):
        for offset, label, is_fc in ((-0.2, "convolutional layers", False),
                                     (0.2, "fully connected layers", True)):  # fmt: skip
            values = [
                sum(getattr(r, what) or 0 for r in t.rows if r.weighted and
                    (r.type == "Dense") == is_fc)
                for t in tables.values()
            ]  # fmt: skip
            bars = ax.bar(positions + offset, values, 0.4, label=label)
            ax.bar_label(bars, [_human(v) for v in values], fontsize=7)
        ax.set_xticks(positions, names)
        ax.set_yscale("log")
        ax.set_ylabel("parameters" if what == "params" else "MACs per image")
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


def plot_gradient_norms(norms: dict, title: str | None = None):
    """Gradient norm per layer, from the input side (left) to the output (right), on a
    log scale, one line per network. ``norms``: {network name: {layer name: norm}} (the
    layers of each network in order). Returns the Figure."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.4))
    for label, per_layer in norms.items():
        values = list(per_layer.values())
        ax.plot(np.arange(1, len(values) + 1), values, "o-", ms=3, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("layer (1 = nearest the input)")
    ax.set_ylabel("norm of d loss / d kernel")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_losses(losses: dict, title: str | None = None, xlabel: str = "iteration"):
    """Training losses side by side: {name: [loss per iteration]}. Returns the Figure."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.2))
    for label, values in losses.items():
        ax.plot(np.arange(1, len(values) + 1), values, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("training loss")
    ax.grid(alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_counted_vs_measured(macs: dict, seconds: dict, title: str | None = None):
    """What the multiplications predict against what the clock says, each relative to
    the first entry: {name: MACs per image} and {name: measured seconds per image}
    (same names). Bars above 1 cost more than the first. Returns the Figure."""
    import matplotlib.pyplot as plt

    if set(macs) != set(seconds) or not macs:
        raise ValueError(
            f"macs and seconds must name the same models, got {sorted(macs)} and {sorted(seconds)}"
        )
    names = list(macs)
    base_macs, base_seconds = macs[names[0]], seconds[names[0]]
    positions = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(max(4.5, 1.6 * len(names) + 2), 3.4))
    for offset, label, values in (
        (-0.2, "multiplications (counted)", [macs[n] / base_macs for n in names]),
        (0.2, "time (measured)", [seconds[n] / base_seconds for n in names]),
    ):
        bars = ax.bar(positions + offset, values, 0.4, label=label)
        ax.bar_label(bars, [f"{v:.2f}" for v in values], fontsize=8)
    ax.set_xticks(positions, names)
    ax.set_ylabel(f"relative to {names[0]}")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_stage_costs(stages: dict, title: str | None = None):
    """Parameters and MACs per stage of a network, on a log scale, from the input
    (left) to the output: ``stages`` is ``CostTable.grouped(...)`` ({name: LayerCost}).
    Stages with neither (a flatten, an activation) are left out. Returns the Figure."""
    return _plot_macs_and_params([r for r in stages.values() if r.params or r.macs], title)


def plot_curves(series: dict, xlabel: str, ylabel: str, goal: float | None = None,
                title: str | None = None):  # fmt: skip
    """One line per entry of ``series`` = {name: (x values, y values)}; ``goal`` draws a
    dashed horizontal line. Returns the Figure."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.4))
    for label, (xs, ys) in series.items():
        if len(xs) != len(ys):
            raise ValueError(f"{label}: {len(xs)} x values for {len(ys)} y values")
        ax.plot(xs, ys, "o-", ms=3, label=label)
    if goal is not None:
        ax.axhline(goal, color="grey", linestyle="--", linewidth=1, label=f"goal {goal:g}")
    if all(float(x).is_integer() for xs, _ in series.values() for x in xs):
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # members, epochs
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_over_time(runs: dict, ylabel: str = "dev accuracy", goal: float | None = None,
                   title: str | None = None):  # fmt: skip
    """A metric against training time, one line per run: {name: (seconds at the end of
    each epoch, metric value at each epoch)}, for example from
    ``course_utils.timing.epoch_timer`` and a History. ``goal`` draws a dashed line.
    Returns the Figure."""
    return plot_curves(runs, "training time (s)", ylabel, goal, title)


def plot_bars(values: dict, ylabel: str, title: str | None = None, fmt: str = "{:.0f}"):
    """One labelled bar per entry of ``values`` = {name: number}. Returns the Figure."""
    import matplotlib.pyplot as plt

    names = list(values)
    fig, ax = plt.subplots(figsize=(max(4.5, 1.5 * len(names) + 1.5), 3.4))
    bars = ax.bar(np.arange(len(names)), [values[n] for n in names], 0.6)
    ax.bar_label(bars, [fmt.format(values[n]) for n in names], fontsize=8)
    ax.set_xticks(np.arange(len(names)), names, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def show_augmentations(image, augmenters: dict, n: int = 5, title: str | None = None):
    """Before and after: one row per augmentation, the original image first, then ``n``
    random draws (each from its own call). ``image``: (n_H, n_W, 3) in [0, 1] (or uint8);
    ``augmenters``:
    {name: function (batch (m, n_H, n_W, 3) float32 -> batch)}, for example a Keras
    layer called with training=True. Returns the Figure."""
    import matplotlib.pyplot as plt

    image = np.asarray(image, dtype="float32")
    if image.max() > 1.0:
        image = image / 255.0
    size = (1.6 * (n + 1), 1.7 * len(augmenters))
    fig, axes = plt.subplots(len(augmenters), n + 1, figsize=size, squeeze=False)
    for row, (name, augment) in zip(axes, augmenters.items(), strict=True):
        # one draw per call: some layers (RandomCrop) draw once per batch
        out = [np.clip(np.asarray(augment(image[None]))[0], 0, 1) for _ in range(n)]
        for ax, picture in zip(row, [image, *out], strict=True):
            ax.imshow(picture)
            ax.axis("off")
        row[0].set_title("original", fontsize=8)
        row[1].set_title(name, fontsize=9, loc="left")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_bar_groups(values: dict, ylabel: str, title: str | None = None, fmt: str = "{:.2f}"):
    """Bars side by side, one group per entry of ``values`` = {name: {series: number}}
    (every name with the same series, in the same order), for example {augmentation:
    {"test": 0.98, "somewhere else": 0.41}}. Returns the Figure."""
    import matplotlib.pyplot as plt

    names = list(values)
    if not names:
        raise ValueError("nothing to plot")
    series = list(values[names[0]])
    for name in names:
        if list(values[name]) != series:
            raise ValueError(f"{name!r} has series {list(values[name])}, expected {series}")
    width = 0.8 / len(series)
    positions = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(max(5, 0.8 * len(names) * len(series) + 1.5), 3.6))
    for k, label in enumerate(series):
        heights = [values[name][label] for name in names]
        bars = ax.bar(positions + (k - (len(series) - 1) / 2) * width, heights, width, label=label)
        ax.bar_label(bars, [fmt.format(h) for h in heights], fontsize=7)
    ax.set_xticks(positions, names, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
