"""The wire format refuses anything but tagged plain data."""

from __future__ import annotations

import os

import numpy as np
import pytest

from grader.runner.protocol import Encoder, ProtocolError, decode, read_frame, write_frame


def roundtrip(value, tmp_path):
    enc = Encoder(tmp_path, "out-1")
    return decode(enc.encode(value), tmp_path, "out")


def test_roundtrip_of_nested_values(tmp_path):
    value = {"a": [1, 2.5, None, True], "b": (np.arange(3), "s"), 3: {"x": np.float32(1.5)}}
    out = roundtrip(value, tmp_path)
    assert out["a"] == [1, 2.5, None, True] and out["b"][1] == "s" and out[3]["x"] == 1.5
    assert out["b"][0].tolist() == [0, 1, 2]


@pytest.mark.parametrize("bad", [{"nd": "../secret.npy"}, {"nd": "out-1.npy/.."}, {"nd": "in-1.npy"},
                                 {"x": 1}, {"str": "a", "list": [], "dict": []}, ["untagged"]])
def test_decode_rejects_forged_references(bad, tmp_path):
    with pytest.raises(ProtocolError):
        decode(bad, tmp_path, "out")


def test_decode_refuses_symlinked_arrays(tmp_path):
    secret = tmp_path / "secret.npy"
    np.save(secret, np.ones(2))
    os.symlink(secret, tmp_path / "out-1.npy")
    with pytest.raises(ProtocolError):
        decode({"nd": "out-1.npy"}, tmp_path, "out")


def test_object_arrays_never_cross(tmp_path):
    out = roundtrip(np.array([object()], dtype=object), tmp_path)
    assert not isinstance(out, np.ndarray)


def test_frames_roundtrip():
    r, w = os.pipe()
    write_frame(w, {"op": "hello", "n": [1, 2]})
    assert read_frame(r) == {"op": "hello", "n": [1, 2]}
    os.close(r)
    os.close(w)
