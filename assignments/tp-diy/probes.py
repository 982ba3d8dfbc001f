"""Trusted code that the judge ships, as text, into the student's runner with every `obs.probe`.

Nothing here knows an expected value: probes only instantiate the student's classes, call them
on inputs the judge chose and hand back plain arrays. Two helpers matter:

* `call`/`method` label every call to the student's code, so that an exception is reported as
  "`Linear.backward_delta` a levé une erreur" instead of a bare traceback of the probe;
* `TLinear`, `TTanH`, `TSigmoid`, `TSeq`, `TMSE`, `train` are small correct modules, so that
  one question can be observed without depending on the student's answers to the others
  (a mistake is charged once, where it is made).

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


# -- correct modules, used where a question must not depend on the others ---------------------
class TLinear:
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


class _Stateless:
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


class TSeq:
    def __init__(self, *modules: Any):
        self.modules = list(modules)

    def _inputs(self, X: np.ndarray) -> list[np.ndarray]:
        inputs = [X]
        for m in self.modules:
            inputs.append(m.forward(inputs[-1]))
        return inputs

    def forward(self, X: np.ndarray) -> np.ndarray:
        return self._inputs(X)[-1]

    def backward_update_gradient(self, input: np.ndarray, delta: np.ndarray) -> None:
        inputs = self._inputs(input)
        for i in reversed(range(len(self.modules))):
            self.modules[i].backward_update_gradient(inputs[i], delta)
            if i:
                delta = self.modules[i].backward_delta(inputs[i], delta)

    def backward_delta(self, input: np.ndarray, delta: np.ndarray) -> np.ndarray:
        inputs = self._inputs(input)
        for i in reversed(range(len(self.modules))):
            delta = self.modules[i].backward_delta(inputs[i], delta)
        return delta

    def zero_grad(self) -> None:
        for m in self.modules:
            m.zero_grad()

    def update_parameters(self, gradient_step: float = 1e-3) -> None:
        for m in self.modules:
            m.update_parameters(gradient_step)


class TMSE:
    def forward(self, y: np.ndarray, yhat: np.ndarray) -> np.ndarray:
        return np.sum((y - yhat) ** 2, axis=1)

    def backward(self, y: np.ndarray, yhat: np.ndarray) -> np.ndarray:
        return -2 * (y - yhat)


class Spy(_Stateless):
    """First module of a net: drops column 0 (the example's id) and records the ids it trains on."""

    def __init__(self) -> None:
        self.batches: list[np.ndarray] = []
        self.steps: list[float] = []

    def forward(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X, dtype=np.float64)[:, 1:]

    def backward_update_gradient(self, input: np.ndarray, delta: np.ndarray) -> None:
        self.batches.append(np.rint(np.asarray(input, dtype=np.float64)[:, 0]).astype(np.int64))

    def backward_delta(self, input: np.ndarray, delta: np.ndarray) -> np.ndarray:
        return np.hstack([np.zeros((len(delta), 1)), delta])

    def update_parameters(self, gradient_step: float = 1e-3) -> None:
        self.steps.append(float(gradient_step))


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
