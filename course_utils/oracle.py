"""The student's kernel as an oracle: it answers the trusted checker's questions about the
functions a notebook defines, with plain data only.

The grader's checker (``course_grader.checker``, in a process of its own that never runs
student code) decides every grade. After the notebook has run, it asks this kernel to
call each graded function on inputs it chose, and reads back what came out: JSON numbers,
strings and lists; arrays as ``.npy`` files; a Keras model as its JSON configuration.
Nothing here is secret and nothing here is trusted: the checker validates every answer
and compares it with the reference in its own process, so patching this module, or
writing answers by hand, earns exactly what the answers are worth.

A request is a folder holding ``request.json``::

    {"questions": [{"id": "q3", "function": "lenet5", "kind": "model",
                    "args": [{"__tuple__": [32, 32, 1]}], "kwargs": {},
                    "stand_ins": [], "memo": {}}]}

plus the ``.npy`` and ``.json`` files its arguments name. :func:`answer` writes
``answers.json`` (``{"q3": {"ok": true, "config": "model.q3.json", ...}}``) and the files
it names into the same folder.

Argument encodings: ``{"__tuple__": [...]}``, ``{"__array__": "x.npy"}``,
``{"__rng__": seed}`` (``np.random.default_rng(seed)``), ``{"__model__": "m.json",
"__weights__": "m.npz"}`` (a model the checker built, rebuilt here with its weights).
Answer kinds: ``value`` (plain data), ``array`` (``.npy``), ``model`` (the function's
model), ``block`` (``block(keras.Input(input_shape), *args)`` wrapped into a model),
``training`` (what ``compile_and_train`` did to the model it was given).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

MAX_JSON_BYTES = 20_000_000  # a model's configuration (VGG-16's is about 60 kB)


def _decode(value, folder: Path):
    if isinstance(value, list):
        return [_decode(v, folder) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tuple__" in value:
        return tuple(_decode(v, folder) for v in value["__tuple__"])
    if "__array__" in value:
        return np.load(folder / value["__array__"], allow_pickle=False)
    if "__rng__" in value:
        return np.random.default_rng(int(value["__rng__"]))
    if "__model__" in value:
        import keras

        model = keras.models.model_from_json((folder / value["__model__"]).read_text())
        with np.load(folder / value["__weights__"], allow_pickle=False) as weights:
            model.set_weights([weights[f"w{i}"] for i in range(len(weights.files))])
        return model
    return {k: _decode(v, folder) for k, v in value.items()}


def _plain(value):
    from .checks.plain import plain

    return plain(value)


def _call(namespace: dict, question: dict, folder: Path):
    """Call the question's function as student code, with its stand-ins."""
    from .checks import stand_ins
    from .guard import student_code

    function = namespace.get(question["function"])
    if not callable(function):
        raise LookupError(
            f"the notebook defines no function {question['function']}(); run its cell, and "
            "keep the name the exercise gives"
        )
    args = _decode(question.get("args", []), folder)
    kwargs = _decode(question.get("kwargs", {}), folder)
    for name, known in (question.get("memo") or {}).items():
        for entry in known:
            stand_ins.remember(name, tuple(_decode(entry["args"], folder)),
                               _decode(entry["result"], folder))  # fmt: skip
    if question.get("seed") is not None:
        import keras

        keras.utils.set_random_seed(int(question["seed"]))
    try:
        with stand_ins.with_correct(function, *question.get("stand_ins", [])):
            with student_code(question.get("exercise", question["function"])):
                if question["kind"] in ("model", "block"):
                    # only the configuration is asked for: no weights drawn
                    from .checks.layers import weights_as_zeros

                    with weights_as_zeros():
                        if question["kind"] == "block":
                            from .checks.models import block_model

                            shape = tuple(question["input_shape"])
                            return function, block_model(function, shape, *args, **kwargs), args
                        return function, _built(function(*args, **kwargs), question), args
                return function, function(*args, **kwargs), args
    finally:
        stand_ins.forget()


def _built(model, question: dict):
    """A Sequential the function returned unbuilt, built on the question's input shape."""
    if question.get("input_shape") and hasattr(model, "built") and not model.built:
        model.build((None, *question["input_shape"]))
    return model


def _model_answer(model, qid: str, folder: Path) -> dict:
    import keras

    if not isinstance(model, keras.Model):
        return {"ok": False, "error": f"expected a keras.Model, got {type(model).__name__}"}
    try:
        text, params = model.to_json(), int(model.count_params())
    except Exception as exc:  # noqa: BLE001 - a Sequential without an input is not built
        from .guard import first_line

        return {
            "ok": False,
            "no_input": True,
            "error": f"the model has no defined input, so its layers have no shapes "
            f"({first_line(exc)})",
        }
    name = f"model.{qid}.json"
    (folder / name).write_text(text)
    return {"ok": True, "config": name, "params": params}


def _training_answer(result, args, qid: str, folder: Path) -> dict:
    """What compile_and_train did to the model it was given (``args[0]``), and the
    weights it ended with."""
    from .checks.keras_tutorial import training_report

    model = args[0]
    report = {"ok": True, **training_report(model, result)}
    name = f"weights.{qid}.npz"
    np.savez(folder / name, **{f"w{i}": w for i, w in enumerate(model.get_weights())})
    report["weights"] = name
    report["weight_count"] = len(model.get_weights())
    return report


def _answer_one(namespace: dict, question: dict, folder: Path) -> dict:
    from .guard import CheckFailure, first_line

    qid, kind = question["id"], question["kind"]
    try:
        function, result, args = _call(namespace, question, folder)
    except NotImplementedError:
        return {"ok": False, "not_written": True, "error": "NotImplementedError"}
    except CheckFailure as exc:  # the guard: an answer that calls a ready-made solution
        return {"ok": False, "error": f"CheckFailure: {first_line(exc)}", "guard": True}
    except BaseException as exc:  # noqa: BLE001 - whatever the student's code raised
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        return {"ok": False, "error": f"{type(exc).__name__}: {first_line(exc)}"}
    if kind in ("model", "block"):
        return _model_answer(result, qid, folder)
    if kind == "training":
        return _training_answer(result, args, qid, folder)
    if kind == "array":
        try:
            array = np.asarray(result, dtype="float64")
        except (TypeError, ValueError) as exc:
            return {"ok": False, "error": f"not an array: {type(result).__name__} ({exc})"}
        name = f"array.{qid}.npy"
        np.save(folder / name, array, allow_pickle=False)
        return {"ok": True, "array": name}
    if kind == "arrays":  # a tuple of arrays (eigenvalues, eigenvectors)
        if not isinstance(result, tuple | list):
            return {"ok": False, "error": f"expected a tuple, found {type(result).__name__}"}
        names = []
        for i, part in enumerate(result):
            name = f"array.{qid}.{i}.npy"
            np.save(folder / name, np.asarray(part, dtype="float64"), allow_pickle=False)
            names.append(name)
        return {"ok": True, "arrays": names}
    return {"ok": True, "value": _plain(result)}


def answer(folder: str | os.PathLike, namespace: dict | None = None) -> None:
    """Answer every question of ``folder/request.json`` from ``namespace`` (default: the
    IPython kernel's user namespace); write ``folder/answers.json``."""
    folder = Path(folder)
    if namespace is None:
        from IPython import get_ipython

        namespace = get_ipython().user_ns
    request = json.loads((folder / "request.json").read_text())
    answers = {}
    for question in request["questions"]:
        answers[question["id"]] = _answer_one(namespace, question, folder)
        # written after each question: a question that never returns (an infinite loop,
        # interrupted by the grader) leaves the answers before it
        part = folder / ".answers.json.part"
        part.write_text(json.dumps(answers))
        os.replace(part, folder / "answers.json")
