"""tp-fashion graded for real under the CPU profile: reference, a variant, one mutant per question.

One `grade()` call (two workers) on real Fashion-MNIST with a tiny budget: 1 epoch on 1 000 images
for every `fit` (the four activation models and the CNN). Skipped only where Fashion-MNIST cannot
be had (the shared offline copy sets GRADER_DATA_DIR in conftest).
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
    write_class,
)

from grader.assignments import load as load_assignment
from grader.data import lookup
from grader.grading import grade
from grader.judge.registry import CheckFailed
from grader.notebooks import student_notebook
from grader.reports.document import text

# The class trains real models (1-4 min on 2 cores): the slow tier, which `.ci/run` runs
# (`pytest -m slow`); the default run keeps tp-tenseurs, tp-mnist-dense and tp-diy.
pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
REF = reference_text("tp-fashion")
BUDGET = {"epochs": 1, "train_size": 1000, "max_batch_size": 64, "serve_train": 1000, "serve_test": 500, "holdout": 500,
          "thresholds": {"q5": 0.3}}

LEAKY = """        if activation == "leaky_relu":
            model.add(layers.Dense(units))
            model.add(layers.LeakyReLU(negative_slope=0.1))
        else:
            model.add(layers.Dense(units, activation=activation))"""
CNN_FIT = "cnn.fit(X_train_cnn, y_train_cat,"
#: `build_activation_model`'s leaky ReLU given as the Dense's own activation function: judged by what it computes
OWN_LEAKY = """        model.add(layers.Dense(units, activation=LEAKY if activation == "leaky_relu" else activation))"""
LEAKY_FUNCTIONS = {
    "lambda": "LEAKY = lambda x: keras.activations.leaky_relu(x, negative_slope=0.1)",
    "def": "def LEAKY(x):\n    return keras.activations.leaky_relu(x, negative_slope=0.1)",
    "tf_nn": "import tensorflow as tf\nLEAKY = lambda x: tf.nn.leaky_relu(x, alpha=0.1)",
}
#: correct: full marks; "slope_001": a leaky ReLU of slope 0.01 loses q3 (as Keras' string, slope 0.2, does)
ACTIVATION_VARIANTS = {f"variant_q3_{k}": v for k, v in LEAKY_FUNCTIONS.items()} | {
    "mutant_q3_slope_001": "LEAKY = lambda x: keras.activations.leaky_relu(x, negative_slope=0.01)"}
MUTANTS = {
    "q2": ("        layers.Dropout(0.2),\n", ""),  # Dropout missing in build_ann
    "q3": (LEAKY, "        model.add(layers.Dense(units, activation=activation))"),  # Keras' "leaky_relu": 0.2
    "q4": ("layers.Conv2D(32, 3", "layers.Conv2D(16, 3"),
    "q5": (CNN_FIT, "cnn.fit(X_train_cnn, np.random.default_rng(0).permutation(y_train_cat),"),
    "q6": ("np.add.at(cm, (y_true, y_pred), 1)", "np.add.at(cm, (y_pred, y_true), 1)"),  # transposed
    "q7": ("layers.RandomRotation(10 / 360)", "layers.RandomRotation(10)"),  # 10 full turns
}


def _integer_labels() -> str:
    """Labels left as integers (not one-hot), made to run with the sparse loss: costs Q1 only."""
    text = mutate(REF, 'y_train_cat = keras.utils.to_categorical(y_train, 10)\n'
                       'y_test_cat = keras.utils.to_categorical(y_test, 10)',
                  "y_train_cat = y_train\ny_test_cat = y_test")
    text = mutate(text, "y_true = np.argmax(y_test_cat, axis=1)", "y_true = y_test_cat")
    assert text.count('loss="categorical_crossentropy"') == 2
    return text.replace('loss="categorical_crossentropy"', 'loss="sparse_categorical_crossentropy"')


def _own_leaky(definition: str) -> str:
    """The reference with the leaky ReLU as the hidden Dense's activation function, defined before it."""
    text = mutate(REF, LEAKY, OWN_LEAKY)
    return mutate(text, "def build_activation_model(activation):", f"{definition}\n\n\ndef build_activation_model(activation):")


def _notebook(name: str) -> str:
    """The student notebook, stubs left in, then a correct answer in a last cell."""
    nb = student_notebook("tp-fashion")
    nb["cells"].append({"cell_type": "code", "execution_count": None, "id": "x", "metadata": {}, "outputs": [],
                        "source": (HERE / "submissions/tp-fashion" / name).read_text()})
    return json.dumps(nb)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    if lookup.locate("fashion_mnist") is None:
        pytest.skip(lookup.how_to_get("fashion_mnist"))
    folder = tmp_path_factory.mktemp("fashion") / "class"
    entries = {"reference.py": REF,
               "variant_tfkeras_generator.ipynb": _notebook("variant_tfkeras_generator.py"),
               "mutant_q1.py": _integer_labels()}
    entries |= {f"mutant_{q}.py": mutate(REF, old, new) for q, (old, new) in MUTANTS.items()}
    entries |= {f"{name}.py": _own_leaky(definition) for name, definition in ACTIVATION_VARIANTS.items()}
    write_class(folder, entries)
    return grade(folder, assignment="tp-fashion", out=folder.parent / "out", workers=2, profile="cpu",
                 budget=BUDGET)


def test_reference_and_variant_get_full_marks(run):
    for name in ("reference", "variant_tfkeras_generator", *(f"variant_q3_{k}" for k in LEAKY_FUNCTIONS)):
        r = by_student(run)[name]
        assert r.totals.auto == r.totals.auto_max == 20 and r.totals.pending == r.max_score - 20, (name, question_scores(r))


@pytest.mark.parametrize("question", ["q1", "q2", "q3", "q4", "q5", "q6", "q7"])
def test_each_mutant_loses_exactly_its_question(run, question):
    assert_loses_exactly(by_student(run)[f"mutant_{question}"], question)


def test_a_leaky_relu_of_slope_001_loses_exactly_q3(run):
    result = by_student(run)["mutant_q3_slope_001"]
    assert_loses_exactly(result, "q3")
    message = _check(result, "check_activation_models_layers").message.fr
    assert "Dense(128, leaky_relu(0.01)) au lieu de Dense(128, leaky_relu(0.1))" in message
    assert "pente du leaky ReLU doit être 0.1" in message


def _check(result, name: str):
    return next(c for qs in result.questions for c in qs.checks if c.name == name)


def test_messages_name_the_mistake(run):
    results = by_student(run)
    assert "to_categorical" in _check(results["mutant_q1"], "check_data_shapes").message.fr
    assert "Il manque le `Dropout(0.2)`" in _check(results["mutant_q2"], "check_build_ann_layers").message.fr
    leaky = _check(results["mutant_q3"], "check_activation_models_layers").message.fr
    assert "Dense(128, leaky_relu(0.2)) au lieu de Dense(128, leaky_relu(0.1))" in leaky and "LeakyReLU(negative_slope=0.1)" in leaky
    assert "Conv2D(16, 3, relu) au lieu de Conv2D(32, 3, relu)" in _check(results["mutant_q4"],
                                                                          "check_build_cnn_layers").message.fr
    assert "images cachées" in _check(results["mutant_q5"], "check_cnn_accuracy_on_hidden_images").message.fr
    assert "transposée" in _check(results["mutant_q6"], "check_cm_rows_are_true_classes").message.fr
    # Keras 3 refuses RandomRotation(10) outright (factor outside [-1, 1]): `datagen` is never defined
    assert _check(results["mutant_q7"], "check_datagen_kind").status.value == "missing"
    assert any("factor" in text(c.error, "fr") for c in results["mutant_q7"].cells)


class _FakeObs:
    """Stands for the runner: `run` answers what `grader.runner.probes.augmentation.describe` would."""

    def __init__(self, answer: dict):
        self.answer = answer

    def describe(self, name):
        return {"callable": False}

    def run(self, function, *args, **kwargs):
        return self.answer

    def memo(self, key, compute):
        return compute()


def _datagen_check(name: str):
    return next(c.func for c in load_assignment("tp-fashion").checks if c.name == name)


def _layers(rotation, zoom=0.1, mode="horizontal") -> dict:
    return {"type": "Sequential", "kind": "layers",
            "layers": [{"class": "RandomRotation", "factor": rotation},
                       {"class": "RandomZoom", "height_factor": zoom, "width_factor": None},
                       {"class": "RandomFlip", "mode": mode}]}


def test_datagen_checks_read_factors_as_fractions_of_a_turn():
    rotation = _datagen_check("check_datagen_rotation")
    rotation(_FakeObs(_layers([-10 / 360, 10 / 360])), None)
    with pytest.raises(CheckFailed, match="10 tours"):  # what older Keras accepted
        rotation(_FakeObs(_layers([-10.0, 10.0])), None)
    with pytest.raises(CheckFailed, match="10 / 360"):
        rotation(_FakeObs(_layers([-0.1, 0.1])), None)
    generator = {"type": "ImageDataGenerator", "kind": "generator", "rotation_range": 10.0, "zoom_range": [0.9, 1.1],
                 "horizontal_flip": True, "vertical_flip": False}
    for name in ("check_datagen_rotation", "check_datagen_zoom", "check_datagen_flip"):
        _datagen_check(name)(_FakeObs(generator), None)
    with pytest.raises(CheckFailed, match="zoom_range"):
        _datagen_check("check_datagen_zoom")(_FakeObs({**generator, "zoom_range": [0.0, 0.1]}), None)
    with pytest.raises(CheckFailed, match="horizontal"):
        _datagen_check("check_datagen_flip")(_FakeObs(_layers([-10 / 360, 10 / 360], mode="horizontal_and_vertical")),
                                             None)


def test_budget_is_applied_and_reported(run):
    ref = by_student(run)["reference"]
    notes = [text(n, "fr") for c in ref.cells for n in c.notes]
    assert any("Fashion-MNIST servi par le correcteur" in n and "1 000 images d'entraînement" in n for n in notes)
    assert sum("1 époque(s) (5 demandées)" in n for n in notes) == 4, notes  # the four activation models
    q5 = _check(ref, "check_cnn_accuracy_on_hidden_images").message.fr
    assert "500 images cachées" in q5 and "budget CPU" in q5 and "seuil 0.300" in q5
    assert len(_check(ref, "check_cnn_accuracy_on_hidden_images").pictures) == 2  # curves, predictions
    assert len(_check(ref, "check_cm_matches_predictions").pictures) == 1  # heatmap


def test_stub_notebook_is_generated_from_the_reference():
    code = "\n".join("".join(c["source"]) for c in student_notebook("tp-fashion")["cells"] if c["cell_type"] == "code")
    assert "raise NotImplementedError" in code and "Conv2D(32" not in code and "LeakyReLU(" not in code
    assert "cm = None" in code and "datagen = None" in code and "cnn = None" in code


def test_reports_are_wholly_in_the_language_asked(run):
    """Reference, variants and mutants: English reports hold no French, French ones no English."""
    assert_reports_in_each_language(run)
