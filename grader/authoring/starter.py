"""The starter `checks.py` and `assignment.toml` that `grader assign` writes: one public,
structural check per question (its answers exist, with the reference's type and shape), the
helpers they call living in `grader.checks` (`expect_like`, `expect_function`, `expect_class`).
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass

from grader.authoring.teacher import TeacherQuestion


@dataclass(frozen=True)
class Answer:
    """A name a question's solution binds at top level, and what the reference's value looked like."""

    name: str
    kind: str  # "value", "function" or "class"
    types: tuple[str, ...] = ()  # accepted if any is in the student value's MRO; () when not run
    shape: str | None = None
    dtype: str | None = None


@dataclass(frozen=True)
class FoundQuestion:
    """A question as written to assignment.toml, with the answers its starter check looks at."""

    id: str
    points: float
    title: str
    answers: tuple[Answer, ...]


# -- starter checks and TOML -------------------------------------------------------------------
LIMITS = {"cell_timeout": 120, "wall_timeout": 900, "call_timeout": 60}  # generous: `calibrate` tightens
NUMBERS = ("builtins.int", "builtins.float", "numpy.integer", "numpy.floating")
BOOLS = ("builtins.bool", "numpy.bool", "numpy.bool_")
FUNCTIONS = ("builtins.function", "builtins.builtin_function_or_method", "functools.partial", "numpy.ufunc")


def expectation(kind: str, desc: dict | None) -> tuple[str, tuple[str, ...], str | None, str | None]:
    """(kind, accepted types, shape, dtype) a student's answer must share with the reference's.

    Loose where the type is not the point: any real number for a number, any Keras model for a
    model (Sequential or functional); otherwise the reference's own type (or a subclass).
    """
    if desc is None or kind != "value":
        return kind, (), None, None
    mro = {str(desc.get("type")), *map(str, desc.get("mro") or ())}
    if str(desc.get("type")) in FUNCTIONS:
        return "function", (), None, None
    for family in (BOOLS, NUMBERS):
        if mro & set(family):
            return kind, family, None, None
    for t in desc.get("mro") or ():
        if t.rsplit(".", 1)[-1] == "Model" and t.split(".")[0] in ("keras", "tf_keras", "tensorflow"):
            return kind, (t,), None, None
    return kind, (str(desc.get("type")),), desc.get("shape"), desc.get("dtype")


def _lit(value: str) -> str:
    """A double-quoted literal, valid in Python and in TOML alike."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _one_line(text: str) -> str:
    """Safe inside a comment or a docstring: one line, no quote nor backslash to end or escape it."""
    return " ".join(text.replace('"', "'").replace("\\", "/").split())


def _num(points: float) -> str:
    return str(int(points)) if float(points).is_integer() else repr(float(points))


def toml_text(assignment_id: str, title: str, questions: list[FoundQuestion]) -> str:
    """assignment.toml; the notebook's language is unknown, so `en` repeats the heading as written."""
    lines = [f"id = {_lit(assignment_id)}", "", "[title]", f"fr = {_lit(title)}", f"en = {_lit(title)}", "",
             "[limits]", *(f"{k} = {v}" for k, v in LIMITS.items())]
    for q in questions:
        lines += ["", "[[questions]]", f"id = {_lit(q.id)}", f"points = {_num(q.points)}", f"fr = {_lit(q.title)}",
                  f"en = {_lit(q.title)}"]
    return "\n".join(lines) + "\n"


def _header(body: str) -> str:
    """The module's imports: only the `grader.checks` names its checks call (ruff-clean)."""
    names = ["Registry", *(n for n in ("expect_class", "expect_function", "expect_like", "fail")
                           if re.search(rf"\b{n}\(", body))]
    return (f"\nfrom __future__ import annotations\n\nfrom grader.checks import {', '.join(names)}\n\n"
            "checks = Registry()\n")


def _call(answer: Answer) -> str:
    if answer.kind != "value":
        return f"expect_{answer.kind}(obs, {_lit(answer.name)})"
    args = [_lit(answer.name)]
    if answer.types:
        args.append("types=(" + ", ".join(map(_lit, answer.types)) + ("," if len(answer.types) == 1 else "") + ")")
    args += [f"{k}={_lit(v)}" for k, v in (("shape", answer.shape), ("dtype", answer.dtype)) if v is not None]
    return f"expect_like(obs, {', '.join(args)})"


def _quoted_tests(q: TeacherQuestion, notebook: str) -> list[str]:
    """The instructor's tests as comments: what is left to write (`grader release` drops comments)."""
    if not q.tests:
        return []
    out = [f"# TODO: the instructor's tests of {_one_line(q.id)} in {notebook}, never run (the judge observes the",
           "# student's runner, it runs no asserts in it); write what they assert as checks of the values:"]
    for test in q.tests:
        out += ["#", *(("#     " + s).rstrip() for s in test.split("\n"))]
    return out


def checks_module(assignment_id: str, notebook: str, questions: list[FoundQuestion],
                  teacher: dict[str, TeacherQuestion], ran: bool) -> str:
    """The starter `checks.py`: one public structural check per question, deterministic text."""
    what = ("with the type and shape the reference's run gave them" if ran
            else "(the reference was not run: types and shapes are not checked)")
    text = (f"Each question's check is structural and public (students may run it before submitting): its "
            f"answers exist, {what}. It cannot tell a right value from a wrong one, nor a function's stub "
            "from its solution: add checks of the values (`grader.checks`: `expect_close`, `obs.value`, "
            "`obs.call`, ...). Once you edit this file, `grader assign` leaves it alone.")
    notebook = _one_line(notebook)
    doc = (f'"""Starter checks of {assignment_id}, written by `grader assign` from {notebook}.\n\n'
           + textwrap.fill(text, 100) + '\n"""\n')
    parts, used = [], set()
    for q in questions:
        base = re.sub(r"[^0-9A-Za-z_]+", "_", q.id).strip("_").lower() or "question"
        name, n = f"check_{base}_answers", 2
        while name in used:
            name, n = f"check_{base}_answers_{n}", n + 1
        used.add(name)
        listed = ", ".join(f"`{a.name}`" for a in q.answers)
        head = [_one_line(f"# -- {q.id}: {q.title}"), *_quoted_tests(teacher[q.id], notebook)]
        if not q.answers:
            fr, en = f"{q.id} : à vérifier par l'enseignant.", f"{q.id}: to be checked by the instructor."
            body = ['    raise fail("Pas encore de vérification automatique pour cette question : l\'enseignant '
                    'doit l\'écrire.",', '               "No automatic check for this question yet: the '
                    'instructor must write one.")']
            public = ""
        else:
            typed = ran and any(a.kind == "value" for a in q.answers)
            fr = (f"{listed} : défini{'s' if len(q.answers) > 1 else ''}"
                  + (", du type et de la forme de la solution." if typed else "."))
            en = f"{listed}: defined" + (", with the solution's type and shape." if typed else ".")
            body, public = [f"    {_call(a)}" for a in q.answers], "public=True, "
        parts.append("\n".join([*head, "", "", f"@checks({_lit(q.id)}, {public}fr={_lit(fr)},",
                                f"        en={_lit(en)})", f"def {name}(obs, ctx):", *body]) + "\n")
    body = "\n\n".join(parts)
    return doc + _header(body) + "\n\n" + body
