"""course_utils.plotting: the numbers behind the pictures are right, and every plot
returns a Figure (or says plainly why there is nothing to show)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_confusion_matrix_counts_every_pair():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 4, 200), rng.integers(0, 4, 200)
    matrix = plotting.confusion_matrix(y_true, y_pred, 4)
    for i in range(4):
        for j in range(4):  # counted one pair at a time, independently
            assert matrix[i, j] == sum(
                1 for t, p in zip(y_true, y_pred, strict=True) if t == i and p == j
            )
    assert matrix.sum() == 200


def test_confusion_matrix_takes_probabilities_and_one_hot():
    y_true = np.eye(3)[[0, 1, 2, 2]]
    probabilities = np.array([[0.9, 0.1, 0], [0.2, 0.7, 0.1], [0.1, 0.8, 0.1], [0, 0, 1]])
    assert plotting.confusion_matrix(y_true, probabilities, 3).tolist() == [
        [1, 0, 0],
        [0, 1, 0],
        [0, 1, 1],
    ]


def test_confusion_matrix_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="3 labels but 2 predictions"):
        plotting.confusion_matrix([0, 1, 2], [0, 1], 3)


def test_plot_confusion_matrix_shows_the_accuracy():
    fig = plotting.plot_confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2], ["a", "b", "c"], "test")
    assert fig.axes[0].get_title() == "test: accuracy 0.750"


def test_show_misclassified_multiclass_titles_truth_and_prediction():
    x = np.zeros((5, 8, 8, 1), dtype=np.float32)
    y = np.array([0, 1, 2, 3, 4])
    p = np.eye(5)[[0, 1, 3, 3, 0]]  # two mistakes: 2 -> 3 and 4 -> 0
    fig = plotting.show_misclassified(x, y, p, classes=list("ABCDE"))
    titles = [ax.get_title() for ax in fig.axes if ax.images]
    assert titles == ["true C\nsaid D (1.00)", "true E\nsaid A (1.00)"]


def test_show_misclassified_says_when_nothing_is_wrong(capsys):
    x = np.zeros((2, 8, 8, 1), dtype=np.float32)
    assert plotting.show_misclassified(x, [1, 0], [0.9, 0.2]) is None
    assert "No misclassified images." in capsys.readouterr().out


@pytest.mark.parametrize(
    "value, text",
    [(840, "840"), (2_572, "2.57k"), (58_631_040, "58.6M"), (15_346_630_656, "15.3G")],
)
def test_bar_labels_are_human_sized(value, text):
    assert plotting._human(value) == text


def test_cost_pictures_are_figures():
    import keras

    from course_utils import cost

    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(2, 3)(inputs)
    x = keras.layers.Dense(3)(keras.layers.Flatten()(x))
    table = cost.model_cost(keras.Model(inputs, x, name="tiny"))
    fig = plotting.plot_cost_comparison({"tiny": table, "again": table})
    assert len(fig.axes) == 2
    assert table.plot().axes[0].get_title().startswith("tiny: ")


def test_stage_and_time_pictures():
    import keras

    from course_utils import cost

    inputs = keras.Input((8, 8, 2))
    a = keras.layers.Conv2D(2, 1, name="m_a")(inputs)
    b = keras.layers.Conv2D(3, 3, padding="same", name="m_b")(inputs)
    x = keras.layers.Concatenate(name="m_concat")([a, b])
    x = keras.layers.Flatten(name="flat")(x)
    table = cost.model_cost(keras.Model(inputs, keras.layers.Dense(2, name="out")(x)))
    stages = table.grouped(lambda name: name.split("_")[0])
    fig = plotting.plot_stage_costs(stages, title="stages")
    # the flatten has neither parameters nor MACs: two bars per kind, not three
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["m", "out"]
    fig = plotting.plot_counted_vs_measured({"x": 10, "y": 5}, {"x": 2.0, "y": 1.5})
    heights = sorted(round(p.get_height(), 3) for p in fig.axes[0].patches)
    assert heights == [0.5, 0.75, 1.0, 1.0]
    with pytest.raises(ValueError, match="same models"):
        plotting.plot_counted_vs_measured({"x": 1}, {"y": 1.0})
    fig = plotting.plot_over_time({"a": ([1.0, 2.0], [0.5, 0.9])}, goal=0.95)
    assert fig.axes[0].get_xlabel() == "training time (s)"
    with pytest.raises(ValueError, match="2 x values for 1 y values"):
        plotting.plot_over_time({"a": ([1.0, 2.0], [0.5])})
    plt.close("all")


def test_dataset_preview_stacks_one_grid_per_set(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    sets = {
        "first": (rng.integers(0, 256, (10, 16, 16, 3), dtype=np.uint8), np.arange(10) % 2,
                  ["no", "yes"]),
        "second": (rng.uniform(size=(30, 16, 16, 3)), np.arange(30) % 3, ["a", "b", "c"]),
    }  # fmt: skip
    out = plotting.save_dataset_preview(sets, tmp_path / "grid.png", n=8)
    parts = [Image.open(tmp_path / f"grid_{k}.png") for k in range(2)]
    whole = Image.open(out)
    assert out == tmp_path / "grid.png"
    assert whole.height == sum(p.height for p in parts)
    assert whole.width == max(p.width for p in parts)
    with pytest.raises(ValueError, match="no data sets"):
        plotting.save_dataset_preview({}, tmp_path / "none.png")


def test_plotting_does_not_import_the_data_loaders():
    """datasets imports plotting for its preview; the other way round would be a circle."""
    import subprocess
    import sys

    code = "import sys, course_utils.plotting; print('course_utils.datasets' in sys.modules)"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.strip()  # fmt: skip
    assert found == "False"


def test_bar_groups_draw_every_value_beside_its_partner():
    values = {"none": {"test": 0.9, "elsewhere": 0.3}, "all": {"test": 0.95, "elsewhere": 0.9}}
    fig = plotting.plot_bar_groups(values, "accuracy")
    heights = [round(p.get_height(), 2) for p in fig.axes[0].patches]
    assert heights == [0.9, 0.95, 0.3, 0.9]  # one series after the other
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["test", "elsewhere"]
    with pytest.raises(ValueError, match="expected"):
        plotting.plot_bar_groups({"a": {"x": 1}, "b": {"y": 2}}, "y")
