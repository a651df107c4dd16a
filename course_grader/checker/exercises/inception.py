"""Assignment 4, inception: the 1x1 convolution, the bottleneck's cost, the module, and
the small network."""

from course_grader.checker.spec import Case, Exercise, block_case, model_case, value_case

BOTTLENECK_HINT = (
    "output numbers (n_H * n_W * filters) times the multiplications of each "
    "(f * f * the channels the filter sees: n_C directly, reduce_to after the 1x1); add "
    "the 1x1 conv's own n_H * n_W * reduce_to * n_C. Biases are additions."
)


def _ref(ref):
    return ref.inception


def conv1x1_cases(rng):
    from course_utils.checks.inception import CONV1X1_SHAPES, conv1x1_call, conv1x1_case

    hidden = [(2, 28, 28, 192, 32), (2, 2, 3, 4, 4), (1, 1, 1, 1, 1)]  # the lecture's shrink
    hidden.append(tuple(int(v) for v in rng.integers(1, 9, size=5)))
    cases = []
    for i, shape in enumerate([*CONV1X1_SHAPES, *hidden]):
        X, W, b, want, no_bias = conv1x1_case(i + (0 if i < len(CONV1X1_SHAPES) else 1000), shape)

        def judge(case, got, expected, exercise):
            from course_utils.checks.inception import judge_conv1x1

            judge_conv1x1(got, expected["want"], expected["no_bias"], exercise, case.label)

        cases.append(
            Case(
                "conv1x1",
                "array",
                (X, W, b),
                expect=lambda ref, w=want, n=no_bias: {"want": w, "no_bias": n},
                judge=judge,
                public=i < len(CONV1X1_SHAPES),
                label=conv1x1_call(X, W, b),
            )
        )
    return cases


def bottleneck_cost_cases(rng):
    from course_reference import BOTTLENECK_CALLS

    hidden = []
    for _ in range(40):
        shape = tuple(int(v) for v in rng.integers(1, 60, size=2)) + (int(rng.integers(1, 512)),)
        filters, f = int(rng.integers(1, 256)), int(rng.choice([1, 3, 5, 7]))
        hidden.append(((shape, filters, f, int(rng.integers(1, 64))), {}))
    return [
        value_case(
            "bottleneck_cost",
            args,
            kwargs,
            hint=BOTTLENECK_HINT,
            public=public,
            expect=lambda ref, a=args: _ref(ref).bottleneck_cost.unguarded(*a),
        )
        for public, calls in ((True, BOTTLENECK_CALLS), (False, hidden))
        for args, kwargs in calls
    ]


def _module(ref, shape, filters, name):
    from course_utils.checks.models import block_model

    return block_model(_ref(ref).inception_module.unguarded, shape, filters, name=name)


def inception_module_cases(rng):
    shape = tuple(int(v) for v in rng.integers(3, 8, size=2)) + (int(rng.integers(1, 6)),)
    filters = tuple(int(v) for v in rng.integers(1, 5, size=6))
    return [
        block_case(
            "inception_module",
            (6, 6, 5),
            ((4, 2, 4, 2, 3, 3),),
            {"name": "check"},
            residual=False,
            build=lambda ref: _module(ref, (6, 6, 5), (4, 2, 4, 2, 3, 3), "check"),
        ),
        block_case(
            "inception_module",
            shape,
            (filters,),
            {"name": "other"},
            residual=False,
            public=False,
            build=lambda ref: _module(ref, shape, filters, "other"),
        ),
    ]


def small_inception_net_cases(rng):
    classes = int(rng.integers(2, 20))
    return [
        model_case(
            "small_inception_net",
            ((64, 64, 3),),
            stand_ins=("inception_module",),
            build=lambda ref: ref._small_inception_with_stand_ins((64, 64, 3), 6),
        ),
        model_case(
            "small_inception_net",
            ((32, 32, 3),),
            {"classes": classes},
            public=False,
            stand_ins=("inception_module",),
            build=lambda ref: ref._small_inception_with_stand_ins((32, 32, 3), classes),
        ),
    ]


EXERCISES = [
    Exercise("conv1x1_tests", "Exercise 1 - conv1x1", conv1x1_cases, answer_cell="conv1x1"),
    Exercise(
        "bottleneck_cost_tests",
        "Exercise 2 - bottleneck_cost",
        bottleneck_cost_cases,
        answer_cell="bottleneck_cost",
    ),
    Exercise(
        "inception_module_tests",
        "Exercise 3 - inception_module",
        inception_module_cases,
        answer_cell="inception_module",
    ),
    Exercise(
        "small_inception_net_tests",
        "Exercise 4 - small_inception_net",
        small_inception_net_cases,
        answer_cell="small_inception_net",
        forbidden=("keras.applications",),
    ),
]
