"""`grader.runner.probes.values`, `callbacks` and `augmentation` called directly on real values."""

from __future__ import annotations

import numpy as np
import pytest

from grader.runner.probes import KERAS_MODEL, callbacks, values
from grader.runner.probes.augmentation import describe as describe_augmentation

keras = pytest.importorskip("keras")


class Hostile:
    def __array__(self, *a, **k):
        raise RuntimeError("no array")

    def __iter__(self):
        raise RuntimeError("no iter")


class Generator:
    """An `ImageDataGenerator`'s attributes, without its deprecation warnings."""

    rotation_range, zoom_range, horizontal_flip, vertical_flip = 10, [0.9, 1.1], True, False


def test_type_of_gives_qualname_and_class_paths():
    info = values.type_of({"m": keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])}, "m")
    assert info["type"] == "Sequential" and KERAS_MODEL in info["mro"]


def test_numeric_array_says_what_the_value_is_when_it_is_not_numbers():
    ns = {"cm": [[1, 2], [3, 4]], "s": ["a", "b"], "h": Hostile()}
    ok = values.numeric_array(ns, "cm")
    assert ok["array"].dtype == np.float64 and ok["array"].tolist() == [[1, 2], [3, 4]] and ok["error"] is None
    assert values.numeric_array(ns, "s")["error"].startswith("dtype") and values.numeric_array(ns, "s")["array"] is None
    assert "RuntimeError: no array" in values.numeric_array(ns, "h")["error"]


def test_string_items_reads_each_item_without_trusting_it():
    ns = {"names": ["chat", np.str_("chien"), 3], "text": "chat", "h": Hostile()}
    found = values.string_items(ns, "names")
    assert found["length"] == 3 and [x["str"] for x in found["items"]] == ["chat", "chien", None]
    assert values.string_items(ns, "text")["items"] is None and values.string_items(ns, "h")["items"] is None


def test_number_map_and_number_table():
    ns = {"r": {"relu": np.float32(0.5), "tanh": [0.1, 0.2], "x": "a"}, "c": {"cnn": {"accuracy": 0.9, "params": 10},
                                                                           "rnn": 3}}
    found = values.number_map(ns, "r")
    assert found["items"] == {"relu": 0.5, "tanh": {"size": 2}, "x": {"error": "str"}}
    assert values.number_map({"r": [1]}, "r")["items"] is None
    table = values.number_table(ns, "c", ["cnn", "rnn"], ["accuracy", "params", "train_time_s"])
    assert table["rows"]["cnn"]["accuracy"] == {"value": 0.9, "integral": False}
    assert table["rows"]["cnn"]["params"] == {"value": 10.0, "integral": True}
    assert "train_time_s" not in table["rows"]["cnn"] and table["rows"]["rnn"] == {"type": "int"}
    assert values.number_table({"c": None}, "c", ["cnn"], [])["keys"] is None


def test_callbacks_read_through_their_attributes():
    es = keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    rlr = keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=5, min_lr=1e-7)
    keys = ["monitor", "patience", "restore_best_weights", "factor", "min_lr"]
    one = callbacks.describe({"es": es}, "es", keys)
    assert one["monitor"] == "val_loss" and one["patience"] == 3 and one["restore_best_weights"] is True
    assert any(p.endswith(".EarlyStopping") for p in one["mro"])
    assert callbacks.describe({"es": [es]}, "es", keys)["items"] == ["EarlyStopping"]
    listed = callbacks.describe_list({"cbs": [es, rlr]}, "cbs", keys)
    assert [x["type"] for x in listed["items"]] == ["EarlyStopping", "ReduceLROnPlateau"]
    assert listed["items"][1]["factor"] == 0.5 and listed["items"][1]["min_lr"] == pytest.approx(1e-7)
    assert callbacks.describe_list({"cbs": es}, "cbs", keys)["single"]["type"] == "EarlyStopping"


def test_augmentation_layers_and_generators():
    layers = keras.Sequential([keras.layers.RandomRotation(10 / 360), keras.layers.RandomZoom(0.1),
                               keras.layers.RandomFlip("horizontal")])
    found = describe_augmentation({"d": layers}, "d")
    assert found["kind"] == "layers" and [x["class"] for x in found["layers"]] == ["RandomRotation", "RandomZoom",
                                                                                   "RandomFlip"]
    assert found["layers"][0]["factor"] == pytest.approx([-10 / 360, 10 / 360]) and found["layers"][2]["mode"] == "horizontal"

    assert describe_augmentation({"d": Generator()}, "d") == {
        "type": "Generator", "kind": "generator", "rotation_range": 10.0, "zoom_range": [0.9, 1.1],
        "horizontal_flip": True, "vertical_flip": False}
    assert describe_augmentation({"d": 3}, "d")["kind"] is None
