"""Helpers for the course *Deep convolutional models: case studies*.

Every assignment notebook imports from this package. One module per idea:

- ``datasets``  Happy, SIGNS, digits, photos, your own images; the course HDF5 format
- ``synthetic`` the seeded generators of the shipped Happy and SIGNS sets
- ``plotting``  image grids (and later curves, confusion matrices, cost charts)
- ``budget``    how much heavy work (training) a notebook does: full for students,
                quick for CI and the autograder
- ``checks``    what test cells call: model and value checks that say what is wrong
- ``reference`` instructor-only reference solutions (never in a student bundle)
- ``grading``   the instructor's ``course`` command (release, and later the rest)
- ``sandbox``   the grading kernel's sandbox (bubblewrap, limits, its own user)
- ``integrity`` the grading kernel's guard: what a cell changes in the checks is undone
- ``restore``   the released notebook's structure put back into a submission
- ``authoring`` checks on source notebooks (nbgrader metadata, stored outputs)

Importing the package quiets TensorFlow's C++ start-up logging, so that its noise does
not bury a notebook's own output (it must be set before TensorFlow is imported).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
