"""Runner-side code of tp-gradient (shipped to the runner as source by `obs.run`: absolute imports
only, nothing that knows an expected value)."""

from __future__ import annotations

import numpy as np


def own_loss_gradients(ns: dict, X: np.ndarray, y: np.ndarray, W: np.ndarray,
                       b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Central finite differences, wrt W and b, of the student's own `bce_loss(y, sigmoid(X @ W + b))`:
    what the student's `compute_gradients` should give with their own `sigmoid` and `bce_loss`."""
    import tensorflow as tf

    sig, bce = ns["sigmoid"], ns["bce_loss"]
    Xt, yt = tf.constant(X), tf.constant(y)

    def loss(Wv: np.ndarray, bv: np.ndarray) -> float:
        return float(np.asarray(bce(yt, sig(tf.matmul(Xt, tf.constant(Wv)) + tf.constant(bv)))).reshape(()))

    h = np.float32(1e-2)
    gW = np.zeros_like(W)
    for i in range(W.shape[0]):
        e = np.zeros_like(W)
        e[i, 0] = h
        gW[i, 0] = (loss(W + e, b) - loss(W - e, b)) / (2 * h)
    gb = np.array([(loss(W, b + h) - loss(W, b - h)) / (2 * h)], dtype=np.float32)
    return gW, gb
