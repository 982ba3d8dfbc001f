"""Activations identified by what they compute, on real Keras functions and layers (in process)."""

from __future__ import annotations

import numpy as np
import pytest

from grader.runner.probes import activations
from grader.runner.probes.activations import GRID, OTHER, evaluate, identify, leaky, of_layer

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

#: Keras' own names -> the label `identify` gives (its two names for one function read as one)
SAME = {"swish": "silu", "hard_swish": "hard_silu", "celu": "elu", "leaky_relu": leaky(0.2)}


@pytest.mark.parametrize("name", [*activations.KNOWN, *SAME])
def test_each_keras_activation_is_identified_by_its_values(name):
    assert identify(evaluate(keras.activations.get(name))) == SAME.get(name, name)


def test_known_formulas_tell_every_activation_apart():
    """No two formulas agree on the grid: a label never depends on the order they are tried in."""
    values = {name: [f(GRID.astype(np.float64)) for f in fs] for name, fs in activations.KNOWN.items()}
    for a, va in values.items():
        for b, vb in values.items():
            if a != b:
                assert not any(activations._close(x, y) for x in va for y in vb), (a, b)


def _leaky_def(x):
    return keras.activations.leaky_relu(x, negative_slope=0.1)


@pytest.mark.parametrize(("fn", "label"), [
    (lambda x: keras.activations.leaky_relu(x, negative_slope=0.1), "leaky_relu(0.1)"),
    (_leaky_def, "leaky_relu(0.1)"),
    (lambda x: tf.nn.leaky_relu(x, alpha=0.1), "leaky_relu(0.1)"),
    (lambda x: keras.activations.relu(x, negative_slope=0.1), "leaky_relu(0.1)"),
    (lambda x: tf.maximum(x, 0.1 * x), "leaky_relu(0.1)"),
    (lambda x: keras.activations.leaky_relu(x, negative_slope=0.01), "leaky_relu(0.01)"),
    (tf.nn.leaky_relu, "leaky_relu(0.2)"),
    (tf.nn.relu, "relu"),
    (tf.nn.softmax, "softmax"),
    (tf.math.sigmoid, "sigmoid"),
    (tf.nn.gelu, "gelu"),
    (lambda x: tf.nn.gelu(x, approximate=True), "gelu"),
    (lambda x: x, "linear"),
    (lambda x: 2.0 * x, OTHER),
    (lambda x: tf.nn.relu(x) + 0.01, OTHER),
])
def test_custom_functions_read_as_what_they_compute(fn, label):
    assert identify(evaluate(fn)) == label


@pytest.mark.parametrize(("layer", "label"), [
    (keras.layers.LeakyReLU(negative_slope=0.1), "leaky_relu(0.1)"),
    (keras.layers.LeakyReLU(), "leaky_relu(0.3)"),
    (keras.layers.ReLU(), "relu"),
    (keras.layers.ReLU(negative_slope=0.1), "leaky_relu(0.1)"),
    (keras.layers.ReLU(max_value=6.0), "relu6"),
    (keras.layers.Softmax(), "softmax"),
    (keras.layers.ELU(), "elu"),
    (keras.layers.Activation("tanh"), "tanh"),
    (keras.layers.Activation(lambda x: tf.nn.leaky_relu(x, alpha=0.1)), "leaky_relu(0.1)"),
    (keras.layers.Lambda(lambda x: tf.nn.leaky_relu(x, alpha=0.1)), "leaky_relu(0.1)"),
])
def test_activation_layers_are_evaluated_themselves(layer, label):
    assert of_layer(layer) == {"activation": label, "activation_layer": True}


def test_layers_carry_their_own_activation_function():
    assert of_layer(keras.layers.Dense(4)) == {"activation": "linear", "activation_layer": False}
    assert of_layer(keras.layers.Dense(4, activation=_leaky_def))["activation"] == "leaky_relu(0.1)"
    assert of_layer(keras.layers.LSTM(4))["activation"] == "tanh"
    assert of_layer(keras.layers.Dropout(0.2)) is None
    assert of_layer(keras.layers.Lambda(lambda x: x / 255.0)) is None  # no activation: a layer of its own
    assert of_layer(keras.layers.Lambda(lambda x: tf.reshape(x, (-1,)))) is None


def test_a_function_that_fails_on_plain_numbers_computes_other():
    def broken(x):
        raise RuntimeError("no")

    found = of_layer(keras.layers.Dense(4, activation=broken))
    assert found["activation"] == OTHER and "RuntimeError: no" in found["activation_error"]


def test_one_evaluation_per_function_with_a_cache():
    calls = []

    def counted(x):
        calls.append(1)
        return tf.nn.relu(x)

    cache: dict[int, str] = {}
    for _ in range(3):
        assert of_layer(keras.layers.Dense(4, activation=counted), cache)["activation"] == "relu"
    assert len(calls) == 1


def test_values_of_the_wrong_shape_or_kind_are_other():
    assert identify(np.zeros((1, 3))) == OTHER
    assert identify("relu") == OTHER
    assert identify(np.full(GRID.shape, np.nan)) == OTHER


def test_a_layer_whose_activation_property_raises_has_none():
    class Odd(keras.layers.Layer):
        @property
        def activation(self):
            raise RuntimeError("no")

    assert of_layer(Odd()) is None
