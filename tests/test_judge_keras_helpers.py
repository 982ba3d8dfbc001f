"""The shared Keras judge helpers on plain data (no runner): layer reading, scaling, confusion."""

from __future__ import annotations

import numpy as np
import pytest

from grader.judge import confusion, holdout
from grader.judge.layers import compare, normalize, require_params, show_all
from grader.judge.registry import CheckFailed


def _info(*layers: dict) -> dict:
    return {"layers": [{"activation": None, "params": 0, **layer} for layer in layers]}


def _act_layer(cls: str, act: str) -> dict:
    """An activation layer as the runner describes it (`grader.runner.probes.keras_model`)."""
    return {"class": cls, "activation": act, "activation_layer": True}


def test_separate_activation_layers_fold_into_the_layer_before():
    info = _info({"class": "InputLayer"}, {"class": "Dense", "units": 128, "activation": "linear"},
                 _act_layer("ReLU", "relu"), {"class": "Dense", "units": 10, "activation": "linear"},
                 _act_layer("Activation", "softmax"))
    assert normalize(info) == [("Dense", 128, "relu"), ("Dense", 10, "softmax")]


def test_a_dense_computing_a_leaky_relu_equals_dense_then_leaky_relu_layer():
    own = _info({"class": "Dense", "units": 128, "activation": "leaky_relu(0.1)", "activation_hint": "<lambda>"})
    layer = _info({"class": "Dense", "units": 128, "activation": "linear", "activation_hint": "linear"},
                  _act_layer("LeakyReLU", "leaky_relu(0.1)"))
    assert normalize(own) == normalize(layer) == [("Dense", 128, "leaky_relu(0.1)")]


def test_an_unidentified_activation_shows_its_config_name():
    info = _info({"class": "Dense", "units": 8, "activation": "other", "activation_hint": "my_act"},
                 {"class": "Activation", "activation": "other", "activation_layer": True})
    assert normalize(info) == [("Dense", 8, "other(my_act)"), ("Activation", "other")]
    assert "Dense(8, other(my_act))" in show_all(normalize(info))


def test_an_activation_after_batchnorm_is_not_folded_across_it():
    info = _info({"class": "Conv2D", "filters": 32, "kernel_size": [3, 3], "activation": "linear"},
                 {"class": "BatchNormalization"}, _act_layer("ReLU", "relu"))
    assert normalize(info) == [("Conv2D", 32, 3, "linear"), ("BatchNormalization",), ("Activation", "relu")]


def test_conv_options_appear_only_when_not_default():
    same = _info({"class": "Conv2D", "filters": 32, "kernel_size": [3, 3], "padding": "same", "strides": [1, 1],
                  "activation": "relu"})
    valid = _info({"class": "Conv2D", "filters": 32, "kernel_size": 3, "padding": "valid", "strides": 1,
                   "activation": "relu"})
    assert normalize(same) == [("Conv2D", 32, 3, "padding=same", "relu")]
    assert normalize(valid) == [("Conv2D", 32, 3, "relu")]
    assert "Conv2D(32, 3, padding=same, relu)" in show_all(normalize(same))


def test_recurrent_layers_keep_return_sequences():
    info = _info({"class": "LSTM", "units": 128, "return_sequences": True}, {"class": "LSTM", "units": 64,
                                                                              "return_sequences": False})
    assert normalize(info) == [("LSTM", 128, "return_sequences"), ("LSTM", 64)]


def test_compare_names_the_first_difference():
    with pytest.raises(CheckFailed) as e:
        compare([("Dense", 64, "relu")], [("Dense", 128, "relu")], "`m`")
    assert "Couche 1 : Dense(64, relu) au lieu de Dense(128, relu)" in e.value.message.fr
    assert "Layer 1: Dense(64, relu) instead of Dense(128, relu)" in e.value.message.en
    with pytest.raises(ValueError):  # a hint in French alone is refused
        compare([("Dense", 64, "relu")], [("Dense", 128, "relu")], "`m`", " Un indice.")


def test_non_trainable_count_is_checked_when_asked():
    info = {"params": 100, "non_trainable_params": 0, "layers": []}
    require_params(info, "`m`", 100)
    with pytest.raises(CheckFailed, match="non entraînables"):
        require_params(info, "`m`", 100, non_trainable=64)


def test_fitted_scaling_finds_the_students_affine_preprocessing():
    raw = np.arange(64, dtype=np.uint8).reshape(4, 16) * 4
    assert holdout.fitted_scaling(raw / 255.0, raw) == pytest.approx((1 / 255, 0.0))
    scale, offset = holdout.fitted_scaling(raw / 127.5 - 1, raw)
    assert scale == pytest.approx(1 / 127.5) and offset == pytest.approx(-1.0)
    assert holdout.fitted_scaling(np.sqrt(raw), raw) == (1 / 255, 0.0)  # not affine: the course's default
    assert holdout.fitted_scaling(None, raw) == (1 / 255, 0.0)


def test_like_student_reshapes_to_the_students_layout():
    raw = np.random.default_rng(0).integers(0, 256, size=(5, 28, 28)).astype(np.uint8)
    entry = {"head": (raw[:2] / 255.0).reshape(2, 28, 28, 1), "shape": [60000, 28, 28, 1]}
    out = holdout.like_student(raw, raw, entry)
    assert out.shape == (5, 28, 28, 1) and out.dtype == np.float32
    assert np.allclose(out[..., 0], raw / 255.0)


def test_confusion_matrix_rows_are_true_classes():
    true, pred = np.array([0, 0, 1, 2]), np.array([0, 1, 1, 0])
    cm = confusion.matrix(true, pred, 3)
    assert cm.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 0]]
    confusion.require_rows_are_classes(cm.astype(float), true, x="x", y="y")
    with pytest.raises(CheckFailed, match="transposée"):
        confusion.require_matches(cm.T.astype(float), true, pred, model="m", x="x")


def test_recognise_finds_dataset_images_whatever_their_order_and_layout(tmp_path, monkeypatch):
    from grader.data import lookup
    from grader.data.importing import synthesize
    from grader.judge.recognise import dataset_labels

    for seed in (1, 2):
        synthesize("cifar10", train=60, test=30, seed=seed, dest_root=tmp_path / str(seed))
    monkeypatch.setenv("GRADER_DATA_DIR", str(tmp_path / "1"))
    (x, y), (xt, yt) = lookup.load("cifar10")
    order = np.random.default_rng(0).permutation(len(x))[:20]
    scaled = x[order].astype("float32") / 255.0
    assert dataset_labels(scaled, "cifar10", "train").tolist() == y.reshape(-1)[order].tolist()
    assert dataset_labels(scaled.reshape(20, -1), "cifar10", "train").tolist() == y.reshape(-1)[order].tolist()
    assert dataset_labels(xt[:5].astype("float32"), "cifar10", "test", scale=1.0).tolist() == yt[:5, 0].tolist()
    assert (dataset_labels(x[order], "cifar10", "train") == -1).all()  # not divided by 255
    assert (dataset_labels(scaled.transpose(0, 2, 1, 3), "cifar10", "train") == -1).all()  # pixels moved
    assert (dataset_labels(scaled, "cifar10", "test") == -1).all()  # the other split
    monkeypatch.setenv("GRADER_DATA_DIR", str(tmp_path / "2"))  # another copy: the index follows it
    assert (dataset_labels(scaled, "cifar10", "train") == -1).all()


@pytest.mark.parametrize(("rows", "float32", "found"), [
    (np.array([[0, 255]], dtype=np.uint8), False, "type uint8"),
    (np.array([[0.0, 1.0]]), True, "type float64"),
    (np.array([[0.0, 255.0]], dtype=np.float32), False, "Divisez les pixels"),
    (np.array([[-1.0, 1.0]], dtype=np.float32), False, "[-1, 1]"),
    (np.array([[0.0, 1 / 255]], dtype=np.float32), False, "deux fois"),
])
def test_unit_range_names_each_preprocessing_mistake(rows, float32, found):
    from grader.judge.keras import expect_unit_range

    with pytest.raises(CheckFailed) as e:
        expect_unit_range({"rows": rows, "dtype": str(rows.dtype)}, "x", float32=float32)
    assert found in e.value.message.fr


def test_unit_range_accepts_the_course_preprocessing():
    from grader.judge.keras import expect_unit_range

    rows = np.array([[0, 128, 255]], dtype=np.uint8).astype("float32") / 255.0
    expect_unit_range({"rows": rows, "dtype": "float32"}, "x", float32=True)
    expect_unit_range({"rows": rows.astype(np.float64), "dtype": "float64"}, "x")


def test_a_failing_student_function_is_probed_once_per_submission():
    from grader.judge.layers import built
    from grader.judge.observe import Observer
    from grader.model import Message, Status

    calls = []
    obs = Observer(None)  # no runner: its two answers are the student's function and the error it raises
    obs.describe = lambda name: {"callable": True}

    def run(function, *args, **kwargs):
        calls.append((function.__name__, args, kwargs))
        raise CheckFailed(Message("boom"), Status.ERROR, "ValueError: boom")

    obs.run = run
    for _ in range(3):
        with pytest.raises(CheckFailed) as e:
            built(obs, "build_model", x=1)
        assert e.value.status is Status.ERROR and "a levé une erreur" in e.value.message.fr
        assert e.value.details == "ValueError: boom"
    assert calls == [("fresh", ("build_model",), {"x": 1})]
