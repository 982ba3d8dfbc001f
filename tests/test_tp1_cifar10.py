"""tp1-cifar10 graded for real under the CPU profile: reference, variants, mutants of every question.

One `grade()` call (two workers) with a tiny budget: 1 epoch on a few hundred images. The data is
whatever CIFAR-10 the grader finds (the session's synthetic stand-in here: real CIFAR-10 cannot be
had offline), so the accuracy threshold is 0 and Q4's mutant is caught by its untrained
BatchNormalization statistics; `predict_image` is checked on the 20 real CIFAR-10 test PNGs.
"""

from __future__ import annotations

import importlib
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

from grader.assignments import load as load_assignment
from grader.data import lookup
from grader.grading import grade
from grader.notebooks import student_notebook
from grader.reports.document import text

# The class trains real models (1-4 min on 2 cores): the slow tier, which `.ci/run` runs
# (`pytest -m slow`); the default run keeps tp-tenseurs, tp-mnist-dense and tp-diy.
pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
SUBMISSIONS = HERE / "submissions" / "tp1-cifar10"
REF = reference_text("tp1-cifar10")
BUDGET = {"epochs": 1, "train_size": 256, "max_batch_size": 64, "serve_train": 512, "serve_test": 256,
          "holdout": 256, "thresholds": {"q4": 0.0}}

SCALE = ('X_train = x_train_raw.astype("float32") / 255.0\nX_test = x_test_raw.astype("float32") / 255.0',
         'X_train = x_train_raw.astype("float32")\nX_test = x_test_raw.astype("float32")')
NAMES = '"airplane", "automobile", "bird", "cat", "deer", "dog", "frog"'
BLOCK_BN = "        model.add(layers.BatchNormalization())\n        model.add(layers.Conv2D(filters, (3, 3), activation"
SECOND_CONV = 'model.add(layers.Conv2D(filters, (3, 3), activation="relu"))'
DENSE_256 = '    model.add(layers.Dense(256, activation="relu"))\n    model.add(layers.Dropout(0.5))\n'
RETURN = "    return class_names[i], float(probs[i])"
MUTANTS = {
    "q1_unscaled": SCALE,
    "q1_order": (NAMES, NAMES.replace('"cat", "deer", "dog"', '"dog", "deer", "cat"')),
    "q2_no_batchnorm": (BLOCK_BN, "        model.add(layers.Conv2D(filters, (3, 3), activation"),
    "q2_padding": (SECOND_CONV, SECOND_CONV.replace('"relu")', '"relu", padding="same")')),
    "q2_dropout": (DENSE_256, '    model.add(layers.Dense(256, activation="relu"))\n'),
    "q5_unscaled": ('x = keras.utils.img_to_array(img).astype("float32") / 255.0',
                    'x = keras.utils.img_to_array(img).astype("float32")'),
    "q5_index": (RETURN, "    return i, float(probs[i])"),
    "q5_percent": (RETURN, "    return class_names[i], float(probs[i]) * 100"),
}


def _integer_labels() -> str:
    """Labels kept as integers, trained with the sparse loss: costs Q1 only."""
    text = mutate(REF, "y_train_cat = keras.utils.to_categorical(y_train, 10)\n"
                       "y_test_cat = keras.utils.to_categorical(y_test, 10)",
                  "y_train_cat = y_train\ny_test_cat = y_test")
    return mutate(text, 'loss="categorical_crossentropy"', 'loss="sparse_categorical_crossentropy"')


def _callbacks() -> str:
    """Two Q3 mistakes at once, one per callback: each of Q3's settings checks names its own."""
    text = mutate(REF, "patience=10, restore_best_weights=True", "patience=10")
    return mutate(text, "factor=0.5, patience=5", "factor=0.1, patience=5")


def _notebook(name: str) -> str:
    """The student notebook, stubs left in, then a correct answer in a last cell."""
    nb = student_notebook("tp1-cifar10")
    nb["cells"].append({"cell_type": "code", "execution_count": None, "id": "x", "metadata": {}, "outputs": [],
                        "source": (SUBMISSIONS / name).read_text()})
    return json.dumps(nb)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    if lookup.locate("cifar10") is None:
        pytest.skip(lookup.how_to_get("cifar10"))
    folder = tmp_path_factory.mktemp("cifar10") / "class"
    entries = {"reference.py": REF,
               "variant_functional_tfkeras.py": (SUBMISSIONS / "variant_functional_tfkeras.py").read_text(),
               "variant_sequential_add.ipynb": _notebook("variant_sequential_add.py"),
               "mutant_q1_labels.py": _integer_labels(),
               "mutant_q3.py": _callbacks(),
               # a fresh, untrained model replaces the trained one: predict_image follows it (Q5 still right)
               "mutant_q4_rebuilt.py": with_cell(REF, "model_cnn = create_cnn()")}
    entries |= {f"mutant_{q}.py": mutate(REF, old, new) for q, (old, new) in MUTANTS.items()}
    write_class(folder, entries)
    return grade(folder, assignment="tp1-cifar10", out=folder.parent / "out", workers=2, profile="cpu",
                 budget=BUDGET)


def test_reference_and_variants_get_full_marks(run):
    for name in ("reference", "variant_functional_tfkeras", "variant_sequential_add"):
        r = by_student(run)[name]
        assert r.totals.auto == r.totals.auto_max == 20 and r.totals.pending == r.max_score - 20, (name, question_scores(r))


@pytest.mark.parametrize("student", ["mutant_q1_labels", "mutant_q3", "mutant_q4_rebuilt",
                                     *(f"mutant_{q}" for q in MUTANTS)])
def test_each_mutant_loses_exactly_its_question(run, student):
    assert_loses_exactly(by_student(run)[student], student.split("_")[1])


def _message(result, name: str) -> str:
    return next(c for qs in result.questions for c in qs.checks if c.name == name).message.fr


def test_messages_name_the_mistake(run):
    r = by_student(run)
    assert "Divisez les pixels" in _message(r["mutant_q1_unscaled"], "check_images_scaled_to_unit_range")
    assert "to_categorical" in _message(r["mutant_q1_labels"], "check_data_shapes")
    assert "à l'indice 3" in _message(r["mutant_q1_order"], "check_class_names")
    assert "BatchNormalization" in _message(r["mutant_q2_no_batchnorm"], "check_create_cnn_layers")
    assert "padding" in _message(r["mutant_q2_padding"], "check_create_cnn_layers")
    assert "Dropout(0.5)" in _message(r["mutant_q2_dropout"], "check_create_cnn_layers")
    assert "restore_best_weights=True" in _message(r["mutant_q3"], "check_early_stopping_settings")
    assert "`factor=0.1` au lieu de `factor=0.5`" in _message(r["mutant_q3"], "check_reduce_lr_settings")
    assert "jamais été entraîné" in _message(r["mutant_q4_rebuilt"], "check_model_cnn_was_trained")
    assert "non mise à l'échelle" in _message(r["mutant_q5_unscaled"], "check_predict_image_on_cifar_images")
    assert "C'est l'indice" in _message(r["mutant_q5_index"], "check_predict_image_on_cifar_images")
    assert "pourcentage" in _message(r["mutant_q5_percent"], "check_predict_image_on_cifar_images")


def test_budget_is_applied_and_reported(run):
    ref = by_student(run)["reference"]
    notes = [text(n, "fr") for c in ref.cells for n in c.notes]
    assert any("1 époque(s) (30 demandées)" in n for n in notes), notes
    q4 = _message(ref, "check_model_cnn_accuracy_on_hidden_images")
    assert "256 images cachées" in q4 and "budget CPU" in q4
    shown = [c for qs in ref.questions for c in qs.checks if c.name == "check_model_cnn_accuracy_on_hidden_images"]
    assert [p.title.en for p in shown[0].pictures] == ["Learning curves (`fit` history)",
                                                       "Sample predictions (green: right, red: wrong)"]
    synthetic = lookup.locate("cifar10").synthetic  # the report's banner says so
    assert ref.info.get("synthetic_datasets") == (["cifar10"] if synthetic else None)


def test_stub_notebook_is_generated_from_the_reference():
    code = "\n".join("".join(c["source"]) for c in student_notebook("tp1-cifar10")["cells"]
                     if c["cell_type"] == "code")
    assert "raise NotImplementedError" in code and "BatchNormalization" not in code
    assert "callbacks = []" in code and "history = None" in code and "to_categorical(y_train" not in code


def _module(name: str):
    package = load_assignment("tp1-cifar10").module.__package__  # imports the checks package
    return importlib.import_module(f"{package}.{name}")


def test_class_names_accept_french_and_english_whatever_the_case_and_accents():
    common = _module("common")
    for names in (["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
                  ["Avion", "Voiture", "OISEAU", "chat", "Cerf", "chien", "Grenouille", "cheval", "Bâteau ", "camion"],
                  ["plane", "car", "birds", "Cats", "deer", "dogs", "frogs", "horses", "boat", "trucks"]):
        assert [common.class_index(n) for n in names] == list(range(10)), names
    assert common.class_index("bus") is None and common.class_index(3) is None


def test_predict_image_files_and_their_correct_inputs():
    prediction = _module("prediction")
    files = prediction.files()
    assert len(files) == 27 and len({name for name, _, _ in files}) == 27
    first = prediction.candidates(files[0][2])
    assert first.shape == (1, 32, 32, 3) and 0 <= first.min() and first.max() <= 1
    for name, _, data in files[20:]:
        cands = prediction.candidates(data)
        assert cands.shape[1:] == (32, 32, 3) and 0 <= cands.min() and cands.max() <= 1, name


def test_reports_are_wholly_in_the_language_asked(run):
    """Reference, variants and mutants: English reports hold no French, French ones no English."""
    assert_reports_in_each_language(run)
