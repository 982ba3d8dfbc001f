"""An instructor's test cell, run in the clean room on the student's values as plain data (runner side).

nbgrader and otter run the instructor's tests in the student's own kernel, so a student who patched
`np.allclose` or `assert` earlier passes them. Here the test runs in the clean room (a runner that
never executes a student cell): its imports are the instructor's own (`setup`), the student's values
arrive as plain data decoded afresh, and each of the student's functions is a `StudentFunction`
that answers a call with what the student's runner answered the judge for the same arguments.

A call the judge has not made yet stops the test (`NeedCall`, not an `Exception`: a test's own
`except Exception` cannot swallow it); the judge asks the student's runner and runs the test again
from the top with one more answer. Every replay re-seeds `random`, numpy and TensorFlow, so a test
that draws its inputs makes the same calls each time. A failing `assert` is explained the way
pytest's assertion rewriting does: the line, then the values of its parts.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import copy
import hashlib
import io
import random
import sys
import traceback
from typing import Any

import numpy as np

FILENAME = "<teacher-test>"
STATE = "__teacher_tests__"
MAX_OUTPUT = 20_000  # the printed output a test may compare (otter's doctest semantics)
MAX_REPR = 300


class NeedCall(BaseException):
    """The test called a student function with arguments the judge has not asked the student about."""

    def __init__(self, name: str, key: str, args: tuple, kwargs: dict):
        super().__init__(name)
        self.name, self.key, self.args_, self.kwargs = name, key, args, kwargs


class StudentCallError(Exception):
    """A student's function raised an exception whose type is not a builtin one (its line is kept)."""


class StudentFunction:
    """Stands for a student's function in the test: answers from the student's runner, by arguments."""

    def __init__(self, name: str, memo: dict[str, dict], pending: list[NeedCall]):
        self._name, self._memo, self._pending = name, memo, pending

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        key = fingerprint((self._name, args, kwargs))
        if key not in self._memo:
            need = NeedCall(self._name, key, args, kwargs)
            self._pending.append(need)  # asked for even if a bare `except:` in the test swallows it
            raise need
        outcome = self._memo[key]
        if "value" in outcome:
            return _fresh(outcome["value"])
        raise _rebuilt(str(outcome.get("error", "")), self._name)

    @property
    def __name__(self) -> str:  # noqa: PLW3201 - what `f.__name__` in a test reads
        return self._name

    def __repr__(self) -> str:
        return f"<function {self._name}>"


def _rebuilt(line: str, name: str) -> Exception:
    """The student's exception as the test can catch it: a builtin type by its name, else StudentCallError."""
    kind, _, message = line.partition(": ")
    cls = getattr(builtins, kind.strip(), None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        try:
            return cls(message)
        except Exception:  # noqa: BLE001 - a builtin that wants other arguments
            pass
    return StudentCallError(f"{name}(...): {line}" if line else f"{name}(...) failed")


def fingerprint(value: Any) -> str:
    """A key equal for equal plain data (arrays by dtype, shape and bytes; tensors as arrays, marked)."""
    digest = hashlib.sha256()

    def feed(v: Any, depth: int = 0) -> None:
        if depth > 20:
            digest.update(b"<deep>")
            return
        if isinstance(v, np.ndarray | np.generic):
            a = np.ascontiguousarray(v)
            digest.update(f"nd:{a.dtype.str}:{a.shape}:".encode())
            digest.update(a.tobytes() if a.dtype.kind in "biufc" else repr(a.tolist()).encode())
        elif type(v).__module__.startswith("tensorflow") and hasattr(v, "numpy"):
            digest.update(b"tensor:")
            feed(np.asarray(v.numpy()), depth + 1)
        elif isinstance(v, list | tuple):
            digest.update(f"{type(v).__name__}:{len(v)}[".encode())
            for x in v:
                feed(x, depth + 1)
            digest.update(b"]")
        elif isinstance(v, dict):
            digest.update(f"dict:{len(v)}{{".encode())
            for k, x in sorted(v.items(), key=lambda kv: repr(kv[0])):
                feed(k, depth + 1)
                feed(x, depth + 1)
            digest.update(b"}")
        else:
            digest.update(f"{type(v).__name__}:{v!r}".encode())

    feed(value)
    return digest.hexdigest()


def _fresh(value: Any) -> Any:
    """A copy the test may change in place without changing what the next replay sees."""
    try:
        return copy.deepcopy(value)
    except Exception:  # noqa: BLE001 - a value that cannot be copied (tensors are immutable anyway)
        return value


def _seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    if "tensorflow" in sys.modules:
        with contextlib.suppress(Exception):
            sys.modules["tensorflow"].random.set_seed(seed)


class _Capped(io.StringIO):
    def write(self, s: str) -> int:
        if self.tell() < MAX_OUTPUT:
            super().write(s[: MAX_OUTPUT - self.tell()])
        return len(s)


def _short(value: Any) -> str:
    try:
        with np.printoptions(threshold=20, edgeitems=3, precision=6):
            text = repr(value)
    except Exception as e:  # noqa: BLE001 - a repr that raises says so
        text = f"<repr failed: {type(e).__name__}>"
    return _clip(text)


def _clip(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_REPR else text[: MAX_REPR - 1] + "…"


def _literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _parts(test: ast.expr) -> list[ast.expr]:
    """The sub-expressions of an assertion worth showing (pytest's `where` lines, one level deep)."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _parts(test.operand)
    if isinstance(test, ast.Compare):
        return [test.left, *test.comparators]
    if isinstance(test, ast.BoolOp):
        return list(test.values)
    if isinstance(test, ast.Call):
        return [*test.args, *(k.value for k in test.keywords)]
    return [test]


def _explain(tree: ast.Module, lines: list[str], tb, exc: BaseException) -> dict:
    """Where the test stopped (its line, in the test's own code) and, for an assertion, its parts' values."""
    frame, lineno = None, 0
    for f, n in traceback.walk_tb(tb):
        if f.f_code.co_filename == FILENAME:
            frame, lineno = f, n
    out: dict[str, Any] = {"line": lineno, "code": lines[lineno - 1].strip() if 0 < lineno <= len(lines) else ""}
    node = next((n for n in ast.walk(tree) if isinstance(n, ast.Assert) and n.lineno <= lineno <= (n.end_lineno or 0)),
                None)
    if isinstance(exc, AssertionError) and node is not None and frame is not None:
        out["code"] = " ".join((ast.get_source_segment("\n".join(lines), node) or out["code"]).split())
        where = []
        for part in _parts(node.test):
            if _literal(part):  # `[0.0, 2.0]` says itself
                continue
            try:
                value = eval(compile(ast.Expression(part), FILENAME, "eval"), frame.f_globals, frame.f_locals)
            except BaseException:  # noqa: BLE001 - a part that cannot be evaluated again is left out
                continue
            if callable(value) or type(value).__name__ == "module":
                continue
            where.append([" ".join(ast.unparse(part).split()), _short(value)])
        out["where"] = where[:6]
        if node.msg is not None and str(exc):
            out["message"] = _clip(str(exc))
    return out


def run_test(ns: dict, token: str, *, setup: list[str] | None = None, source: list[str] | None = None,
             values: dict | None = None, functions: list[str] | None = None, answers: list | None = None,
             seed: int = 0) -> dict:
    """Run test `token` from the top; the first request brings its code and values, later ones answers.

    Returns {"status": "passed", "output"}, {"status": "need", "name", "key", "args", "kwargs"},
    {"status": "failed" | "error", "error", "line", "code", "where", "output"}, or {"status": "unknown"}
    (this runner never saw the test: it was restarted).
    """
    tests = ns.setdefault(STATE, {})
    if source is None and token not in tests:  # a clean room started afresh since: the judge sends it all again
        return {"status": "unknown"}
    if source is not None:
        tests[token] = {"setup": "".join(setup or []), "source": "".join(source), "values": dict(values or {}),
                        "functions": list(functions or []), "memo": {}}
    state = tests[token]
    for key, outcome in answers or []:
        state["memo"][str(key)] = dict(outcome)
    code = state["source"]
    tree = ast.parse(code, FILENAME)
    lines = code.split("\n")
    scope: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    out = _Capped()
    pending: list[NeedCall] = []

    def display(value: Any) -> None:  # a bare expression prints its repr, as in a doctest or a cell
        if value is not None:
            builtins._ = value
            out.write(repr(value) + "\n")

    hook = sys.displayhook
    try:
        with contextlib.redirect_stdout(out):
            sys.displayhook = display
            for stmt in ast.parse(state["setup"], "<teacher-setup>").body:  # the instructor's imports
                with contextlib.suppress(Exception):
                    exec(compile(ast.Module([stmt], []), "<teacher-setup>", "exec"), scope)
            out.seek(0)
            out.truncate()
            scope.update({k: _fresh(v) for k, v in state["values"].items()})
            scope.update({k: StudentFunction(k, state["memo"], pending) for k in state["functions"]})
            _seed(seed)
            for stmt in tree.body:
                exec(compile(ast.Interactive([stmt]), FILENAME, "single"), scope)
    except NeedCall:
        pass
    except BaseException as e:  # noqa: BLE001 - whatever the test raises is its verdict
        if not pending:
            status = "failed" if isinstance(e, AssertionError) else "error"
            return {"status": status, "error": _clip(f"{type(e).__name__}: {e}".rstrip(": ")), "output": out.getvalue(),
                    **_explain(tree, lines, e.__traceback__, e)}
    finally:
        sys.displayhook = hook
    if pending:
        need = pending[0]
        return {"status": "need", "name": need.name, "key": need.key, "args": list(need.args_),
                "kwargs": dict(need.kwargs)}
    return {"status": "passed", "output": out.getvalue()}
