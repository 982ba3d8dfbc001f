"""Q3: `compile_for_finetuning(model)`: Adam at 1e-5, binary cross-entropy, accuracy.

The judge's own reference model (built in the runner by trusted code, random weights) is compiled
by the student's function, so a Q1 mistake costs nothing here. The optimizer is read back from the
model (class, learning rate as Keras stores it: float32, so 1e-5 reads 9.99999975e-06). The loss
and the metrics are judged by their effect, whatever the spelling (a string, a function, a class):
the compiled model computes its loss and metrics on labels and probabilities the judge picked, and
the judge compares them with the binary cross-entropy and the binary accuracy computed here.
"""

from __future__ import annotations

import numpy as np

from grader.checks import NO_HINT, CheckFailed, Message, Status, built, fail

from . import probes
from .common import LEARNING_RATE, SMALL, checks

#: labels and predicted probabilities: binary accuracy 5/8, exact-match accuracy 0, "categorical"
#: accuracy on one column 3/8, precision 3/4, recall 3/5, AUC 13/15; none of them coincide
Y_TRUE = np.array([1, 1, 1, 1, 1, 0, 0, 0], dtype=np.float32).reshape(-1, 1)
Y_PRED = np.array([0.9, 0.8, 0.7, 0.4, 0.3, 0.2, 0.1, 0.6], dtype=np.float32).reshape(-1, 1)
BINARY_ACCURACY = 0.625

def _compiled(obs) -> dict:
    return built(obs, "compile_for_finetuning", probes.finetuning, list(SMALL), Y_TRUE, Y_PRED)


def expected_loss() -> float:
    """Mean binary cross-entropy of `Y_PRED` (no clipping: the probabilities are inside [0.1, 0.9])."""
    y, p = Y_TRUE.astype(np.float64), Y_PRED.astype(np.float64)
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


@checks("q3", weight=0.5, fr="`compile_for_finetuning(model)` compile le modèle.",
        en="`compile_for_finetuning(model)` compiles the model.")
def check_model_is_compiled(obs, ctx):
    if not _compiled(obs)["compiled"]:
        raise fail("Après `compile_for_finetuning(model)`, le modèle n'est pas compilé : appelez "
                   "`model.compile(optimizer=..., loss=..., metrics=[...])` sur le modèle reçu.",
                   "After `compile_for_finetuning(model)`, the model is not compiled: call "
                   "`model.compile(optimizer=..., loss=..., metrics=[...])` on the model received.")


@checks("q3", weight=1, requires=("check_model_is_compiled",), fr="Optimiseur Adam.", en="Adam optimizer.")
def check_optimizer_is_adam(obs, ctx):
    opt = _compiled(obs)["optimizer"]
    if opt["type"] == "Adam":
        return
    if "Adam" in opt["mro"]:
        raise fail(f"L'optimiseur est {opt['type']} ; le TP demande `keras.optimizers.Adam` (sans décroissance des "
                   "poids).", f"The optimizer is {opt['type']}; expected `keras.optimizers.Adam`.")
    raise fail(f"L'optimiseur est {opt['type']} ; attendu `keras.optimizers.Adam(learning_rate=1e-5)`.",
               f"The optimizer is {opt['type']}; expected `keras.optimizers.Adam(learning_rate=1e-5)`.")


@checks("q3", weight=1, requires=("check_model_is_compiled",), fr="Taux d'apprentissage 1e-5.",
        en="Learning rate 1e-5.")
def check_learning_rate_is_1e_5(obs, ctx):
    opt = _compiled(obs)["optimizer"]
    lr = opt.get("learning_rate")
    if lr is None:
        raise CheckFailed(Message("Impossible de lire le taux d'apprentissage de l'optimiseur.",
                                  "Cannot read the optimizer's learning rate."), Status.ERROR, opt.get("lr_error", ""))
    if abs(lr - LEARNING_RATE) <= 1e-6 * LEARNING_RATE + 1e-12:
        return
    hint = (Message(" C'est la valeur par défaut d'Adam : avec `optimizer=\"adam\"` on ne choisit pas le taux ; "
                    "écrivez `keras.optimizers.Adam(learning_rate=1e-5)`.",
                    " This is Adam's default: `optimizer=\"adam\"` does not choose the rate; write "
                    "`keras.optimizers.Adam(learning_rate=1e-5)`.") if abs(lr - 1e-3) < 1e-9 else
            Message(" Le réglage fin se fait avec un taux bien plus petit que l'entraînement de la tête seule.",
                    " Fine-tuning uses a much smaller rate than training the head alone."))
    raise fail(f"Le taux d'apprentissage est {lr:.3g} ; attendu 1e-5.{hint.fr}",
               f"The learning rate is {lr:.3g}; expected 1e-5.{hint.en}")


@checks("q3", weight=1, requires=("check_model_is_compiled",),
        fr="Perte : entropie croisée binaire sur des probabilités.", en="Loss: binary cross-entropy on probabilities.")
def check_loss_is_binary_crossentropy(obs, ctx):
    compiled = _compiled(obs)
    if "loss" not in compiled:
        raise fail(f"Le modèle compilé ne sait pas calculer sa perte sur des étiquettes 0/1 de forme (n, 1) "
                   f"(perte : {compiled.get('loss_config', '?')}) ; attendu `loss=\"binary_crossentropy\"`.",
                   "The compiled model cannot compute its loss on 0/1 labels: expected binary_crossentropy.",
                   details=str(compiled.get("loss_error", "")))
    found, expected = compiled["loss"], expected_loss()
    if abs(found - expected) <= 1e-4 * expected:
        return
    y, p = Y_TRUE.astype(np.float64), Y_PRED.astype(np.float64)
    logits = np.mean(np.maximum(p, 0) - p * y + np.log1p(np.exp(-np.abs(p))))
    hint = (Message(" C'est l'entropie croisée sur des *logits* (`from_logits=True`) : la sortie du modèle est une "
                    "sigmoïde, gardez `from_logits=False`.",
                    " This is the cross-entropy on *logits* (`from_logits=True`): the model's output is a sigmoid, "
                    "keep `from_logits=False`.") if abs(found - logits) <= 1e-4 * logits else NO_HINT)
    raise fail(f"Sur 8 exemples choisis par le correcteur, la perte du modèle vaut {found:.4f} ; l'entropie croisée "
               f"binaire vaut {expected:.4f} (perte compilée : {compiled.get('loss_config', '?')}).{hint.fr} Attendu "
               "`loss=\"binary_crossentropy\"`.",
               f"On 8 examples chosen by the grader, the model's loss is {found:.4f}; the binary cross-entropy is "
               f"{expected:.4f} (compiled loss: {compiled.get('loss_config', '?')}).{hint.en} Expected "
               "`loss=\"binary_crossentropy\"`.")


@checks("q3", weight=1, requires=("check_model_is_compiled",), fr="Métrique `accuracy`.", en="`accuracy` metric.")
def check_metric_is_accuracy(obs, ctx):
    compiled = _compiled(obs)
    metrics = {k: v for k, v in dict(compiled.get("metrics") or {}).items() if k != "loss"}
    if any(abs(v - BINARY_ACCURACY) < 1e-6 for v in metrics.values()):
        return
    shown = ", ".join(f"{k} = {v:.3f}" for k, v in metrics.items()) or "aucune"
    raise fail(f"Sur 8 exemples dont 5 bien classés au seuil 0.5, les métriques du modèle donnent : {shown} ; "
               f"attendu une précision (`accuracy`) de {BINARY_ACCURACY}. Passez `metrics=[\"accuracy\"]`.",
               f"On 8 examples, 5 correct at threshold 0.5, the model's metrics give {shown}; expected an accuracy "
               f"of {BINARY_ACCURACY}: pass `metrics=[\"accuracy\"]`.",
               details=str(compiled.get("metrics_error", "")))
