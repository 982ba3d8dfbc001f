"""`grader release`: the student bundle of an assignment, its public checks only.

The bundle is a course folder, `OUT/assignments/<id>/`, that `grader check` can load on a
student's machine: `assignment.toml` (its threshold and margin tables removed), `student.ipynb`
(with its self-check cells, `grader.selfcheck`), `bundle.json` (the public checks' names and, per
question, how many hidden checks there are: a count, never a name, so a self-check can say what it
does not run), and the check modules pruned with `ast`. Pruning drops every check that is not
`public=True`, `MEASURES`, then, to a fixpoint across the package's modules, every top-level
definition that no kept code uses; a sibling module left with nothing is dropped with its import.
The source is written back with `ast.unparse`: comments, which may speak of hidden things, are lost.
Never copied: the reference, `calibration.json`, data files (images whose names carry labels).

Beside the bundle go `OUT/wheels/` (the grader as a student wheel: its code without the built-in
course) and `OUT/LISEZMOI.md` (what to install and run, French then English): `grader.authoring.kit`.
What a student is told to install is those two, never the instructor's wheel.

Before the bundle replaces an earlier one, its package is imported and must register exactly the
public checks, in their original order; no hidden check's name may appear in any of its files.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import shutil
import tempfile
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grader
from grader.assignments import AssignmentError, import_checks
from grader.authoring import AuthoringError, kit
from grader.judge.registry import Check

ENTRY = "checks"  # the module the loader reads; `checks` is also the registry's name in it
INSTRUCTOR_ONLY = frozenset({"MEASURES"})  # what `grader calibrate` measures: held-out scores
HIDDEN_TABLES = frozenset({"thresholds", "margins"})  # assignment.toml tables a student never gets


class ReleaseError(AuthoringError):
    """The bundle cannot be made without leaking or breaking something; nothing was written."""


@dataclass(frozen=True)
class ReleaseResult:
    assignment: str
    folder: Path  # OUT/assignments/<id>
    files: tuple[Path, ...]  # every file written, under `folder`
    public_checks: tuple[str, ...]  # in registration order
    hidden_checks: tuple[str, ...]  # left out
    modules: tuple[str, ...] = field(default=())  # the check modules shipped (stems)
    wheel: Path | None = None  # OUT/wheels/<the student wheel>, what students install
    instructions: Path | None = None  # OUT/LISEZMOI.md


@dataclass(frozen=True)
class _Declared:
    """A check as its decorator reads in the source."""

    name: str
    module: str
    public: bool
    requires: tuple[str, ...]


# -- reading the package --------------------------------------------------------------------------
def _is_registration(decorator: ast.expr) -> bool:
    """`@checks(...)` (or `@mod.checks(...)`): the registry's decorator."""
    if not isinstance(decorator, ast.Call):
        return False
    func = decorator.func
    return (isinstance(func, ast.Name) and func.id == ENTRY) or (isinstance(func, ast.Attribute) and func.attr == ENTRY)


def _literal(node: ast.expr, what: str, where: str):
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise ReleaseError(f"{where}: {what} must be a literal for `grader release` to read it "
                           f"(found {ast.unparse(node)!r})") from None


def _declared(stem: str, node: ast.stmt) -> _Declared | None:
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return None
    calls = [d for d in node.decorator_list if _is_registration(d)]
    if not calls:
        return None
    where = f"{stem}.py: check {node.name}"
    keywords = {k.arg: k.value for k in calls[0].keywords if k.arg}
    public = _literal(keywords["public"], "public=", where) if "public" in keywords else False
    requires = _literal(keywords["requires"], "requires=", where) if "requires" in keywords else ()
    requires = (requires,) if isinstance(requires, str) else tuple(requires)
    return _Declared(node.name, stem, bool(public), requires)


def _bound(node: ast.stmt) -> set[str]:
    """Top-level names a definition binds (empty for statements that are not definitions)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Import | ast.ImportFrom):
        return {a.asname or a.name.split(".")[0] for a in node.names}
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, ast.AnnAssign | ast.AugAssign):
        targets = [node.target]
    names: set[str] = set()
    for t in targets:
        names |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def _is_docstring(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _is_definition(node: ast.stmt) -> bool:
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Import | ast.ImportFrom
                      | ast.Assign | ast.AnnAssign | ast.AugAssign) and bool(_bound(node))


def _is_all(node: ast.stmt) -> bool:
    return isinstance(node, ast.Assign | ast.AnnAssign) and _bound(node) == {"__all__"}


def _sibling(node: ast.stmt, stem: str, modules: dict[str, ast.Module]) -> str | None:
    """`from .x import ...`: the sibling x; None for other imports. Deeper relative imports are refused."""
    if not isinstance(node, ast.ImportFrom) or node.level == 0:
        return None
    if node.level > 1 or (node.module is not None and "." in node.module):
        raise ReleaseError(f"{stem}.py: `{ast.unparse(node)}`: only sibling modules are supported")
    if node.module is not None and node.module not in modules:
        raise ReleaseError(f"{stem}.py: `{ast.unparse(node)}`: no module {node.module}.py in the assignment")
    return node.module or ""


def _module_imports(node: ast.stmt, stem: str, modules: dict[str, ast.Module]) -> dict[str, str]:
    """`from . import a, b as c`: alias -> sibling module."""
    if _sibling(node, stem, modules) != "":
        return {}
    assert isinstance(node, ast.ImportFrom)
    found = {}
    for a in node.names:
        if a.name not in modules:
            raise ReleaseError(f"{stem}.py: `from . import {a.name}`: no module {a.name}.py in the assignment")
        found[a.asname or a.name] = a.name
    return found


def _references(node: ast.AST) -> Iterator[tuple[str, str | None]]:
    """(name, attribute) for every `name` read or written, with `attribute` when it is `name.attribute`."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
            yield sub.value.id, sub.attr
        elif isinstance(sub, ast.Name):
            yield sub.id, None


# -- pruning ----------------------------------------------------------------------------------------
class _Pruner:
    """Which top-level statements of which modules the public checks need, to a fixpoint."""

    def __init__(self, modules: dict[str, ast.Module], declared: dict[str, _Declared]):
        self.modules, self.declared = modules, declared
        self.kept: dict[str, set[int]] = {stem: set() for stem in modules}  # statement indices
        self.used_modules: set[str] = set()
        self.bindings: dict[str, dict[str, list[int]]] = {}
        self.aliases: dict[str, dict[str, str]] = {}  # module -> alias of `from . import x` -> x
        for stem, tree in modules.items():
            names: dict[str, list[int]] = {}
            aliases: dict[str, str] = {}
            for i, node in enumerate(tree.body):
                for name in _bound(node):
                    names.setdefault(name, []).append(i)
                aliases.update(_module_imports(node, stem, modules))
            self.bindings[stem], self.aliases[stem] = names, aliases
        self.todo: list[tuple[str, int]] = []

    def run(self) -> dict[str, list[ast.stmt]]:
        """The kept statements of each kept module, in source order."""
        self._use_module(ENTRY)
        for stem, tree in self.modules.items():
            for i, node in enumerate(tree.body):
                check = self._check(stem, node)
                if check is not None and check.public:
                    self._use_module(stem)
                    self._keep(stem, i)
        self._use(ENTRY, ENTRY, None)  # the loader reads `checks.checks`
        while self.todo:
            stem, i = self.todo.pop()
            node = self.modules[stem].body[i]
            if self._sibling_module_import(stem, node):
                continue  # `from . import a, b`: kept per alias, for the modules that are kept
            for name, attr in _references(node):
                self._use(stem, name, attr)
        return {stem: self._statements(stem) for stem in self.modules if stem in self.used_modules}

    def _check(self, stem: str, node: ast.stmt) -> _Declared | None:
        found = _declared(stem, node)
        return self.declared.get(found.name) if found else None

    def _sibling_module_import(self, stem: str, node: ast.stmt) -> bool:
        return bool(_module_imports(node, stem, self.modules))

    def _keep(self, stem: str, i: int) -> None:
        if i not in self.kept[stem]:
            self.kept[stem].add(i)
            self.todo.append((stem, i))

    def _use_module(self, stem: str) -> None:
        if stem not in self.used_modules:
            self.used_modules.add(stem)
            for i, node in enumerate(self.modules[stem].body):  # what runs on import and is not a definition
                if not _is_definition(node) and not _is_docstring(node) and self._check(stem, node) is None:
                    self._keep(stem, i)

    def _use(self, stem: str, name: str, attr: str | None) -> None:
        """`name` (maybe `name.attr`) is read by kept code of `stem`: keep what binds it, across modules."""
        if stem == ENTRY and name in INSTRUCTOR_ONLY:
            return
        if name in self.aliases[stem] and attr is not None:  # `mod.attr` after `from . import mod`
            target = self.aliases[stem][name]
            self._use_module(target)
            self._use(target, attr, None)
        for i in self.bindings[stem].get(name, []):
            node = self.modules[stem].body[i]
            check = self._check(stem, node)
            if check is not None and not check.public:
                raise ReleaseError(f"{stem}.py: kept code uses the hidden check {name}: make it public, or move "
                                   "what the public checks share out of it")
            if _is_all(node):
                continue  # names listed in `__all__` are not uses; `__all__` is filtered instead
            if self._sibling_module_import(stem, node):
                self._use_module(self.aliases[stem][name])
                self._keep(stem, i)
                continue
            self._keep(stem, i)
            source = _sibling(node, stem, self.modules)
            if source:
                assert isinstance(node, ast.ImportFrom)
                self._use_module(source)
                for a in node.names:
                    if (a.asname or a.name) == name:
                        self._use(source, a.name, None)

    def _statements(self, stem: str) -> list[ast.stmt]:
        body = self.modules[stem].body
        out: list[ast.stmt] = []
        for i, node in enumerate(body):
            if i == 0 and _is_docstring(node):
                out.append(node)
            elif isinstance(node, ast.ImportFrom) and node.module == "__future__":
                out.append(node)
            elif self._sibling_module_import(stem, node):
                names = [a for a in node.names if a.name in self.used_modules]
                if names:
                    out.append(ast.ImportFrom(module=None, names=names, level=1))
            elif _is_all(node) or i in self.kept[stem]:
                out.append(self._trimmed(stem, node))
        return out

    def _trimmed(self, stem: str, node: ast.stmt) -> ast.stmt:
        """An import keeps only the names that kept code uses (here or, re-exported, in a sibling)."""
        if isinstance(node, ast.Import) or isinstance(node, ast.ImportFrom) and node.module != "__future__":
            needed = [a for a in node.names if self._needed(stem, a.asname or a.name.split(".")[0])]
            return type(node)(**{**{f: getattr(node, f) for f in node._fields}, "names": needed})
        return node

    def _needed(self, stem: str, name: str) -> bool:
        """Whether a kept statement other than an import reads `name` (or it is the entry's registry)."""
        if stem == ENTRY and name == ENTRY:
            return True
        for i in self.kept[stem]:
            node = self.modules[stem].body[i]
            if isinstance(node, ast.Import | ast.ImportFrom):
                continue
            if any(ref == name for ref, _ in _references(node)):
                return True
        return self._read_by_siblings(stem, name)

    def _read_by_siblings(self, stem: str, name: str) -> bool:
        """`from .stem import name` or `stem.name` in a kept statement of another module."""
        for other, indices in self.kept.items():
            if other == stem or other not in self.used_modules:
                continue
            for i in indices:
                node = self.modules[other].body[i]
                if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module == stem \
                        and any(a.name == name for a in node.names):
                    return True
                aliases = {a for a, m in self.aliases[other].items() if m == stem}
                if any(ref in aliases and attr == name for ref, attr in _references(node)):
                    return True
        return False


def _filter_all(tree: ast.Module) -> None:
    defined = set()
    for node in tree.body:
        if not _is_all(node):
            defined |= _bound(node)
    for node in tree.body:
        if _is_all(node) and isinstance(node.value, ast.List | ast.Tuple):
            node.value.elts = [e for e in node.value.elts
                               if not (isinstance(e, ast.Constant) and isinstance(e.value, str))
                               or e.value in defined]


def _order_registration(tree: ast.Module, order: list[str]) -> None:
    """The entry's `from . import a, b` in the order the original registered their checks."""
    rank = {stem: i for i, stem in enumerate(order)}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module is None:
            node.names = sorted(node.names, key=lambda a: rank.get(a.name, len(rank)))


def _empty(body: list[ast.stmt]) -> bool:
    return all(_is_docstring(n) or (isinstance(n, ast.ImportFrom) and n.module == "__future__") for n in body)


# -- importing a package of check modules ---------------------------------------------------------
def _registry(folder: Path, label: str) -> list[Check]:
    """Import `folder/checks.py` under a fresh package name, then forget it: neither copy can shadow
    the other, nor the package `grader.assignments` loads for grading."""
    tag = hashlib.sha256(f"{folder.resolve()}\0{label}".encode()).hexdigest()[:10]
    package = f"grader_release_{re.sub(r'[^0-9A-Za-z]', '_', label)}_{tag}"
    try:
        return list(import_checks(folder / f"{ENTRY}.py", package, keep=False)[1])
    except AssignmentError as e:
        raise ReleaseError(str(e)) from e


# -- assignment.toml ------------------------------------------------------------------------------
_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")


def _without_hidden(data):
    if isinstance(data, dict):
        return {k: _without_hidden(v) for k, v in data.items() if k not in HIDDEN_TABLES}
    if isinstance(data, list):
        return [_without_hidden(v) for v in data]
    return data


def public_toml(text: str) -> str:
    """`assignment.toml` without its `thresholds` and `margins` (tables or one-line keys).

    Text-level, so the rest keeps its layout; checked by parsing both: anything else removed, or a
    hidden table left (a multi-line inline value), is refused.
    """
    out: list[str] = []
    skipping = False
    for line in text.splitlines(keepends=True):
        header = _HEADER.match(line)
        if header:
            last = header.group(1).split(".")[-1].strip().strip("\"'")
            skipping = last in HIDDEN_TABLES
        key = _KEY.match(line)
        if skipping or (key and key.group(1) in HIDDEN_TABLES):
            continue
        out.append(line)
    result = "".join(out)
    try:
        before, after = tomllib.loads(text), tomllib.loads(result)
    except tomllib.TOMLDecodeError as e:
        raise ReleaseError(f"assignment.toml: {e}") from e
    if after != _without_hidden(before):
        raise ReleaseError("assignment.toml: cannot remove its thresholds/margins line by line; write them as "
                           "tables (`[budget.cpu.thresholds]`)")
    return result


# -- the bundle -----------------------------------------------------------------------------------
def _header(assignment_id: str, stem: str) -> str:
    return (f"# Generated by `grader release` (grader {grader.__version__}) from {assignment_id}/{stem}.py: "
            "public checks only.\n# Do not edit: change the assignment's checks and release again.\n")


def _parse(folder: Path) -> dict[str, ast.Module]:
    modules = {}
    for path in sorted(folder.glob("*.py")):
        try:
            modules[path.stem] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except SyntaxError as e:
            raise ReleaseError(f"{path}: {e}") from e
    if ENTRY not in modules:
        raise ReleaseError(f"{folder}: no {ENTRY}.py")
    return modules


def _check_requires(declared: dict[str, _Declared]) -> None:
    for c in declared.values():
        hidden = [r for r in c.requires if r in declared and not declared[r].public]
        if c.public and hidden:
            raise ReleaseError(f"public check {c.name} ({c.module}.py) requires the hidden check(s) "
                               f"{', '.join(hidden)}: a student could never run it; make "
                               f"{'them' if len(hidden) > 1 else 'it'} public or drop the requirement")


def _target(out: Path, assignment_id: str, folder: Path) -> Path:
    target = out / "assignments" / assignment_id
    src, dst = folder.resolve(), target.resolve()
    if dst == src or src in dst.parents or dst in src.parents:
        raise ReleaseError(f"{target}: the bundle would overwrite the assignment itself; choose another --out")
    return target


def release(assignment_folder: Path, out: Path, *, student_kit: bool = True) -> ReleaseResult:
    """Write the student bundle of the assignment in `assignment_folder` to `out/assignments/<id>/`,
    and (`student_kit`) the student wheel and instructions beside it (`grader.authoring.kit`).

    Nothing is written when it fails (`ReleaseError`); an earlier bundle of the same id is replaced.
    """
    if not student_kit:
        return _release(assignment_folder, out, None)
    try:
        kit.check_target(Path(out))
        with tempfile.TemporaryDirectory(prefix="grader-kit-") as tmp:
            wheel = kit.build_student_wheel(Path(tmp))
            return _release(assignment_folder, out, wheel)
    except kit.KitError as e:
        error = ReleaseError(str(e))
        error.message = e.message  # both languages, for the console
        raise error from e


def _release(assignment_folder: Path, out: Path, wheel: Path | None) -> ReleaseResult:
    folder = Path(assignment_folder)
    toml_path = folder / "assignment.toml"
    if not toml_path.is_file():
        raise ReleaseError(f"{folder}: no assignment.toml")
    notebook = folder / "student.ipynb"
    if not notebook.is_file():
        raise ReleaseError(f"{folder}: no student.ipynb (run `grader generate` first)")
    toml_text = toml_path.read_text(encoding="utf-8")
    try:
        assignment_id = str(tomllib.loads(toml_text).get("id", folder.name))
    except tomllib.TOMLDecodeError as e:
        raise ReleaseError(f"{toml_path}: {e}") from e
    target = _target(Path(out), assignment_id, folder)

    modules = _parse(folder)
    declared: dict[str, _Declared] = {}
    for stem, tree in modules.items():
        for node in tree.body:
            found = _declared(stem, node)
            if found is not None:
                declared[found.name] = found
    _check_requires(declared)

    original = _registry(folder, f"{assignment_id}_source")
    registered = {c.name: c for c in original}
    unseen = sorted(set(registered) ^ set(declared))
    if unseen:
        raise ReleaseError(f"{folder}: checks registered otherwise than by a top-level `@checks(...)`, which "
                           f"`grader release` cannot prune: {', '.join(unseen)}")
    flags = [n for n, c in registered.items() if c.public != declared[n].public]
    if flags:
        raise ReleaseError(f"{folder}: `public=` of {', '.join(flags)} reads differently in the source")
    public = [c.name for c in original if c.public]
    hidden = [c.name for c in original if not c.public]
    block_order: list[str] = []
    for c in original:
        stem = c.func.__module__.rsplit(".", 1)[-1]
        if c.public and stem not in block_order:
            block_order.append(stem)

    pruned = _Pruner(modules, declared).run()
    sources: dict[str, ast.Module] = {}
    for stem, body in pruned.items():
        if stem != ENTRY and _empty(body):
            continue
        tree = ast.Module(body=body, type_ignores=[])
        _filter_all(tree)
        if stem == ENTRY:
            _order_registration(tree, block_order)
        sources[stem] = tree
    for tree in sources.values():  # a dropped empty module leaves no import behind
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module is None:
                node.names = [a for a in node.names if a.name in sources]
        tree.body = [n for n in tree.body if not (isinstance(n, ast.Import | ast.ImportFrom) and not n.names)]
    texts = {}
    for stem, tree in sources.items():
        text = _header(assignment_id, stem) + ast.unparse(ast.fix_missing_locations(tree)) + "\n"
        try:
            compile(text, f"{stem}.py", "exec")
        except SyntaxError as e:
            raise ReleaseError(f"{stem}.py: the pruned source does not compile ({e}): a bug of `grader release`") from e
        texts[f"{stem}.py"] = text
    texts["assignment.toml"] = public_toml(toml_text)
    hidden_by_question: dict[str, int] = {}
    for c in original:
        if not c.public:
            hidden_by_question[c.question] = hidden_by_question.get(c.question, 0) + 1
    texts["bundle.json"] = json.dumps({"assignment": assignment_id, "public_checks": public,
                                       "hidden_by_question": hidden_by_question,
                                       "grader_version": grader.__version__}, indent=2, ensure_ascii=False) + "\n"

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{assignment_id}.", dir=target.parent))
    try:
        for name, text in texts.items():
            (staging / name).write_text(text, encoding="utf-8")
        shutil.copyfile(notebook, staging / "student.ipynb")
        _verify(staging, assignment_id, original, hidden)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    files = tuple(sorted(target / name for name in [*texts, "student.ipynb"]))
    made = kit.install(Path(out), wheel) if wheel is not None else None
    return ReleaseResult(assignment_id, target, files, tuple(public), tuple(hidden),
                         tuple(sorted(sources)), made.wheel if made else None,
                         made.instructions if made else None)


def _verify(staging: Path, assignment_id: str, original: list[Check], hidden: list[str]) -> None:
    """The bundle registers exactly the public checks, as declared, in order; no hidden name anywhere."""
    shipped = _registry(staging, f"{assignment_id}_bundle")
    want = [(c.name, c.question, c.weight, c.requires, c.description) for c in original if c.public]
    got = [(c.name, c.question, c.weight, c.requires, c.description) for c in shipped]
    if got != want or not all(c.public for c in shipped):
        raise ReleaseError(f"{assignment_id}: the pruned checks register {[g[0] for g in got]}, expected "
                           f"{[w[0] for w in want]}: a bug of `grader release`")
    for path in sorted(staging.iterdir()):
        text = path.read_text(encoding="utf-8", errors="replace")
        leaked = [n for n in hidden if re.search(rf"\b{re.escape(n)}\b", text)]
        if leaked:
            raise ReleaseError(f"{path.name} of the bundle names hidden check(s) {', '.join(leaked)} "
                               "(a docstring or message of a public check?)")
