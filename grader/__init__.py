"""Grading harness for TensorFlow/Keras practicals: an untrusted runner, a trusted judge."""

__version__ = "0.1.0"
