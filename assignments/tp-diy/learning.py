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

from .parts import charged_elsewhere, faults, skipped, swaps


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
    fixed, first = None, None
    for swap in swaps(bad, parts):
        try:
            value = measure(swap)
        except CheckFailed as e:
            first = first or e
            continue
        if good(value):
            return True, own, value, bad
        fixed = value if fixed is None else fixed
    if fixed is None:
        assert first is not None
        raise skipped(bad, first.message, first.details)
    return False, own, fixed, bad


def _charged_elsewhere(faulty: dict[str, Message]) -> tuple[str, str]:
    return charged_elsewhere(faulty)


def _fall_short(faulty: dict[str, Message], fr: str, en: str) -> CheckFailed:
    """Short of the threshold: failed when the student's parts are sound, skipped when some are not."""
    return skipped(faulty, Message(fr, en)) if faulty else CheckFailed(Message(fr, en), Status.FAILED)
