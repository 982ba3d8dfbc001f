"""Held-out evaluation shared by the Keras TPs: images the runner never received, labels kept here.

The judge picks test images beyond what `load_data()` served (`serve_test`), preprocesses them the
way the student preprocessed their own arrays (scale/offset fitted on the student's first rows
against the raw pixels, reshaped to the model's input), sends only the images to the runner and
scores the predictions here. So a preprocessing mistake (charged to the data question) is not
charged again to the accuracy question, and a student can never see the labels.

`HeldOut` is the shared check (scikit-learn's `check_<property>`, parametrised by the TP): a trained
model's accuracy on those images against the question's threshold, called from the TP's own
top-level `@checks(...)` function; its `accuracy` is also what `grader calibrate` measures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.budget import origin_message
from grader.data import lookup
from grader.judge import pictures, trusted_predict
from grader.judge.expect import as_array
from grader.judge.keras import curves, training_budget, training_words
from grader.judge.registry import CheckFailed, Feedback, fail, pair
from grader.judge.student import student_model
from grader.model import Measure, Message, Status
from grader.numbers import group


def hidden(ctx, dataset: str, *, default: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """Raw test images of `dataset` that `load_data()` did not serve (all of them when it served the full set)."""
    budget = training_budget(ctx)
    _, (x_test, y_test) = lookup.load(dataset)
    served = int(budget.get("serve_test") or 0)
    pool = np.arange(served, len(x_test)) if 0 < served < len(x_test) else np.arange(len(x_test))
    n = min(len(pool), int(budget.get("holdout") or default))
    idx = np.sort(ctx.rng("holdout").choice(pool, size=n, replace=False))
    return x_test[idx], y_test[idx].reshape(-1).astype(np.int64)


def fitted_scaling(head: np.ndarray | None, raw: np.ndarray) -> tuple[float, float]:
    """(scale, offset) with head ≈ raw * scale + offset, else the course's 1/255.

    `head` is the student's first rows, `raw` the matching raw pixels; any reshaping is allowed.
    """
    try:
        mine = np.asarray(head, dtype=np.float64).reshape(len(head), -1)
        ref = np.asarray(raw[:len(mine)], dtype=np.float64).reshape(len(mine), -1)
        if mine.shape == ref.shape and ref.std() > 0:
            a, b = np.polyfit(ref.ravel(), mine.ravel(), 1)
            if np.max(np.abs(a * ref + b - mine)) < 1e-3 * max(1.0, abs(a) * 255):
                return float(a), float(b)
    except (TypeError, ValueError, np.linalg.LinAlgError):
        pass
    return 1.0 / 255.0, 0.0


def like_student(images: np.ndarray, raw: np.ndarray, entry: dict | None) -> np.ndarray:
    """Raw hidden `images` scaled and shaped like the student's array whose data-probe `entry`
    ({"head", "shape"}, see `grader.judge.keras.data_entry`) came from raw pixels `raw`.

    Falls back to / 255 and the images' own shape when the student's array tells nothing usable.
    """
    entry = entry or {}
    try:
        head = as_array(entry.get("head"), "head")
    except (CheckFailed, TypeError, ValueError):
        head = None
    scale, offset = fitted_scaling(head, raw)
    shape = tuple(images.shape[1:])
    student = entry.get("shape") or []
    if len(student) > 1 and int(np.prod(student[1:])) == int(np.prod(shape)):
        shape = tuple(int(d) for d in student[1:])
    return (images.astype(np.float64) * scale + offset).astype(np.float32).reshape((len(images), *shape))


def predict(obs, name: str, images: np.ndarray, *, batch: int = 500, timeout: float = 120) -> np.ndarray:
    """What the model `name` predicts on `images` (reshaped to its input), computed by trusted code from
    its config and weights wherever it is made of Keras' own parts (`grader.judge.trusted_predict`);
    errors are the student's."""
    if not obs.has(name):
        raise CheckFailed(Message(f"`{name}` n'est pas défini.", f"`{name}` is not defined."), Status.MISSING)
    student_model(obs, name)  # None, a string, a History...: a failed verdict, not "raised an error"
    try:
        return trusted_predict.predict(obs, name, images, batch=batch, timeout=timeout)
    except CheckFailed as e:
        if e.status is Status.ERROR:
            raise CheckFailed(Message(f"`{name}.predict` a levé une erreur sur des images de forme "
                                      f"{tuple(images.shape[1:])}.",
                                      f"`{name}.predict` raised an error on images of shape {tuple(images.shape[1:])}."),
                              Status.ERROR, e.details) from e
        raise


def predicted_classes(obs, name: str, images: np.ndarray, classes: int = 10) -> np.ndarray:
    """argmax of `name.predict(images)`, once per submission and image set (the verdict's picture reuses it)."""
    key = ("predicted", name, images.shape, hash(images.tobytes()))

    def run() -> np.ndarray:
        pred = predict(obs, name, images)
        if pred.shape != (len(images), classes):
            raise fail(f"`{name}.predict` renvoie la forme {pred.shape} ; attendu ({len(images)}, {classes}), une "
                       "probabilité par classe.",
                       f"`{name}.predict` returns shape {pred.shape}; expected ({len(images)}, {classes}).")
        return np.argmax(pred, axis=1)

    return obs.memo(key, run)


def accuracy(obs, name: str, images: np.ndarray, labels: np.ndarray, classes: int = 10) -> float:
    """Accuracy of `name` on preprocessed `images` against `labels` (which never leave the judge)."""
    return float(np.mean(predicted_classes(obs, name, images, classes) == labels))


def prediction_picture(obs, name: str, images: np.ndarray, raw: np.ndarray, labels: np.ndarray,
                       class_names: list[str] | None = None, n: int = 16):
    """A grid of the first `n` hidden images with what `name` predicted (green right, red wrong).

    `images` are the preprocessed ones `accuracy` sent (so the prediction is reused), `raw` what is drawn.
    """
    try:
        pred = predicted_classes(obs, name, images, len(class_names) if class_names else 10)
    except CheckFailed:
        return None
    return pictures.prediction_grid(raw[:n], labels[:n], pred[:n], class_names, n=n)


def threshold(ctx, question: str, default: float) -> tuple[float, Message]:
    """(threshold, where it comes from) for `question` under the run's budget and calibration."""
    budget = ctx.option("budget", {})
    value = float(dict(budget.get("thresholds", {})).get(question, default))
    return value, origin_message(str(dict(budget.get("origins", {})).get(question, "par défaut")))


def verdict(obs, ctx, *, question: str, name: str, score: float, n: int, default: float,
            lower_is_better: bool = False, what: str = "Précision", what_en: str = "Accuracy",
            hint: str | Message = "", hint_en: str = "", fmt: str = ".3f", shown: tuple = ()) -> Message | Feedback:
    """Pass or fail a held-out score against the question's threshold, naming the budget it was trained under.

    `shown`: pictures (None entries dropped) attached either way, e.g. learning curves and predictions.
    `hint`/`hint_en` (or a Message): what to try, appended to a failure; one without the other is a
    ValueError, raised whatever the score (so the reference's run finds it).
    The score is kept either way as the result's measure (leaderboards rank on it).
    """
    what_to_try = pair(hint, hint_en)
    limit, origin = threshold(ctx, question, default)
    how = trusted_predict.words(obs, name) or Message("", "")
    ranked = name not in obs.student_code or bool(dict(ctx.option("leaderboard", {})).get("student_code"))
    if not ranked:
        how = Message(how.fr + " Hors classement.", how.en + " Not on the leaderboard.")
    measure = Measure(Message(f"{what} ({name})", f"{what_en} ({name})"), round(float(score), 4),
                      higher_is_better=not lower_is_better, ranked=ranked)
    words = training_words(obs, ctx)
    ok = score <= limit if lower_is_better else score >= limit
    bound, bound_en = ("au plus", "at most") if lower_is_better else ("au moins", "at least")
    if not ok:
        raise fail(f"{what} de `{name}` sur {group(n)} images cachées : {score:{fmt}} ; attendu {bound} {limit:{fmt}} "
                   f"(seuil {origin.fr}{words.fr}).{what_to_try.fr}{how.fr}",
                   f"{what_en} of `{name}` on {n:,} hidden images: {score:{fmt}}; expected {bound_en} {limit:{fmt}} "
                   f"(threshold {origin.en}{words.en}).{what_to_try.en}{how.en}",
                   pictures=shown, measures=(measure,))
    message = Message(f"{what} sur {group(n)} images cachées : {score:{fmt}} (seuil {limit:{fmt}}, {origin.fr}"
                      f"{words.fr}).{how.fr}",
                      f"{what_en} on {n:,} hidden images: {score:{fmt}} (threshold {limit:{fmt}}, {origin.en}"
                      f"{words.en}).{how.en}")
    return Feedback(message, tuple(shown), (measure,))


def rescaled(raw: np.ndarray, scaling: tuple[float, float], shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Raw pixels times scale plus offset, as float32, each image reshaped to `shape` when given."""
    scale, offset = scaling
    out = (raw.astype(np.float64) * scale + offset).astype(np.float32)
    return out if shape is None else out.reshape((len(raw), *shape))


#: (obs, raw hidden images) -> the images as the student's model takes them
Prepare = Callable[[Any, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class HeldOut:
    """The trained model `name` on hidden images of `dataset`, judged against `question`'s threshold
    (`default` where nothing is calibrated).

    `prepare` turns the raw hidden images into what the model takes, the way the student prepared
    their own arrays (a data mistake is charged once, to the data question). `before` runs first (a
    TP's own words for a model that is not one), `history` names the learning curves shown beside the
    verdict (None: none), `class_names` label the picture of predictions, and `hint` says what to try
    when the accuracy is low (by default: keep the model that was trained)."""

    dataset: str
    name: str
    question: str
    default: float
    prepare: Prepare
    class_names: Sequence[str] | None = None
    history: str | None = "history"
    hint: Message | None = None
    before: Callable[[Any], None] | None = None

    def images(self, obs, ctx) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(raw hidden images, the same prepared for the model, labels kept here)."""
        raw, labels = hidden(ctx, self.dataset)
        return raw, self.prepare(obs, raw), labels

    def accuracy(self, obs, ctx) -> float:
        """The model's accuracy on the hidden images (what `grader calibrate` measures)."""
        _, images, labels = self.images(obs, ctx)
        return accuracy(obs, self.name, images, labels)

    def check_accuracy(self, obs, ctx) -> Message | Feedback:
        """Accuracy at least the threshold; the learning curves and some predictions shown either way."""
        if self.before is not None:
            self.before(obs)
        raw, images, labels = self.images(obs, ctx)
        score = accuracy(obs, self.name, images, labels)
        names = list(self.class_names) if self.class_names else None
        shown = (curves(obs, self.history) if self.history else None,
                 prediction_picture(obs, self.name, images, raw, labels, names))
        hint = self.hint or Message(f" Vérifiez que `{self.name}` est bien celui que vous avez entraîné (pas "
                                    "reconstruit après `fit`), avec les bonnes étiquettes.",
                                    f" Check that `{self.name}` is the one you trained (not rebuilt after `fit`), "
                                    "with the right labels.")
        return verdict(obs, ctx, question=self.question, name=self.name, score=score, n=len(labels),
                       default=self.default, shown=shown, hint=hint.fr, hint_en=hint.en)
