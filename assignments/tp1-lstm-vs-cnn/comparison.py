"""Q5: `comparison`, judged against what the student's own models do on the student's own test set.

The runner hands back the numbers in `comparison`, each model's `count_params()` and its
predictions on the student's test images (`X_test_cnn` / `X_test_rnn`, else `X_test`) with the
classes of the student's `y_test_cat`; the accuracy is recomputed here. Where the notebook kept no
test images, the judge sends the served MNIST test images, scaled like the model's training array,
and scores them against MNIST's labels (which the student was given anyway). So an undertrained
model (Q4) or a wrong architecture (Q2, Q3) still allows a correct `comparison`.
"""

from __future__ import annotations

import math

import numpy as np

from grader.checks import (
    NO_HINT,
    CheckFailed,
    Message,
    Status,
    as_array,
    earlier,
    fail,
    group,
    holdout,
    load_dataset,
    student_probed,
    training_budget,
)
from grader.checks.probes import model, predictions, values

from .common import DATASET, MODELS, checks
from .data import scaling
from .training import require_model

FIELDS = ("accuracy", "train_time_s", "params")
TOLERANCE = 0.01

def _comparison(obs) -> dict:
    return student_probed(obs, "comparison", values.number_table, ["cnn", "rnn"], list(FIELDS), field="keys",
                          expected=Message("un dictionnaire {\"cnn\": {...}, \"rnn\": {...}}",
                                           "a dict {\"cnn\": {...}, \"rnn\": {...}}"))


def _row(info: dict, key: str) -> dict:
    row = info["rows"][key]
    if row.get("type") != "dict":
        raise fail(f"`comparison[\"{key}\"]` est de type {row.get('type')} ; attendu un dictionnaire avec les clés "
                   "\"accuracy\", \"train_time_s\", \"params\".",
                   f"`comparison[\"{key}\"]` is a {row.get('type')}; expected a dict with the keys "
                   "\"accuracy\", \"train_time_s\", \"params\".")
    return row


def _number(info: dict, key: str, field: str) -> tuple[float, bool]:
    entry = _row(info, key)[field]
    if "value" not in entry:
        hint = (Message(" `model.evaluate` renvoie [perte, précision] : gardez le second élément.",
                        " `model.evaluate` returns [loss, accuracy]: keep the second item.")
                if field == "accuracy" and entry.get("size") == 2 else NO_HINT)
        raise fail(f"`comparison[\"{key}\"][\"{field}\"]` est de type {entry['type']} ; attendu un nombre.{hint.fr}",
                   f"`comparison[\"{key}\"][\"{field}\"]` is a {entry['type']}; expected a number.{hint.en}")
    return entry["value"], entry["integral"]


def _own(obs, ctx, key: str) -> dict:
    """What the student's own model does: `count_params()`, and its accuracy on the student's test set.

    The model and its test set are earlier answers (Q1-Q4): where they are unusable, the check that
    needs them is skipped, saying why, and that mistake stays charged to its own question."""
    return earlier(obs, MODELS[key]["model"], "q4", lambda: _measured(obs, ctx, key))


def _measured(obs, ctx, key: str) -> dict:
    spec = MODELS[key]
    require_model(obs, spec["model"], f"create_{key}_model")
    candidates = [spec["test"], "X_test", "x_test"]
    try:
        got = obs.memo(("own", key), lambda: obs.run(predictions.on_own_test, spec["model"], candidates,
                                                     timeout=120))
    except CheckFailed as e:
        if e.status is Status.ERROR:
            raise CheckFailed(Message(f"Impossible de recalculer la précision de `{spec['model']}` sur le jeu de test.",
                                      f"Cannot recompute the accuracy of `{spec['model']}` on the test set."),
                              Status.ERROR, e.details) from e
        raise
    if got["source"] is not None:
        true = as_array(got["true"], "`y_test_cat`").astype(np.int64)
        pred = as_array(got["pred"], "predictions").astype(np.int64)
        return {"params": got["params"], "accuracy": float(np.mean(true == pred)), "n": len(true),
                "source": f"`{got['source']}`"}
    return {"params": got["params"], **obs.memo(("served", key), lambda: _served_accuracy(obs, ctx, key))}


def _served_accuracy(obs, ctx, key: str) -> dict:
    """No test images in the notebook: the served MNIST test set, scaled like the model's training array."""
    spec = MODELS[key]
    _, (x_test, y_test) = load_dataset(DATASET)
    served = int(training_budget(ctx).get("serve_test") or len(x_test))
    images, labels = x_test[:served], y_test[:served].astype(np.int64)
    scale, offset = scaling(obs, key)
    scaled = (images.astype(np.float64) * scale + offset).astype(np.float32).reshape((len(images), *spec["shape"]))
    return {"accuracy": holdout.accuracy(obs, spec["model"], scaled, labels), "n": len(labels),
            "source": "les images de test de MNIST"}


@checks("q5", public=True, weight=0.5, fr="`comparison` : {\"cnn\": {...}, \"rnn\": {...}}, chacun avec \"accuracy\", "
        "\"train_time_s\" et \"params\".", en="`comparison`: {\"cnn\": {...}, \"rnn\": {...}}, each with "
        "\"accuracy\", \"train_time_s\" and \"params\".")
def check_comparison_structure(obs, ctx):
    info = _comparison(obs)
    missing = [k for k in ("cnn", "rnn") if repr(k) not in info["keys"]]
    if missing:
        raise fail(f"Clés de `comparison` : {', '.join(info['keys']) or 'aucune'} ; attendu \"cnn\" et \"rnn\" "
                   f"(il manque {', '.join(repr(k) for k in missing)}).",
                   f"Keys of `comparison`: {', '.join(info['keys'])}; expected \"cnn\" and \"rnn\".")
    for key in ("cnn", "rnn"):
        row = _row(info, key)
        absent = [f for f in FIELDS if f not in row]
        if absent:
            raise fail(f"`comparison[\"{key}\"]` a les clés {', '.join(row['keys']) or 'aucune'} ; il manque "
                       f"{', '.join(repr(f) for f in absent)}.",
                       f"`comparison[\"{key}\"]` has the keys {', '.join(row['keys']) or 'none'}; missing "
                       f"{', '.join(repr(f) for f in absent)}.")


@checks("q5", weight=1, requires=("check_comparison_structure",),
        fr="`accuracy` : la précision de chaque modèle sur le jeu de test (à 0,01 près).",
        en="`accuracy`: each model's accuracy on the test set (within 0.01).")
def check_comparison_accuracy(obs, ctx):
    info = _comparison(obs)
    found = {key: _number(info, key, "accuracy")[0] for key in ("cnn", "rnn")}
    own = {key: _own(obs, ctx, key) for key in ("cnn", "rnn")}
    for key, other in (("cnn", "rnn"), ("rnn", "cnn")):
        value, truth = found[key], own[key]["accuracy"]
        if abs(value - truth) <= TOLERANCE:
            continue
        hint = NO_HINT
        if 1 < value <= 100 and abs(value / 100 - truth) <= TOLERANCE:
            hint = Message(" C'est un pourcentage : donnez une fraction entre 0 et 1.",
                           " This is a percentage: give a fraction between 0 and 1.")
        elif abs(value - own[other]["accuracy"]) <= TOLERANCE < abs(own[other]["accuracy"] - truth):
            hint = Message(f" C'est la précision de `{MODELS[other]['model']}` : les deux lignes sont-elles inversées ?",
                           f" This is the accuracy of `{MODELS[other]['model']}`: are the two rows swapped?")
        raise fail(f"`comparison[\"{key}\"][\"accuracy\"]` vaut {value:.4f} ; `{MODELS[key]['model']}` a une "
                   f"précision de {truth:.4f} sur {own[key]['source']} ({group(own[key]['n'])} images). Calculez-la "
                   f"avec le modèle entraîné, par ex. `{MODELS[key]['model']}.evaluate({MODELS[key]['test']}, "
                   f"y_test_cat)[1]`.{hint.fr}",
                   f"`comparison[\"{key}\"][\"accuracy\"]` is {value:.4f}; `{MODELS[key]['model']}` has an "
                   f"accuracy of {truth:.4f} on {own[key]['source']} ({own[key]['n']:,} images). Compute it with the "
                   f"trained model, e.g. `{MODELS[key]['model']}.evaluate({MODELS[key]['test']}, "
                   f"y_test_cat)[1]`.{hint.en}")
    return Message("Précisions : " + ", ".join(f"{MODELS[k]['label']} {own[k]['accuracy']:.4f}" for k in own)
                   + " sur le jeu de test, comme dans `comparison`.",
                   "Accuracies match the models on the test set.")


@checks("q5", public=True, weight=0.5, requires=("check_comparison_structure",),
        fr="`train_time_s` : une durée en secondes, positive.", en="`train_time_s`: a positive duration in seconds.")
def check_comparison_train_time(obs, ctx):
    info = _comparison(obs)
    for key in ("cnn", "rnn"):
        value, _ = _number(info, key, "train_time_s")
        if not math.isfinite(value) or value <= 0:
            raise fail(f"`comparison[\"{key}\"][\"train_time_s\"]` vaut {value:.4g} ; attendu la durée (positive) "
                       "de l'entraînement en secondes : `start = time.time()` avant `fit`, `time.time() - start` "
                       "après.", f"`comparison[\"{key}\"][\"train_time_s\"]` is {value:.4g}; expected the (positive) training "
                                 "time in seconds: `start = time.time()` before `fit`, `time.time() - start` after.")


@checks("q5", public=True, weight=1, requires=("check_comparison_structure",),
        fr="`params` : exactement `count_params()` de chaque modèle.",
        en="`params`: exactly each model's `count_params()`.")
def check_comparison_params(obs, ctx):
    info = _comparison(obs)
    for key in ("cnn", "rnn"):
        value, _ = _number(info, key, "params")
        truth = int(_own_params(obs, key))
        if value == truth:
            continue
        hint = NO_HINT
        if value == _own_params(obs, "rnn" if key == "cnn" else "cnn"):
            hint = Message(" C'est le nombre de paramètres de l'autre modèle.",
                           " This is the other model's parameter count.")
        elif value < truth:
            hint = Message(" Comptez tous les paramètres, y compris les non entraînables : `count_params()`.",
                           " Count all the parameters, non-trainable ones included: `count_params()`.")
        shown = group(int(value)) if float(value).is_integer() else f"{value:g}"
        shown_en = f"{int(value):,}" if float(value).is_integer() else f"{value:g}"
        raise fail(f"`comparison[\"{key}\"][\"params\"]` vaut {shown} ; `{MODELS[key]['model']}.count_params()` "
                   f"vaut {group(truth)}.{hint.fr}",
                   f"`comparison[\"{key}\"][\"params\"]` is {shown_en}; `{MODELS[key]['model']}.count_params()` "
                   f"is {truth:,}.{hint.en}")


def _own_params(obs, key: str) -> int:
    spec = MODELS[key]

    def count() -> int:
        require_model(obs, spec["model"], f"create_{key}_model")
        return int(obs.memo(("params", key), lambda: obs.run(model.count_params, spec["model"])))

    return earlier(obs, spec["model"], "q4", count)
