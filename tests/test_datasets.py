"""course_utils.datasets: shapes and balances, the HDF5 format, the shipped files'
checksums and bit-for-bit rebuild (the drawings from their seed, the SIGNS photographs
from the originals where they are here), the split by signer, the "somewhere else" test,
real digits and photos, your own images, and a clear error for every kind of bad file."""

import csv
import os
import shutil
import warnings
from pathlib import Path

import h5py
import numpy as np
import pytest
from PIL import Image

from course_utils import datasets, synthetic
from course_utils.datasets import DatasetError
from helpers import REPO

SHIPPED = REPO / "data" / "synthetic"
SIGNS = REPO / "data" / "signs"
# the original photographs (build-signs' input, not part of the repository): the tests
# that rebuild from them run where COURSE_SIGNS_PHOTOS names their folder
PHOTOS = Path(os.environ["COURSE_SIGNS_PHOTOS"]) if os.environ.get("COURSE_SIGNS_PHOTOS") else None
needs_photos = pytest.mark.skipif(
    PHOTOS is None or not (PHOTOS / "Dataset").is_dir(),
    reason="the original Sign Language Digits photographs are not given "
    f"(COURSE_SIGNS_PHOTOS={PHOTOS}; set it to their folder to run this test)",
)
# SOURCE.md beside the photographs: photos of digits 0-5, and 2,062 of all ten digits
SIGNS_PER_DIGIT = [205, 206, 206, 206, 207, 207]


# --------------------------------------------------------------------------- shipped sets
def test_happy_has_the_original_course_shape():
    data = datasets.load_happy()
    assert data.x_train.shape == (600, 64, 64, 3) and data.x_train.dtype == np.uint8
    assert data.x_test.shape == (150, 64, 64, 3) and data.x_test.dtype == np.uint8
    assert data.y_train.shape == (600,) and data.y_train.dtype == np.int64
    assert data.classes.tolist() == [0, 1]
    assert np.bincount(data.y_train).tolist() == [300, 300]
    assert np.bincount(data.y_test).tolist() == [75, 75]
    assert "synthetic" in data.source and data.signers_train is None
    x_train, y_train, x_test, y_test, classes = data  # unpacks like the original course
    assert x_train is data.x_train and classes is data.classes


def test_signs_are_the_real_photographs_of_digits_0_to_5():
    data = datasets.load_signs()
    assert data.x_train.shape[1:] == (64, 64, 3) and data.x_train.dtype == np.uint8
    assert data.x_test.shape[1:] == (64, 64, 3) and data.y_test.dtype == np.int64
    assert data.classes.tolist() == list(range(6))
    per_digit = np.bincount(np.concatenate([data.y_train, data.y_test]), minlength=6)
    assert per_digit.tolist() == SIGNS_PER_DIGIT
    assert "real photographs" in data.source and "Apache" in data.source
    x_train, y_train, x_test, y_test, classes = data
    assert x_train is data.x_train and classes is data.classes


def test_signs_are_split_by_signer():
    """Nobody is in both sets: the test set is people the model never saw."""
    data = datasets.load_signs()
    assert data.signers_train.shape == data.y_train.shape
    assert data.signers_test.shape == data.y_test.shape
    assert not set(data.signers_train.tolist()) & set(data.signers_test.tolist())
    share = len(data.y_test) / (len(data.y_train) + len(data.y_test))
    assert abs(share - datasets.SIGNS_TEST_FRACTION) < 0.01
    # each person signed every digit once (a few keys hold two or three people), so
    # splitting people keeps the classes nearly balanced on both sides
    for y in (data.y_train, data.y_test):
        counts = np.bincount(y, minlength=6)
        assert counts.max() - counts.min() <= 2, counts
    assert "signers" in repr(data)


def test_images_are_not_constant_or_duplicated():
    data = datasets.load_signs()
    flat = np.concatenate([data.x_train, data.x_test]).reshape(-1, 64 * 64 * 3)
    assert flat.std(axis=1).min() > 3
    assert len(np.unique(flat, axis=0)) == len(flat)


def test_the_photo_list_describes_every_picture():
    data = datasets.load_signs()
    with open(SIGNS / "photos.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(data.y_train) + len(data.y_test)
    for split, y, who in (("train", data.y_train, data.signers_train),
                          ("test", data.y_test, data.signers_test)):  # fmt: skip
        mine = [r for r in rows if r["split"] == split]
        assert [int(r["index"]) for r in mine] == list(range(len(y)))
        assert [int(r["label"]) for r in mine] == y.tolist()
        assert [int(r["signer"]) for r in mine] == who.tolist()
        # the folder of each original photo is its digit
        assert all(r["file"].split("/")[1] == r["label"] for r in mine)


def test_the_licence_and_the_attribution_ship_with_the_photographs():
    assert "Apache License" in (SIGNS / "LICENSE").read_text()
    notice = (SIGNS / "NOTICE").read_text()
    assert "arXiv:2011.08927" in notice and "Mavi" in notice and "changed" in notice
    assert "Ayranc" in (SIGNS / "README.md").read_text()  # the dataset's own README


@needs_photos
@pytest.mark.slow
def test_signs_rebuild_from_the_original_photographs_bit_for_bit(tmp_path):
    sums = datasets.build_signs(PHOTOS, tmp_path / "signs", tmp_path / "samples")
    assert sums == datasets.read_checksums(SIGNS), "same photographs, different files"
    for name in ("SHA256SUMS", "photos.csv", "NOTICE", "LICENSE", "README.md"):
        assert (tmp_path / "signs" / name).read_bytes() == (SIGNS / name).read_bytes(), name
    sample = datasets.sample_image_path("hand_sign")
    assert (tmp_path / "samples" / sample.name).read_bytes() == sample.read_bytes()


@needs_photos
def test_signer_keys_follow_source_md():
    photos = datasets.signs_photos(PHOTOS)
    assert len(photos) == 2062
    per_digit = np.bincount([p.digit for p in photos if p.digit < 6]).tolist()
    assert per_digit == SIGNS_PER_DIGIT
    # IMG_<n>.JPG in folder <d> is keyed n - d; a full run of ten is one person
    for p in photos:
        n = int(p.file.split("IMG_")[1].split(".")[0])
        assert 0 <= (n - p.digit) - p.signer < 30, p  # keys a few apart are merged
    by_signer = {}
    for p in photos:
        by_signer.setdefault(p.signer, []).append(p.digit)
    full = [k for k, digits in by_signer.items() if sorted(digits) == list(range(10))]
    assert len(full) >= 161  # SOURCE.md: 161 keys hold all ten digits


def test_build_signs_says_what_it_needs(tmp_path, capsys):
    with pytest.raises(DatasetError, match="no such folder"):
        datasets.build_signs(tmp_path / "nowhere", tmp_path / "out")
    (tmp_path / "photos").mkdir()
    with pytest.raises(DatasetError, match="LICENSE: missing"):
        datasets.build_signs(tmp_path / "photos", tmp_path / "out")
    with pytest.raises(SystemExit) as info:  # the command line says it in one line
        datasets.main(["build-signs", str(tmp_path / "nowhere")])
    assert info.value.code == 2
    assert "no such folder" in capsys.readouterr().err


@pytest.mark.slow
def test_generator_rebuilds_the_shipped_files_bit_for_bit(tmp_path):
    sums = datasets.build_shipped(tmp_path)
    shipped = datasets.read_checksums(SHIPPED)
    for name in sums:
        split = name.split("_")[0]
        new, old = (datasets.read_course_h5(p / name, split) for p in (tmp_path, SHIPPED))
        for a, b in zip(new, old, strict=True):
            np.testing.assert_array_equal(a, b)
    assert sums == shipped, "same arrays but different file bytes (h5py/HDF5 version?)"
    assert (tmp_path / "SHA256SUMS").read_text() == (SHIPPED / "SHA256SUMS").read_text()


def test_only_the_mouth_decides_happy():
    """Same seed, other label: the pictures differ only in a small box around the mouth."""
    for seed in range(20):
        smiling = synthetic.happy_image(np.random.default_rng(seed), True).astype(int)
        not_smiling = synthetic.happy_image(np.random.default_rng(seed), False).astype(int)
        rows, cols = np.nonzero(np.abs(smiling - not_smiling).max(axis=-1))
        assert rows.size, "the label changed nothing"
        assert np.ptp(rows) < 16 and np.ptp(cols) < 20, (seed, np.ptp(rows), np.ptp(cols))
        assert rows.min() > 20, "the difference is not below the eyes"


def test_signs_are_no_longer_drawn():
    with pytest.raises(ValueError, match="real photographs"):
        synthetic.make_split("signs", "train")


# --------------------------------------------------------------------------- HDF5 format
def _write_raw(path, **arrays):
    with h5py.File(path, "w") as f:
        for key, value in arrays.items():
            f[key] = value


def _good(m=6, classes=(0, 1, 2)):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (m, 64, 64, 3), dtype=np.uint8)
    y = (np.arange(m) % len(classes)).astype(np.int64)
    return x, y, np.asarray(classes, dtype=np.int64)


@pytest.mark.parametrize("split", ["train", "test"])
def test_round_trip_is_exact(tmp_path, split):
    x, y, classes = _good()
    path = tmp_path / f"{split}_things.h5"
    datasets.write_course_h5(path, split, x, y, classes)
    x2, y2, c2 = datasets.read_course_h5(path, split)
    assert x2.dtype == np.uint8 and y2.dtype == np.int64 and c2.dtype == np.int64
    np.testing.assert_array_equal(x2, x)
    np.testing.assert_array_equal(y2, y)
    np.testing.assert_array_equal(c2, classes)
    with h5py.File(path) as f:  # the original course layout, key for key
        assert sorted(f.keys()) == sorted([f"{split}_set_x", f"{split}_set_y", "list_classes"])
    assert not list(tmp_path.glob("*.part")), "a temporary file was left behind"


def test_original_course_files_are_used_as_they_are(tmp_path):
    x, y, classes = _good(m=8, classes=(0, 1))
    datasets.write_course_h5(tmp_path / "train_happy.h5", "train", x, y, classes)
    datasets.write_course_h5(tmp_path / "test_happy.h5", "test", x[:4], y[:4], classes)
    data = datasets.load_happy(tmp_path)
    assert "original course files" in data.source
    np.testing.assert_array_equal(data.x_train, x)


def test_data_dir_can_be_moved_with_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    assert datasets.data_dir() == tmp_path
    with pytest.raises(DatasetError, match=str(tmp_path)):
        datasets.load_signs()


BAD_FILES = {
    "missing key": (
        lambda p: _write_raw(p, train_set_x=_good()[0], list_classes=_good()[2]),
        "has no key 'train_set_y'",
    ),
    "float pixels": (
        lambda p: _write_raw(
            p,
            train_set_x=_good()[0].astype(np.float32),
            train_set_y=_good()[1],
            list_classes=_good()[2],
        ),
        "dtype float32, expected uint8",
    ),
    "wrong image shape": (
        lambda p: _write_raw(
            p, train_set_x=_good()[0][:, :32], train_set_y=_good()[1], list_classes=_good()[2]
        ),
        "expected (m, *(64, 64, 3))",
    ),
    "one label short": (
        lambda p: _write_raw(
            p, train_set_x=_good()[0], train_set_y=_good()[1][:-1], list_classes=_good()[2]
        ),
        "one label per image",
    ),
    "float labels": (
        lambda p: _write_raw(
            p,
            train_set_x=_good()[0],
            train_set_y=_good()[1].astype(float),
            list_classes=_good()[2],
        ),
        "expected integer labels",
    ),
    "label outside list_classes": (
        lambda p: _write_raw(
            p, train_set_x=_good()[0], train_set_y=_good()[1] + 5, list_classes=_good()[2]
        ),
        "not in list_classes",
    ),
    "not HDF5 at all": (lambda p: p.write_text("<html>Not Found</html>"), "not a readable HDF5"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_file_names_the_file_and_the_problem(tmp_path, case):
    make, message = BAD_FILES[case]
    path = tmp_path / "train_bad.h5"
    make(path)
    with pytest.raises(DatasetError) as info:
        datasets.read_course_h5(path, "train")
    assert message in str(info.value) and str(path) in str(info.value)


def test_truncated_file_is_refused(tmp_path):
    path = tmp_path / "train_signs.h5"
    data = (SIGNS / "train_signs.h5").read_bytes()
    path.write_bytes(data[: len(data) // 2])  # a download or copy cut short
    with pytest.raises(DatasetError, match="truncated or corrupt"):
        datasets.read_course_h5(path, "train")


def test_missing_file_says_where_it_looked_and_how_to_get_it(tmp_path):
    with pytest.raises(DatasetError) as info:
        datasets.load_happy(tmp_path)
    text = str(info.value)
    assert str(tmp_path / "synthetic" / "train_happy.h5") in text
    assert "train_happy.h5" in text and "git checkout" in text


def test_half_of_the_original_pair_is_an_error(tmp_path):
    x, y, classes = _good(classes=(0, 1))
    datasets.write_course_h5(tmp_path / "train_happy.h5", "train", x, y, classes)
    with pytest.raises(DatasetError, match="test_happy.h5: missing"):
        datasets.load_happy(tmp_path)


def test_train_and_test_classes_must_agree(tmp_path):
    x, y, _ = _good(classes=(0, 1))
    datasets.write_course_h5(tmp_path / "train_happy.h5", "train", x, y, np.array([0, 1]))
    datasets.write_course_h5(tmp_path / "test_happy.h5", "test", x, y, np.array([0, 1, 2]))
    with pytest.raises(DatasetError, match="differs from"):
        datasets.load_happy(tmp_path)


def test_damaged_shipped_file_is_refused(tmp_path):
    folder = tmp_path / "signs"
    shutil.copytree(SIGNS, folder)
    target = folder / "test_signs.h5"
    data = bytearray(target.read_bytes())
    data[-100] ^= 0xFF  # one flipped byte deep in the pixel data
    target.write_bytes(bytes(data))
    with pytest.raises(DatasetError, match="checksum mismatch"):
        datasets.load_signs(tmp_path)


def test_killed_writer_leaves_no_file(tmp_path, monkeypatch):
    x, y, classes = _good()
    path = tmp_path / "train_x.h5"

    def boom(*args, **kwargs):
        raise KeyboardInterrupt  # the run is stopped midway

    monkeypatch.setattr(h5py.File, "create_dataset", boom)
    with pytest.raises(KeyboardInterrupt):
        datasets.write_course_h5(path, "train", x, y, classes)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- real data
def test_digits_are_real_stratified_and_fixed():
    data = datasets.load_digits()
    assert len(data.x_train) + len(data.x_test) == 1797
    assert data.x_train.shape[1:] == (32, 32, 1) and data.x_train.dtype == np.float32
    assert 0 <= data.x_train.min() and data.x_train.max() <= 1
    assert data.x_train[:, :2].max() == 0, "the 2-pixel LeNet padding is blank"
    share = np.bincount(data.y_test) / np.bincount(np.concatenate([data.y_train, data.y_test]))
    assert np.all(np.abs(share - 0.2) < 0.02), share
    again = datasets.load_digits()
    np.testing.assert_array_equal(again.x_test, data.x_test)


@pytest.mark.parametrize("name", datasets.PHOTOS)
def test_photos_load_offline(name):
    image = datasets.load_photo(name)
    assert image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8
    assert min(image.shape[:2]) >= 300 and image.std() > 10
    assert datasets.load_photo(name, size=(64, 80)).shape == (64, 80, 3)


def test_unknown_photo():
    with pytest.raises(ValueError, match="astronaut"):
        datasets.load_photo("lena")


# --------------------------------------------------------------------------- your images
def _save(path, mode="RGB", size=(40, 30), colour=(200, 10, 10), **kw):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, colour if mode != "L" else 128).save(path, **kw)
    return path


def test_load_image_converts_and_resizes(tmp_path):
    rgb = datasets.load_image(_save(tmp_path / "a.png"), size=(64, 64))
    assert rgb.shape == (64, 64, 3) and rgb.dtype == np.uint8
    assert tuple(rgb[10, 10]) == (200, 10, 10)
    grey = datasets.load_image(_save(tmp_path / "g.png", mode="L"), size=None)
    assert grey.shape == (30, 40, 3)
    rgba = datasets.load_image(_save(tmp_path / "t.png", mode="RGBA", colour=(1, 2, 3, 0)))
    assert rgba.shape == (64, 64, 3)


def test_phone_photo_is_turned_upright(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    path = _save(tmp_path / "phone.jpg", size=(40, 30), exif=exif.tobytes())
    assert datasets.load_image(path, size=None).shape == (40, 30, 3)


def test_load_image_errors_name_the_file(tmp_path):
    with pytest.raises(DatasetError, match="no such image file"):
        datasets.load_image(tmp_path / "nope.jpg")
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image")
    with pytest.raises(DatasetError, match=str(bad)):
        datasets.load_image(bad)


def _folder(tmp_path):
    for k in range(3):
        _save(tmp_path / "cats" / f"c{k}.jpg", colour=(250, 0, 0))
        _save(tmp_path / "dogs" / f"d{k}.png", colour=(0, 0, 250))
    (tmp_path / "dogs" / "notes.txt").write_text("not an image, ignored")
    return tmp_path


def test_image_folder_arrays(tmp_path):
    x, y, names = datasets.load_image_folder(_folder(tmp_path), image_size=(32, 48))
    assert names == ["cats", "dogs"]
    assert x.shape == (6, 32, 48, 3) and y.tolist() == [0, 0, 0, 1, 1, 1]
    assert x[0, 0, 0, 0] > 200 and x[-1, 0, 0, 2] > 200


def test_unreadable_image_in_a_folder(tmp_path):
    folder = _folder(tmp_path)
    broken = folder / "dogs" / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 truncated")
    with pytest.raises(DatasetError, match="broken.jpg"):
        datasets.load_image_folder(folder)
    with pytest.warns(UserWarning, match="broken.jpg"):
        x, y, _ = datasets.load_image_folder(folder, skip_unreadable=True)
    assert len(x) == 6


def test_image_folder_as_tf_dataset(tmp_path):
    ds, names = datasets.load_image_folder(_folder(tmp_path), as_tf_dataset=True, batch_size=4)
    batches = list(ds)
    assert [b[0].shape[0] for b in batches] == [4, 2]
    assert batches[0][0].dtype.name == "float32" and float(batches[0][0].numpy().max()) <= 1


def test_image_folder_errors(tmp_path):
    with pytest.raises(DatasetError, match="no such folder"):
        datasets.load_image_folder(tmp_path / "missing")
    with pytest.raises(DatasetError, match="no class sub-folders"):
        datasets.load_image_folder(tmp_path)


# --------------------------------------------------------------------------- helpers
def test_normalize_and_one_hot():
    x = np.array([[0, 255]], dtype=np.uint8)
    assert datasets.normalize(x).tolist() == [[0.0, 1.0]]
    one_hot = datasets.convert_to_one_hot(np.array([2, 0]), 3)
    assert one_hot.tolist() == [[0, 0, 1], [1, 0, 0]] and one_hot.dtype == np.float32
    with pytest.raises(ValueError, match="labels must be 0..2"):
        datasets.convert_to_one_hot(np.array([3]), 3)


def test_train_dev_split_is_stratified_disjoint_and_fixed():
    data = datasets.load_happy()
    xt, yt, xd, yd = datasets.train_dev_split(data.x_train, data.y_train, 0.2, seed=1)
    assert len(yt) + len(yd) == 600
    assert np.bincount(yd).tolist() == [60] * 2
    rows = {r.tobytes() for r in xt.reshape(len(xt), -1)}
    assert not rows & {r.tobytes() for r in xd.reshape(len(xd), -1)}
    again = datasets.train_dev_split(data.x_train, data.y_train, 0.2, seed=1)
    np.testing.assert_array_equal(again[3], yd)


def test_train_dev_split_by_signer_keeps_each_person_on_one_side():
    data = datasets.load_signs()
    index = np.arange(len(data.y_train))
    it, _, idev, _ = datasets.train_dev_split(index, data.y_train, 0.2, seed=0,
                                              groups=data.signers_train)  # fmt: skip
    assert len(it) + len(idev) == len(index)
    assert not set(data.signers_train[it]) & set(data.signers_train[idev])
    assert abs(len(idev) / len(index) - 0.2) < 0.02
    again = datasets.train_dev_split(index, data.y_train, 0.2, seed=0, groups=data.signers_train)
    np.testing.assert_array_equal(again[2], idev)
    with pytest.raises(ValueError, match="groups has shape"):
        datasets.train_dev_split(index, data.y_train, 0.2, groups=data.signers_train[:5])


def test_as_dataset_is_batched_and_seeded():
    x = np.arange(10, dtype=np.float32)[:, None]
    y = np.arange(10)
    first = [b[1].numpy().tolist() for b in datasets.as_dataset(x, y, batch_size=4, seed=3)]
    second = [b[1].numpy().tolist() for b in datasets.as_dataset(x, y, batch_size=4, seed=3)]
    assert first == second and [len(b) for b in first] == [4, 4, 2]
    assert sorted(sum(first, [])) == list(range(10))


# --------------------------------------------------------------------------- plotting
def test_show_images_titles_each_image():
    import matplotlib

    matplotlib.use("Agg")
    from course_utils.plotting import show_images

    data = datasets.load_happy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = show_images(data.x_train, data.y_train, ["not smiling", "smiling"], n=10, cols=5)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    expected = [["not smiling", "smiling"][k] for k in data.y_train[:10]]
    assert titles == expected and len(fig.axes) == 10
    with pytest.raises(ValueError, match="shape"):
        show_images(np.zeros((3, 8, 8)), None)


@pytest.mark.parametrize("folder", [SHIPPED, SIGNS])
def test_data_readme_lists_the_current_checksums(folder):
    readme = (REPO / "data" / "README.md").read_text()
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        assert line in readme, f"data/README.md lacks '{line}'"


def test_signer_column_round_trips_and_is_optional(tmp_path):
    x, y, classes = _good()
    path = tmp_path / "train_people.h5"
    datasets.write_course_h5(path, "train", x, y, classes, signers=np.arange(6) // 2)
    assert datasets.read_course_h5(path, "train", signers=True)[3].tolist() == [0, 0, 1, 1, 2, 2]
    datasets.write_course_h5(path, "train", x, y, classes)
    assert datasets.read_course_h5(path, "train", signers=True)[3] is None
    with pytest.raises(ValueError, match="signers has shape"):
        datasets.write_course_h5(path, "train", x, y, classes, signers=np.arange(5))


# ------------------------------------------------------------------ somewhere else
def test_the_hand_mask_finds_the_hand_not_the_wall():
    data = datasets.load_signs()
    masks = datasets.hand_mask(data.x_test)
    assert masks.shape == data.x_test.shape[:3] and masks.dtype == np.float32
    assert 0 <= masks.min() and masks.max() <= 1
    # the hands come in from the bottom of the frame; the top corners are wall
    assert masks[:, -4:, 24:40].mean() > 0.7
    assert masks[:, :8, :8].mean() < 0.05 and masks[:, :8, -8:].mean() < 0.05


def test_somewhere_else_is_seeded_and_changes_each_factor():
    x = datasets.load_signs().x_test[:12]
    again = datasets.somewhere_else(x, seed=3)
    elsewhere = datasets.somewhere_else(x, seed=3)
    assert elsewhere.shape == x.shape and elsewhere.dtype == np.uint8
    np.testing.assert_array_equal(elsewhere, again)
    assert not np.array_equal(elsewhere, datasets.somewhere_else(x, seed=4))
    for factor in datasets.ELSEWHERE_FACTORS:
        changed = datasets.somewhere_else(x, seed=3, factors=(factor,), rate=1).astype(int) - x
        assert np.abs(changed).mean() > 3, factor
    assert np.array_equal(datasets.somewhere_else(x, factors=()), x)
    assert np.array_equal(datasets.somewhere_else(x, rate=0), x)


def test_elsewhere_changes_names_what_somewhere_else_changed():
    """A picture listed with no change comes back as taken, and a changed one is listed;
    with one factor asked for, only listed pictures change, and most of them (a listed
    factor may draw no change: the wall stays in one picture in five, and a camera may
    add no blur, noise or JPEG)."""
    x = datasets.load_signs().x_test[:40]
    changes = datasets.elsewhere_changes(len(x), seed=2)
    assert len(changes) == len(x) and all(c <= set(datasets.ELSEWHERE_FACTORS) for c in changes)
    assert any(changes) and not all(changes)  # some pictures change, some do not
    unchanged = np.all(datasets.somewhere_else(x, seed=2) == x, axis=(1, 2, 3))
    assert all(u for c, u in zip(changes, unchanged, strict=True) if not c)
    assert all(c for c, u in zip(changes, unchanged, strict=True) if not u)
    for factor in datasets.ELSEWHERE_FACTORS:
        alone = datasets.somewhere_else(x, seed=2, factors=(factor,))
        moved = np.any(alone != x, axis=(1, 2, 3))
        listed = np.array([factor in c for c in datasets.elsewhere_changes(len(x), 2, (factor,))])
        assert list(listed) == [factor in c for c in changes], factor
        assert not np.any(moved & ~listed), factor
        assert moved.sum() >= listed.sum() / 2 > 0, factor


def test_the_rate_decides_how_many_pictures_change():
    x = datasets.load_signs().x_test[:60]
    for rate in (0.2, 0.4):
        out = datasets.somewhere_else(x, seed=0, factors=("light",), rate=rate)
        changed = np.any(out != x, axis=(1, 2, 3)).mean()
        assert abs(changed - rate) < 0.15, (rate, changed)
    with pytest.raises(ValueError, match="unknown factors"):
        datasets.somewhere_else(x, factors=("weather",))


def test_a_new_background_leaves_the_hand_alone():
    x = datasets.load_signs().x_test[:12]
    mask = datasets.hand_mask(x)
    moved = datasets.somewhere_else(x, seed=0, factors=("background",), rate=1).astype(int) - x
    change = np.abs(moved).mean(axis=-1)
    assert change[mask == 1].mean() < 1 and change[mask == 0].mean() > 20


# ------------------------------------------------------------------ sample pictures
@pytest.mark.parametrize("name", sorted(datasets.SAMPLES))
def test_every_sample_picture_loads(name):
    image = datasets.load_image(datasets.sample_image_path(name), size=(64, 64))
    assert image.shape == (64, 64, 3)


def test_the_hand_sign_sample_is_a_test_signers_photo_of_a_3():
    """No model of the course trains on its signer: it is a photo of the test set."""
    data = datasets.load_signs()
    image = datasets.load_image(datasets.sample_image_path("hand_sign"), size=(64, 64))
    same = np.flatnonzero((data.x_test == image).all(axis=(1, 2, 3)))
    assert same.size == 1 and data.y_test[same[0]] == 3
    assert data.signers_test[same[0]] not in data.signers_train


def test_an_unknown_sample_picture_is_named():
    with pytest.raises(ValueError, match="unknown sample picture 'selfie'"):
        datasets.sample_image_path("selfie")
