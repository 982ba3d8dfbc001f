"""tp-diy graded for real: the reference, two variants in other styles, the stub, one mutant per mistake.

The whole class is graded in one `grade()` call (two workers); each mutant is the reference with
one edit and must lose exactly the question of its mistake, nothing else.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO

from grader.assignments import load
from grader.grading import grade
from grader.judge.checks import CheckFailed
from grader.notebooks import render, student_notebook

HERE = Path(__file__).parent
REF = (REPO / "reference" / "tp-diy.py").read_text(encoding="utf-8")

# name -> (question it must lose, anchor in the reference, replacement)
MUTANTS = {
    "backward_delta_sign": ("q1", '        return delta @ self._parameters["W"].T',
                            '        return -delta @ self._parameters["W"].T'),
    "bias_gradient_forgotten": ("q1", '        self._gradient["b"] += delta.sum(axis=0)\n', ""),
    "never_zeroed": ("q1", "        for name, value in self._parameters.items():\n"
                           "            self._gradient[name] = np.zeros_like(value)\n", "        pass\n"),
    "softmax_backward_diagonal": ("q4", "        return s * (delta - np.sum(delta * s, axis=1, keepdims=True))",
                                  "        return delta * s * (1 - s)"),
    "conv_stride_off_by_one": ("q6", '        idx = windows(X, self.k_size, self.stride)\n        return np.einsum(',
                               '        idx = windows(X, self.k_size, self.stride + 1)\n        return np.einsum('),
    "sgd_never_shuffles": ("q3", "        if shuffle:\n            np.random.shuffle(order)\n", ""),
    "sgd_full_batch": ("q3", "    optim = Optim(net, loss, eps)\n",
                       "    optim = Optim(net, loss, eps)\n    batch_size = len(X)\n"),
}


# correct in another way: update_parameters also empties the gradient, Optim zeroes after its update
ZERO_AFTER_UPDATE = [
    ("            self._parameters[name] -= gradient_step * self._gradient[name]\n",
     "            self._parameters[name] -= gradient_step * self._gradient[name]\n"
     "            self._gradient[name] = np.zeros_like(self._gradient[name])\n"),
    ("        self.net.zero_grad()\n        yhat = self.net.forward(batch_x)", "        yhat = self.net.forward(batch_x)"),
    ("        self.net.update_parameters(self.eps)\n",
     "        self.net.update_parameters(self.eps)\n        self.net.zero_grad()\n"),
]


def mutate(old: str, new: str, text: str = REF) -> str:
    assert text.count(old) == 1, f"anchor not found exactly once: {old!r}"
    return text.replace(old, new)


def scores(result) -> dict[str, float]:
    return {qs.question.id: qs.score for qs in result.questions}


def checks_of(result) -> dict:
    return {c.name: c for qs in result.questions for c in qs.checks}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("diy") / "class"
    folder.mkdir()
    (folder / "reference.py").write_text(REF, encoding="utf-8")
    (folder / "variant_attributes.py").write_text((HERE / "submissions" / "variant_attributes.py").read_text())
    zero_after_update = REF
    for old, new in ZERO_AFTER_UPDATE:
        zero_after_update = mutate(old, new, zero_after_update)
    (folder / "variant_zero_after_update.py").write_text(zero_after_update, encoding="utf-8")
    (folder / "stub.ipynb").write_text(render(student_notebook("tp-diy")), encoding="utf-8")
    for name, (_, old, new) in MUTANTS.items():
        (folder / f"mutant_{name}.py").write_text(mutate(old, new), encoding="utf-8")
    result = grade(folder, assignment="tp-diy", out=folder.parent / "out", workers=2)
    for r in result.results:  # the timings reported in the issue note
        print(f"{r.student}: {r.score}/{r.max_score} in {r.seconds:.1f} s", file=sys.stderr)
    return {r.student: r for r in result.results}


@pytest.mark.parametrize("student", ["reference", "variant_attributes", "variant_zero_after_update"])
def test_correct_submissions_get_full_marks(run, student):
    r = run[student]
    failed = {n: c.message.fr for n, c in checks_of(r).items() if not c.passed}
    assert r.score == r.max_score == 20, (scores(r), failed)


def test_a_whole_submission_grades_in_seconds(run):
    assert run["reference"].seconds < 30


def test_stub_scores_nothing(run):
    assert run["stub"].score == 0


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_each_mutant_loses_exactly_its_question(run, name):
    question = MUTANTS[name][0]
    r = run[f"mutant_{name}"]
    for qs in r.questions:
        detail = {c.name: (c.status.value, c.message.fr[:300]) for c in qs.checks if not c.passed}
        if qs.question.id == question:
            assert qs.score < qs.question.points, f"{name}: {question} not lost"
        else:
            assert qs.score == qs.question.points, f"{name}: {qs.question.id} lost: {detail}"


def test_messages_name_module_method_and_gradient(run):
    sign = checks_of(run["mutant_backward_delta_sign"])["check_linear_backward_delta"].message.fr
    assert "`Linear.backward_delta`" in sign and "erreur relative 2" in sign and "pire écart" in sign
    bias = checks_of(run["mutant_bias_gradient_forgotten"])["check_linear_parameter_gradients"].message.fr
    assert "`Linear.backward_update_gradient`" in bias and "gradient du biais" in bias
    zero = checks_of(run["mutant_never_zeroed"])["check_linear_gradients_accumulate_and_reset"].message
    assert "zero_grad" in zero.fr and "does not reset" in zero.en
    assert "shuffle=True" in checks_of(run["mutant_sgd_never_shuffles"])[
        "check_sgd_visits_every_example_in_shuffled_batches"].message.fr
    assert "mini-lots de 8" in checks_of(run["mutant_sgd_full_batch"])[
        "check_sgd_visits_every_example_in_shuffled_batches"].message.fr


def test_earlier_mistake_is_charged_once(run):
    """The sign mutant's own library cannot learn; its Sequentiel and SGD are judged with correct modules."""
    learning = checks_of(run["mutant_backward_delta_sign"])
    for name in ("check_sgd_separates_four_gaussians", "check_digits_two_layer_net",
                 "check_autoencoder_reconstructs_held_out_digits"):
        assert learning[name].passed, learning[name].message.fr


def test_student_notebook_is_generated_from_the_reference():
    on_disk = (REPO / "assignments" / "tp-diy" / "student.ipynb").read_text(encoding="utf-8")
    assert on_disk == render(student_notebook("tp-diy"))
    sources = "".join("".join(c["source"]) for c in json.loads(on_disk)["cells"])
    assert "BEGIN SOLUTION" not in sources and "self._gradient[\"b\"] +=" not in sources


# -- the judge's helpers, without a runner -------------------------------------------------
@pytest.fixture(scope="module")
def diy():
    """The finite-difference helpers (`fd.py`), imported by loading the assignment's package."""
    package = load("tp-diy").module.__name__.rsplit(".", 1)[0]
    return sys.modules[f"{package}.fd"]


def test_checks_register_in_question_order_after_what_they_require():
    """The question modules are imported in order: each check comes after the checks it requires."""
    checks = load("tp-diy").checks
    assert [c.question for c in checks] == sorted(c.question for c in checks)
    seen: set[str] = set()
    for c in checks:
        assert set(c.requires) <= seen, (c.name, c.requires)
        seen.add(c.name)


def test_central_differences_recover_a_known_gradient(diy):
    x = np.random.default_rng(0).normal(size=(3, 2, 2))
    delta = np.random.default_rng(1).normal(size=(3, 4))
    outputs = np.tanh(diy._perturbed(x)).reshape(-1, 4)
    expected = (delta * (1 - np.tanh(x.reshape(3, 4)) ** 2)).reshape(x.shape)
    assert np.allclose(diy._input_gradient(outputs, delta, x.shape, "TanH"), expected, atol=1e-6)


def test_gradient_failure_names_method_gradient_and_worst_entry(diy):
    expected = np.array([[1.0, 2.0], [3.0, 4.0]])
    found = expected.copy()
    found[1, 0] = -3.0
    with pytest.raises(CheckFailed) as e:
        diy._expect_gradient(found, expected, "Linear.backward_update_gradient", "le gradient du biais",
                             "the bias gradient")
    fr, en = e.value.message.fr, e.value.message.en
    assert fr.startswith("`Linear.backward_update_gradient` : erreur relative 1.5 sur le gradient du biais")
    assert "indice (1, 0)" in fr and "trouvé -3" in fr and "attendu 3" in fr
    assert "relative error 1.5 on the bias gradient" in en
