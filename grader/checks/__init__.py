"""The public face for check authors: everything a TP's check modules need, from one import.

    from grader.checks import Registry, fail, as_array, expect_shape

    checks = Registry()

    @checks("q1", public=True, fr="`x` : forme (3,).", en="`x`: shape (3,).")
    def check_x_shape(obs, ctx):
        expect_shape(as_array(obs.value("x"), "`x`"), (3,), "`x`")

A check raises (through `fail` or an `expect_*`) when the answer is wrong; `fail()` raises by
itself, so a failure written without `raise` cannot pass a wrong answer. `public=True` ships the
check to students (`grader release`, `grader check`); checks are hidden by default.

Side: the judge. The Keras TPs find here the shared pieces too: the architecture checks
(`built`, `normalize`, `compare`, `require_*`), the image arrays a TP asks for and how they were
prepared (`ImageArrays`, `grader.judge.image_data`), held-out evaluation (`holdout`, and a trained
model's accuracy check, `HeldOut`), confusion matrices (`confusion`), pictures for the report
(`pictures`), a student's values (`student_*`) and how counts are worded (`group`). What the runner runs lives in `grader.checks.probes` (an
assignment's own `probes.py` imports it inside the runner).

Every name is imported on first use (PEP 562 `__getattr__`): the runner, which imports
`grader.checks.probes`, imports this package too, and must not pay for the judge's modules.
Nothing in `grader/` imports this module but the assignments' face (no cycle can form through it).
"""

from __future__ import annotations

from grader.checks.lazy import exports

#: public name -> "module" (the name is the module's own) or "module:attribute"
_EXPORTS: dict[str, str] = {
    # declaring checks and failing them
    **dict.fromkeys(("NO_HINT", "Check", "CheckFailed", "Failure", "Feedback", "Registry", "fail", "pair",
                     "quoted"), "grader.judge.registry"),
    "Context": "grader.judge.engine",
    "Observer": "grader.judge.observe",
    **dict.fromkeys(("as_array", "as_number", "as_tuple", "expect_close", "expect_finite", "expect_float",
                     "expect_shape", "relative_error"), "grader.judge.expect"),
    **dict.fromkeys(("expect_class", "expect_function", "expect_like"), "grader.judge.structure"),
    "run_teacher_test": "grader.judge.teacher_tests",
    **dict.fromkeys(("Message", "Picture", "Status"), "grader.model"),
    **dict.fromkeys(("AsTensor", "Opaque"), "grader.runner.protocol"),
    "group": "grader.numbers",
    # a student's values
    **dict.fromkeys(("earlier", "student_array", "student_model", "student_number", "student_probed"),
                    "grader.judge.student"),
    # the Keras TPs: data samples, training budget, history
    **dict.fromkeys(("ONE_HOT_HINT", "curves", "data_entry", "data_rows", "expect_unit_range", "training_budget"),
                    "grader.judge.keras"),
    "data_sample": "grader.judge.keras:sample",
    "dataset_labels": "grader.judge.recognise",
    "ImageArrays": "grader.judge.image_data",
    "load_dataset": "grader.data.lookup:load",  # the grader's copy, as keras.datasets' load_data() gives it
    # a Keras model's architecture
    **dict.fromkeys(("KERAS_LEAKY_DEFAULT", "KERAS_MODEL", "built", "compare", "first_difference", "leaky",
                     "normalize", "require_fresh", "require_input_shape", "require_keras_model", "require_params",
                     "show", "show_all"), "grader.judge.layers"),
    "Architecture": "grader.judge.architecture",
    # held-out accuracy, confusion matrices, pictures (modules: `holdout.verdict(...)`)
    **dict.fromkeys(("HeldOut", "fitted_scaling"), "grader.judge.holdout"),
    "holdout": "grader.judge.holdout:",
    "confusion": "grader.judge.confusion:",
    "ConfusionMatrix": "grader.judge.confusion",
    "pictures": "grader.judge.pictures:",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = exports(globals(), _EXPORTS)
