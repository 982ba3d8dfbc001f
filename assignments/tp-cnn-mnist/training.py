"""Q4: the trained `model` on MNIST test images it never received (labels stay in the judge)."""

from __future__ import annotations

import numpy as np

from grader import datasets
from grader.budget import group
from grader.judge.checks import CheckFailed, fail
from grader.judge.expect import as_array
from grader.judge.keras import training_budget
from grader.judge.keras import training_words as _training_words
from grader.model import Message, Status

from .common import DEFAULT_THRESHOLD, checks
from .data import as_student_scaled

_PREDICT_PROBE = """
import numpy as np
pred = ns["model"].predict(images, verbose=0, batch_size=500)
result = np.asarray(pred)
"""



def _hidden(ctx) -> tuple[np.ndarray, np.ndarray]:
    """MNIST test images that `load_data()` did not serve (all of them when it served the full set)."""
    budget = training_budget(ctx)
    _, (x_test, y_test) = datasets.load("mnist")
    served = int(budget.get("serve_test") or 0)
    pool = np.arange(served, len(x_test)) if 0 < served < len(x_test) else np.arange(len(x_test))
    n = min(len(pool), int(budget.get("holdout") or 2000))
    idx = np.sort(ctx.rng("holdout").choice(pool, size=n, replace=False))
    return x_test[idx], y_test[idx].astype(np.int64)


def holdout_accuracy(obs, ctx) -> float:
    """Accuracy of the student's `model` on hidden images (also what `grader calibrate` measures)."""
    images, labels = _hidden(ctx)
    if not obs.has("model"):
        raise CheckFailed(Message("`model` n'est pas défini.", "`model` is not defined."), Status.MISSING)
    try:
        pred = as_array(obs.probe(_PREDICT_PROBE, images=as_student_scaled(obs, images), timeout=120),
                        "`model.predict(...)`")
    except CheckFailed as e:
        if e.status is Status.ERROR:
            raise CheckFailed(Message("`model.predict` a levé une erreur sur des images (n, 28, 28, 1).",
                                      "`model.predict` raised an error on (n, 28, 28, 1) images."),
                              Status.ERROR, e.details) from e
        raise
    if pred.ndim != 2 or pred.shape != (len(images), 10):
        raise fail(f"`model.predict` renvoie la forme {pred.shape} ; attendu ({len(images)}, 10), une probabilité "
                   "par chiffre.", f"`model.predict` returns shape {pred.shape}; expected ({len(images)}, 10).")
    return float(np.mean(np.argmax(pred, axis=1) == labels))




@checks("q4", fr="`model` entraîné reconnaît des chiffres qu'il n'a jamais vus.",
        en="The trained `model` recognises digits it has never seen.")
def check_model_accuracy_on_hidden_images(obs, ctx):
    budget = ctx.option("budget", {})
    threshold = float(dict(budget.get("thresholds", {})).get("q4", DEFAULT_THRESHOLD))
    n = len(_hidden(ctx)[1])
    acc = holdout_accuracy(obs, ctx)
    origin = dict(budget.get("origins", {})).get("q4", "par défaut")
    words = _training_words(obs, ctx)
    if acc < threshold:
        raise fail(f"Précision de `model` sur {group(n)} images cachées : {acc:.3f} ; attendu au moins "
                   f"{threshold:.3f} (seuil {origin}{words}). Vérifiez que `model` est bien celui que vous avez "
                   "entraîné (pas reconstruit après `fit`), avec les bonnes étiquettes.",
                   f"Accuracy of `model` on {n} hidden images: {acc:.3f}; expected at least {threshold:.3f}. "
                   "Check that `model` is the trained one, fitted on the right labels.")
    return Message(f"Précision sur {group(n)} images cachées : {acc:.3f} (seuil {threshold:.3f}, {origin}{words}).",
                   f"Accuracy on {n} hidden images: {acc:.3f} (threshold {threshold:.3f}).")
