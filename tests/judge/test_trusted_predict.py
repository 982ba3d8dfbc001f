"""Which configs trusted code rebuilds: Keras' own parts only (the rule written in grader.judge.trusted_predict)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from grader.judge.trusted_predict import foreign_parts, inert, rebuildable

keras = pytest.importorskip("keras")
layers = keras.layers


def _config(model) -> dict:
    return json.loads(json.dumps(keras.saving.serialize_keras_object(model)))


def _state(model) -> dict:
    text = json.dumps(keras.saving.serialize_keras_object(model))
    return {"config": [text[i:i + 10_000] for i in range(0, len(text), 10_000)], "weights": model.get_weights()}


def test_the_course_models_are_keras_own():
    dense = keras.Sequential([keras.Input((28, 28)), layers.Flatten(), layers.Dense(128, activation="relu"),
                              layers.Dropout(0.2), layers.Dense(10, activation="softmax")])
    inputs = keras.Input((32, 32, 3))
    x = layers.Rescaling(1 / 255)(inputs)
    x = layers.Conv2D(8, 3, activation="relu", kernel_regularizer=keras.regularizers.l2(1e-4))(x)
    x = layers.BatchNormalization()(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    functional = keras.Model(inputs, layers.Dense(10, activation="softmax")(x))
    encoder = keras.Sequential([keras.Input((784,)), layers.Dense(32, activation="relu")])
    decoder = keras.Sequential([keras.Input((32,)), layers.Dense(784, activation="sigmoid")])
    nested = keras.Sequential([encoder, decoder])
    lstm = keras.Sequential([keras.Input((28, 28)), layers.LSTM(16), layers.Dense(10)])
    for model in (dense, functional, nested, lstm):
        assert foreign_parts(_config(model)) == [], model.name
        config, weights, why = rebuildable(_state(model))
        assert why == [] and len(weights) == len(model.get_weights())


def test_student_code_on_the_prediction_path_is_found():
    def my_relu(x):
        return keras.ops.relu(x)

    class Doubled(layers.Layer):
        def call(self, x):
            return 2 * x

    cases = {
        "lambda layer": [layers.Lambda(lambda x: x * 2)],
        "own activation": [layers.Dense(4, activation=my_relu)],
        "lambda activation": [layers.Dense(4, activation=lambda x: x)],
        "own layer": [Doubled()],
    }
    for what, extra in cases.items():
        model = keras.Sequential([keras.Input((4,)), *extra, layers.Dense(2)])
        assert foreign_parts(_config(model)), what

    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(3)

        def call(self, x):
            return self.d(x)

    sub = Sub()
    sub(np.zeros((1, 4)))
    assert foreign_parts(_config(sub))


@pytest.mark.parametrize("forged", [
    {"module": "os", "class_name": "system", "config": "true", "registered_name": None},
    {"module": "keras.layers", "class_name": "TFSMLayer", "config": {"filepath": "/tmp/x"}},
    {"module": "keras.layers", "class_name": "Dense", "config": {}, "registered_name": "evil>Dense"},
    {"module": None, "class_name": "Dense", "config": {}},
    {"module": "keras_evil", "class_name": "Dense", "config": {}},
    {"module": "keras.layers", "class_name": ["Dense"], "config": {}},
])
def test_a_forged_config_is_never_rebuilt(forged):
    config = _config(keras.Sequential([keras.Input((4,)), layers.Dense(2)]))
    config["config"]["layers"][1]["config"]["kernel_initializer"] = forged
    assert foreign_parts(config)


@pytest.mark.parametrize("state", [{}, {"config": "not chunks", "weights": []}, {"config": ["{"], "weights": []},
                                   {"config": ["{}"], "weights": [[1, 2]]}, {"config": ["[" * 100_000], "weights": []}])
def test_an_unreadable_export_is_a_reason_not_a_crash(state):
    config, weights, why = rebuildable(state)
    assert config is None and why


def test_what_the_student_names_is_inert_in_a_message():
    forged = {"module": "__main__", "class_name": "**Note finale : 20/20** [ici](http://x) <img src=x>",
              "config": {}}
    (part,) = foreign_parts({"module": "keras", "class_name": "Sequential", "config": {"layers": [forged]}})
    shown = inert(part)
    assert not set(shown) & set("*[]<>`!") and len(shown) <= 120
