"""Finite differences, held by the judge: perturbed inputs for the probes, gradients from their outputs.

A module's outputs on `_perturbed(x)` give, by central differences, the gradient that its
`backward_delta` must return; `_expect_gradient` compares and names the worst entry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from grader.checks import fail, pair, relative_error

from .common import _floats, _shape

H = 1e-3  # central-difference step: exact enough in float64, still meaningful for float32 code
GRAD_TOL = 1e-2  # a correct gradient is at ~1e-7 of relative error, a wrong one at ~0.1 or more


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
    """Relative error of a gradient; the failure names the method, the gradient and the worst entry
    (the hint in both languages, else ValueError)."""
    hint = pair(hint_fr, hint_en)
    hint_fr, hint_en = hint.fr, hint.en
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


def _away_from_zero(x: np.ndarray, margin: float = 0.1) -> np.ndarray:
    """Inputs clear of ReLU's kink, so that central differences stay exact."""
    return np.where(np.abs(x) < margin, np.sign(x + 1e-12) * (np.abs(x) + 2 * margin), x)
