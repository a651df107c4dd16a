"""The trusted checker's hidden cases are drawn fresh for every submission: every draw
must be a question the reference can answer, or a correct submission loses the points
of that draw by chance."""

from __future__ import annotations

import numpy as np
import pytest

import course_reference
from course_grader.checker import exercises
from course_grader.checker.plan import cases_of
from course_grader.course import find_assignments
from helpers import REPO

SEEDS = range(16)


@pytest.mark.slow  # about 30 s: the reference's models are built for every draw
@pytest.mark.parametrize("assignment", find_assignments(REPO))
def test_the_reference_answers_every_hidden_draw(assignment):
    for seed in SEEDS:
        for exercise, cases in cases_of(exercises.module(assignment).EXERCISES, seed):
            for case in cases:
                if case.public or case.expect is None:
                    continue
                try:
                    case.expect(course_reference)
                except Exception as exc:  # noqa: BLE001 - named in the failure
                    pytest.fail(f"seed {seed}: {case.label or exercise.title}: {exc!r}")


def test_a_hidden_augmenter_always_has_a_distortion():
    """An augmenter with every distortion off has no layer and cannot be built by
    anyone (it failed a correct answer in 1 draw of 16)."""
    cases = exercises.module("benchmark_tricks").build_augmenter_cases
    for seed in range(500):
        for case in cases(np.random.default_rng(seed)):
            off = {"flip": False, "rotation": 0.0, "zoom": 0.0, "contrast": 0.0}
            assert any(case.kwargs.get(k, True) != v for k, v in off.items()), case.label


def test_an_improved_model_submitted_again_is_trained_once(monkeypatch):
    """Training an improved model takes seconds: the checker trains each model once (by
    its training signature: names Keras made up left out, initialisers kept)."""
    import json

    from course_reference import keras_tutorial as ref
    from course_utils.checks import keras_tutorial as tutorial_checks

    module = exercises.module("keras_tutorial")
    monkeypatch.setattr(module, "TRAINED", {})
    trained = []

    def train(build, **kwargs):
        trained.append(build((64, 64, 3)))
        return 0.99, 0.01

    monkeypatch.setattr(tutorial_checks, "train_and_measure", train)
    (case,) = [c for c in module.improved_model_cases(np.random.default_rng(0)) if not c.public]
    lecture = {"accuracy": 0.975, "loss": 0.059}
    for _ in range(2):  # the second build's unnamed layers get other names from Keras
        case.judge(case, ref.improved_model.unguarded((64, 64, 3)), lecture, "Ex")
    assert len(trained) == 1
    config = json.loads(ref.improved_model.unguarded((64, 64, 3)).to_json())
    config["config"]["layers"][1]["config"]["kernel_initializer"] = {
        "module": "keras.initializers", "class_name": "HeNormal", "config": {"seed": None},
        "registered_name": None,
    }  # fmt: skip
    other = __import__("keras").models.model_from_json(json.dumps(config))
    case.judge(case, other, lecture, "Ex")
    assert len(trained) == 2  # another initialiser trains otherwise: trained again
