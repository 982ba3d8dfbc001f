"""The assignments' own runner modules (`assignments/<id>/probes.py`), called directly in process.

`obs.run` ships them to the runner as source, where the course folder is out of sight: so they may
import only absolute modules, never a sibling of theirs."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

ASSIGNMENTS = Path(__file__).resolve().parents[3] / "assignments"
SHIPPED = sorted(ASSIGNMENTS.glob("*/probes.py"))


def _load(assignment: str):
    name = f"course_probes_{assignment.replace('-', '_')}"
    spec = importlib.util.spec_from_file_location(name, ASSIGNMENTS / assignment / "probes.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", SHIPPED, ids=[p.parent.name for p in SHIPPED])
def test_shipped_modules_import_nothing_relative(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    relative = [ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level]
    assert not relative, relative


def test_autoencoder_bottleneck_is_found_and_run_through_nested_models():
    probes = _load("tp1-autoencoder")
    inputs = keras.Input((6,))
    code = keras.layers.Dense(2)(keras.layers.Dense(4, activation="relu")(inputs))
    code = keras.layers.Activation(lambda x: tf.nn.leaky_relu(x, alpha=0.1))(code)
    encoder = keras.Model(inputs, code)
    autoencoder = keras.Sequential([keras.Input((6,)), encoder, keras.layers.Dense(6, activation="sigmoid")])
    found, chain = probes.bottleneck(autoencoder)
    assert found == (3, 2) and len(chain) == 4  # the activation layer after the Dense(2) belongs to the bottleneck
    x = np.random.default_rng(0).uniform(size=(5, 6)).astype("float32")
    got = probes.encoded({"encoder": encoder, "autoencoder": autoencoder}, x)
    assert got["width"] == 2 and got["error"] is None
    assert np.allclose(got["encoded"], got["bottleneck"], atol=1e-6)


def test_predict_image_is_called_on_written_files():
    probes = _load("tp1-cifar10")
    model = keras.Sequential([keras.Input((2, 2, 3)), keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")])
    seen = []

    def predict_image(path):
        seen.append(Path(path).read_bytes())
        return ("chat", np.float32(0.5)) if len(seen) == 1 else 3

    ns = {"model_cnn": model, "predict_image": predict_image}
    got = probes.predict_images(ns, ["a.png", "b.png"], [np.frombuffer(b"abc", np.uint8), np.zeros(2, np.uint8)],
                                np.zeros((4, 2, 2, 3), np.float32))
    assert got["probs"].shape == (4, 3) and seen == [b"abc", b"\0\0"]
    assert got["answers"][0]["name"] == "chat" and got["answers"][0]["conf"] == 0.5
    assert got["answers"][1] == {"type": "int", "name": None, "index": None, "conf": None}
    with pytest.raises(TypeError, match="pas un modèle Keras"):
        probes.predict_images({"model_cnn": None}, [], [], np.zeros((1, 2, 2, 3)))


def test_own_loss_gradients_are_finite_differences_of_the_students_functions():
    probes = _load("tp-gradient")
    ns = {"sigmoid": tf.math.sigmoid,
          "bce_loss": lambda y, p: tf.reduce_mean(keras.losses.binary_crossentropy(y, p, axis=-1))}
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(16, 2)).astype(np.float32), (rng.uniform(size=(16, 1)) > 0.5).astype(np.float32)
    W, b = np.array([[0.3], [-0.2]], np.float32), np.array([0.1], np.float32)
    gW, gb = probes.own_loss_gradients(ns, X, y, W, b)
    p = 1 / (1 + np.exp(-(X @ W + b)))
    assert np.allclose(gW.reshape(-1), (X.T @ (p - y) / len(X)).reshape(-1), atol=2e-3)
    assert np.allclose(gb, np.mean(p - y), atol=2e-3)


def test_transfer_base_is_found_nested_or_flattened_and_datasets_are_read(tmp_path):
    probes = _load("tp-transfer")
    nested = probes.reference_model((32, 32, 3))
    base = probes.find_base(nested)
    assert base["kind"] == "nested" and base["top"] is not None and len(base["layers"]) > 170
    assert probes.n_params([w for x in base["layers"] for w in x.weights]) == 23_587_712
    assert probes.find_base(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])) is None
    assert probes.defaults(lambda weights="imagenet", input_shape=(224, 224, 3): None) == {
        "weights": "imagenet", "input_shape": [224, 224, 3]}

    def make_datasets(directory, batch_size=32):
        kw = {"image_size": (8, 8), "batch_size": batch_size, "validation_split": 0.2, "seed": 1, "label_mode": "binary"}
        return (keras.utils.image_dataset_from_directory(directory, subset="training", **kw),
                keras.utils.image_dataset_from_directory(directory, subset="validation", **kw))

    spec = [[cls, f"{i}.png", 10, 12, "png", [40 * i, 100, 200 if cls == "b" else 0]] for cls in "ab" for i in range(5)]
    got = probes.datasets({"make_datasets": make_datasets}, "make_datasets", spec, 4, 10)
    assert got["length"] == 2 and got["defaults"] == {"directory": "<none>", "batch_size": 32}
    assert sum(got["train"]["batches"]) == 8 and sum(got["val"]["batches"]) == 2
    assert got["train"]["spec"][0] == {"shape": [None, 8, 8, 3], "dtype": "float32"}
    assert got["train"]["centres"].shape == (8, 3) and len(got["train"]["labels"]) == 8
