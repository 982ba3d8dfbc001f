"""`grader.runner.probes.history` and `sampling` called directly on a real `fit` and real arrays."""

from __future__ import annotations

import numpy as np
import pytest

from grader.runner.probes import KERAS_HISTORY, history, sampling

keras = pytest.importorskip("keras")


@pytest.fixture(scope="module")
def fitted():
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = np.random.default_rng(0).normal(size=(8, 3)), np.arange(8) % 2
    return m.fit(x, y, epochs=2, validation_data=(x, y), verbose=0)


def test_describe_reads_a_history_and_its_epochs(fitted):
    info = history.describe({"history": fitted}, "history")
    assert KERAS_HISTORY in info["mro"] and info["epoch"] == [0, 1]
    assert set(info["history"]) >= {"loss", "accuracy", "val_accuracy"}
    assert all(len(v) == 2 for v in info["history"].values())
    as_dict = history.describe({"history": fitted.history}, "history")
    assert as_dict["type"] == "dict" and as_dict["history"] is None


def test_metrics_accepts_a_history_or_its_dict(fitted):
    assert history.metrics({"h": fitted}, "h") == history.metrics({"h": fitted.history}, "h")
    assert history.metrics({"h": {"loss": [1, "x"], "acc": [0.5]}}, "h") == {"acc": [0.5]}
    assert history.metrics({"h": None}, "h") is None


def test_caps_reads_what_the_budget_recorded():
    assert isinstance(history.caps({}), list)


def test_sample_draws_the_same_rows_within_a_group():
    x = np.arange(40).reshape(20, 2)
    ns = {"x": x, "y": np.arange(20) * 10, "s": object()}
    out = sampling.sample(ns, [["x", "y"], ["missing", "s"]], seed=3, k=5, head=2)
    assert np.array_equal(out["x"]["idx"], out["y"]["idx"]) and len(out["x"]["idx"]) == 5
    assert np.array_equal(out["x"]["rows"], x[out["x"]["idx"]]) and np.array_equal(out["y"]["rows"] // 10,
                                                                                    out["x"]["idx"])
    assert out["x"]["shape"] == [20, 2] and out["x"]["head"].tolist() == [[0, 1], [2, 3]]
    assert out["missing"] is None and out["s"]["dtype"] == "object"
    again = sampling.sample(ns, [["x", "y"]], seed=3, k=5, head=2)
    assert np.array_equal(again["x"]["idx"], out["x"]["idx"])  # seeded: the same rows every regrade
