"""Shared by tp1-lstm-vs-cnn's checks: the registry and the figures the contract fixes."""

from __future__ import annotations

from grader.checks import Registry

checks = Registry()

DATASET = "mnist"
FULL = {"train": 60_000, "test": 10_000}
N_PARAMS_CNN = 225_418
N_NON_TRAINABLE_CNN = 192  # moving means and variances of the two BatchNormalization layers
N_PARAMS_RNN = 139_402
#: the two models, their notebook names, input shapes and the array each is trained on
MODELS = {"cnn": {"model": "model_cnn", "train": "X_train_cnn", "test": "X_test_cnn", "shape": (28, 28, 1),
                  "label": "CNN"},
          "rnn": {"model": "model_rnn", "train": "X_train_rnn", "test": "X_test_rnn", "shape": (28, 28),
                  "label": "LSTM"}}
DEFAULT_THRESHOLDS = {"cnn": 0.80, "rnn": 0.75}
