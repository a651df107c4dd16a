"""Assignment 2, classic networks: the conv arithmetic, LeNet-5, AlexNet, VGG-16."""

from course_grader.checker.spec import Exercise, model_case, value_case


def _ref(ref):
    return ref.classic_networks


CONV_HINT = (
    "n' = floor((n + 2p - f) / s) + 1, with p = 0 for 'valid' and (f - 1) // 2 for "
    "'same'; the channels are the number of filters."
)
MACS_HINT = (
    "output numbers (n_H' * n_W' * n_C') times the multiplications of each "
    "(f * f * n_C, with n_C the input's channels); biases are additions."
)


def _random_convs(rng, count=40, max_channels=64, sizes=(1, 3, 5, 7, 11), max_stride=5):
    """(args, kwargs) of convolutions whose window fits their input."""
    calls = []
    while len(calls) < count:
        shape = (
            int(rng.integers(5, 80)),
            int(rng.integers(5, 80)),
            int(rng.integers(1, max_channels)),
        )
        f, s = int(rng.choice(sizes)), int(rng.integers(1, max_stride))
        padding = [str(rng.choice(["valid", "same"])), int(rng.integers(0, 4))][
            int(rng.integers(2))
        ]
        p = {"valid": 0, "same": (f - 1) // 2}.get(padding, padding)
        if min(shape[:2]) + 2 * p < f:
            continue  # the window does not fit this input
        calls.append(((shape, int(rng.integers(1, 512)), f), {"s": s, "padding": padding}))
    return calls


def conv_output_shape_cases(rng):
    from course_reference import CONV_CALLS

    cases = []
    for public, calls in ((True, CONV_CALLS), (False, _random_convs(rng))):
        for args, kwargs in calls:
            cases.append(
                value_case(
                    "conv_output_shape",
                    args,
                    kwargs,
                    hint=CONV_HINT,
                    public=public,
                    expect=lambda ref, a=args, k=kwargs: _ref(ref).conv_output_shape.unguarded(
                        *a, **k
                    ),
                )
            )
    return cases


def conv_multiplications_cases(rng):
    from course_reference import CONV_CALLS

    cases = []
    for public, calls in (
        (True, CONV_CALLS),
        (False, _random_convs(rng, max_channels=256, sizes=(1, 3, 5, 7), max_stride=4)),
    ):
        for args, kwargs in calls:
            cases.append(
                value_case(
                    "conv_multiplications",
                    args,
                    kwargs,
                    hint=MACS_HINT,
                    public=public,
                    stand_ins=("conv_output_shape",),
                    expect=lambda ref, a=args, k=kwargs: _ref(ref).conv_multiplications.unguarded(
                        *a, **k
                    ),
                )
            )
    return cases


def lenet5_cases(rng):
    n = int(rng.integers(28, 41))
    classes = int(rng.integers(2, 20))
    return [
        model_case(
            "lenet5", ((32, 32, 1),), build=lambda ref: _ref(ref).lenet5.unguarded((32, 32, 1))
        ),
        model_case(
            "lenet5",
            ((n, n, 1),),
            {"classes": classes},
            public=False,
            build=lambda ref: _ref(ref).lenet5.unguarded((n, n, 1), classes),
        ),
    ]


def alexnet_cases(rng):
    classes = int(rng.integers(2, 50))
    return [
        model_case(
            "alexnet",
            ((227, 227, 3),),
            build=lambda ref: _ref(ref).alexnet.unguarded((227, 227, 3)),
        ),
        # the paper's two-GPU network: conv2, conv4 and conv5 in two groups
        model_case(
            "alexnet",
            ((227, 227, 3),),
            {"classes": classes, "groups": 2},
            public=False,
            build=lambda ref: _ref(ref).alexnet.unguarded((227, 227, 3), classes, groups=2),
        ),
    ]


def vgg16_cases(rng):
    n = int(rng.choice([32, 64]))
    classes = int(rng.integers(2, 50))
    return [
        model_case(
            "vgg16", ((224, 224, 3),), build=lambda ref: _ref(ref).vgg16.unguarded((224, 224, 3))
        ),
        model_case(
            "vgg16",
            ((n, n, 3),),
            {"classes": classes},
            public=False,
            build=lambda ref: _ref(ref).vgg16.unguarded((n, n, 3), classes),
        ),
    ]


EXERCISES = [
    Exercise(
        "conv_output_shape_tests",
        "Exercise 1 - conv_output_shape",
        conv_output_shape_cases,
        answer_cell="conv_output_shape",
    ),
    Exercise(
        "conv_multiplications_tests",
        "Exercise 2 - conv_multiplications",
        conv_multiplications_cases,
        answer_cell="conv_multiplications",
    ),
    Exercise(
        "lenet5_tests",
        "Exercise 3 - lenet5",
        lenet5_cases,
        answer_cell="lenet5",
        forbidden=("keras.applications",),
    ),
    Exercise(
        "alexnet_tests",
        "Exercise 4 - alexnet",
        alexnet_cases,
        answer_cell="alexnet",
        forbidden=("keras.applications",),
    ),
    Exercise(
        "vgg16_tests",
        "Exercise 5 - vgg16",
        vgg16_cases,
        answer_cell="vgg16",
        forbidden=("keras.applications",),
    ),
]
