"""A submission's questions, written for the kernel: one request folder per graded test
cell, holding ``request.json`` and the files its arguments name (see
``course_utils.oracle``).

The cases come from the exercise module and a seed derived from the submission, so
:mod:`.decide` draws exactly the same ones again to judge the answers: nothing but the
seed and the module's text has to travel between the two.

Example::

    groups = make_plan(source, seed, folder)   # [{"grade_id", "folder", "timeout_s"}]
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .spec import Case, FromReference, Rng


def cases_of(exercises, seed: int) -> list[tuple]:
    """``[(exercise, [Case])]``: each exercise's cases for ``seed`` (its own stream, so
    adding an exercise does not change another's)."""
    found = []
    for index, exercise in enumerate(exercises):
        rng = np.random.default_rng([int(seed) % 2**63, index])
        found.append((exercise, exercise.cases(rng)))
    return found


def resolve(value, reference):
    """``value`` with every :class:`FromReference` computed."""
    if isinstance(value, FromReference):
        return value.compute(reference)
    if isinstance(value, tuple):
        return tuple(resolve(v, reference) for v in value)
    if isinstance(value, list):
        return [resolve(v, reference) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, reference) for k, v in value.items()}
    return value


class _Writer:
    def __init__(self, folder: Path):
        self.folder, self.count = folder, 0

    def name(self, suffix: str) -> str:
        self.count += 1
        return f"arg{self.count}{suffix}"

    def encode(self, value):
        import keras

        if isinstance(value, Rng):
            return {"__rng__": int(value.seed)}
        if isinstance(value, np.ndarray):
            name = self.name(".npy")
            np.save(self.folder / name, value, allow_pickle=False)
            return {"__array__": name}
        if isinstance(value, keras.Model):
            config, weights = self.name(".json"), self.name(".npz")
            (self.folder / config).write_text(value.to_json())
            np.savez(
                self.folder / weights, **{f"w{i}": w for i, w in enumerate(value.get_weights())}
            )
            return {"__model__": config, "__weights__": weights}
        if isinstance(value, tuple):
            return {"__tuple__": [self.encode(v) for v in value]}
        if isinstance(value, list):
            return [self.encode(v) for v in value]
        if isinstance(value, dict):
            return {str(k): self.encode(v) for k, v in value.items()}
        if isinstance(value, np.generic):
            return value.item()
        return value


def question(case: Case, qid: str, exercise, writer: _Writer, reference) -> dict:
    """The JSON of one question (its argument files written by ``writer``)."""
    memo = {
        name: [
            {"args": writer.encode(list(args)), "result": writer.encode(result)}
            for args, result in resolve(known, reference)
        ]
        for name, known in case.memo.items()
    }
    entry = {
        "id": qid,
        "function": case.function,
        "kind": case.kind,
        "args": writer.encode(list(resolve(case.args, reference))),
        "kwargs": writer.encode(dict(resolve(case.kwargs, reference))),
        "stand_ins": list(case.stand_ins),
        "memo": memo,
        "seed": case.seed,
        "exercise": exercise.title,
    }
    if case.input_shape is not None:
        entry["input_shape"] = list(case.input_shape)
    return entry


def make_plan(exercises, seed: int, folder: Path, reference) -> list[dict]:
    """Write one request folder per exercise under ``folder``; return the groups
    ``[{"grade_id", "folder" (its name), "timeout_s"}]`` in the exercises' order."""
    folder = Path(folder)
    groups = []
    for exercise, cases in cases_of(exercises, seed):
        where = folder / exercise.grade_id
        where.mkdir(parents=True, exist_ok=True)
        writer = _Writer(where)
        questions = [
            question(case, f"q{i}", exercise, writer, reference) for i, case in enumerate(cases)
        ]
        (where / "request.json").write_text(json.dumps({"questions": questions}))
        groups.append(
            {
                "grade_id": exercise.grade_id,
                "folder": exercise.grade_id,
                "timeout_s": float(sum(c.timeout_s for c in cases)),
            }
        )
    return groups
