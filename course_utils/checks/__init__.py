"""What the notebooks' test cells call: checks that say what is wrong and where.

A failing check raises :class:`CheckFailure` (an ``AssertionError``, so nbgrader scores
the cell 0) whose message names the exercise, the layer or value, what was expected,
what was found, and one hint.

One module per idea:

- ``expected_values``  the expected values: live from the instructor's reference where it is
                 installed, else recorded in ``course_utils/recorded/`` (public checks only)
- ``plain``      a student's result as plain data, the only form a check compares
- ``layers``     a model as a table of layers and a seeded output
- ``models``     model and block checks (``check_model``, ``check_block``)
- ``values``     value checks (``check_value``, ``check_cases``)
- ``calls``      calling the student's code, writing the call out in a message
- ``stand_ins``  correct stand-ins for earlier exercises (``with_correct``)
- ``keras_tutorial``, ``residual_networks``, ``inception``, ``benchmark_tricks``: the
  checks that belong to one assignment

Each check is the student's code called (here, in the student's kernel) and a judge of
plain data; the trusted checker of the grader, outside the kernel, runs the same judges
on what the kernel answers, and it alone decides a grade.

Example (a test cell)::

    from course_utils.checks import check_model
    check_model(HappyModel, "keras_tutorial.HappyModel", "Exercise 2 - HappyModel")
"""

from ..guard import CheckFailure, student_code
from .benchmark_tricks import (
    check_augmenter,
    check_ensemble,
    check_multi_crop,
    check_pca_color,
    check_rgb_pca,
    check_ten_crop,
    crop_probe,
    pca_probe,
    probe_models,
)
from .expected_values import expected
from .inception import check_conv1x1
from .keras_tutorial import (
    check_beats_lecture_model,
    check_compile_and_train,
    check_follows_tips,
    train_and_measure,
)
from .layers import layer_table, seeded_output
from .models import block_model, check_block, check_model
from .plain import plain
from .residual_networks import check_gradient_norms, check_resnet, gradient_probe
from .stand_ins import with_correct
from .values import check_cases, check_value

__all__ = [
    "CheckFailure",
    "block_model",
    "check_augmenter",
    "check_beats_lecture_model",
    "check_block",
    "check_cases",
    "check_compile_and_train",
    "check_conv1x1",
    "check_ensemble",
    "check_follows_tips",
    "check_gradient_norms",
    "check_model",
    "check_multi_crop",
    "check_pca_color",
    "check_rgb_pca",
    "check_ten_crop",
    "check_resnet",
    "check_value",
    "crop_probe",
    "expected",
    "gradient_probe",
    "layer_table",
    "pca_probe",
    "plain",
    "probe_models",
    "seeded_output",
    "student_code",
    "train_and_measure",
    "with_correct",
]
