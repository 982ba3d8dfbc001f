"""q1: the squared loss `MSELoss` and the affine module `Linear`.

`Linear`'s parameters are observed through behaviour: its forward on 0 and on the unit rows
gives W and b, and a `zero_grad`, `backward_update_gradient`, `update_parameters` sequence
reveals the gradient it stored.
"""

from __future__ import annotations

import numpy as np

from grader.checks import Message, fail, relative_error

from . import probes
from .common import _close, _floats, _need, _run, _shape, checks
from .fd import GRAD_TOL, _central, _expect_gradient, _input_gradient, _perturbed


@checks("q1", fr="`MSELoss.forward` : une perte par exemple, ||y - yhat||².",
        en="`MSELoss.forward`: one loss per example, ||y - yhat||².")
def check_mse_loss_forward(obs, ctx):
    _need(obs, "MSELoss")
    rng = ctx.rng("mse")
    y, yhat = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    found = _floats(_run(obs, probes.mse_forward, y=y, yhat=yhat))
    _shape(found, (6,), "MSELoss.forward", "sur y, yhat de forme (6, 3)", "on y, yhat of shape (6, 3)",
           "Renvoyez la perte de chaque exemple : np.sum((y - yhat) ** 2, axis=1).",
           "Return each example's loss: np.sum((y - yhat) ** 2, axis=1).")
    squares = (y - yhat) ** 2
    if np.allclose(found, squares.mean(axis=1), rtol=1e-4, atol=1e-5):
        return Message("Perte par exemple : moyenne des carrés sur les sorties (acceptée).",
                       "Per-example loss: mean of squares over outputs (accepted).")
    _close(found, squares.sum(axis=1), "MSELoss.forward(y, yhat)", "Attendu ||y - yhat||² pour chaque exemple.",
           "Expected ||y - yhat||² for each example.")


@checks("q1", fr="`MSELoss.backward` : gradient de la somme des pertes (différences finies).",
        en="`MSELoss.backward`: gradient of the summed losses (finite differences).")
def check_mse_loss_backward(obs, ctx):
    _need(obs, "MSELoss")
    rng = ctx.rng("mse-backward")
    y, yhat = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    grad, values = _run(obs, probes.mse_backward, y=y, yhat=yhat, y_rep=np.repeat(y, 2 * yhat.shape[1], axis=0),
                        yhat_pert=_perturbed(yhat))
    values = _floats(values)
    _shape(values, (30,), "MSELoss.forward", "sur un lot de 30 exemples", "on a batch of 30 examples",
           "Une perte par exemple, forme (batch,).", "One loss per example, shape (batch,).")
    expected = _central(values, yhat.shape)
    grad = _floats(grad)
    hint = ("", "")
    if grad.shape == expected.shape and relative_error(grad * len(y), expected) <= GRAD_TOL:
        hint = ("Vous renvoyez le gradient de la moyenne ; la convention est celle de la somme.",
                "You return the gradient of the mean; the convention is the gradient of the sum.")
    err = _expect_gradient(grad, expected, "MSELoss.backward", "le gradient par rapport à yhat",
                           "the gradient with respect to yhat", *hint)
    return Message(f"Erreur relative {err:.1e} par rapport aux différences finies de votre `forward`.",
                   f"Relative error {err:.1e} against finite differences of your `forward`.")


@checks("q1", fr="`Linear(4, 3).forward` est affine : X @ W + b.", en="`Linear(4, 3).forward` is affine: X @ W + b.")
def check_linear_forward_is_affine(obs, ctx):
    _need(obs, "Linear")
    X = ctx.rng("linear-forward").normal(size=(5, 4))
    W, b, out = _run(obs, probes.linear_forward, X=X)
    out = _floats(out)
    _shape(out, (5, 3), "Linear.forward", "sur un lot de forme (5, 4) pour `Linear(4, 3)`",
           "on a batch of shape (5, 4) for `Linear(4, 3)`")
    _close(out, X @ _floats(W) + _floats(b), "Linear.forward",
           "La sortie doit être une fonction affine de X : X @ W + b, ligne par ligne.",
           "The output must be an affine function of X: X @ W + b, row by row.")


@checks("q1", weight=1.5, requires=("check_linear_forward_is_affine",),
        fr="`Linear.backward_delta` : gradient par rapport à l'entrée (différences finies).",
        en="`Linear.backward_delta`: gradient with respect to the input (finite differences).")
def check_linear_backward_delta(obs, ctx):
    rng = ctx.rng("linear-delta")
    X, delta = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    outputs, dx = _run(obs, probes.linear_backward_delta, X=X, delta=delta, Xp=_perturbed(X))
    expected = _input_gradient(outputs, delta, X.shape, "Linear")
    err = _expect_gradient(dx, expected, "Linear.backward_delta", "le gradient par rapport à l'entrée",
                           "the gradient with respect to the input", "Attendu delta @ W.T.", "Expected delta @ W.T.")
    return Message(f"Erreur relative {err:.1e}.", f"Relative error {err:.1e}.")


_Step = tuple[list[tuple[np.ndarray, np.ndarray]], float, bool]


def _linear_steps(obs, *steps: _Step) -> list[np.ndarray]:
    """Parameter changes (W and b stacked) of a fresh Linear(4, 3) for each step: its (input, delta)
    pairs, its gradient step, and whether `zero_grad` comes between the pairs (`probes.linear_moved`)."""
    out = _run(obs, probes.linear_steps, list(steps))
    changes = []
    for W0, b0, W1, b1 in out:
        W0, b0, W1, b1 = map(_floats, (W0, b0, W1, b1))
        if W1.shape != (4, 3) or b1.shape != (3,):
            raise fail(f"`Linear(4, 3).forward` ne donne pas des sorties de taille 3 (poids vus de forme {W1.shape}).",
                       f"`Linear(4, 3).forward` does not give outputs of size 3 (weights seen with shape {W1.shape}).")
        changes.append(np.concatenate([W1 - W0, b1[None] - b0[None]]))
    return changes


def _with_bias(X: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """The gradient of sum(delta * (X @ W + b)) wrt W stacked over b: exact central differences of an affine map."""
    return np.concatenate([X.T @ delta, delta.sum(axis=0)[None]])


@checks("q1", weight=1.5, requires=("check_linear_forward_is_affine",),
        fr="`Linear.backward_update_gradient` : gradients des poids et du biais (vus par `update_parameters`).",
        en="`Linear.backward_update_gradient`: weight and bias gradients (seen through `update_parameters`).")
def check_linear_parameter_gradients(obs, ctx):
    rng = ctx.rng("linear-params")
    X, delta = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    (change,) = _linear_steps(obs, ([(X, delta)], 0.5, False))
    where, seen, expected = "Linear.backward_update_gradient", -change / 0.5, _with_bias(X, delta)
    eW = _expect_gradient(seen[:-1], expected[:-1], where, "le gradient des poids", "the weight gradient",
                          "Attendu input.T @ delta, ajouté au gradient stocké.",
                          "Expected input.T @ delta, added to the stored gradient.")
    eb = _expect_gradient(seen[-1], expected[-1], where, "le gradient du biais", "the bias gradient",
                          "Attendu delta.sum(axis=0) : le biais reçoit la somme des delta du lot.",
                          "Expected delta.sum(axis=0): the bias gets the sum of the batch's deltas.")
    return Message(f"Erreurs relatives : poids {eW:.1e}, biais {eb:.1e}.",
                   f"Relative errors: weight {eW:.1e}, bias {eb:.1e}.")


@checks("q1", requires=("check_linear_forward_is_affine",),
        fr="`Linear` : les gradients s'accumulent sur deux appels et `zero_grad` les remet à zéro.",
        en="`Linear`: gradients add up over two calls and `zero_grad` resets them.")
def check_linear_gradients_accumulate_and_reset(obs, ctx):
    rng = ctx.rng("linear-accumulate")
    X1, d1, X2, d2 = (rng.normal(size=s) for s in ((5, 4), (5, 3), (3, 4), (3, 3)))
    pairs = [(X1, d1), (X2, d2)]
    both, reset = (-c / 0.5 for c in _linear_steps(obs, (pairs, 0.5, False), (pairs, 0.5, True)))
    g1, g2 = _with_bias(X1, d1), _with_bias(X2, d2)
    if relative_error(both, g1 + g2) > GRAD_TOL:
        if relative_error(both, g2) <= GRAD_TOL:
            raise fail("`Linear.backward_update_gradient` remplace le gradient stocké au lieu de l'augmenter : après "
                       "deux appels, seul le second compte. Utilisez `+=`.",
                       "`Linear.backward_update_gradient` replaces the stored gradient instead of adding to it: "
                       "after two calls only the second counts. Use `+=`.")
        raise fail(f"`Linear.backward_update_gradient` appelé deux fois : erreur relative "
                   f"{relative_error(both, g1 + g2):.2g} sur la somme des deux gradients (attendu ≈ 1e-7).",
                   f"`Linear.backward_update_gradient` called twice: relative error "
                   f"{relative_error(both, g1 + g2):.2g} on the sum of both gradients (expected ≈ 1e-7).")
    if relative_error(reset, g2) > GRAD_TOL:
        stale = " : le premier gradient est encore là" if relative_error(reset, g1 + g2) <= GRAD_TOL else ""
        stale_en = ": the first gradient is still there" if stale else ""
        raise fail(f"`Linear.zero_grad` ne remet pas les gradients à zéro : après backward, zero_grad(), backward, "
                   f"la mise à jour ne suit pas le seul second gradient (erreur relative "
                   f"{relative_error(reset, g2):.2g}){stale}.",
                   f"`Linear.zero_grad` does not reset the gradients: after backward, zero_grad(), backward, the "
                   f"update does not follow the second gradient alone (relative error "
                   f"{relative_error(reset, g2):.2g}){stale_en}.")


@checks("q1", requires=("check_linear_forward_is_affine",),
        fr="`Linear.update_parameters(pas)` fait paramètres -= pas * gradient.",
        en="`Linear.update_parameters(step)` does parameters -= step * gradient.")
def check_linear_update_moves_against_gradient(obs, ctx):
    rng = ctx.rng("linear-update")
    X, delta = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    # Linear's gradient does not depend on its parameters: two fresh modules get the same one
    half, quarter = _linear_steps(obs, ([(X, delta)], 0.5, False), ([(X, delta)], 0.25, False))
    if float(np.max(np.abs(half))) < 1e-9:
        raise fail("`Linear.update_parameters(0.5)` ne modifie pas les paramètres.",
                   "`Linear.update_parameters(0.5)` does not change the parameters.")
    if relative_error(half, 2 * quarter) > GRAD_TOL:
        raise fail("`Linear.update_parameters` : avec le même gradient, un pas de 0.25 devrait déplacer les "
                   "paramètres deux fois moins qu'un pas de 0.5 ; utilisez l'argument `gradient_step`.",
                   "`Linear.update_parameters`: with the same gradient, a step of 0.25 should move the parameters "
                   "half as much as a step of 0.5; use the `gradient_step` argument.")
    if float(np.sum(half * _with_bias(X, delta))) >= 0:
        raise fail("`Linear.update_parameters` déplace les paramètres dans le sens du gradient ; il faut "
                   "paramètres -= gradient_step * gradient.",
                   "`Linear.update_parameters` moves the parameters along the gradient; it must do "
                   "parameters -= gradient_step * gradient.")
