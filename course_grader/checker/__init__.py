"""The trusted checker: every grade decided outside the student's kernel.

The kernel runs the student's code; it is an untrusted oracle (``course_utils.oracle``)
that answers questions with plain data. The checker, in processes of its own that never
run student code (:mod:`.pool`), decides:

- :mod:`.spec` - what an exercise asks: cases (the public checks' and fresh hidden ones,
  drawn from a seed derived from the submission), each with how its expected value is
  computed from the reference and how an answer is judged;
- :mod:`.exercises` - the cases of every graded test cell, keyed by its grade_id (the
  hidden checks live here, never in a notebook);
- :mod:`.plan` - a submission's questions, written as request folders for the kernel;
- :mod:`.answers` - reading the kernel's answers: size-capped files, no pickle, no link,
  a model rebuilt from its configuration with Keras' own layers only
  (:mod:`.safe_models`);
- :mod:`.decide` - the verdict of each graded cell, with the message a student reads.

Example::

    plan = make_plan(spec, seed, folder)           # before nbgrader runs the notebook
    ...                                            # the kernel answers (preprocessor)
    verdicts = decide(spec, plan, folder)          # {grade_id: Verdict}
"""
