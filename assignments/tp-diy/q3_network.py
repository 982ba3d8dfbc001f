"""q3: `Sequentiel`, `Optim.step` and `SGD`'s epochs, each observed with correct modules around it.

The nets are made of the probe library's `TLinear`, `TTanH`, `TMSE`, so that a mistake in
the student's `Linear` or activations is charged to q1 or q2 only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.judge.checks import fail
from grader.judge.expect import relative_error
from grader.model import Message

from .common import _close, _floats, _need, _probe, _shape, checks
from .fd import GRAD_TOL, _expect_gradient, _input_gradient, _param_gradients, _perturbed


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
