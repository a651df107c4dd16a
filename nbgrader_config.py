"""nbgrader settings for this course: notebooks/ is the source, everything made goes
under build/. The settings themselves live in course_utils.grading.configure."""

import os

from course_utils.grading import configure

configure(get_config(), root=os.path.dirname(os.path.abspath(__file__)))  # noqa: F821
