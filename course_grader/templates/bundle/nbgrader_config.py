# Settings of nbgrader's Validate button (it re-runs the whole notebook).
c = get_config()  # noqa: F821
c.Execute.timeout = 900  # seconds per cell: training takes minutes
c.Execute.startup_timeout = 120
