"""Q5: `predict_image(path)` on image files the judge writes into the runner, judged against `model_cnn`.

The files are the first 20 images of the real CIFAR-10 test set (`images/`, PNG, 32 x 32) and
variants made here from them: other sizes (larger, smaller, not square), grayscale, RGBA. The
runner writes them to a scratch folder of its own and calls the student's `predict_image` on each
path; in the same probe it runs `model_cnn.predict` on the images as the judge resized and scaled
them (RGB, 32 x 32, [0, 1]). The answer must be the student's own `class_names[argmax]` and the
model's probability for it: so an undertrained `model_cnn` (Q4) or a wrong order of `class_names`
(Q1) costs nothing here. A 32 x 32 file has one correct input; for other sizes the resize method
is the student's choice (nearest, bilinear, bicubic, area..., with or without antialiasing), so
each of the usual methods gives a candidate, and an answer matching any of them is accepted.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

import numpy as np
from PIL import Image

from grader.checks import NO_HINT, CheckFailed, Message, Status, as_array, fail, quoted

from . import probes
from .common import checks
from .data import class_names

IMAGES = Path(__file__).parent / "images"
SIZE = 32
#: how far the returned confidence may be from the model's probability
EXACT_TOL = 0.01  # 32 x 32 files: one correct input, only float rounding differs
RESIZED_TOL = 0.05  # other sizes: on top of the spread between resize methods
#: near-ties: any class within this of the top probability may be returned
TIE = 1e-3

_PIL_METHODS = (Image.Resampling.NEAREST, Image.Resampling.BILINEAR, Image.Resampling.BICUBIC,
                Image.Resampling.LANCZOS, Image.Resampling.BOX, Image.Resampling.HAMMING)

# -- the files and their correct inputs -------------------------------------------------------------
def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _plain_bilinear(a: np.ndarray) -> np.ndarray:
    """Bilinear without antialiasing, half-pixel centres: `tf.image.resize`'s and OpenCV's default."""
    def axis(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        src = np.clip((np.arange(SIZE) + 0.5) * n / SIZE - 0.5, 0, n - 1)
        lo = np.floor(src).astype(int)
        return lo, np.minimum(lo + 1, n - 1), src - lo
    y0, y1, ty = axis(a.shape[0])
    x0, x1, tx = axis(a.shape[1])
    a = a.astype(np.float64)
    top = a[y0][:, x0] * (1 - tx)[None, :, None] + a[y0][:, x1] * tx[None, :, None]
    bottom = a[y1][:, x0] * (1 - tx)[None, :, None] + a[y1][:, x1] * tx[None, :, None]
    return top * (1 - ty)[:, None, None] + bottom * ty[:, None, None]


def _floor_nearest(a: np.ndarray) -> np.ndarray:
    """Nearest neighbour without half-pixel centres (OpenCV's INTER_NEAREST)."""
    rows = np.floor(np.arange(SIZE) * a.shape[0] / SIZE).astype(int)
    cols = np.floor(np.arange(SIZE) * a.shape[1] / SIZE).astype(int)
    return a[rows][:, cols].astype(np.float64)


def candidates(data: bytes) -> np.ndarray:
    """The file as the model should see it, (k, 32, 32, 3) in [0, 1]: one per usual resize method."""
    img = Image.open(io.BytesIO(data)).convert("RGB")
    if img.size == (SIZE, SIZE):
        return (np.asarray(img, dtype=np.float64) / 255.0)[None]
    a = np.asarray(img)
    out = [np.asarray(img.resize((SIZE, SIZE), method), dtype=np.float64) for method in _PIL_METHODS]
    out += [_plain_bilinear(a), _floor_nearest(a)]
    return np.stack(out) / 255.0


@functools.lru_cache(maxsize=1)
def files() -> tuple[tuple[str, Message, bytes], ...]:
    """(file name, what it is in words, PNG bytes): the 20 real test images, then the variants."""
    originals = sorted(IMAGES.glob("cifar10_*.png"))
    out = [(f"image_{i:02d}.png", Message("image CIFAR-10 32 x 32", "CIFAR-10 image 32 x 32"), p.read_bytes())
           for i, p in enumerate(originals)]
    rgb = [Image.open(p).convert("RGB") for p in originals]
    nearest = Image.Resampling.NEAREST
    variants = [
        ("grande_64x64.png", Message("image 64 x 64", "image 64 x 64"), rgb[3].resize((64, 64), nearest)),
        ("rectangle_80x48.png", Message("image 80 x 48 (non carrée)", "image 80 x 48 (not square)"),
         rgb[5].resize((80, 48), Image.Resampling.BICUBIC)),
        ("petite_24x24.png", Message("image 24 x 24 (plus petite)", "image 24 x 24 (smaller)"),
         rgb[13].resize((24, 24), Image.Resampling.BOX)),
        ("gris_32x32.png", Message("image en niveaux de gris (mode L)", "greyscale image (mode L)"), rgb[7].convert("L")),
        ("gris_96x96.png", Message("image en niveaux de gris 96 x 96", "greyscale image 96 x 96"),
         rgb[11].resize((96, 96), nearest).convert("L")),
        ("rgba_32x32.png", Message("image RGBA (canal alpha)", "RGBA image (alpha channel)"), rgb[9].convert("RGBA")),
        ("rgba_128x128.png", Message("image RGBA 128 x 128", "RGBA image 128 x 128"),
         rgb[15].resize((128, 128), nearest).convert("RGBA")),
    ]
    out += [(name, what, _png(img)) for name, what, img in variants]
    return tuple(out)


# -- observing and judging ----------------------------------------------------------------------------
def _observe(obs) -> dict:
    def run() -> dict:
        items = files()
        cands = [candidates(data) for _, _, data in items]
        # diagnosis only: the 32 x 32 files left in 0-255, as a predict_image that forgets to scale sees them
        raw = [c * 255.0 for c in cands if len(c) == 1]
        stacked = np.concatenate([*cands, *raw]).astype(np.float32)
        try:
            got = obs.run(probes.predict_images, [n for n, _, _ in items],
                          [np.frombuffer(d, dtype=np.uint8) for _, _, d in items], stacked, timeout=240)
        except CheckFailed as e:
            if e.status is Status.ERROR:
                raise CheckFailed(Message("Impossible d'obtenir les prédictions de `model_cnn` sur des images "
                                          "(n, 32, 32, 3) : `predict_image` est jugée par rapport à `model_cnn`.",
                                          "Could not get `model_cnn`'s predictions on (n, 32, 32, 3) images: "
                                          "`predict_image` is judged against `model_cnn`."),
                                  Status.ERROR, e.details) from e
            raise
        probs = as_array(got["probs"], "`model_cnn.predict(...)`").astype(np.float64)
        if probs.ndim != 2 or probs.shape[0] != len(stacked):
            raise fail(f"`model_cnn.predict` renvoie la forme {probs.shape} ; attendu ({len(stacked)}, 10).",
                       f"`model_cnn.predict` returns shape {probs.shape}; expected ({len(stacked)}, 10).")
        bounds = np.cumsum([0] + [len(c) for c in cands])
        per_file = [probs[bounds[i]:bounds[i + 1]] for i in range(len(items))]
        unscaled = list(probs[bounds[-1]:, None, :])
        return {"answers": got["answers"], "probs": per_file, "unscaled": unscaled}
    if not obs.describe("predict_image").get("callable"):
        raise fail("`predict_image` n'est pas une fonction : définissez `def predict_image(path): ...`.",
                   "`predict_image` is not a function: define `def predict_image(path): ...`.")
    obs.describe("model_cnn")  # missing: says so
    return obs.memo(("predict_image",), run)


def _verdict(answer: dict, probs: np.ndarray, names: list[str | None], tol: float) -> tuple[str, str] | None:
    """None when the answer is right for one of the candidate inputs; else (fr, en) saying why not."""
    if "error" in answer:
        error = quoted(answer["error"])  # the student's own words: shown verbatim, never markup
        return (f"`predict_image` a levé une erreur : {error}", f"`predict_image` raised: {error}")
    if answer["type"] not in ("tuple", "list") or "name_type" not in answer:
        what = f"{answer['type']}" + (f" de longueur {answer['length']}" if "length" in answer else "")
        what_en = f"{answer['type']}" + (f" of length {answer['length']}" if "length" in answer else "")
        return (f"`predict_image` renvoie un {what} ; attendu un tuple `(nom_de_classe, confiance)`.",
                f"`predict_image` returns a {what_en}; expected a tuple `(class_name, confidence)`.")
    if answer["name"] is None:
        hint = (Message(f" C'est l'indice de la classe : renvoyez son nom, `class_names[{answer['index']}]`.",
                        f" This is the class index: return its name, `class_names[{answer['index']}]`.")
                if answer["index"] is not None else NO_HINT)
        return (f"Le premier élément renvoyé est {answer['name_repr']} (type {answer['name_type']}) ; attendu le nom "
                f"de la classe, une chaîne de `class_names`.{hint.fr}",
                f"The first returned item is {answer['name_repr']} (type {answer['name_type']}); expected the class "
                f"name, a string of `class_names`.{hint.en}")
    name, conf = answer["name"], answer["conf"]
    if name not in names:
        return (f"`predict_image` renvoie la classe \"{name}\", qui n'est pas dans votre `class_names`.",
                f"`predict_image` returns the class \"{name}\", which is not in your `class_names`.")
    if conf is None or not np.isfinite(conf):
        return (f"La confiance renvoyée est {answer.get('conf_repr')} ; attendu un nombre, la probabilité de la "
                "classe prédite.", f"The returned confidence is {answer.get('conf_repr')}; expected a number.")
    if not 0.0 <= conf <= 1.0:
        hint = (Message(" Est-ce un pourcentage ? Renvoyez la probabilité elle-même.",
                        " Is it a percentage? Return the probability itself.") if 1 < conf <= 100 else NO_HINT)
        return (f"La confiance renvoyée vaut {conf:.4g} ; attendu une probabilité dans [0, 1].{hint.fr}",
                f"The returned confidence is {conf:.4g}; expected a probability within [0, 1].{hint.en}")
    mine = [j for j, n in enumerate(names) if n == name and j < probs.shape[1]]
    for p in probs:
        for j in mine:
            if p[j] >= p.max() - TIE and probs[:, j].min() - tol <= conf <= probs[:, j].max() + tol:
                return None
    best = probs[0]
    top = int(np.argmax(best))
    expected = names[top] if top < len(names) and names[top] is not None else f"classe {top}"
    if not any(int(np.argmax(p)) in mine for p in probs):
        return (f"`predict_image` renvoie \"{name}\" ({conf:.3f}) ; `model_cnn` prédit \"{expected}\" "
                f"({best[top]:.3f}) sur l'image en RGB 32 x 32 mise à l'échelle [0, 1].",
                f"`predict_image` returns \"{name}\" ({conf:.3f}); `model_cnn` predicts \"{expected}\" "
                f"({best[top]:.3f}) on the image as RGB 32 x 32 scaled to [0, 1].")
    j = mine[0]
    return (f"`predict_image` renvoie \"{name}\" avec la confiance {conf:.4f} ; `model_cnn` lui donne "
            f"{probs[:, j].min():.4f} sur l'image en RGB 32 x 32 mise à l'échelle [0, 1].",
            f"`predict_image` returns \"{name}\" with confidence {conf:.4f}; `model_cnn` gives it "
            f"{probs[:, j].min():.4f} on the image as RGB 32 x 32 scaled to [0, 1].")


def _judge(obs, which: slice, tol: float, allowed_misses: int) -> tuple[int, int]:
    observed = _observe(obs)
    names = [x["str"] for x in class_names(obs)]
    items = files()[which]
    answers = observed["answers"][which]
    probs = observed["probs"][which]
    wrong = []
    for i, ((fname, what, _), answer, p) in enumerate(zip(items, answers, probs, strict=True)):
        why = _verdict(answer, p, names, tol)
        if why is not None:
            wrong.append((fname, what, why, "error" in answer, i))
    if len(wrong) > allowed_misses:
        fname, what, (fr, en), raised, i = wrong[0]
        unscaled = observed["unscaled"][which] if which.start == 0 else []
        if i < len(unscaled) and _verdict(answers[i], unscaled[i], names, tol) is None:
            fr += (" Cette réponse est celle du modèle sur l'image non mise à l'échelle (pixels de 0 à 255) : "
                   "divisez-la par 255 comme `X_train`.")
            en += " This is the model's answer on the image left unscaled (0-255 pixels): divide by 255."
        advice = (" `predict_image(path)` doit lire l'image, la convertir en RGB, la redimensionner en 32 x 32 "
                  "(`keras.utils.load_img(path, target_size=(32, 32))`), diviser ses pixels par 255 comme `X_train`, "
                  "et renvoyer `(class_names[i], probabilité de i)` pour la classe `i` la plus probable selon "
                  "`model_cnn`.")
        advice_en = (" `predict_image(path)` must read the image, convert it to RGB, resize it to 32 x 32 "
                     "(`keras.utils.load_img(path, target_size=(32, 32))`), divide its pixels by 255 like "
                     "`X_train`, and return `(class_names[i], probability of i)` for the class `i` that "
                     "`model_cnn` finds most likely.")
        status = Status.ERROR if raised else Status.FAILED
        raise CheckFailed(Message(f"{len(wrong)} fichier(s) sur {len(items)} à la réponse fausse. Premier : {fname} "
                                  f"({what.fr}) : {fr}{advice}",
                                  f"{len(wrong)} of {len(items)} file(s) with a wrong answer. First: {fname} "
                                  f"({what.en}): {en}{advice_en}"), status)
    return len(items) - len(wrong), len(items)


@checks("q5", weight=2.5, fr="`predict_image` sur 20 images de test CIFAR-10 (PNG 32 x 32) : la classe de "
        "`class_names` et la probabilité que `model_cnn` lui donne.",
        en="`predict_image` on 20 CIFAR-10 test images (32 x 32 PNG): the class from `class_names` and the "
        "probability `model_cnn` gives it.")
def check_predict_image_on_cifar_images(obs, ctx) -> Message:
    ok, n = _judge(obs, slice(0, 20), EXACT_TOL, allowed_misses=1)
    return Message(f"{ok} fichier(s) sur {n} : même classe et même confiance que `model_cnn`.",
                   f"{ok} of {n} file(s): same class and confidence as `model_cnn`.")


@checks("q5", weight=1.5, fr="`predict_image` sur des images d'autres tailles, en niveaux de gris ou RGBA : "
        "redimensionnées en 32 x 32 RGB.", en="`predict_image` on images of other sizes, grayscale or RGBA: "
        "resized to 32 x 32 RGB.")
def check_predict_image_any_size_and_mode(obs, ctx) -> Message:
    ok, n = _judge(obs, slice(20, None), RESIZED_TOL, allowed_misses=0)
    return Message(f"{n} fichier(s) de tailles et de modes variés classés comme `model_cnn` les classe.",
                   f"{n} file(s) of various sizes and modes classified as `model_cnn` does.")
