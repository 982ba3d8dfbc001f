"""q3: `Sequentiel`, `Optim.step` and `SGD`'s epochs, each built from the student's own modules.

A container may call its modules or read the fields its own `Linear` keeps: its nets are made
of the student's `Linear`, `TanH`, `MSELoss` (and `Sequentiel` for `Optim` and `SGD`), their
parameters and gradients observed through the modules' own forward and update. Only a module
that fails its own checks is swapped for a correct stand-in (`parts.with_parts`), so that its
mistake is charged to q1 or q2 only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks import NO_HINT, Message, fail, relative_error

from . import probes
from .common import _close, _floats, _need, _run, _shape, checks
from .fd import GRAD_TOL, _expect_gradient, _input_gradient, _param_gradients, _perturbed
from .parts import with_parts


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


def _linear_params(params: Any, sizes: tuple[tuple[int, int], ...]) -> list[np.ndarray]:
    """Observed (W, b) of `Linear(d_in, d_out)` for each size, as floats of the right shapes: a module
    that answers otherwise is the student's answer (a failure), never our crash."""
    params = [_floats(p) for p in params]
    for k, (d_in, d_out) in enumerate(sizes):
        W, b = params[2 * k], params[2 * k + 1]
        if W.shape != (d_in, d_out) or b.shape != (d_out,):
            raise fail(f"`Linear({d_in}, {d_out}).forward` ne donne pas des sorties de taille {d_out} (poids vus de "
                       f"forme {W.shape}, attendu {(d_in, d_out)}).",
                       f"`Linear({d_in}, {d_out}).forward` does not give outputs of size {d_out} (weights seen with "
                       f"shape {W.shape}, expected {(d_in, d_out)}).")
    return params


def _held_gradients(held: Any) -> list[np.ndarray]:
    """Gradients from `held(...)` observations: (W, b) before the module's own update minus after."""
    grads = []
    for W0, b0, W1, b1 in held:
        grads += [_floats(W0) - _floats(W1), _floats(b0) - _floats(b1)]
    return grads


_SEQ_PARTS = ("Linear", "TanH")
_SEQ_TEXT = "pour Linear(4, 6), TanH, Linear(6, 5), TanH, Linear(5, 3)"


@checks("q3", weight=1.5, fr="`Sequentiel` d'un réseau à 3 couches : sortie et gradients (différences finies).",
        en="`Sequentiel` of a 3-layer net: output and gradients (finite differences).")
def check_sequentiel_end_to_end_gradients(obs, ctx):
    _need(obs, "Sequentiel")
    rng = ctx.rng("sequentiel")
    X, delta = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    seed = int(rng.integers(0, 2**31 - 1))

    def attempt(swap: tuple[str, ...]) -> Message:
        params, out, outputs, dx, params2, held = _run(obs, probes.sequentiel_gradients, swap=list(swap), seed=seed,
                                                       X=X, delta=delta, Xp=_perturbed(X))
        sizes = ((4, 6), (6, 5), (5, 3))
        params, params2 = _linear_params(params, sizes), _linear_params(params2, sizes)
        out = _floats(out)
        _shape(out, (5, 3), "Sequentiel.forward", _SEQ_TEXT, "for Linear(4, 6), TanH, Linear(6, 5), TanH, Linear(5, 3)")
        _close(out, _mlp(params, X), "Sequentiel.forward", "Appliquez les modules dans l'ordre, chacun à la sortie "
               "du précédent.", "Apply the modules in order, each to the previous one's output.")
        e1 = _expect_gradient(dx, _input_gradient(outputs, delta, X.shape, "Sequentiel"),
                              "Sequentiel.backward_delta", "le gradient par rapport à l'entrée",
                              "the gradient with respect to the input",
                              "Parcourez les modules à l'envers ; chacun reçoit son entrée du forward.",
                              "Go through the modules backwards; each gets its input from the forward pass.")
        expected = _param_gradients(lambda: float(np.sum(delta * _mlp(params2, X))), params2)
        e2 = _expect_layer_gradients(_held_gradients(held), expected, "Sequentiel.backward_update_gradient")
        return Message(f"Erreurs relatives : entrée {e1:.1e}, paramètres {e2:.1e}.",
                       f"Relative errors: input {e1:.1e}, parameters {e2:.1e}.")

    return with_parts(obs, ctx, _SEQ_PARTS, attempt)


UPDATE_TOL = 1e-4  # parameters observed through forward: float32 code is ~1e-7 off, a wrong update far more


@checks("q3", weight=0.5, fr="`Sequentiel.zero_grad` et `update_parameters` atteignent tous les modules.",
        en="`Sequentiel.zero_grad` and `update_parameters` reach every module.")
def check_sequentiel_zero_grad_and_update(obs, ctx):
    _need(obs, "Sequentiel")
    rng = ctx.rng("sequentiel-update")
    sizes = (4, 6, 5, 3)
    XS = [rng.normal(size=(4, d)) for d in sizes[:-1]]
    DS = [rng.normal(size=(4, d)) for d in sizes[1:]]
    G = [g for x, d in zip(XS, DS, strict=True) for g in (x.T @ d, d.sum(axis=0))]
    seed = int(rng.integers(0, 2**31 - 1))

    def attempt(swap: tuple[str, ...]) -> None:
        params, after, held = _run(obs, probes.sequentiel_update, swap=list(swap), seed=seed, XS=XS, DS=DS)
        for k, (p, g, a) in enumerate(zip(params, G, after, strict=True)):
            moved = _floats(p) - _floats(a)
            if moved.shape != g.shape or relative_error(moved, 0.5 * g) > UPDATE_TOL:
                raise fail(f"`Sequentiel.update_parameters(0.5)` ne met pas à jour le Linear n° {k // 2 + 1} "
                           "comme attendu : appelez `update_parameters(gradient_step)` de chaque module.",
                           f"`Sequentiel.update_parameters(0.5)` does not update Linear number {k // 2 + 1} as "
                           "expected: call each module's `update_parameters(gradient_step)`.")
        for k, z in enumerate(_held_gradients(held)):
            if np.any(np.abs(z) > 1e-9):
                raise fail(f"Après `Sequentiel.zero_grad()`, le gradient du Linear n° {k // 2 + 1} n'est pas nul : "
                           "appelez `zero_grad()` de chaque module.",
                           f"After `Sequentiel.zero_grad()`, the gradient of Linear number {k // 2 + 1} is not "
                           "zero: call each module's `zero_grad()`.")

    return with_parts(obs, ctx, _SEQ_PARTS, attempt)


def _loss_scale(found: Any, y: np.ndarray, yhat: np.ndarray) -> float:
    """The student's squared loss is the sum over outputs or its mean (both accepted in q1): its factor."""
    sums = np.sum((y - yhat) ** 2, axis=1)
    found = _floats(found).reshape(-1)
    if found.shape != sums.shape:
        return 1.0
    return float(found @ sums / (sums @ sums))


@checks("q3", fr="`Optim.step` : perte moyenne du lot, pas de gradient, gradients remis à zéro.",
        en="`Optim.step`: batch mean loss, one gradient step, gradients reset.")
def check_optim_step(obs, ctx):
    _need(obs, "Optim")
    rng = ctx.rng("optim")
    X, Y, eps = rng.normal(size=(6, 3)), rng.normal(size=(6, 2)), 0.05
    Yq, Yhatq = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    seed = int(rng.integers(0, 2**31 - 1))

    def attempt(swap: tuple[str, ...]) -> None:
        scale, params, l1, p1, _, p2 = _run(obs, probes.optim_steps, swap=list(swap), seed=seed, X=X, Y=Y, eps=eps,
                                            Yq=Yq, Yhatq=Yhatq)
        c = _loss_scale(scale, Yq, Yhatq)
        params, p1, p2 = (_linear_params(ps, ((3, 4), (4, 2))) for ps in (params, p1, p2))
        _check_optim_moves(params, p1, p2, l1, X, Y, eps, c)

    return with_parts(obs, ctx, ("Linear", "TanH", "Sequentiel", "MSELoss"), attempt)


def _check_optim_moves(params: list[np.ndarray], p1: list[np.ndarray], p2: list[np.ndarray], l1: Any,
                       X: np.ndarray, Y: np.ndarray, eps: float, c: float) -> None:
    """Two `Optim.step` calls from `params` with a squared loss of factor `c`: the loss returned, both steps."""
    def grads(ps: list[np.ndarray]) -> list[np.ndarray]:
        ps = [p.copy() for p in ps]
        return _param_gradients(lambda: c * float(np.sum((Y - _mlp(ps, X)) ** 2)), ps)

    expected_loss = c * float(np.mean(np.sum((Y - _mlp(params, X)) ** 2, axis=1)))
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
        hint = Message(" Vous divisez le pas par la taille du lot : le gradient est celui de la somme et le pas "
                       "est eps.", " You divide the step by the batch size: the gradient is the sum's and the step "
                       "is eps.") if per_example else NO_HINT
        raise fail(f"`Optim.step` : les paramètres bougent de façon inattendue (erreur relative "
                   f"{relative_error(moved, step):.2g} par rapport à -eps × gradient). Enchaînez zero_grad, "
                   f"forward, loss.backward, net.backward_update_gradient, net.update_parameters(eps).{hint.fr}",
                   f"`Optim.step`: the parameters move unexpectedly (relative error {relative_error(moved, step):.2g} "
                   "against -eps × gradient). Chain zero_grad, forward, loss.backward, "
                   f"net.backward_update_gradient, net.update_parameters(eps).{hint.en}")
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
    X = rng.normal(size=(n, 3))
    # all targets different (well apart, growing with a linear function of X): a target names its example
    Y = np.empty((n, 1))
    Y[np.argsort(X @ rng.normal(size=3)), 0] = np.linspace(-1.5, 1.5, n)
    seed = int(rng.integers(0, 2**31 - 1))
    call_fr = f"`SGD(net, loss, X, Y, batch_size={batch_size}, n_iter={epochs})` sur {n} exemples"
    call_en = f"`SGD(net, loss, X, Y, batch_size={batch_size}, n_iter={epochs})` on {n} examples"

    def attempt(swap: tuple[str, ...]) -> None:
        targets, losses = _run(obs, probes.sgd_batches, swap=list(swap), seed=seed, X=X, Y=Y, batch_size=batch_size,
                               epochs=epochs)
        batches = []
        for t in targets:
            t = _floats(t).reshape(-1)
            far = np.abs(t[:, None] - Y[None, :, 0])
            if t.size and not np.all(far.min(axis=1) <= 1e-4):
                raise fail(f"{call_fr} : `loss.backward` reçoit des cibles qui ne sont pas des lignes de Y.",
                           f"{call_en}: `loss.backward` gets targets that are not rows of Y.")
            batches.append(far.argmin(axis=1) if t.size else np.zeros(0, dtype=np.int64))
        _expect_epochs(batches, losses, n, batch_size, epochs, call_fr, call_en)

    return with_parts(obs, ctx, ("Linear", "Sequentiel", "MSELoss"), attempt)


def _expect_epochs(batches: list[np.ndarray], losses: Any, n: int, batch_size: int, epochs: int, call_fr: str,
                   call_en: str) -> None:
    """The examples each training step saw, epoch after epoch, and the losses `SGD` returned."""
    if not batches:
        raise fail(f"{call_fr} n'appelle jamais `loss.backward` : aucune étape d'apprentissage.",
                   f"{call_en} never calls `loss.backward`: no training step.")
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
