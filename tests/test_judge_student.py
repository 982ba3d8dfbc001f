"""grader.judge.student: whatever a runner hands back, a verdict (never an exception of ours)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from grader.judge.registry import CheckFailed
from grader.judge.student import (
    earlier,
    require_array,
    skipped_for,
    student_array,
    student_model,
    student_number,
)
from grader.model import Message, Status
from grader.runner.protocol import Opaque


class FakeObs:
    """Observed values by name; a missing name fails as the real Observer does."""

    def __init__(self, **values):
        self.values = values

    def value(self, name):
        if name not in self.values:
            raise CheckFailed(Message(f"`{name}` n'est pas défini.", f"`{name}` is not defined."), Status.MISSING)
        return self.values[name]

    def describe(self, name):
        v = self.value(name)
        return v if isinstance(v, dict) else {"type": type(v).__name__, "mro": []}


HOSTILE = [None, {"str": "x"}, "x", Opaque("int", "1" * 100), np.zeros(3), np.array(["a"]),
           np.array([object(), None], dtype=object), [[1, [2]], 3], {"a": 1}, Opaque("generator", "<gen>"),
           Opaque("__main__.Evil", "?"), np.full((10, 28, 28), np.nan), np.zeros((0, 28, 28)), True]


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: re.sub(r" at 0x[0-9a-f]+", "", repr(v)))  # same ids in every process
def test_any_value_is_a_verdict_or_the_array(value):
    try:
        arr = require_array(value, "`batch`", shape=(10, 28, 28), dtype="float", finite=True, nonempty=True)
    except CheckFailed as e:
        assert e.status is Status.FAILED and "`batch`" in e.message.fr and "`batch`" in e.message.en
    else:
        pytest.fail(f"accepted {value!r} as {arr!r}")


def test_the_message_says_what_was_found_and_expected():
    with pytest.raises(CheckFailed) as e:
        require_array(np.zeros((3, 3)), "`batch`", shape=(10, 28, 28))
    assert e.value.message.en == "`batch` has shape (3, 3); expected (10, 28, 28)."
    assert e.value.message.fr == "`batch` a la forme (3, 3) ; attendu (10, 28, 28)."
    with pytest.raises(CheckFailed) as e:
        require_array(np.zeros(3), "`batch`", ndim=3)
    assert "expected 3 dimensions" in e.value.message.en and "(3,)" in e.value.message.en
    with pytest.raises(CheckFailed) as e:
        require_array(np.array([1, 2]), "`x`", dtype="float")
    assert "int64" in e.value.message.en and "floats" in e.value.message.en


def test_right_values_pass_through():
    ok = np.random.default_rng(0).random((10, 28, 28)).astype(np.float32)
    assert require_array(ok, "`b`", shape=(10, None, 28), dtype="float", finite=True) is ok
    assert require_array([[1, 2], [3, 4]], "`m`", ndim=(1, 2), dtype="integer").shape == (2, 2)
    assert require_array(np.array(["a"]), "`s`", dtype=None).shape == (1,)


def test_student_number():
    assert student_number(FakeObs(n=np.array([3.0])), "n") == 3.0
    for bad in (np.inf, float("nan"), Opaque("int", "9" * 400), "x", None, np.zeros(3), True):
        with pytest.raises(CheckFailed) as e:
            student_number(FakeObs(n=bad), "n")
        assert e.value.status is Status.FAILED
    with pytest.raises(CheckFailed):
        student_number(FakeObs(acc=1.5), "acc", within=(0, 1))


def test_a_check_built_on_a_wrong_earlier_answer_is_skipped_with_the_reason():
    obs = FakeObs(batch=np.zeros(3))
    with pytest.raises(CheckFailed) as e:
        earlier(obs, "batch", "q1", lambda: student_array(obs, "batch", ndim=3))
    assert e.value.status is Status.SKIPPED
    assert e.value.message.fr.startswith("Non vérifié : dépend de `batch`, incorrect en q1 (`batch` a la forme (3,)")
    assert e.value.message.en.startswith("Not checked: depends on `batch`, wrong in q1 (`batch` has shape (3,)")
    with pytest.raises(CheckFailed) as e:
        earlier(FakeObs(), "batch", "q1")
    assert e.value.status is Status.SKIPPED and "non défini en q1" in e.value.message.fr
    raised = CheckFailed(Message("`f(...)` a levé une erreur.", "`f(...)` raised an error."), Status.ERROR, "tb")
    skipped = skipped_for("f", "q2", raised)
    assert skipped.status is Status.SKIPPED and "inutilisable en q2" in skipped.message.fr and skipped.details == "tb"
    assert earlier(FakeObs(batch=1), "batch", "q1") == 1


def test_student_model():
    keras = {"type": "keras.src.models.sequential.Sequential",
             "mro": ["keras.src.models.sequential.Sequential", "keras.src.models.model.Model"]}
    assert student_model(FakeObs(m=keras), "m") is keras
    for bad in (None, {"type": "builtins.dict", "mro": ["builtins.dict"]}, {"type": "x"}):
        with pytest.raises(CheckFailed) as e:
            student_model(FakeObs(m=bad), "m")
        assert e.value.status is Status.FAILED and "Keras" in e.value.message.en
