"""The engine: a check whose prerequisite did not pass is skipped, with words the student can read."""

from __future__ import annotations

from grader.judge.engine import Context, run_checks
from grader.judge.registry import Feedback, Registry, fail
from grader.model import Measure, Message, Status


def test_skipped_check_names_its_prerequisite_by_description_and_question():
    checks = Registry()

    @checks("q1", fr="`batch` : forme (10, 28, 28).", en="`batch`: shape (10, 28, 28).")
    def check_batch_shape(obs, ctx):
        fail("forme (3, 3)", "shape (3, 3)")

    @checks("q2", requires="check_batch_shape", fr="`normalized` : moyenne nulle.", en="`normalized`: zero mean.")
    def check_normalized(obs, ctx):
        raise AssertionError("never run")

    @checks("q3", requires="check_normalized")
    def check_centered(obs, ctx):
        raise AssertionError("never run")

    got = {r.name: r for r in run_checks(checks.checks, None, Context("x"), done={}, on_result=lambda r: None)}
    skipped = got["check_normalized"]
    assert skipped.status is Status.SKIPPED
    assert skipped.message.fr == "Non vérifié : dépend de « `batch` : forme (10, 28, 28) » (q1), non réussi."
    assert skipped.message.en == "Not checked: depends on '`batch`: shape (10, 28, 28)' (q1), not passed."
    assert "check_" not in skipped.message.fr + skipped.message.en
    chained = got["check_centered"]
    assert chained.status is Status.SKIPPED and "non vérifié lui-même" in chained.message.fr
    assert "itself not checked" in chained.message.en


def test_measures_reach_the_result_whether_the_check_passes_or_fails_and_nan_is_dropped():
    checks = Registry()
    accuracy = Measure(Message("Précision (model)", "Accuracy (model)"), 0.42)

    @checks("q1")
    def check_below_threshold(obs, ctx):
        fail("précision 0,42", "accuracy 0.42", measures=(accuracy,))

    @checks("q1")
    def check_above_threshold(obs, ctx):
        return Feedback(Message("ok"), measures=(Measure(Message("MSE"), 0.01, higher_is_better=False),
                                                 Measure(Message("NaN"), float("nan"))))

    got = {r.name: r for r in run_checks(checks.checks, None, Context("x"), done={}, on_result=lambda r: None)}
    assert got["check_below_threshold"].status is Status.FAILED
    assert got["check_below_threshold"].measures == (accuracy,)
    assert [m.label.fr for m in got["check_above_threshold"].measures] == ["MSE"]
