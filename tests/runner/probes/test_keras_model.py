"""`grader.runner.probes.keras_model` on real small Keras models, in process, read back by the judge's helpers."""

from __future__ import annotations

import pytest

from grader.judge.layers import normalize
from grader.runner.probes import KERAS_MODEL, is_keras_model
from grader.runner.probes.keras_model import describe, fresh, variable

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")


def _sourceless_lambda():
    """A lambda whose source Keras cannot read (as from `exec`): its layer's `get_config` raises."""
    scope = {"keras": keras}
    exec("f = lambda x: keras.activations.leaky_relu(x, negative_slope=0.1)", scope)  # noqa: S102
    return scope["f"]


def _ann(*hidden) -> keras.Model:
    return keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), *hidden,
                             keras.layers.Dense(10, activation="softmax")])


def test_describe_is_plain_data_with_counts_and_types():
    info = describe(_ann(keras.layers.Dense(128, activation="relu")))
    assert KERAS_MODEL in info["mro"] and info["input_shape"] == [None, 28, 28]
    assert info["params"] == 784 * 128 + 128 + 1290 and info["non_trainable_params"] == 0
    assert info["n_inputs"] == info["n_outputs"] == 1
    dense = info["layers"][1]
    assert dense == {"class": "Dense", "activation": "relu", "activation_hint": "relu", "activation_layer": False,
                     "params": 100480, "trainable": True, "units": 128}


@pytest.mark.parametrize("activation", [
    lambda x: keras.activations.leaky_relu(x, negative_slope=0.1),
    lambda x: tf.nn.leaky_relu(x, alpha=0.1),
    "sourceless",
])
def test_a_leaky_function_equals_a_leaky_relu_layer(activation):
    activation = _sourceless_lambda() if activation == "sourceless" else activation
    own = describe(_ann(keras.layers.Dense(128, activation=activation)))
    layer = describe(_ann(keras.layers.Dense(128), keras.layers.LeakyReLU(negative_slope=0.1)))
    assert normalize(own) == normalize(layer) == [("Flatten",), ("Dense", 128, "leaky_relu(0.1)"),
                                                  ("Dense", 10, "softmax")]


def test_keras_leaky_string_and_a_small_slope_are_other_slopes():
    assert normalize(describe(_ann(keras.layers.Dense(8, activation="leaky_relu"))))[1] == \
        ("Dense", 8, "leaky_relu(0.2)")
    found = describe(_ann(keras.layers.Dense(8), keras.layers.LeakyReLU(negative_slope=0.01)))
    assert normalize(found)[1] == ("Dense", 8, "leaky_relu(0.01)")


def test_functional_model_with_nested_and_conv_layers():
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(4, 3, padding="same")(inputs)
    x = keras.layers.Activation(tf.nn.relu)(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Flatten()(x)
    m = keras.Model(inputs, keras.layers.Dense(2, activation=tf.nn.softmax)(x))
    assert normalize(describe(m)) == [("Conv2D", 4, 3, "padding=same", "relu"), ("MaxPooling2D", 2), ("Flatten",),
                                      ("Dense", 2, "softmax")]


def test_anything_else_is_described_without_raising():
    for value in (None, 3, "model", [1, 2], object()):
        info = describe(value)
        assert info["layers"] == [] and info["params"] is None and not is_keras_model(value)


def test_fresh_calls_twice_and_sees_a_shared_model():
    ns = {"build": lambda: _ann(keras.layers.Dense(4, activation="tanh"))}
    shared = _ann(keras.layers.Dense(4))
    ns["same"] = lambda: shared
    ok = fresh(ns, "build")
    assert not ok["same_object"] and ok["shared_weights"] == 0 and ok["model"]["layers"][1]["activation"] == "tanh"
    again = fresh(ns, "same")
    assert again["same_object"] and again["shared_weights"] == 4
    assert variable({"m": shared}, "m")["params"] == shared.count_params()
