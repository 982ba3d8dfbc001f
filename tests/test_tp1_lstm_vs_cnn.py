"""tp1-lstm-vs-cnn graded for real under the CPU profile: reference, variants, one mutant per mistake.

One `grade()` call (two workers) on real MNIST with a tiny budget: 1 epoch on 4 000 images. The
CNN's BatchNormalization needs ~500 steps before its predictions mean anything, so the class is
graded from the reference with its CNN trained by batches of 8 (`BASE`); its LSTM keeps batch 32
(125 steps, ~0.6 on hidden images, 0.07-0.1 untrained), which is what keeps this file short.
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

from grader import assignments
from grader import budget as budget_mod
from grader.data import lookup
from grader.grading import grade
from grader.notebooks import student_notebook
from grader.reports.document import text

# The class trains real models (1-4 min on 2 cores): the slow tier, which `.ci/run` runs
# (`pytest -m slow`); the default run keeps tp-tenseurs, tp-mnist-dense and tp-diy.
pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
SUBMISSIONS = HERE / "submissions/tp1-lstm-vs-cnn"
REF = reference_text("tp1-lstm-vs-cnn")
FIT_CNN_BATCH = "X_train_cnn, y_train_cat, epochs=10, batch_size=32"
BASE = mutate(REF, FIT_CNN_BATCH, FIT_CNN_BATCH.replace("=32", "=8"))
BUDGET = {"epochs": 1, "train_size": 4000, "max_batch_size": 32, "serve_train": 4500, "serve_test": 400,
          "holdout": 400, "thresholds": {"q4_cnn": 0.5, "q4_rnn": 0.3}}

CNN_DATA = "X_train_cnn = X_train.reshape(-1, 28, 28, 1)\nX_test_cnn = X_test.reshape(-1, 28, 28, 1)\n"
RNN_DATA = "X_train_rnn = X_train.reshape(-1, 28, 28)\nX_test_rnn = X_test.reshape(-1, 28, 28)\n"
CNN_HEAD = 'layers.Flatten(),\n        layers.Dense(128, activation="relu"),\n        layers.Dropout(0.5),'
LSTM_1 = "layers.LSTM(128, return_sequences=True),"
FIT_CNN = "model_cnn.fit(X_train_cnn, y_train_cat,"
TIME_RNN = "time_rnn = time.time() - start\n"
MUTANTS = {
    # Q1: pixels left in 0-255 for the CNN (BatchNormalization copes; the judge scales hidden images alike)
    "q1_unscaled_cnn": (CNN_DATA, CNN_DATA.replace("X_train.", "(255 * X_train).").replace("X_test.", "(255 * X_test).")),
    # Q1: the LSTM's arrays in the CNN's layout (Keras squeezes the channel: it still trains)
    "q1_rnn_cnn_shaped": (RNN_DATA, RNN_DATA.replace("28, 28)", "28, 28, 1)")),
    "q2_no_batchnorm": None,
    "q2_dropout": (CNN_HEAD, CNN_HEAD.replace("Dropout(0.5)", "Dropout(0.25)")),
    # Q3: the first LSTM without return_sequences, the second one (which then fails to build) swapped for a Dense
    "q3_no_return_sequences": (f"{LSTM_1}\n        layers.Dropout(0.2),\n        layers.LSTM(64),",
                               "layers.LSTM(128),\n        layers.Dropout(0.2),\n        layers.Dense(64),"),
    "q3_dropout": (f"{LSTM_1}\n        layers.Dropout(0.2),", f"{LSTM_1}\n        layers.Dropout(0.5),"),
    "q4_rebuilt_after_fit": (TIME_RNN, TIME_RNN + "model_rnn = create_rnn_model()\n"),
    "q4_shuffled_labels": (FIT_CNN, "model_cnn.fit(X_train_cnn, np.random.default_rng(0).permutation(y_train_cat),"),
    "q5_trainable_params": ('"params": model_cnn.count_params()',
                            '"params": int(sum(np.prod(w.shape) for w in model_cnn.trainable_weights))'),
    "q5_other_accuracy": ('"cnn": {"accuracy": float(acc_cnn)', '"cnn": {"accuracy": float(acc_rnn)'),
}


def _mutant(spec) -> str:
    if spec is None:  # both BatchNormalization layers removed
        assert BASE.count("        layers.BatchNormalization(),\n") == 2
        return BASE.replace("        layers.BatchNormalization(),\n", "")
    return mutate(BASE, *spec)


def _notebook(name: str) -> str:
    nb = student_notebook("tp1-lstm-vs-cnn")
    nb["cells"].append({"cell_type": "code", "execution_count": None, "id": "x", "metadata": {}, "outputs": [],
                        "source": (SUBMISSIONS / name).read_text()})
    return json.dumps(nb)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    if lookup.locate("mnist") is None:
        pytest.skip(lookup.how_to_get("mnist"))
    folder = tmp_path_factory.mktemp("lstm-vs-cnn") / "class"
    entries = {"reference.py": BASE,
               "variant_functional_tfkeras.py": (SUBMISSIONS / "variant_functional_tfkeras.py").read_text(),
               "variant_tf_loop.py": (SUBMISSIONS / "variant_tf_loop.py").read_text(),
               # the student notebook, stubs left in, then a correct answer in a last cell
               "variant_sequential_add.ipynb": _notebook("variant_sequential_add.py"),
               # integer labels kept under the one-hot names (after training: only Q1 is concerned)
               "mutant_q1_sparse_labels.py": with_cell(BASE, "y_train_cat, y_test_cat = y_train, y_test")}
    entries |= {f"mutant_{name}.py": _mutant(spec) for name, spec in MUTANTS.items()}
    write_class(folder, entries)
    return grade(folder, assignment="tp1-lstm-vs-cnn", out=folder.parent / "out", workers=2, profile="cpu",
                 budget=BUDGET)


def test_reference_and_variants_get_full_marks(run):
    for name in ("reference", "variant_functional_tfkeras", "variant_sequential_add", "variant_tf_loop"):
        r = by_student(run)[name]
        assert r.totals.auto == r.totals.auto_max == 20 and r.totals.pending == r.max_score - 20, (name, question_scores(r))


def test_cpu_budget_caps_the_batch_size():
    """A student's batch 128 must become 32 steps' worth under the CPU budget (BatchNormalization needs steps)."""
    if "max_batch_size" not in budget_mod.TRAINING_KEYS:
        pytest.xfail("grader.budget.TRAINING_KEYS drops max_batch_size: the runner never caps the batch")
    plan = budget_mod.plan(assignments.load("tp1-lstm-vs-cnn").assignment, profile="cpu")
    assert plan.runner_budget()["max_batch_size"] == 32


@pytest.mark.parametrize("name", ["q1_sparse_labels", *MUTANTS])
def test_each_mutant_loses_exactly_its_question(run, name):
    assert_loses_exactly(by_student(run)[f"mutant_{name}"], name[:2])


def _check(result, name: str):
    return next(c for qs in result.questions for c in qs.checks if c.name == name)


def test_messages_name_the_mistake(run):
    results = by_student(run)
    assert "[0, 255]" in _check(results["mutant_q1_unscaled_cnn"], "check_images_scaled_to_unit_range").message.fr
    assert "reshape(-1, 28, 28)" in _check(results["mutant_q1_rnn_cnn_shaped"], "check_data_shapes").message.fr
    assert "to_categorical" in _check(results["mutant_q1_sparse_labels"], "check_data_shapes").message.fr
    assert "BatchNormalization" in _check(results["mutant_q2_no_batchnorm"], "check_cnn_layers").message.fr
    assert "Dropout(0.25) au lieu de Dropout(0.5)" in _check(results["mutant_q2_dropout"], "check_cnn_layers").message.fr
    assert "return_sequences=True" in _check(results["mutant_q3_no_return_sequences"], "check_rnn_layers").message.fr
    assert "Dropout(0.5) au lieu de Dropout(0.2)" in _check(results["mutant_q3_dropout"], "check_rnn_layers").message.fr
    assert "reconstruit" in _check(results["mutant_q4_rebuilt_after_fit"],
                                   "check_rnn_accuracy_on_hidden_images").message.fr
    assert "non entraînables" in _check(results["mutant_q5_trainable_params"], "check_comparison_params").message.fr
    assert "`model_rnn`" in _check(results["mutant_q5_other_accuracy"], "check_comparison_accuracy").message.fr


def test_budget_is_applied_and_reported(run):
    assert run.plan.profile == "cpu" and run.plan.training["epochs"] == 1
    ref = by_student(run)["reference"]
    notes = [text(n, "fr") for c in ref.cells for n in c.notes]
    assert any("1 époque(s) (10 demandées)" in n for n in notes), notes
    for model in ("cnn", "rnn"):
        message = _check(ref, f"check_{model}_accuracy_on_hidden_images").message.fr
        assert "400 images cachées" in message and "budget CPU" in message and "imposé" in message, message
        shown = _check(ref, f"check_{model}_accuracy_on_hidden_images").pictures
        assert [p.title.en for p in shown] == ["Learning curves (`fit` history)",
                                               "Sample predictions (green: right, red: wrong)"]


def test_stub_notebook_is_generated_from_the_reference():
    code = "\n".join("".join(c["source"]) for c in student_notebook("tp1-lstm-vs-cnn")["cells"]
                     if c["cell_type"] == "code")
    assert code.count("raise NotImplementedError") == 2 and "LSTM(128" not in code and "Conv2D(32" not in code
    assert "model_cnn = None" in code and "comparison = None" in code and "to_categorical(y_train" not in code


def test_reports_are_wholly_in_the_language_asked(run):
    """Reference, variants and mutants: English reports hold no French, French ones no English."""
    assert_reports_in_each_language(run)
