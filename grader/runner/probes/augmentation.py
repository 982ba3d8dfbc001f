"""Data augmentation described (runner side): an `ImageDataGenerator`'s ranges, or the configs of Keras
preprocessing layers (`RandomRotation`, `RandomZoom`, `RandomFlip`) in a list or a `Sequential`."""

from __future__ import annotations

from typing import Any

GENERATOR_KEYS = ("rotation_range", "zoom_range", "horizontal_flip", "vertical_flip")
LAYER_KEYS = ("factor", "height_factor", "width_factor", "mode")


def plain(v: Any) -> Any:
    """Numbers as floats (an int range and a float one read alike), strings, booleans, None, lists."""
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, (bool, str)) or v is None:
        return v
    try:
        return float(v)
    except Exception:  # noqa: BLE001
        return str(v)[:80]


def describe(ns: dict, name: str) -> dict[str, Any]:
    """{"type", "kind": "generator" (+ its ranges) | "layers" (+ "layers": class and factors) | None}."""
    d = ns[name]
    out: dict[str, Any] = {"type": type(d).__qualname__, "kind": None}
    if all(hasattr(d, key) for key in GENERATOR_KEYS[:3]):
        out["kind"] = "generator"
        for key in GENERATOR_KEYS:
            out[key] = plain(getattr(d, key, None))
        return out
    items = list(d) if isinstance(d, (list, tuple)) else list(d.layers) if hasattr(d, "layers") else [d]
    found = []
    for layer in items:
        try:
            cfg = layer.get_config()
        except Exception:  # noqa: BLE001 - not a layer
            continue
        found.append({"class": type(layer).__name__, **{k: plain(cfg[k]) for k in LAYER_KEYS if k in cfg}})
    if found:
        out.update(kind="layers", layers=found)
    return out
