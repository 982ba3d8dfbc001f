"""q4: `Softmax`, the cross-entropies, and a 2-layer net that classifies the 8 x 8 digits."""

from __future__ import annotations

import numpy as np

from grader.checks import CheckFailed, Message, Status

from . import probes
from .common import _close, _digits, _floats, _need, _run, _shape, _softmax, checks
from .fd import _central, _expect_gradient, _input_gradient, _perturbed
from .learning import learning_verdict

DIGITS_MIN_ACCURACY = 0.90  # the reference reaches 0.96-0.97 on the judge's split


@checks("q4", fr="`Softmax` : valeurs (lignes de somme 1) et `backward_delta` (différences finies).",
        en="`Softmax`: values (rows sum to 1) and `backward_delta` (finite differences).")
def check_softmax(obs, ctx):
    _need(obs, "Softmax")
    rng = ctx.rng("softmax")
    X, delta = rng.uniform(-4, 4, size=(5, 4)), rng.normal(size=(5, 4))
    out, outputs, dx = _run(obs, probes.input_gradient, name="Softmax", X=X, delta=delta, Xp=_perturbed(X))
    out = _floats(out)
    _shape(out, X.shape, "Softmax.forward", "sur des scores de forme (5, 4)", "on scores of shape (5, 4)")
    _close(out, _softmax(X), "Softmax.forward", "Attendu exp(x) / somme des exp(x), ligne par ligne.",
           "Expected exp(x) / sum of exp(x), row by row.")
    err = _expect_gradient(dx, _input_gradient(outputs, delta, X.shape, "Softmax"), "Softmax.backward_delta",
                           "le gradient par rapport à l'entrée", "the gradient with respect to the input",
                           "La jacobienne de la softmax n'est pas diagonale : s * (delta - somme(delta * s)).",
                           "The softmax Jacobian is not diagonal: s * (delta - sum(delta * s)).")
    return Message(f"Erreur relative de `backward_delta` : {err:.1e}.", f"`backward_delta` relative error: {err:.1e}.")


def _cross_entropies(obs) -> list[str]:
    present = [name for name in ("CELoss", "CELogSoftmax") if obs.has(name)]
    if not present:
        raise CheckFailed(Message("Ni `CELoss` ni `CELogSoftmax` n'est défini : écrivez au moins l'une des deux.",
                                  "Neither `CELoss` nor `CELogSoftmax` is defined: write at least one."),
                          Status.MISSING)
    return present


@checks("q4", fr="Entropie croisée (`CELoss` et/ou `CELogSoftmax`) : valeurs et gradient (différences finies).",
        en="Cross-entropy (`CELoss` and/or `CELogSoftmax`): values and gradient (finite differences).")
def check_cross_entropy(obs, ctx):
    rng = ctx.rng("cross-entropy")
    y = np.eye(4)[rng.integers(0, 4, 5)]
    notes_fr, notes_en = [], []
    for name in _cross_entropies(obs):
        scores = rng.uniform(-1, 1, size=(5, 4))  # probabilities >= 0.05: central differences of log stay exact
        yhat = _softmax(scores) if name == "CELoss" else 3 * scores
        values, grad, perturbed = _run(obs, probes.cross_entropy, name=name, y=y, yhat=yhat,
                                       y_rep=np.repeat(y, 8, axis=0), yhat_pert=_perturbed(yhat))
        values, perturbed = _floats(values), _floats(perturbed)
        if name == "CELoss":
            expected, text = -np.sum(y * np.log(yhat), axis=1), ("-Σ y log(yhat) (sur des probabilités)",
                                                                 "-Σ y log(yhat) (on probabilities)")
        else:
            top = yhat.max(axis=1)
            expected = top + np.log(np.exp(yhat - top[:, None]).sum(axis=1)) - np.sum(y * yhat, axis=1)
            text = ("log Σ exp(yhat) - Σ y·yhat (sur des scores bruts)", "log Σ exp(yhat) - Σ y·yhat (on raw scores)")
        _shape(values, (5,), f"{name}.forward", "sur des étiquettes one-hot de forme (5, 4)",
               "on one-hot labels of shape (5, 4)", "Une perte par exemple.", "One loss per example.")
        _close(values, expected, f"{name}.forward", f"Attendu {text[0]} pour chaque exemple.",
               f"Expected {text[1]} for each example.")
        _shape(perturbed, (40,), f"{name}.forward", "sur un lot de 40 exemples", "on a batch of 40 examples")
        err = _expect_gradient(grad, _central(perturbed, yhat.shape), f"{name}.backward",
                               "le gradient par rapport à yhat", "the gradient with respect to yhat")
        notes_fr.append(f"`{name}` : erreur relative {err:.1e}")
        notes_en.append(f"`{name}`: relative error {err:.1e}")
    return Message(" ; ".join(notes_fr) + ".", "; ".join(notes_en) + ".")


@checks("q4", weight=1.5, requires=("check_cross_entropy",),
        fr=f"Un réseau à 2 couches classe les chiffres 8 x 8 (précision ≥ {DIGITS_MIN_ACCURACY} sur des chiffres "
        "cachés).", en=f"A 2-layer net classifies the 8 x 8 digits (accuracy ≥ {DIGITS_MIN_ACCURACY} on hidden digits).")
def check_digits_two_layer_net(obs, ctx):
    present = _cross_entropies(obs)
    softmax = "CELoss" in present and obs.has("Softmax")
    loss_name = "CELoss" if softmax else "CELogSoftmax"
    if loss_name not in present:
        _need(obs, "Softmax")
    X, y = _digits()
    order = ctx.rng("digits").permutation(len(X))
    train_idx, test_idx = order[:1200], order[1200:]
    seed = int(ctx.rng("digits-init").integers(0, 2**31 - 1))
    head = "Softmax et CELoss" if softmax else "CELogSoftmax"
    net = ("Sequentiel(Linear(64, 32), TanH(), Linear(32, 10)" + (", Softmax())" if softmax else ")")
           + f" + {loss_name}, SGD 15 époques")

    def accuracy(swap: tuple[str, ...]) -> float:
        scores = _floats(_run(obs, probes.digits_fit, timeout=90, swap=list(swap), softmax=softmax, loss_name=loss_name,
                              seed=seed, X=X[train_idx], Y=np.eye(10)[y[train_idx]], X_test=X[test_idx]))
        _shape(scores, (len(test_idx), 10), "Sequentiel.forward", f"sur {len(test_idx)} chiffres",
               f"on {len(test_idx)} digits")
        return float(np.mean(scores.argmax(axis=1) == y[test_idx]))

    def short(own: float | None, fixed: float | None) -> Message:
        acc = fixed if fixed is not None else (own or 0.0)
        return Message(f"{net} : précision {acc:.3f} sur {len(test_idx)} chiffres cachés ; attendu au moins "
                       f"{DIGITS_MIN_ACCURACY}. Vérifiez la softmax et l'entropie croisée (étiquettes one-hot).",
                       f"{net}: accuracy {acc:.3f} on {len(test_idx)} hidden digits; expected at least "
                       f"{DIGITS_MIN_ACCURACY}. Check the softmax and the cross-entropy (one-hot labels).")

    return learning_verdict(
        obs, ctx, accuracy, lambda a: a >= DIGITS_MIN_ACCURACY, ("Linear", "TanH", "Sequentiel", "Optim", "SGD"),
        ("Linear", "TanH", "Sequentiel", "SGD"), fmt=".3f", short=short,
        alone=lambda own: Message(f"{net} : précision {own:.3f} sur {len(test_idx)} chiffres cachés.",
                                  f"{net}: accuracy {own:.3f} on {len(test_idx)} hidden digits."),
        helped=lambda shown, fixed, _: Message(
            f"Avec toute votre bibliothèque, précision {shown} ; avec des couches et une SGD correctes, votre {head} "
            f"{'atteignent' if softmax else 'atteint'} {fixed:.3f}", f"With your whole library, accuracy {shown}; "
            f"with correct layers and SGD, your {head} reaches {fixed:.3f}"))
