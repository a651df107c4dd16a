"""Reference solutions for assignment 5, benchmark tricks: PCA colour augmentation, an
augmentation pipeline, ten-crop, ensembles and multi-crop prediction."""

import keras
import numpy as np
from keras import layers

from course_utils.guard import reference_solution


@reference_solution
def rgb_pca(images):
    """The principal components of the RGB values of all pixels of ``images``.

    images: (m, n_H, n_W, 3) floats. Returns (eigenvalues (3,), eigenvectors (3, 3)):
    the eigenvalues in decreasing order, eigenvector i in column i.
    """
    pixels = np.asarray(images, dtype="float64").reshape(-1, 3)
    covariance = np.cov(pixels, rowvar=False)  # centred, divided by N - 1
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    order = np.argsort(eigenvalues)[::-1]
    return eigenvalues[order], eigenvectors[:, order]


@reference_solution
def pca_color_augmentation(images, eigenvalues, eigenvectors, rng, sigma=0.1):
    """AlexNet's colour augmentation (Krizhevsky et al. 2012, section 4.1).

    For each image draw alpha ~ N(0, sigma) three times - ``rng.normal(0.0, sigma,
    size=(m, 3))``, one row per image - and add the same RGB shift
    ``eigenvectors @ (alpha * eigenvalues)`` to every pixel of that image.
    images: (m, n_H, n_W, 3) -> (m, n_H, n_W, 3), not clipped.
    """
    images = np.asarray(images, dtype="float64")
    alpha = rng.normal(0.0, sigma, size=(len(images), 3))
    shift = (alpha * eigenvalues) @ np.asarray(eigenvectors).T  # (m, 3): row i = V (a_i l)
    return images + shift[:, None, None, :]


@reference_solution
def build_augmenter(flip=True, rotation=0.05, zoom=0.1, contrast=0.2, seed=0):
    """The augmentation pipeline of the notebook, as one Keras model that distorts in
    training and passes images through unchanged at inference.

    (m, n_H, n_W, 3) -> (m, n_H, n_W, 3). In order: RandomFlip("horizontal") if
    ``flip``, RandomRotation(rotation), RandomZoom(zoom), RandomContrast(contrast) (on [0, 1]
    images); each left out when its argument is False or 0; every layer gets ``seed``.
    """
    steps = []
    if flip:
        steps.append(layers.RandomFlip("horizontal", seed=seed, name="flip"))
    if rotation:
        steps.append(layers.RandomRotation(rotation, seed=seed, name="rotation"))
    if zoom:
        steps.append(layers.RandomZoom(zoom, seed=seed, name="zoom"))
    if contrast:
        steps.append(
            layers.RandomContrast(contrast, value_range=(0, 1), seed=seed, name="contrast")
        )
    return keras.Sequential(steps, name="augmenter")


@reference_solution
def ten_crop(images, crop_size):
    """The ten crops of multi-crop testing: (m, n_H, n_W, n_C) -> (m, 10, c, c, n_C).

    In order: top-left, top-right, bottom-left, bottom-right, centre (top and left
    offsets (n_H - c) // 2 and (n_W - c) // 2), then the same five of the horizontally
    mirrored images.
    """
    images = np.asarray(images)
    c = crop_size
    n_H, n_W = images.shape[1:3]
    top, left = (n_H - c) // 2, (n_W - c) // 2
    corners = [(0, 0), (0, n_W - c), (n_H - c, 0), (n_H - c, n_W - c), (top, left)]
    crops = []
    for source in (images, images[:, :, ::-1]):
        crops += [source[:, i : i + c, j : j + c] for i, j in corners]
    return np.stack(crops, axis=1)


@reference_solution
def ensemble_predict(models, X):
    """The ensemble's class probabilities: the mean of each model's ``predict(X)``.
    X: (m, ...) -> (m, classes)."""
    return np.mean([np.asarray(model.predict(X, verbose=0)) for model in models], axis=0)


@reference_solution
def multi_crop_predict(model, X, crop_size):
    """Class probabilities averaged over the ten crops of each image.
    X: (m, n_H, n_W, n_C) -> (m, classes)."""
    crops = ten_crop.unguarded(X, crop_size)  # (m, 10, c, c, n_C)
    m = len(crops)
    flat = crops.reshape(m * 10, *crops.shape[2:])
    probabilities = np.asarray(model.predict(flat, verbose=0))
    return probabilities.reshape(m, 10, -1).mean(axis=1)
