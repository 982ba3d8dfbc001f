"""q5: `AutoEncoder(encoder, decoder)` and the student's trained `autoencoder` on the digits."""

from __future__ import annotations

import numpy as np

from grader.checks import CheckFailed, Message, Status, fail, relative_error

from . import probes
from .common import _close, _digits, _floats, _need, _run, _shape, _sigmoid, checks
from .fd import _expect_gradient, _input_gradient, _param_gradients, _perturbed
from .learning import learning_verdict
from .parts import faults, skipped, with_parts
from .q3_network import _LAYER_NAMES, UPDATE_TOL, _held_gradients, _linear_params

AE_MAX_ERROR = 0.03  # per pixel; reference 0.015, mean image 0.074, a 16-component PCA 0.012


def _autoencoder_forward(params: list[np.ndarray], X: np.ndarray) -> np.ndarray:
    W1, b1, W2, b2 = params
    return _sigmoid(np.tanh(X @ W1 + b1) @ W2 + b2)


_AE_PARTS = ("Linear", "TanH", "Sigmoide", "Sequentiel")


@checks("q5", fr="`AutoEncoder(encoder, decoder)` : forward = decoder(encoder(X)), passes arrière à travers les deux.",
        en="`AutoEncoder(encoder, decoder)`: forward = decoder(encoder(X)), backward passes through both.")
def check_autoencoder_composes_encoder_and_decoder(obs, ctx):
    """Built from the student's own `Sequentiel(Linear(6, 3), TanH())` and `Sequentiel(Linear(3, 6), Sigmoide())`;
    parameters and gradients seen through the linears' own forward and update."""
    _need(obs, "AutoEncoder")
    rng = ctx.rng("autoencoder")
    X, delta = rng.uniform(0, 1, size=(4, 6)), rng.normal(size=(4, 6))
    XS, DS = [rng.normal(size=(4, 6)), rng.normal(size=(4, 3))], [rng.normal(size=(4, 3)), rng.normal(size=(4, 6))]
    G = [g for x, d in zip(XS, DS, strict=True) for g in (x.T @ d, d.sum(axis=0))]
    seed = int(rng.integers(0, 2**31 - 1))

    def attempt(swap: tuple[str, ...]) -> None:
        params, out, outputs, dx, params2, held, params3, after, zeros = _run(
            obs, probes.autoencoder_composition, swap=list(swap), seed=seed, X=X, delta=delta, Xp=_perturbed(X),
            XS=XS, DS=DS)
        params, params2, params3 = (_linear_params(ps, ((6, 3), (3, 6))) for ps in (params, params2, params3))
        _close(out, _autoencoder_forward(params, X), "AutoEncoder.forward",
               "Attendu decoder.forward(encoder.forward(X)).", "Expected decoder.forward(encoder.forward(X)).")
        _expect_gradient(dx, _input_gradient(outputs, delta, X.shape, "AutoEncoder"), "AutoEncoder.backward_delta",
                         "le gradient par rapport à l'entrée", "the gradient with respect to the input",
                         "Passez par decoder.backward_delta puis encoder.backward_delta.",
                         "Go through decoder.backward_delta, then encoder.backward_delta.")
        expected = _param_gradients(lambda: float(np.sum(delta * _autoencoder_forward(params2, X))), params2)
        for k, (f, e) in enumerate(zip(_held_gradients(held), expected, strict=True)):
            part = ("de l'encodeur", "du décodeur")[k // 2]
            _expect_gradient(f, e, "AutoEncoder.backward_update_gradient",
                             f"le gradient des {_LAYER_NAMES[k % 2]} {part}",
                             f"the {('weight', 'bias')[k % 2]} gradient of the {('encoder', 'decoder')[k // 2]}",
                             "Le décodeur reçoit delta et le code ; l'encodeur reçoit le delta rétropropagé par le "
                             "décodeur et X.", "The decoder gets delta and the code; the encoder gets the delta "
                             "propagated back by the decoder and X.")
        for p, g, a in zip(params3, G, after, strict=True):
            moved = p - _floats(a)
            if moved.shape != g.shape or relative_error(moved, 0.5 * g) > UPDATE_TOL:
                raise fail("`AutoEncoder.update_parameters(0.5)` ne met pas à jour l'encodeur et le décodeur.",
                           "`AutoEncoder.update_parameters(0.5)` does not update both the encoder and the decoder.")
        if any(np.any(np.abs(z) > 1e-9) for z in _held_gradients(zeros)):
            raise fail("Après `AutoEncoder.zero_grad()`, un gradient de l'encodeur ou du décodeur n'est pas nul.",
                       "After `AutoEncoder.zero_grad()`, a gradient of the encoder or decoder is not zero.")

    return with_parts(obs, ctx, _AE_PARTS, attempt)


@checks("q5", weight=1.5, fr=f"`autoencoder` reconstruit des chiffres cachés (erreur par pixel ≤ {AE_MAX_ERROR}).",
        en=f"`autoencoder` reconstructs hidden digits (error per pixel ≤ {AE_MAX_ERROR}).")
def check_autoencoder_reconstructs_held_out_digits(obs, ctx):
    _need(obs, "autoencoder")
    X, _ = _digits()
    X_train, X_test = X[:1500], X[1500:]
    seed = int(ctx.rng("autoencoder-init").integers(0, 2**31 - 1))

    def error(swap: tuple[str, ...]) -> float:
        if not swap:
            rec = _floats(_run(obs, probes.reconstruction, X_test=X_test))
        else:
            _need(obs, "AutoEncoder")
            rec = _floats(_run(obs, probes.autoencoder_retrained, timeout=90, swap=list(swap), seed=seed, X=X_train,
                               X_test=X_test))
        _shape(rec, X_test.shape, "autoencoder.forward", f"sur {len(X_test)} chiffres de forme (64,)",
               f"on {len(X_test)} digits of shape (64,)")
        return float(np.mean((rec - X_test) ** 2))

    def short(own: float | None, fixed: float | None) -> Message:
        err = fixed if own is None else own
        return Message(f"`autoencoder` : erreur de reconstruction par pixel {err:.4f} sur {len(X_test)} chiffres "
                       f"cachés ; attendu au plus {AE_MAX_ERROR} (l'image moyenne donne 0.074). Entraînez-le plus "
                       "longtemps sur X_train, dans [0, 1], avec un code de dimension 16 et une Sigmoide en sortie.",
                       f"`autoencoder`: reconstruction error per pixel {err:.4f} on {len(X_test)} hidden digits; "
                       f"expected at most {AE_MAX_ERROR} (the mean image gives 0.074). Train it longer on X_train, in "
                       "[0, 1], with a 16-dimensional code and a Sigmoide output.")

    return learning_verdict(
        obs, ctx, error, lambda e: e <= AE_MAX_ERROR,
        ("MSELoss", "Linear", "TanH", "Sigmoide", "ReLU", "Sequentiel", "Optim", "SGD"), ("autoencoder",),
        fmt=".4f", short=short,
        helped=lambda shown, fixed, _: Message(
            f"Votre `autoencoder` reconstruit avec une erreur de {shown} par pixel ; avec des couches et une SGD "
            f"correctes, votre classe AutoEncoder atteint {fixed:.4f}", f"Your `autoencoder` reconstructs with an "
            f"error of {shown} per pixel; with correct layers and SGD, your AutoEncoder class reaches {fixed:.4f}"),
        alone=lambda err: Message(f"Erreur de reconstruction par pixel sur {len(X_test)} chiffres cachés : {err:.4f}.",
                                  f"Reconstruction error per pixel on {len(X_test)} hidden digits: {err:.4f}."))


@checks("q5", weight=0.5, fr="`encoder` donne des codes latents plus petits que l'image, que `decoder` reconstruit "
        "comme `autoencoder`.", en="`encoder` gives latent codes smaller than the image, which `decoder` turns "
        "back as `autoencoder` does.")
def check_encoder_gives_latent_codes(obs, ctx):
    _need(obs, "encoder", "decoder", "autoencoder")
    try:
        return _latent_codes(obs)
    except CheckFailed as e:  # the student's objects are made of their modules: a faulty one is charged elsewhere
        if e.status in (Status.FAILED, Status.ERROR):
            bad = faults(obs, ctx, ("Linear", "TanH", "Sigmoide", "ReLU", "Sequentiel"))
            if bad:
                raise skipped(bad, e.message, e.details, with_own=True) from None
        raise


def _latent_codes(obs) -> Message:
    X_test = _digits()[0][1500:1600]
    codes, back, rec = map(_floats, _run(obs, probes.latent_codes, X_test=X_test))
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
