"""Typical wrong answers to the benchmark tricks assignment, and what the grader must say.

MISTAKES[solution grade_id] = {mistake: (answer source, words the feedback must contain)}
SUBMISSIONS: which mistakes each catalog submission carries (exercises are graded
independently - multi_crop_predict with a correct ten_crop standing in - and every
exercise is right in at least one submission).
"""

TESTS = {  # solution cell -> its test cell, and the points at stake
    "rgb_pca": ("rgb_pca_tests", 1),
    "pca_color_augmentation": ("pca_color_augmentation_tests", 2),
    "build_augmenter": ("build_augmenter_tests", 2),
    "ten_crop": ("ten_crop_tests", 2),
    "ensemble_predict": ("ensemble_predict_tests", 1),
    "multi_crop_predict": ("multi_crop_predict_tests", 2),
}


def _pca(covariance="np.cov(pixels, rowvar=False)", sort=True, vectors="eigenvectors[:, order]"):
    order = "np.argsort(eigenvalues)[::-1]" if sort else "np.arange(3)"
    return f"""
def rgb_pca(images):
    pixels = np.asarray(images, dtype="float64").reshape(-1, 3)
    eigenvalues, eigenvectors = np.linalg.eigh({covariance})
    order = {order}
    return eigenvalues[order], {vectors}
"""


def _color(draw="(len(images), 3)", shift="(alpha * eigenvalues) @ eigenvectors.T",
           add="shift[:, None, None, :]"):  # fmt: skip
    return f"""
def pca_color_augmentation(images, eigenvalues, eigenvectors, rng, sigma=0.1):
    images = np.asarray(images, dtype="float64")
    alpha = rng.normal(0.0, sigma, size={draw})
    shift = {shift}
    return images + {add}
"""


def _augmenter(flip='"horizontal"', order=("rotation", "zoom"), rotation="rotation",
               zoom="zoom", value_range="value_range=(0, 1), "):  # fmt: skip
    middle = {
        "rotation": f"""    if rotation:
        steps.append(layers.RandomRotation({rotation}, seed=seed, name="rotation"))
""",
        "zoom": f"""    if zoom:
        steps.append(layers.RandomZoom({zoom}, seed=seed, name="zoom"))
""",
    }
    return f"""
def build_augmenter(flip=True, rotation=0.05, zoom=0.1, contrast=0.2, seed=0):
    steps = []
    if flip:
        steps.append(layers.RandomFlip({flip}, seed=seed, name="flip"))
{middle[order[0]]}{middle[order[1]]}    if contrast:
        steps.append(layers.RandomContrast(contrast, {value_range}seed=seed, name="contrast"))
    return keras.Sequential(steps, name="augmenter")
"""


def _crop(sources="(images, images[:, :, ::-1])", last="n_H - c", axis=1):
    return f"""
def ten_crop(images, crop_size):
    images = np.asarray(images)
    c = crop_size
    n_H, n_W = images.shape[1:3]
    top, left = (n_H - c) // 2, (n_W - c) // 2
    corners = [(0, 0), (0, n_W - c), ({last}, 0), ({last}, n_W - c), (top, left)]
    crops = []
    for source in {sources}:
        crops += [source[:, i : i + c, j : j + c] for i, j in corners]
    return np.stack(crops, axis={axis})
"""


def _ensemble(body):
    return f"""
def ensemble_predict(models, X):
    {body}
"""


def _multi(body):
    return f"""
def multi_crop_predict(model, X, crop_size):
    crops = ten_crop(X, crop_size)
    m = len(crops)
{body}
"""


MISTAKES = {
    "rgb_pca": {
        "eigenvalues in increasing order": (_pca(sort=False), "increasing order"),
        "the covariance not centred": (
            _pca(covariance="pixels.T @ pixels / len(pixels)"),
            "subtract the mean colour",
        ),
        "eigenvectors as rows": (_pca(vectors="eigenvectors[:, order].T"), "not row i"),
    },
    "pca_color_augmentation": {
        "eigenvalues not scaled": (
            _color(shift="alpha @ eigenvectors.T"),
            "scale each alpha by its eigenvalue",
        ),
        "a colour shift per pixel": (
            _color(
                draw="images.shape", shift="(alpha * eigenvalues) @ eigenvectors.T", add="shift"
            ),  # fmt: skip
            "draw alpha once per image",
        ),
        "eigenvectors as rows": (
            _color(shift="(alpha * eigenvalues) @ eigenvectors"),
            "eigenvector i is column i",
        ),
    },
    "build_augmenter": {
        "a vertical flip": (_augmenter(flip='"vertical"'), "mode should be 'horizontal'"),
        "zoom before rotation": (
            _augmenter(order=("zoom", "rotation")),
            "a RandomZoom in another place: the exercise has it after the 1st RandomRotation",
        ),
        "RandomContrast's default value range, (0, 255)": (
            _augmenter(value_range=""),
            "value_range should be [0, 1], found [0, 255]",
        ),
        "the arguments ignored": (
            _augmenter(rotation="0.05", zoom="0.1").replace("    if zoom:\n", "    if True:\n"),
            "leave a layer out when its argument is False or 0",
        ),
    },
    "ten_crop": {
        "the mirrored crops missing": (
            _crop(sources="(images,)"),
            "should return shape (2, 10, 4, 4, 2), found (2, 5, 4, 4, 2)",
        ),
        "the image not mirrored": (
            _crop(sources="(images, images)"),
            "cut from the mirrored images",
        ),
        "bottom crops one row too high": (
            _crop(last="n_H - c - 1"),
            "crop 3 (the bottom-left crop)",
        ),
    },
    "ensemble_predict": {
        "votes averaged, not probabilities": (
            _ensemble(
                "return np.mean([m.predict(X, verbose=0).argmax(axis=1) for m in models], axis=0)"
            ),  # fmt: skip
            "not the predicted labels",
        ),
        "probabilities summed": (
            _ensemble("return np.sum([m.predict(X, verbose=0) for m in models], axis=0)"),
            "divide their sum by the number of models",
        ),
        "only the first model": (
            _ensemble("return models[0].predict(X, verbose=0)"),
            "average the probabilities of every model",
        ),
    },
    "multi_crop_predict": {
        "the centre crop only": (
            _multi("    return model.predict(crops[:, 4], verbose=0)"),
            "predict all ten crops of each image",
        ),
        "the images' crops mixed up": (
            _multi(
                "    p = model.predict(crops.reshape(m * 10, *crops.shape[2:]), verbose=0)\n"
                "    return p.reshape(10, m, -1).mean(axis=0)"
            ),
            "reshape (m * 10, ...) back to (m, 10, classes)",
        ),
        "labels averaged": (
            _multi(
                "    p = model.predict(crops.reshape(m * 10, *crops.shape[2:]), verbose=0)\n"
                "    return p.argmax(axis=1).reshape(m, 10).mean(axis=1)"
            ),
            "return class probabilities, one row per image",
        ),
    },
}

SUBMISSIONS = {
    "catalog1": {
        "rgb_pca": "eigenvalues in increasing order",
        "pca_color_augmentation": "eigenvalues not scaled",
        "build_augmenter": "a vertical flip",
        "ten_crop": "the mirrored crops missing",
        "ensemble_predict": "votes averaged, not probabilities",
        "multi_crop_predict": "the centre crop only",
    },
    "catalog2": {
        "rgb_pca": "the covariance not centred",
        "pca_color_augmentation": "a colour shift per pixel",
        "build_augmenter": "zoom before rotation",
        "ten_crop": "the image not mirrored",
        "ensemble_predict": "probabilities summed",
        "multi_crop_predict": "the images' crops mixed up",
    },
    "catalog3": {
        "rgb_pca": "eigenvectors as rows",
        "pca_color_augmentation": "eigenvectors as rows",
        "build_augmenter": "the arguments ignored",
    },
    "catalog4": {
        "ten_crop": "bottom crops one row too high",
        "ensemble_predict": "only the first model",
        "multi_crop_predict": "labels averaged",
    },
    "catalog5": {"build_augmenter": "RandomContrast's default value range, (0, 255)"},
}

# Correct answers written as students write them: every one must earn full marks
# (tests/test_variants.py in the kernel and the checker; tests/test_catalog.py graded).
VARIANTS = {
    "rgb_pca": {
        "the covariance by hand, eigh's order reversed": """
def rgb_pca(images):
    pixels = np.asarray(images, dtype=np.float64).reshape(-1, 3)
    centred = pixels - pixels.mean(axis=0)
    covariance = centred.T @ centred / (len(pixels) - 1)
    values, vectors = np.linalg.eigh(covariance)
    return values[::-1], vectors[:, ::-1]
""",
    },
    "pca_color_augmentation": {
        "einsum, the shift reshaped": """
def pca_color_augmentation(images, eigenvalues, eigenvectors, rng, sigma=0.1):
    images = np.asarray(images, dtype="float64")
    alpha = rng.normal(0.0, sigma, size=(images.shape[0], 3))
    shift = np.einsum("ij,mj->mi", eigenvectors, alpha * eigenvalues)
    return images + shift.reshape(len(images), 1, 1, 3)
""",
    },
    "build_augmenter": {
        "Sequential.add, keyword factors, no names": """
def build_augmenter(flip=True, rotation=0.05, zoom=0.1, contrast=0.2, seed=0):
    model = keras.Sequential()
    if flip:
        model.add(layers.RandomFlip(mode="horizontal", seed=seed))
    if rotation:
        model.add(layers.RandomRotation(factor=rotation, seed=seed))
    if zoom:
        model.add(layers.RandomZoom(height_factor=zoom, seed=seed))
    if contrast:
        model.add(layers.RandomContrast(factor=contrast, value_range=[0, 1], seed=seed))
    return model
""",
    },
    "ten_crop": {
        "one crop at a time, np.flip": """
def ten_crop(images, crop_size):
    images = np.asarray(images)
    c = crop_size
    n_H, n_W = images.shape[1], images.shape[2]
    starts = [(0, 0), (0, n_W - c), (n_H - c, 0), (n_H - c, n_W - c),
              ((n_H - c) // 2, (n_W - c) // 2)]
    crops = [images[:, i:i + c, j:j + c, :] for i, j in starts]
    mirrored = np.flip(images, axis=2)
    crops += [mirrored[:, i:i + c, j:j + c, :] for i, j in starts]
    return np.stack(crops, axis=1)
""",
    },
    "ensemble_predict": {
        "a running sum over model(X)": """
def ensemble_predict(models, X):
    total = 0
    for model in models:
        total = total + np.asarray(model(X, training=False))
    return total / len(models)
""",
    },
    "multi_crop_predict": {
        "each of the ten crops predicted in turn": """
def multi_crop_predict(model, X, crop_size):
    crops = ten_crop(X, crop_size)
    per_crop = [model.predict(crops[:, k], verbose=0) for k in range(10)]
    return np.mean(per_crop, axis=0)
""",
    },
}
