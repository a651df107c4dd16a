"""The course's nbgrader preprocessors, one per file, as nbgrader keeps its own."""
