import pytest

from course_utils import budget


def test_default_is_full(monkeypatch):
    monkeypatch.delenv("COURSE_BUDGET", raising=False)
    assert budget.current() == "full"
    assert budget.pick(full=20, quick=2) == 20


def test_quick(monkeypatch):
    monkeypatch.setenv("COURSE_BUDGET", "quick")
    assert budget.pick(full=20, quick=2) == 2
    line = budget.describe(epochs=(20, 2))
    assert "quick" in line and "epochs=2" in line and "epochs=20" in line


def test_typo_is_an_error_not_a_full_run(monkeypatch):
    monkeypatch.setenv("COURSE_BUDGET", "quik")
    with pytest.raises(ValueError, match="COURSE_BUDGET='quik'"):
        budget.current()
