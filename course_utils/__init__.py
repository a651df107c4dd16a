"""What a student imports: the package every assignment notebook uses.

One module per idea:

- ``datasets``  Happy, SIGNS, digits, photos, your own images; the course HDF5 format
- ``synthetic`` the seeded generator of the shipped Happy House drawings
- ``plotting``  image grids, training curves, confusion matrices, cost charts
- ``cost``      parameters and multiplications per layer and per model, counted
- ``timing``    inference and training times, measured in alternation
- ``training``  the course's training recipe in one call
- ``models``    ready-made networks the notebooks use (never a graded answer)
- ``budget``    how much heavy work (training) a notebook does: full for students,
                quick for CI and the grader
- ``guard``     how a check fails, and the guard against calling a function that
                computes the answer
- ``checks``    what test cells call: checks that say what is wrong and where

It imports nothing of the course's two other packages, ``course_reference`` (the
solutions) and ``course_grader`` (the instructor's grader): a student's copy of the
course holds this package alone, byte for byte.

Importing the package quiets TensorFlow's C++ start-up logging, so that its noise does
not bury a notebook's own output (it must be set before TensorFlow is imported).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.2.0"
