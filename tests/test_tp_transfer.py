"""tp-transfer graded for real: reference, variants, mutants of each question, the untouched notebook.

One `grade()` call (two workers). No network and no ImageNet weights: the checks build every model
with `weights=None` on 32 x 32 images, and the reference falls back to random weights at top level.
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

from grader.grading import grade
from grader.model import Status
from grader.notebooks import student_notebook

# The class trains real models (1-4 min on 2 cores): the slow tier, which `.ci/run` runs
# (`pytest -m slow`); the default run keeps tp-tenseurs, tp-mnist-dense and tp-diy.
pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
REF = reference_text("tp-transfer")

FREEZE = "    base.trainable = False\n    inputs = keras.Input"
UNFREEZE_LOOP = "    for layer in base.layers[:-n_layers]:\n        layer.trainable = False\n"
COMMON = 'validation_split=0.2, seed=1337,'
MUTANTS = {
    # Q1
    "q1_base_trainable": (FREEZE, "    inputs = keras.Input"),
    "q1_no_preprocess": ("x = preprocess_input(inputs)", "x = inputs"),
    "q1_no_sigmoid": ('outputs = layers.Dense(1, activation="sigmoid")(x)', "outputs = layers.Dense(1)(x)"),
    "q1_imagenet_hardcoded": ("base = ResNet50(weights=weights,", 'base = ResNet50(weights="imagenet",'),
    # Q2
    "q2_off_by_one": ("base.layers[:-n_layers]", "base.layers[:-n_layers - 1]"),
    "q2_weighted_only": (UNFREEZE_LOOP, "    top = [layer for layer in base.layers if layer.weights][-n_layers:]\n"
                                        "    for layer in base.layers:\n"
                                        "        layer.trainable = any(layer is t for t in top)\n"),
    "q2_whole_base": (UNFREEZE_LOOP, ""),
    # Q3
    "q3_lr_1e-4": ("Adam(learning_rate=1e-5)", "Adam(learning_rate=1e-4)"),
    "q3_sgd": ("keras.optimizers.Adam(learning_rate=1e-5)", "keras.optimizers.SGD(learning_rate=1e-5)"),
    # Q4
    "q4_split_0.3": ("validation_split=0.2, seed", "validation_split=0.3, seed"),
    "q4_categorical": ('label_mode="binary")', 'label_mode="categorical")'),
}


def _two_seeds() -> str:
    text = mutate(REF, COMMON, "validation_split=0.2,")
    text = mutate(text, 'subset="training", **common', 'subset="training", seed=1, **common')
    return mutate(text, 'subset="validation", **common', 'subset="validation", seed=2, **common')


def _notebook(answer: str | None) -> str:
    nb = student_notebook("tp-transfer")
    if answer is not None:  # the stubs left in, then a correct answer in a last cell
        nb["cells"].append({"cell_type": "code", "execution_count": None, "id": "x", "metadata": {}, "outputs": [],
                            "source": answer})
    return json.dumps(nb)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("transfer") / "class"
    entries = {"reference.py": REF,
               "variant_sequential_tfkeras.ipynb": _notebook(
                   (HERE / "submissions/tp-transfer/variant_sequential_tfkeras.py").read_text()),
               "variant_flattened.py": (HERE / "submissions/tp-transfer/variant_flattened.py").read_text(),
               "variant_lambda_subset_both.py":
                   (HERE / "submissions/tp-transfer/variant_lambda_subset_both.py").read_text(),
               "untouched.ipynb": _notebook(None),
               "mutant_q4_two_seeds.py": _two_seeds()}
    entries |= {f"mutant_{name}.py": mutate(REF, old, new) for name, (old, new) in MUTANTS.items()}
    write_class(folder, entries)
    return grade(folder, assignment="tp-transfer", out=folder.parent / "out", workers=2, profile="cpu")


def _check(result, name: str):
    return next(c for qs in result.questions for c in qs.checks if c.name == name)


def test_reference_and_variants_get_full_marks(run):
    for name in ("reference", "variant_sequential_tfkeras", "variant_flattened", "variant_lambda_subset_both"):
        r = by_student(run)[name]
        assert r.score == r.max_score == 20, (name, question_scores(r),
                                              [(c.name, c.message.fr[:300], c.details[-300:]) for q in r.questions
                                               for c in q.checks if not c.passed])


@pytest.mark.parametrize("name", [*MUTANTS, "q4_two_seeds"])
def test_each_mutant_loses_exactly_its_question(run, name):
    assert_loses_exactly(by_student(run)[f"mutant_{name}"], name[:2])


def test_untouched_notebook_scores_zero_without_grader_errors(run):
    r = by_student(run)["untouched"]
    assert r.score == 0, question_scores(r)
    assert run.grader_errors == 0
    assert _check(r, "check_transfer_model_is_keras_model").status is Status.ERROR


def test_messages_name_the_mistake(run):
    results = by_student(run)
    assert "gelez-la" in _check(results["mutant_q1_base_trainable"], "check_only_head_is_trainable").message.fr
    assert "images brutes" in _check(results["mutant_q1_no_preprocess"],
                                     "check_preprocess_input_inside_model").message.fr
    assert "sigmoid" in _check(results["mutant_q1_no_sigmoid"], "check_head_is_pooling_then_sigmoid_unit").message.fr
    assert "weights=None" in _check(results["mutant_q1_imagenet_hardcoded"],
                                    "check_transfer_model_is_keras_model").message.fr
    assert "erreur d'une couche" in _check(results["mutant_q2_off_by_one"], "check_unfreeze_top_default_30").message.fr
    assert "couches qui ont des poids" in _check(results["mutant_q2_weighted_only"],
                                                 "check_unfreeze_top_other_count").message.fr
    assert "Toute la base" in _check(results["mutant_q2_whole_base"], "check_unfreeze_top_default_30").message.fr
    assert "0.0001" in _check(results["mutant_q3_lr_1e-4"], "check_learning_rate_is_1e_5").message.fr
    assert "SGD" in _check(results["mutant_q3_sgd"], "check_optimizer_is_adam").message.fr
    assert "validation 30%" in _check(results["mutant_q4_split_0.3"], "check_split_is_80_20").message.fr
    assert "même" in _check(results["mutant_q4_two_seeds"], "check_subsets_are_disjoint").message.fr
    assert "categorical" in _check(results["mutant_q4_categorical"], "check_labels_are_binary").message.fr


def test_q2_falls_back_to_the_judge_model_when_q1_cannot_build(run):
    message = _check(by_student(run)["mutant_q1_imagenet_hardcoded"], "check_unfreeze_top_default_30").message.fr
    assert "modèle du correcteur" in message


def test_stub_notebook_is_generated_from_the_reference():
    code = "\n".join("".join(c["source"]) for c in student_notebook("tp-transfer")["cells"]
                     if c["cell_type"] == "code")
    assert code.count("raise NotImplementedError") == 4
    assert "ResNet50(weights=weights" not in code and "image_dataset_from_directory(directory" not in code


def test_reports_are_wholly_in_the_language_asked(run):
    """Reference, variants and mutants: English reports hold no French, French ones no English."""
    assert_reports_in_each_language(run)
