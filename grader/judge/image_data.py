"""A Keras TP's image arrays and their labels, checked against the grader's own copy of the dataset.

Side: the judge. Every Keras TP asks the notebook for the same things in its first question: image
arrays of the right shape (the full split or the subset `load_data()` served), floats divided by
255 once, the dataset's own images (recognised by content, whatever their order: see
`grader.judge.recognise`), and labels (integers, or one-hot rows) that are those images' own.
`ImageArrays` says which names a TP uses and how they are sampled; its `check_*` methods are the
shared checks (scikit-learn's `check_<property>` with its variants as parameters), each called by
the TP's own registered check, whose id, weight and description stay the TP's. `scaling` and
`like_student` tell the held-out questions how the student mapped raw pixels, so a preprocessing
mistake is charged to the data question only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from grader.data import lookup
from grader.data.catalogue import TITLES
from grader.judge import holdout
from grader.judge.expect import as_array
from grader.judge.keras import (
    ONE_HOT_HINT,
    data_entry,
    data_rows,
    expect_unit_range,
    sample,
    training_budget,
)
from grader.judge.recognise import dataset_labels
from grader.judge.registry import NO_HINT, CheckFailed, Failure, fail
from grader.model import Message
from grader.numbers import group

SPLITS = ("train", "test")
#: what `fitted_scaling` falls back to: the course's x / 255
COURSE_SCALING = (1.0 / 255.0, 0.0)

#: (name, found shape) -> what to try when an image array has the wrong shape
ShapeHint = Callable[[str, tuple], Message]


def _no_hint(name: str, shape: tuple) -> Message:
    return NO_HINT


def _dims(shape: tuple) -> str:
    return ", ".join(map(str, shape))


@dataclass(frozen=True)
class ImageArrays:
    """The arrays a TP's notebook leaves, per split: `groups[split]` names the image arrays, then
    (unless `labels` is False) the labels, sampled on the same rows. `images` gives each image
    array's shape after the count of images (several accepted shapes: the first one is the
    course's); `optional` names may be absent (then they are not checked)."""

    dataset: str
    groups: Mapping[str, tuple[str, ...]]
    images: Mapping[str, tuple[tuple[int, ...], ...]]
    full: Mapping[str, int]
    seed: int = 7
    k: int = 256
    head: int = 16
    labels: bool = True
    optional: tuple[str, ...] = field(default=())

    # -- the sample -------------------------------------------------------
    def sample(self, obs, k: int | None = None) -> dict:
        """Per name: shape, dtype, sampled rows (the same rows within a split) and the first rows."""
        groups = [list(self.groups[s]) for s in SPLITS if s in self.groups]
        return sample(obs, groups, k=self.k if k is None else k, seed=self.seed, head=self.head)

    def present(self, data: dict, split: str) -> list[str]:
        """The image arrays of `split` to check: every required one (missing fails), optional ones when defined."""
        return [n for n in self.groups[split] if n in self.images and (n not in self.optional or data.get(n) is not None)]

    def label(self, split: str) -> str:
        return self.groups[split][-1]

    def split_of(self, name: str) -> str:
        return next(s for s, names in self.groups.items() if name in names)

    def truth(self, data: dict, name: str) -> np.ndarray:
        """The dataset's label of each sampled row of image array `name` (-1: not one of its images / 255)."""
        return dataset_labels(data_rows(data_entry(data, name), name), self.dataset, self.split_of(name))

    # -- the shared checks ------------------------------------------------
    def check_shapes(self, obs, ctx, *, one_hot: bool = True, shape_hint: ShapeHint = _no_hint,
                     served_sizes: bool = False) -> None:
        """Image arrays of an accepted shape, holding the full split or the served subset (`served_sizes`:
        or as many as the grader's copy holds, a synthetic stand-in's), the same count in every array of
        a split; labels one per image: integers (`one_hot=False`: (n,) or (n, 1)) or one-hot rows (n, 10)."""
        data = self.sample(obs, k=1)
        budget = training_budget(ctx)
        copy = lookup.load(self.dataset) if served_sizes else None
        for i, split in enumerate(SPLITS):
            served = budget.get(f"serve_{split}")
            sizes = sorted({self.full[split], int(served or self.full[split]),
                            *([len(copy[i][0])] if copy is not None else [])})
            count = None
            for name in self.present(data, split):
                shape = tuple(data_entry(data, name)["shape"])
                self._require_image_shape(name, shape, sizes, shape_hint)
                if count is not None and shape[0] != count:
                    raise fail(f"`{name}` a {group(shape[0])} images, l'autre forme en a {group(count)} : ce sont les "
                               "mêmes images, mises en forme pour chaque modèle.",
                               f"`{name}` has {shape[0]} images, the other layout {count}: same images, two layouts.")
                count = shape[0]
            if self.labels:
                self._require_label_shape(data, split, count, sizes, one_hot)

    def _require_image_shape(self, name: str, shape: tuple, sizes: list[int], hint: ShapeHint) -> None:
        accepted = self.images[name]
        if shape[1:] in accepted and shape[0] in sizes:
            return
        course, others = accepted[0], accepted[1:]
        want = " ou ".join(f"({group(n)}, {_dims(course)})" for n in sizes)
        want_en = " or ".join(f"({group(n, 'en')}, {_dims(course)})" for n in sizes)
        if others:
            want += "".join(f" (ou (n, {_dims(s)}))" for s in others)
            want_en += "".join(f" (or (n, {_dims(s)}))" for s in others)
        fail(Failure(Message(f"`{name}`", f"`{name}`"), Message(f"a la forme {shape}", f"has shape {shape}"),
                     Message(want, want_en), hint(name, shape)))

    def _require_label_shape(self, data: dict, split: str, count: int | None, sizes: list[int],
                             one_hot: bool) -> None:
        label = self.label(split)
        shape = tuple(data_entry(data, label)["shape"])
        n = count if count is not None else shape[0] if shape and shape[0] in sizes else sizes[-1]
        if one_hot:
            if shape == (n, 10):
                return
            hint = ONE_HOT_HINT if len(shape) == 1 or shape[1:] == (1,) else NO_HINT
            want = Message(f"({group(n)}, 10), une ligne one-hot par image", f"({group(n, 'en')}, 10), one one-hot "
                           "row per image")
        else:
            if shape in ((n,), (n, 1)):
                return
            hint = Message(" Ce sont des étiquettes one-hot : gardez les entiers de `load_data()` (la perte "
                           "sparse_categorical_crossentropy les prend tels quels).",
                           " These are one-hot labels: keep the integers of `load_data()` (the "
                           "sparse_categorical_crossentropy loss takes them as they are).") \
                if shape[1:] == (10,) else NO_HINT
            want = Message(f"({group(n)},), une étiquette par image", f"({group(n, 'en')},), one label per image")
        fail(Failure(Message(f"`{label}`", f"`{label}`"), Message(f"a la forme {shape}", f"has shape {shape}"),
                     want, hint))

    def check_unit_range(self, obs, *, float32: bool = False) -> None:
        """Every image array in floats (exactly float32 where the TP says so), divided by 255 once."""
        data = self.sample(obs)
        for split in SPLITS:
            for name in self.present(data, split):
                expect_unit_range(data_entry(data, name), name, float32=float32)

    def check_images_are_dataset(self, obs) -> None:
        """At least 90% of the sampled rows of every image array are the dataset's own images / 255."""
        data = self.sample(obs)
        title = TITLES[self.dataset]
        for split in SPLITS:
            for name in self.present(data, split):
                truth = self.truth(data, name)
                found = int(np.sum(truth >= 0))
                if len(truth) and found < 0.9 * len(truth):
                    raise fail(f"Seules {found} des {len(truth)} images de `{name}` examinées sont des images {title} "
                               f"divisées par 255. Chargez-les avec `keras.datasets.{self.dataset}.load_data()` et "
                               "divisez par 255 sans autre transformation.",
                               f"Only {found} of the {len(truth)} sampled images of `{name}` are {title} images "
                               f"divided by 255. Load them with `keras.datasets.{self.dataset}.load_data()` and divide "
                               "by 255 with no other transformation.")

    def check_labels(self, obs, *, one_hot: bool = True) -> None:
        """Labels that are labels (one-hot rows with a single 1, or integers 0..9) and the images' own:
        at least 90% agree wherever 20 or more sampled images are recognised."""
        data = self.sample(obs)
        for split in SPLITS:
            label = self.label(split)
            rows = as_array(data_entry(data, label)["rows"], f"`{label}`").astype(np.float64)
            if one_hot:
                rows = rows.reshape(-1, 10)
                if rows.size and (not np.all((rows == 0) | (rows == 1)) or not np.all(rows.sum(axis=1) == 1)):
                    raise fail(f"`{label}` n'est pas one-hot (ex. {rows[0].round(3).tolist()}) : chaque ligne doit "
                               "contenir un seul 1 et neuf 0 (`keras.utils.to_categorical(y, 10)`).",
                               f"`{label}` is not one-hot (e.g. {rows[0].round(3).tolist()}): each row must hold a "
                               "single 1 and nine 0s (`keras.utils.to_categorical(y, 10)`).")
                found = np.argmax(rows, axis=1) if rows.size else np.zeros(0, np.int64)
            else:
                rows = rows.reshape(-1)
                if rows.size and (np.any(rows != np.rint(rows)) or rows.min() < 0 or rows.max() > 9):
                    raise fail(f"`{label}` contient des valeurs hors de 0..9 ou non entières (ex. {rows[:5]}) ; "
                               "attendu les chiffres entiers de `load_data()`.",
                               f"`{label}` holds values outside 0..9 or non-integers; expected integer digits.")
                found = rows.astype(np.int64)
            truth, images = self._label_truth(data, split)
            keep = truth >= 0
            if len(truth) == len(found) and keep.sum() >= 20:
                agree = float(np.mean(found[keep] == truth[keep]))
                if agree < 0.9:
                    raise fail(f"Les étiquettes de `{label}` ne correspondent pas aux {images.fr} ({agree:.0%} "
                               "d'accord) : mélangez-vous l'un sans l'autre ?",
                               f"The labels of `{label}` do not match the {images.en} ({agree:.0%} agree): did you "
                               "shuffle one without the other?")

    def _label_truth(self, data: dict, split: str) -> tuple[np.ndarray, Message]:
        """The true label of each sampled row, and what those rows are: the first image array's, else
        (no image array in the notebook) the served split's, which `load_data()` serves in order."""
        names = self.present(data, split)
        if names:
            return self.truth(data, names[0]), Message(f"images de `{names[0]}`", f"images of `{names[0]}`")
        y = lookup.load(self.dataset)[SPLITS.index(split)][1]
        idx = as_array(data_entry(data, self.label(split))["idx"], "indices").astype(np.int64)
        truth = np.asarray(y).reshape(-1)[idx[idx < len(y)]].astype(np.int64) if len(idx) else np.zeros(0, np.int64)
        title = TITLES[self.dataset]
        return truth, Message(f"images de {'test' if split == 'test' else 'entraînement'} de {title}",
                              f"{title}'s {split} images")

    # -- how the student prepared the pixels --------------------------------
    def scaling(self, obs, name: str) -> tuple[float, float]:
        """(scale, offset) the student applied to the raw pixels of `name`'s split, else the course's 1/255."""
        try:
            head = (self.sample(obs, k=1).get(name) or {}).get("head")
            raw = lookup.load(self.dataset)[SPLITS.index(self.split_of(name))][0]
            return holdout.fitted_scaling(None if head is None else as_array(head, f"`{name}`"), raw)
        except (CheckFailed, TypeError, ValueError):
            return COURSE_SCALING

    def like_student(self, obs, images: np.ndarray, name: str) -> np.ndarray:
        """Raw hidden `images` (of `name`'s split) scaled and shaped like the student's array `name`."""
        try:
            entry = self.sample(obs, k=1).get(name)
        except CheckFailed:
            entry = None
        raw = lookup.load(self.dataset)[SPLITS.index(self.split_of(name))][0]
        return holdout.like_student(images, raw, entry)
