"""Trusted code that the judge ships, as text, into the student's runner with every `obs.probe`.

Nothing here knows an expected value: probes only instantiate the student's classes, call them
on inputs the judge chose and hand back plain arrays. Two helpers matter:

* `call`/`method` label every call to the student's code, so that an exception is reported as
  "`Linear.backward_delta` a levé une erreur" instead of a bare traceback of the probe;
* `Parts` builds a container's parts: the student's own classes first (a container may call
  its modules or read the fields its own `Linear` keeps), and, only for a part the judge names
  as faulty, a correct stand-in (`TLinear`, `TTanH`, `TSigmoid`, `TReLU`, `TMSE`; for
  `Sequentiel` the student's own class with correct composition methods, `repaired`, else
  `TSeq`), so that a mistake is charged once, where it is made; `train` is a correct SGD;
* `affine` and `held` observe a `Linear`'s parameters and stored gradient through its own
  forward and update, whatever its storage.

The judge appends a `main()` and the line `result = run(main)`; the probe's globals also hold
`ns` (the student's namespace) and the judge's inputs.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

import numpy as np


class StudentError(Exception):
    """The student's code raised (or returned something unusable) inside a labelled call."""

    def __init__(self, where: str, trace: str):
        super().__init__(where)
        self.where, self.trace = where, trace


def _copy(value: Any) -> Any:
    """Inputs are copied: a module that edits its input in place must not corrupt the next call."""
    return value.copy() if isinstance(value, np.ndarray) else value


def call(where: str, fn: Callable, *args: Any) -> Any:
    try:
        return fn(*(_copy(a) for a in args))
    except Exception as e:  # noqa: BLE001 - the student's error is an observation
        raise StudentError(where, "".join(traceback.format_exception(e))[-3000:]) from None


def method(obj: Any, label: str, name: str, *args: Any) -> Any:
    fn = getattr(obj, name, None)
    if not callable(fn):
        raise StudentError(f"{label}.{name}",
                           f"AttributeError: {label} ({type(obj).__name__}) n'a pas de méthode {name}")
    return call(f"{label}.{name}", fn, *args)


def floats(where: str, value: Any) -> np.ndarray:
    try:
        out = np.array(value, dtype=np.float64)
    except Exception:  # noqa: BLE001
        raise StudentError(where, f"valeur renvoyée non numérique : {type(value).__name__}") from None
    return out


def new(ns: dict, name: str, *args: Any) -> Any:
    return call(f"{name}(...)", ns[name], *args)


def forward(obj: Any, label: str, *args: Any) -> np.ndarray:
    """`obj.forward(*args)` as floats: (X) for a module, (y, yhat) for a loss."""
    return floats(f"{label}.forward", method(obj, label, "forward", *args))


def affine(obj: Any, label: str, d_in: int) -> tuple[np.ndarray, np.ndarray]:
    """Weight and bias of an affine module, whatever its storage: forward on 0 and on e_i."""
    out = forward(obj, label, np.vstack([np.zeros((1, d_in)), np.eye(d_in)]))
    return out[1:] - out[0], out[0]


def held(obj: Any, label: str, d_in: int) -> list[np.ndarray]:
    """The gradient an affine module holds, seen through its own update: (W, b) before
    `update_parameters(1)`, then (W, b) after. The judge subtracts; the module has moved (a module
    may empty its gradient as it updates), so this is the last observation of that module."""
    before = affine(obj, label, d_in)
    method(obj, label, "update_parameters", 1.0)
    return [*before, *affine(obj, label, d_in)]


class Named:
    """A student's module or loss inside a trusted net: every call stays labelled."""

    def __init__(self, obj: Any, label: str):
        self.obj, self.label = obj, label

    def forward(self, *args: Any) -> np.ndarray:
        return floats(f"{self.label}.forward", method(self.obj, self.label, "forward", *args))

    def backward(self, y: np.ndarray, yhat: np.ndarray) -> np.ndarray:
        return floats(f"{self.label}.backward", method(self.obj, self.label, "backward", y, yhat))

    def backward_delta(self, input: np.ndarray, delta: np.ndarray) -> np.ndarray:
        return floats(f"{self.label}.backward_delta",
                      method(self.obj, self.label, "backward_delta", input, delta))

    def backward_update_gradient(self, input: np.ndarray, delta: np.ndarray) -> None:
        method(self.obj, self.label, "backward_update_gradient", input, delta)

    def zero_grad(self) -> None:
        method(self.obj, self.label, "zero_grad")

    def update_parameters(self, gradient_step: float = 1e-3) -> None:
        method(self.obj, self.label, "update_parameters", gradient_step)

    def __call__(self, *args: Any) -> np.ndarray:
        return self.forward(*args)


# -- correct modules, used where a question must not depend on the others ---------------------
class _Callable:
    """A student's container may call its modules (`module(x)`, `loss(y, yhat)`): so may the stand-ins."""

    def __call__(self, *args: Any) -> np.ndarray:
        return self.forward(*args)  # type: ignore[attr-defined]


class TLinear(_Callable):
    def __init__(self, W: np.ndarray, b: np.ndarray):
        self.W, self.b = np.array(W, dtype=np.float64), np.array(b, dtype=np.float64)
        self.zero_grad()

    @classmethod
    def random(cls, d_in: int, d_out: int, rng: np.random.Generator) -> TLinear:
        bound = 1 / np.sqrt(d_in)
        return cls(rng.uniform(-bound, bound, (d_in, d_out)), rng.uniform(-bound, bound, d_out))

    def zero_grad(self) -> None:
        self.gW, self.gb = np.zeros_like(self.W), np.zeros_like(self.b)

    def forward(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X, dtype=np.float64) @ self.W + self.b

    def backward_update_gradient(self, input: np.ndarray, delta: np.ndarray) -> None:
        self.gW += np.asarray(input).T @ delta
        self.gb += np.sum(delta, axis=0)

    def backward_delta(self, input: np.ndarray, delta: np.ndarray) -> np.ndarray:
        return np.asarray(delta) @ self.W.T

    def update_parameters(self, gradient_step: float = 1e-3) -> None:
        self.W -= gradient_step * self.gW
        self.b -= gradient_step * self.gb


class _Stateless(_Callable):
    def zero_grad(self) -> None:
        pass

    def backward_update_gradient(self, input: np.ndarray, delta: np.ndarray) -> None:
        pass

    def update_parameters(self, gradient_step: float = 1e-3) -> None:
        pass


class TTanH(_Stateless):
    def forward(self, X: np.ndarray) -> np.ndarray:
        return np.tanh(X)

    def backward_delta(self, input: np.ndarray, delta: np.ndarray) -> np.ndarray:
        return delta * (1 - np.tanh(input) ** 2)


class TSigmoid(_Stateless):
    def forward(self, X: np.ndarray) -> np.ndarray:
        return np.exp(-np.logaddexp(0.0, -np.asarray(X, dtype=np.float64)))

    def backward_delta(self, input: np.ndarray, delta: np.ndarray) -> np.ndarray:
        s = self.forward(input)
        return delta * s * (1 - s)


class TReLU(_Stateless):
    def forward(self, X: np.ndarray) -> np.ndarray:
        return np.maximum(np.asarray(X, dtype=np.float64), 0.0)

    def backward_delta(self, input: np.ndarray, delta: np.ndarray) -> np.ndarray:
        return delta * (np.asarray(input) > 0)


class SeqMethods(_Callable):
    """A correct composition of `self._tp_parts`: the stand-in `TSeq`, and the repair of a student's
    faulty `Sequentiel` (these methods over theirs; their other methods and fields kept)."""

    _tp_parts: list[Any]

    def _inputs(self, X: np.ndarray) -> list[np.ndarray]:
        inputs = [X]
        for m in self._tp_parts:
            inputs.append(m.forward(inputs[-1]))
        return inputs

    def forward(self, X: np.ndarray) -> np.ndarray:
        return self._inputs(X)[-1]

    def backward_update_gradient(self, input: np.ndarray, delta: np.ndarray) -> None:
        inputs = self._inputs(input)
        for i in reversed(range(len(self._tp_parts))):
            self._tp_parts[i].backward_update_gradient(inputs[i], delta)
            if i:
                delta = self._tp_parts[i].backward_delta(inputs[i], delta)

    def backward_delta(self, input: np.ndarray, delta: np.ndarray) -> np.ndarray:
        inputs = self._inputs(input)
        for i in reversed(range(len(self._tp_parts))):
            delta = self._tp_parts[i].backward_delta(inputs[i], delta)
        return delta

    def zero_grad(self) -> None:
        for m in self._tp_parts:
            m.zero_grad()

    def update_parameters(self, gradient_step: float = 1e-3) -> None:
        for m in self._tp_parts:
            m.update_parameters(gradient_step)


class TSeq(SeqMethods):
    def __init__(self, *modules: Any):
        self.modules = self._tp_parts = list(modules)


def repaired(cls: Any, modules: tuple) -> Any:
    """The student's faulty `Sequentiel` class built on `modules`, its contract methods replaced by
    correct ones: a container of theirs that relies on its other methods or fields (`parameters()`,
    `.layers`) still finds them. None when it cannot be built so."""
    if not isinstance(cls, type):
        return None
    try:
        obj = cls(*modules)
        obj.__class__ = type(cls.__name__, (SeqMethods, cls), {})
        obj._tp_parts = list(modules)
    except Exception:  # noqa: BLE001 - then the plain stand-in serves
        return None
    return obj


class TMSE(_Callable):
    def forward(self, y: np.ndarray, yhat: np.ndarray) -> np.ndarray:
        return np.sum((y - yhat) ** 2, axis=1)

    def backward(self, y: np.ndarray, yhat: np.ndarray) -> np.ndarray:
        return -2 * (y - yhat)


class SpyLoss(_Callable):
    """A loss (the student's or a stand-in) that records the targets of every backward pass: the
    judge's targets are all different, so they name the examples each training step saw."""

    def __init__(self, loss: Any, label: str):
        self.loss, self.label = loss, label
        self.batches: list[np.ndarray] = []

    def forward(self, y: np.ndarray, yhat: np.ndarray) -> np.ndarray:
        return method(self.loss, self.label, "forward", y, yhat)

    def backward(self, y: np.ndarray, yhat: np.ndarray) -> np.ndarray:
        y = np.asarray(y)
        self.batches.append(np.asarray(y, dtype=np.float64).reshape(len(y), -1)[:, 0].copy())
        return method(self.loss, self.label, "backward", y, yhat)


STAND_INS: dict[str, Callable[..., Any]] = {"TanH": TTanH, "Sigmoide": TSigmoid, "ReLU": TReLU, "Sequentiel": TSeq,
                                            "MSELoss": TMSE}


class Parts:
    """A container's parts: `parts("Linear", 4, 6)` is the student's own `Linear(4, 6)`, unless the
    judge put "Linear" in `swap` (the student's is faulty or missing): then a correct stand-in."""

    def __init__(self, ns: dict, swap: Any, seed: int):
        self.ns, self.swap, self.rng = ns, {str(s) for s in swap}, np.random.default_rng(int(seed))

    def __call__(self, name: str, *args: Any) -> Any:
        if name not in self.swap:
            return new(self.ns, name, *args)
        if name == "Linear":
            return TLinear.random(int(args[0]), int(args[1]), self.rng)
        if name == "Sequentiel":
            fixed = repaired(self.ns.get("Sequentiel"), args)
            if fixed is not None:
                return fixed
            # the student's modules inside a stand-in: their calls stay labelled
            args = tuple(m if isinstance(m, (_Callable, Named)) else Named(m, type(m).__name__) for m in args)
        return STAND_INS[name](*args)


def train(net: Any, loss: Any, X: np.ndarray, Y: np.ndarray, batch_size: int, epochs: int,
          eps: float, seed: int) -> None:
    """A correct mini-batch SGD, for questions that must not depend on the student's `SGD`."""
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            net.zero_grad()
            yhat = net.forward(X[idx])
            net.backward_update_gradient(X[idx], loss.backward(Y[idx], yhat))
            net.update_parameters(eps)


def run(main: Callable[[], Any]) -> Any:
    try:
        return main()
    except StudentError as e:
        return {"__student_error__": (e.where, e.trace)}
