"""Fixtures shared by the test suite (helpers the tests import live in helpers.py)."""

from pathlib import Path

import pytest

from helpers import grade_catalog

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def fixture_notebook_path() -> Path:
    """The one-exercise fixture assignment's source notebook (solved)."""
    return FIXTURES / "notebooks" / "fixture" / "fixture.ipynb"


@pytest.fixture(scope="session")
def graded_catalog(tmp_path_factory):
    """``graded_catalog(assignment)``: the assignment's round trip and catalog graded in
    one batch (:func:`helpers.grade_catalog`), once per test run: the round-trip test
    and the catalog test read the same grading."""
    made = {}

    def get(assignment: str):
        if assignment not in made:
            made[assignment] = grade_catalog(assignment, tmp_path_factory.mktemp(assignment))
        return made[assignment]

    return get


BROWSER_CRASH = ("Target crashed", "Page crashed")  # what Playwright says when it happens


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A browser test that failed because Chromium's page crashed says so first (the
    machine ran out of memory, most likely), not only Playwright's 'Target crashed'."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and call.excinfo is not None:
        text = str(call.excinfo.value)
        if any(words in text for words in BROWSER_CRASH):
            report.longrepr = (
                f"THE BROWSER PAGE CRASHED during {item.nodeid}: Chromium's renderer died "
                "(most often the machine ran out of memory - see the README's memory "
                f"figures); this is not a failure of the course's pages.\n{report.longrepr}"
            )
