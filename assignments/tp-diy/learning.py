"""Learning checks: the student's whole library, or correct parts where earlier ones fail.

A learning check that falls short with the student's own classes is retried with correct
parts from the probe library, but only when the student's earlier classes fail their own
checks again here: their mistake is charged once, to their question.
"""

from __future__ import annotations

from collections.abc import Callable

from grader.judge.checks import CheckFailed

from .q1_linear import (
    check_linear_backward_delta,
    check_linear_forward_is_affine,
    check_linear_gradients_accumulate_and_reset,
    check_linear_parameter_gradients,
    check_linear_update_moves_against_gradient,
    check_mse_loss_backward,
    check_mse_loss_forward,
)
from .q2_activations import check_relu, check_sigmoide, check_tanh
from .q3_network import (
    check_optim_step,
    check_sequentiel_end_to_end_gradients,
    check_sequentiel_zero_grad_and_update,
    check_sgd_visits_every_example_in_shuffled_batches,
)


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
