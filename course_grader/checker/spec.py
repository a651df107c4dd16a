"""What an exercise asks of a submission: cases, each a call of the student's function,
how its expected value is computed from the reference, and how an answer is judged.

Example (in an exercise module)::

    def lenet5_cases(rng):
        shape = (int(rng.integers(28, 41)),) * 2 + (1,)
        return [
            model_case("lenet5", ((32, 32, 1),), expect=lambda ref: ref.lenet5((32, 32, 1))),
            model_case("lenet5", (shape,), {"classes": 5}, public=False,
                       expect=lambda ref: ref.lenet5(shape, 5)),
        ]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rng:
    """An argument ``np.random.default_rng(seed)``, made in the kernel."""

    seed: int


@dataclass(frozen=True)
class FromReference:
    """An argument (or a memo) computed from the reference when the questions are
    written: ``compute(reference)``."""

    compute: Callable


@dataclass(frozen=True)
class SameComputation:
    """A model answer whose configuration is the reference's, up to what cannot change
    what it computes (``course_utils.checks.layers.computation_signature``): it
    describes as the reference does, so it need not be built."""

    class_name: str


@dataclass
class Case:
    """One call of the student's function, and how to decide it.

    ``kind``: what the answer is (``value``, ``array``, ``arrays``, ``model``, ``block``,
    ``training``). ``expect(reference)`` computes the expected value in the checker
    (``reference``: the package ``course_reference``); ``judge(case, answer, expected)``
    raises ``CheckFailure`` with the student's message. ``public``: the same call the
    released test cell makes (its expected value is cached per release); a hidden case
    is drawn fresh for every submission. ``stand_ins``: earlier exercises' functions
    replaced while it runs (``course_utils.checks.stand_ins``); ``memo``: what a memo
    stand-in answers, ``{name: [(args, result)]}``. ``seed``: Keras' global seed, set
    just before the call. ``label``: the call as the messages and the ledger write it.
    ``hints``: ``{words in a build error: hint}`` (``build_failure_hint``).
    """

    function: str
    kind: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    expect: Callable | None = None
    judge: Callable | None = None
    public: bool = True
    stand_ins: tuple = ()
    memo: dict = field(default_factory=dict)
    input_shape: tuple | None = None  # a block's input (kind "block")
    seed: int | None = None
    label: str = ""
    timeout_s: float = 60.0
    key: str = ""  # a public case's cache key (defaults to the label)
    hints: dict = field(default_factory=dict)  # build errors' hints (checks.models)


@dataclass
class Exercise:
    """A graded test cell: ``grade_id``, the title its messages start with, its cases
    for a seeded generator, and the names an answer may not use (``forbidden``: dotted
    attribute paths such as ``keras.applications``, looked for in the answer's cells)."""

    grade_id: str
    title: str
    cases: Callable  # rng -> list[Case]
    answer_cell: str = ""  # grade_id of the solution cell (for the static checks)
    forbidden: tuple = ()


# --------------------------------------------------------------------------- case makers
def call_label(function: str, args=(), kwargs=None) -> str:
    """``function(arg, ..., key=value)``, the call a message writes out."""
    from course_utils.checks.calls import call_text

    return call_text(function, list(args), dict(kwargs or {}))


def _described(build, ref):
    """The reference model of ``build(ref)`` (built with zero weights: they are drawn
    again) as a lazy :class:`~course_utils.checks.models.Description`: described only
    when an answer does not have its computation signature (a public case's is cached
    for the release, so it is described at most once per checker process)."""
    from course_utils.checks.layers import weights_as_zeros
    from course_utils.checks.models import Description

    with weights_as_zeros():
        return Description(build(ref))


def value_case(function: str, args=(), kwargs=None, *, expect, hint="", public=True, **extra):
    """A plain-value case judged as ``check_cases`` judges: the result written out."""
    from course_utils.checks.values import judge_case

    kwargs = dict(kwargs or {})

    def judge(case, answer, expected, exercise):
        record = {
            "args": [list(a) if isinstance(a, tuple) else a for a in case.args],
            "kwargs": case.kwargs,
            "result": expected,
        }
        judge_case(case.function, record, answer, exercise, hint)

    def plain_expect(ref):
        from course_utils.checks.plain import plain

        return plain(expect(ref))

    return Case(
        function,
        "value",
        tuple(args),
        kwargs,
        expect=plain_expect,
        judge=judge,
        public=public,
        label=call_label(function, args, kwargs),
        **extra,
    )


def model_case(
    function: str, args=(), kwargs=None, *, build, public=True, judge=None, api="", **extra
):
    """A model the student's function builds, compared with the reference's ``build(ref)``
    as ``check_model`` compares them (``judge`` replaces ``judge_model``; ``api``: the
    class the lesson asks for, as ``check_model``'s)."""
    from course_utils.checks.models import describe, judge_api, judge_model

    kwargs = dict(kwargs or {})

    def expect(ref):
        return _described(build, ref)

    def judge_it(case, model, expected, exercise):
        same = isinstance(model, SameComputation)
        if not (same and judge is None):  # the reference's computation: nothing to compare
            got = expected if same else describe(model, exercise, False)
            (judge or judge_model)(got, expected, exercise)
        if api:  # after the layers, as check_model does
            judge_api(model.class_name if same else type(model).__name__, api, exercise)

    return Case(
        function,
        "model",
        tuple(args),
        kwargs,
        expect=expect,
        judge=judge_it,
        public=public,
        label=call_label(function, args, kwargs),
        **extra,
    )


def block_case(
    function: str,
    input_shape,
    args=(),
    kwargs=None,
    *,
    build,
    public=True,
    residual=True,
    **extra,
):
    """A block (tensor -> tensor) wrapped on ``keras.Input(input_shape)`` into a model and
    judged as ``check_block`` judges a residual block (``residual``), else as
    ``check_model`` judges a model."""
    from course_utils.checks.models import describe, judge_block, judge_model

    kwargs = dict(kwargs or {})

    def expect(ref):
        return _described(build, ref)

    def judge(case, model, expected, exercise):
        if isinstance(model, SameComputation):
            return  # the reference's computation: nothing to compare
        (judge_block if residual else judge_model)(
            describe(model, exercise, False), expected, exercise
        )

    shape = "x".join(str(v) for v in input_shape)
    label = call_label(function, ("X",) + tuple(args), kwargs).replace("'X'", f"X ({shape})")
    return Case(
        function,
        "block",
        tuple(args),
        kwargs,
        expect=expect,
        judge=judge,
        public=public,
        input_shape=tuple(input_shape),
        label=label,
        **extra,
    )
