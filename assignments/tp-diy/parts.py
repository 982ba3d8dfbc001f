"""A container's parts: the student's own modules first, correct stand-ins only for a faulty one.

A container (`Sequentiel`, `Optim`, `SGD`, `AutoEncoder`) may rely on its own modules'
conventions: call them (`module(x)`), read the parameter fields its own `Linear` keeps. So its
checks build it from the student's own parts (`Parts` in `probes.py`) and observe the parameters
and gradients through those parts' behaviour. Only a part that is itself wrong or missing (its
own checks fail again here; already charged to its question) is swapped for a correct stand-in,
so that the mistake costs once. A container that cannot be judged without that part (it rejects
the stand-ins, or is wrong with them) is skipped with the reason, never failed for the part.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from grader.checks import CheckFailed, Message, Status

#: the question where each part is checked (and charged)
QUESTION = {"MSELoss": "q1", "Linear": "q1", "TanH": "q2", "Sigmoide": "q2", "ReLU": "q2", "Sequentiel": "q3",
            "Optim": "q3", "SGD": "q3"}


def _own_checks(part: str) -> tuple[Callable, ...]:
    """The cheap checks that tell whether the student's `part` is sound (imported late: the question
    modules import this one)."""
    from . import q1_linear as q1
    from . import q2_activations as q2
    from . import q3_network as q3

    return {
        "MSELoss": (q1.check_mse_loss_forward, q1.check_mse_loss_backward),
        "Linear": (q1.check_linear_forward_is_affine, q1.check_linear_backward_delta,
                   q1.check_linear_parameter_gradients, q1.check_linear_gradients_accumulate_and_reset,
                   q1.check_linear_update_moves_against_gradient),
        "TanH": (q2.check_tanh,),
        "Sigmoide": (q2.check_sigmoide,),
        "ReLU": (q2.check_relu,),
        "Sequentiel": (q3.check_sequentiel_end_to_end_gradients, q3.check_sequentiel_zero_grad_and_update),
        "Optim": (q3.check_optim_step,),
        "SGD": (q3.check_sgd_visits_every_example_in_shuffled_batches,),
    }[part]


def fault(obs, ctx, part: str) -> Message | None:
    """Why the student's `part` cannot serve as a part (not defined, or wrong in its question); None when
    sound. Computed once per submission."""
    def compute() -> Message | None:
        question = QUESTION[part]
        try:
            defined = obs.has(part)
        except CheckFailed:
            defined = False
        if not defined:
            return Message(f"`{part}`, non défini ({question})", f"`{part}`, not defined ({question})")
        for check in _own_checks(part):
            try:
                check(obs, ctx)
            except CheckFailed as e:
                if e.status is Status.SKIPPED:  # itself not judged, for a faulty part of its own
                    return Message(f"`{part}`, non vérifié en {question}", f"`{part}`, not checked in {question}")
                return Message(f"`{part}`, incorrect en {question}", f"`{part}`, wrong in {question}")
        return None

    return obs.memo(("tp-diy-part", part), compute)


def faults(obs, ctx, parts: Iterable[str]) -> dict[str, Message]:
    """The faulty parts among `parts`, in order, with why."""
    out = {}
    for part in parts:
        why = fault(obs, ctx, part)
        if why is not None:
            out[part] = why
    return out


def swaps(bad: dict[str, Message], parts: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The builds to try when parts are faulty: stand-ins for the faulty ones only, then for all of them."""
    tries = [tuple(bad)]
    if set(parts) != set(bad):
        tries.append(tuple(parts))
    return tries


def charged_elsewhere(bad: dict[str, Message]) -> tuple[str, str]:
    """"the mistake in `Linear` is charged in q1", in French and English."""
    where = sorted({QUESTION[p] for p in bad})
    names = ", ".join(f"`{p}`" for p in bad)
    return (f"l'erreur de {names} est comptée en {', '.join(where)}",
            f"the mistake in {names} is charged in {', '.join(where)}")


def skipped(bad: dict[str, Message], seen: Message | None = None, details: str = "", *,
            with_own: bool = False) -> CheckFailed:
    """Not checked: the container depends on faulty parts and cannot be judged without them; `seen` is
    what the last try found, with correct stand-ins (or with the student's own parts: `with_own`)."""
    why_fr = " ; ".join(m.fr for m in bad.values())
    why_en = "; ".join((m.en or m.fr) for m in bad.values())
    fr = f"Non vérifié : dépend de {why_fr}."
    en = f"Not checked: depends on {why_en}."
    if seen is not None:
        fr += f" {'Avec vos modules' if with_own else 'Avec des modules corrects à leur place'} : {seen.fr}"
        en += f" {'With your modules' if with_own else 'With correct modules in their place'}: {seen.en or seen.fr}"
    return CheckFailed(Message(fr, en), Status.SKIPPED, details)


def tried(bad: dict[str, Message], parts: tuple[str, ...], attempt: Callable[[tuple[str, ...]], Any]
          ) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(swap, attempt(swap)) for each build of `swaps` whose attempt does not raise; when every one
    raises, the check is skipped with the reason (and what the first try saw)."""
    first: CheckFailed | None = None
    answered = False
    for swap in swaps(bad, parts):
        try:
            out = attempt(swap)
        except CheckFailed as e:
            first = first or e
            continue
        answered = True
        yield swap, out
    if not answered:
        assert first is not None
        raise skipped(bad, first.message, first.details)


def with_parts(obs, ctx, parts: tuple[str, ...], attempt: Callable[[tuple[str, ...]], Any]) -> Any:
    """Judge a container by `attempt(swap)` (raises `CheckFailed` when wrong), built with stand-ins for
    the parts in `swap` and the student's own parts otherwise.

    Every part sound: `attempt(())` is the verdict. Otherwise the builds of `swaps` are tried: the
    first that passes is the verdict, with a note saying where the mistake is charged; when none
    does, the check is skipped with the reason (and what the first try saw)."""
    bad = faults(obs, ctx, parts)
    if not bad:
        return attempt(())
    swap, out = next(tried(bad, parts, attempt))  # the first build that passes (none: skipped)
    fr, en = charged_elsewhere(bad)
    shown = out if isinstance(out, Message) else None
    names = ", ".join(f"`{p}`" for p in swap)
    return Message(f"{shown.fr + ' ' if shown else ''}Vérifié avec {names} corrects à la place des vôtres : "
                   f"{fr}.", f"{(shown.en or shown.fr) + ' ' if shown else ''}Checked with correct {names} "
                   f"in place of yours: {en}.")
