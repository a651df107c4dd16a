"""Instructor-only: the reference solutions of the graded exercises.

Never part of a student bundle. The checks in ``course_utils.checks`` compute expected
values from these at check time when this package is present (the instructor's
autograder, the source notebooks, CI), and fall back to values recorded from them at
release time when it is not (the student bundle).

``BUILDERS`` maps a check key to a function that builds the reference model.
"""

from . import keras_tutorial

BUILDERS = {
    "keras_tutorial.HappyModel": lambda: keras_tutorial.HappyModel((64, 64, 3)),
    "keras_tutorial.happy_model_sequential": lambda: keras_tutorial.happy_model_sequential(
        (64, 64, 3)
    ),
}

# measured: too slow to compute at check time, so always read from recorded/ (a slow
# test re-measures them)
MEASURED = {
    "keras_tutorial.lecture_dev_score": keras_tutorial.lecture_dev_score,
}

VALUES = {
    "keras_tutorial.layer_output_shapes": lambda: keras_tutorial.layer_output_shapes((64, 64, 3)),
}


def record_all():
    """Re-record the expected values of every check (run after changing a reference)."""
    from course_utils import checks

    keys = sorted({*BUILDERS, *VALUES, *MEASURED})
    for assignment in sorted({k.split(".")[0] for k in keys}):
        print(checks.record(assignment, [k for k in keys if k.startswith(assignment + ".")]))
