"""q6: the 1-D convolution layers `Conv1D`, `MaxPool1D` and `Flatten`.

A `Conv1D`'s kernel is read from its responses to the zero window and the unit windows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from grader.checks import Message, fail

from . import probes
from .common import _close, _floats, _need, _run, _shape, checks
from .fd import _expect_gradient, _input_gradient, _perturbed


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
    shapes = _run(obs, probes.conv_shapes, cases=np.array(_CONV_CASES), inputs=inputs)
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
    responses, out = _run(obs, probes.conv_forward, basis=_basis(3, 2), X=X)
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
    before, outputs, dx, after = _run(obs, probes.conv_gradients, basis=_basis(3, 2), X=X, delta=delta,
                                      Xp=_perturbed(X))
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
                         "le gradient du biais", "the bias gradient", "Attendu delta.sum(axis=(0, 1)).",
                         "Expected delta.sum(axis=(0, 1)).")
    return Message(f"Erreurs relatives : entrée {e1:.1e}, filtres {e2:.1e}.",
                   f"Relative errors: input {e1:.1e}, filters {e2:.1e}.")


@checks("q6", fr="`MaxPool1D` : formes (stride par défaut = k_size), maxima par fenêtre et `backward_delta`.",
        en="`MaxPool1D`: shapes (default stride = k_size), window maxima and `backward_delta`.")
def check_maxpool1d(obs, ctx):
    _need(obs, "MaxPool1D")
    rng = ctx.rng("maxpool")
    X = (rng.permutation(36).reshape(2, 9, 2) * 0.05 + rng.uniform(0, 0.01, size=(2, 9, 2))) - 0.9
    delta = rng.normal(size=(2, 4, 2))
    default, other, out, outputs, dx = _run(obs, probes.maxpool, X=X, delta=delta, Xp=_perturbed(X))
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
    out, outputs, dx = _run(obs, probes.input_gradient, name="Flatten", X=X, delta=delta, Xp=_perturbed(X))
    out = _floats(out)
    _shape(out, (2, 12), "Flatten.forward", "sur une entrée (2, 4, 3)", "on an input (2, 4, 3)")
    if not np.allclose(np.sort(out, axis=1), np.sort(X.reshape(2, -1), axis=1)):
        raise fail("`Flatten.forward` ne garde pas les valeurs de chaque exemple.",
                   "`Flatten.forward` does not keep each example's values.")
    _expect_gradient(dx, _input_gradient(outputs, delta, X.shape, "Flatten"), "Flatten.backward_delta",
                     "le gradient par rapport à l'entrée", "the gradient with respect to the input",
                     "Remettez delta à la forme de l'entrée (delta.reshape(input.shape)).",
                     "Reshape delta to the input's shape (delta.reshape(input.shape)).")
