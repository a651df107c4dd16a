"""The grading kernel's guard (course_utils.integrity), in an IPython shell of this
process: what a cell changes in the checking machinery does not reach the next cell,
and a test cell during which it changes ends in TamperingDetected."""

import numpy as np
import pytest
from IPython.core.interactiveshell import InteractiveShell

from course_utils import checks
from course_utils.integrity import Guard, TamperingDetected, cell_hash

TEST_CELL = "from course_utils.checks import check_value\nassert answer() == 3"


@pytest.fixture
def shell():
    ip = InteractiveShell.instance()
    guard = Guard(ip, (), {cell_hash(TEST_CELL)})
    ip.events.register("pre_run_cell", guard.pre_run_cell)
    ip.events.register("post_run_cell", guard.post_run_cell)
    try:
        yield ip
    finally:
        guard.restore()
        ip.events.unregister("pre_run_cell", guard.pre_run_cell)
        ip.events.unregister("post_run_cell", guard.post_run_cell)


def test_ordinary_cells_change_nothing_the_guard_keeps(shell):
    for code in (
        "import numpy as np\nimport warnings\nnp.random.seed(0)\nx = np.ones(3).sum()",
        "def relu(Z):\n    return np.maximum(Z, 0)\nrelu(np.array([-1.0, 2.0]))",
        "from course_utils.checks import check_value\n"
        "check_value(lambda: 3, 'fixture.none', 'ex') if False else None",
    ):
        assert shell.run_cell(code).success, code


def test_a_patch_made_in_a_cell_is_undone_before_the_next(shell):
    original = np.testing.assert_allclose
    shell.run_cell("import numpy as np\nnp.testing.assert_allclose = lambda *a, **k: None")
    assert np.testing.assert_allclose is original
    shell.run_cell("import course_utils.checks as c\nc.check_model = None\nc.HINTS.clear()")
    assert checks.check_model is not None and checks.HINTS


def test_an_input_transformer_or_error_handler_does_not_outlive_its_cell(shell):
    shell.run_cell("get_ipython().input_transformers_post.append(lambda lines: [])")
    assert not shell.run_cell("assert False, 'still checked'").success
    shell.run_cell("get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)")
    assert shell.custom_exceptions == ()


def run_test_cell_after(shell, *body: str):
    """Define the student's ``answer()`` (``body`` runs when a check calls it, then it
    returns 3), then run the test cell; its result."""
    lines = "".join(f"    {line}\n" for line in body)
    shell.run_cell(
        f"import typing\nimport course_utils.checks as c\ndef answer():\n{lines}    return 3"
    )
    return shell.run_cell(TEST_CELL)


def test_a_test_cell_during_which_a_check_changes_scores_nothing(shell):
    # the student's function patches a check while the test cell calls it
    result = run_test_cell_after(shell, "c.check_value = lambda *a, **k: 1")
    assert isinstance(result.error_in_exec, TamperingDetected)
    assert "course_utils.checks.check_value" in str(result.error_in_exec)
    assert checks.check_value.__module__ == "course_utils.checks"
    # the same function called from an ordinary cell: undone, no error
    assert shell.run_cell("answer()").success
    assert checks.check_value.__module__ == "course_utils.checks"


def test_swapping_the_code_of_a_check_is_undone_and_caught(shell):
    result = run_test_cell_after(shell, "c.check_value.__code__ = (lambda *a, **k: None).__code__")
    assert isinstance(result.error_in_exec, TamperingDetected)
    assert "check_value.__code__" in str(result.error_in_exec)
    assert checks.check_value.__code__.co_name == "check_value"


def test_what_python_and_libraries_change_by_themselves_is_no_tampering(shell):
    """Reading a class's __annotations__ adds it to the class; matplotlib registers an
    event callback on first import: neither may zero a test cell."""
    result = run_test_cell_after(
        shell, "typing.get_type_hints(c.CheckFailure)", "import matplotlib.pyplot"
    )
    assert result.error_in_exec is None, result.error_in_exec
