"""The instructor's tests as the checks run them: what each reads, the imports it may use, run on the reference.

`grader assign` reads each test's code once (`convert_tests`): the notebook's names it reads (read
before it binds them; a builtin only when the notebook rebinds it), and its setup (the given
code's imports, and what earlier tests define from the instructor's names only: nbgrader runs them
in one kernel). Then, on the reference's runner, a library the test reads from the notebook is
imported by the test itself (`promoted`), and every test must pass there (`passes_on_reference`):
one that cannot run outside the notebook's kernel is refused with its cell and the reason.
"""

from __future__ import annotations

import ast
import builtins
import re

from grader.authoring import AuthoringError
from grader.authoring.starter import ConvertedTest
from grader.authoring.teacher import TeacherNotebook, TeacherTest
from grader.notebooks import strip_solutions


def bound_by_target(target: ast.expr) -> list[str]:
    """The names an assignment target binds: `a, (b, *c)` binds three; `m.attr` and `d[0]` none."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Starred):
        return bound_by_target(target.value)
    if isinstance(target, ast.Tuple | ast.List):
        return [n for elt in target.elts for n in bound_by_target(elt)]
    return []


_IPYTHON = None


def python_of(cell: str) -> str:
    """A cell as plain Python (magics and `!cmd` as IPython runs them), for `ast`; line numbers kept."""
    global _IPYTHON
    if _IPYTHON is None:
        from IPython.core.inputtransformer2 import TransformerManager
        _IPYTHON = TransformerManager()
    try:
        return _IPYTHON.transform_cell(cell)
    except Exception:  # noqa: BLE001 - whatever IPython cannot transform, ast judges as written
        return cell


def parses(cell: str) -> bool:
    """Whether a cell is valid Python as IPython would run it (a student cell must always be)."""
    try:
        ast.parse(python_of(cell))
    except (SyntaxError, ValueError):
        return False
    return True


# -- the instructor's tests ---------------------------------------------------------------------
def _binds(node: ast.stmt) -> set[str]:
    """Names a top-level statement binds (imports, definitions, assignment targets)."""
    if isinstance(node, ast.Import | ast.ImportFrom):
        return {a.asname or a.name.split(".")[0] for a in node.names if a.name != "*"}
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
        node, ast.AnnAssign | ast.AugAssign) else []
    return {n for t in targets for n in bound_by_target(t)}


def _tree(source: str) -> ast.Module:
    return ast.parse(python_of(source))


def _loaded(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _bound_anywhere(tree: ast.AST) -> set[str]:
    """Every name the test binds, at any depth (its own variables, parameters, imports, definitions)."""
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store | ast.Del)}
    for n in ast.walk(tree):
        if isinstance(n, ast.arg):
            names.add(n.arg)
        elif isinstance(n, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names |= _binds(n)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            names.add(n.name)
        elif isinstance(n, ast.MatchAs | ast.MatchStar) and n.name:
            names.add(n.name)
    return names


def given_setup(teacher: TeacherNotebook) -> str:
    """The instructor's top-level imports in the code students are given (solutions left out): what
    every test may use, trusted (never the student's own modules)."""
    lines = []
    for cell in teacher.cells:
        if cell.kind != "code" or cell.answer:
            continue
        try:
            tree = _tree(strip_solutions(cell.source))
        except (SyntaxError, ValueError):
            continue
        lines += [ast.unparse(n) for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    return "".join(dict.fromkeys(line + "\n" for line in lines))


def _test_statements(source: str, known: set[str]) -> list[str]:
    """What a later test may rely on from an earlier one (nbgrader runs them in one kernel): its imports
    and definitions, and assignments computed from the instructor's names only (never the student's)."""
    out = []
    try:
        tree = _tree(source)
    except (SyntaxError, ValueError):
        return out
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.ClassDef) or (
                isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None
                and _loaded(node.value) <= known | set(dir(builtins))):
            out.append(ast.unparse(node) + "\n")
            known |= _binds(node)
    return out


def _reads(source: str, setup: str, notebook_names: set[str]) -> tuple[str, ...]:
    """The notebook's names the test reads: read before the test binds them (`x = x + 1` reads `x`), not
    bound by its setup; a builtin only when the notebook itself rebinds it (a student's `max` never
    stands in for the builtin). Reading too much is harmless: a name the student lacks is left out."""
    tree = _tree(source)
    setup_names = {n for node in _tree(setup).body for n in _binds(node)}
    first_load: dict[str, tuple[int, int]] = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            first_load[n.id] = min(first_load.get(n.id, (n.lineno, n.col_offset)), (n.lineno, n.col_offset))
    first_bound: dict[str, tuple[int, int]] = {}

    def bind(name: str, at: tuple[int, int]) -> None:
        first_bound[name] = min(first_bound.get(name, at), at)

    for stmt in ast.walk(tree):  # an assignment binds once its value is computed: at its statement's end
        if not isinstance(stmt, ast.stmt):
            continue
        end = (stmt.end_lineno or stmt.lineno, stmt.end_col_offset or 0)
        if isinstance(stmt, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for name in _binds(stmt):
                bind(name, (stmt.lineno, stmt.col_offset))
        for n in ast.walk(stmt):
            if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
                bind(n.id, end)
            elif isinstance(n, ast.arg):
                bind(n.arg, (n.lineno, n.col_offset))
    names = {n for n, at in first_load.items() if n not in first_bound or at < first_bound[n]} - setup_names
    builtin = set(dir(builtins)) - notebook_names
    return tuple(sorted(n for n in names if n not in builtin and not n.startswith("__")))


def notebook_names(teacher: TeacherNotebook) -> set[str]:
    """Every top-level name the reference's code binds (given code and solutions)."""
    names: set[str] = set()
    for cell in teacher.cells:
        if cell.kind == "code":
            try:
                names |= {n for node in _tree(cell.source).body for n in _binds(node)}
            except (SyntaxError, ValueError):
                pass
    return names


def _check_runnable(test: TeacherTest, where: str) -> None:
    try:
        transformed = python_of(test.source)
        ast.parse(transformed)
    except (SyntaxError, ValueError) as e:
        raise AuthoringError(f"{where}: the test is not valid Python: {e}",
                             fr=f"{where} : le test n'est pas du Python valide : {e}") from e
    if "get_ipython()" in transformed:
        raise AuthoringError(f"{where}: the test uses IPython magics (`%...`, `!...`): it cannot run outside the "
                             "notebook's kernel; write it in plain Python",
                             fr=f"{where} : le test utilise des commandes magiques IPython (`%...`, `!...`) : il ne "
                                "peut pas s'exécuter hors du noyau du notebook ; écrivez-le en Python simple")


def convert_tests(teacher: TeacherNotebook, setup: str, name: str) -> dict[str, list[ConvertedTest]]:
    """Each question's tests as its checks run them (outputs still unknown: `_run_reference` fills them)."""
    known = notebook_names(teacher)
    setup_names = {n for node in _tree(setup).body for n in _binds(node)}
    earlier_all: list[str] = []
    earlier_public: list[str] = []
    out: dict[str, list[ConvertedTest]] = {}
    for q in teacher.questions:
        for t in q.tests:
            where = f"{name}, cell {t.origin + 1} ({q.id})"
            _check_runnable(t, where)
            source = python_of(t.source)
            graded = []
            if t.hidden and t.public.strip():  # what students see of it: shown, weightless
                visible = python_of(t.public)
                vis_setup = setup + "".join(earlier_public)
                graded.append(ConvertedTest(t, visible, _reads(visible, vis_setup, known), vis_setup, True, 0.0))
            test_setup = setup + "".join(earlier_all if t.hidden else earlier_public)
            graded.append(ConvertedTest(t, source, _reads(source, test_setup, known), test_setup, not t.hidden,
                                        t.points))
            out.setdefault(q.id, []).extend(graded)
            statements = _test_statements(source, set(setup_names))
            earlier_all += statements
            if not t.hidden:
                earlier_public += statements
            elif t.public.strip():
                earlier_public += _test_statements(python_of(t.public), set(setup_names))
    return out


def promoted_imports(obs, names: set[str], answers: set[str]) -> dict[str, str]:
    """Import lines for the names tests read that are libraries in the reference's run (a module, or a
    library function imported where a student could replace it): the test imports them itself."""
    from grader.judge.registry import CheckFailed

    code = ("import types\nobj = ns.get(name)\nresult = None\n"
            "if isinstance(obj, types.ModuleType):\n    result = ['module', obj.__name__]\n"
            "elif callable(obj) and getattr(obj, '__module__', None) not in (None, '__main__', 'builtins'):\n"
            "    result = ['function', obj.__module__, getattr(obj, '__qualname__', '')]\n")
    lines = {}
    for name in sorted(names - answers):
        try:
            found = obs.probe(code, name=name)
        except CheckFailed:
            continue
        if not isinstance(found, list):
            continue
        if found[0] == "module":
            mod = str(found[1])
            lines[name] = f"import {mod}\n" if mod == name else (
                f"import {mod} as {name}\n" if "." not in mod else
                f"from {mod.rsplit('.', 1)[0]} import {mod.rsplit('.', 1)[1]} as {name}\n")
        elif found[0] == "function" and re.fullmatch(r"[A-Za-z_][\w.]*", str(found[1])) and \
                re.fullmatch(r"[A-Za-z_]\w*", str(found[2])) and not str(found[1]).startswith("grader"):
            lines[name] = f"from {found[1]} import {found[2]} as {name}\n"
    return lines


def passes_on_reference(obs, t: ConvertedTest, qid: str, where: str) -> str | None:
    """Run the test on the reference; its printed output (kept for otter's doctests); refuse if it fails."""
    from grader.judge.registry import CheckFailed
    from grader.judge.teacher_tests import run_teacher_test

    try:
        printed = run_teacher_test(obs, t.source, reads=t.reads, setup=t.setup)
    except CheckFailed as e:
        opaque = []
        for name in t.reads:
            try:
                desc = obs.describe(name)
            except CheckFailed:
                continue
            if not desc.get("callable") and not _plain(desc):
                opaque.append(f"`{name}` ({desc.get('type')})")
        why_en = (f"; it reads {', '.join(opaque)}, which has no plain-data form" if opaque else "")
        why_fr = (f" ; il lit {', '.join(opaque)}, sans forme en données simples" if opaque else "")
        part = " (its visible part)" if t.public and t.test.hidden and t.weight == 0 else ""
        raise AuthoringError(
            f"{where}, cell {t.test.origin + 1}: the test of {qid}{part} fails on the reference when run outside "
            f"the notebook's kernel: {e.message.en}{why_en}. A test may read the notebook's plain values "
            "(numbers, strings, lists, dicts, arrays, tensors) and call its functions with plain-data arguments; "
            "write this one as a check in checks.py, or change it",
            fr=f"{where}, cellule {t.test.origin + 1} : le test de {qid}{part.replace('its visible part', 'sa partie visible')} "
               f"échoue sur la référence hors du noyau du notebook : {e.message.fr}{why_fr}. Un test peut lire les "
               "valeurs simples du notebook (nombres, chaînes, listes, dictionnaires, tableaux, tenseurs) et appeler "
               "ses fonctions avec des arguments simples ; écrivez celui-ci comme une vérification dans checks.py, "
               "ou modifiez-le") from e
    return printed if t.test.output else None


def _plain(desc: dict) -> bool:
    mro = {str(m) for m in desc.get("mro") or ()}
    plain = {"builtins.int", "builtins.float", "builtins.str", "builtins.bool", "builtins.list", "builtins.tuple",
             "builtins.dict", "builtins.NoneType", "numpy.ndarray", "numpy.generic", "builtins.complex"}
    return bool(mro & plain) or str(desc.get("type", "")).startswith("tensorflow.")


def prints(source: str) -> bool:
    """Whether a doctest may print something: a bare expression that is not a constant (a call included)."""
    tree = ast.parse(source)
    return any(isinstance(n, ast.Expr) and not isinstance(n.value, ast.Constant) for n in tree.body)


