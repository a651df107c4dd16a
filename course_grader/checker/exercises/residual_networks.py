"""Assignment 3, residual networks: gradient norms, the two blocks, ResNet-50."""

import numpy as np

from course_grader.checker.spec import Case, Exercise, block_case, model_case


def _ref(ref):
    return ref.residual_networks


def _norms_case(model, X, Y, label, public):
    def expect(ref):
        return _ref(ref).layer_gradient_norms.unguarded(model, X, Y)

    def judge(case, got, want, exercise):
        from course_utils.checks.residual_networks import judge_gradient_norms

        judge_gradient_norms(got, want, len(X), exercise)

    return Case(
        "layer_gradient_norms",
        "value",
        (model, X, Y),
        expect=expect,
        judge=judge,
        public=public,
        label=label,
        key="layer_gradient_norms/probe",
    )


def layer_gradient_norms_cases(rng):
    import keras

    from course_utils.checks.residual_networks import gradient_probe
    from course_utils.models import plain_network

    seed = int(rng.integers(0, 2**31))
    keras.utils.set_random_seed(seed)
    depth = int(rng.choice([4, 6, 8]))  # plain_network takes an even depth
    model = plain_network(depth=depth, width=4, input_shape=(16, 16, 3), classes=3)
    data = np.random.default_rng(seed)
    X = data.uniform(size=(6, 16, 16, 3)).astype("float32")
    Y = np.eye(3, dtype="float32")[data.integers(0, 3, size=6)]
    return [
        _norms_case(*gradient_probe(), "layer_gradient_norms(the probe network, X, Y)", True),
        _norms_case(model, X, Y, f"a {depth}-layer network with batch normalisation", False),
    ]


def _blocks(rng, count, conv):
    found = []
    for _ in range(count):
        f = int(rng.choice([2, 3]))
        h, w = (int(v) for v in rng.integers(3, 7, size=2))
        F1, F2, F3 = (int(v) for v in rng.integers(2, 9, size=3))
        c = int(rng.integers(2, 9)) if conv else F3
        s = int(rng.choice([1, 2])) if conv else None
        found.append(((h, w, c), f, (F1, F2, F3), s))
    return found


def identity_block_cases(rng):
    cases = [
        block_case(
            "identity_block",
            (4, 4, 6),
            (3, (2, 4, 6)),
            {"name": "check"},
            build=lambda ref: _block(ref, "identity_block", (4, 4, 6), 3, (2, 4, 6), name="check"),
        )
    ]
    for shape, f, filters, _ in _blocks(rng, 2, conv=False):
        cases.append(
            block_case(
                "identity_block",
                shape,
                (f, filters),
                {"name": "other"},
                public=False,
                build=lambda ref, a=(shape, f, filters): _block(
                    ref, "identity_block", *a, name="other"
                ),
            )
        )
    return cases


def convolutional_block_cases(rng):
    cases = [
        block_case(
            "convolutional_block",
            (4, 4, 6),
            (3, (2, 4, 6)),
            {"s": 2, "name": "check"},
            build=lambda ref: _block(
                ref, "convolutional_block", (4, 4, 6), 3, (2, 4, 6), s=2, name="check"
            ),
        )
    ]
    for shape, f, filters, s in _blocks(rng, 2, conv=True):
        cases.append(
            block_case(
                "convolutional_block",
                shape,
                (f, filters),
                {"s": s, "name": "other"},
                public=False,
                build=lambda ref, a=(shape, f, filters), s=s: _block(
                    ref, "convolutional_block", *a, s=s, name="other"
                ),
            )
        )
    return cases


def _block(ref, function_name, shape, *args, **kwargs):
    from course_utils.checks.models import block_model

    return block_model(getattr(_ref(ref), function_name).unguarded, shape, *args, **kwargs)


STAND_INS = ("identity_block", "convolutional_block")


def _stages_judge(stages):
    """The public check's judge of a ResNet (:func:`judge_resnet`) for ``stages``."""

    def judge(got, expected, exercise):
        from course_utils.checks.residual_networks import judge_resnet

        judge_resnet(got, expected, exercise, stages)

    return judge


def _resnet_case(classes, stages, public, key=""):
    from course_utils.checks.residual_networks import RESNET_HINTS

    return model_case(
        "ResNet50",
        ((64, 64, 3),),
        {"classes": classes, "stages": stages},
        public=public,
        judge=_stages_judge(stages),
        stand_ins=STAND_INS,
        hints=RESNET_HINTS,
        key=key,
        build=lambda ref: ref._resnet50_with_stand_ins((64, 64, 3), classes, stages),
    )


def resnet50_cases(rng):
    from course_reference import RESNET_STAGES

    classes = int(rng.integers(2, 20))
    stages = (3, 4, int(rng.choice([8, 23, 36])), 3)
    return [
        _resnet_case(6, (3, 4, 6, 3), True, "ResNet50"),
        _resnet_case(6, RESNET_STAGES, True, "ResNet50/stages"),
        # other classes and other stages (ResNet-101, -152 or a deeper third stage)
        _resnet_case(classes, stages, False),
    ]


EXERCISES = [
    Exercise(
        "layer_gradient_norms_tests",
        "Exercise 1 - layer_gradient_norms",
        layer_gradient_norms_cases,
        answer_cell="layer_gradient_norms",
    ),
    Exercise(
        "identity_block_tests",
        "Exercise 2 - identity_block",
        identity_block_cases,
        answer_cell="identity_block",
    ),
    Exercise(
        "convolutional_block_tests",
        "Exercise 3 - convolutional_block",
        convolutional_block_cases,
        answer_cell="convolutional_block",
    ),
    Exercise(
        "ResNet50_tests",
        "Exercise 4 - ResNet50",
        resnet50_cases,
        answer_cell="ResNet50",
        forbidden=("keras.applications",),
    ),
]
