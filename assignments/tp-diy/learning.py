"""Learning checks: the student's whole library, or correct parts where earlier ones fail.

A learning check that falls short with the student's own classes is retried with correct
stand-ins for the parts that fail their own checks again here (`parts.faults`), then for all
of them: their mistake is charged once, to their question. When even that falls short, or the
student's code cannot use the stand-ins, the check is skipped with the reason, never failed for
the earlier mistake.
"""

from __future__ import annotations

from collections.abc import Callable

from grader.checks import CheckFailed, Message, Status

from .parts import charged_elsewhere, faults, skipped, tried


def _learned(obs, ctx, measure: Callable[[tuple[str, ...]], float], good: Callable[[float], bool],
             parts: tuple[str, ...], own_names: tuple[str, ...]
             ) -> tuple[bool, float | None, float | None, dict[str, Message]]:
    """`measure(())` with the student's whole library; if it falls short while earlier parts fail their
    own checks, `measure(swap)` with stand-ins for the parts in `swap`. Returns (passed, own, fixed,
    faulty); raises the student's error when no part is to blame, a skip when every retry raised."""
    own, own_error = None, None
    if all(obs.has(n) for n in own_names):
        try:
            own = measure(())
        except CheckFailed as e:  # the student's library raised or answered nonsense: maybe an earlier part
            own_error = e
        if own is not None and good(own):
            return True, own, None, {}
    bad = faults(obs, ctx, parts)
    if not bad:
        if own_error is not None:
            raise own_error
        return False, own, None, {}
    fixed = None
    for _, value in tried(bad, parts, measure):
        if good(value):
            return True, own, value, bad
        fixed = value if fixed is None else fixed
    return False, own, fixed, bad


def learning_verdict(obs, ctx, measure: Callable[[tuple[str, ...]], float], good: Callable[[float], bool],
                     parts: tuple[str, ...], own_names: tuple[str, ...], *, fmt: str,
                     alone: Callable[[float], Message], helped: Callable[[str, float, str], Message],
                     short: Callable[[float | None, float | None], Message]) -> Message:
    """A learning check's verdict (see `_learned`): `alone(own)` when the student's library learns by
    itself; `helped(own shown with fmt, fixed, the stand-ins' names)`, then where the mistake is charged,
    when it learns with correct stand-ins; else `short(own, fixed)`, failed (or skipped when some
    earlier part is faulty)."""
    passed, own, fixed, faulty = _learned(obs, ctx, measure, good, parts, own_names)
    if passed and fixed is None:
        return alone(own)
    if passed:
        fr, en = charged_elsewhere(faulty)
        said = helped("?" if own is None else f"{own:{fmt}}", fixed, ", ".join(f"`{p}`" for p in faulty))
        return Message(f"{said.fr} : {fr}.", f"{said.en}: {en}.")
    said = short(own, fixed)
    raise skipped(faulty, said) if faulty else CheckFailed(said, Status.FAILED)
