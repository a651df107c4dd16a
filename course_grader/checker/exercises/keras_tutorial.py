"""Assignment 1, the Keras tutorial: layer shapes, HappyModel (Functional and
Sequential), compiling and training, and an improved model."""

from course_grader.checker.spec import Case, Exercise, model_case, value_case


def _ref(ref):
    return ref.keras_tutorial


def layer_output_shapes_cases(rng):
    h, w = (int(v) for v in rng.integers(16, 80, size=2))
    c = int(rng.integers(1, 8))
    return [
        value_case(
            "layer_output_shapes",
            ((64, 64, 3),),
            expect=lambda ref: _ref(ref).layer_output_shapes.unguarded((64, 64, 3)),
        ),
        value_case(
            "layer_output_shapes",
            ((h, w, c),),
            public=False,
            expect=lambda ref: _ref(ref).layer_output_shapes.unguarded((h, w, c)),
        ),
    ]


def _happy_cases(function, rng, api):
    """The public call at 64x64x3, and a hidden one at another size: a model must be
    built for the input_shape it is given, not for (64, 64, 3) written in."""
    n = int(rng.choice([32, 48, 96]))

    def build(shape):
        return lambda ref: getattr(_ref(ref), function).unguarded(shape)

    return [
        model_case(function, ((64, 64, 3),), api=api, build=build((64, 64, 3))),
        model_case(function, ((n, n, 3),), public=False, api=api, build=build((n, n, 3))),
    ]


def happy_model_cases(rng):
    return _happy_cases("HappyModel", rng, "Functional")


def happy_model_sequential_cases(rng):
    return _happy_cases("happy_model_sequential", rng, "Sequential")


def compile_and_train_cases(rng):
    from course_utils.checks.keras_tutorial import TRAINING, training_probe

    seed = int(rng.integers(0, 2**31))
    model, x, y, x_dev, y_dev = training_probe()
    args = (model, x, y, x_dev, y_dev, TRAINING["epochs"], TRAINING["batch_size"])

    def expect(ref):
        import keras

        from course_grader.checker.safe_models import rebuild

        again = rebuild(model.to_json())
        again.set_weights(model.get_weights())
        keras.utils.set_random_seed(seed)
        _ref(ref).compile_and_train.unguarded(again, *args[1:])
        return {"weights": again.get_weights()}

    def judge(case, report, expected, exercise):
        from course_utils.checks.keras_tutorial import judge_training

        dev_loss = None
        if report.get("compiled") and report.get("weights_found") is not None:
            import keras

            trained = keras.models.clone_model(model)
            trained.set_weights(report["weights_found"])
            trained.compile(loss="binary_crossentropy")
            dev_loss = float(trained.evaluate(x_dev, y_dev, verbose=0))
        judge_training(report, len(x), exercise, dev_loss=dev_loss, replay=expected)

    return [
        Case(
            "compile_and_train",
            "training",
            args,
            expect=expect,
            judge=judge,
            seed=seed,
            label="compile_and_train(a small model, 12 training and 4 dev images, 2 epochs, "
            "batches of 4)",
            key=f"compile_and_train/{seed}",
        ),
    ]


# the dev (accuracy, loss) of each improved model trained here, by training signature:
# the training is seeded, so a model submitted again (most of a class keeps the model of
# the lecture's tips) is trained once per checker process, not once per submission
TRAINED: dict[str, tuple[float, float]] = {}


def improved_model_cases(rng):
    """What the released test cell checks (the lecture's tips, no training: too long for
    the student's kernel), then, hidden, the model trained as the lecture model was."""

    def expect(ref):
        from course_utils.checks.expected_values import recorded

        return recorded("keras_tutorial.lecture_dev_score")

    def follows_tips(case, model, lecture, exercise):
        from course_utils.checks.keras_tutorial import judge_follows_tips

        judge_follows_tips(model, exercise)

    def beats_lecture(case, model, lecture, exercise):
        import json

        from course_grader.checker.safe_models import rebuild
        from course_utils.checks.keras_tutorial import (
            judge_beats_lecture_model,
            judge_follows_tips,
            train_and_measure,
        )
        from course_utils.checks.layers import training_signature

        judge_follows_tips(model, exercise)
        config = model.to_json()
        key = training_signature(json.loads(config))
        if key not in TRAINED:
            TRAINED[key] = train_and_measure(lambda shape: rebuild(config))
        accuracy, loss = TRAINED[key]
        judge_beats_lecture_model(accuracy, loss, lecture, exercise)

    return [
        Case(
            "improved_model",
            "model",
            ((64, 64, 3),),
            expect=expect,
            judge=follows_tips,
            label="improved_model((64, 64, 3))",
        ),
        Case(
            "improved_model",
            "model",
            ((64, 64, 3),),
            expect=expect,
            judge=beats_lecture,
            public=False,
            label="improved_model((64, 64, 3)), trained as the lecture model was",
            timeout_s=300,
        ),
    ]


EXERCISES = [
    Exercise(
        "layer_output_shapes_tests",
        "Exercise 1 - layer_output_shapes",
        layer_output_shapes_cases,
        answer_cell="layer_output_shapes",
    ),
    Exercise(
        "happy_model_tests",
        "Exercise 2 - HappyModel",
        happy_model_cases,
        answer_cell="happy_model",
        forbidden=("keras.applications",),
    ),
    Exercise(
        "happy_model_sequential_tests",
        "Exercise 3 - happy_model_sequential",
        happy_model_sequential_cases,
        answer_cell="happy_model_sequential",
    ),
    Exercise(
        "compile_and_train_tests",
        "Exercise 4 - compile_and_train",
        compile_and_train_cases,
        answer_cell="compile_and_train",
    ),
    Exercise(
        "improved_model_tests",
        "Exercise 5 - improved_model",
        improved_model_cases,
        answer_cell="improved_model",
    ),
]
