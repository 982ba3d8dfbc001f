"""What `grader assign` writes for the checks and the TOML.

`teacher_checks.py` (rewritten by every `assign`): each instructor's test as a check of its question
(`grader.checks.run_teacher_test`), with its points as the check's weight, public or hidden as in the
source; a question no test grades gets one public, structural starter check instead (its answers
exist, with the reference's type and shape: `expect_like`, `expect_function`, `expect_class`).
`checks.py` (written once, then the instructor's): imports that registry, for checks of one's own.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass

from grader.authoring.teacher import TeacherTest


@dataclass(frozen=True)
class Answer:
    """A name a question's solution binds at top level, and what the reference's value looked like."""

    name: str
    kind: str  # "value", "function" or "class"
    types: tuple[str, ...] = ()  # accepted if any is in the student value's MRO; () when not run
    shape: str | None = None
    dtype: str | None = None


@dataclass(frozen=True)
class ConvertedTest:
    """An instructor's test as its check runs it: what it reads, the imports it may use, the output a
    doctest (otter) must print (None: passing is raising nothing)."""

    test: TeacherTest
    source: str
    reads: tuple[str, ...]
    setup: str
    public: bool  # the public part of an nbgrader test with hidden parts is a check of its own, weight 0
    weight: float
    output: str | None = None


@dataclass(frozen=True)
class FoundQuestion:
    """A question as written to assignment.toml, with the answers its starter check looks at (when no
    test of the instructor's grades it) and its converted tests."""

    id: str
    points: float
    title: str
    answers: tuple[Answer, ...]
    tests: tuple[ConvertedTest, ...] = ()
    manual: bool = False
    all_or_nothing: bool = False

    def summary(self) -> tuple[str, str]:
        """"q1: 2 tests, 1 hidden" / "q1 : 2 tests, dont 1 caché", "w1: written", "q3: starter check"."""
        if self.manual:
            return f"{self.id}: graded by hand", f"{self.id} : corrigée à la main"
        graded = [t for t in self.tests if not (t.public and t.test.hidden)]
        if not graded:
            return (f"{self.id}: no test of yours, a starter check (names exist)",
                    f"{self.id} : aucun test de l'enseignant, une vérification de départ (les noms existent)")
        hidden = sum(1 for t in graded if t.test.hidden)
        en = f"{self.id}: {len(graded)} test{'s' if len(graded) > 1 else ''}" + (f", {hidden} hidden" if hidden else "")
        fr = f"{self.id} : {len(graded)} test{'s' if len(graded) > 1 else ''}" + (
            f", dont {hidden} caché{'s' if hidden > 1 else ''}" if hidden else "")
        if self.all_or_nothing:
            en, fr = en + " (all or nothing)", fr + " (tout ou rien)"
        return en, fr


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
             "[scoring]", "step = 0  # exact points, as nbgrader and otter give them", "",
             "[limits]", *(f"{k} = {v}" for k, v in LIMITS.items())]
    for q in questions:
        lines += ["", *question_toml(q)]
    return "\n".join(lines) + "\n"


def question_toml(q: FoundQuestion) -> list[str]:
    """One `[[questions]]` table (appended as is to a hand-edited TOML that lacks the question)."""
    return ["[[questions]]", f"id = {_lit(q.id)}", f"points = {_num(q.points)}", f"fr = {_lit(q.title)}",
            f"en = {_lit(q.title)}", *(['kind = "manual"'] if q.manual else [])]


def _header(body: str, setup: str) -> str:
    """The module's imports: only the `grader.checks` names its checks call (ruff-clean)."""
    names = ["Registry", *(n for n in ("expect_class", "expect_function", "expect_like", "fail", "run_teacher_test")
                           if re.search(rf"\b{n}\(", body))]
    consts = f"\n#: the instructor's imports, what every test may use (the student's own never reach a test)\n" \
             f"SETUP = {_text(setup)}\n" if setup and "SETUP" in body else ""
    return (f"\nfrom __future__ import annotations\n\nfrom grader.checks import {', '.join(names)}\n\n"
            f"checks = Registry()\n{consts}")


def _call(answer: Answer) -> str:
    if answer.kind != "value":
        return f"expect_{answer.kind}(obs, {_lit(answer.name)})"
    args = [_lit(answer.name)]
    if answer.types:
        args.append("types=(" + ", ".join(map(_lit, answer.types)) + ("," if len(answer.types) == 1 else "") + ")")
    args += [f"{k}={_lit(v)}" for k, v in (("shape", answer.shape), ("dtype", answer.dtype)) if v is not None]
    return f"expect_like(obs, {', '.join(args)})"


def _text(text: str) -> str:
    """A string literal an instructor can read: a raw triple-quoted block when the text allows it
    (a raw string keeps every backslash as written), else a one-line escaped literal."""
    if ("\'\'\'" not in text and not text.endswith(("'", "\\"))
            and all(ch == "\n" or ch.isprintable() for ch in text)):
        return "r\'\'\'" + text + "\'\'\'"
    return _lit(text)


def _name(base: str, used: set[str]) -> str:
    name, n = base, 2
    while name in used:
        name, n = f"{base}_{n}", n + 1
    used.add(name)
    return name


def _test_check(q: FoundQuestion, t: ConvertedTest, number: int, used: set[str], setup: str) -> tuple[str, str]:
    """One converted test as a registered check, and the check's name."""
    base = re.sub(r"[^0-9A-Za-z_]+", "_", q.id).strip("_").lower() or "question"
    name = _name(f"test_{base}_{number}" + ("_visible" if t.public and t.test.hidden else ""), used)
    cell = t.test.origin + 1
    if t.public and t.test.hidden:
        fr = f"{q.id} : test {number} de l'enseignant, partie visible (cellule {cell}) ; la note vient du test entier."
        en = f"{q.id}: instructor's test {number}, its visible part (cell {cell}); the grade is the whole test's."
    else:
        fr = f"{q.id} : test {number} de l'enseignant (cellule {cell})" + (" ; caché." if t.test.hidden else ".")
        en = f"{q.id}: instructor's test {number} (cell {cell})" + ("; hidden." if t.test.hidden else ".")
    args = [_text(t.source), f"reads={_tuple(t.reads)}",
            "setup=SETUP" if t.setup == setup else f"setup={_text(t.setup)}"]
    if t.output is not None:
        args.append(f"output={_lit(t.output)}")
    if t.test.hint:
        args.append(f"hint={_lit(t.test.hint)}")
    public = "public=True, " if t.public else ""
    return "\n".join([f"@checks({_lit(q.id)}, {public}weight={_num(t.weight)},", f"        fr={_lit(fr)},",
                      f"        en={_lit(en)})", f"def {name}(obs, ctx):",
                      f"    run_teacher_test(obs, {', '.join(args)})"]) + "\n", name


def _tuple(names: tuple[str, ...]) -> str:
    return "(" + ", ".join(map(_lit, names)) + ("," if len(names) == 1 else "") + ")"


def _starter_check(q: FoundQuestion, used: set[str], ran: bool) -> str:
    base = re.sub(r"[^0-9A-Za-z_]+", "_", q.id).strip("_").lower() or "question"
    name = _name(f"check_{base}_answers", used)
    listed = ", ".join(f"`{a.name}`" for a in q.answers)
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
    return "\n".join([f"# TODO: no test of the instructor's grades {_one_line(q.id)}: this starter check only asks "
                      "that its answers exist;", "# write checks of their values in checks.py.",
                      f"@checks({_lit(q.id)}, {public}fr={_lit(fr)},", f"        en={_lit(en)})",
                      f"def {name}(obs, ctx):", *body]) + "\n"


def _all_or_nothing(q: FoundQuestion, names: list[str], used: set[str], public: bool) -> str:
    base = re.sub(r"[^0-9A-Za-z_]+", "_", q.id).strip("_").lower() or "question"
    name = _name(f"test_{base}_all", used)
    fr, en = (f"{q.id} : tous les tests de l'enseignant réussis (tout ou rien).",
              f"{q.id}: every instructor's test passed (all or nothing).")
    return "\n".join([f"@checks({_lit(q.id)}, {'public=True, ' if public else ''}weight={_num(q.points)}, "
                      f"requires={_tuple(tuple(names))},", f"        fr={_lit(fr)},", f"        en={_lit(en)})",
                      f"def {name}(obs, ctx):", "    pass  # its prerequisites are the tests"]) + "\n"


def teacher_checks_module(assignment_id: str, notebook: str, questions: list[FoundQuestion], setup: str,
                          ran: bool) -> str:
    """`teacher_checks.py`: every converted test, and a starter check for each question no test grades."""
    notebook = _one_line(notebook)
    text = ("Each instructor's test is a check of its question, run in a clean process on the student's "
            "values as plain data (`grader.checks.run_teacher_test`), weighted by its points; public or "
            "hidden as in the notebook. A question no test grades has a structural starter check. "
            "`grader assign` rewrites this file: add your own checks in checks.py.")
    doc = (f'"""Checks of {assignment_id}, written by `grader assign` from {notebook}.\n\n'
           + textwrap.fill(text, 100) + '\n"""\n')
    parts, used = [], set()
    for q in questions:
        if q.manual:
            continue
        head = _one_line(f"# -- {q.id}: {q.title}")
        graded = [t for t in q.tests if not (t.public and t.test.hidden)]
        if not graded:
            parts.append(head + "\n" + _starter_check(q, used, ran))
            continue
        blocks, names, number = [], [], 0
        for t in q.tests:
            visible_part = t.public and t.test.hidden  # comes right before its whole test, and takes its number
            number += 0 if visible_part else 1
            block, name = _test_check(q, t, number + 1 if visible_part else number, used, setup)
            blocks.append(block)
            if not visible_part:
                names.append(name)
        if q.all_or_nothing:
            blocks.append(_all_or_nothing(q, names, used, all(not t.test.hidden for t in graded)))
        parts.append(head + "\n" + "\n\n".join(blocks))
    body = "\n\n".join(parts)
    return doc + _header(body, setup) + "\n\n" + body


def entry_module(assignment_id: str) -> str:
    """`checks.py`, written once: the converted tests' registry, and room for the instructor's checks."""
    return (f'"""Checks of {assignment_id}: the instructor\'s tests (teacher_checks.py, rewritten by every '
            '`grader assign`),\nthen checks of your own below, registered with `@checks(...)` '
            '(`grader.checks`).\n"""\n\nfrom __future__ import annotations\n\n'
            'from .teacher_checks import checks\n\n__all__ = ["checks"]\n')
