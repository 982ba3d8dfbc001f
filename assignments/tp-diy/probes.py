"""Runner-side code of tp-diy: the functions its checks call with `obs.run(fn, ...)`.

`obs.run` ships this module's source to the runner, which cannot see the course: it imports only
installed packages (numpy), never a sibling. Every entry point takes the student's namespace `ns`
first and plain data after, and returns plain arrays; nothing here knows an expected value: the
probes only instantiate the student's classes and call them on inputs the judge chose.

* `call`/`method` label every call to the student's code, so that an exception is reported as
  "`Linear.backward_delta` a levé une erreur" instead of a bare traceback of the probe; `@probe`
  turns that `StudentError` into the plain answer `{"__student_error__": (where, trace)}`;
* `Parts` builds a container's parts: the student's own classes first (a container may call
  its modules or read the fields its own `Linear` keeps), and, only for a part the judge names
  as faulty, a correct stand-in (`TLinear`, `TTanH`, `TSigmoid`, `TReLU`, `TMSE`; for
  `Sequentiel` the student's own class with correct composition methods, `repaired`, else
  `TSeq`), so that a mistake is charged once, where it is made; `train` is a correct SGD;
* `affine` and `held` observe a `Linear`'s parameters and stored gradient through its own
  forward and update, whatever its storage.

The entry points follow, question by question, after the helpers.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable, Sequence
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
    """`fn(*args)` of the student's, on copies; what it raises is theirs, labelled `where` for the message."""
    try:
        return fn(*(_copy(a) for a in args))
    except Exception as e:  # noqa: BLE001 - the student's error is an observation
        raise StudentError(where, "".join(traceback.format_exception(e))[-3000:]) from None


def method(obj: Any, label: str, name: str, *args: Any) -> Any:
    """`obj.name(*args)` as a labelled `call`; a missing method is the student's error too."""
    fn = getattr(obj, name, None)
    if not callable(fn):
        raise StudentError(f"{label}.{name}",
                           f"AttributeError: {label} ({type(obj).__name__}) n'a pas de méthode {name}")
    return call(f"{label}.{name}", fn, *args)


def floats(where: str, value: Any) -> np.ndarray:
    """A returned value as a float array; one that is not numbers is the student's error at `where`."""
    try:
        out = np.array(value, dtype=np.float64)
    except Exception:  # noqa: BLE001
        raise StudentError(where, f"valeur renvoyée non numérique : {type(value).__name__}") from None
    return out


def new(ns: dict, name: str, *args: Any) -> Any:
    """A fresh instance of the student's class `name`; its constructor's error is labelled `name(...)`."""
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


# -- entry points: `obs.run(probes.<name>, ...)` ------------------------------------------------
def probe(fn: Callable[..., Any]) -> Callable[..., Any]:
    """An entry point: the student's labelled error becomes a plain answer, which `common._run` turns
    into the check's error naming the method (any other exception is the runner's error report)."""
    @functools.wraps(fn)
    def entry(ns: dict, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(ns, *args, **kwargs)
        except StudentError as e:
            return {"__student_error__": (e.where, e.trace)}

    return entry


# q1: MSELoss, Linear
@probe
def mse_forward(ns: dict, y: np.ndarray, yhat: np.ndarray) -> np.ndarray:
    """A fresh `MSELoss().forward(y, yhat)`."""
    return forward(new(ns, "MSELoss"), "MSELoss", y, yhat)


@probe
def mse_backward(ns: dict, y: np.ndarray, yhat: np.ndarray, y_rep: np.ndarray,
                 yhat_pert: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`backward(y, yhat)`, then `forward` on the perturbed predictions the judge differentiates."""
    loss = new(ns, "MSELoss")
    grad = floats("MSELoss.backward", method(loss, "MSELoss", "backward", y, yhat))
    return grad, forward(loss, "MSELoss", y_rep, yhat_pert)


@probe
def linear_forward(ns: dict, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A fresh `Linear(4, 3)`: its (W, b) seen through forward, then its forward on `X`."""
    m = new(ns, "Linear", 4, 3)
    W, b = affine(m, "Linear", 4)
    return W, b, forward(m, "Linear", X)


@probe
def linear_backward_delta(ns: dict, X: np.ndarray, delta: np.ndarray,
                          Xp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A fresh `Linear(4, 3)`'s outputs on the perturbed inputs, then its `backward_delta(X, delta)`
    (after a forward on `X`, as in training)."""
    m = new(ns, "Linear", 4, 3)
    outputs = forward(m, "Linear", Xp)
    forward(m, "Linear", X)
    return outputs, floats("Linear.backward_delta", method(m, "Linear", "backward_delta", X, delta))


def linear_moved(ns: dict, pairs: list, gradient_step: float, zero_between: bool = False) -> tuple:
    """A fresh Linear(4, 3): its (W, b) before, then after zero_grad, backward passes and one update."""
    m = new(ns, "Linear", 4, 3)
    before = affine(m, "Linear", 4)
    method(m, "Linear", "zero_grad")
    for k, (x, d) in enumerate(pairs):
        if k and zero_between:
            method(m, "Linear", "zero_grad")
        forward(m, "Linear", x)
        method(m, "Linear", "backward_update_gradient", x, d)
    method(m, "Linear", "update_parameters", gradient_step)
    return (*before, *affine(m, "Linear", 4))


@probe
def linear_steps(ns: dict, steps: list) -> list[tuple]:
    """`linear_moved(ns, pairs, gradient_step, zero_between)` for each step, each on a fresh module."""
    return [linear_moved(ns, pairs, gradient_step, zero_between) for pairs, gradient_step, zero_between in steps]


# q2: activations; q4, q6: modules without parameters
@probe
def activation(ns: dict, name: str, X: np.ndarray, delta: np.ndarray, Xp: np.ndarray) -> tuple:
    """A fresh `name()`: forward on `X` and on the perturbed inputs, `backward_delta(X, delta)`, then
    forward again after whichever of zero_grad, backward_update_gradient, update_parameters it has
    (a module without parameters must not change under them)."""
    m = new(ns, name)
    out = forward(m, name, X)
    outputs = forward(m, name, Xp)
    forward(m, name, X)
    dx = floats(name + ".backward_delta", method(m, name, "backward_delta", X, delta))
    for op, args in (("zero_grad", ()), ("backward_update_gradient", (X, delta)), ("update_parameters", (1.0,))):
        if callable(getattr(m, op, None)):
            method(m, name, op, *args)
    return out, outputs, dx, forward(m, name, X)


@probe
def input_gradient(ns: dict, name: str, X: np.ndarray, delta: np.ndarray, Xp: np.ndarray) -> tuple:
    """A fresh `name()` (`Softmax`, `Flatten`): forward on `X` and on the perturbed inputs, then
    `backward_delta(X, delta)` after a forward on `X`."""
    m = new(ns, name)
    out = forward(m, name, X)
    outputs = forward(m, name, Xp)
    forward(m, name, X)
    return out, outputs, floats(f"{name}.backward_delta", method(m, name, "backward_delta", X, delta))


# q3: Sequentiel, Optim, SGD
SEQ_SIZES = (4, 6, 5, 3)


def net_of(ns: dict, swap: list, seed: int) -> tuple[list, Any, list[np.ndarray]]:
    """Sequentiel(Linear(4, 6), TanH(), Linear(6, 5), TanH(), Linear(5, 3)) of the student's own parts
    (stand-ins for those in `swap`); its linears and their parameters."""
    parts = Parts(ns, swap, seed)
    linears = [parts("Linear", a, b) for a, b in zip(SEQ_SIZES[:-1], SEQ_SIZES[1:], strict=True)]
    mods = [linears[0], parts("TanH"), linears[1], parts("TanH"), linears[2]]
    params = [p for m, d in zip(linears, SEQ_SIZES, strict=False) for p in affine(m, "Linear", d)]
    return linears, call("Sequentiel(...)", ns["Sequentiel"], *mods), params


def gradients(linears: Sequence[Any], d_ins: tuple[int, ...]) -> list[list[np.ndarray]]:
    """What each linear holds, seen through its own update (`held`): the last look at them."""
    return [held(m, "Linear", d) for m, d in zip(linears, d_ins, strict=False)]


@probe
def sequentiel_gradients(ns: dict, swap: list, seed: int, X: np.ndarray, delta: np.ndarray,
                         Xp: np.ndarray) -> tuple:
    """A net's parameters, outputs on `X` and the perturbed inputs, `backward_delta(X, delta)`; then a
    fresh net's parameters and the gradients its `backward_update_gradient(X, delta)` left."""
    linears, net, params = net_of(ns, swap, seed)
    outputs = forward(net, "Sequentiel", Xp)
    out = forward(net, "Sequentiel", X)
    dx = floats("Sequentiel.backward_delta", method(net, "Sequentiel", "backward_delta", X, delta))
    linears, net, params2 = net_of(ns, swap, seed + 1)  # a fresh net: its gradients alone
    method(net, "Sequentiel", "zero_grad")
    forward(net, "Sequentiel", X)
    method(net, "Sequentiel", "backward_update_gradient", X, delta)
    return params, out, outputs, dx, params2, gradients(linears, SEQ_SIZES)


@probe
def sequentiel_update(ns: dict, swap: list, seed: int, XS: list, DS: list) -> tuple:
    """A known gradient in each linear (through its own methods), then the net's `update_parameters(0.5)`
    and `zero_grad()`: parameters before, after, and what the linears hold then."""
    linears, net, params = net_of(ns, swap, seed)
    for m, x, d in zip(linears, XS, DS, strict=False):
        method(m, "Linear", "zero_grad")
        forward(m, "Linear", x)
        method(m, "Linear", "backward_update_gradient", x, d)
    method(net, "Sequentiel", "update_parameters", 0.5)
    after = [p for m, d in zip(linears, SEQ_SIZES, strict=False) for p in affine(m, "Linear", d)]
    method(net, "Sequentiel", "zero_grad")
    return params, after, gradients(linears, SEQ_SIZES)


@probe
def optim_steps(ns: dict, swap: list, seed: int, X: np.ndarray, Y: np.ndarray, eps: float, Yq: np.ndarray,
                Yhatq: np.ndarray) -> list:
    """The loss's values on (Yq, Yhatq) (its scale), the parameters, then two `Optim.step(X, Y)`: each
    one's returned loss and the parameters after it."""
    parts = Parts(ns, swap, seed)
    linears = [parts("Linear", 3, 4), parts("Linear", 4, 2)]
    net = parts("Sequentiel", linears[0], parts("TanH"), linears[1])
    loss = parts("MSELoss")

    def observe() -> list[np.ndarray]:
        return [p for m, d in zip(linears, (3, 4), strict=True) for p in affine(m, "Linear", d)]

    opt = call("Optim(...)", ns["Optim"], net, loss, eps)
    out = [forward(loss, "MSELoss", Yq, Yhatq), observe()]
    for _ in range(2):
        out.append(floats("Optim.step", method(opt, "Optim", "step", X, Y)))
        out.append(observe())
    return out


@probe
def sgd_batches(ns: dict, swap: list, seed: int, X: np.ndarray, Y: np.ndarray, batch_size: int,
                epochs: int) -> tuple[list[np.ndarray], np.ndarray]:
    """The student's `SGD` on a 1-layer net: the targets of every backward pass, and what it returned."""
    parts = Parts(ns, swap, seed)
    net = parts("Sequentiel", parts("Linear", 3, 1))
    loss = SpyLoss(parts("MSELoss"), "MSELoss")
    losses = call("SGD(...)", ns["SGD"], net, loss, X, Y, batch_size, epochs, 1e-3, True)
    return loss.batches, floats("SGD (valeur renvoyée)", losses)


@probe
def gaussians_fit(ns: dict, swap: list, seed: int, X: np.ndarray, Y: np.ndarray,
                  X_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The student's `Sequentiel` and `SGD` trained on (X, Y): the net's outputs on X and on X_test."""
    parts = Parts(ns, swap, seed)
    layers = [parts("Linear", 2, 8), parts("TanH"), parts("Linear", 8, 1)]
    net = call("Sequentiel(...)", ns["Sequentiel"], *layers)
    call("SGD(...)", ns["SGD"], net, parts("MSELoss"), X, Y, 10, 60, 0.01, True)
    return forward(net, "Sequentiel", X), forward(net, "Sequentiel", X_test)


# q4: cross-entropies, digits
@probe
def cross_entropy(ns: dict, name: str, y: np.ndarray, yhat: np.ndarray, y_rep: np.ndarray,
                  yhat_pert: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A fresh loss `name()`: its values, `backward(y, yhat)`, then its values on the perturbed scores."""
    loss = new(ns, name)
    values = forward(loss, name, y, yhat)
    grad = floats(name + ".backward", method(loss, name, "backward", y, yhat))
    return values, grad, forward(loss, name, y_rep, yhat_pert)


@probe
def digits_fit(ns: dict, swap: list, softmax: bool, loss_name: str, seed: int, X: np.ndarray, Y: np.ndarray,
               X_test: np.ndarray) -> np.ndarray:
    """A 2-layer net (with the student's `Softmax` head when `softmax`) trained on the digits by the
    student's `SGD`, or by the correct `train` when `SGD` or `Optim` is swapped: its scores on X_test."""
    parts = Parts(ns, swap, seed)
    loss = new(ns, loss_name)
    head = [new(ns, "Softmax")] if softmax else []
    layers = [parts("Linear", 64, 32), parts("TanH"), parts("Linear", 32, 10), *head]
    net = parts("Sequentiel", *layers)
    if "SGD" in swap or "Optim" in swap:
        train(Named(net, "Sequentiel"), Named(loss, loss_name), X, Y, 32, 15, 0.02, seed)
    else:
        call("SGD(...)", ns["SGD"], net, loss, X, Y, 32, 15, 0.02, True)
    return forward(net, "Sequentiel", X_test)


# q5: AutoEncoder, autoencoder, encoder
def autoencoder_of(ns: dict, parts: Parts) -> tuple[tuple, Any, list[np.ndarray]]:
    """AutoEncoder(Sequentiel(Linear(6, 3), TanH()), Sequentiel(Linear(3, 6), Sigmoide())) of `parts`:
    its two linears, the autoencoder, and the linears' parameters."""
    enc_l, dec_l = parts("Linear", 6, 3), parts("Linear", 3, 6)
    enc, dec = parts("Sequentiel", enc_l, parts("TanH")), parts("Sequentiel", dec_l, parts("Sigmoide"))
    params = [*affine(enc_l, "Linear", 6), *affine(dec_l, "Linear", 3)]
    return (enc_l, dec_l), call("AutoEncoder(...)", ns["AutoEncoder"], enc, dec), params


@probe
def autoencoder_composition(ns: dict, swap: list, seed: int, X: np.ndarray, delta: np.ndarray, Xp: np.ndarray,
                            XS: list, DS: list) -> tuple:
    """Three fresh autoencoders: forward and `backward_delta`; the gradients `backward_update_gradient`
    leaves; a known gradient in each linear, then `update_parameters(0.5)` and `zero_grad()`."""
    parts = Parts(ns, swap, seed)
    _, ae, params = autoencoder_of(ns, parts)
    outputs = forward(ae, "AutoEncoder", Xp)
    out = forward(ae, "AutoEncoder", X)
    dx = floats("AutoEncoder.backward_delta", method(ae, "AutoEncoder", "backward_delta", X, delta))
    linears, ae, params2 = autoencoder_of(ns, parts)  # a fresh one: its gradients alone
    method(ae, "AutoEncoder", "zero_grad")
    forward(ae, "AutoEncoder", X)
    method(ae, "AutoEncoder", "backward_update_gradient", X, delta)
    g = gradients(linears, (6, 3))
    linears, ae, params3 = autoencoder_of(ns, parts)  # a known gradient in each linear, then the updates
    for m, x, d in zip(linears, XS, DS, strict=False):
        method(m, "Linear", "zero_grad")
        forward(m, "Linear", x)
        method(m, "Linear", "backward_update_gradient", x, d)
    method(ae, "AutoEncoder", "update_parameters", 0.5)
    after = [*affine(linears[0], "Linear", 6), *affine(linears[1], "Linear", 3)]
    method(ae, "AutoEncoder", "zero_grad")
    return params, out, outputs, dx, params2, g, params3, after, gradients(linears, (6, 3))


@probe
def reconstruction(ns: dict, X_test: np.ndarray) -> np.ndarray:
    """The student's trained `autoencoder` on X_test."""
    return forward(ns["autoencoder"], "autoencoder", X_test)


@probe
def autoencoder_retrained(ns: dict, swap: list, seed: int, X: np.ndarray, X_test: np.ndarray) -> np.ndarray:
    """The student's `AutoEncoder` class on 64-16-64 parts, trained by the correct `train` on X: its
    reconstruction of X_test."""
    parts = Parts(ns, swap, seed)
    enc = parts("Sequentiel", parts("Linear", 64, 16), parts("TanH"))
    dec = parts("Sequentiel", parts("Linear", 16, 64), parts("Sigmoide"))
    ae = Named(call("AutoEncoder(...)", ns["AutoEncoder"], enc, dec), "AutoEncoder")
    train(ae, TMSE(), X, X, 16, 30, 0.02, seed)
    return ae.forward(X_test)


@probe
def latent_codes(ns: dict, X_test: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The student's `encoder` codes of X_test, `decoder` on those codes, and `autoencoder` on X_test."""
    codes = forward(ns["encoder"], "encoder", X_test)
    return codes, forward(ns["decoder"], "decoder", codes), forward(ns["autoencoder"], "autoencoder", X_test)


# q6: Conv1D, MaxPool1D (Flatten: `input_gradient`)
@probe
def conv_shapes(ns: dict, cases: np.ndarray, inputs: list) -> list[np.ndarray]:
    """The output shape of a fresh `Conv1D(k, c_in, c_out, stride)` on each input, for each case."""
    shapes = []
    for (k, c_in, c_out, stride, _), X in zip(cases, inputs, strict=False):
        m = new(ns, "Conv1D", int(k), int(c_in), int(c_out), int(stride))
        shapes.append(np.array(forward(m, "Conv1D", X).shape))
    return shapes


@probe
def conv_forward(ns: dict, basis: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A fresh `Conv1D(3, 2, 4, 2)` on the basis windows (its kernel), then on `X`."""
    m = new(ns, "Conv1D", 3, 2, 4, 2)
    return forward(m, "Conv1D", basis), forward(m, "Conv1D", X)


@probe
def conv_gradients(ns: dict, basis: np.ndarray, X: np.ndarray, delta: np.ndarray, Xp: np.ndarray) -> tuple:
    """A fresh `Conv1D(3, 2, 3, 2)`: its kernel, outputs on the perturbed inputs, `backward_delta`, and its
    kernel after zero_grad, one backward pass and `update_parameters(0.5)`."""
    m = new(ns, "Conv1D", 3, 2, 3, 2)
    before = forward(m, "Conv1D", basis)
    outputs = forward(m, "Conv1D", Xp)
    forward(m, "Conv1D", X)
    dx = floats("Conv1D.backward_delta", method(m, "Conv1D", "backward_delta", X, delta))
    method(m, "Conv1D", "zero_grad")
    forward(m, "Conv1D", X)
    method(m, "Conv1D", "backward_update_gradient", X, delta)
    method(m, "Conv1D", "update_parameters", 0.5)
    return before, outputs, dx, forward(m, "Conv1D", basis)


@probe
def maxpool(ns: dict, X: np.ndarray, delta: np.ndarray, Xp: np.ndarray) -> tuple:
    """Output shapes of `MaxPool1D(2)` and `MaxPool1D(3, 1)`; a `MaxPool1D(3, 2)`'s forward on `X` and the
    perturbed inputs, and its `backward_delta(X, delta)`."""
    default = forward(new(ns, "MaxPool1D", 2), "MaxPool1D", X).shape
    other = forward(new(ns, "MaxPool1D", 3, 1), "MaxPool1D", X).shape
    m = new(ns, "MaxPool1D", 3, 2)
    out = forward(m, "MaxPool1D", X)
    outputs = forward(m, "MaxPool1D", Xp)
    forward(m, "MaxPool1D", X)
    dx = floats("MaxPool1D.backward_delta", method(m, "MaxPool1D", "backward_delta", X, delta))
    return np.array(default), np.array(other), out, outputs, dx
