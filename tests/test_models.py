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
