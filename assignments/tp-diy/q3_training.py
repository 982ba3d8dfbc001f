"""q3, learning: `Sequentiel` and `SGD` separate a mixture of 4 gaussians.

Registered after `q3_network`'s checks, which it requires.
"""

from __future__ import annotations

import numpy as np

from grader.checks import Message, fail

from . import probes
from .common import _floats, _need, _run, checks
from .learning import learning_verdict

GAUSS_MIN_ACCURACY = 0.95


def _gaussians(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    centers, labels = np.array([[1, 1], [-1, -1], [1, -1], [-1, 1]]), np.array([1.0, 1.0, -1.0, -1.0])
    which = rng.integers(0, 4, n)
    return centers[which] + 0.3 * rng.normal(size=(n, 2)), labels[which].reshape(-1, 1)


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

    net = "Sequentiel(Linear(2, 8), TanH(), Linear(8, 1)), MSELoss, SGD(batch_size=10, n_iter=60, eps=0.01)"
    test_acc: list[float] = []

    def accuracy(swap: tuple[str, ...]) -> float:
        """The best of a few trainings from fresh initialisations; stops at the first good one."""
        best = 0.0
        for attempt in range(GAUSS_TRIES):
            pred, pred_test = (_floats(p).reshape(-1) for p in _run(
                obs, probes.gaussians_fit, timeout=60, swap=list(swap), seed=seed + attempt, X=X, Y=Y, X_test=X_test))
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

    return learning_verdict(
        obs, ctx, accuracy, lambda a: a >= GAUSS_MIN_ACCURACY, ("Linear", "TanH", "MSELoss"),
        ("Linear", "TanH", "MSELoss"), fmt=".3f",
        alone=lambda own: Message(f"{net} : précision {own:.3f} à l'entraînement, {test_acc[-1]:.3f} sur d'autres "
                                  "points.", f"{net}: accuracy {own:.3f} on training points, {test_acc[-1]:.3f} on "
                                  "other points."),
        helped=lambda shown, fixed, names: Message(
            f"Avec vos modules, précision {shown} ; avec {names} corrects à la place des vôtres, votre Sequentiel "
            f"et votre SGD atteignent {fixed:.3f}", f"With your modules, accuracy {shown}; with correct {names} in "
            f"place of yours, your Sequentiel and SGD reach {fixed:.3f}"),
        short=lambda own, fixed: _short_of_gaussians(net, fixed if fixed is not None else (own or 0.0)))


def _short_of_gaussians(net: str, acc: float) -> Message:
    return Message(f"{net} : précision d'entraînement {acc:.3f} sur 4 gaussiennes ; attendu au moins "
                   f"{GAUSS_MIN_ACCURACY}. Vérifiez que SGD fait n_iter époques de mini-lots, que Optim.step "
                   "enchaîne zero_grad, forward, backward et update_parameters, et que Linear est initialisé "
                   "aléatoirement (pas à zéro).",
                   f"{net}: training accuracy {acc:.3f} on 4 gaussians; expected at least {GAUSS_MIN_ACCURACY}. "
                   "Check that SGD runs n_iter epochs of mini-batches, that Optim.step chains zero_grad, forward, "
                   "backward and update_parameters, and that Linear starts from random (non-zero) weights.")
