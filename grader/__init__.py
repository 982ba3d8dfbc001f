"""Grading harness for TensorFlow/Keras practicals: an untrusted runner, a trusted judge."""

from pathlib import Path

__version__ = "0.1.0"

#: Repository root: assignments/, reference/ and templates/ live beside the package.
ROOT = Path(__file__).resolve().parent.parent
