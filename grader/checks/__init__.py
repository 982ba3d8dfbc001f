"""The public face for check authors: everything a TP's `checks.py` needs, from one import.

    from grader.checks import Registry, fail, as_array, expect_shape

    checks = Registry()

    @checks("q1", public=True, fr="`x` : forme (3,).", en="`x`: shape (3,).")
    def check_x_shape(obs, ctx):
        expect_shape(as_array(obs.value("x"), "`x`"), (3,), "`x`")

A check raises (through `fail` or an `expect_*`) when the answer is wrong; `fail()` raises by
itself, so a failure written without `raise` cannot pass a wrong answer. `public=True` ships the
check to students (`grader release`, `grader check`); checks are hidden by default.
"""

from grader.judge.checks import (
    NO_HINT,
    Check,
    CheckFailed,
    Failure,
    Feedback,
    Registry,
    fail,
    pair,
    quoted,
)
from grader.judge.engine import Context
from grader.judge.expect import (
    as_array,
    as_number,
    as_tuple,
    expect_close,
    expect_finite,
    expect_float,
    expect_shape,
    relative_error,
)
from grader.judge.observe import Observer
from grader.judge.structure import expect_class, expect_function, expect_like
from grader.judge.teacher_tests import run_teacher_test
from grader.model import Message, Picture, Status
from grader.runner.protocol import AsTensor, Opaque

__all__ = [
    "NO_HINT", "AsTensor", "Check", "CheckFailed", "Context", "Failure", "Feedback", "Message", "Observer", "Opaque",
    "Picture", "pair", "quoted",
    "Registry", "Status", "as_array", "as_number", "as_tuple", "expect_class", "expect_close", "expect_finite",
    "expect_float", "expect_function", "expect_like", "expect_shape", "fail", "relative_error", "run_teacher_test",
]
