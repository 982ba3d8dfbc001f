"""tp-gradient graded for real: reference, a variant in another style, one mutant per question."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import (
    assert_loses_exactly,
    assert_reports_in_each_language,
    by_student,
    mutate,
    question_scores,
    reference_text,
    write_class,
)

from grader.grading import grade

# The class trains real models (1-4 min on 2 cores): the slow tier, which `.ci/run` runs
# (`pytest -m slow`); the default run keeps tp-tenseurs, tp-mnist-dense and tp-diy.
pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
REF = reference_text("tp-gradient")

MUTANTS = {
    "q1": ("        w.assign_sub(learning_rate * dw)", "        w.assign_add(learning_rate * dw)"),
    "q2": ("    return 1.0 / (1.0 + tf.exp(-z))", "    return tf.exp(z) / (1.0 + tf.exp(z))"),  # nan for z >> 0
    "q3": ("    y_pred = tf.clip_by_value(y_pred, eps, 1 - eps)\n", ""),  # no clipping
    "q4": ("    with tf.GradientTape() as tape:\n        loss = bce_loss(y, sigmoid(tf.matmul(X, W) + b))\n"
           "    dW, db = tape.gradient(loss, [W, b])",
           "    p = sigmoid(tf.matmul(X, W) + b)\n    n = tf.cast(tf.shape(X)[0], tf.float32)\n"
           "    dW = tf.matmul(X, p - y, transpose_a=True) / n\n    db = tf.reduce_mean(p - y, axis=0)"),  # no tape
    "q5": ("        W.assign_sub(learning_rate * dW)", "        W.assign_add(learning_rate * dW)"),
    "q6": ("accuracy = float(tf.reduce_mean(tf.cast(tf.cast(probs > 0.5, tf.float32) == y, tf.float32)))",
           "accuracy = 0.99"),
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gradient") / "class"
    entries = {"reference.py": REF,
               "variant_keras_optimizer.py": (HERE / "submissions/tp-gradient/variant_keras_optimizer.py").read_text()}
    entries |= {f"mutant_{q}.py": mutate(REF, old, new) for q, (old, new) in MUTANTS.items()}
    write_class(folder, entries)
    return grade(folder, assignment="tp-gradient", out=folder.parent / "out", workers=2)


def test_reference_and_variant_get_full_marks(run):
    for name in ("reference", "variant_keras_optimizer"):
        r = by_student(run)[name]
        assert r.score == r.max_score == 20, question_scores(r)


@pytest.mark.parametrize("question", sorted(MUTANTS))
def test_each_mutant_loses_exactly_its_question(run, question):
    assert_loses_exactly(by_student(run)[f"mutant_{question}"], question)


def test_gradient_without_tape_is_named(run):
    checks = {c.name: c for qs in by_student(run)["mutant_q4"].questions for c in qs.checks}
    assert checks["check_compute_gradients_matches_analytic"].passed
    assert "tape.gradient" in checks["check_compute_gradients_uses_tape"].message.fr


def test_reports_are_wholly_in_the_language_asked(run):
    """Reference, variants and mutants: English reports hold no French, French ones no English."""
    assert_reports_in_each_language(run)
