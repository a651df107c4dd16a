"""Pictures the notebooks share: labelled image grids (more to come: training curves,
confusion matrices, cost charts)."""

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


def save_dataset_preview(out="build/preview/datasets.png", n: int = 24) -> Path:
    """Save a labelled grid of Happy and SIGNS training images to ``out``; return its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .datasets import load_happy, load_signs

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    happy, signs = load_happy(), load_signs()
    paths = []
    for data, names, label in (
        (happy, {0: "not smiling", 1: "smiling"}, "Happy House"),
        (signs, {k: f"{k} finger{'s' if k != 1 else ''}" for k in range(6)}, "SIGNS"),
    ):
        fig = show_images(data.x_train, data.y_train, names, n=n, cols=8, title=label)
        path = out.with_name(f"{out.stem}_{data.name}{out.suffix}")
        fig.savefig(path, dpi=100)
        plt.close(fig)
        paths.append(path)
    # one file holding both, stacked
    from PIL import Image

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
    """The images a binary classifier got wrong, each titled with its true label and
    the predicted probability of class 1.

    ``x``: (m, H, W, C), ``y``: (m,) 0/1 labels, ``probabilities``: (m,) or (m, 1).
    Returns the Figure, or None (and says so) when nothing was misclassified.
    """
    p = np.asarray(probabilities).reshape(-1)
    y = np.asarray(y).reshape(-1)
    wrong = np.flatnonzero((p >= 0.5).astype(int) != y)
    if wrong.size == 0:
        print("No misclassified images.")
        return None
    names = list(classes) if classes is not None else ["0", "1"]
    titles = [f"{names[y[i]]}\np(1)={p[i]:.2f}" for i in wrong[:n]]
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
