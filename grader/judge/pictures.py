"""Pictures for the student's feedback, drawn in the judge from plain arrays the checks already hold.

Learning curves, a confusion heatmap, a grid of predictions, autoencoder reconstructions: the
course shows them, so the report does too. They are drawn here, on the trusted side, from the
numbers the runner sent back (never by running student code), with matplotlib's Agg canvas and
the object API (no pyplot global state: several grading workers run in threads). A renderer
returns `None` when its input is unusable, never raises: a picture must not break a check.

A check attaches them with `Feedback(message, pictures)` (on success) or
`fail(fr, en, pictures=...)` (on failure); `None` entries are dropped, so
`pictures=(learning_curves(h), confusion_heatmap(cm))` needs no test.
"""

from __future__ import annotations

import functools
import io
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from grader.model import Message, Picture

__all__ = ["Picture", "confusion_heatmap", "learning_curves", "prediction_grid", "reconstructions"]

DPI = 80
MAX_BYTES = 80_000  # a picture above this is drawn again at a lower resolution
MAX_EPOCHS = 400  # longer histories are subsampled: the shape of the curve is what matters
MAX_SERIES = 6  # per panel
MAX_CLASSES = 60
MAX_IMAGES = 64
MAX_SIDE = 256  # pixels of one image of a grid

GOOD, BAD = "#1e8e3e", "#c5221f"

_WORDS = {
    "fr": {"epoch": "époque", "pred": "prédit", "true": "vrai", "orig": "originales",
           "recon": "reconstruites", "loss": "perte (loss)", "metric": "métrique"},
    "en": {"epoch": "epoch", "pred": "predicted", "true": "true", "orig": "originals",
           "recon": "reconstructed", "loss": "loss", "metric": "metric"},
}

TITLES = {
    "curves": Message("Courbes d'apprentissage (historique de `fit`)", "Learning curves (`fit` history)"),
    "confusion": Message("Matrice de confusion (lignes : vraie classe, colonnes : classe prédite)",
                         "Confusion matrix (rows: true class, columns: predicted class)"),
    "grid": Message("Exemples de prédictions (vert : juste, rouge : faux)",
                    "Sample predictions (green: right, red: wrong)"),
    "recon": Message("Images originales (en haut) et reconstruites (en bas)",
                     "Original (top) and reconstructed (bottom) images"),
}

# Agg itself is per figure, but matplotlib's font, text and colormap caches are shared and not
# documented as thread-safe: one picture at a time (a few tenths of a second, next to a training).
_LOCK = threading.RLock()


def _renderer(func: Callable[..., Picture | None]) -> Callable[..., Picture | None]:
    """One drawing at a time, and None instead of any exception: a picture never breaks a check.

    Checks do not know the report's language (reports are rendered later, in either), so without
    an explicit `lang` the picture is drawn twice: French words in `png`, English in `png_en`."""

    @functools.wraps(func)
    def draw(*args: Any, **kwargs: Any) -> Picture | None:
        try:
            with _LOCK:
                if "lang" in kwargs:
                    return func(*args, **kwargs)
                fr = func(*args, lang="fr", **kwargs)
                en = func(*args, lang="en", **kwargs) if fr is not None else None
                return fr if en is None else Picture(fr.title, fr.png, en.png)
        except Exception:  # noqa: BLE001 - unusable input, whatever the reason
            return None

    return draw


@_renderer
def learning_curves(history: Mapping[str, Sequence[float]], *, title: Message | None = None,
                    lang: str = "fr") -> Picture | None:
    """Loss (and val_loss) in one panel, accuracy/mse/mae-like metrics in another, per epoch.

    `history` is `model.fit(...).history` as plain data. Non-numeric and NaN values are left
    out, so a diverging run still shows the epochs it had; None when nothing is plottable.
    """
    series = _numeric_series(history)
    losses = [(k, v) for k, v in series if k == "loss" or k.endswith("_loss")]
    loss_names = {k for k, _ in losses}
    metrics = [(k, v) for k, v in series if k not in loss_names
               and any(w in k for w in ("acc", "mse", "mae", "mean_squared", "mean_absolute"))]
    panels = [p[:MAX_SERIES] for p in (losses, metrics) if p]
    if not panels:
        return None
    w = _WORDS.get(lang, _WORDS["fr"])
    fig, axes = _figure(4.0 * len(panels), 2.9, ncols=len(panels), layout=None)
    width = 4.0 * len(panels)  # margins in inches, fixed (a constrained layout was half the drawing's cost)
    fig.subplots_adjust(left=0.65 / width, right=1 - 0.15 / width, bottom=0.45 / 2.9, top=1 - 0.3 / 2.9,
                        wspace=0.75 * len(panels) / width)
    for ax, panel, label in zip(axes, panels, (w["loss"] if losses else w["metric"], w["metric"]),
                                strict=False):
        for name, (x, y) in panel:
            ax.plot(x, y, label=name, marker="o" if len(x) <= 30 else None, markersize=3,
                    linestyle="--" if name.startswith("val_") else "-")
        ax.set_xlabel(w["epoch"])
        ax.set_title(label, fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        ax.xaxis.get_major_locator().set_params(integer=True)
    return _picture(fig, title or TITLES["curves"])


@_renderer
def confusion_heatmap(cm: Any, class_names: Sequence[str] | None = None, *, title: Message | None = None,
                      lang: str = "fr") -> Picture | None:
    """Counts as a heatmap, annotated; rows are the true classes, columns the predicted ones."""
    m = _numbers(cm)
    if m is None or m.ndim != 2 or m.shape[0] != m.shape[1] or not 1 <= m.shape[0] <= MAX_CLASSES:
        return None
    if not np.all(np.isfinite(m)):
        return None
    k = m.shape[0]
    names = _names(class_names, k)
    w = _WORDS.get(lang, _WORDS["fr"])
    side = min(2.5 + 0.42 * k, 9.0)
    fig, (ax,) = _figure(side + 0.8, side)
    image = ax.imshow(m, cmap="Blues", interpolation="nearest")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ticks = np.arange(k)
    ax.set_xticks(ticks, labels=names, rotation=90 if max(map(len, names)) > 2 else 0, fontsize=7)
    ax.set_yticks(ticks, labels=names, fontsize=7)
    ax.set_xlabel(w["pred"])
    ax.set_ylabel(w["true"])
    if k <= 20:
        integral = bool(np.all(m == np.rint(m)))
        top = float(np.max(np.abs(m))) or 1.0
        size = 7 if k <= 12 else 5
        for i in range(k):
            for j in range(k):
                v = m[i, j]
                ax.text(j, i, f"{int(v)}" if integral else f"{v:.2f}", ha="center", va="center",
                        fontsize=size, color="white" if v > top / 2 else "#1d2330")
    return _picture(fig, title or TITLES["confusion"])


@_renderer
def prediction_grid(images: Any, true: Any, pred: Any, class_names: Sequence[str] | None = None,
                    n: int = 16, *, title: Message | None = None, lang: str = "fr") -> Picture | None:
    """The first `n` images, each titled "prédit X / vrai Y", green when right, red when wrong.

    Images are (N, H, W), (N, H, W, 1) or (N, H, W, 3) in any range (rescaled for display);
    labels are class indices, or one-hot / probability rows (argmax taken).
    """
    imgs = _images(images)
    t, p = _labels(true), _labels(pred)
    if imgs is None or t is None or p is None:
        return None
    count = min(int(n), len(imgs), len(t), len(p), MAX_IMAGES)
    if count < 1:
        return None
    w = _WORDS.get(lang, _WORDS["fr"])
    k = max(int(t[:count].max()), int(p[:count].max())) + 1
    names = _names(class_names, max(k, len(class_names) if _is_names(class_names) else 0))
    from matplotlib.colors import to_rgb

    cols = math.ceil(math.sqrt(count))
    rows = math.ceil(count / cols)
    # One image of every tile (a frame of its colour around it, a band above for its caption) in one
    # Axes: a grid of 16 Axes under a constrained layout cost ~1 s of the grader's CPU per picture.
    shown = [_display(imgs[i]) for i in range(count)]
    h, wd = imgs.shape[1], imgs.shape[2]
    border, gap, band = max(1, round(h / 28)), max(2, round(wd * 0.18)), max(8, round(h * 0.42))
    cell_w, cell_h = wd + 2 * border + gap, h + 2 * border + band
    mosaic = np.ones((rows * cell_h, cols * cell_w, 3))
    captions = []
    for i, img in enumerate(shown):
        r, c = divmod(i, cols)
        right = t[i] == p[i]
        color = GOOD if right else BAD
        y0, x0 = r * cell_h + band, c * cell_w + gap // 2
        mosaic[y0:y0 + h + 2 * border, x0:x0 + wd + 2 * border] = to_rgb(color)
        tile = np.repeat(img[..., None], 3, axis=-1) if img.ndim == 2 else np.clip(img, 0, 1)
        mosaic[y0 + border:y0 + border + h, x0 + border:x0 + border + wd] = tile
        captions.append((x0 + border + wd / 2, y0 - border, color,
                         f"{w['pred']} {_name(names, p[i])}\n{w['true']} {_name(names, t[i])}"))
    fig = _plain_figure(1.35 * cols, 1.35 * cols * mosaic.shape[0] / mosaic.shape[1])
    ax = fig.add_axes((0, 0, 1, 1))
    ax.imshow(mosaic, interpolation="nearest", aspect="auto")
    ax.set_axis_off()
    for x, y, color, caption in captions:
        ax.text(x, y, caption, ha="center", va="bottom", fontsize=7, color=color, linespacing=1.1)
    return _picture(fig, title or TITLES["grid"])


@_renderer
def reconstructions(originals: Any, reconstructed: Any, image_shape: Sequence[int] | None = None,
                    n: int = 8, *, title: Message | None = None, lang: str = "fr") -> Picture | None:
    """Originals on the top row, the autoencoder's output below; flat vectors reshaped by `image_shape`.

    Without `image_shape`, a flat vector of d values is taken as a square grey image (d = s*s) or
    a square colour one (d = 3*s*s).
    """
    a, b = _images(originals, image_shape), _images(reconstructed, image_shape)
    if a is None or b is None or a.shape[1:] != b.shape[1:]:
        return None
    count = min(int(n), len(a), len(b), MAX_IMAGES // 2)
    if count < 1:
        return None
    w = _WORDS.get(lang, _WORDS["fr"])
    fig, axes = _figure(1.2 * count + 0.4, 2.7, nrows=2, ncols=count)
    for row, (imgs, label) in enumerate(((a, w["orig"]), (b, w["recon"]))):
        for i in range(count):
            ax = axes[row * count + i]
            ax.set_xticks([])
            ax.set_yticks([])
            _show(ax, imgs[i])
            if i == 0:
                ax.set_ylabel(label, fontsize=8)
    return _picture(fig, title or TITLES["recon"])


# --- helpers -------------------------------------------------------------------------------


def _figure(width: float, height: float, *, nrows: int = 1, ncols: int = 1, layout: str | None = "constrained"):
    """A standalone Figure on an Agg canvas (no pyplot) and its axes as a flat list."""
    fig = _plain_figure(width, height, layout)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, list(axes.ravel())


def _plain_figure(width: float, height: float, layout: str | None = None):
    """A standalone Figure on an Agg canvas, without Axes (no layout engine: they are placed by hand)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def _picture(fig, title: Message) -> Picture | None:
    """A 256-colour PNG (plots compress well so); one over MAX_BYTES is drawn again a bit smaller."""
    from PIL import Image

    for dpi in (DPI, DPI * 0.75):
        fig.set_dpi(dpi)
        fig.canvas.draw()
        rgba = np.asarray(fig.canvas.buffer_rgba())
        image = Image.fromarray(rgba[..., :3].copy(), "RGB").quantize(256, dither=Image.Dither.NONE)
        buf = io.BytesIO()
        image.save(buf, format="PNG", optimize=True)
        png = buf.getvalue()
        if len(png) <= MAX_BYTES:
            break
    return Picture(title, png)


def _numbers(value: Any) -> np.ndarray | None:
    """A float array, or None for strings, objects and ragged input."""
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):
        return None
    if arr.dtype.kind not in "biuf" or arr.size == 0:
        return None
    return arr.astype(np.float64)


def _numeric_series(history: Any) -> list[tuple[str, tuple[np.ndarray, np.ndarray]]]:
    """(name, (epochs, values)) for each plottable entry: finite values only, at most MAX_EPOCHS points."""
    if not isinstance(history, Mapping):
        return []
    out = []
    for key, values in list(history.items())[:50]:
        if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
            continue
        y = np.array([_float(v) for v in list(values)[:100_000]], dtype=np.float64)
        x = np.arange(1, len(y) + 1)
        keep = np.isfinite(y)
        if not keep.any():
            continue
        x, y = x[keep], y[keep]
        if len(x) > MAX_EPOCHS:
            idx = np.unique(np.linspace(0, len(x) - 1, MAX_EPOCHS).round().astype(int))
            x, y = x[idx], y[idx]
        out.append((str(key)[:40], (x, y)))
    out.sort(key=lambda kv: (kv[0].removeprefix("val_"), kv[0].startswith("val_")))  # train, then val
    return out


def _float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        return math.nan
    return float(value)


def _labels(value: Any) -> np.ndarray | None:
    """Class indices from indices, one-hot or probability rows; None when they are not that."""
    arr = _numbers(value)
    if arr is None or not np.all(np.isfinite(arr)):
        return None
    if arr.ndim == 2 and arr.shape[1] > 1:
        arr = np.argmax(arr, axis=1)
    arr = arr.reshape(-1) if arr.ndim == 2 and arr.shape[1] == 1 else arr
    if arr.ndim != 1 or np.any(arr < 0) or np.any(arr != np.rint(arr)) or np.any(arr > 10_000):
        return None
    return arr.astype(np.int64)


def _images(value: Any, shape: Sequence[int] | None = None) -> np.ndarray | None:
    """(N, H, W) grey or (N, H, W, 3) colour images, or None."""
    arr = _numbers(value)
    if arr is None:
        return None
    if shape is not None:
        shape = tuple(int(s) for s in shape)
        if not shape or any(s < 1 for s in shape) or arr.size % math.prod(shape):
            return None
        arr = arr.reshape((-1, *shape))
    elif arr.ndim == 2:  # flat vectors
        d = arr.shape[1]
        s, s3 = math.isqrt(d), math.isqrt(d // 3)
        if s * s == d:
            arr = arr.reshape(len(arr), s, s)
        elif 3 * s3 * s3 == d:
            arr = arr.reshape(len(arr), s3, s3, 3)
        else:
            return None
    if arr.ndim == 4 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if not (arr.ndim == 3 or (arr.ndim == 4 and arr.shape[-1] == 3)):
        return None
    if len(arr) < 1 or not 1 <= arr.shape[1] <= MAX_SIDE or not 1 <= arr.shape[2] <= MAX_SIDE:
        return None
    return arr[:MAX_IMAGES]


def _display(img: np.ndarray) -> np.ndarray:
    """Into [0, 1]: kept as is when already there, /255 for bytes, else stretched min..max."""
    img = np.where(np.isfinite(img), img, 0.0)
    lo, hi = float(img.min()), float(img.max())
    if lo >= 0 and hi <= 1:
        return img
    if lo >= 0 and hi <= 255 and hi > 1:
        return img / 255.0
    return (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)


def _show(ax, img: np.ndarray) -> None:
    shown = _display(img)
    if shown.ndim == 2:
        ax.imshow(shown, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    else:
        ax.imshow(np.clip(shown, 0, 1), interpolation="nearest")


def _is_names(names: Any) -> bool:
    return isinstance(names, Sequence) and not isinstance(names, str | bytes)


def _names(names: Any, k: int) -> list[str]:
    """Given names when they are a list of k (or more) labels, else the class indices."""
    if _is_names(names) and len(names) >= k:
        return [str(x)[:14] for x in list(names)[:max(k, 0)]]
    return [str(i) for i in range(k)]


def _name(names: list[str], i: int) -> str:
    return names[i] if 0 <= i < len(names) else str(i)
