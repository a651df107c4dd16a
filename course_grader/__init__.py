"""The instructor's grader: the ``course`` command (release, collect, autograde,
feedback, export, report) on top of nbgrader.

- ``course``        the course directory, nbgrader's settings, shared low-level names
- ``markers``       nbgrader's BEGIN/END cell markers, one scanner for all
- ``authoring``     checks on source notebooks; keeping only the outputs nbval compares
- ``release``       the student version of each assignment, checked for leaks
- ``bundle``        the student repository: a copy of course_utils, the releases, the data
- ``collect``       submissions from a zip or folder, each accepted or rejected with why
- ``restore``       the released notebook's structure put back into a submission
- ``sandbox``       the grading kernel's sandbox (bubblewrap, limits, its own user);
                    ``launcher`` is its first program, the only file the sandbox sees
- ``autograde``     the batch: tasks, workers, the one writer and its ledger, backends
- ``preprocessors`` the course's nbgrader preprocessors, one per file
- ``feedback``      per-student HTML pages; ``report``: grades.csv and the class report
- ``cli``           the ``course`` command

It may import ``course_reference`` and ``course_utils``; neither imports it.
"""
