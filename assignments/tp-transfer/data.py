"""Q4: `make_datasets(directory, batch_size=32)` on a folder of images the judge makes.

The judge decides the folder's content (two class sub-folders, PNG and JPEG images of different
sizes, each of one plain colour of its own); a trusted probe writes it in a fresh scratch folder
of the runner (`tempfile`: /tmp, a private tmpfs under bubblewrap; the submission's copy where
/tmp is not writable), calls `make_datasets(folder, batch_size=5)`, reads both datasets once and
hands back per image only the colour at its centre and its label. The judge recognises each image
by its colour, so the split is checked even when the student's pipeline drops `file_paths`
(`.map`, `.prefetch`, `.cache`...): counts, overlap between the two subsets, labels per class.
"""

from __future__ import annotations

import numpy as np

from grader.checks import as_array, built, fail

from . import probes
from .common import checks

CLASSES = (("chats", 16), ("chiens", 14))
TOTAL = sum(n for _, n in CLASSES)
N_VAL = int(0.2 * TOTAL)  # how image_dataset_from_directory rounds: 6 of 30
N_TRAIN = TOTAL - N_VAL
BATCH = 5
SIZE = (224, 224)
_LEVELS = np.array([16, 56, 96, 136, 176, 216])
_MAX_BATCHES = 40  # a `.repeat()`ed dataset never ends: read this many batches at most

def folder_spec(ctx) -> list[list]:
    """(class, file name, height, width, format, colour) per image; each colour is the image's identity."""
    rng = ctx.rng("tp-transfer:q4-folder")
    grid = np.array(np.meshgrid(_LEVELS, _LEVELS, _LEVELS, indexing="ij")).reshape(3, -1).T
    colours = grid[rng.choice(len(grid), size=TOTAL, replace=False)]
    spec, k = [], 0
    for cls, n in CLASSES:
        for i in range(n):
            fmt = "png" if (k % 3) else "jpg"
            h, w = (int(v) for v in rng.integers(24, 96, size=2))
            spec.append([cls, f"img_{i:03d}.{fmt}", h, w, fmt, [int(c) for c in colours[k]]])
            k += 1
    return spec


def _observed(obs, ctx) -> dict:
    found = built(obs, "make_datasets", probes.datasets, folder_spec(ctx), BATCH, _MAX_BATCHES)
    if found.get("length") != 2 or "train" not in found:
        raise fail(f"`make_datasets(...)` renvoie {found.get('type')} ; attendu le couple `(train_ds, val_ds)`.",
                   f"`make_datasets(...)` returns {found.get('type')}; expected the pair `(train_ds, val_ds)`.")
    for key, name in (("train", "train_ds"), ("val", "val_ds")):
        if not found[key]["is_dataset"]:
            raise fail(f"`{name}` est de type {found[key]['type']} ; attendu un `tf.data.Dataset` "
                       "(`keras.utils.image_dataset_from_directory(directory, ...)`).",
                       f"`{name}` is a {found[key]['type']}; expected a `tf.data.Dataset` "
                       "(`keras.utils.image_dataset_from_directory(directory, ...)`).")
    return found


def identities(ctx, centres: np.ndarray) -> list[int | None]:
    """Which image each element is (index in `folder_spec`), by its colour; None when none is close."""
    colours = np.array([s[5] for s in folder_spec(ctx)], dtype=np.float64)
    centres = as_array(centres, "images").astype(np.float64).reshape(-1, 3)
    if centres.size and np.max(centres) <= 1.0 + 1e-6:  # rescaled to [0, 1] in the pipeline
        centres = centres * 255.0
    out: list[int | None] = []
    for c in centres:
        d = np.abs(colours - c).max(axis=1)
        out.append(int(np.argmin(d)) if np.min(d) < 15 else None)
    return out


def _labels(entry: dict) -> np.ndarray:
    return np.asarray(entry["labels"], dtype=np.float64)


@checks("q4", weight=0.5, fr="`make_datasets(directory, batch_size)` renvoie `(train_ds, val_ds)`, deux "
        "`tf.data.Dataset`.", en="`make_datasets(directory, batch_size)` returns `(train_ds, val_ds)`, two datasets.")
def check_make_datasets_returns_two_datasets(obs, ctx):
    _observed(obs, ctx)


@checks("q4", weight=1, requires=("check_make_datasets_returns_two_datasets",),
        fr="Images en lots de forme (lot, 224, 224, 3), float32.", en="Image batches of shape (batch, 224, 224, 3), float32.")
def check_images_are_224_float32(obs, ctx):
    found = _observed(obs, ctx)
    for key, name in (("train", "train_ds"), ("val", "val_ds")):
        entry = found[key]
        spec = entry["spec"][0]
        shapes = {tuple(s) for s in entry["shapes"]}
        if spec["shape"] != [None, *SIZE, 3] or (shapes and shapes != {(*SIZE, 3)}):
            shown = spec["shape"] if spec["shape"] is None else tuple("lot" if d is None else d for d in spec["shape"])
            raise fail(f"Les images de `{name}` ont la forme {shown} ; attendu (lot, 224, 224, 3) : "
                       "`image_size=(224, 224)`, images en couleur (`color_mode=\"rgb\"`), en lots.",
                       f"The images of `{name}` have shape {shown}; expected (batch, 224, 224, 3): "
                       "`image_size=(224, 224)`, colour images (`color_mode=\"rgb\"`), in batches.")
        if spec["dtype"] != "float32":
            raise fail(f"Les images de `{name}` sont de type {spec['dtype']} ; attendu float32 (ce que donne "
                       "`image_dataset_from_directory`).",
                       f"The images of `{name}` have dtype {spec['dtype']}; expected float32 (what "
                       "`image_dataset_from_directory` gives).")


@checks("q4", weight=1, requires=("check_make_datasets_returns_two_datasets",),
        fr="Étiquettes binaires (0 ou 1, une par image), une valeur par classe.",
        en="Binary labels (0 or 1, one per image), one value per class.")
def check_labels_are_binary(obs, ctx):
    found = _observed(obs, ctx)
    spec = folder_spec(ctx)
    for key, name in (("train", "train_ds"), ("val", "val_ds")):
        entry = found[key]
        if len(entry["spec"]) < 2 or not entry["has_labels"]:
            raise fail(f"`{name}` ne donne pas d'étiquettes : attendu des couples (images, étiquettes) "
                       "(`label_mode=\"binary\"`).", f"`{name}` yields no labels: expected (images, labels) pairs (`label_mode=\"binary\"`).")
        label_spec = entry["spec"][1]
        shape = label_spec["shape"]
        if shape not in ([None, 1], [None]):
            wide = bool(shape and len(shape) == 2 and shape[-1] != 1)
            width = f" ({shape[-1]} colonnes : étiquettes one-hot de `label_mode=\"categorical\"`)" if wide else ""
            width_en = f" ({shape[-1]} columns: the one-hot labels of `label_mode=\"categorical\"`)" if wide else ""
            raise fail(f"Les étiquettes de `{name}` ont la forme {shape}{width} ; attendu une étiquette 0/1 par image, "
                       "forme (lot, 1) : `label_mode=\"binary\"`, pour une sortie sigmoïde et `binary_crossentropy`.",
                       f"The labels of `{name}` have shape {shape}{width_en}; expected one 0/1 label per image, shape "
                       "(batch, 1): `label_mode=\"binary\"`, for a sigmoid output and `binary_crossentropy`.")
        labels = _labels(entry)
        if labels.size and not np.isin(labels, (0.0, 1.0)).all():
            raise fail(f"Les étiquettes de `{name}` prennent les valeurs {sorted(set(labels.ravel().tolist()))[:5]} ; "
                       "attendu 0 ou 1.", f"The labels of `{name}` take the values {sorted(set(labels.ravel().tolist()))[:5]}; expected 0 or 1.")
    per_class: dict[str, set] = {}
    for key in ("train", "val"):
        entry = found[key]
        for ident, label in zip(identities(ctx, entry["centres"]), _labels(entry).reshape(-1), strict=False):
            if ident is not None:
                per_class.setdefault(spec[ident][0], set()).add(float(label))
    values = [per_class.get(cls, set()) for cls, _ in CLASSES]
    if all(len(v) == 1 for v in values) and values[0] != values[1]:
        return
    if any(values):
        raise fail(f"Les étiquettes ne suivent pas les dossiers de classes (valeurs vues par classe : "
                   f"{ {cls: sorted(v) for (cls, _), v in zip(CLASSES, values, strict=True)} }) ; chaque "
                   "sous-dossier doit donner une seule étiquette, différente de l'autre.",
                   f"The labels do not follow the class folders (values seen per class: "
                   f"{ {cls: sorted(v) for (cls, _), v in zip(CLASSES, values, strict=True)} }); each "
                   "subfolder must give a single label, different from the other's.")


@checks("q4", weight=1, requires=("check_make_datasets_returns_two_datasets",),
        fr=f"Partage 80 % / 20 % : {N_TRAIN} images d'entraînement et {N_VAL} de validation sur {TOTAL}.",
        en=f"80% / 20% split: {N_TRAIN} training and {N_VAL} validation images out of {TOTAL}.")
def check_split_is_80_20(obs, ctx):
    found = _observed(obs, ctx)
    if found["train"].get("truncated") or found["val"].get("truncated"):
        raise fail("Un des jeux de données ne s'arrête jamais (`.repeat()`) : renvoyez les jeux tels que "
                   "`image_dataset_from_directory` les donne (un passage = une époque).",
                   "One of the datasets never ends (`.repeat()`): return the datasets as "
                   "`image_dataset_from_directory` gives them (one pass = one epoch).")
    n_train, n_val = sum(found["train"]["batches"]), sum(found["val"]["batches"])
    if (n_train, n_val) == (N_TRAIN, N_VAL):
        return
    ratio = f" (validation {n_val / (n_train + n_val):.0%})" if n_train + n_val else ""
    raise fail(f"Sur un dossier de {TOTAL} images, `train_ds` en donne {n_train} et `val_ds` {n_val}{ratio} ; "
               f"attendu {N_TRAIN} et {N_VAL} : `validation_split=0.2`, `subset=\"training\"` pour l'un, "
               "`subset=\"validation\"` pour l'autre.",
               f"On a folder of {TOTAL} images, `train_ds` yields {n_train} and `val_ds` {n_val}{ratio}; expected "
               f"{N_TRAIN} and {N_VAL}: `validation_split=0.2`, `subset=\"training\"` for one, "
               "`subset=\"validation\"` for the other.")


@checks("q4", weight=1, requires=("check_make_datasets_returns_two_datasets",),
        fr="Aucune image à la fois dans l'entraînement et la validation (même graine pour les deux).",
        en="No image in both training and validation (the same seed for both).")
def check_subsets_are_disjoint(obs, ctx):
    found = _observed(obs, ctx)
    train, val = found["train"], found["val"]
    if "file_paths" in train and "file_paths" in val:
        both = sorted(set(train["file_paths"]) & set(val["file_paths"]))
    else:
        ids_train, ids_val = identities(ctx, train["centres"]), identities(ctx, val["centres"])
        if None in ids_train or None in ids_val:
            raise fail("Impossible de reconnaître les images lues dans les jeux de données (leurs pixels ont été "
                       "modifiés) : laissez les images telles que `image_dataset_from_directory` les donne "
                       "(`preprocess_input` est dans le modèle).",
                       "The images read from the datasets cannot be recognised (their pixels were changed): leave the "
                       "images as `image_dataset_from_directory` gives them (`preprocess_input` is in the model).")
        spec = folder_spec(ctx)
        both = sorted(f"{spec[i][0]}/{spec[i][1]}" for i in set(ids_train) & set(ids_val))
    if both:
        raise fail(f"{len(both)} image(s) sont à la fois dans `train_ds` et `val_ds` (par exemple {both[0]}) : les "
                   "deux appels à `image_dataset_from_directory` doivent avoir la **même** graine (`seed=...`), "
                   "sinon chacun mélange autrement et les deux parts se recouvrent.",
                   f"{len(both)} image(s) are in both `train_ds` and `val_ds` (for example {both[0]}): the two "
                   "calls of `image_dataset_from_directory` must have the **same** seed (`seed=...`), otherwise "
                   "each shuffles differently and the two parts overlap.")


@checks("q4", weight=0.5, requires=("check_make_datasets_returns_two_datasets",),
        fr="Lots de `batch_size` images (32 par défaut).", en="Batches of `batch_size` images (32 by default).")
def check_batch_size_is_honoured(obs, ctx):
    found = _observed(obs, ctx)
    for key, name in (("train", "train_ds"), ("val", "val_ds")):
        sizes = found[key]["batches"]
        if sizes and (max(sizes) != BATCH or any(s != BATCH for s in sizes[:-1])):
            raise fail(f"Avec `batch_size={BATCH}`, `{name}` donne des lots de {sorted(set(sizes))} images : passez "
                       "`batch_size=batch_size` à `image_dataset_from_directory`.",
                       f"With `batch_size={BATCH}`, `{name}` yields batches of {sorted(set(sizes))} images: pass "
                       "`batch_size=batch_size` to `image_dataset_from_directory`.")
    default = (found.get("defaults") or {}).get("batch_size")
    if default != 32:
        raise fail(f"La valeur par défaut de `batch_size` est {default!r} ; attendu `batch_size=32`.",
                   f"The default of `batch_size` is {default!r}; expected 32.")
