"""Data for every assignment, offline: the course HDF5 format, Happy House, SIGNS, real
handwritten digits, real photographs, and folders of your own images.

Where the data comes from (``data/README.md`` has provenance, licences and checksums):

- ``load_happy()``, ``load_signs()``: the course's HDF5 files. The original course files
  (``data/train_happy.h5`` ...) are used as they are when an instructor puts them in
  ``data/``; otherwise the sets shipped with the course, verified against their
  ``SHA256SUMS`` before use: Happy House drawn by ``course_utils.synthetic``
  (``data/synthetic/``), SIGNS real photographs of 1,237 hands, split by signer
  (``data/signs/``, converted by :func:`build_signs` from the Sign Language Digits
  Dataset, Mavi 2020, Apache License 2.0).
- ``somewhere_else(x)``: the same test photographs as if taken somewhere else (another
  framing, light, background and camera), to measure what a model does away from the
  pale wall of one school.
- ``load_digits()``: scikit-learn's 1,797 real 8x8 handwritten digits, upsampled to
  LeNet-5's 32x32 input.
- ``load_photo(name)``: real photographs that scikit-image ships.
- ``load_image_folder(path)``, ``load_image(path)``: your own pictures.

The course HDF5 format (the layout of the original course files)::

    train_*.h5: train_set_x (m, 64, 64, 3) uint8, train_set_y (m,) int64,
                list_classes (n_classes,) int64
                [train_set_signer (m,) int64: who took each picture; SIGNS only]
    test_*.h5:  test_set_x, test_set_y, list_classes [, test_set_signer]

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
SIGNS_PHOTOS = "signs"  # data/signs/: the real SIGNS photographs
SHIPPED_IN = {"happy": SYNTHETIC, "signs": SIGNS_PHOTOS}
CHECKSUMS = "SHA256SUMS"
IMAGE_SHAPE = (64, 64, 3)
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field")
REBUILD = {
    SYNTHETIC: "python -m course_utils.datasets build",
    SIGNS_PHOTOS: "python -m course_utils.datasets build-signs PHOTOS",
}


class DatasetError(ValueError):
    """A data file is missing, unreadable, or not in the expected format."""


@dataclass(frozen=True)
class Dataset:
    """A train/test data set. Unpacks like the original course's ``load_dataset()``::

        X_train, Y_train, X_test, Y_test, classes = load_happy()

    ``x_*``: (m, H, W, C) images; ``y_*``: (m,) int64 labels; ``classes``: (n_classes,).
    ``source`` says which files it came from. ``signers_*``: (m,) int64, who took each
    picture (SIGNS photographs), or None where the files do not say (the original course
    files, the drawings): pass ``signers_train`` to :func:`train_dev_split` so that no
    person is in both the train and the dev set.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: np.ndarray
    name: str = ""
    source: str = ""
    signers_train: np.ndarray | None = None
    signers_test: np.ndarray | None = None

    def __iter__(self):
        return iter((self.x_train, self.y_train, self.x_test, self.y_test, self.classes))

    def __repr__(self) -> str:
        counts = np.bincount(self.y_train, minlength=len(self.classes)).tolist()
        people = ""
        if self.signers_train is not None and self.signers_test is not None:
            people = (
                f", {len(np.unique(self.signers_train))} train / "
                f"{len(np.unique(self.signers_test))} test signers"
            )
        return (
            f"Dataset({self.name!r}: x_train {self.x_train.shape} {self.x_train.dtype}, "
            f"x_test {self.x_test.shape}, classes {self.classes.tolist()}, "
            f"train per class {counts}{people}; from {self.source})"
        )


# --------------------------------------------------------------------------- where
def data_dir() -> Path:
    """The folder holding the course's data: ``$COURSE_DATA_DIR``, else ``data/`` of the
    repository (or student bundle) this package lives in."""
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV]).expanduser()
    return Path(__file__).resolve().parent.parent / "data"


# --------------------------------------------------------------------------- HDF5 format
def write_course_h5(path, split: str, x: np.ndarray, y: np.ndarray, classes: np.ndarray,
                    signers: np.ndarray | None = None):  # fmt: skip
    """Write one split in the course HDF5 format, atomically.

    ``x``: (m, H, W, 3) uint8, ``y``: (m,) int, ``classes``: (n_classes,) int;
    ``signers``: optional (m,) int, who took each picture (``{split}_set_signer``, a key
    the original files do not have and their readers ignore). The file is written beside
    ``path`` under a temporary name and renamed into place, so a run killed midway never
    leaves a half-written file behind. Compression is gzip level 9 with byte shuffling;
    no timestamps are stored, so the same arrays give the same bytes.
    """
    import h5py

    _check_split(split)
    x, y, classes = np.asarray(x), np.asarray(y, dtype=np.int64), np.asarray(classes, np.int64)
    _validate(Path(path), split, x, y, classes, image_shape=None)
    if signers is not None:
        signers = np.asarray(signers, dtype=np.int64)
        if signers.shape != y.shape:
            raise ValueError(f"signers has shape {signers.shape}, expected {y.shape}")
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
            if signers is not None:
                f.create_dataset(f"{split}_set_signer", data=signers, track_times=False)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; data files are for everyone
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def read_course_h5(path, split: str, image_shape=IMAGE_SHAPE, signers: bool = False):
    """Read one split of a course HDF5 file; return ``(x, y, classes)``.

    ``x``: (m, 64, 64, 3) uint8, ``y``: (m,) int64, ``classes``: (n_classes,) int64.
    Pass ``image_shape=None`` to accept any (H, W, 3). With ``signers=True``, returns
    ``(x, y, classes, signers)``: ``signers`` (m,) int64 from ``{split}_set_signer``, or
    None where the file has no such key (the original course files).

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
            who = f[f"{split}_set_signer"][()] if f"{split}_set_signer" in f else None
    except DatasetError:
        raise
    except Exception as exc:  # h5py raises OSError, KeyError or RuntimeError on bad bytes
        raise DatasetError(
            f"{path}: not a readable HDF5 file ({type(exc).__name__}: {exc}); it may be "
            f"truncated or corrupt. {_how_to_get(path)}"
        ) from exc
    x, y, classes = arrays[f"{split}_set_x"], arrays[f"{split}_set_y"], arrays["list_classes"]
    _validate(path, split, x, y, classes, image_shape)
    if not signers:
        return x, y.astype(np.int64), classes.astype(np.int64)
    if who is not None and (who.shape != y.shape or not np.issubdtype(who.dtype, np.integer)):
        raise DatasetError(
            f"{path}: '{split}_set_signer' is {who.dtype} {who.shape}, expected ({len(y)},) "
            f"integers, one signer per image."
        )
    return (
        x,
        y.astype(np.int64),
        classes.astype(np.int64),
        (None if who is None else who.astype(np.int64)),
    )


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
    folder = SIGNS_PHOTOS if "signs" in Path(path).name else SYNTHETIC
    return (
        f"The shipped data sets are in the repository's data/{folder}/ folder: restore "
        f"them with 'git checkout -- data/' or rebuild them with '{REBUILD[folder]}'. "
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
    ships = SHIPPED_IN[name]
    shipped = [folder / ships / f"{split}_{name}.h5" for split in ("train", "test")]
    if all(p.is_file() for p in original):
        paths, source = original, f"original course files in {folder}"
    elif any(p.is_file() for p in original):
        missing = next(p for p in original if not p.is_file())
        raise DatasetError(
            f"{missing}: missing, but its partner is in {folder}; put both original "
            f"files there, or remove the one to use the set shipped in {folder / ships}."
        )
    else:
        for p in shipped:
            if not p.is_file():
                raise DatasetError(
                    f"{p}: no such file (looked for the original {original[0].name} in "
                    f"{folder} too). {_how_to_get(p)}"
                )
            verify_shipped(p)
        paths = shipped
        source = {
            SYNTHETIC: f"synthetic set shipped in {folder / ships}",
            SIGNS_PHOTOS: f"real photographs shipped in {folder / ships} (Sign Language "
            f"Digits Dataset, Mavi 2020, Apache License 2.0; converted)",
        }[ships]
    x_train, y_train, classes, signers_train = read_course_h5(paths[0], "train", signers=True)
    x_test, y_test, test_classes, signers_test = read_course_h5(paths[1], "test", signers=True)
    if not np.array_equal(classes, test_classes):
        raise DatasetError(
            f"{paths[1]}: list_classes {test_classes.tolist()} differs from "
            f"{classes.tolist()} in {paths[0]}."
        )
    if (signers_train is None) != (signers_test is None):
        signers_train = signers_test = None  # a mixed pair: nobody's identity is known
    if signers_train is not None:
        both = np.intersect1d(signers_train, signers_test)
        if both.size:
            raise DatasetError(
                f"{paths[1]}: signers {both[:5].tolist()} are in the train set too; a test "
                f"set of people the model never saw holds nobody from {paths[0].name}."
            )
    return Dataset(
        x_train, y_train, x_test, y_test, classes, name, source, signers_train, signers_test
    )


def load_happy(folder=None) -> Dataset:
    """The Happy House: 600 train / 150 test (64, 64, 3) uint8 faces; 1 smiling, 0 not.

    Drawings (``data/synthetic/``), not photographs: see data/README.md for what a model
    trained on them does with a real face."""
    return _load_course_set("happy", folder)


def load_signs(folder=None) -> Dataset:
    """SIGNS: real photographs of hands signing the digits 0-5 (American Sign Language),
    (64, 64, 3) uint8, split by signer: 989 train photos of 151 signers, 248 test photos
    of 40 others (``signers_train``, ``signers_test`` say who; data/README.md says how
    they were keyed). The original course files win where an instructor puts them in
    ``data/``."""
    return _load_course_set("signs", folder)


def build_shipped(folder=None, seed: int | None = None) -> dict[str, str]:
    """(Re)generate the synthetic Happy House files and their SHA256SUMS.

    Writes ``folder/{train,test}_happy.h5`` (default ``data/synthetic``), each
    atomically, then the checksum list. Returns ``{file name: sha256}``.
    """
    from . import synthetic

    folder = Path(folder) if folder is not None else data_dir() / SYNTHETIC
    seed = synthetic.DEFAULT_SEED if seed is None else seed
    sums = {}
    for split in ("train", "test"):
        x, y = synthetic.make_split("happy", split, seed)
        path = folder / f"{split}_happy.h5"
        write_course_h5(path, split, x, y, synthetic.HAPPY_CLASSES)
        sums[path.name] = sha256(path)
    _write_checksums(folder, sums)
    return sums


def _write_checksums(folder: Path, sums: dict[str, str]) -> None:
    lines = "".join(f"{digest}  {name}\n" for name, digest in sorted(sums.items()))
    tmp = folder / f".{CHECKSUMS}.part"
    tmp.write_text(lines)
    os.replace(tmp, folder / CHECKSUMS)


# --------------------------------------------------------------------------- SIGNS, built
SIGNS_SOURCE = "ardamavi/Sign-Language-Digits-Dataset"
SIGNS_COMMIT = "4b09433ef9d5c60602e8805bb54b8aa2428527f8"
SIGNS_CLASSES = np.arange(6, dtype=np.int64)  # the digits the course uses
SIGNS_TEST_FRACTION = 0.2
SIGNS_SPLIT_SEED = 2017  # the year the course's SIGNS set was published
SIGNER_GAP = 10  # a signer's ten photos are numbered within ten of each other
SAMPLE_SIGN = 3  # the "try your own image" photo: a test signer's 3


@dataclass(frozen=True)
class Photo:
    """One original photograph: ``file`` relative to the photo folder (``Dataset/3/
    IMG_4509.JPG``), its ``digit`` and ``signer`` (the key of the person, see
    :func:`signs_photos`)."""

    file: str
    digit: int
    signer: int


def signs_photos(photos) -> list[Photo]:
    """Every photograph of the Sign Language Digits Dataset in ``photos`` (the folder
    holding ``Dataset/0`` ... ``Dataset/9``), digits 0-9, with who signed it.

    Each student photographed the ten digits in order, so ``IMG_<n>.JPG`` in folder
    ``<d>`` belongs to the student keyed by ``n - d`` (its SOURCE.md). Where a run is
    broken (a digit retaken or skipped), one person's photos get keys a few apart; keys
    closer than :data:`SIGNER_GAP` are therefore one signer, keyed by the smallest.
    (That can put two people under one key, never one person under two.)
    """
    import re

    root = Path(photos) / "Dataset"
    if not root.is_dir():
        raise DatasetError(
            f"{root}: no such folder. Give the folder of the Sign Language Digits Dataset "
            f"(the one holding Dataset/0 ... Dataset/9, LICENSE), from {SIGNS_SOURCE} at "
            f"commit {SIGNS_COMMIT}."
        )
    raw = []
    for digit in range(10):
        folder = root / str(digit)
        if not folder.is_dir():
            raise DatasetError(f"{folder}: no such folder; expected Dataset/0 ... Dataset/9.")
        for file in sorted(folder.iterdir()):
            match = re.fullmatch(r"IMG_(\d+)\.JPG", file.name)
            if not match:
                raise DatasetError(f"{file}: not named IMG_<number>.JPG like the others.")
            raw.append((f"Dataset/{digit}/{file.name}", digit, int(match.group(1)) - digit))
    keys = sorted({key for _, _, key in raw})
    signer, first = {}, keys[0]
    for previous, key in zip([None, *keys], keys, strict=False):
        if previous is not None and key - previous >= SIGNER_GAP:
            first = key
        signer[key] = first
    return [Photo(file, digit, signer[key]) for file, digit, key in raw]


def split_by_signer(photos: list[Photo], test_fraction=SIGNS_TEST_FRACTION,
                    seed=SIGNS_SPLIT_SEED) -> tuple[list[Photo], list[Photo]]:  # fmt: skip
    """(train, test): whole signers, drawn in a seeded order, go to the test set until it
    holds ``test_fraction`` of the photos; nobody is on both sides. Each side is then
    shuffled (seeded), so that its first pictures show many people."""
    people = sorted({p.signer for p in photos})
    order = np.random.default_rng(seed).permutation(len(people))
    per_person = {k: sum(p.signer == k for p in photos) for k in people}
    test, count = set(), 0
    for i in order:
        if count >= round(test_fraction * len(photos)):
            break
        test.add(people[i])
        count += per_person[people[i]]
    sides = ([p for p in photos if p.signer not in test], [p for p in photos if p.signer in test])
    rng = np.random.default_rng([seed, 1])
    return tuple([side[i] for i in rng.permutation(len(side))] for side in sides)


def build_signs(photos, folder=None, samples=None) -> dict[str, str]:
    """Convert the original photographs into the course's SIGNS files, bit for bit.

    ``photos``: the folder of the Sign Language Digits Dataset (``Dataset/``,
    ``LICENSE``, ``README.md``). Digits 0-5 are kept, each photo is read and resized to
    64x64 exactly as :func:`load_image` reads a photo of yours (EXIF orientation, RGB,
    bilinear), and the signers are split by :func:`split_by_signer`. Writes, in
    ``folder`` (default ``data/signs``): ``train_signs.h5``, ``test_signs.h5`` (with
    ``*_set_signer``), ``photos.csv`` (split, index, label, signer, original file of
    every picture), the dataset's ``LICENSE`` and ``README.md`` unchanged, a ``NOTICE``
    saying what was changed, and ``SHA256SUMS``; and, in ``samples`` (default
    ``data/samples``), ``hand_sign.jpg``: the original bytes of one test signer's photo
    of a 3. Returns ``{file name: sha256}``.
    """
    import shutil

    photos = Path(photos)
    if not photos.is_dir():
        raise DatasetError(
            f"{photos}: no such folder. Give the folder of the Sign Language Digits Dataset "
            f"(holding Dataset/, LICENSE, README.md), from {SIGNS_SOURCE} at commit "
            f"{SIGNS_COMMIT}."
        )
    for name in ("LICENSE", "README.md"):
        if not (photos / name).is_file():
            raise DatasetError(
                f"{photos / name}: missing; the photographs ship under the Apache License "
                f"2.0 and are not converted without it (get {SIGNS_SOURCE})."
            )
    kept = [p for p in signs_photos(photos) if p.digit in SIGNS_CLASSES]
    folder = Path(folder) if folder is not None else data_dir() / SIGNS_PHOTOS
    samples = Path(samples) if samples is not None else data_dir() / "samples"
    folder.mkdir(parents=True, exist_ok=True)
    sums, rows = {}, ["split,index,label,signer,file"]
    for split, side in zip(("train", "test"), split_by_signer(kept), strict=True):
        x = np.stack([load_image(photos / p.file, IMAGE_SHAPE[:2]) for p in side])
        y = np.array([p.digit for p in side], dtype=np.int64)
        who = np.array([p.signer for p in side], dtype=np.int64)
        path = folder / f"{split}_signs.h5"
        write_course_h5(path, split, x, y, SIGNS_CLASSES, signers=who)
        sums[path.name] = sha256(path)
        rows += [f"{split},{i},{p.digit},{p.signer},{p.file}" for i, p in enumerate(side)]
        if split == "test":
            sample = min((p for p in side if p.digit == SAMPLE_SIGN), key=lambda p: p.file)
    (folder / "photos.csv").write_text("\n".join(rows) + "\n")
    sums["photos.csv"] = sha256(folder / "photos.csv")
    for name in ("LICENSE", "README.md"):
        shutil.copyfile(photos / name, folder / name)
    (folder / "NOTICE").write_text(NOTICE.format(sample=sample.file, signer=sample.signer))
    samples.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(photos / sample.file, samples / SAMPLES["hand_sign"])
    _write_checksums(folder, sums)
    return sums


NOTICE = """\
SIGNS, the course's hand-sign photographs, converted from the Sign Language Digits Dataset
by Turkey Ankara Ayranci Anadolu High School's students (Zeynep Dikle & Arda Mavi),
https://github.com/ardamavi/Sign-Language-Digits-Dataset, commit
4b09433ef9d5c60602e8805bb54b8aa2428527f8, licensed under the Apache License, Version 2.0
(LICENSE in this folder; their README.md, unchanged, beside it).

Cite: Mavi, A. (2020), "A New Dataset and Proposed Convolutional Neural Network
Architecture for Classification of American Sign Language Digits", arXiv:2011.08927.

These files were changed from the originals: only the digits 0-5 are kept; every 100x100
JPEG photograph was decoded, resized to 64x64 (bilinear) and stored as uint8 pixels in
HDF5 files (train_signs.h5, test_signs.h5), split by signer; photos.csv lists the original
file of every picture. ../samples/hand_sign.jpg is the original file {sample}
(signer {signer}, a test signer), unchanged. The conversion is
course_utils.datasets.build_signs: python -m course_utils.datasets build-signs PHOTOS
"""


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
    "hand_sign": "hand_sign.jpg",  # a real photo of a 3, by a signer no model trains on
}


def sample_image_path(name: str = "astronaut_face") -> Path:
    """A picture that ships with the course for the "try your own image" cells:
    ``"astronaut_face"``, the astronaut Eileen Collins, smiling (NASA, public domain; from
    scikit-image), or ``"hand_sign"``, a real 100x100 photograph of a hand signing 3, the
    original file, by a person of the SIGNS test set (no model of the course trains on
    it). See data/README.md."""
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


# --------------------------------------------------------------------------- somewhere else
SKIN_CHROMA = 0.05  # (R - B) / (R + G + B) above this is a hand, not the pale wall
ELSEWHERE_FACTORS = ("framing", "background", "light", "camera")
# The chance that each factor changes a picture. Chosen so that assignment 3's model
# (ResNet-50, mirrored batches, 10 epochs) scores here about what it was reported to score
# on real photographs from another source, 0.55 (which the course does not have);
# benchmarks/elsewhere_strength.py measures that model at each strength.
ELSEWHERE_RATE = 0.4
# real photographs scikit-image ships, for the new backgrounds: a table, a room, a cat on
# a blanket, trees and sky, a brick wall, grass, gravel (the training augmentation's own
# photographs, training.TRAINING_BACKGROUNDS, are others: a test of pictures trained on
# would measure nothing)
ELSEWHERE_BACKGROUNDS = ("coffee", "astronaut", "chelsea", "rocket", "brick", "grass", "gravel")


def hand_mask(x: np.ndarray) -> np.ndarray:
    """Where the hand (or arm) is, in a SIGNS photograph: skin is redder than it is blue,
    the school's wall is grey. ``x``: (..., H, W, 3) uint8 (or float in [0, 1]).

    Returns (..., H, W) float32 in [0, 1]: a soft mask, 1 on the hand, 0 on the wall, a
    ramp of about one pixel at the edge (a 3x3 mean of a chromaticity threshold).
    """
    x = np.asarray(x)
    x = normalize(x) if x.dtype == np.uint8 else x.astype(np.float32)
    total = x.sum(axis=-1) + np.float32(3 / 255)  # a black pixel is not a hand
    hard = ((x[..., 0] - x[..., 2]) / total > SKIN_CHROMA).astype(np.float32)
    pad = [(0, 0)] * (hard.ndim - 2) + [(1, 1), (1, 1)]
    padded = np.pad(hard, pad, mode="edge")
    h, w = hard.shape[-2:]
    soft = sum(padded[..., i : i + h, j : j + w] for i in range(3) for j in range(3)) / 9
    return soft.astype(np.float32)


def skimage_picture(name: str) -> np.ndarray:
    """One of the pictures scikit-image ships (``skimage.data.<name>``), read offline, as
    (H, W, 3) uint8: a grey picture repeated over the three channels, the left view of a
    stereo pair."""
    import skimage.data

    image = getattr(skimage.data, name)()
    image = image[0] if isinstance(image, tuple) else image
    return np.repeat(image[..., None], 3, -1) if image.ndim == 2 else image[..., :3]


def _background_photos() -> list[np.ndarray]:
    return [skimage_picture(name) for name in ELSEWHERE_BACKGROUNDS]


def _new_background(rng, photos, size) -> np.ndarray:
    """(size, size, 3) float64 0-255: a crop of a real photograph (two in three) or a
    painted wall of any colour with a light gradient."""
    if rng.random() < 2 / 3:
        photo = photos[rng.integers(len(photos))].astype(np.float64)
        side = int(rng.uniform(0.2, 0.6) * min(photo.shape[:2]))
        top = rng.integers(0, photo.shape[0] - side + 1)
        left = rng.integers(0, photo.shape[1] - side + 1)
        crop = photo[top : top + side, left : left + side]
        if photo[..., 0].tobytes() == photo[..., 1].tobytes():  # a grey texture: tint it
            crop = crop * rng.uniform(0.6, 1.2, 3)
        crop = _resize(np.clip(crop, 0, 255).astype(np.uint8), (size, size)).astype(np.float64)
        return crop[:, ::-1] if rng.random() < 0.5 else crop
    import colorsys

    colour = 255 * np.array(colorsys.hsv_to_rgb(rng.random(), rng.uniform(0.05, 0.6),
                                                rng.uniform(0.25, 0.95)))  # fmt: skip
    ramp = np.linspace(-1, 1, size)
    angle = rng.uniform(0, 2 * np.pi)
    light = 1 + rng.uniform(0, 0.3) * (
        np.cos(angle) * ramp[None, :] + np.sin(angle) * ramp[:, None]
    )
    return np.clip(colour * light[..., None], 0, 255)


def _reframe(image, mask, rng):
    """Another framing: scale (0.6-1.1: the hand further away or closer), rotation
    (+-25 degrees) and shift (+-12% of the frame); the wall and the arm are extended
    beyond the photograph's edges."""
    from PIL import Image

    size = image.shape[0]
    pad = size  # enough for the smallest scale at any angle
    big = np.pad(image, ((pad, pad), (pad, pad), (0, 0)), mode="edge")
    big_mask = np.pad(mask, pad, mode="edge")
    scale = np.exp(rng.uniform(np.log(0.6), np.log(1.1)))
    angle = np.radians(rng.uniform(-25, 25))
    shift = rng.uniform(-0.12, 0.12, 2) * size
    c, s = np.cos(angle) / scale, np.sin(angle) / scale
    centre_out = size / 2 + shift
    centre_in = pad + size / 2
    # output (u, v) -> input: centre_in + R(angle) / scale @ ((u, v) - centre_out)
    coeffs = (c, -s, centre_in - c * centre_out[0] + s * centre_out[1],
              s, c, centre_in - s * centre_out[0] - c * centre_out[1])  # fmt: skip

    def warp(a, mode):
        return np.asarray(
            Image.fromarray(a, mode).transform((size, size), Image.AFFINE, coeffs, Image.BILINEAR)
        )

    image = warp(big, "RGB")
    mask = warp(np.round(big_mask * 255).astype(np.uint8), "L").astype(np.float32) / 255
    return image, mask


def _relight(image, rng):
    """Another light: colour temperature (warm to cold), exposure, gamma and a light
    coming from one side. ``image``: float64 0-255."""
    warmth = rng.uniform(-1, 1)
    gains = np.array([1 + 0.2 * warmth, 1 + rng.uniform(-0.05, 0.05), 1 - 0.2 * warmth])
    exposure = np.exp(rng.uniform(np.log(0.6), np.log(1.4)))
    size = image.shape[0]
    ramp = np.linspace(-1, 1, size)
    angle = rng.uniform(0, 2 * np.pi)
    side = 1 + rng.uniform(0, 0.35) * (
        np.cos(angle) * ramp[None, :] + np.sin(angle) * ramp[:, None]
    )
    lit = np.clip(image / 255 * gains * exposure * side[..., None], 0, 1)
    return 255 * lit ** np.exp(rng.uniform(-0.3, 0.3))


def _recamera(image, rng):
    """Another camera: blur or a lower resolution, sensor noise, JPEG compression.
    ``image``: uint8 (H, W, 3); returns uint8."""
    import io

    from PIL import Image, ImageFilter

    size = image.shape[0]
    picture = Image.fromarray(image)
    if rng.random() < 0.5:
        picture = picture.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.2)))
    elif rng.random() < 0.6:
        low = int(rng.integers(24, 44))
        picture = picture.resize((low, low), Image.BILINEAR).resize((size, size), Image.BILINEAR)
    pixels = np.asarray(picture).astype(np.float64)
    if rng.random() < 0.5:
        pixels = pixels + rng.normal(0, rng.uniform(2, 8), pixels.shape)
    picture = Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8))
    if rng.random() < 0.8:
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=int(rng.integers(20, 60)))
        picture = Image.open(buffer)
    return np.asarray(picture.convert("RGB"))


def elsewhere_changes(
    m: int, seed: int = 0, factors=ELSEWHERE_FACTORS, rate: float = ELSEWHERE_RATE
) -> list[set[str]]:
    """Which of ``factors`` :func:`somewhere_else` changes in each of ``m`` pictures
    drawn with the same ``seed`` and ``rate``: a list of ``m`` sets (an empty set: the
    picture as taken). Each picture draws from ``default_rng([seed, i, 1])``."""
    changes = []
    for i in range(m):
        drawn = np.random.default_rng([seed, i, 1]).random(len(ELSEWHERE_FACTORS)) < rate
        changes.append(
            {f for f, on in zip(ELSEWHERE_FACTORS, drawn, strict=True) if on and f in factors}
        )
    return changes


def somewhere_else(
    x: np.ndarray, seed: int = 0, factors=ELSEWHERE_FACTORS, rate: float = ELSEWHERE_RATE
) -> np.ndarray:
    """The same photographs as if taken somewhere else: another framing, light,
    background and camera, in combinations. Build it from test photos only, never train
    on it: it stands in for photos from another source (other people's kitchens, other
    phones), which the course does not have.

    ``x``: (m, H, W, 3) uint8 SIGNS photographs. ``factors``: which of
    ``ELSEWHERE_FACTORS`` change (default all):

    - ``"framing"``: the hand smaller or larger (scale 0.6-1.1), rotated (+-25 degrees),
      off centre (+-12%);
    - ``"background"``: the wall replaced (four pictures in five) by a crop of a real
      photograph (``ELSEWHERE_BACKGROUNDS``) or a painted wall of any colour;
    - ``"light"``: colour temperature (red and blue gains +-20%), exposure (x0.6-1.4),
      gamma, a light from one side;
    - ``"camera"``: blur or a lower resolution, sensor noise, JPEG quality 20-60.

    Each factor changes a picture with probability ``rate`` (default
    :data:`ELSEWHERE_RATE`), so that the pictures differ from the school's in one way, in
    several, in all four (``rate ** 4`` of them) or in none (``(1 - rate) ** 4``); with
    ``rate=1`` every picture changes in every factor asked for.
    Each picture draws which factors change from ``default_rng([seed, i, 1])``
    (:func:`elsewhere_changes` lists them) and the changes from ``default_rng([seed, i])``,
    so the same seed gives the same pictures.
    Returns (m, H, W, 3) uint8.
    """
    x = np.asarray(x)
    if x.ndim != 4 or x.shape[-1] != 3 or x.dtype != np.uint8:
        raise ValueError(f"x must be (m, H, W, 3) uint8 photographs, got {x.dtype} {x.shape}")
    unknown = set(factors) - set(ELSEWHERE_FACTORS)
    if unknown:
        raise ValueError(f"unknown factors {sorted(unknown)}; choose from {ELSEWHERE_FACTORS}")
    photos = _background_photos() if "background" in factors else None
    masks = hand_mask(x)
    out = np.empty_like(x)
    changes = elsewhere_changes(len(x), seed, factors, rate)
    for i, (image, mask, change) in enumerate(zip(x, masks, changes, strict=True)):
        rng = np.random.default_rng([seed, i])
        if "framing" in change:
            image, mask = _reframe(image, mask, rng)
        pixels = image.astype(np.float64)
        if "background" in change and rng.random() < 0.8:
            wall = _new_background(rng, photos, image.shape[0])
            pixels = mask[..., None] * pixels + (1 - mask[..., None]) * wall
        if "light" in change:
            pixels = _relight(pixels, rng)
        image = np.clip(np.rint(pixels), 0, 255).astype(np.uint8)
        if "camera" in change:
            image = _recamera(image, rng)
        out[i] = image
    return out


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


def train_dev_split(x: np.ndarray, y: np.ndarray, dev_fraction: float = 0.2, seed: int = 0,
                    groups: np.ndarray | None = None):  # fmt: skip
    """Split a training set into train and dev sets, the same way every time.

    Tune on the dev set and report the test set once: tuning on the test set turns it
    into a dev set. Without ``groups``: stratified, each class keeps its share. With
    ``groups`` ((m,), for example ``Dataset.signers_train``): whole groups go to the dev
    set, drawn in a seeded order until it holds ``dev_fraction`` of the examples, so that
    no person is in both (a dev set of the same people flatters the model). Returns
    ``(x_train, y_train, x_dev, y_dev)``.
    """
    if not 0 < dev_fraction < 1:
        raise ValueError(f"dev_fraction must be between 0 and 1, got {dev_fraction}")
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(y), dtype=bool)
    if groups is not None:
        groups = np.asarray(groups)
        if groups.shape != (len(y),):
            raise ValueError(f"groups has shape {groups.shape}, expected ({len(y)},)")
        for group in rng.permutation(np.unique(groups)):
            if mask.sum() >= round(len(y) * dev_fraction):
                break
            mask |= groups == group
        return x[~mask], y[~mask], x[mask], y[mask]
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        rng.shuffle(members)
        mask[members[: max(1, round(len(members) * dev_fraction))]] = True
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
    """``python -m course_utils.datasets build | build-signs PHOTOS | verify | preview``."""
    import argparse
    import time

    parser = argparse.ArgumentParser(prog="python -m course_utils.datasets")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build", help="regenerate data/synthetic/ (Happy House) and SHA256SUMS")
    p.add_argument("--out", default=None, help="folder (default: data/synthetic)")
    p = sub.add_parser(
        "build-signs", help="convert the Sign Language Digits photographs into data/signs/"
    )
    p.add_argument("photos", help="the dataset's folder (holding Dataset/, LICENSE, README.md)")
    p.add_argument("--out", default=None, help="folder (default: data/signs)")
    p.add_argument("--samples", default=None, help="folder (default: data/samples)")
    sub.add_parser("verify", help="check the shipped files against SHA256SUMS and load them")
    p = sub.add_parser("preview", help="save a labelled grid of Happy and SIGNS images")
    p.add_argument("--out", default="build/preview/datasets.png")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    if args.command == "build":
        for name, digest in build_shipped(args.out).items():
            print(f"{digest}  {name}")
        print(f"built in {time.perf_counter() - start:.1f} s")
    elif args.command == "build-signs":
        try:
            sums = build_signs(args.photos, args.out, args.samples)
        except DatasetError as exc:
            parser.exit(2, f"error: {exc}\n")
        for name, digest in sums.items():
            print(f"{digest}  {name}")
        print(f"built in {time.perf_counter() - start:.1f} s")
    elif args.command == "verify":
        for loader in (load_happy, load_signs, load_digits):
            start = time.perf_counter()
            print(f"{loader()}  [{time.perf_counter() - start:.2f} s]")
    else:
        from .plotting import save_dataset_preview

        happy, signs = load_happy(), load_signs()
        sets = {
            "Happy House (drawings)": (happy.x_train, happy.y_train, ["not smiling", "smiling"]),
            "SIGNS (photographs)": (signs.x_train, signs.y_train, [str(c) for c in signs.classes]),
        }
        print(f"saved {save_dataset_preview(sets, args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
