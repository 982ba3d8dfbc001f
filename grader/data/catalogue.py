"""The datasets the grader knows, written once: names, titles, files, where Keras gets them.

MNIST, Fashion-MNIST and CIFAR-10, in the Keras cache layout (`mnist.npz`, `fashion-mnist/*.gz`,
`cifar-10-batches-py/`). Pure constants: the runner reads the titles here (its notes name the
dataset), the judge, the reports and the CLI read the rest; nothing here touches a disk.
"""

from __future__ import annotations

NAMES = ("mnist", "fashion_mnist", "cifar10")


TITLES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST", "cifar10": "CIFAR-10"}




FASHION_FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


CIFAR_BATCHES = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch")


#: Synthetic stand-ins (`grader data synthesize`), looked for in the data folders after every real copy.
SYNTHETIC_FILES = {"cifar10": "cifar10-synthetic.npz"}


SYNTHETIC_ORIGIN = "synthétique (grader data synthesize) — pas le vrai CIFAR-10"


#: The npz key that marks generated arrays (a JSON string: generator, seed, sizes).
SYNTHETIC_KEY = "synthetic"


_KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


#: Where Keras downloads from, and the sha256 it expects (None: Keras checks none).
ORIGINS: dict[str, list[tuple[str, str | None]]] = {
    "mnist": [(_KERAS_ORIGIN + "mnist.npz", "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1")],
    "fashion_mnist": [(_KERAS_ORIGIN + f, None) for f in FASHION_FILES],
    "cifar10": [("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                 "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce")],
}


#: Where a copy was found, as the console says it in English (the French is `Source.origin`).
ORIGINS_EN = {"cache Keras": "Keras cache", SYNTHETIC_ORIGIN: "synthetic (grader data synthesize) — not the real CIFAR-10"}


def origin_text(origin: str, lang: str = "fr") -> str:
    return ORIGINS_EN.get(origin, origin) if lang == "en" else origin


def check_name(name: str) -> None:
    if name not in NAMES:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(NAMES)}")
