"""Data for every assignment, offline: the course HDF5 format, Happy House, SIGNS, real
handwritten digits, real photographs, and folders of your own images.

Where the data comes from (``data/README.md`` has provenance, licences and checksums):

- ``load_happy()``, ``load_signs()``: the course's HDF5 files. The original course files
  (``data/train_happy.h5`` ...) are used as they are when an instructor puts them in
  ``data/``; otherwise the synthetic sets shipped in ``data/synthetic/``, verified
  against ``data/synthetic/SHA256SUMS`` before use.
- ``load_digits()``: scikit-learn's 1,797 real 8x8 handwritten digits, upsampled to
  LeNet-5's 32x32 input.
- ``load_photo(name)``: real photographs that scikit-image ships.
- ``load_image_folder(path)``, ``load_image(path)``: your own pictures.

The course HDF5 format (the layout of the original course files)::

    train_*.h5: train_set_x (m, 64, 64, 3) uint8, train_set_y (m,) int64,
                list_classes (n_classes,) int64
    test_*.h5:  test_set_x, test_set_y, list_classes

Every bad file raises :class:`DatasetError`, one sentence naming the file, the key and
the fix.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA_ENV = "COURSE_DATA_DIR"
SYNTHETIC = "synthetic"
CHECKSUMS = "SHA256SUMS"
IMAGE_SHAPE = (64, 64, 3)
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field")
REBUILD = "python -m course_utils.datasets build"


class DatasetError(ValueError):
    """A data file is missing, unreadable, or not in the expected format."""


@dataclass(frozen=True)
class Dataset:
    """A train/test data set. Unpacks like the original course's ``load_dataset()``::

        X_train, Y_train, X_test, Y_test, classes = load_happy()

    ``x_*``: (m, H, W, C) images; ``y_*``: (m,) int64 labels; ``classes``: (n_classes,).
    ``source`` says which files it came from.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: np.ndarray
    name: str = ""
    source: str = ""

    def __iter__(self):
        return iter((self.x_train, self.y_train, self.x_test, self.y_test, self.classes))

    def __repr__(self) -> str:
        counts = np.bincount(self.y_train, minlength=len(self.classes)).tolist()
        return (
            f"Dataset({self.name!r}: x_train {self.x_train.shape} {self.x_train.dtype}, "
            f"x_test {self.x_test.shape}, classes {self.classes.tolist()}, "
            f"train per class {counts}; from {self.source})"
        )


# --------------------------------------------------------------------------- where
def data_dir() -> Path:
    """The folder holding the course's data: ``$COURSE_DATA_DIR``, else ``data/`` of the
    repository (or student bundle) this package lives in."""
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV]).expanduser()
    return Path(__file__).resolve().parent.parent / "data"


# --------------------------------------------------------------------------- HDF5 format
def write_course_h5(path, split: str, x: np.ndarray, y: np.ndarray, classes: np.ndarray):
    """Write one split in the course HDF5 format, atomically.

    ``x``: (m, H, W, 3) uint8, ``y``: (m,) int, ``classes``: (n_classes,) int. The file
    is written beside ``path`` under a temporary name and renamed into place, so a run
    killed midway never leaves a half-written file behind. Compression is gzip with
    byte shuffling; no timestamps are stored, so the same arrays give the same bytes.
    """
    import h5py

    _check_split(split)
    x, y, classes = np.asarray(x), np.asarray(y, dtype=np.int64), np.asarray(classes, np.int64)
    _validate(Path(path), split, x, y, classes, image_shape=None)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        opts = {"compression": "gzip", "compression_opts": 9, "shuffle": True}
        with h5py.File(tmp, "w", track_order=False) as f:
            chunk = (min(len(x), 64), *x.shape[1:]) if len(x) else None
            f.create_dataset(f"{split}_set_x", data=x, chunks=chunk, track_times=False, **opts)
            f.create_dataset(f"{split}_set_y", data=y, track_times=False)
            f.create_dataset("list_classes", data=classes, track_times=False)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; data files are for everyone
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def read_course_h5(path, split: str, image_shape=IMAGE_SHAPE):
    """Read one split of a course HDF5 file; return ``(x, y, classes)``.

    ``x``: (m, 64, 64, 3) uint8, ``y``: (m,) int64, ``classes``: (n_classes,) int64.
    Pass ``image_shape=None`` to accept any (H, W, 3).

    Raises
    ------
    DatasetError
        The file is missing, truncated or corrupt, lacks a key, or holds the wrong
        shape, dtype or labels; the message names the file and the key.
    """
    import h5py

    _check_split(split)
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: no such file. {_how_to_get(path)}")
    try:
        with h5py.File(path, "r") as f:
            arrays = {}
            for key in (f"{split}_set_x", f"{split}_set_y", "list_classes"):
                if key not in f:
                    raise DatasetError(
                        f"{path}: has no key '{key}' (it has {sorted(f.keys())}); a course "
                        f"{split} file holds {split}_set_x, {split}_set_y and list_classes."
                    )
                arrays[key] = f[key][()]
    except DatasetError:
        raise
    except Exception as exc:  # h5py raises OSError, KeyError or RuntimeError on bad bytes
        raise DatasetError(
            f"{path}: not a readable HDF5 file ({type(exc).__name__}: {exc}); it may be "
            f"truncated or corrupt. {_how_to_get(path)}"
        ) from exc
    x, y, classes = arrays[f"{split}_set_x"], arrays[f"{split}_set_y"], arrays["list_classes"]
    _validate(path, split, x, y, classes, image_shape)
    return x, y.astype(np.int64), classes.astype(np.int64)


def _check_split(split):
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")


def _validate(path, split, x, y, classes, image_shape):
    kx, ky = f"{split}_set_x", f"{split}_set_y"
    if x.dtype != np.uint8:
        raise DatasetError(f"{path}: '{kx}' has dtype {x.dtype}, expected uint8 pixels 0-255.")
    if x.ndim != 4 or x.shape[-1] != 3:
        raise DatasetError(f"{path}: '{kx}' has shape {x.shape}, expected (m, H, W, 3).")
    if image_shape is not None and tuple(x.shape[1:]) != tuple(image_shape):
        raise DatasetError(f"{path}: '{kx}' has shape {x.shape}, expected (m, *{image_shape}).")
    if not np.issubdtype(y.dtype, np.integer):
        raise DatasetError(f"{path}: '{ky}' has dtype {y.dtype}, expected integer labels.")
    if y.ndim != 1 or len(y) != len(x):
        raise DatasetError(
            f"{path}: '{ky}' has shape {y.shape}, expected ({len(x)},), one label per image."
        )
    if classes.ndim != 1 or not np.issubdtype(classes.dtype, np.integer):
        raise DatasetError(
            f"{path}: 'list_classes' is {classes.dtype} {classes.shape}, expected (n,) integers."
        )
    unknown = np.setdiff1d(np.unique(y), classes)
    if unknown.size:
        raise DatasetError(
            f"{path}: '{ky}' holds labels {unknown.tolist()} not in list_classes "
            f"{classes.tolist()}."
        )


def _how_to_get(path: Path) -> str:
    return (
        f"The shipped data sets are in the repository's data/{SYNTHETIC}/ folder: restore "
        f"them with 'git checkout -- data/' or rebuild them with '{REBUILD}'. "
        f"Set {DATA_ENV} to use another folder."
    )


# --------------------------------------------------------------------------- checksums
def sha256(path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_checksums(folder) -> dict[str, str]:
    """``{file name: sha256}`` from ``folder/SHA256SUMS`` (``sha256sum -c`` format)."""
    path = Path(folder) / CHECKSUMS
    if not path.is_file():
        raise DatasetError(f"{path}: no checksum list. {_how_to_get(path)}")
    sums = {}
    for line in path.read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.lstrip("*")] = digest
    return sums


_verified: dict[tuple, bool] = {}


def verify_shipped(path) -> None:
    """Refuse a shipped file whose bytes do not match its recorded checksum."""
    path = Path(path)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if _verified.get(key):
        return
    expected = read_checksums(path.parent).get(path.name)
    if expected is None:
        raise DatasetError(f"{path}: not listed in {path.parent / CHECKSUMS}. {_how_to_get(path)}")
    actual = sha256(path)
    if actual != expected:
        raise DatasetError(
            f"{path}: checksum mismatch (sha256 {actual[:12]}..., expected {expected[:12]}...); "
            f"the file is damaged or was changed. {_how_to_get(path)}"
        )
    _verified[key] = True


# --------------------------------------------------------------------------- Happy, SIGNS
def _load_course_set(name: str, folder=None) -> Dataset:
    folder = Path(folder) if folder is not None else data_dir()
    original = [folder / f"{split}_{name}.h5" for split in ("train", "test")]
    shipped = [folder / SYNTHETIC / f"{split}_{name}.h5" for split in ("train", "test")]
    if all(p.is_file() for p in original):
        paths, source = original, f"original course files in {folder}"
    elif any(p.is_file() for p in original):
        missing = next(p for p in original if not p.is_file())
        raise DatasetError(
            f"{missing}: missing, but its partner is in {folder}; put both original "
            f"files there, or remove the one to use the shipped synthetic set."
        )
    else:
        for p in shipped:
            if not p.is_file():
                raise DatasetError(
                    f"{p}: no such file (looked for the original {original[0].name} in "
                    f"{folder} too). {_how_to_get(p)}"
                )
            verify_shipped(p)
        paths, source = shipped, f"synthetic set shipped in {folder / SYNTHETIC}"
    x_train, y_train, classes = read_course_h5(paths[0], "train")
    x_test, y_test, test_classes = read_course_h5(paths[1], "test")
    if not np.array_equal(classes, test_classes):
        raise DatasetError(
            f"{paths[1]}: list_classes {test_classes.tolist()} differs from "
            f"{classes.tolist()} in {paths[0]}."
        )
    return Dataset(x_train, y_train, x_test, y_test, classes, name, source)


def load_happy(folder=None) -> Dataset:
    """The Happy House: 600 train / 150 test (64, 64, 3) uint8 faces; 1 smiling, 0 not."""
    return _load_course_set("happy", folder)


def load_signs(folder=None) -> Dataset:
    """SIGNS: 1080 train / 120 test (64, 64, 3) uint8 hands showing 0-5 fingers."""
    return _load_course_set("signs", folder)


def build_shipped(folder=None, seed: int | None = None) -> dict[str, str]:
    """(Re)generate the synthetic Happy and SIGNS files and their SHA256SUMS.

    Writes ``folder/{train,test}_{happy,signs}.h5`` (default ``data/synthetic``), each
    atomically, then the checksum list. Returns ``{file name: sha256}``.
    """
    from . import synthetic

    folder = Path(folder) if folder is not None else data_dir() / SYNTHETIC
    seed = synthetic.DEFAULT_SEED if seed is None else seed
    sums = {}
    for name, classes in (("happy", synthetic.HAPPY_CLASSES), ("signs", synthetic.SIGNS_CLASSES)):
        for split in ("train", "test"):
            x, y = synthetic.make_split(name, split, seed)
            path = folder / f"{split}_{name}.h5"
            write_course_h5(path, split, x, y, classes)
            sums[path.name] = sha256(path)
    lines = "".join(f"{digest}  {name}\n" for name, digest in sorted(sums.items()))
    tmp = folder / f".{CHECKSUMS}.part"
    tmp.write_text(lines)
    os.replace(tmp, folder / CHECKSUMS)
    return sums


# --------------------------------------------------------------------------- digits, photos
def load_digits(test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """Real handwritten digits for LeNet-5: scikit-learn's 1,797 scans (UCI, 8x8, 0-16).

    Each 8x8 scan is upsampled to 28x28 (bilinear) and padded by 2 pixels to 32x32,
    as LeNet-5's MNIST digits were. A fixed stratified split keeps ``test_fraction``
    of each class for testing.

    Returns a :class:`Dataset` with ``x``: (m, 32, 32, 1) float32 in [0, 1] (ink is 1),
    ``y``: (m,) int64, ``classes``: 0..9.
    """
    from PIL import Image
    from sklearn.datasets import load_digits as sk_digits
    from sklearn.model_selection import train_test_split

    digits = sk_digits()
    images = digits.images.astype(np.float32) / 16.0
    big = np.stack(
        [
            np.asarray(Image.fromarray(im, mode="F").resize((28, 28), Image.BILINEAR))
            for im in images
        ]
    )
    x = np.pad(np.clip(big, 0, 1), ((0, 0), (2, 2), (2, 2)))[..., None].astype(np.float32)
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_fraction, random_state=seed, stratify=y
    )
    source = "scikit-learn's copy of the UCI optical recognition of handwritten digits"
    return Dataset(
        x_train, y_train, x_test, y_test, np.arange(10, dtype=np.int64), "digits", source
    )


def load_photo(name: str, size: tuple[int, int] | None = None) -> np.ndarray:
    """A real photograph that scikit-image ships: one of ``PHOTOS``.

    Returns (H, W, 3) uint8, resized to ``size`` = (height, width) if given.
    """
    if name not in PHOTOS:
        raise ValueError(f"unknown photo {name!r}; choose one of {PHOTOS}")
    import skimage.data

    image = getattr(skimage.data, name)()[..., :3]
    if size is not None:
        image = _resize(image, size)
    return image


# --------------------------------------------------------------------------- your images
SAMPLES = {
    "astronaut_face": "astronaut_face.png",  # smiling: the Happy House
    "hand_sign": "hand_sign.png",  # three fingers: SIGNS
}


def sample_image_path(name: str = "astronaut_face") -> Path:
    """A picture that ships with the course for the "try your own image" cells:
    ``"astronaut_face"``, the astronaut Eileen Collins, smiling (NASA, public domain; from
    scikit-image), or ``"hand_sign"``, a hand showing three fingers (drawn like SIGNS, from
    a seed no split uses). See data/README.md."""
    if name not in SAMPLES:
        raise ValueError(f"unknown sample picture {name!r}; choose one of {sorted(SAMPLES)}")
    return data_dir() / "samples" / SAMPLES[name]


def _resize(image: np.ndarray, size) -> np.ndarray:
    from PIL import Image

    height, width = size
    return np.asarray(Image.fromarray(image).resize((width, height), Image.BILINEAR))


def load_image(path, size: tuple[int, int] | None = (64, 64)) -> np.ndarray:
    """One picture as (height, width, 3) uint8, for the "try your own image" cells.

    Phone photos are turned upright (EXIF orientation); grey or transparent images
    become RGB. ``size`` = (height, width), or None to keep the original size.
    """
    from PIL import Image, ImageOps

    path = Path(path)
    if not path.is_file():
        raise DatasetError(
            f"{path}: no such image file; check the path (relative to {Path.cwd()})."
        )
    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im)
            image = np.asarray(im.convert("RGB"))
    except Exception as exc:
        raise DatasetError(
            f"{path}: cannot be read as an image ({type(exc).__name__}: {exc}); "
            f"use a JPEG or PNG file."
        ) from exc
    return _resize(image, size) if size is not None else image


def load_image_folder(
    path,
    image_size: tuple[int, int] = (64, 64),
    skip_unreadable: bool = False,
    as_tf_dataset: bool = False,
    batch_size: int = 32,
    seed: int = 0,
):
    """Your own images, one sub-folder per class (``path/<class name>/*.jpg``).

    Returns ``(x, y, class_names)``: x (m, height, width, 3) uint8, y (m,) int64 (the
    index of the sub-folder in sorted order), class_names a list of str. With
    ``as_tf_dataset=True``, returns ``(dataset, class_names)``: a shuffled, batched,
    prefetched ``tf.data.Dataset`` of float32 images in [0, 1] and labels.

    An unreadable file raises :class:`DatasetError` naming it; with
    ``skip_unreadable=True`` it is skipped with a warning that names it.
    """
    root = Path(path)
    if not root.is_dir():
        raise DatasetError(f"{root}: no such folder; it should hold one sub-folder per class.")
    class_names = sorted(
        d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")
    )
    if not class_names:
        raise DatasetError(
            f"{root}: no class sub-folders; put each class's images in its own folder."
        )
    images, labels, skipped = [], [], []
    for label, name in enumerate(class_names):
        for file in sorted((root / name).iterdir()):
            if file.suffix.lower() not in IMAGE_EXTENSIONS or file.name.startswith("."):
                continue
            try:
                images.append(load_image(file, image_size))
            except DatasetError as exc:
                if not skip_unreadable:
                    raise DatasetError(f"{exc} (pass skip_unreadable=True to skip it)") from exc
                skipped.append(file)
                continue
            labels.append(label)
    if skipped:
        warnings.warn(
            f"skipped {len(skipped)} unreadable image(s): {', '.join(map(str, skipped))}",
            stacklevel=2,
        )
    if not images:
        raise DatasetError(f"{root}: no readable images ({', '.join(IMAGE_EXTENSIONS)}).")
    x = np.stack(images)
    y = np.asarray(labels, dtype=np.int64)
    if as_tf_dataset:
        return as_dataset(normalize(x), y, batch_size=batch_size, seed=seed), class_names
    return x, y, class_names


# --------------------------------------------------------------------------- helpers
def normalize(x: np.ndarray) -> np.ndarray:
    """uint8 pixels 0-255 -> float32 in [0, 1]. ``x``: any shape."""
    return np.asarray(x, dtype=np.float32) / 255.0


def convert_to_one_hot(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Labels (m,) -> one-hot (m, n_classes) float32.

    (The original course returned (n_classes, m) and transposed it; Keras wants
    (m, n_classes).)
    """
    y = np.asarray(y).reshape(-1)
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"labels must be 0..{n_classes - 1}, found {y.min()}..{y.max()}")
    return np.eye(n_classes, dtype=np.float32)[y]


def train_dev_split(x: np.ndarray, y: np.ndarray, dev_fraction: float = 0.2, seed: int = 0):
    """Split a training set into train and dev sets, the same way every time.

    Tune on the dev set and report the test set once: tuning on the test set turns it
    into a dev set. Stratified: each class keeps its share. Returns
    ``(x_train, y_train, x_dev, y_dev)``.
    """
    if not 0 < dev_fraction < 1:
        raise ValueError(f"dev_fraction must be between 0 and 1, got {dev_fraction}")
    rng = np.random.default_rng(seed)
    dev = []
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        rng.shuffle(members)
        dev.extend(members[: max(1, round(len(members) * dev_fraction))])
    mask = np.zeros(len(y), dtype=bool)
    mask[dev] = True
    return x[~mask], y[~mask], x[mask], y[mask]


def as_dataset(x, y, batch_size: int = 32, shuffle: bool = True, seed: int = 0, distort=None):
    """A ``tf.data`` pipeline over arrays: shuffled (seeded), batched, distorted,
    prefetched.

    ``x``: (m, ...), ``y``: (m, ...). Reshuffles every epoch, in the same order on
    every run. ``distort``: an optional function ``(x_batch, y_batch) -> (x, y)`` run on
    each batch in parallel on the CPU while the model trains (data augmentation).
    """
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    if distort is not None:
        ds = ds.map(distort, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


# --------------------------------------------------------------------------- CLI
def main(argv=None) -> int:
    """``python -m course_utils.datasets build | verify | preview``."""
    import argparse
    import time

    parser = argparse.ArgumentParser(prog="python -m course_utils.datasets")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build", help="regenerate data/synthetic/ and its SHA256SUMS")
    p.add_argument("--out", default=None, help="folder (default: data/synthetic)")
    sub.add_parser("verify", help="check the shipped files against SHA256SUMS and load them")
    p = sub.add_parser("preview", help="save a labelled grid of Happy and SIGNS images")
    p.add_argument("--out", default="build/preview/datasets.png")
    args = parser.parse_args(argv)

    if args.command == "build":
        start = time.perf_counter()
        for name, digest in build_shipped(args.out).items():
            print(f"{digest}  {name}")
        print(f"built in {time.perf_counter() - start:.1f} s")
    elif args.command == "verify":
        for loader in (load_happy, load_signs, load_digits):
            start = time.perf_counter()
            print(f"{loader()}  [{time.perf_counter() - start:.2f} s]")
    else:
        from .plotting import save_dataset_preview

        print(f"saved {save_dataset_preview(args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
