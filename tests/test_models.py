"""course_utils.models: the plain and residual networks of the residual networks
assignment are the same layers, with and without skip connections."""

import pytest

from course_utils import cost
from course_utils.models import plain_network, residual_network


@pytest.mark.parametrize("depth", [4, 10, 34])
def test_plain_and_residual_have_the_same_depth_and_parameters(depth):
    plain, residual = plain_network(depth), residual_network(depth)
    assert plain.count_params() == residual.count_params()
    assert cost.model_cost(plain).depth == cost.model_cost(residual).depth == depth
    kinds = [type(layer).__name__ for layer in residual.layers]
    assert kinds.count("Add") == (depth - 2) // 2
    assert "Add" not in [type(layer).__name__ for layer in plain.layers]


def test_without_batch_normalisation_and_with_sigmoids():
    model = plain_network(6, width=4, activation="sigmoid", batchnorm=False)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert "BatchNormalization" not in kinds
    assert [
        layer.get_config()["activation"] for layer in model.layers if layer.name.startswith("out")
    ] == ["sigmoid"] * 2


@pytest.mark.parametrize("depth, activation", [(5, "relu"), (2, "relu"), (10, "gelu")])
def test_bad_settings_are_named(depth, activation):
    with pytest.raises(ValueError, match="depth|activation"):
        plain_network(depth, activation=activation)


def test_small_convnet_heads():
    """The flatten head has weights per position; the average head the same everywhere:
    a hand moved by one cell of the last feature map (8 pixels) gives the same answer."""
    import numpy as np

    from course_utils.models import small_convnet

    flat = small_convnet(width=4)
    assert flat.get_layer("flatten") and flat.output.shape[1:] == (6,)
    average = small_convnet(width=4, stages=4, head="average")
    assert [layer.name for layer in average.layers][-3:] == ["avg_pool", "dropout", "fc"]
    assert "pool4" not in [layer.name for layer in average.layers]
    # a patch on a plain canvas, far from the edges (where zero padding differs)
    rng = np.random.default_rng(0)
    canvas = np.full((2, 128, 128, 3), 0.5, dtype="float32")
    patch = rng.uniform(size=(12, 12, 3))
    canvas[0, 56:68, 56:68], canvas[1, 64:76, 64:76] = patch, patch
    big_average = small_convnet((128, 128, 3), width=4, stages=4, head="average")
    big_flat = small_convnet((128, 128, 3), width=4)
    same = np.asarray(big_average(canvas, training=False))
    np.testing.assert_allclose(same[0], same[1], atol=1e-5)
    moved = np.asarray(big_flat(canvas, training=False))
    assert np.abs(moved[0] - moved[1]).max() > 1e-4
    with pytest.raises(ValueError, match="head"):
        small_convnet(head="max")
    with pytest.raises(ValueError, match="stages"):
        small_convnet(stages=0)
