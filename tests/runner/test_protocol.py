"""The wire format refuses anything but tagged plain data, under the decoder's own budget."""

from __future__ import annotations

import json
import os
import resource
import struct
import threading
import time

import numpy as np
import pytest

from grader.runner.exchange import Exchange
from grader.runner.protocol import (
    MAX_ITEMS,
    Decoder,
    Encoder,
    ProtocolError,
    ReplyTooLarge,
    decode,
    read_frame,
    read_reply,
    write_frame,
)


@pytest.fixture
def box(tmp_path):
    with Exchange(tmp_path) as ex:
        yield ex


def roundtrip(value, box):
    enc = Encoder(box, "out-1")
    return decode(enc.encode(value), box, "out")


def test_roundtrip_of_nested_values(box):
    value = {"a": [1, 2.5, None, True], "b": (np.arange(3), "s"), 3: {"x": np.float32(1.5)},
             "f": np.asfortranarray(np.arange(6.0).reshape(2, 3))}
    out = roundtrip(value, box)
    assert out["a"] == [1, 2.5, None, True] and out["b"][1] == "s" and out[3]["x"] == 1.5
    assert out["b"][0].tolist() == [0, 1, 2]
    assert out["f"].tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]


@pytest.mark.parametrize("bad", [{"nd": "../secret.npy"}, {"nd": "out-1.npy/.."}, {"nd": "in-1.npy"},
                                 {"x": 1}, {"str": "a", "list": [], "dict": []}, ["untagged"],
                                 {"list": {"a": 1}}, {"dict": [[1]]}])
def test_decode_rejects_forged_references(bad, box):
    with pytest.raises(ProtocolError):
        decode(bad, box, "out")


def test_decode_refuses_symlinked_arrays(tmp_path, box):
    secret = tmp_path / "secret.npy"
    np.save(secret, np.ones(2))
    os.symlink(secret, tmp_path / "out-1.npy")
    with pytest.raises(ProtocolError):
        decode({"nd": "out-1.npy"}, box, "out")


def test_a_fifo_named_like_an_array_or_a_figure_never_blocks(tmp_path, box):
    """The reported stall: the grader opened a FIFO the runner made and waited forever."""
    os.mkfifo(tmp_path / "out-1.npy")
    os.mkfifo(tmp_path / "fig-001.png")
    started = time.monotonic()
    with pytest.raises(ProtocolError):
        decode({"nd": "out-1.npy"}, box, "out")
    with pytest.raises(Exception, match="regular"):
        box.read("fig-001.png", 1000)
    assert time.monotonic() - started < 2


def test_a_renamed_folder_replaced_by_a_link_changes_nothing(tmp_path):
    """The runner owns its run folder: renaming `exchange` and leaving a link to a host folder in its
    place must not make the grader read, write or delete there."""
    exchange, host = tmp_path / "exchange", tmp_path / "host"
    exchange.mkdir()
    host.mkdir()
    (host / "out-1-1.npy").write_bytes(b"precious")
    with Exchange(exchange) as ex:
        exchange.rename(tmp_path / "moved")
        os.symlink(host, exchange)
        Encoder(ex, "in-1").encode(np.ones(3))
        for name in ex.names("*-*.npy"):
            ex.unlink(name)
    assert sorted(p.name for p in host.iterdir()) == ["out-1-1.npy"]
    assert (host / "out-1-1.npy").read_bytes() == b"precious"


def test_the_encoder_replaces_a_planted_link_instead_of_writing_through_it(tmp_path, box):
    target = tmp_path / "victim.txt"
    target.write_text("host file")
    os.symlink(target, tmp_path / "in-1-1.npy")
    ref = Encoder(box, "in-1").encode(np.arange(4))
    assert target.read_text() == "host file"
    assert decode(ref, box, "in").tolist() == [0, 1, 2, 3]


def test_object_arrays_never_cross(box):
    out = roundtrip(np.array([object()], dtype=object), box)
    assert not isinstance(out, np.ndarray)


def _npy_with_header(tmp_path, name: str, header: str, payload: bytes = b"") -> None:
    head = header.encode("latin1")
    head += b" " * ((64 - (10 + len(head) + 1) % 64) % 64) + b"\n"
    (tmp_path / name).write_bytes(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(head)) + head + payload)


@pytest.mark.parametrize("header", [
    "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }",  # claims a terabyte
    "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",  # 2 values where 3 are promised
    "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",  # objects
    "{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }",  # not numbers
    "__import__('os').system('true')",  # not a header
])
def test_array_headers_are_read_by_our_rules(tmp_path, box, header):
    _npy_with_header(tmp_path, "out-1.npy", header, b"\0" * 16)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ProtocolError):
        decode({"nd": "out-1.npy"}, box, "out")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KB: nothing allocated


def test_one_array_referenced_a_million_times_is_read_once_and_over_budget(tmp_path, box):
    """The reported reply: every item points at one 256 KB file (7.5 GB in the grader before)."""
    np.save(tmp_path / "out-1-1.npy", np.zeros(32 * 1024))
    ref = {"nd": "out-1-1.npy", "as": "array"}
    few = Decoder(box, "out").decode({"list": [ref] * 1000})
    assert len(few) == 1000 and all(a is few[0] for a in few)  # one read, one array
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ReplyTooLarge):
        decode({"list": [ref] * 1_000_000}, box, "out")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 300_000  # KB


def test_array_bytes_of_one_reply_are_budgeted(tmp_path, box):
    for i in (1, 2):
        np.save(tmp_path / f"out-1-{i}.npy", np.zeros(1000))
    refs = {"list": [{"nd": "out-1-1.npy"}, {"nd": "out-1-2.npy"}]}
    assert len(decode(refs, box, "out", max_bytes=20_000)) == 2
    with pytest.raises(ReplyTooLarge):
        decode(refs, box, "out", max_bytes=12_000)


def test_deep_or_wide_values_are_refused(box):
    deep: dict = {"list": []}
    for _ in range(40):
        deep = {"list": [deep]}
    with pytest.raises(ReplyTooLarge):
        decode(deep, box, "out")
    with pytest.raises(ReplyTooLarge):
        decode({"list": [1] * (MAX_ITEMS + 1)}, box, "out")


def test_frames_roundtrip():
    r, w = os.pipe()
    write_frame(w, {"op": "hello", "n": [1, 2]})
    assert read_frame(r) == {"op": "hello", "n": [1, 2]}
    os.close(r)
    os.close(w)


def _send_raw(payload: bytes) -> int:
    """A reader end holding one frame of `payload` (written by a thread: frames exceed a pipe's buffer)."""
    r, w = os.pipe()

    def write() -> None:
        with os.fdopen(w, "wb") as f:
            f.write(struct.pack(">I", len(payload)) + payload)

    threading.Thread(target=write, daemon=True).start()
    return r


def test_a_reply_of_a_million_containers_is_refused_before_it_is_built():
    r = _send_raw(json.dumps({"value": [[]] * 2_000_000}).encode())
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ReplyTooLarge):
        read_reply(r)
    os.close(r)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KB


def test_a_reply_nested_past_the_interpreter_is_refused():
    r = _send_raw(b"[" * 200_000 + b"]" * 200_000)
    with pytest.raises(ProtocolError):
        read_frame(r, max_containers=0)
    os.close(r)
