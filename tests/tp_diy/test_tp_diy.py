"""tp-diy graded for real: the reference, variants in other styles, the stub, one mutant per mistake.

The whole class is graded in one `grade()` call (two workers); each mutant is the reference (or a
variant) with one edit and must lose exactly the question of its mistake, nothing else.

Two variants write containers that rely on their own modules' conventions, as the contract allows:
`variant_call` calls its modules and losses (`__call__`), `variant_fields` keeps parameters in
`self.params` / `self.grads` and has `Sequentiel`, `Optim`, `AutoEncoder` update them by reading
those fields. Their containers are judged with their own modules; a mistake in a module is charged
to its question only; a container that cannot be judged without a faulty module is skipped with
the reason, never failed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, assert_loses_exactly

from grader.assignments import load
from grader.grading import grade
from grader.judge.registry import CheckFailed
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


VARIANTS = ("variant_attributes", "variant_call", "variant_fields")
SOURCES = {name: (HERE / "submissions" / f"{name}.py").read_text(encoding="utf-8") for name in VARIANTS}

# name -> (variant it edits, question it must lose, anchor, replacement): containers of other styles
# broken with correct modules, and modules broken under a container that works with correct ones
STYLE_MUTANTS = {
    "call_linear_backward_delta_sign": ("variant_call", "q1", "        return delta @ self.W.T",
                                        "        return -delta @ self.W.T"),
    "call_sequentiel_delta_before_gradient": (
        "variant_call", "q3",
        "            module.backward_update_gradient(x, delta)\n            delta = module.backward_delta(x, delta)\n",
        "            delta = module.backward_delta(x, delta)\n            module.backward_update_gradient(x, delta)\n"),
    "fields_optim_never_zeroes": ("variant_fields", "q3", "        zero(self.net.parameters())\n", ""),
    "fields_sequentiel_backward_delta_skips_first": (
        "variant_fields", "q3", "            delta = m.backward_delta(x, delta)\n        return delta",
        "            if m is not self.modules[0]:\n                delta = m.backward_delta(x, delta)\n"
        "        return delta"),
}
# `Linear` wrong (q1) where what depends on it cannot be judged without it: containers that read its
# fields (they cannot take stand-ins), the student's own trained `encoder` made of it
LINEAR_BROKEN = {
    "fields_linear_bias_gradient_forgotten": ("variant_fields", '        self.grads["b"] += delta.sum(axis=0)\n', ""),
    "linear_forward_returns_none": ("reference", '        return X @ self._parameters["W"] + self._parameters["b"]',
                                    "        return None"),
}


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
    for name, text in SOURCES.items():
        (folder / f"{name}.py").write_text(text, encoding="utf-8")
    for name, (variant, _, old, new) in STYLE_MUTANTS.items():
        (folder / f"mutant_{name}.py").write_text(mutate(old, new, SOURCES[variant]), encoding="utf-8")
    for name, (variant, old, new) in LINEAR_BROKEN.items():
        text = REF if variant == "reference" else SOURCES[variant]
        (folder / f"mutant_{name}.py").write_text(mutate(old, new, text), encoding="utf-8")
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


@pytest.mark.parametrize("student", ["reference", *VARIANTS, "variant_zero_after_update"])
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


@pytest.mark.parametrize("name", sorted(STYLE_MUTANTS))
def test_each_style_mutant_loses_exactly_its_question(run, name):
    """A container broken with correct modules loses its question; a module broken under a correct
    container that calls it loses the module's question only."""
    assert_loses_exactly(run[f"mutant_{name}"], STYLE_MUTANTS[name][1])


def test_containers_are_judged_with_the_students_own_modules(run):
    """Sound modules: the containers' checks pass without any stand-in (no note about one)."""
    for student in ("reference", *VARIANTS):
        for name in ("check_sequentiel_end_to_end_gradients", "check_optim_step",
                     "check_autoencoder_composes_encoder_and_decoder"):
            c = checks_of(run[student])[name]
            assert c.passed and "à la place des vôtres" not in c.message.fr, (student, name, c.message.fr)


def test_a_faulty_module_is_swapped_and_charged_once(run):
    """`Linear` wrong: the calling containers are judged with a correct stand-in, and say so."""
    r = checks_of(run["mutant_call_linear_backward_delta_sign"])
    seq = r["check_sequentiel_end_to_end_gradients"]
    assert seq.passed, seq.message.fr
    assert "`Linear` corrects à la place des vôtres" in seq.message.fr and "comptée en q1" in seq.message.fr
    assert "correct `Linear` in place of yours" in seq.message.en and "charged in q1" in seq.message.en


@pytest.mark.parametrize("name", sorted(LINEAR_BROKEN))
def test_what_needs_a_faulty_module_is_skipped_never_failed(run, name):
    """`Linear` wrong (q1): what cannot be judged without it is skipped, saying on what; nothing outside
    q1 fails or errs for it."""
    r = run[f"mutant_{name}"]
    assert {qs.question.id: qs.score for qs in r.questions}["q1"] < 4
    for c in checks_of(r).values():
        if c.question != "q1" and not c.passed:
            assert c.status.value == "skipped", (c.name, c.status.value, c.message.fr)


def test_skip_says_on_what_it_depends(run):
    r = checks_of(run["mutant_fields_linear_bias_gradient_forgotten"])
    direct = r["check_sequentiel_zero_grad_and_update"]
    assert direct.status.value == "skipped"
    assert direct.message.fr.startswith("Non vérifié : dépend de `Linear`, incorrect en q1.")
    assert direct.message.en.startswith("Not checked: depends on `Linear`, wrong in q1.")
    assert "AttributeError" in direct.message.fr  # what the container did with the stand-in
    optim = r["check_optim_step"]
    assert "`Sequentiel`, non vérifié en q3" in optim.message.fr, optim.message.fr
    codes = checks_of(run["mutant_linear_forward_returns_none"])["check_encoder_gives_latent_codes"]
    assert codes.status.value == "skipped" and "Avec vos modules : `encoder.forward`" in codes.message.fr


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


@pytest.fixture(scope="module")
def probes():
    """The runner module (`probes.py`, its source shipped to the runner by `obs.run`), imported here."""
    import importlib

    return importlib.import_module(load("tp-diy").module.__name__.rsplit(".", 1)[0] + ".probes")


def test_stand_ins_can_be_called_like_the_students_modules(probes):
    rng = np.random.default_rng(0)
    lin, x = probes.TLinear.random(3, 2, rng), rng.normal(size=(4, 3))
    net = probes.TSeq(lin, probes.TTanH())
    assert np.allclose(net(x), np.tanh(lin(x))) and np.allclose(lin(x), x @ lin.W + lin.b)
    assert np.allclose(probes.TMSE()(np.ones((2, 2)), np.zeros((2, 2))), [2.0, 2.0])


def test_a_faulty_sequentiel_is_repaired_keeping_its_other_methods(probes):
    """A swapped `Sequentiel` is the student's own class with correct composition: an `AutoEncoder` that
    reads `encoder.parameters()` still finds it."""
    class Sequentiel:
        def __init__(self, *modules):
            self.layers = list(modules)

        def parameters(self):
            return [m.W for m in self.layers if hasattr(m, "W")]

        def forward(self, X):  # wrong: the last module is forgotten
            for m in self.layers[:-1]:
                X = m.forward(X)
            return X

    rng = np.random.default_rng(1)
    lin, x = probes.TLinear.random(3, 2, rng), rng.normal(size=(4, 3))
    parts = probes.Parts({"Sequentiel": Sequentiel}, ["Sequentiel"], 0)
    net = parts("Sequentiel", lin, probes.TTanH())
    assert isinstance(net, Sequentiel) and net.parameters()[0] is lin.W
    assert np.allclose(net.forward(x), np.tanh(lin(x)))
    assert isinstance(probes.Parts({}, ["Sequentiel"], 0)("Sequentiel", lin), probes.TSeq)
