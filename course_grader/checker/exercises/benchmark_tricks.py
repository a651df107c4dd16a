"""Assignment 5, benchmark tricks: PCA colour augmentation, the augmenter, ten crops,
ensembles and multi-crop prediction."""

import numpy as np

from course_grader.checker.spec import Case, Exercise, FromReference, Rng


def _ref(ref):
    return ref.benchmark_tricks


def rgb_pca_cases(rng):
    from course_utils.checks.benchmark_tricks import judge_rgb_pca, pca_probe

    def case(images, label, public):
        def expect(ref):
            values, vectors = _ref(ref).rgb_pca.unguarded(images)
            return {"eigenvalues": values.tolist(), "eigenvectors": vectors.tolist()}

        def judge(case, got, want, exercise):
            judge_rgb_pca(got, want, exercise, label)
            if not np.allclose(np.asarray(got[1]).T @ np.asarray(got[1]), np.eye(3), atol=1e-6):
                from course_utils.guard import fail

                fail(
                    exercise,
                    f"{label}: the eigenvectors are not orthonormal.",
                    "return the matrix np.linalg.eigh gives (its columns reordered).",
                )

        return Case(
            "rgb_pca", "arrays", (images,), expect=expect, judge=judge, public=public, label=label
        )

    m, h, w = (int(v) for v in rng.integers(2, 7, size=3))
    seed = int(rng.integers(0, 2**31))
    hidden = pca_probe(seed)[:m, :h, :w] * rng.uniform(0.5, 1.5, size=3)
    return [
        case(pca_probe(), "rgb_pca(images of shape (4, 16, 16, 3))", True),
        case(hidden, f"rgb_pca(images of shape {hidden.shape})", False),
    ]


def pca_color_augmentation_cases(rng):
    from course_utils.checks.benchmark_tricks import judge_pca_color, pca_probe

    def _pca(ref):
        return _ref(ref).rgb_pca.unguarded(pca_probe())

    def case(m, h, w, seed, sigma, public):
        images = pca_probe()[:m, :h, :w]
        call = (
            f"pca_color_augmentation(images of shape {images.shape}, eigenvalues, "
            f"eigenvectors, np.random.default_rng({seed}), sigma={sigma})"
        )

        def expect(ref):
            v, V = _ref(ref).rgb_pca.unguarded(pca_probe())
            out = _ref(ref).pca_color_augmentation.unguarded(
                images, v, V, np.random.default_rng(seed), sigma
            )
            return {"images": out, "values": v, "vectors": V}

        def judge(case, got, want, exercise):
            judge_pca_color(
                got,
                want["images"],
                images,
                want["values"],
                want["vectors"],
                seed,
                sigma,
                exercise,
                call,
            )

        # the eigen-decomposition the checker passes is the reference's (a wrong rgb_pca of
        # the student's costs its own points only)
        return Case(
            "pca_color_augmentation",
            "array",
            (
                images,
                FromReference(lambda ref: _pca(ref)[0]),
                FromReference(lambda ref: _pca(ref)[1]),
                Rng(seed),
                sigma,
            ),
            expect=expect,
            judge=judge,
            public=public,
            label=call,
        )

    m, h, w = (int(v) for v in rng.integers(1, 5, size=3))
    return [
        case(2, 3, 3, 7, 0.1, True),
        case(
            m, h, w, int(rng.integers(0, 2**31)), float(np.round(rng.uniform(0.05, 0.3), 3)), False
        ),
    ]


def build_augmenter_cases(rng):
    from course_utils.checks.benchmark_tricks import judge_augmenter

    def case(kwargs, public):
        def expect(ref):
            from course_utils.checks.models import describe

            model = _ref(ref).build_augmenter.unguarded(**kwargs)
            model.build((None, 8, 8, 3))
            return describe(model, "the reference")

        def judge(case, model, want, exercise):
            judge_augmenter(model, want, kwargs, exercise, (8, 8, 3))

        args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        return Case(
            "build_augmenter",
            "model",
            (),
            dict(kwargs),
            expect=expect,
            judge=judge,
            public=public,
            input_shape=(8, 8, 3),
            label=f"build_augmenter({args})",
        )

    # which of the four distortions are on: never none (an augmenter of no layer cannot
    # be built, whoever wrote it, so that draw would fail every correct answer)
    on = int(rng.integers(1, 16))
    hidden = {
        "flip": bool(on & 1),
        "rotation": 0.1 if on & 2 else 0.0,
        "zoom": 0.2 if on & 4 else 0.0,
        "contrast": 0.3 if on & 8 else 0.0,
        "seed": int(rng.integers(0, 100)),
    }
    return [case({}, True), case({"flip": False, "zoom": 0}, False), case(hidden, False)]


def ten_crop_cases(rng):
    from course_utils.checks.benchmark_tricks import crop_probe, judge_ten_crop

    def case(shape, size, public):
        images = crop_probe(shape)
        call = f"ten_crop(images of shape {shape}, {size})"

        def judge(case, got, want, exercise):
            judge_ten_crop(got, want, shape, exercise, call)

        return Case(
            "ten_crop",
            "array",
            (images, size),
            public=public,
            label=call,
            judge=judge,
            expect=lambda ref: _ref(ref).ten_crop.unguarded(images, size),
        )

    h, w = (int(v) for v in rng.integers(5, 12, size=2))
    size = int(rng.integers(2, min(h, w) + 1))
    return [
        case((2, 7, 9, 2), 4, True),
        case((1, 6, 6, 3), 5, False),
        case((int(rng.integers(1, 4)), h, w, int(rng.integers(1, 4))), size, False),
    ]


def ensemble_predict_cases(rng):
    from course_utils.checks.benchmark_tricks import crop_probe, judge_ensemble, probe_models

    def case(models, X, call, public):
        def judge(case, got, want, exercise):
            judge_ensemble(got, want, exercise, call)

        return Case(
            "ensemble_predict",
            "array",
            (models, X),
            public=public,
            label=call,
            judge=judge,
            expect=lambda ref: _ref(ref).ensemble_predict.unguarded(models, X),
        )

    count = int(rng.integers(1, 5))
    n = int(rng.integers(3, 7))
    X = crop_probe((3, n, n, 2)) / float(6 * n * n)
    return [
        case(
            probe_models(3),
            crop_probe((2, 4, 4, 2)) / 32.0,
            "ensemble_predict([three models], X of shape (2, 4, 4, 2))",
            True,
        ),
        # one model: the ensemble predicts what the model does
        case(probe_models(1), X, f"ensemble_predict([one model], X of shape {X.shape})", False),
        case(
            probe_models(count),
            X,
            f"ensemble_predict([{count} models], X of shape {X.shape})",
            False,
        ),
    ]


def multi_crop_predict_cases(rng):
    from course_utils.checks.benchmark_tricks import crop_probe, judge_multi_crop, probe_models

    def case(X, size, public):
        model = probe_models(1)[0]
        call = f"multi_crop_predict(model, X of shape {X.shape}, {size})"

        def judge(case, got, want, exercise):
            judge_multi_crop(got, want, exercise, call)

        return Case(
            "multi_crop_predict",
            "array",
            (model, X, size),
            public=public,
            label=call,
            judge=judge,
            stand_ins=("ten_crop",),
            memo={
                "ten_crop": FromReference(
                    lambda ref: [((X, size), _ref(ref).ten_crop.unguarded(X, size))]
                )
            },
            expect=lambda ref: _ref(ref).multi_crop_predict.unguarded(model, X, size),
        )

    n = int(rng.integers(5, 10))
    size = int(rng.integers(2, n + 1))
    return [
        case(crop_probe((2, 7, 9, 2)) / 126.0, 4, True),
        # crops as big as the image: ten copies (five of it, five of its mirror)
        case(crop_probe((2, 6, 6, 2)) / 72.0, 6, False),
        case(crop_probe((2, n, n, 2)) / float(2 * n * n * 2), size, False),
    ]


EXERCISES = [
    Exercise("rgb_pca_tests", "Exercise 1 - rgb_pca", rgb_pca_cases, answer_cell="rgb_pca"),
    Exercise(
        "pca_color_augmentation_tests",
        "Exercise 2 - pca_color_augmentation",
        pca_color_augmentation_cases,
        answer_cell="pca_color_augmentation",
    ),
    Exercise(
        "build_augmenter_tests",
        "Exercise 3 - build_augmenter",
        build_augmenter_cases,
        answer_cell="build_augmenter",
    ),
    Exercise("ten_crop_tests", "Exercise 4 - ten_crop", ten_crop_cases, answer_cell="ten_crop"),
    Exercise(
        "ensemble_predict_tests",
        "Exercise 5 - ensemble_predict",
        ensemble_predict_cases,
        answer_cell="ensemble_predict",
    ),
    Exercise(
        "multi_crop_predict_tests",
        "Exercise 6 - multi_crop_predict",
        multi_crop_predict_cases,
        answer_cell="multi_crop_predict",
    ),
]
