"""nbgrader settings for this course: notebooks/ is the source, everything made goes
under build/. The settings themselves live in course_grader.course.configure."""

import os

from course_grader.course import configure

configure(get_config(), root=os.path.dirname(os.path.abspath(__file__)))  # noqa: F821
