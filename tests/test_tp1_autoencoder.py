"""tp1-autoencoder graded for real under the CPU profile: reference, variants, one mutant per mistake.

One `grade()` call (two workers) with a tiny budget: 1 epoch on 1 000 CIFAR-10 images (the real
set where this machine has it, else the session's synthetic stand-in from conftest), 500 hidden
test images. Every entry fits with batches of 16 instead of the course's 256: 1 000 images at 256
are 4 steps, too few for any autoencoder to leave the untrained one's error behind (on the real
CPU budget, `max_batch_size` in assignment.toml does that for the course's code).
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

# The class trains real models (1-4 min on 2 cores): the slow tier, which `.ci/run` runs
# (`pytest -m slow`); the default run keeps tp-tenseurs, tp-mnist-dense and tp-diy.
pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
REF = mutate(reference_text("tp1-autoencoder"), "batch_size=256", "batch_size=16")
BUDGET = {"epochs": 1, "train_size": 1000, "max_batch_size": 16, "serve_train": 1000, "serve_test": 500,
          "holdout": 500, "thresholds": {"q4": 0.044}}

DATA = ('x_train = x_train.astype("float32").reshape(-1, 3072) / 255.0\n'
        'x_test = x_test.astype("float32").reshape(-1, 3072) / 255.0')
FIT = "autoencoder.fit(x_train, x_train, epochs=5, batch_size=16, shuffle=True,\n" \
      "                          validation_data=(x_test, x_test))"
ENCODER = "encoder = keras.Model(input_img, encoded)"
FRESH_ENCODER = ('encoder = keras.Sequential([keras.Input(shape=(3072,)), layers.Dense(1024, activation="relu"), '
                 'layers.Dense(512, activation="relu"), layers.Dense(64, activation="relu")])')
REBUILD = """input_img = keras.Input(shape=(3072,))
h = input_img
for units in (1024, 512, 64):
    h = layers.Dense(units, activation="relu")(h)
encoded = h
for units in (512, 1024):
    h = layers.Dense(units, activation="relu")(h)
autoencoder = keras.Model(input_img, layers.Dense(3072, activation="sigmoid")(h))
autoencoder.compile(optimizer="adam", loss="mse")
encoder = keras.Model(input_img, encoded)"""

MUTANTS = {
    # images kept (n, 32, 32, 3), flattened only for `fit`: Q1 only (the judge reshapes to the model's input)
    "q1_not_flattened": [
        (DATA, 'x_train = x_train.astype("float32") / 255.0\nx_test = x_test.astype("float32") / 255.0'),
        (FIT, FIT.replace("x_train, x_train", "x_train.reshape(-1, 3072), x_train.reshape(-1, 3072)")
         .replace("x_test, x_test", "x_test.reshape(-1, 3072), x_test.reshape(-1, 3072)"))],
    # raw pixels kept in x_train/x_test, scaled only inside `fit`: Q1 only (the judge tries the course's 1/255)
    "q1_not_scaled": [
        (DATA, DATA.replace(" / 255.0", "")),
        (FIT, FIT.replace("x_train, x_train", "x_train / 255.0, x_train / 255.0")
         .replace("x_test, x_test", "x_test / 255.0, x_test / 255.0"))],
    "q2_missing_512": [('encoded = layers.Dense(512, activation="relu")(encoded)\n', "")],
    "q2_linear_output": [('layers.Dense(3072, activation="sigmoid")', "layers.Dense(3072)")],
    # trained with cross-entropy: Q2 charges the loss; Q4 measures the MSE it reaches anyway
    "q2_bce": [('loss="mse"', 'loss="binary_crossentropy"')],
    "q3_fresh_weights": [(ENCODER, FRESH_ENCODER)],
    "q3_wrong_cut": [(ENCODER, "encoder = keras.Model(input_img, autoencoder.layers[2].output)")],
}


def _apply(edits: list[tuple[str, str]]) -> str:
    text = REF
    for old, new in edits:
        text = mutate(text, old, new)
    return text


def _notebook(name: str) -> str:
    """The student notebook, stubs left in, then a correct answer in a last cell."""
    nb = student_notebook("tp1-autoencoder")
    nb["cells"].append({"cell_type": "code", "execution_count": None, "id": "x", "metadata": {}, "outputs": [],
                        "source": (HERE / "submissions/tp1-autoencoder" / name).read_text()})
    return json.dumps(nb)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    if lookup.locate("cifar10") is None:
        pytest.skip(lookup.how_to_get("cifar10"))
    folder = tmp_path_factory.mktemp("autoencoder") / "class"
    entries = {"reference.py": REF,
               "variant_sequential_tfkeras.py": (HERE / "submissions/tp1-autoencoder/variant_sequential_tfkeras.py")
               .read_text(),
               "variant_nested_models.ipynb": _notebook("variant_nested_models.py"),
               # rebuilt (and its encoder with it) after `fit`: a fine, untrained model: Q4 only
               "mutant_q4_rebuilt.py": with_cell(REF, REBUILD)}
    entries |= {f"mutant_{key}.py": _apply(edits) for key, edits in MUTANTS.items()}
    write_class(folder, entries)
    return grade(folder, assignment="tp1-autoencoder", out=folder.parent / "out", workers=2, profile="cpu",
                 budget=BUDGET)


def test_reference_and_variants_get_full_marks(run):
    for name in ("reference", "variant_sequential_tfkeras", "variant_nested_models"):
        r = by_student(run)[name]
        assert r.totals.auto == r.totals.auto_max == 20 and r.totals.pending == r.max_score - 20, (name, question_scores(r))


@pytest.mark.parametrize("student", [f"mutant_{key}" for key in (*MUTANTS, "q4_rebuilt")])
def test_each_mutant_loses_exactly_its_question(run, student):
    assert_loses_exactly(by_student(run)[student], student.split("_")[1])


def _check(result, name: str):
    return next(c for qs in result.questions for c in qs.checks if c.name == name)


def test_messages_name_the_mistake(run):
    results = by_student(run)
    assert "reshape(-1, 3072)" in _check(results["mutant_q1_not_flattened"], "check_data_shapes").message.fr
    assert "Divisez les pixels" in _check(results["mutant_q1_not_scaled"],
                                          "check_images_scaled_to_unit_range").message.fr
    assert "Couche 2 : Dense(64, relu) au lieu de Dense(512, relu)" in _check(
        results["mutant_q2_missing_512"], "check_autoencoder_layers").message.fr
    assert "sigmoid" in _check(results["mutant_q2_linear_output"], "check_autoencoder_layers").message.fr
    assert "binary_crossentropy" in _check(results["mutant_q2_bce"], "check_autoencoder_loss_is_mse").message.fr
    assert "poids neufs" in _check(results["mutant_q3_fresh_weights"], "check_encoder_shares_weights").message.fr
    assert "le goulot de `autoencoder` (sa couche la plus étroite) en a 64" in _check(
        results["mutant_q3_wrong_cut"], "check_encoder_outputs_bottleneck").message.fr
    assert "reconstruit après" in _check(results["mutant_q4_rebuilt"],
                                         "check_autoencoder_reconstructs_hidden_images").message.fr


def test_budget_is_applied_and_reported(run):
    assert run.plan.profile == "cpu" and run.plan.training["epochs"] == 1
    q4 = _check(by_student(run)["reference"], "check_autoencoder_reconstructs_hidden_images").message.fr
    assert "500 images cachées" in q4 and "budget CPU" in q4 and "seuil 0.044" in q4
    shown = _check(by_student(run)["reference"], "check_autoencoder_reconstructs_hidden_images").pictures
    assert [p.title.en for p in shown] == ["Learning curves (`fit` history)",
                                           "Original (top) and reconstructed (bottom) images"]


def test_stub_notebook_is_generated_from_the_reference():
    code = "\n".join("".join(c["source"]) for c in student_notebook("tp1-autoencoder")["cells"]
                     if c["cell_type"] == "code")
    assert "autoencoder = None" in code and "encoder = None" in code and "Dense(1024" not in code
    assert "/ 255" not in code and "reshape(-1, 3072)" not in code


def test_reports_are_wholly_in_the_language_asked(run):
    """Reference, variants and mutants: English reports hold no French, French ones no English."""
    assert_reports_in_each_language(run)
