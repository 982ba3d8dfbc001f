"""tp-diy's runner module (`assignments/tp-diy/probes.py`) called in process, without a runner.

`obs.run` ships that module's source to the runner and calls its entry points there as
`fn(ns, *args, **kwargs)`: here they get a small hand-made `ns` (a correct `Linear`, broken ones) and
must answer plain arrays, or `{"__student_error__": (where, trace)}` naming the method that raised.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from grader.judge.observe import runner_target

FOLDER = Path(__file__).resolve().parents[2] / "assignments" / "tp-diy"


@pytest.fixture(scope="module")
def probes() -> Iterator[ModuleType]:
    """The module loaded on its own, outside the assignment's package (as in the runner)."""
    name = "tp_diy_probes_in_process"
    spec = importlib.util.spec_from_file_location(name, FOLDER / "probes.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules[name]


class Linear:
    """A correct affine module, as the contract asks."""

    def __init__(self, d_in, d_out):
        rng = np.random.default_rng(d_in * 10 + d_out)
        self.W, self.b = rng.normal(size=(d_in, d_out)), rng.normal(size=d_out)
        self.zero_grad()

    def zero_grad(self):
        self.gW, self.gb = np.zeros_like(self.W), np.zeros_like(self.b)

    def forward(self, X):
        return X @ self.W + self.b

    def backward_update_gradient(self, input, delta):
        self.gW += input.T @ delta
        self.gb += delta.sum(axis=0)

    def backward_delta(self, input, delta):
        return delta @ self.W.T

    def update_parameters(self, gradient_step=1e-3):
        self.W -= gradient_step * self.gW
        self.b -= gradient_step * self.gb


class RaisingLinear(Linear):
    def backward_delta(self, input, delta):
        raise ValueError("shapes (5,3) and (4,3) not aligned")


class NoZeroGradLinear(Linear):
    zero_grad = None  # not a method: the probe says which one is missing

    def __init__(self, d_in, d_out):
        self.W, self.b = np.ones((d_in, d_out)), np.zeros(d_out)


def _entry_points(probes: ModuleType) -> list[str]:
    return sorted(n for n, f in vars(probes).items() if callable(f) and hasattr(f, "__wrapped__"))


def test_linear_forward_sees_the_modules_weights_through_its_forward(probes):
    X = np.random.default_rng(0).normal(size=(5, 4))
    W, b, out = probes.linear_forward({"Linear": Linear}, X)
    m = Linear(4, 3)
    assert np.allclose(W, m.W) and np.allclose(b, m.b) and np.allclose(out, X @ m.W + m.b)


def test_linear_steps_reveal_the_stored_gradient_and_its_reset(probes):
    rng = np.random.default_rng(1)
    X1, d1, X2, d2 = (rng.normal(size=s) for s in ((5, 4), (5, 3), (3, 4), (3, 3)))
    pairs = [(X1, d1), (X2, d2)]
    both, reset = probes.linear_steps({"Linear": Linear}, [(pairs, 0.5, False), (pairs, 0.5, True)])
    assert len(both) == len(reset) == 4  # (W, b) before, then after
    grad = (X1.T @ d1 + X2.T @ d2, d1.sum(axis=0) + d2.sum(axis=0))
    assert np.allclose(both[0] - both[2], 0.5 * grad[0]) and np.allclose(both[1] - both[3], 0.5 * grad[1])
    assert np.allclose(reset[0] - reset[2], 0.5 * X2.T @ d2)  # zero_grad between the pairs: the second alone


def test_the_students_error_is_answered_with_the_method_that_raised(probes):
    X, delta = np.ones((5, 4)), np.ones((5, 3))
    out = probes.linear_backward_delta({"Linear": RaisingLinear}, X, delta, np.ones((40, 4)))
    where, trace = out["__student_error__"]
    assert where == "Linear.backward_delta"
    assert trace.strip().splitlines()[-1] == "ValueError: shapes (5,3) and (4,3) not aligned"


def test_a_missing_method_is_named(probes):
    out = probes.linear_steps({"Linear": NoZeroGradLinear}, [([(np.ones((2, 4)), np.ones((2, 3)))], 0.5, False)])
    where, trace = out["__student_error__"]
    assert where == "Linear.zero_grad" and "n'a pas de méthode zero_grad" in trace


def test_the_students_inputs_are_copies(probes):
    class Editing(Linear):
        def forward(self, X):
            out = X @ self.W + self.b
            X[:] = 0.0
            return out

    X = np.random.default_rng(2).normal(size=(5, 4))
    kept = X.copy()
    probes.linear_forward({"Linear": Editing}, X)
    assert np.array_equal(X, kept)


def test_a_container_is_built_from_stand_ins_for_the_swapped_parts(probes):
    """`sequentiel_gradients` on the student's own `Sequentiel` over correct stand-ins for `Linear`
    and `TanH`: parameters, outputs and gradients come back as plain arrays of the net's shapes."""
    class Sequentiel:
        def __init__(self, *modules):
            self.modules = modules

        def forward(self, X):
            for m in self.modules:
                X = m.forward(X)
            return X

        def backward_delta(self, input, delta):
            inputs = [input]
            for m in self.modules[:-1]:
                inputs.append(m.forward(inputs[-1]))
            for m, x in zip(reversed(self.modules), reversed(inputs), strict=True):
                delta = m.backward_delta(x, delta)
            return delta

        def zero_grad(self):
            for m in self.modules:
                m.zero_grad()

        def backward_update_gradient(self, input, delta):
            inputs = [input]
            for m in self.modules[:-1]:
                inputs.append(m.forward(inputs[-1]))
            for m, x in zip(reversed(self.modules), reversed(inputs), strict=True):
                m.backward_update_gradient(x, delta)
                delta = m.backward_delta(x, delta)

    rng = np.random.default_rng(3)
    X, delta = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    params, out, outputs, dx, params2, held = probes.sequentiel_gradients(
        {"Sequentiel": Sequentiel}, ["Linear", "TanH"], 7, X, delta, rng.normal(size=(40, 4)))
    assert [p.shape for p in params] == [(4, 6), (6,), (6, 5), (5,), (5, 3), (3,)]
    h = X
    for i in range(0, 6, 2):
        h = h @ params[i] + params[i + 1]
        h = np.tanh(h) if i < 4 else h
    assert np.allclose(out, h) and outputs.shape == (40, 3) and dx.shape == X.shape
    assert len(held) == 3 and all(len(seen) == 4 for seen in held)


def test_entry_points_are_module_functions_that_obs_run_can_name(probes):
    """`@probe` keeps each entry point's name and module: `obs.run` names it for the runner, and a
    copy built from the shipped source (as the runner does) has it too."""
    entries = _entry_points(probes)
    assert {"linear_forward", "linear_steps", "activation", "sequentiel_gradients", "digits_fit",
            "autoencoder_composition", "conv_gradients", "maxpool"} <= set(entries)
    text = (FOLDER / "probes.py").read_text(encoding="utf-8")
    for name in entries:
        assert runner_target(getattr(probes, name)) == (probes.__name__, name, text)
    shipped = ModuleType("shipped")
    exec(compile(text, "<judge-probe>", "exec"), shipped.__dict__)
    assert _entry_points(shipped) == entries


def test_the_checks_run_module_functions_never_code_strings():
    """No check module hands the runner a string of code (`obs.probe`): what runs there is `probes.py`."""
    for path in sorted(FOLDER.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [ast.unparse(n) for n in ast.walk(tree)
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "probe"]
        assert not calls, (path.name, calls)
