"""Shared by tp1-cifar10's checks: the registry, fixed figures, CIFAR-10's class names and their synonyms."""

from __future__ import annotations

import unicodedata

from grader.checks import Registry

checks = Registry()

DATASET = "cifar10"
FULL = {"train": 50_000, "test": 10_000}
IMAGE_SHAPE = (32, 32, 3)
N_PARAMS = 686_506
N_NON_TRAINABLE = 1_472  # moving mean and variance of the four BatchNormalization layers (32 + 64 + 128 + 512)
DEFAULT_THRESHOLD = 0.25

#: CIFAR-10's classes in label order, each with the names a student may give it (English or French).
#: Compared after `fold` (case, accents, spaces, hyphens, a plural "s" ignored).
CLASSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("airplane", ("airplane", "aeroplane", "plane", "airliner", "aircraft", "avion")),
    ("automobile", ("automobile", "car", "auto", "voiture")),
    ("bird", ("bird", "oiseau")),
    ("cat", ("cat", "chat")),
    ("deer", ("deer", "cerf", "biche", "chevreuil", "daim")),
    ("dog", ("dog", "chien")),
    ("frog", ("frog", "grenouille")),
    ("horse", ("horse", "cheval")),
    ("ship", ("ship", "boat", "bateau", "navire")),
    ("truck", ("truck", "lorry", "camion")),
)


def fold(name: str) -> str:
    """'Avions ' -> 'avion', 'Cerf-volant' -> 'cerfvolant': a name as compared with the synonyms."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().lower()
    text = "".join(ch for ch in text if ch.isalnum())
    if text == "chevaux":
        return "cheval"
    if text.endswith("eaux"):  # oiseaux, bateaux
        return text[:-1]
    return text[:-1] if text.endswith("s") and len(text) > 3 else text


SYNONYMS: dict[str, int] = {fold(s): i for i, (_, names) in enumerate(CLASSES) for s in names}


def class_index(name: object) -> int | None:
    """CIFAR-10 label of a class name (any accepted synonym), None when it names no class."""
    return SYNONYMS.get(fold(str(name))) if isinstance(name, str) else None
