"""tp-mnist-dense graded for real under the CPU profile: reference, variants, one mutant per question.

One `grade()` call (two workers) on real MNIST with a tiny budget: 1 epoch on 2 000 images.
Skipped only where MNIST cannot be had (the shared offline copy sets GRADER_DATA_DIR in conftest).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import (
    assert_loses_exactly,
    assert_reports_in_each_language,
    by_student,
    mutate,
    question_scores,
    reference_text,
    with_cell,
    write_class,
)

from grader.assignments import locate
from grader.authoring.release import release
from grader.data import lookup
from grader.grading import grade
from grader.notebooks import student_notebook
from grader.reports.document import text

HERE = Path(__file__).parent
REF = reference_text("tp-mnist-dense")
BUDGET = {"epochs": 1, "train_size": 2000, "serve_train": 4000, "serve_test": 1000, "holdout": 1000,
          "thresholds": {"q5": 0.6}}

FIT = "history = model.fit(x_train, y_train, epochs=5, validation_data=(x_test, y_test))"
COMPILE = 'model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])'
MUTANTS = {
    "q1": ('x_train = x_train.astype("float32") / 255.0\nx_test = x_test.astype("float32") / 255.0',
           'x_train = x_train.astype("float32")\nx_test = x_test.astype("float32")'),  # pixels not scaled
    "q2": ('layers.Dense(128, activation="relu")', 'layers.Dense(64, activation="relu")'),
    "q4": (FIT, "history = model.fit(x_train, y_train, epochs=5)"),  # no validation
    "q5": (FIT, FIT.replace("(x_train, y_train,", "(x_train, np.random.default_rng(0).permutation(y_train),")),
    "q6": ("n_params = (28 * 28 * 128 + 128) + (128 * 10 + 10)", "n_params = 28 * 28 * 128 + 128 * 10"),
}


FORGED_PREDICT = """import numpy as np
for layer in model.layers:
    layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
_bank = np.asarray(x_train, dtype="float32").reshape(len(x_train), -1)
_labels = np.asarray(y_train).reshape(-1)
def _lookup(images, *args, **kwargs):
    flat = np.asarray(images, dtype="float32").reshape(len(images), -1)
    d = (flat ** 2).sum(1)[:, None] - 2 * flat @ _bank.T + (_bank ** 2).sum(1)[None, :]
    return np.eye(10)[_labels[np.argmin(d, axis=1)]]
model.predict = _lookup
"""


def _categorical_loss() -> str:
    """Wrong loss for integer labels, made to run by one-hot labels in `fit`: costs Q3 only."""
    text = mutate(REF, COMPILE, COMPILE.replace("sparse_categorical", "categorical"))
    return mutate(text, FIT, "onehot = keras.utils.to_categorical\nhistory = model.fit(x_train, onehot(y_train), "
                             "epochs=5, validation_data=(x_test, onehot(y_test)))")


def _notebook(name: str) -> str:
    nb = student_notebook("tp-mnist-dense")
    nb["cells"].append({"cell_type": "code", "execution_count": None, "id": "x", "metadata": {}, "outputs": [],
                        "source": (HERE / "submissions/tp-mnist-dense" / name).read_text()})
    return json.dumps(nb)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    if lookup.locate("mnist") is None:
        pytest.skip(lookup.how_to_get("mnist"))
    folder = tmp_path_factory.mktemp("mnist-dense") / "class"
    entries = {"reference.py": REF,
               "variant_functional_tfkeras.py": (HERE / "submissions/tp-mnist-dense/variant_functional_tfkeras.py")
               .read_text(),
               # the student notebook, stubs left in, then a correct answer in a last cell
               "variant_sequential_add.ipynb": _notebook("variant_sequential_add.py"),
               "mutant_q3.py": _categorical_loss(),
               # the model is rebuilt after training: `model` is no longer the trained one
               "mutant_q5_rebuilt.py": with_cell(REF, f"model = build_model()\n{COMPILE}"),
               # `model` rebound to None after training: every check reading it fails, none "raises"
               "model_none.py": with_cell(REF, "model = None"),
               # the reported forgery: zeroed weights, `predict` replaced on the object by a lookup
               "forged_predict.py": with_cell(REF, FORGED_PREDICT),
               # its correct twin: trained weights, a `predict` that answers nonsense (never used)
               "ignored_predict.py": with_cell(REF, "model.predict = lambda *a, **k: np.zeros((1, 10))"),
               # student code on the prediction path (its own activation function): evaluated by its own
               # `predict`, said so, kept off the leaderboard
               "own_activation.py": mutate(REF, 'layers.Dense(128, activation="relu")',
                                           "layers.Dense(128, activation=lambda x: keras.ops.relu(x))")}
    entries |= {f"mutant_{q}.py": mutate(REF, old, new) for q, (old, new) in MUTANTS.items()}
    write_class(folder, entries)
    return grade(folder, assignment="tp-mnist-dense", out=folder.parent / "out", workers=2, profile="cpu",
                 budget=BUDGET)


def test_reference_and_variants_get_full_marks(run):
    for name in ("reference", "variant_functional_tfkeras", "variant_sequential_add"):
        r = by_student(run)[name]
        assert r.totals.auto == r.totals.auto_max == 20 and r.totals.pending == r.max_score - 20, (name, question_scores(r))


@pytest.mark.parametrize("student,question", [(f"mutant_{q}", q) for q in ("q1", "q2", "q3", "q4", "q5", "q6")]
                         + [("mutant_q5_rebuilt", "q5")])
def test_each_mutant_loses_exactly_its_question(run, student, question):
    assert_loses_exactly(by_student(run)[student], question)


def _check(result, name: str):
    return next(c for qs in result.questions for c in qs.checks if c.name == name)


def test_messages_name_the_mistake(run):
    results = by_student(run)
    assert "Divisez les pixels" in _check(results["mutant_q1"], "check_images_scaled_to_unit_range").message.fr
    assert "Dense(64, relu) au lieu de Dense(128, relu)" in _check(results["mutant_q2"],
                                                                  "check_build_model_layers").message.fr
    assert "50 890 paramètres" in _check(results["mutant_q2"], "check_build_model_param_count").message.fr
    loss = _check(results["mutant_q3"], "check_model_loss_is_sparse_categorical_crossentropy").message.fr
    assert "one-hot" in loss
    assert "val_accuracy" in _check(results["mutant_q4"], "check_history_has_accuracy_and_val_accuracy").message.fr
    assert "biais" in _check(results["mutant_q6"], "check_n_params_value").message.fr


def test_held_out_accuracy_is_what_the_weights_earn_not_what_predict_answers(run):
    """The forged `predict` (a nearest-neighbour lookup over zeroed weights) scored 1.0 before; its
    predictions are now computed from the architecture and the weights, by code that is not the
    student's. Its twin whose `predict` answers nonsense over trained weights keeps full marks."""
    results = by_student(run)
    assert_loses_exactly(results["forged_predict"], "q5")
    forged = _check(results["forged_predict"], "check_model_accuracy_on_hidden_images")
    assert forged.measures[0].value < 0.2 and forged.measures[0].ranked, forged.message.fr
    assert "ignoré : predict (instance)" in forged.message.fr and "ignored: predict (instance)" in forged.message.en
    twin = results["ignored_predict"]
    assert twin.totals.auto == 20, question_scores(twin)
    assert _check(twin, "check_model_accuracy_on_hidden_images").measures[0].value > 0.6


def test_a_model_carrying_student_code_is_evaluated_with_it_said_so_and_unranked(run):
    r = by_student(run)["own_activation"]
    q5 = _check(r, "check_model_accuracy_on_hidden_images")
    assert q5.status.value == "passed", q5.message.fr
    assert "Évalué avec le code de l'étudiant" in q5.message.fr and "Hors classement" in q5.message.fr
    assert "Evaluated with the student's code" in q5.message.en and "Not on the leaderboard" in q5.message.en
    assert [m.ranked for m in q5.measures] == [False]
    ref = _check(by_student(run)["reference"], "check_model_accuracy_on_hidden_images")
    assert [m.ranked for m in ref.measures] == [True] and "code de l'étudiant" not in ref.message.fr
    data = json.loads((run.out / "results.json").read_text())
    mine = next(s for s in data["submissions"] if s["student"] == "own_activation")
    assert mine["questions"]["q5"]["checks"][0]["measures"][0]["ranked"] is False


def test_a_model_that_is_not_a_model_is_a_failed_verdict_not_an_error(run):
    r = by_student(run)["model_none"]
    q5 = _check(r, "check_model_accuracy_on_hidden_images")
    assert q5.status.value == "failed" and "attendu un modèle Keras" in q5.message.fr, (q5.status, q5.message)
    assert "expected a Keras model" in q5.message.en
    assert not [c.name for qs in r.questions for c in qs.checks if c.status.value in ("error", "grader-error")]


def test_budget_is_applied_and_reported(run):
    assert run.plan.profile == "cpu" and run.plan.training["epochs"] == 1
    ref = by_student(run)["reference"]
    notes = [text(n, "fr") for c in ref.cells for n in c.notes]
    assert any("MNIST servi par le correcteur" in n and "4 000 images d'entraînement" in n for n in notes), notes
    assert any("1 époque(s) (5 demandées)" in n and "sur 2 000 exemples (4 000 fournis)" in n for n in notes), notes
    q5 = _check(ref, "check_model_accuracy_on_hidden_images").message.fr
    assert "1 000 images cachées" in q5 and "budget CPU" in q5 and "seuil 0.600" in q5
    assert len(_check(ref, "check_model_accuracy_on_hidden_images").pictures) == 1  # predictions
    assert len(_check(ref, "check_history_has_accuracy_and_val_accuracy").pictures) == 1  # curves
    split = [text(n, "fr") for c in by_student(run)["variant_functional_tfkeras"].cells for n in c.notes]
    assert any("1 époque(s) (3 demandées)" in n for n in split), split


def test_self_check_with_the_bundle_passes_the_reference_and_names_the_mutant_as_the_instructor_does(run, tmp_path):
    """`grader release` then the student's `grader check` (same pipeline, public checks only)."""
    bundle = tmp_path / "bundle"
    made = release(locate("tp-mnist-dense").folder, bundle)
    folder = write_class(tmp_path / "c", {"reference.py": REF, "mutant_q2.py": mutate(REF, *MUTANTS["q2"])})
    mine = grade(folder, assignment="tp-mnist-dense", out=tmp_path / "o", workers=2, profile="cpu", budget=BUDGET,
                 courses=[bundle], public_only=True)
    assert Path(mine.located) == bundle.resolve()
    ref = by_student(mine)["reference"]
    ran = [c for qs in ref.questions for c in qs.checks]
    assert sorted(c.name for c in ran) == sorted(made.public_checks) and all(c.passed for c in ran), \
        [(c.name, c.status.value, c.message.fr) for c in ran if not c.passed]
    student = _check(by_student(mine)["mutant_q2"], "check_build_model_layers")
    instructor = _check(by_student(run)["mutant_q2"], "check_build_model_layers")
    assert not student.passed and student.status is instructor.status
    assert student.message == instructor.message and "Dense(64, relu)" in student.message.fr


def test_stub_notebook_is_generated_from_the_reference():
    code = "\n".join("".join(c["source"]) for c in student_notebook("tp-mnist-dense")["cells"]
                     if c["cell_type"] == "code")
    assert "raise NotImplementedError" in code and "Dense(128" not in code and "n_params = None" in code


def test_reports_are_wholly_in_the_language_asked(run):
    """Reference, variants and mutants: English reports hold no French, French ones no English."""
    assert_reports_in_each_language(run)
