"""`grader.runner.probes.predictions` and `compiled` called directly on a small real model."""

from __future__ import annotations

import numpy as np
import pytest

from grader.runner.probes import compiled, predictions
from grader.runner.probes.keras_model import (
    batchnorm_stats,
    count_params,
    each,
    flat,
    shared_weights,
)

keras = pytest.importorskip("keras")


@pytest.fixture(scope="module")
def ns():
    m = keras.Sequential([keras.Input((2, 2)), keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")])
    m.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=["accuracy"])
    x = np.random.default_rng(1).uniform(size=(6, 2, 2)).astype("float32")
    return {"model": m, "x": x, "x_flat": x.reshape(6, 4), "y": np.eye(3)[[0, 1, 2, 0, 1, 2]], "y_int": np.arange(6) % 3,
            "not_a_model": [1, 2]}


def test_predict_reshapes_to_the_models_input(ns):
    flat_out = predictions.predict(ns, "model", ns["x_flat"], batch=4)
    assert flat_out.shape == (6, 3) and np.allclose(flat_out, predictions.predict(ns, "model", ns["x"]))
    with pytest.raises(TypeError, match="pas un modèle Keras"):
        predictions.predict(ns, "not_a_model", ns["x"])


def test_truth_and_predictions_read_one_hot_or_integer_labels(ns):
    one_hot = predictions.truth_and_predictions(ns, "model", "x", "y")
    assert one_hot["true"].tolist() == [0, 1, 2, 0, 1, 2] and one_hot["pred"].shape == (6,)
    assert predictions.truth_and_predictions(ns, "model", "x", "y_int")["true"].tolist() == [0, 1, 2, 0, 1, 2]
    with pytest.raises(NameError, match="`nope`"):
        predictions.truth_and_predictions(ns, "model", "nope", "y")


def test_on_own_test_takes_the_first_array_matching_the_labels(ns):
    found = predictions.on_own_test(ns, "model", ["missing", "x_flat"], labels="y")
    assert found["source"] == "x_flat" and found["params"] == 15 and len(found["pred"]) == 6
    assert predictions.on_own_test(ns, "model", ["x"], labels="nothing")["source"] is None


def test_compile_settings_and_loss_by_its_values(ns):
    info = compiled.describe(ns, "model")
    assert info["compiled"] and info["optimizer"] == "Adam" and info["lr"] == pytest.approx(1e-3)
    assert info["config"]["loss"] == "mse"
    t, p = np.array([[0.0, 1.0]]), np.array([[0.5, 0.5]])
    got = compiled.loss_value(ns, "model", t, p)
    assert got["loss"] == "mse" and got["value"] == pytest.approx(0.25)
    fresh = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    assert compiled.describe({"m": fresh}, "m")["compiled"] is False
    fresh.compile(loss=keras.losses.MeanAbsoluteError())
    assert compiled.loss_value({"m": fresh}, "m", t, p)["value"] == pytest.approx(0.5)


def test_model_readers_each_flat_counts_batchnorm_and_shared_weights():
    inputs = keras.Input((4,))
    code = keras.layers.Dense(2, activation="relu")(inputs)
    encoder = keras.Model(inputs, code)
    autoencoder = keras.Sequential([keras.Input((4,)), encoder, keras.layers.BatchNormalization(),
                                    keras.layers.Dense(4, activation="sigmoid")])
    ns = {"encoder": encoder, "autoencoder": autoencoder, "build": lambda units: keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(units)])}
    assert [x["class"] for x in flat(ns, "autoencoder")["layers"]] == ["Dense", "BatchNormalization", "Dense"]
    assert count_params(ns, "autoencoder") == autoencoder.count_params()
    assert batchnorm_stats(ns, "autoencoder") == {"batchnorm": 1, "untouched": 1}
    shared = shared_weights(ns, "encoder", "autoencoder")
    assert shared["weights"] == shared["shared"] == 2 and not shared["same_object"] and shared["output_shape"] == [None, 2]
    built = each(ns, "build", [1, 5])
    assert [b["layers"][0]["units"] for b in built.values()] == [1, 5] and list(built) == ["1", "5"]
