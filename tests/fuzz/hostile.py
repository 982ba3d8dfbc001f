"""Hostile submissions for every assignment: each contract name bound to nonsense of one family.

The contract of an assignment is read from its reference (percent-format Python): the names its
solution blocks bind (`answer_names`), plus every other top-level name it binds (`model`, `W`,
`history`... live outside the blocks in some references, and checks read them). A submission is a
small `.py` module, no training: the reference's imports, the hostile helpers, then every name
bound to one family's value. One submission per family:

- value families bind *every* name (functions and classes too) to the same value;
- function families bind each function name to a misbehaving function, values to None;
- class families (assignments with classes: tp-diy) bind each class to one whose methods return
  garbage or raise, values to an instance of it, functions to the same garbage;
- Keras families (references that import keras) bind models to broken models, builders to
  functions returning them, histories to a plain dict.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from grader import assignments
from grader.authoring.convert import answer_names
from grader.authoring.converted_tests import python_of
from grader.notebooks import split_cells

Kind = str  # "value" | "function" | "class"


@dataclass(frozen=True)
class Contract:
    assignment: str
    names: tuple[tuple[str, Kind], ...]  # in the reference's order
    imports: str  # the reference's import statements (all cells), one per line
    keras: bool

    def of_kind(self, kind: Kind) -> list[str]:
        return [n for n, k in self.names if k == kind]

    @property
    def models(self) -> list[str]:
        return [n for n in self.of_kind("value") if MODEL_NAME.search(n)]

    @property
    def histories(self) -> list[str]:
        return [n for n in self.of_kind("value") if HISTORY_NAME.search(n)]


MODEL_NAME = re.compile(r"^(model|cnn|autoencoder|encoder|decoder)(_\w+)?$")
HISTORY_NAME = re.compile(r"^(h|history)(_\w+)?$")


def _top_level_bindings(tree: ast.Module) -> list[tuple[str, Kind]]:
    found: list[tuple[str, Kind]] = []

    def targets(node: ast.AST):
        if isinstance(node, ast.Name):
            yield node.id
        elif isinstance(node, ast.Tuple | ast.List):
            for elt in node.elts:
                yield from targets(elt)
        elif isinstance(node, ast.Starred):
            yield from targets(node.value)

    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append((node.name, "function"))
        elif isinstance(node, ast.ClassDef):
            found.append((node.name, "class"))
        elif isinstance(node, ast.Assign):
            found += [(n, "value") for t in node.targets for n in targets(t)]
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and getattr(node, "value", None) is not None:
            found += [(n, "value") for n in targets(node.target)]
    return found


@cache
def contract(assignment: str) -> Contract:
    text = assignments.locate(assignment).reference.read_text(encoding="utf-8")
    names: dict[str, Kind] = {}
    imports: list[str] = []
    for kind, source in split_cells(text):
        if kind != "code":
            continue
        try:
            tree = ast.parse(python_of(source))
        except SyntaxError:
            continue
        for name, k in answer_names(source) + _top_level_bindings(tree):
            if not name.startswith("_"):
                names.setdefault(name, k)
        imports += [ast.unparse(n) for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    keras = any(re.search(r"\bkeras\b", line) for line in imports)
    return Contract(assignment, tuple(names.items()), "\n".join(dict.fromkeys(imports)), keras)


# -- runner-side helpers (source text of the submission) -------------------------------------------
HELPERS = '''
import time as _time

import numpy as _np


class _FuzzEvil(Exception):
    pass


def _evil(*args, **kwargs):
    raise _FuzzEvil("fuzz: evil object")


class Evil:
    """Every protocol a judge or probe might touch raises."""
    def __getattr__(self, name):
        raise _FuzzEvil("fuzz: evil __getattr__ " + name)
    __array__ = __len__ = __iter__ = __float__ = __int__ = __index__ = __complex__ = _evil
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __hash__ = _evil
    __repr__ = __str__ = __format__ = __bool__ = __call__ = _evil
    __getitem__ = __setitem__ = __contains__ = __reversed__ = _evil
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _evil
    __matmul__ = __rmatmul__ = __neg__ = __abs__ = __round__ = _evil


def _garbage_class(result, raises=False):
    """A class whose every method (any name) returns `result` or raises."""
    def method(self, *args, **kwargs):
        if raises:
            raise _FuzzEvil("fuzz: method raises")
        return result() if callable(result) else result

    def getattr_(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: method(self)

    names = ("forward", "backward", "backward_update_gradient", "backward_delta", "update_parameters",
             "zero_grad", "step", "__call__")
    body = {n: method for n in names}
    body.update(__init__=lambda self, *args, **kwargs: None, __getattr__=getattr_)
    return type("Garbage", (), body)
'''

_VALUES: dict[str, str] = {
    "none": "None",
    "string": '"x"',
    "huge_int": "10 ** 400",
    "wrong_rank": "_np.zeros(3)",
    "wrong_dtype": '_np.array(["a"])',
    "object_array": "_np.array([object(), None], dtype=object)",
    "nonfinite": "_fuzz_nonfinite({shape})",
    "nested": "[[1, [2]], 3]",
    "dict": '{"a": 1}',
    "generator": "(i for i in range(3))",
    "evil": "Evil()",
}
NONFINITE = '''
def _fuzz_nonfinite(shape):
    a = _np.full(shape, _np.nan, dtype="float32")
    a.flat[::2] = _np.inf
    return a
'''

#: Plausible shapes for the NaN/inf family (right shape, wrong values); others get (4, 4).
PLAUSIBLE = {
    "batch": (10, 28, 28), "normalized": (10, 28, 28), "first_five": (5, 28, 28), "centered": (10, 28, 28),
    "flat": (10, 784), "x_train": (128, 28, 28), "x_test": (64, 28, 28), "y_train": (128,), "y_test": (64,),
    "X_train": (128, 28, 28), "X_test": (64, 28, 28), "y_train_cat": (128, 10), "y_test_cat": (64, 10),
    "X_train_cnn": (128, 28, 28, 1), "X_test_cnn": (64, 28, 28, 1), "X_train_rnn": (128, 28, 28),
    "X_test_rnn": (64, 28, 28), "cm": (10, 10), "W": (2, 1), "b": (1,), "probs": (100, 1),
    "accuracy": (), "n_params": (),
}

_FUNCTIONS: dict[str, str] = {
    "fn_raises": 'def {name}(*args, **kwargs):\n    raise ValueError("fuzz: raises")',
    "fn_none": "def {name}(*args, **kwargs):\n    return None",
    "fn_arity": "def {name}(*args, **kwargs):\n    return (1, 2, 3)",
    "fn_generator": "def {name}(*args, **kwargs):\n    return (i for i in range(3))",
    "fn_evil": "def {name}(*args, **kwargs):\n    return Evil()",
    "fn_sleep": "def {name}(*args, **kwargs):\n    _time.sleep(10 ** 6)",
}

_CLASSES: dict[str, str] = {
    "cls_none": "_garbage_class(None)",
    "cls_string": '_garbage_class("x")',
    "cls_evil": "_garbage_class(Evil)",
    "cls_raises": "_garbage_class(None, raises=True)",
}

_KERAS: dict[str, str] = {
    "keras_empty": "keras.Sequential()",
    "keras_uncompiled": ("keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(), "
                         'keras.layers.Dense(10, activation="softmax")])'),
    "keras_wrong_input": "_fuzz_compiled(keras.Sequential([keras.Input(shape=(7,)), "
                         'keras.layers.Dense(10, activation="softmax")]))',
}
KERAS_HELPERS = '''
import keras


def _fuzz_compiled(model):
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


_FUZZ_HISTORY = {"accuracy": [0.1], "val_accuracy": [0.1], "loss": [2.3], "val_loss": [2.3]}
'''


@dataclass(frozen=True)
class Family:
    """`bind(contract, name, kind)`: the source binding `name` in this family, None where the family
    has nothing for that kind (the uniform corpus then binds None); `prelude`: helpers it needs."""

    name: str
    applies: Callable[[Contract], bool]
    bind: Callable[[Contract, str, Kind], str | None]
    prelude: str = ""


def _value_bind(expr: str) -> Callable[[Contract, str, Kind], str]:
    def bind(c: Contract, name: str, kind: Kind) -> str:
        return f"{name} = {expr.replace('{shape}', repr(PLAUSIBLE.get(name, (4, 4))))}"
    return bind


def _function_bind(template: str) -> Callable[[Contract, str, Kind], str | None]:
    def bind(c: Contract, name: str, kind: Kind) -> str | None:
        return template.format(name=name) if kind == "function" else None
    return bind


def _class_bind(expr: str) -> Callable[[Contract, str, Kind], str]:
    def bind(c: Contract, name: str, kind: Kind) -> str:
        if kind == "class":
            return f"class {name}({expr}):\n    pass"
        return f"{name} = ({expr})()"  # an instance for values; callable (returns garbage) for functions
    return bind


def _keras_bind(expr: str) -> Callable[[Contract, str, Kind], str | None]:
    def bind(c: Contract, name: str, kind: Kind) -> str | None:
        if kind == "function":
            return f"def {name}(*args, **kwargs):\n    return {expr}"
        if name in c.models:
            return f"{name} = {expr}"
        if name in c.histories:
            return f"{name} = dict(_FUZZ_HISTORY)"
        return None
    return bind


def _is_keras(c: Contract) -> bool:
    return c.keras and bool(c.models or c.of_kind("function"))


FAMILIES: dict[str, Family] = {}
for _name, _expr in _VALUES.items():
    FAMILIES[_name] = Family(_name, lambda c: True, _value_bind(_expr), NONFINITE if "{shape}" in _expr else "")
for _name, _tpl in _FUNCTIONS.items():
    FAMILIES[_name] = Family(_name, lambda c: bool(c.of_kind("function")), _function_bind(_tpl))
for _name, _expr in _CLASSES.items():
    FAMILIES[_name] = Family(_name, lambda c: bool(c.of_kind("class")), _class_bind(_expr))
for _name, _expr in _KERAS.items():
    FAMILIES[_name] = Family(_name, _is_keras, _keras_bind(_expr), KERAS_HELPERS)


def families_for(assignment: str) -> list[str]:
    c = contract(assignment)
    return [f.name for f in FAMILIES.values() if f.applies(c)]


def submission(assignment: str, family: str) -> str:
    """One hostile module: imports and helpers in a first cell, every name bound in a second."""
    c, fam = contract(assignment), FAMILIES[family]
    head = "\n".join(filter(None, [c.imports, HELPERS, fam.prelude]))
    body = [fam.bind(c, name, kind) or f"{name} = None" for name, kind in c.names]
    return f"# %%\n{head}\n\n# %%\n" + "\n\n".join(body) + "\n"


def corpus(assignment: str, families: list[str] | None = None) -> dict[str, str]:
    """`fuzz_<family>.py` -> source, for the families that apply (all of them by default)."""
    wanted = families_for(assignment) if families is None else [f for f in families if f in families_for(assignment)]
    return {f"fuzz_{f}.py": submission(assignment, f) for f in wanted}


# -- one name at a time, in an otherwise correct submission ----------------------------------------
#: Families the one-name tier cycles through (each name gets `per_name` of them, in turn).
ONE_NAME_FAMILIES = ("wrong_rank", "evil", "none", "nonfinite", "fn_arity", "fn_evil", "nested", "cls_none",
                     "keras_wrong_input", "string")


def rebound(assignment: str, name: str, family: str) -> str | None:
    """The reference with one last cell rebinding `name` to `family`'s value (None: nothing for it).

    Every other answer stays right, so the checks of later questions, which build on `name`, are
    reached with it wrong: the one-name tier finds what the uniform corpus stops short of."""
    c, fam = contract(assignment), FAMILIES[family]
    kind = dict(c.names)[name]
    if not fam.applies(c) or (binding := fam.bind(c, name, kind)) is None:
        return None
    text = assignments.locate(assignment).reference.read_text(encoding="utf-8")
    return f"{text}\n\n# %%\n{HELPERS}\n{fam.prelude}\n{binding}\n"


@cache
def read_names(assignment: str) -> list[str]:
    """The contract names the assignment's check modules spell out (string constants): the ones
    its checks read, in the contract's order."""
    folder = assignments.locate(assignment).folder
    spelled: set[str] = set()
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                spelled.add(node.value)
    return [n for n, _ in contract(assignment).names if n in spelled]


def one_name_corpus(assignment: str, per_name: int = 2) -> dict[str, str]:
    """`one_<name>_<family>.py` -> source: each name the checks read rebound in `per_name` families,
    taken in turn from `ONE_NAME_FAMILIES` (only those that have something for its kind)."""
    out: dict[str, str] = {}
    answers = read_names(assignment)
    turn = 0
    for name in dict.fromkeys(answers):
        picked = 0
        for i in range(len(ONE_NAME_FAMILIES)):
            family = ONE_NAME_FAMILIES[(turn + i) % len(ONE_NAME_FAMILIES)]
            source = rebound(assignment, name, family)
            if source is not None:
                out[f"one_{name}_{family}.py"] = source
                picked += 1
                if picked == per_name:
                    turn = (turn + i + 1) % len(ONE_NAME_FAMILIES)
                    break
    return out
