"""Checks of tp-diy: a from-scratch numpy network, graded by its behaviour and its gradients.

Probes (trusted code from `probes.py`) only instantiate the student's classes in the runner
and evaluate them on inputs chosen here; central differences, expected values, labels and
thresholds stay in the judge. Parameters are observed through behaviour, whatever their
storage: an affine module's forward on 0 and on the unit rows gives its weight and bias, and
`zero_grad(); backward_update_gradient(x, delta); update_parameters(step)` reveals the gradient.

A mistake is charged once: a question that builds on earlier classes observes its own class
with correct modules (`TLinear`, `TSeq`, ...) from the probe library, and a learning check that
fails with the student's whole library is retried with correct parts only when the student's
earlier parts are themselves at fault (their checks fail again here).
"""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import load_digits

from grader.judge.checks import CheckFailed, Registry, fail
from grader.judge.expect import expect_close, relative_error
from grader.model import Message, Status

checks = Registry()
LIB = Path(__file__).with_name("probes.py").read_text(encoding="utf-8")
H = 1e-3  # central-difference step: exact enough in float64, still meaningful for float32 code
GRAD_TOL = 1e-2  # a correct gradient is at ~1e-7 of relative error, a wrong one at ~0.1 or more
GAUSS_MIN_ACCURACY = 0.95
DIGITS_MIN_ACCURACY = 0.90  # the reference reaches 0.96-0.97 on the judge's split
AE_MAX_ERROR = 0.03  # per pixel; reference 0.015, mean image 0.074, a 16-component PCA 0.012


# -- plumbing -----------------------------------------------------------------------------
def _probe(obs, body: str, *, prelude: str = "", timeout: float | None = None, **inputs: Any) -> Any:
    """Run `main()` of `body` in the runner with the probe library; name the student's method that raised."""
    code = f"{LIB}\n\n{prelude}\n\n{textwrap.dedent(body)}\n\nresult = run(main)\n"
    out = obs.probe(code, timeout=timeout, **inputs)
    if isinstance(out, dict) and "__student_error__" in out:
        where, trace = out["__student_error__"]
        last = str(trace).strip().splitlines()[-1][:300] if str(trace).strip() else ""
        raise CheckFailed(Message(f"`{where}` a levé une erreur : {last}", f"`{where}` raised an error: {last}"),
                          Status.ERROR, str(trace))
    return out


def _need(obs, *names: str) -> None:
    for name in names:
        if not obs.has(name):
            raise CheckFailed(Message(f"`{name}` n'est pas défini.", f"`{name}` is not defined."), Status.MISSING)


def _floats(value: Any) -> np.ndarray:
    """An observed value as a float array; anything else is the student's answer, not our bug."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise fail(f"Valeur renvoyée illisible comme tableau de nombres : {value!r:.200}.",
                   f"Returned value cannot be read as an array of numbers: {value!r:.200}.") from None


def _shape(arr: np.ndarray, shape: tuple, where: str, given_fr: str, given_en: str = "",
           hint_fr: str = "", hint_en: str = "") -> None:
    if arr.shape != tuple(shape):
        raise fail(f"`{where}` {given_fr} donne la forme {arr.shape} ; attendu {tuple(shape)}. {hint_fr}".strip(),
                   f"`{where}` {given_en or given_fr} gives shape {arr.shape}; expected {tuple(shape)}. "
                   f"{hint_en or hint_fr}".strip())


def _perturbed(x: np.ndarray, h: float = H) -> np.ndarray:
    """Each example with each of its entries moved by +h, then by -h: (n * 2d, *x.shape[1:])."""
    n, d = len(x), int(np.prod(x.shape[1:]))
    steps = np.concatenate([np.eye(d), -np.eye(d)]) * h
    return (x.reshape(n, 1, d) + steps[None]).reshape(n * 2 * d, *x.shape[1:])


def _central(values: np.ndarray, x_shape: tuple, h: float = H) -> np.ndarray:
    """Gradient from scalars laid out as `_perturbed` made the inputs."""
    n, d = x_shape[0], int(np.prod(x_shape[1:]))
    v = _floats(values).reshape(n, 2, d)
    return ((v[:, 0] - v[:, 1]) / (2 * h)).reshape(x_shape)


def _input_gradient(outputs: Any, delta: np.ndarray, x_shape: tuple, where: str, h: float = H) -> np.ndarray:
    """d/dx of sum(delta * module(x)), from the module's outputs on `_perturbed(x)`."""
    n, d = x_shape[0], int(np.prod(x_shape[1:]))
    out = _floats(outputs)
    _shape(out, (n * 2 * d, *delta.shape[1:]), f"{where}.forward", f"sur un lot de {n * 2 * d} exemples",
           f"on a batch of {n * 2 * d} examples")
    scalars = np.einsum("npk,nk->np", out.reshape(n, 2 * d, -1), delta.reshape(n, -1))
    return _central(scalars, x_shape, h)


def _param_gradients(f: Callable[[], float], params: list[np.ndarray], h: float = 1e-6) -> list[np.ndarray]:
    """Central differences of the judge's own scalar function of parameters it holds."""
    grads = []
    for p in params:
        g = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            old = p[i]
            p[i] = old + h
            up = f()
            p[i] = old - h
            down = f()
            p[i] = old
            g[i] = (up - down) / (2 * h)
        grads.append(g)
    return grads


def _expect_gradient(found: Any, expected: np.ndarray, where: str, what_fr: str, what_en: str,
                     hint_fr: str = "", hint_en: str = "") -> float:
    """Relative error of a gradient; the failure names the method, the gradient and the worst entry."""
    found = _floats(found)
    if found.shape != expected.shape:
        raise fail(f"`{where}` : {what_fr} a la forme {found.shape} ; attendu {expected.shape}. {hint_fr}".strip(),
                   f"`{where}`: {what_en} has shape {found.shape}; expected {expected.shape}. {hint_en}".strip())
    if not np.all(np.isfinite(found)):
        raise fail(f"`{where}` : {what_fr} contient des valeurs non finies (nan ou inf).",
                   f"`{where}`: {what_en} holds non-finite values (nan or inf).")
    err = relative_error(found, expected)
    if not err <= GRAD_TOL:
        idx = np.unravel_index(int(np.argmax(np.abs(found - expected))), found.shape)
        at = tuple(int(i) for i in idx)
        raise fail(f"`{where}` : erreur relative {err:.2g} sur {what_fr} (attendu ≈ 1e-7, seuil {GRAD_TOL:g}) ; "
                   f"pire écart à l'indice {at} : trouvé {found[idx] + 0.0:.4g}, attendu {expected[idx] + 0.0:.4g}. "
                   f"{hint_fr}".strip(),
                   f"`{where}`: relative error {err:.2g} on {what_en} (expected ≈ 1e-7, threshold {GRAD_TOL:g}); "
                   f"worst entry at index {at}: found {found[idx] + 0.0:.4g}, expected {expected[idx] + 0.0:.4g}. "
                   f"{hint_en}".strip())
    return err


def _close(found: Any, expected: np.ndarray, where: str, hint_fr: str = "", hint_en: str = "") -> None:
    """Values at float32 precision pass (a student may compute in float32); mistakes are far larger."""
    expect_close(_floats(found), expected, f"`{where}`", rtol=1e-4, atol=1e-5, hint=hint_fr, hint_en=hint_en)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -z))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _away_from_zero(x: np.ndarray, margin: float = 0.1) -> np.ndarray:
    """Inputs clear of ReLU's kink, so that central differences stay exact."""
    return np.where(np.abs(x) < margin, np.sign(x + 1e-12) * (np.abs(x) + 2 * margin), x)


# -- q1 -----------------------------------------------------------------------------------
@checks("q1", fr="`MSELoss.forward` : une perte par exemple, ||y - yhat||².",
        en="`MSELoss.forward`: one loss per example, ||y - yhat||².")
def check_mse_loss_forward(obs, ctx):
    _need(obs, "MSELoss")
    rng = ctx.rng("mse")
    y, yhat = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    found = _floats(_probe(obs, """
        def main():
            return forward(new(ns, "MSELoss"), "MSELoss", y, yhat)
    """, y=y, yhat=yhat))
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
    grad, values = _probe(obs, """
        def main():
            loss = new(ns, "MSELoss")
            grad = floats("MSELoss.backward", method(loss, "MSELoss", "backward", y, yhat))
            return grad, forward(loss, "MSELoss", y_rep, yhat_pert)
    """, y=y, yhat=yhat, y_rep=np.repeat(y, 2 * yhat.shape[1], axis=0), yhat_pert=_perturbed(yhat))
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
    W, b, out = _probe(obs, """
        def main():
            m = new(ns, "Linear", 4, 3)
            W, b = affine(m, "Linear", 4)
            return W, b, forward(m, "Linear", X)
    """, X=X)
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
    outputs, dx = _probe(obs, """
        def main():
            m = new(ns, "Linear", 4, 3)
            outputs = forward(m, "Linear", Xp)
            forward(m, "Linear", X)
            return outputs, floats("Linear.backward_delta", method(m, "Linear", "backward_delta", X, delta))
    """, X=X, delta=delta, Xp=_perturbed(X))
    expected = _input_gradient(outputs, delta, X.shape, "Linear")
    err = _expect_gradient(dx, expected, "Linear.backward_delta", "le gradient par rapport à l'entrée",
                           "the gradient with respect to the input", "Attendu delta @ W.T.", "Expected delta @ W.T.")
    return Message(f"Erreur relative {err:.1e}.", f"Relative error {err:.1e}.")


_LINEAR_STEP = """
def moved(pairs, gradient_step, zero_between=False):
    \"\"\"A fresh Linear(4, 3): its (W, b) before, then after zero_grad, backward passes and one update.\"\"\"
    m = new(ns, "Linear", 4, 3)
    before = affine(m, "Linear", 4)
    method(m, "Linear", "zero_grad")
    for k, (x, d) in enumerate(pairs):
        if k and zero_between:
            method(m, "Linear", "zero_grad")
        forward(m, "Linear", x)
        method(m, "Linear", "backward_update_gradient", x, d)
    method(m, "Linear", "update_parameters", gradient_step)
    return (*before, *affine(m, "Linear", 4))
"""


def _linear_steps(obs, calls: str, **inputs: Any) -> list[np.ndarray]:
    """Parameter changes (W and b stacked) of fresh Linear(4, 3) under `moved(...)` calls; a list of them."""
    out = _probe(obs, prelude=_LINEAR_STEP, body=f"""
        def main():
            return [{calls}]
    """, **inputs)
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
    (change,) = _linear_steps(obs, "moved([(X, delta)], 0.5)", X=X, delta=delta)
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
    both, reset = (-c / 0.5 for c in _linear_steps(
        obs, "moved([(X1, d1), (X2, d2)], 0.5), moved([(X1, d1), (X2, d2)], 0.5, zero_between=True)",
        X1=X1, d1=d1, X2=X2, d2=d2))
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
    half, quarter = _linear_steps(obs, "moved([(X, delta)], 0.5), moved([(X, delta)], 0.25)", X=X, delta=delta)
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


# -- q2 -----------------------------------------------------------------------------------
_ACTIVATION_PROBE = """
def main():
    m = new(ns, name)
    out = forward(m, name, X)
    outputs = forward(m, name, Xp)
    forward(m, name, X)
    dx = floats(name + ".backward_delta", method(m, name, "backward_delta", X, delta))
    for op, args in (("zero_grad", ()), ("backward_update_gradient", (X, delta)), ("update_parameters", (1.0,))):
        if callable(getattr(m, op, None)):
            method(m, name, op, *args)
    return out, outputs, dx, forward(m, name, X)
"""


def _check_activation(obs, ctx, name: str, formula: Callable[[np.ndarray], np.ndarray], text: str) -> Message:
    _need(obs, name)
    rng = ctx.rng(f"activation-{name}")
    X, delta = _away_from_zero(rng.uniform(-3, 3, size=(4, 5))), rng.normal(size=(4, 5))
    out, outputs, dx, again = map(_floats, _probe(obs, _ACTIVATION_PROBE, name=name, X=X, delta=delta,
                                                  Xp=_perturbed(X)))
    _shape(out, X.shape, f"{name}.forward", "sur une entrée de forme (4, 5)", "on an input of shape (4, 5)")
    _close(out, formula(X), f"{name}.forward", f"Attendu {text}, élément par élément.",
           f"Expected {text}, element-wise.")
    err = _expect_gradient(dx, _input_gradient(outputs, delta, X.shape, name), f"{name}.backward_delta",
                           "le gradient par rapport à l'entrée", "the gradient with respect to the input",
                           "Attendu delta multiplié par la dérivée, élément par élément.",
                           "Expected delta times the derivative, element-wise.")
    _close(again, out, f"{name}.forward après update_parameters",
           "Un module sans paramètre ne change pas quand on appelle zero_grad, backward_update_gradient et "
           "update_parameters (héritez de Module).",
           "A module without parameters does not change under zero_grad, backward_update_gradient and "
           "update_parameters (inherit from Module).")
    return Message(f"Valeurs correctes ; erreur relative de `backward_delta` {err:.1e}.",
                   f"Correct values; `backward_delta` relative error {err:.1e}.")


@checks("q2", fr="`TanH` : valeurs et `backward_delta` (différences finies).",
        en="`TanH`: values and `backward_delta` (finite differences).")
def check_tanh(obs, ctx):
    return _check_activation(obs, ctx, "TanH", np.tanh, "tanh(x)")


@checks("q2", fr="`Sigmoide` : valeurs et `backward_delta` (différences finies).",
        en="`Sigmoide`: values and `backward_delta` (finite differences).")
def check_sigmoide(obs, ctx):
    return _check_activation(obs, ctx, "Sigmoide", _sigmoid, "1 / (1 + exp(-x))")


@checks("q2", fr="`ReLU` : valeurs et `backward_delta` (différences finies).",
        en="`ReLU`: values and `backward_delta` (finite differences).")
def check_relu(obs, ctx):
    return _check_activation(obs, ctx, "ReLU", lambda x: np.maximum(x, 0.0), "max(x, 0)")


# -- q3 -----------------------------------------------------------------------------------
def _mlp_params(rng: np.random.Generator, sizes: tuple[int, ...]) -> list[np.ndarray]:
    params = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:], strict=False):
        params += [rng.normal(size=(d_in, d_out)) / np.sqrt(d_in), 0.3 * rng.normal(size=d_out)]
    return params


def _mlp(params: list[np.ndarray], X: np.ndarray) -> np.ndarray:
    """Linear, TanH, Linear, TanH, ..., Linear: the judge's own forward of the trusted nets."""
    h = X
    for i in range(0, len(params), 2):
        h = h @ params[i] + params[i + 1]
        if i + 2 < len(params):
            h = np.tanh(h)
    return h


_LAYER_NAMES = ("poids", "biais")


def _expect_layer_gradients(found: Any, expected: list[np.ndarray], where: str) -> float:
    worst = 0.0
    for k, (f, e) in enumerate(zip(found, expected, strict=True)):
        layer = k // 2 + 1
        worst = max(worst, _expect_gradient(
            f, e, where, f"le gradient des {_LAYER_NAMES[k % 2]} du Linear n° {layer}",
            f"the {('weight', 'bias')[k % 2]} gradient of Linear number {layer}",
            "Chaque module doit recevoir sa propre entrée et le delta rétropropagé jusqu'à lui.",
            "Each module must get its own input and the delta propagated back to it."))
    return worst


_SEQ_MODULES = """
def modules():
    linears = [TLinear(W1, b1), TLinear(W2, b2), TLinear(W3, b3)]
    return linears, [linears[0], TTanH(), linears[1], TTanH(), linears[2]]


def gradients(linears):
    return [g.copy() for m in linears for g in (m.gW, m.gb)]
"""


@checks("q3", weight=1.5, fr="`Sequentiel` d'un réseau à 3 couches : sortie et gradients (différences finies).",
        en="`Sequentiel` of a 3-layer net: output and gradients (finite differences).")
def check_sequentiel_end_to_end_gradients(obs, ctx):
    _need(obs, "Sequentiel")
    rng = ctx.rng("sequentiel")
    params = _mlp_params(rng, (4, 6, 5, 3))
    X, delta = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    out, outputs, grads, dx = _probe(obs, prelude=_SEQ_MODULES, body="""
        def main():
            linears, mods = modules()
            net = call("Sequentiel(...)", ns["Sequentiel"], *mods)
            outputs = forward(net, "Sequentiel", Xp)
            out = forward(net, "Sequentiel", X)
            method(net, "Sequentiel", "zero_grad")
            forward(net, "Sequentiel", X)
            method(net, "Sequentiel", "backward_update_gradient", X, delta)
            grads = gradients(linears)
            forward(net, "Sequentiel", X)
            dx = floats("Sequentiel.backward_delta", method(net, "Sequentiel", "backward_delta", X, delta))
            return out, outputs, grads, dx
    """, X=X, delta=delta, Xp=_perturbed(X), **dict(zip(("W1", "b1", "W2", "b2", "W3", "b3"), params, strict=True)))
    out = _floats(out)
    _shape(out, (5, 3), "Sequentiel.forward", "pour Linear(4, 6), TanH, Linear(6, 5), TanH, Linear(5, 3)")
    _close(out, _mlp(params, X), "Sequentiel.forward", "Appliquez les modules dans l'ordre, chacun à la sortie "
           "du précédent.", "Apply the modules in order, each to the previous one's output.")
    e1 = _expect_gradient(dx, _input_gradient(outputs, delta, X.shape, "Sequentiel"), "Sequentiel.backward_delta",
                          "le gradient par rapport à l'entrée", "the gradient with respect to the input",
                          "Parcourez les modules à l'envers ; chacun reçoit son entrée du forward.",
                          "Go through the modules backwards; each gets its input from the forward pass.")
    expected = _param_gradients(lambda: float(np.sum(delta * _mlp(params, X))), params)
    e2 = _expect_layer_gradients(grads, expected, "Sequentiel.backward_update_gradient")
    return Message(f"Erreurs relatives : entrée {e1:.1e}, paramètres {e2:.1e}.",
                   f"Relative errors: input {e1:.1e}, parameters {e2:.1e}.")


@checks("q3", weight=0.5, fr="`Sequentiel.zero_grad` et `update_parameters` atteignent tous les modules.",
        en="`Sequentiel.zero_grad` and `update_parameters` reach every module.")
def check_sequentiel_zero_grad_and_update(obs, ctx):
    _need(obs, "Sequentiel")
    rng = ctx.rng("sequentiel-update")
    params = _mlp_params(rng, (4, 6, 5, 3))
    grads = [rng.normal(size=p.shape) for p in params]
    after, zeros = _probe(obs, prelude=_SEQ_MODULES, body="""
        def main():
            linears, mods = modules()
            net = call("Sequentiel(...)", ns["Sequentiel"], *mods)
            for k, m in enumerate(linears):
                m.gW[...], m.gb[...] = G[2 * k], G[2 * k + 1]
            method(net, "Sequentiel", "update_parameters", 0.5)
            after = [p.copy() for m in linears for p in (m.W, m.b)]
            method(net, "Sequentiel", "zero_grad")
            return after, gradients(linears)
    """, G=grads, **dict(zip(("W1", "b1", "W2", "b2", "W3", "b3"), params, strict=True)))
    for k, (p, g, a) in enumerate(zip(params, grads, after, strict=True)):
        if not np.allclose(_floats(a), p - 0.5 * _floats(g), rtol=1e-9, atol=1e-12):
            raise fail(f"`Sequentiel.update_parameters(0.5)` ne met pas à jour le Linear n° {k // 2 + 1} "
                       "comme attendu : appelez `update_parameters(gradient_step)` de chaque module.",
                       f"`Sequentiel.update_parameters(0.5)` does not update Linear number {k // 2 + 1} as "
                       "expected: call each module's `update_parameters(gradient_step)`.")
    for k, z in enumerate(zeros):
        if np.any(_floats(z) != 0):
            raise fail(f"Après `Sequentiel.zero_grad()`, le gradient du Linear n° {k // 2 + 1} n'est pas nul : "
                       "appelez `zero_grad()` de chaque module.",
                       f"After `Sequentiel.zero_grad()`, the gradient of Linear number {k // 2 + 1} is not zero: "
                       "call each module's `zero_grad()`.")


@checks("q3", fr="`Optim.step` : perte moyenne du lot, pas de gradient, gradients remis à zéro.",
        en="`Optim.step`: batch mean loss, one gradient step, gradients reset.")
def check_optim_step(obs, ctx):
    _need(obs, "Optim")
    rng = ctx.rng("optim")
    params = _mlp_params(rng, (3, 4, 2))
    X, Y, eps = rng.normal(size=(6, 3)), rng.normal(size=(6, 2)), 0.05
    l1, p1, _, p2 = _probe(obs, """
        def main():
            linears = [TLinear(W1, b1), TLinear(W2, b2)]
            net = TSeq(linears[0], TTanH(), linears[1])
            opt = call("Optim(...)", ns["Optim"], net, TMSE(), eps)
            out = []
            for _ in range(2):
                out.append(floats("Optim.step", method(opt, "Optim", "step", X, Y)))
                out.append([p.copy() for m in linears for p in (m.W, m.b)])
            return out
    """, X=X, Y=Y, eps=eps, **dict(zip(("W1", "b1", "W2", "b2"), params, strict=True)))
    p1, p2 = [_floats(p) for p in p1], [_floats(p) for p in p2]

    def grads(ps: list[np.ndarray]) -> list[np.ndarray]:
        ps = [p.copy() for p in ps]
        return _param_gradients(lambda: float(np.sum((Y - _mlp(ps, X)) ** 2)), ps)

    expected_loss = float(np.mean(np.sum((Y - _mlp(params, X)) ** 2, axis=1)))
    found = _floats(l1)
    if found.size != 1 or not np.isclose(float(found.reshape(-1)[0]), expected_loss, rtol=1e-5):
        shown = float(found.reshape(-1)[0]) if found.size == 1 else found.shape
        raise fail(f"`Optim.step` renvoie {shown} ; attendu la perte moyenne du lot avant la mise à jour, "
                   f"{expected_loss:.6g}.", f"`Optim.step` returns {shown}; expected the batch's mean loss "
                   f"before the update, {expected_loss:.6g}.")
    g0 = grads(params)
    moved = np.concatenate([(p - q).ravel() for p, q in zip(params, p1, strict=True)])
    step = np.concatenate([(eps * g).ravel() for g in g0])
    if relative_error(moved, step) > GRAD_TOL:
        per_example = relative_error(moved, step / len(X)) <= GRAD_TOL
        hint = (" Vous divisez le pas par la taille du lot : le gradient est celui de la somme et le pas est eps."
                if per_example else "")
        hint_en = " You divide the step by the batch size: the gradient is the sum's and the step is eps." \
            if per_example else ""
        raise fail(f"`Optim.step` : les paramètres bougent de façon inattendue (erreur relative "
                   f"{relative_error(moved, step):.2g} par rapport à -eps × gradient). Enchaînez zero_grad, "
                   f"forward, loss.backward, net.backward_update_gradient, net.update_parameters(eps).{hint}",
                   f"`Optim.step`: the parameters move unexpectedly (relative error {relative_error(moved, step):.2g} "
                   "against -eps × gradient). Chain zero_grad, forward, loss.backward, "
                   f"net.backward_update_gradient, net.update_parameters(eps).{hint_en}")
    g1 = grads(p1)
    moved2 = np.concatenate([(p - q).ravel() for p, q in zip(p1, p2, strict=True)])
    if relative_error(moved2, np.concatenate([(eps * g).ravel() for g in g1])) > GRAD_TOL:
        stale = np.concatenate([(eps * (a + b)).ravel() for a, b in zip(g0, g1, strict=True)])
        if relative_error(moved2, stale) <= GRAD_TOL:
            raise fail("Au second `Optim.step`, le gradient du premier pas est encore là : appelez "
                       "`net.zero_grad()` avant chaque rétropropagation.",
                       "At the second `Optim.step`, the first step's gradient is still there: call "
                       "`net.zero_grad()` before each backward pass.")
        raise fail("Le second `Optim.step` ne fait pas un pas de gradient depuis les nouveaux paramètres.",
                   "The second `Optim.step` does not take a gradient step from the new parameters.")


@checks("q3", weight=1.5, fr="`SGD` : chaque époque voit chaque exemple une fois, par mini-lots, dans un ordre "
        "tiré à nouveau ; une perte moyenne par époque.",
        en="`SGD`: each epoch sees every example once, in mini-batches, in a fresh random order; one mean loss "
        "per epoch.")
def check_sgd_visits_every_example_in_shuffled_batches(obs, ctx):
    _need(obs, "SGD")
    rng = ctx.rng("sgd-spy")
    n, batch_size, epochs = 48, 8, 4
    features = rng.normal(size=(n, 3))
    X = np.hstack([np.arange(n, dtype=np.float64)[:, None], features])
    Y = features @ rng.normal(size=(3, 1)) + 0.1 * rng.normal(size=(n, 1))
    batches, losses = _probe(obs, """
        def main():
            spy = Spy()
            net = TSeq(spy, TLinear(np.zeros((3, 1)), np.zeros(1)))
            losses = call("SGD(...)", ns["SGD"], net, TMSE(), X, Y, batch_size, epochs, 1e-3, True)
            return spy.batches, floats("SGD (valeur renvoyée)", losses)
    """, X=X, Y=Y, batch_size=batch_size, epochs=epochs)
    batches = [np.asarray(b, dtype=np.int64).reshape(-1) for b in batches]
    call_fr = f"`SGD(net, loss, X, Y, batch_size={batch_size}, n_iter={epochs})` sur {n} exemples"
    call_en = f"`SGD(net, loss, X, Y, batch_size={batch_size}, n_iter={epochs})` on {n} examples"
    if not batches:
        raise fail(f"{call_fr} n'appelle jamais `net.backward_update_gradient`.",
                   f"{call_en} never calls `net.backward_update_gradient`.")
    sizes = [len(b) for b in batches]
    if max(sizes) > batch_size:
        raise fail(f"{call_fr} : {len(batches)} mises à jour de {max(sizes)} exemples ; attendu "
                   f"{n // batch_size} mini-lots de {batch_size} par époque.",
                   f"{call_en}: {len(batches)} updates of {max(sizes)} examples; expected {n // batch_size} "
                   f"mini-batches of {batch_size} per epoch.")
    seen = np.concatenate(batches)
    if len(seen) != n * epochs:
        raise fail(f"{call_fr} : {len(seen)} exemples vus en tout ; attendu {epochs} × {n} = {n * epochs} "
                   "(n_iter est un nombre d'époques, chacune voit chaque exemple une fois).",
                   f"{call_en}: {len(seen)} examples seen in all; expected {epochs} × {n} = {n * epochs} "
                   "(n_iter is a number of epochs, each seeing every example once).")
    orders = seen.reshape(epochs, n)
    for k, order in enumerate(orders):
        if not np.array_equal(np.sort(order), np.arange(n)):
            missing = sorted(set(range(n)) - set(order.tolist()))[:5]
            raise fail(f"{call_fr} : l'époque {k + 1} ne voit pas chaque exemple exactement une fois (absents, "
                       f"par exemple : {missing}).", f"{call_en}: epoch {k + 1} does not see every example "
                       f"exactly once (missing, e.g.: {missing}).")
    natural = sum(bool(np.array_equal(o, np.arange(n))) for o in orders)
    if natural or len({tuple(o) for o in orders}) < epochs:
        raise fail(f"{call_fr} avec shuffle=True : les exemples passent dans le même ordre à chaque époque"
                   f"{' (0, 1, 2, …)' if natural else ''}. Tirez un nouvel ordre à chaque époque "
                   "(np.random.permutation).",
                   f"{call_en} with shuffle=True: the examples come in the same order every epoch. Draw a new "
                   "order every epoch (np.random.permutation).")
    losses = _floats(losses)
    if losses.shape != (epochs,) or not np.all(np.isfinite(losses)):
        raise fail(f"{call_fr} renvoie {losses.shape if losses.ndim else losses} ; attendu la liste des "
                   f"{epochs} pertes moyennes, une par époque.",
                   f"{call_en} returns {losses.shape if losses.ndim else losses}; expected the list of the "
                   f"{epochs} mean losses, one per epoch.")


# -- learning checks: the student's whole library, or correct parts where earlier ones fail --
def _basics() -> dict[str, tuple[Callable, ...]]:
    """The cheap checks of the classes later questions build on."""
    return {
        "MSELoss": (check_mse_loss_forward, check_mse_loss_backward),
        "Linear": (check_linear_forward_is_affine, check_linear_backward_delta, check_linear_parameter_gradients,
                   check_linear_gradients_accumulate_and_reset, check_linear_update_moves_against_gradient),
        "TanH": (check_tanh,),
        "Sigmoide": (check_sigmoide,),
        "ReLU": (check_relu,),
        "Sequentiel": (check_sequentiel_end_to_end_gradients, check_sequentiel_zero_grad_and_update),
        "Optim": (check_optim_step,),
        "SGD": (check_sgd_visits_every_example_in_shuffled_batches,),
    }


def _faults(obs, ctx, parts: tuple[str, ...]) -> list[str]:
    """Which of the student's earlier classes fail their own checks (already charged there)."""
    faulty = []
    for part in parts:
        for check in _basics()[part]:
            try:
                check(obs, ctx)
            except CheckFailed:
                faulty.append(part)
                break
    return faulty


def _charged_elsewhere(faulty: list[str]) -> tuple[str, str]:
    names = ", ".join(f"`{p}`" for p in faulty)
    return (f"l'erreur de {names} est comptée à sa question", f"the mistake in {names} is charged to its question")


def _learned(obs, ctx, measure: Callable[[bool], float], good: Callable[[float], bool], parts: tuple[str, ...],
             own_names: tuple[str, ...]) -> tuple[bool, float | None, float | None, list[str]]:
    """`measure(True)` with the student's whole library; if it falls short because earlier parts fail their
    own checks, `measure(False)` with correct parts in their place. Returns (passed, own, fixed, faulty)."""
    own, own_error = None, None
    if all(obs.has(n) for n in own_names):
        try:
            own = measure(True)
        except CheckFailed as e:  # the student's library raised or answered nonsense: maybe an earlier part
            own_error = e
        if own is not None and good(own):
            return True, own, None, []
    faulty = _faults(obs, ctx, parts)
    fixed = measure(False) if faulty else None
    if fixed is not None and good(fixed):
        return True, own, fixed, faulty
    if own_error is not None:
        raise own_error
    return False, own, fixed, faulty


def _gaussians(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    centers, labels = np.array([[1, 1], [-1, -1], [1, -1], [-1, 1]]), np.array([1.0, 1.0, -1.0, -1.0])
    which = rng.integers(0, 4, n)
    return centers[which] + 0.3 * rng.normal(size=(n, 2)), labels[which].reshape(-1, 1)


_GAUSS_PROBE = """
def main():
    if own:
        layers = [new(ns, "Linear", 2, 8), new(ns, "TanH"), new(ns, "Linear", 8, 1)]
        loss = new(ns, "MSELoss")
    else:
        rng = np.random.default_rng(seed)
        layers = [TLinear.random(2, 8, rng), TTanH(), TLinear.random(8, 1, rng)]
        loss = TMSE()
    net = call("Sequentiel(...)", ns["Sequentiel"], *layers)
    call("SGD(...)", ns["SGD"], net, loss, X, Y, 10, 60, 0.01, True)
    return forward(net, "Sequentiel", X), forward(net, "Sequentiel", X_test)
"""
GAUSS_TRIES = 3  # a fresh net each time: an unlucky initialisation is not the student's mistake


@checks("q3", weight=1.5, requires=("check_sgd_visits_every_example_in_shuffled_batches",),
        fr="`SGD` sépare un mélange de 4 gaussiennes (précision d'entraînement ≥ 0.95).",
        en="`SGD` separates a mixture of 4 gaussians (training accuracy ≥ 0.95).")
def check_sgd_separates_four_gaussians(obs, ctx):
    _need(obs, "Sequentiel", "SGD")
    rng = ctx.rng("gaussians")
    X, Y = _gaussians(rng, 200)
    X_test, Y_test = _gaussians(rng, 200)
    seed = int(rng.integers(0, 2**31 - 1))

    def accuracies(own: bool) -> tuple[float, float]:
        pred, pred_test = (_floats(p).reshape(-1) for p in _probe(obs, _GAUSS_PROBE, timeout=60, own=own, seed=seed,
                                                                   X=X, Y=Y, X_test=X_test))
        if pred.shape != (len(X),):
            raise fail(f"La sortie du réseau a {pred.size} valeurs pour {len(X)} exemples ; attendu une par exemple.",
                       f"The net's output has {pred.size} values for {len(X)} examples; expected one per example.")
        return float(np.mean(np.sign(pred) == Y[:, 0])), float(np.mean(np.sign(pred_test) == Y_test[:, 0]))

    net = "Sequentiel(Linear(2, 8), TanH(), Linear(8, 1)), MSELoss, SGD(batch_size=10, n_iter=60, eps=0.01)"
    test_acc: list[float] = []

    def accuracy(own: bool) -> float:
        """The best of a few trainings from fresh initialisations; stops at the first good one."""
        best = 0.0
        for attempt in range(GAUSS_TRIES):
            pred, pred_test = (_floats(p).reshape(-1) for p in _probe(
                obs, _GAUSS_PROBE, timeout=60, own=own, seed=seed + attempt, X=X, Y=Y, X_test=X_test))
            if pred.shape != (len(X),) or pred_test.shape != (len(X_test),):
                raise fail(f"La sortie du réseau a {pred.size} valeurs pour {len(X)} exemples ; attendu une par "
                           "exemple.", f"The net's output has {pred.size} values for {len(X)} examples; expected "
                           "one per example.")
            acc = float(np.mean(np.sign(pred) == Y[:, 0]))
            if acc > best:
                best = acc
                test_acc.append(float(np.mean(np.sign(pred_test) == Y_test[:, 0])))
            if best >= GAUSS_MIN_ACCURACY:
                break
        return best

    passed, own, fixed, faulty = _learned(obs, ctx, accuracy, lambda a: a >= GAUSS_MIN_ACCURACY,
                                          ("Linear", "TanH", "MSELoss"), ("Linear", "TanH", "MSELoss"))
    if passed and fixed is None:
        return Message(f"{net} : précision {own:.3f} à l'entraînement, {test_acc[-1]:.3f} sur d'autres points.",
                       f"{net}: accuracy {own:.3f} on training points, {test_acc[-1]:.3f} on other points.")
    if passed:
        fr, en = _charged_elsewhere(faulty)
        shown = "?" if own is None else f"{own:.3f}"
        return Message(f"Avec vos modules, précision {shown} ; avec des Linear, TanH et MSELoss corrects, "
                       f"votre Sequentiel et votre SGD atteignent {fixed:.3f} : {fr}.",
                       f"With your modules, accuracy {shown}; with correct Linear, TanH and MSELoss, your "
                       f"Sequentiel and SGD reach {fixed:.3f}: {en}.")
    acc = fixed if fixed is not None else (own or 0.0)
    raise fail(f"{net} : précision d'entraînement {acc:.3f} sur 4 gaussiennes ; attendu au moins "
               f"{GAUSS_MIN_ACCURACY}. Vérifiez que SGD fait n_iter époques de mini-lots, que Optim.step "
               "enchaîne zero_grad, forward, backward et update_parameters, et que Linear est initialisé "
               "aléatoirement (pas à zéro).",
               f"{net}: training accuracy {acc:.3f} on 4 gaussians; expected at least {GAUSS_MIN_ACCURACY}. "
               "Check that SGD runs n_iter epochs of mini-batches, that Optim.step chains zero_grad, forward, "
               "backward and update_parameters, and that Linear starts from random (non-zero) weights.")


# -- q4 -----------------------------------------------------------------------------------
@checks("q4", fr="`Softmax` : valeurs (lignes de somme 1) et `backward_delta` (différences finies).",
        en="`Softmax`: values (rows sum to 1) and `backward_delta` (finite differences).")
def check_softmax(obs, ctx):
    _need(obs, "Softmax")
    rng = ctx.rng("softmax")
    X, delta = rng.uniform(-4, 4, size=(5, 4)), rng.normal(size=(5, 4))
    out, outputs, dx = _probe(obs, """
        def main():
            m = new(ns, "Softmax")
            out = forward(m, "Softmax", X)
            outputs = forward(m, "Softmax", Xp)
            forward(m, "Softmax", X)
            return out, outputs, floats("Softmax.backward_delta", method(m, "Softmax", "backward_delta", X, delta))
    """, X=X, delta=delta, Xp=_perturbed(X))
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
        values, grad, perturbed = _probe(obs, """
            def main():
                loss = new(ns, name)
                values = forward(loss, name, y, yhat)
                grad = floats(name + ".backward", method(loss, name, "backward", y, yhat))
                return values, grad, forward(loss, name, y_rep, yhat_pert)
        """, name=name, y=y, yhat=yhat, y_rep=np.repeat(y, 8, axis=0), yhat_pert=_perturbed(yhat))
        values, perturbed = _floats(values), _floats(perturbed)
        if name == "CELoss":
            expected, text = -np.sum(y * np.log(yhat), axis=1), "-Σ y log(yhat) (sur des probabilités)"
        else:
            top = yhat.max(axis=1)
            expected = top + np.log(np.exp(yhat - top[:, None]).sum(axis=1)) - np.sum(y * yhat, axis=1)
            text = "log Σ exp(yhat) - Σ y·yhat (sur des scores bruts)"
        _shape(values, (5,), f"{name}.forward", "sur des étiquettes one-hot de forme (5, 4)",
               "on one-hot labels of shape (5, 4)", "Une perte par exemple.", "One loss per example.")
        _close(values, expected, f"{name}.forward", f"Attendu {text} pour chaque exemple.")
        _shape(perturbed, (40,), f"{name}.forward", "sur un lot de 40 exemples", "on a batch of 40 examples")
        err = _expect_gradient(grad, _central(perturbed, yhat.shape), f"{name}.backward",
                               "le gradient par rapport à yhat", "the gradient with respect to yhat")
        notes_fr.append(f"`{name}` : erreur relative {err:.1e}")
        notes_en.append(f"`{name}`: relative error {err:.1e}")
    return Message(" ; ".join(notes_fr) + ".", "; ".join(notes_en) + ".")


@functools.lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray]:
    data = load_digits()
    return data.data / 16.0, data.target


_DIGITS_PROBE = """
def main():
    loss = new(ns, loss_name)
    head = [new(ns, "Softmax")] if softmax else []
    if own:
        layers = [new(ns, "Linear", 64, 32), new(ns, "TanH"), new(ns, "Linear", 32, 10), *head]
        net = call("Sequentiel(...)", ns["Sequentiel"], *layers)
        call("SGD(...)", ns["SGD"], net, loss, X, Y, 32, 15, 0.02, True)
        return forward(net, "Sequentiel", X_test)
    rng = np.random.default_rng(seed)
    net = TSeq(TLinear.random(64, 32, rng), TTanH(), TLinear.random(32, 10, rng), *[Named(h, "Softmax") for h in head])
    train(net, Named(loss, loss_name), X, Y, 32, 15, 0.02, seed)
    return net.forward(X_test)
"""


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

    def accuracy(own: bool) -> float:
        scores = _floats(_probe(obs, _DIGITS_PROBE, timeout=90, own=own, softmax=softmax, loss_name=loss_name,
                                seed=seed, X=X[train_idx], Y=np.eye(10)[y[train_idx]], X_test=X[test_idx]))
        _shape(scores, (len(test_idx), 10), "Sequentiel.forward", f"sur {len(test_idx)} chiffres",
               f"on {len(test_idx)} digits")
        return float(np.mean(scores.argmax(axis=1) == y[test_idx]))

    passed, own, fixed, faulty = _learned(obs, ctx, accuracy, lambda a: a >= DIGITS_MIN_ACCURACY,
                                          ("Linear", "TanH", "Sequentiel", "Optim", "SGD"),
                                          ("Linear", "TanH", "Sequentiel", "SGD"))
    if passed and fixed is None:
        return Message(f"{net} : précision {own:.3f} sur {len(test_idx)} chiffres cachés.",
                       f"{net}: accuracy {own:.3f} on {len(test_idx)} hidden digits.")
    if passed:
        fr, en = _charged_elsewhere(faulty)
        shown = "?" if own is None else f"{own:.3f}"
        return Message(f"Avec toute votre bibliothèque, précision {shown} ; avec des couches et une SGD "
                       f"correctes, votre {head} {'atteignent' if softmax else 'atteint'} {fixed:.3f} : {fr}.",
                       f"With your whole library, accuracy {shown}; with correct layers and SGD, your "
                       f"{head} reaches {fixed:.3f}: {en}.")
    acc = fixed if fixed is not None else (own or 0.0)
    raise fail(f"{net} : précision {acc:.3f} sur {len(test_idx)} chiffres cachés ; attendu au moins "
               f"{DIGITS_MIN_ACCURACY}. Vérifiez la softmax et l'entropie croisée (étiquettes one-hot).",
               f"{net}: accuracy {acc:.3f} on {len(test_idx)} hidden digits; expected at least "
               f"{DIGITS_MIN_ACCURACY}. Check the softmax and the cross-entropy (one-hot labels).")


# -- q5 -----------------------------------------------------------------------------------
def _autoencoder_forward(params: list[np.ndarray], X: np.ndarray) -> np.ndarray:
    W1, b1, W2, b2 = params
    return _sigmoid(np.tanh(X @ W1 + b1) @ W2 + b2)


@checks("q5", fr="`AutoEncoder(encoder, decoder)` : forward = decoder(encoder(X)), passes arrière à travers les deux.",
        en="`AutoEncoder(encoder, decoder)`: forward = decoder(encoder(X)), backward passes through both.")
def check_autoencoder_composes_encoder_and_decoder(obs, ctx):
    _need(obs, "AutoEncoder")
    rng = ctx.rng("autoencoder")
    params = _mlp_params(rng, (6, 3, 6))
    X, delta = rng.uniform(0, 1, size=(4, 6)), rng.normal(size=(4, 6))
    out, outputs, grads, dx, after, zeros = _probe(obs, """
        def main():
            enc_l, dec_l = TLinear(W1, b1), TLinear(W2, b2)
            ae = call("AutoEncoder(...)", ns["AutoEncoder"], TSeq(enc_l, TTanH()), TSeq(dec_l, TSigmoid()))
            grads = lambda: [g.copy() for m in (enc_l, dec_l) for g in (m.gW, m.gb)]
            outputs = forward(ae, "AutoEncoder", Xp)
            out = forward(ae, "AutoEncoder", X)
            method(ae, "AutoEncoder", "zero_grad")
            forward(ae, "AutoEncoder", X)
            method(ae, "AutoEncoder", "backward_update_gradient", X, delta)
            g = grads()
            forward(ae, "AutoEncoder", X)
            dx = floats("AutoEncoder.backward_delta", method(ae, "AutoEncoder", "backward_delta", X, delta))
            method(ae, "AutoEncoder", "update_parameters", 0.5)
            after = [p.copy() for m in (enc_l, dec_l) for p in (m.W, m.b)]
            method(ae, "AutoEncoder", "zero_grad")
            return out, outputs, g, dx, after, grads()
    """, X=X, delta=delta, Xp=_perturbed(X), **dict(zip(("W1", "b1", "W2", "b2"), params, strict=True)))
    _close(out, _autoencoder_forward(params, X), "AutoEncoder.forward",
           "Attendu decoder.forward(encoder.forward(X)).", "Expected decoder.forward(encoder.forward(X)).")
    _expect_gradient(dx, _input_gradient(outputs, delta, X.shape, "AutoEncoder"), "AutoEncoder.backward_delta",
                     "le gradient par rapport à l'entrée", "the gradient with respect to the input",
                     "Passez par decoder.backward_delta puis encoder.backward_delta.",
                     "Go through decoder.backward_delta, then encoder.backward_delta.")
    expected = _param_gradients(lambda: float(np.sum(delta * _autoencoder_forward(params, X))), params)
    for k, (f, e) in enumerate(zip(grads, expected, strict=True)):
        part = ("de l'encodeur", "du décodeur")[k // 2]
        _expect_gradient(f, e, "AutoEncoder.backward_update_gradient",
                         f"le gradient des {_LAYER_NAMES[k % 2]} {part}",
                         f"the {('weight', 'bias')[k % 2]} gradient of the {('encoder', 'decoder')[k // 2]}",
                         "Le décodeur reçoit delta et le code ; l'encodeur reçoit le delta rétropropagé par le "
                         "décodeur et X.", "The decoder gets delta and the code; the encoder gets the delta "
                         "propagated back by the decoder and X.")
    for p, g, a in zip(params, grads, after, strict=True):
        if not np.allclose(_floats(a), p - 0.5 * _floats(g), rtol=1e-9, atol=1e-12):
            raise fail("`AutoEncoder.update_parameters(0.5)` ne met pas à jour l'encodeur et le décodeur.",
                       "`AutoEncoder.update_parameters(0.5)` does not update both the encoder and the decoder.")
    if any(np.any(_floats(z) != 0) for z in zeros):
        raise fail("Après `AutoEncoder.zero_grad()`, un gradient de l'encodeur ou du décodeur n'est pas nul.",
                   "After `AutoEncoder.zero_grad()`, a gradient of the encoder or decoder is not zero.")


_AE_RETRAIN = """
def main():
    rng = np.random.default_rng(seed)
    enc = TSeq(TLinear.random(64, 16, rng), TTanH())
    dec = TSeq(TLinear.random(16, 64, rng), TSigmoid())
    ae = Named(call("AutoEncoder(...)", ns["AutoEncoder"], enc, dec), "AutoEncoder")
    train(ae, TMSE(), X, X, 16, 30, 0.02, seed)
    return ae.forward(X_test)
"""


@checks("q5", weight=1.5, fr=f"`autoencoder` reconstruit des chiffres cachés (erreur par pixel ≤ {AE_MAX_ERROR}).",
        en=f"`autoencoder` reconstructs hidden digits (error per pixel ≤ {AE_MAX_ERROR}).")
def check_autoencoder_reconstructs_held_out_digits(obs, ctx):
    _need(obs, "autoencoder")
    X, _ = _digits()
    X_train, X_test = X[:1500], X[1500:]
    seed = int(ctx.rng("autoencoder-init").integers(0, 2**31 - 1))

    def error(own: bool) -> float:
        if own:
            rec = _floats(_probe(obs, """
                def main():
                    return forward(ns["autoencoder"], "autoencoder", X_test)
            """, X_test=X_test))
        else:
            _need(obs, "AutoEncoder")
            rec = _floats(_probe(obs, _AE_RETRAIN, timeout=90, seed=seed, X=X_train, X_test=X_test))
        _shape(rec, X_test.shape, "autoencoder.forward", f"sur {len(X_test)} chiffres de forme (64,)",
               f"on {len(X_test)} digits of shape (64,)")
        return float(np.mean((rec - X_test) ** 2))

    passed, err, fixed, faulty = _learned(obs, ctx, error, lambda e: e <= AE_MAX_ERROR,
                                          ("MSELoss", "Linear", "TanH", "Sigmoide", "ReLU", "Sequentiel", "Optim",
                                           "SGD"), ("autoencoder",))
    if passed and fixed is None:
        return Message(f"Erreur de reconstruction par pixel sur {len(X_test)} chiffres cachés : {err:.4f}.",
                       f"Reconstruction error per pixel on {len(X_test)} hidden digits: {err:.4f}.")
    if passed:
        fr, en = _charged_elsewhere(faulty)
        shown = "?" if err is None else f"{err:.4f}"
        return Message(f"Votre `autoencoder` reconstruit avec une erreur de {shown} par pixel ; avec des "
                       f"couches et une SGD correctes, votre classe AutoEncoder atteint {fixed:.4f} : {fr}.",
                       f"Your `autoencoder` reconstructs with an error of {shown} per pixel; with correct "
                       f"layers and SGD, your AutoEncoder class reaches {fixed:.4f}: {en}.")
    err = fixed if err is None else err
    raise fail(f"`autoencoder` : erreur de reconstruction par pixel {err:.4f} sur {len(X_test)} chiffres cachés ; "
               f"attendu au plus {AE_MAX_ERROR} (l'image moyenne donne 0.074). Entraînez-le plus longtemps sur "
               "X_train, dans [0, 1], avec un code de dimension 16 et une Sigmoide en sortie.",
               f"`autoencoder`: reconstruction error per pixel {err:.4f} on {len(X_test)} hidden digits; expected "
               f"at most {AE_MAX_ERROR} (the mean image gives 0.074). Train it longer on X_train, in [0, 1], with a "
               "16-dimensional code and a Sigmoide output.")


@checks("q5", weight=0.5, fr="`encoder` donne des codes latents plus petits que l'image, que `decoder` reconstruit "
        "comme `autoencoder`.", en="`encoder` gives latent codes smaller than the image, which `decoder` turns "
        "back as `autoencoder` does.")
def check_encoder_gives_latent_codes(obs, ctx):
    _need(obs, "encoder", "decoder", "autoencoder")
    X_test = _digits()[0][1500:1600]
    codes, back, rec = map(_floats, _probe(obs, """
        def main():
            codes = forward(ns["encoder"], "encoder", X_test)
            return codes, forward(ns["decoder"], "decoder", codes), forward(ns["autoencoder"], "autoencoder", X_test)
    """, X_test=X_test))
    if codes.ndim != 2 or codes.shape[0] != len(X_test) or not 1 <= codes.shape[1] < 64:
        raise fail(f"`encoder.forward` sur {len(X_test)} chiffres donne la forme {codes.shape} ; attendu "
                   f"({len(X_test)}, k) avec k < 64 (16 dans l'énoncé).",
                   f"`encoder.forward` on {len(X_test)} digits gives shape {codes.shape}; expected "
                   f"({len(X_test)}, k) with k < 64 (16 in the instructions).")
    # how well the codes serve is the reconstruction check's business: here, only what they are
    if back.shape != rec.shape or not np.allclose(back, rec, rtol=1e-4, atol=1e-5, equal_nan=True):
        raise fail("`decoder.forward(encoder.forward(X))` diffère de `autoencoder.forward(X)` : `autoencoder` doit "
                   "être fait de vos `encoder` et `decoder` (les mêmes objets, entraînés ensemble).",
                   "`decoder.forward(encoder.forward(X))` differs from `autoencoder.forward(X)`: `autoencoder` must "
                   "be made of your `encoder` and `decoder` (the same objects, trained together).")
    return Message(f"Codes latents de dimension {codes.shape[1]}.", f"Latent codes of size {codes.shape[1]}.")


# -- q6 -----------------------------------------------------------------------------------
def _conv_expected(X: np.ndarray, kernel: np.ndarray, bias: np.ndarray, stride: int) -> np.ndarray:
    k = kernel.shape[0]
    n_out = (X.shape[1] - k) // stride + 1
    windows = np.stack([X[:, t * stride:t * stride + k, :] for t in range(n_out)], axis=1)
    return np.einsum("btkc,kco->bto", windows, kernel) + bias


def _basis(k: int, chan_in: int) -> np.ndarray:
    """The zero window, then each unit window: a linear module's responses give its kernel."""
    basis = np.zeros((k * chan_in + 1, k, chan_in))
    basis[1:].reshape(k * chan_in, -1)[np.arange(k * chan_in), np.arange(k * chan_in)] = 1.0
    return basis


def _kernel(responses: Any, k: int, chan_in: int, chan_out: int) -> tuple[np.ndarray, np.ndarray]:
    out = _floats(responses)
    _shape(out, (k * chan_in + 1, 1, chan_out), "Conv1D.forward",
           f"sur un lot de fenêtres de longueur k_size={k}", f"on a batch of windows of length k_size={k}")
    return (out[1:, 0, :] - out[0, 0, :]).reshape(k, chan_in, chan_out), out[0, 0, :]


_CONV_CASES = ((3, 2, 4, 1, 10), (3, 2, 4, 2, 11), (4, 1, 2, 3, 13), (2, 3, 1, 2, 8))


@checks("q6", fr="`Conv1D` : forme de sortie (batch, (longueur - k_size) // stride + 1, chan_out), stride > 1 compris.",
        en="`Conv1D`: output shape (batch, (length - k_size) // stride + 1, chan_out), stride > 1 included.")
def check_conv1d_output_shapes(obs, ctx):
    _need(obs, "Conv1D")
    rng = ctx.rng("conv-shapes")
    inputs = [rng.normal(size=(2, length, c_in)) for _, c_in, _, _, length in _CONV_CASES]
    shapes = _probe(obs, """
        def main():
            shapes = []
            for (k, c_in, c_out, stride, _), X in zip(cases, inputs):
                m = new(ns, "Conv1D", int(k), int(c_in), int(c_out), int(stride))
                shapes.append(np.array(forward(m, "Conv1D", X).shape))
            return shapes
    """, cases=np.array(_CONV_CASES), inputs=inputs)
    for (k, c_in, c_out, stride, length), shape in zip(_CONV_CASES, shapes, strict=True):
        expected = (2, (length - k) // stride + 1, c_out)
        found = tuple(int(s) for s in np.asarray(shape).reshape(-1))
        if found != expected:
            raise fail(f"`Conv1D({k}, {c_in}, {c_out}, stride={stride}).forward` sur une entrée (2, {length}, {c_in}) "
                       f"donne la forme {found} ; attendu {expected} = (batch, (longueur - k_size) // stride + 1, "
                       "chan_out).",
                       f"`Conv1D({k}, {c_in}, {c_out}, stride={stride}).forward` on an input (2, {length}, {c_in}) "
                       f"gives shape {found}; expected {expected} = (batch, (length - k_size) // stride + 1, "
                       "chan_out).")


@checks("q6", requires=("check_conv1d_output_shapes",),
        fr="`Conv1D(3, 2, 4, stride=2)` : chaque sortie est le produit d'une fenêtre par les filtres (+ biais).",
        en="`Conv1D(3, 2, 4, stride=2)`: each output is a window times the filters (+ bias).")
def check_conv1d_forward_values(obs, ctx):
    X = ctx.rng("conv-values").normal(size=(2, 11, 2))
    responses, out = _probe(obs, """
        def main():
            m = new(ns, "Conv1D", 3, 2, 4, 2)
            return forward(m, "Conv1D", basis), forward(m, "Conv1D", X)
    """, basis=_basis(3, 2), X=X)
    kernel, bias = _kernel(responses, 3, 2, 4)
    _close(out, _conv_expected(X, kernel, bias, 2), "Conv1D.forward",
           "La sortie t doit combiner la fenêtre X[:, t*stride : t*stride + k_size, :].",
           "Output t must combine the window X[:, t*stride : t*stride + k_size, :].")


@checks("q6", weight=1.5, requires=("check_conv1d_output_shapes",),
        fr="`Conv1D` (stride 2) : `backward_delta` et gradient des filtres (différences finies).",
        en="`Conv1D` (stride 2): `backward_delta` and filter gradient (finite differences).")
def check_conv1d_gradients(obs, ctx):
    rng = ctx.rng("conv-gradients")
    X, delta = rng.normal(size=(2, 9, 2)), rng.normal(size=(2, 4, 3))
    before, outputs, dx, after = _probe(obs, """
        def main():
            m = new(ns, "Conv1D", 3, 2, 3, 2)
            before = forward(m, "Conv1D", basis)
            outputs = forward(m, "Conv1D", Xp)
            forward(m, "Conv1D", X)
            dx = floats("Conv1D.backward_delta", method(m, "Conv1D", "backward_delta", X, delta))
            method(m, "Conv1D", "zero_grad")
            forward(m, "Conv1D", X)
            method(m, "Conv1D", "backward_update_gradient", X, delta)
            method(m, "Conv1D", "update_parameters", 0.5)
            return before, outputs, dx, forward(m, "Conv1D", basis)
    """, basis=_basis(3, 2), X=X, delta=delta, Xp=_perturbed(X))
    e1 = _expect_gradient(dx, _input_gradient(outputs, delta, X.shape, "Conv1D"), "Conv1D.backward_delta",
                          "le gradient par rapport à l'entrée", "the gradient with respect to the input",
                          "Chaque entrée reçoit la somme des contributions de toutes les fenêtres qui la contiennent.",
                          "Each input gets the sum of the contributions of all windows that contain it.")
    (k0, b0), (k1, b1) = _kernel(before, 3, 2, 3), _kernel(after, 3, 2, 3)
    windows = np.stack([X[:, 2 * t:2 * t + 3, :] for t in range(4)], axis=1)
    e2 = _expect_gradient((k0 - k1) / 0.5, np.einsum("btkc,bto->kco", windows, delta),
                          "Conv1D.backward_update_gradient", "le gradient des filtres", "the filter gradient",
                          "Attendu la somme, sur le lot et les positions, de fenêtre ⊗ delta.",
                          "Expected the sum, over batch and positions, of window ⊗ delta.")
    if np.max(np.abs(b0)) > 1e-12 or np.max(np.abs(b1 - b0)) > 1e-12:  # the bias is optional
        _expect_gradient((b0 - b1) / 0.5, delta.sum(axis=(0, 1)), "Conv1D.backward_update_gradient",
                         "le gradient du biais", "the bias gradient", "Attendu delta.sum(axis=(0, 1)).")
    return Message(f"Erreurs relatives : entrée {e1:.1e}, filtres {e2:.1e}.",
                   f"Relative errors: input {e1:.1e}, filters {e2:.1e}.")


@checks("q6", fr="`MaxPool1D` : formes (stride par défaut = k_size), maxima par fenêtre et `backward_delta`.",
        en="`MaxPool1D`: shapes (default stride = k_size), window maxima and `backward_delta`.")
def check_maxpool1d(obs, ctx):
    _need(obs, "MaxPool1D")
    rng = ctx.rng("maxpool")
    X = (rng.permutation(36).reshape(2, 9, 2) * 0.05 + rng.uniform(0, 0.01, size=(2, 9, 2))) - 0.9
    delta = rng.normal(size=(2, 4, 2))
    default, other, out, outputs, dx = _probe(obs, """
        def main():
            default = forward(new(ns, "MaxPool1D", 2), "MaxPool1D", X).shape
            other = forward(new(ns, "MaxPool1D", 3, 1), "MaxPool1D", X).shape
            m = new(ns, "MaxPool1D", 3, 2)
            out = forward(m, "MaxPool1D", X)
            outputs = forward(m, "MaxPool1D", Xp)
            forward(m, "MaxPool1D", X)
            dx = floats("MaxPool1D.backward_delta", method(m, "MaxPool1D", "backward_delta", X, delta))
            return np.array(default), np.array(other), out, outputs, dx
    """, X=X, delta=delta, Xp=_perturbed(X))
    for label, shape, expected in (("MaxPool1D(2)", default, (2, 4, 2)), ("MaxPool1D(3, 1)", other, (2, 7, 2))):
        found = tuple(int(s) for s in np.asarray(shape).reshape(-1))
        if found != expected:
            raise fail(f"`{label}.forward` sur une entrée (2, 9, 2) donne la forme {found} ; attendu {expected} "
                       "(longueur (9 - k_size) // stride + 1 ; stride vaut k_size par défaut).",
                       f"`{label}.forward` on an input (2, 9, 2) gives shape {found}; expected {expected} "
                       "(length (9 - k_size) // stride + 1; stride defaults to k_size).")
    expected = np.stack([X[:, 2 * t:2 * t + 3, :].max(axis=1) for t in range(4)], axis=1)
    _close(out, expected, "MaxPool1D(3, 2).forward", "Le maximum de chaque fenêtre, canal par canal.",
           "The maximum of each window, channel by channel.")
    _expect_gradient(dx, _input_gradient(outputs, delta, X.shape, "MaxPool1D"), "MaxPool1D.backward_delta",
                     "le gradient par rapport à l'entrée", "the gradient with respect to the input",
                     "delta va au maximum de chaque fenêtre (et s'additionne si deux fenêtres partagent ce maximum).",
                     "delta goes to each window's maximum (adding up when two windows share it).")


@checks("q6", weight=0.5, fr="`Flatten` : (batch, longueur, canaux) → (batch, longueur × canaux), et retour.",
        en="`Flatten`: (batch, length, channels) → (batch, length × channels), and back.")
def check_flatten(obs, ctx):
    _need(obs, "Flatten")
    rng = ctx.rng("flatten")
    X, delta = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 12))
    out, outputs, dx = _probe(obs, """
        def main():
            m = new(ns, "Flatten")
            out = forward(m, "Flatten", X)
            outputs = forward(m, "Flatten", Xp)
            forward(m, "Flatten", X)
            return out, outputs, floats("Flatten.backward_delta", method(m, "Flatten", "backward_delta", X, delta))
    """, X=X, delta=delta, Xp=_perturbed(X))
    out = _floats(out)
    _shape(out, (2, 12), "Flatten.forward", "sur une entrée (2, 4, 3)", "on an input (2, 4, 3)")
    if not np.allclose(np.sort(out, axis=1), np.sort(X.reshape(2, -1), axis=1)):
        raise fail("`Flatten.forward` ne garde pas les valeurs de chaque exemple.",
                   "`Flatten.forward` does not keep each example's values.")
    _expect_gradient(dx, _input_gradient(outputs, delta, X.shape, "Flatten"), "Flatten.backward_delta",
                     "le gradient par rapport à l'entrée", "the gradient with respect to the input",
                     "Remettez delta à la forme de l'entrée (delta.reshape(input.shape)).",
                     "Reshape delta to the input's shape (delta.reshape(input.shape)).")
