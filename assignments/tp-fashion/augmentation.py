"""Q7: `datagen`, an `ImageDataGenerator` or Keras preprocessing layers, observed by its attributes/configs."""

from __future__ import annotations

from grader.checks import NO_HINT, Message, fail, student_probed
from grader.checks.probes import augmentation

from .common import checks

ROTATION = 10 / 360  # RandomRotation's factor is a fraction of a full turn
TOL = 1e-3

def _datagen(obs) -> dict:
    return student_probed(obs, "datagen", augmentation.describe, field="kind", expected=Message(
        "un `ImageDataGenerator(...)` ou un `keras.Sequential` de couches `RandomRotation`, `RandomZoom`, "
        "`RandomFlip`", "an `ImageDataGenerator(...)` or a `keras.Sequential` of `RandomRotation`, `RandomZoom`, "
        "`RandomFlip` layers"))


def _layer(info: dict, cls: str) -> dict:
    found = [x for x in info["layers"] if x["class"] == cls]
    names = ", ".join(x["class"] for x in info["layers"]) or "aucune"
    if len(found) != 1:
        raise fail(f"Couches de `datagen` : {names} ; attendu une couche `{cls}`.",
                   f"Layers of `datagen`: {names}; expected one `{cls}` layer.")
    return found[0]


def _symmetric(value) -> float | None:
    """The amplitude f of a factor given as f or (-f, f); None when asymmetric."""
    if isinstance(value, list):
        if len(value) != 2 or abs(value[0] + value[1]) > TOL:
            return None
        return abs(float(value[1]))
    return None if value is None else abs(float(value))


@checks("q7", public=True, weight=0.5, fr="`datagen` : ImageDataGenerator ou couches de prétraitement Keras.",
        en="`datagen`: an ImageDataGenerator or Keras preprocessing layers.")
def check_datagen_kind(obs, ctx):
    _datagen(obs)


@checks("q7", public=True, weight=1, requires=("check_datagen_kind",), fr="Rotation de 10 degrés.", en="Rotation of 10 degrees.")
def check_datagen_rotation(obs, ctx):
    info = _datagen(obs)
    if info["kind"] == "generator":
        value = info["rotation_range"]
        if value is None or abs(float(value) - 10) > TOL:
            raise fail(f"`rotation_range` vaut {value} ; attendu 10 (degrés).",
                       f"`rotation_range` is {value}; expected 10 (degrees).")
        return
    raw = _layer(info, "RandomRotation").get("factor")
    value = _symmetric(raw)
    if value is not None and abs(value - ROTATION) <= TOL:
        return
    hint = NO_HINT
    if value is not None and abs(value - 10) <= TOL:
        hint = Message(" `RandomRotation(10)` tourne jusqu'à ±10 tours complets : son facteur est une fraction de "
                       "tour, 10 degrés s'écrivent `RandomRotation(10 / 360)`.",
                       " `RandomRotation(10)` turns by up to ±10 full turns: its factor is a fraction of a turn, "
                       "10 degrees are written `RandomRotation(10 / 360)`.")
    raise fail(f"Facteur de `RandomRotation` : {raw} ; attendu ±{ROTATION:.4f} (10 / 360 de tour).{hint.fr}",
               f"`RandomRotation` factor: {raw}; expected ±{ROTATION:.4f} (10 / 360 of a turn).{hint.en}")


@checks("q7", public=True, weight=1, requires=("check_datagen_kind",), fr="Zoom de 0.1.", en="Zoom of 0.1.")
def check_datagen_zoom(obs, ctx):
    info = _datagen(obs)
    if info["kind"] == "generator":
        value = info["zoom_range"]
        if not isinstance(value, list) or len(value) != 2 or abs(value[0] - 0.9) > TOL or abs(value[1] - 1.1) > TOL:
            raise fail(f"`zoom_range` vaut {value} ; attendu `zoom_range=0.1` (soit [0.9, 1.1]).",
                       f"`zoom_range` is {value}; expected `zoom_range=0.1` ([0.9, 1.1]).")
        return
    layer = _layer(info, "RandomZoom")
    height = _symmetric(layer.get("height_factor"))
    width = layer.get("width_factor")
    width = height if width is None else _symmetric(width)
    if height is None or width is None or abs(height - 0.1) > TOL or abs(width - 0.1) > TOL:
        raise fail(f"`RandomZoom` : hauteur {layer.get('height_factor')}, largeur {layer.get('width_factor')} ; "
                   "attendu `RandomZoom(0.1)`.", "`RandomZoom` factors differ from `RandomZoom(0.1)`.")


@checks("q7", public=True, weight=1, requires=("check_datagen_kind",), fr="Retournement horizontal (pas vertical).",
        en="Horizontal flip (not vertical).")
def check_datagen_flip(obs, ctx):
    info = _datagen(obs)
    if info["kind"] == "generator":
        if info["horizontal_flip"] is not True or info["vertical_flip"]:
            raise fail(f"`horizontal_flip` = {info['horizontal_flip']}, `vertical_flip` = {info['vertical_flip']} ; "
                       "attendu `horizontal_flip=True` seulement (un vêtement retourné verticalement n'est plus "
                       "réaliste).", f"`horizontal_flip` = {info['horizontal_flip']}, `vertical_flip` = {info['vertical_flip']}; "
                                     "expected `horizontal_flip=True` only (a garment flipped upside down is no longer realistic).")
        return
    mode = _layer(info, "RandomFlip").get("mode")
    if mode != "horizontal":
        raise fail(f"Mode de `RandomFlip` : {mode!r} ; attendu \"horizontal\".",
                   f"`RandomFlip` mode: {mode!r}; expected \"horizontal\".")
