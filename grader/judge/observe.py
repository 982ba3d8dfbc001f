"""What a check may ask the runner, as plain data: values, descriptions, calls and trusted probes.

Trusted code that runs in the runner is a real module: `obs.run(fn, *args, **kwargs)` calls
`fn(ns, ...)` there, `fn` being a function of `grader.runner.probes` (shared) or of an assignment's own
`probes.py` (shipped as source, since the runner never sees the course). `obs.probe(code)` runs a
string of code: kept for the probes not yet moved to modules.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from grader.judge.registry import CheckFailed, quoted
from grader.model import Message, Status
from grader.runner.protocol import AsTensor, Opaque
from grader.runner.session import ObservationError, RunnerSession


class Observer:
    """A check's window on the student's runner; every failure becomes a CheckFailed with a status."""

    def __init__(self, session: RunnerSession):
        self.session = session
        self._cache: dict[tuple, Any] = {}
        self._memo: dict[tuple, Any] = {}
        self._room: Observer | None = None
        #: model name -> where student code sat on its prediction path, for models evaluated by their
        #: own `predict` (grader.judge.trusted_predict); `ignored_code`: the same, for rebuilt models
        self.student_code: dict[str, list[str]] = {}
        self.ignored_code: dict[str, list[str]] = {}

    def clean_room(self) -> Observer:
        """A second runner, same sandbox and limits, that runs no student code: trusted computations on
        plain data (a model rebuilt from its config and weights). Started on first use."""
        if self._room is None:
            s = self.session
            limits = replace(s.limits, gpus=(), cpu_only=True)  # a student's GPU stays theirs
            self._room = Observer(RunnerSession([], None, limits, s.sandbox, starter=s.starter))
        return self._room

    def close(self) -> None:
        """Stop the clean room, if one was started (the student's session is its owner's to close)."""
        if self._room is not None:
            self._room.session.close()
            self._room = None

    def _ask(self, op: str, label: str, **kw) -> tuple[Any, dict]:
        try:
            return self.session.observe(op, **kw)
        except ObservationError as e:
            raise _as_failure(e, label) from e

    def memo(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """`compute()` once per submission: several checks read the same probe's answer (the notebook
        has finished, its observations do not change); a failure is not kept, it is raised again."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def value(self, name: str, *, tensors: bool = False) -> Any:
        """The value of a top-level name, converted to plain data (cached per submission).

        `tensors=True`: arrays that were TensorFlow tensors come as `AsTensor`, so that handed to another
        runner (the clean room) they are tensors again."""
        key = ("get", name, tensors)
        if key not in self._cache:
            self._cache[key] = self._ask("get", f"`{name}`", name=name, tensors=tensors)[0]
        return self._cache[key]

    def describe(self, name: str) -> dict:
        key = ("describe", name)
        if key not in self._cache:
            self._cache[key] = self._ask("describe", f"`{name}`", name=name)[0]
        return self._cache[key]

    def has(self, name: str) -> bool:
        try:
            self.describe(name)
        except CheckFailed as e:
            if e.status is Status.MISSING:
                return False
            raise
        return True

    def call(self, name: str, *args: Any, timeout: float | None = None, spy: tuple[str, ...] = (),
             tensors: bool = False, **kwargs: Any) -> Any:
        """Call the student's function on inputs the judge chose; wrap arrays in AsTensor for tf.
        `tensors=True`: tensors in the answer come back as `AsTensor` (see `value`)."""
        return self.call_spied(name, *args, timeout=timeout, spy=spy, tensors=tensors, **kwargs)[0]

    def call_spied(self, name: str, *args: Any, timeout: float | None = None,
                   spy: tuple[str, ...] = (), tensors: bool = False, **kwargs: Any) -> tuple[Any, dict]:
        desc = self.describe(name)
        if not desc.get("callable"):
            raise CheckFailed(Message(f"`{name}` n'est pas une fonction (type {desc.get('type')}).",
                                      f"`{name}` is not a function (type {desc.get('type')})."))
        value, reply = self._ask("call", f"`{name}(...)`", name=name, args=args, kwargs=kwargs,
                                 timeout=timeout, spy=spy, tensors=tensors)
        return value, {str(k): int(v) for k, v in dict(reply.get("spy") or {}).items()}

    def probe(self, code: str, timeout: float | None = None, **inputs: Any) -> Any:
        """Run trusted judge code in the runner (`ns` is the student's namespace; set `result`)."""
        return self._ask("probe", "observation", code=code, inputs=inputs, timeout=timeout)[0]

    def run(self, function: Callable[..., Any], *args: Any, timeout: float | None = None, tensors: bool = False,
            **kwargs: Any) -> Any:
        """`function(ns, *args, **kwargs)` in the runner, on plain-data arguments; its plain-data answer.

        `function` is a real function of a runner-side module, named here and called there by name:
        one of `grader.runner.probes` (the runner imports it), or of an assignment's own `probes.py`
        (the runner cannot see the course: that module's source is shipped with the request)."""
        module, name, source = runner_target(function)
        return self._ask("run", "observation", module=module, function=name, source=source, args=args,
                         kwargs=kwargs, timeout=timeout, tensors=tensors)[0]


def runner_target(function: Callable[..., Any]) -> tuple[str, str, str | None]:
    """(module, function name, the module's source or None when the runner imports it itself)."""
    module, name = getattr(function, "__module__", None), getattr(function, "__name__", None)
    if not module or not name or getattr(sys.modules.get(module), name, None) is not function:
        raise TypeError(f"{function!r} is not a top-level function of a module")
    if module.startswith("grader.runner."):
        return module, name, None
    return module, name, _source(module)


@functools.cache
def _source_of(path: str, mtime_ns: int) -> str:
    return Path(path).read_text(encoding="utf-8")


def _source(module: str) -> str:
    """The text of an assignment's runner module, shipped to the runner (which cannot read the course)."""
    file = getattr(sys.modules[module], "__file__", None)
    if not file:
        raise TypeError(f"module {module} has no source file to ship to the runner")
    return _source_of(file, Path(file).stat().st_mtime_ns)


def error_line(traceback_text: str, limit: int = 300) -> str:
    """The exception line of a student's traceback ("TypeError: ..."), shortened for a message."""
    lines = [ln.strip() for ln in str(traceback_text or "").splitlines() if ln.strip()]
    if not lines:
        return ""
    last = lines[-1]
    return last if len(last) <= limit else last[: limit - 1] + "…"


def _as_failure(e: ObservationError, label: str) -> CheckFailed:
    ours = isinstance(e.message, Message)  # our words; else the student's traceback, the same in both languages
    fr, en = (e.message.fr, e.message.get("en")) if ours else (e.message, e.message)
    if e.status is Status.MISSING:
        return CheckFailed(Message(f"{label} n'est pas défini.", f"{label} is not defined."), Status.MISSING)
    if e.status is Status.ERROR:  # the student's own exception line: quoted, never markup
        last, last_en = (error_line(fr), error_line(en)) if ours else (quoted(error_line(fr)), quoted(error_line(en)))
        return CheckFailed(Message(f"{label} a levé une erreur" + (f" : {last}" if last else "."),
                                   f"{label} raised an error" + (f": {last_en}" if last_en else ".")), Status.ERROR,
                           "" if ours else e.message)
    if e.status is Status.TIMEOUT:
        return CheckFailed(Message(f"{label} : temps dépassé ({fr}).", f"{label}: time limit ({en})."),
                           Status.TIMEOUT)
    return CheckFailed(Message(f"{label} : {fr}", f"{label}: {en}"), e.status)


__all__ = ["AsTensor", "Observer", "Opaque", "np"]
