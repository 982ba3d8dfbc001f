"""An instructor's test cell (nbgrader, otter) as a check: run where the student cannot reach it.

nbgrader and otter execute the instructor's tests in the student's kernel: a student who redefines
`np.allclose`, `tf.is_tensor` or `assert` in an earlier cell passes them. Here the test's code runs
in the clean room (`Observer.clean_room`: same sandbox, no student cell ever ran there) with the
instructor's own imports (`setup`). The names it reads from the notebook (`reads`, listed by
`grader assign`) are the student's: a value arrives as plain data (numbers, strings, lists, dicts,
arrays; tensors as tensors), a function as a stand-in whose calls the judge makes in the student's
runner with the same plain-data arguments (`grader.runner.probes.teacher_test`). A student's
patched library or `assert` never meets the test.

What a test may use, then: the names it reads, the instructor's imports, and calls of the student's
functions with plain-data arguments that return plain data. A student object with no plain form (a
Keras model, an instance of the student's class) arrives as an opaque stand-in: `grader assign`
runs every test on the reference and refuses one that fails there, naming the cell and the reason.
"""

from __future__ import annotations

import hashlib
from typing import Any

from grader.judge.observe import Observer, error_line
from grader.judge.registry import NO_HINT, CheckFailed, Failure, fail, quoted
from grader.model import Message, Status
from grader.runner.probes import teacher_test as room_side
from grader.runner.protocol import MAX_STR

MAX_CALLS = 200  # distinct calls of student functions one test may make (each costs a replay)


def _chunks(text: str) -> list[str]:
    """Strings cross the wire capped: a long test travels in pieces."""
    step = MAX_STR // 2
    return [text[i:i + step] for i in range(0, len(text), step)] or [""]


def normalise_output(text: str) -> str:
    """Printed output as a doctest compares it: trailing spaces and blank lines at the end ignored."""
    return "\n".join(line.rstrip() for line in str(text).strip("\n").split("\n")).strip("\n")


def _student_outcome(obs: Observer, name: str, args: list, kwargs: dict) -> dict:
    """What the student's function answers for these arguments: its value, or its exception's line."""
    try:
        return {"value": obs.call(name, *args, tensors=True, **kwargs)}
    except CheckFailed as e:
        if e.status is Status.ERROR and e.details:
            return {"error": error_line(e.details)}
        if e.status is Status.TIMEOUT:
            return {"error": f"TimeoutError: {e.message.en}"}
        return {"error": f"{e.status.value}: {e.message.en}"}


def _inputs(obs: Observer, reads: tuple[str, ...]) -> tuple[dict[str, Any], list[str]]:
    """The student's values (plain data) and function names among `reads`; a missing name is left out,
    so the test meets it as Python does (NameError)."""
    values: dict[str, Any] = {}
    functions: list[str] = []
    for name in reads:
        try:
            desc = obs.describe(name)
        except CheckFailed as e:
            if e.status is Status.MISSING:
                continue
            raise
        if desc.get("callable"):
            functions.append(name)
        else:
            values[name] = obs.value(name, tensors=True)
    return values, functions


def run_teacher_test(obs: Observer, source: str, *, reads: tuple[str, ...] = (), setup: str = "",
                     output: str | None = None, hint: str = "") -> str:
    """Run one instructor's test; raise `CheckFailed` (through `fail`) unless it passes; what it printed.

    `output`: otter's doctest semantics, the printed output (bare expressions' reprs included) the
    test must give (as the reference gave it); None: passing means raising nothing (nbgrader).
    `hint`: the instructor's failure message, shown with a failure.
    """
    values, functions = _inputs(obs, tuple(reads))
    room = obs.clean_room()
    token = hashlib.sha256(f"{setup}\0{source}\0{sorted(reads)}".encode()).hexdigest()[:16]
    everything: dict[str, Any] = {"setup": _chunks(setup), "source": _chunks(source), "values": values,
                                  "functions": functions}
    first, answers, given = everything, [], []  # `given`: every answer so far, for a clean room restarted
    for _ in range(MAX_CALLS + 2):
        reply = room.run(room_side.run_test, token, answers=answers, tensors=True, **first)
        first, answers = {}, []
        if isinstance(reply, dict) and reply.get("status") == "unknown":
            first, answers = everything, list(given)
            continue
        if not isinstance(reply, dict) or reply.get("status") != "need":
            break
        name = str(reply.get("name", ""))
        if name not in functions:
            raise RuntimeError(f"the clean room asked for a call of {name!r}, not a student function")
        answers = [[str(reply.get("key")), _student_outcome(obs, name, list(reply.get("args") or []),
                                                            dict(reply.get("kwargs") or {}))]]
        given += answers
    else:
        fail(f"Test de l'enseignant : plus de {MAX_CALLS} appels différents de vos fonctions.",
             f"Instructor's test: more than {MAX_CALLS} different calls of your functions.")
    if not isinstance(reply, dict):
        raise RuntimeError(f"unexpected answer from the clean room: {reply!r}")
    hint_msg = Message(hint, hint) if hint.strip() else NO_HINT
    status = reply.get("status")
    if status == "passed":
        got = normalise_output(reply.get("output", ""))
        if output is not None and got != (want := normalise_output(output)):
            fail(Failure(Message("Test de l'enseignant : sortie", "Instructor's test: output"),
                         Message(quoted(got or "(rien)"), quoted(got or "(nothing)")),
                         Message(quoted(want or "(rien)"), quoted(want or "(nothing)")), hint_msg))
        return str(reply.get("output", ""))
    line, code = int(reply.get("line") or 0), quoted(str(reply.get("code", "")))
    at_fr, at_en = (f"ligne {line} ", f"line {line} ") if line else ("", "")
    where = [(quoted(str(e)), quoted(str(v))) for e, v in (reply.get("where") or [])[:6]
             if isinstance(e, str) and isinstance(v, str)]
    if status == "failed":
        found_fr = "est faux" + (" : " + ", ".join(f"{e} vaut {v}" for e, v in where) if where else "")
        found_en = "is false" + (": " + ", ".join(f"{e} is {v}" for e, v in where) if where else "")
        if reply.get("message"):
            found_fr += f" ({quoted(str(reply['message']))})"
            found_en += f" ({quoted(str(reply['message']))})"
        fail(Failure(Message(f"Test de l'enseignant, {at_fr}{code}", f"Instructor's test, {at_en}{code}"),
                     Message(found_fr, found_en), Message("vrai", "true"), hint_msg))
    error = quoted(str(reply.get("error", "")))
    fail(f"Test de l'enseignant, {at_fr}{code} : erreur {error}. {hint_msg.fr}".strip(),
         f"Instructor's test, {at_en}{code}: error {error}. {hint_msg.en}".strip())
