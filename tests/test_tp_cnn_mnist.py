"""tp-cnn-mnist graded for real under the CPU profile: reference, variants, one mutant per question.

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

from grader.data import lookup
from grader.grading import grade
from grader.notebooks import student_notebook
from grader.reports.document import text

# The class trains real models (1-4 min on 2 cores): the slow tier, which `.ci/run` runs
# (`pytest -m slow`); the default run keeps tp-tenseurs, tp-mnist-dense and tp-diy.
pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
REF = reference_text("tp-cnn-mnist")
BUDGET = {"epochs": 1, "train_size": 2000, "max_batch_size": 64, "serve_train": 2500, "serve_test": 1000,
          "holdout": 1000,
          "thresholds": {"q4": 0.5}}

FIT = "history = model.fit(x_train, y_train, epochs=20, batch_size=64, validation_split=0.1, callbacks=[early_stop])"
COMPILE = 'model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])'
EARLY = 'early_stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)'
ONE_HOT = "y_train = keras.utils.to_categorical(y_train, 10)\ny_test = keras.utils.to_categorical(y_test, 10)\n"
PREDICT = "y_pred = np.argmax(model.predict(x_test, verbose=0), axis=1)"
MUTANTS = {
    "q2": ("layers.Dropout(0.5)", "layers.Dropout(0.2)"),
    "q3": (EARLY, EARLY.replace("restore_best_weights=True", "restore_best_weights=False")),
    "q3_monitor": (EARLY, EARLY.replace('"val_loss"', '"val_accuracy"')),
    "q4": (FIT, FIT.replace("(x_train, y_train,", "(x_train, np.random.default_rng(0).permutation(y_train),")),
    "q5_other_model": (PREDICT, PREDICT.replace("model.predict", "build_model().predict")),
}


def _integer_labels() -> str:
    """Labels kept as integers, trained with the sparse loss: costs Q1 only (cm is still right)."""
    text = mutate(REF, ONE_HOT, "")
    text = mutate(text, COMPILE, COMPILE.replace('"categorical', '"sparse_categorical'))
    return mutate(text, "y_true = np.argmax(y_test, axis=1)", "y_true = y_test")


def _notebook(name: str) -> str:
    nb = student_notebook("tp-cnn-mnist")
    nb["cells"].append({"cell_type": "code", "execution_count": None, "id": "x", "metadata": {}, "outputs": [],
                        "source": (HERE / "submissions/tp-cnn-mnist" / name).read_text()})
    return json.dumps(nb)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    if lookup.locate("mnist") is None:
        pytest.skip(lookup.how_to_get("mnist"))
    folder = tmp_path_factory.mktemp("cnn-mnist") / "class"
    entries = {"reference.py": REF,
               "variant_functional_tfkeras.py": (HERE / "submissions/tp-cnn-mnist/variant_functional_tfkeras.py")
               .read_text(),
               # the student notebook, stubs left in, then a correct answer in a last cell
               "variant_sequential_add.ipynb": _notebook("variant_sequential_add.py"),
               "mutant_q1.py": _integer_labels(),
               "mutant_q5.py": with_cell(REF, "cm = cm.T"),
               # correct, but one short budgeted epoch at batch 512 would be ~4 steps: the budget caps it
               "variant_big_batch.py": mutate(REF, "batch_size=64", "batch_size=512")}
    entries |= {f"mutant_{q}.py": mutate(REF, old, new) for q, (old, new) in MUTANTS.items()}
    write_class(folder, entries)
    return grade(folder, assignment="tp-cnn-mnist", out=folder.parent / "out", workers=2, profile="cpu",
                 budget=BUDGET)


def test_reference_and_variants_get_full_marks(run):
    for name in ("reference", "variant_functional_tfkeras", "variant_sequential_add", "variant_big_batch"):
        r = by_student(run)[name]
        assert r.score == r.max_score == 20, (name, question_scores(r))


@pytest.mark.parametrize("student,question", [(f"mutant_{q}", q[:2]) for q in ("q1", "q5", *MUTANTS)])
def test_each_mutant_loses_exactly_its_question(run, student, question):
    assert_loses_exactly(by_student(run)[student], question)


def _check(result, name: str):
    return next(c for qs in result.questions for c in qs.checks if c.name == name)


def test_messages_name_the_mistake(run):
    results = by_student(run)
    assert "to_categorical" in _check(results["mutant_q1"], "check_data_shapes").message.fr
    assert "Dropout(0.2) au lieu de Dropout(0.5)" in _check(results["mutant_q2"], "check_build_model_layers").message.fr
    assert "restore_best_weights=True" in _check(results["mutant_q3"],
                                                 "check_early_stop_restores_best_weights").message.fr
    assert "val_accuracy" in _check(results["mutant_q3_monitor"], "check_early_stop_monitors_val_loss").message.fr
    assert "transposée" in _check(results["mutant_q5"], "check_cm_rows_sum_to_class_counts").message.fr
    assert "transposée" in _check(results["mutant_q5"], "check_cm_matches_model_predictions").message.fr
    assert "autre modèle" in _check(results["mutant_q5_other_model"], "check_cm_matches_model_predictions").message.fr


def test_budget_is_applied_and_reported(run):
    assert run.plan.profile == "cpu" and run.plan.training["epochs"] == 1
    ref = by_student(run)["reference"]
    notes = [text(n, "fr") for c in ref.cells for n in c.notes]
    assert any("1 époque(s) (20 demandées)" in n for n in notes), notes
    q4 = _check(ref, "check_model_accuracy_on_hidden_images").message.fr
    assert "1 000 images cachées" in q4 and "budget CPU" in q4 and "seuil 0.500" in q4
    cm = _check(ref, "check_cm_matches_model_predictions").message.fr
    assert "1 000 images de `x_test`" in cm


def test_feedback_shows_curves_predictions_and_heatmap(run):
    ref = by_student(run)["reference"]
    q4 = _check(ref, "check_model_accuracy_on_hidden_images").pictures
    assert [p.title.en for p in q4] == ["Learning curves (`fit` history)", "Sample predictions (green: right, red: wrong)"]
    assert all(p.png.startswith(b"\x89PNG") for p in q4)
    assert len(_check(ref, "check_cm_matches_model_predictions").pictures) == 1
    assert (run.out / "reports" / "reference.html").read_text(encoding="utf-8").count("data:image/png;base64,") >= 3


def test_stub_notebook_is_generated_from_the_reference():
    code = "\n".join("".join(c["source"]) for c in student_notebook("tp-cnn-mnist")["cells"]
                     if c["cell_type"] == "code")
    assert "raise NotImplementedError" in code and "Conv2D(32" not in code
    assert "early_stop = None" in code and "cm = None" in code and "to_categorical(y_train" not in code


def test_reports_are_wholly_in_the_language_asked(run):
    """Reference, variants and mutants: English reports hold no French, French ones no English."""
    assert_reports_in_each_language(run)
