"""Checks of tp-gradient: the judge picks data and parameters, the runner only ever sees inputs."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import make_classification

from grader.checks import (
    NO_HINT,
    AsTensor,
    CheckFailed,
    Message,
    Registry,
    as_array,
    as_number,
    as_tuple,
    expect_close,
    expect_finite,
    fail,
)

from . import probes

checks = Registry()
TAPE = "tensorflow:GradientTape.gradient"


def _expit(z: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -z))


def _scalar_param(value, label: str) -> float:
    arr = as_array(value, label)
    if arr.size != 1:
        raise fail(f"{label} devrait contenir une seule valeur ; forme trouvée {arr.shape}.",
                   f"{label} should hold a single value; found shape {arr.shape}.")
    return float(arr.reshape(()))


# -- q1 ----------------------------------------------------------------------
@checks("q1", fr="`fit_linear` retrouve la pente et l'ordonnée de deux droites cachées.",
        en="`fit_linear` recovers slope and intercept of two hidden lines.")
def check_fit_linear_recovers_line(obs, ctx):
    rng = ctx.rng("fit_linear")
    for slope, intercept in ((2.0, 1.0), (round(rng.uniform(-3, -1), 2), round(rng.uniform(-1, 1), 2))):
        X = rng.normal(size=(200, 1)).astype(np.float32)
        y = (slope * X + intercept + 0.1 * rng.normal(size=(200, 1))).astype(np.float32)
        w, b = as_tuple(obs.call("fit_linear", X, y), "`fit_linear(X, y)`", 2)
        w, b = _scalar_param(w, "`w`"), _scalar_param(b, "`b`")
        if not (abs(w - slope) < 0.15 and abs(b - intercept) < 0.15):
            raise fail(f"Sur y = {slope}x + {intercept} + bruit, `fit_linear` renvoie w = {w:.3f}, b = {b:.3f} ; "
                       f"attendu w ≈ {slope}, b ≈ {intercept}. Vérifiez la perte (MSE), le signe de la mise à "
                       "jour (assign_sub) et que w et b sont des tf.Variable suivies par la bande.",
                       f"On y = {slope}x + {intercept} + noise, `fit_linear` returns w = {w:.3f}, b = {b:.3f}; "
                       f"expected w ≈ {slope}, b ≈ {intercept}. Check the MSE loss and the update's sign.")


@checks("q1", weight=0.5, requires=("check_fit_linear_recovers_line",),
        fr="`fit_linear` utilise tf.GradientTape.", en="`fit_linear` uses tf.GradientTape.")
def check_fit_linear_uses_gradient_tape(obs, ctx):
    X = np.linspace(-1, 1, 20, dtype=np.float32).reshape(-1, 1)
    _, spied = obs.call_spied("fit_linear", X, 3 * X, spy=(TAPE,))
    if spied.get(TAPE, 0) < 1:
        raise fail("`fit_linear` n'appelle jamais `tape.gradient` : les gradients doivent venir de tf.GradientTape.",
                   "`fit_linear` never calls `tape.gradient`: gradients must come from tf.GradientTape.")


# -- q2 ----------------------------------------------------------------------
@checks("q2", fr="`sigmoid` vaut 1 / (1 + exp(-z)) et reste finie pour |z| grand.",
        en="`sigmoid` equals 1 / (1 + exp(-z)) and stays finite for large |z|.")
def check_sigmoid_values_and_stability(obs, ctx):
    z = np.concatenate([np.linspace(-8, 8, 33), [-1000.0, -100.0, 100.0, 1000.0]]).astype(np.float32).reshape(-1, 1)
    out = as_array(obs.call("sigmoid", AsTensor(z)), "`sigmoid(z)`")
    expect_finite(out, Message("`sigmoid(z)` pour |z| jusqu'à 1000", "`sigmoid(z)` for |z| up to 1000"))
    expect_close(out, _expit(z.astype(np.float64)), "`sigmoid(z)`", rtol=1e-4, atol=1e-6,
                 hint="La forme doit être conservée, calcul élément par élément.",
                 hint_en="Shape must be preserved, element-wise.")


# -- q3 ----------------------------------------------------------------------
def _bce(y, p, eps=1e-7):
    p = np.clip(p, eps, 1 - eps)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


@checks("q3", weight=2, fr="`bce_loss` est la moyenne de l'entropie croisée binaire.",
        en="`bce_loss` is the mean binary cross-entropy.")
def check_bce_loss_value(obs, ctx):
    rng = ctx.rng("bce")
    y = rng.integers(0, 2, size=(50, 1)).astype(np.float32)
    p = rng.uniform(0.05, 0.95, size=(50, 1)).astype(np.float32)
    found = as_number(obs.call("bce_loss", AsTensor(y), AsTensor(p)), "`bce_loss(y_true, y_pred)`")
    expected = _bce(y.astype(np.float64), p.astype(np.float64))
    if not np.isclose(found, expected, rtol=1e-3, atol=1e-5):
        hint = (Message(" (c'est la somme : utilisez la moyenne)", " (this is the sum: use the mean)")
                if np.isclose(found, expected * len(y), rtol=1e-3) else NO_HINT)
        raise fail(f"`bce_loss` renvoie {found:.5g} ; attendu {expected:.5g}{hint.fr}. "
                   "Vérifiez le signe, log(1 - p) et la moyenne.",
                   f"`bce_loss` returns {found:.5g}; expected {expected:.5g}{hint.en}. Check the sign, log(1 - p) "
                   "and the mean.")


@checks("q3", fr="`bce_loss` reste finie quand y_pred vaut 0 ou 1.",
        en="`bce_loss` stays finite when y_pred is 0 or 1.")
def check_bce_loss_finite_at_bounds(obs, ctx):
    y = np.array([[1.0], [0.0], [1.0], [0.0]], dtype=np.float32)
    for p, worst in ((np.array([[0.0], [1.0], [1.0], [0.0]], np.float32), True),
                     (np.array([[1.0], [0.0], [1.0], [0.0]], np.float32), False)):
        found = as_number(obs.call("bce_loss", AsTensor(y), AsTensor(p)), "`bce_loss`")
        if not np.isfinite(found):
            raise fail(f"`bce_loss` vaut {found} quand y_pred contient 0 ou 1 : écrêtez y_pred avec "
                       "tf.clip_by_value(y_pred, 1e-7, 1 - 1e-7).",
                       f"`bce_loss` is {found} when y_pred holds 0 or 1: clip y_pred with tf.clip_by_value.")
        if worst and found < 1.0:
            raise fail(f"Des prédictions totalement fausses donnent une perte de {found:.4g} ; elle devrait être grande.",
                       f"Completely wrong predictions give a loss of {found:.4g}; it should be large.")
        if not worst and not (0 <= found < 1e-3):
            raise fail(f"Des prédictions parfaites donnent une perte de {found:.4g} ; attendu ≈ 0.",
                       f"Perfect predictions give a loss of {found:.4g}; expected ≈ 0.")


# -- q4 ----------------------------------------------------------------------
@checks("q4", weight=3, fr="`compute_gradients` donne le gradient de la BCE moyenne (X^T(p - y)/n, moyenne(p - y)).",
        en="`compute_gradients` gives the gradient of the mean BCE (X^T(p - y)/n, mean(p - y)).")
def check_compute_gradients_matches_analytic(obs, ctx):
    rng = ctx.rng("gradients")
    n, d = 64, 3
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = rng.integers(0, 2, size=(n, 1)).astype(np.float32)
    W = (0.5 * rng.normal(size=(d, 1))).astype(np.float32)
    b = np.array([0.3], dtype=np.float32)
    out = as_tuple(obs.call("compute_gradients", AsTensor(X), AsTensor(y), AsTensor(W, variable=True),
                            AsTensor(b, variable=True)), "`compute_gradients(X, y, W, b)`", 2)
    dW = as_array(out[0], "`dW`").astype(np.float64).reshape(-1)
    db = as_array(out[1], "`db`").astype(np.float64).reshape(-1)
    if dW.size != d or db.size != 1:
        raise fail(f"`dW` a {dW.size} valeurs et `db` {db.size} ; attendu {d} et 1 (formes (d, 1) et (1,)). "
                   "Un gradient None signifie que W ou b n'était pas suivi par la bande.",
                   f"`dW` has {dW.size} values and `db` {db.size}; expected {d} and 1 (shapes (d, 1) and (1,)). "
                   "A None gradient means W or b was not watched by the tape.")
    p = _expit(X.astype(np.float64) @ W + b)
    expected_dW = (X.T @ (p - y) / n).reshape(-1)
    expected_db = np.array([np.mean(p - y)])
    try:
        expect_close(dW, expected_dW, "`dW`", rtol=2e-3, atol=1e-5)
        expect_close(db, expected_db, "`db`", rtol=2e-3, atol=1e-5)
    except CheckFailed as analytic_failure:
        # A mistake in the student's own sigmoid/bce is charged to q2/q3, not again here.
        try:
            own = obs.run(probes.own_loss_gradients, X, y, W, b)
            own_dW, own_db = (as_array(v, "gradient").astype(np.float64).reshape(-1) for v in own)
            expect_close(dW, own_dW, "`dW`", rtol=5e-2, atol=1e-3)
            expect_close(db, own_db, "`db`", rtol=5e-2, atol=1e-3)
        except CheckFailed:
            raise analytic_failure from None
        return Message("Gradients cohérents avec vos propres `sigmoid` et `bce_loss` (leur erreur est comptée à "
                       "leurs questions).", "Gradients consistent with your own `sigmoid` and `bce_loss` (their mistakes are charged to their "
                                            "own questions).")


@checks("q4", weight=1, requires=("check_compute_gradients_matches_analytic",),
        fr="`compute_gradients` utilise tf.GradientTape.", en="`compute_gradients` uses tf.GradientTape.")
def check_compute_gradients_uses_tape(obs, ctx):
    X = np.ones((4, 2), np.float32)
    y = np.array([[1.0], [0.0], [1.0], [0.0]], np.float32)
    _, spied = obs.call_spied("compute_gradients", AsTensor(X), AsTensor(y),
                              AsTensor(np.zeros((2, 1), np.float32), variable=True),
                              AsTensor(np.zeros((1,), np.float32), variable=True), spy=(TAPE,))
    if spied.get(TAPE, 0) < 1:
        raise fail("`compute_gradients` n'appelle pas `tape.gradient` : calculez les gradients avec tf.GradientTape.",
                   "`compute_gradients` does not call `tape.gradient`: use tf.GradientTape.")


# -- q5 ----------------------------------------------------------------------
def _hidden_classification(ctx):
    seed = int(ctx.rng("train_logistic").integers(0, 2**31 - 1))
    X, y = make_classification(n_samples=400, n_features=2, n_redundant=0, n_informative=2,
                               n_clusters_per_class=1, random_state=seed)
    X, y = X.astype(np.float32), y.reshape(-1, 1).astype(np.float32)
    return X[:300], y[:300], X[300:], y[300:]


def _reference_accuracy(X, y, X_test, y_test, epochs=1000, lr=0.1) -> float:
    W, b = np.zeros((X.shape[1], 1)), 0.0
    for _ in range(epochs):
        p = _expit(X @ W + b)
        W -= lr * X.T @ (p - y) / len(y)
        b -= lr * float(np.mean(p - y))
    return float(np.mean((_expit(X_test @ W + b) > 0.5) == y_test))


@checks("q5", weight=3, fr="`train_logistic` classe des points cachés aussi bien que la référence.",
        en="`train_logistic` classifies hidden points as well as the reference.")
def check_train_logistic_accuracy(obs, ctx):
    X, y, X_test, y_test = _hidden_classification(ctx)
    out = as_tuple(obs.call("train_logistic", X, y, timeout=180), "`train_logistic(X, y)`", 3)
    W = as_array(out[0], "`W`").astype(np.float64).reshape(-1, 1)
    b = as_array(out[1], "`b`").astype(np.float64).reshape(-1)
    if W.shape[0] != 2 or b.size != 1:
        raise fail(f"`W` a {W.size} valeurs et `b` {b.size} ; attendu formes (2, 1) et (1,).",
                   f"`W` has {W.size} values and `b` {b.size}; expected shapes (2, 1) and (1,).")
    acc = float(np.mean((_expit(X_test @ W + b[0]) > 0.5) == y_test))
    ref = _reference_accuracy(X.astype(np.float64), y, X_test.astype(np.float64), y_test)
    threshold = ref - float(ctx.option("accuracy_margin", 0.05))
    if not acc >= threshold:
        raise fail(f"Précision sur des points cachés : {acc:.3f} ; attendu au moins {threshold:.3f} "
                   f"(référence {ref:.3f}). Vérifiez la mise à jour W -= lr * dW et le nombre d'époques.",
                   f"Accuracy on hidden points: {acc:.3f}; expected at least {threshold:.3f} (reference {ref:.3f}). "
                   "Check the update W -= lr * dW and the number of epochs.")
    return Message(f"Précision sur des points cachés : {acc:.3f} (référence {ref:.3f}).",
                   f"Accuracy on hidden points: {acc:.3f} (reference {ref:.3f}).")


@checks("q5", weight=1, fr="`losses` : une perte finie par époque, qui diminue.",
        en="`losses`: one finite loss per epoch, decreasing.")
def check_train_logistic_losses_decrease(obs, ctx):
    X, y, _, _ = _hidden_classification(ctx)
    out = as_tuple(obs.call("train_logistic", X, y, 50, 0.1, timeout=120), "`train_logistic(X, y, 50, 0.1)`", 3)
    losses = as_array(out[2], "`losses`").astype(np.float64).reshape(-1)
    expect_finite(losses, "`losses`")
    if losses.size != 50:
        raise fail(f"`losses` a {losses.size} valeurs pour 50 époques ; attendu une perte par époque.",
                   f"`losses` has {losses.size} values for 50 epochs; expected one per epoch.")
    if not losses[-1] < losses[0]:
        raise fail(f"La perte ne diminue pas : {losses[0]:.4f} → {losses[-1]:.4f}.",
                   f"The loss does not decrease: {losses[0]:.4f} → {losses[-1]:.4f}.")


# -- q6 ----------------------------------------------------------------------
@checks("q6", fr="`accuracy` est la précision de vos propres W, b sur vos données.",
        en="`accuracy` is the accuracy of your own W, b on your data.")
def check_accuracy_agrees_with_own_model(obs, ctx):
    acc = as_number(obs.value("accuracy"), "`accuracy`")
    if not 0 <= acc <= 1:
        raise fail(f"`accuracy` vaut {acc:.4g} ; une précision est entre 0 et 1.",
                   f"`accuracy` is {acc:.4g}; an accuracy lies between 0 and 1.")
    names = next(((xn, yn) for xn, yn in (("X", "y"), ("X_train", "y_train")) if obs.has(xn) and obs.has(yn)), None)
    if names is None or not (obs.has("W") and obs.has("b")):
        raise fail("Impossible de vérifier `accuracy` : gardez les noms `X`, `y` (données) et `W`, `b` (modèle "
                   "renvoyé par train_logistic) du notebook.",
                   "Cannot check `accuracy`: keep the notebook's names `X`, `y` (data) and `W`, `b` (model).")
    X = as_array(obs.value(names[0]), f"`{names[0]}`").astype(np.float64)
    y = as_array(obs.value(names[1]), f"`{names[1]}`").astype(np.float64).reshape(-1, 1)
    W = as_array(obs.value("W"), "`W`").astype(np.float64).reshape(-1, 1)
    b = as_array(obs.value("b"), "`b`").astype(np.float64).reshape(-1)
    if X.ndim != 2 or X.shape[1] != W.shape[0] or X.shape[0] != y.shape[0] or b.size != 1:
        raise fail(f"Formes incompatibles : X {X.shape}, y {y.shape}, W {W.shape}, b {b.shape}.",
                   f"Incompatible shapes: X {X.shape}, y {y.shape}, W {W.shape}, b {b.shape}.")
    own = float(np.mean((_expit(X @ W + b[0]) > 0.5) == y))
    if abs(acc - own) > max(0.01, 1.5 / len(y)):
        raise fail(f"`accuracy` vaut {acc:.4f} mais vos W, b donnent {own:.4f} sur X, y (seuil 0,5).",
                   f"`accuracy` is {acc:.4f} but your W, b give {own:.4f} on X, y (threshold 0.5).")
