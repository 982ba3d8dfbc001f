"""q2: the activations `TanH`, `Sigmoide` and `ReLU`, one probe for all three."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from grader.checks import Message

from . import probes
from .common import _close, _floats, _need, _run, _shape, _sigmoid, checks
from .fd import _away_from_zero, _expect_gradient, _input_gradient, _perturbed


def _check_activation(obs, ctx, name: str, formula: Callable[[np.ndarray], np.ndarray], text: str) -> Message:
    _need(obs, name)
    rng = ctx.rng(f"activation-{name}")
    X, delta = _away_from_zero(rng.uniform(-3, 3, size=(4, 5))), rng.normal(size=(4, 5))
    out, outputs, dx, again = map(_floats, _run(obs, probes.activation, name=name, X=X, delta=delta,
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
