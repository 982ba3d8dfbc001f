"""The judge's pictures: real PNGs from plain arrays, None on garbage, stored and shown with their check."""

from __future__ import annotations

import base64
import io
import json
import math
import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO
from PIL import Image

from grader.gradebook import Gradebook
from grader.judge.engine import Context, run_checks
from grader.judge.pictures import (
    Picture,
    confusion_heatmap,
    learning_curves,
    prediction_grid,
    reconstructions,
)
from grader.judge.registry import CheckFailed, Feedback, Registry, fail
from grader.model import Assignment, Message, Question, Status
from grader.reports import write_all

PNG = b"\x89PNG\r\n\x1a\n"
GREEN, RED = (0x1E, 0x8E, 0x3E), (0xC5, 0x22, 0x1F)
RNG = np.random.default_rng(0)
HISTORY = {"loss": [2.0, 1.2, 0.8, 0.6, 0.5], "val_loss": [2.1, 1.4, 1.0, 0.9, 0.9],
           "accuracy": [0.3, 0.6, 0.75, 0.82, 0.86], "val_accuracy": [0.3, 0.55, 0.7, 0.74, 0.75]}
CM = RNG.integers(0, 30, (10, 10)) + np.eye(10, dtype=np.int64) * 900
DIGITS = RNG.integers(0, 256, (16, 28, 28), dtype=np.uint8)
LABELS = np.arange(16) % 10
CIFAR_NAMES = ["avion", "automobile", "oiseau", "chat", "cerf", "chien", "grenouille", "cheval",
               "bateau", "camion"]


def decode(picture: Picture | None) -> Image.Image:
    """A sound PNG of a sane size, decoded."""
    assert isinstance(picture, Picture)
    assert picture.png.startswith(PNG)
    assert 1_000 < len(picture.png) <= 80_000
    image = Image.open(io.BytesIO(picture.png))
    image.load()  # a truncated or corrupt stream raises here
    assert image.format == "PNG" and 150 <= image.width <= 1200 and 100 <= image.height <= 1200
    assert picture.title.fr and picture.title.en and picture.title.fr != picture.title.en
    return image.convert("RGB")


def near(image: Image.Image, color: tuple[int, int, int], tol: int = 40) -> np.ndarray:
    px = np.asarray(image, dtype=np.int32)
    return np.abs(px - np.array(color)).sum(axis=2) <= tol


# --- renderers ----------------------------------------------------------------------------------


def test_learning_curves_two_panels_or_one() -> None:
    both = decode(learning_curves(HISTORY))
    loss_only = decode(learning_curves({"loss": HISTORY["loss"], "val_loss": HISTORY["val_loss"]}))
    assert both.width > 1.5 * loss_only.width  # a second panel for the accuracy
    mse = decode(learning_curves({"loss": [1.0, 0.5], "mse": [1.0, 0.5], "val_mse": [1.1, 0.7],
                                  "learning_rate": [1e-3, 1e-3]}))
    assert mse.width > 1.5 * loss_only.width


def test_learning_curves_skip_nan_and_non_numbers_and_cap_length() -> None:
    decode(learning_curves({"loss": [1.0, float("nan"), 0.5, "x", None, 0.4], "accuracy": "oops"}))
    decode(learning_curves({"loss": list(np.linspace(3, 0.1, 50_000)), "val_loss": [float("inf"), 1.0]}))
    english = learning_curves(HISTORY, lang="en", title=Message("Courbes", "Curves"))
    assert english is not None and english.title == Message("Courbes", "Curves")


def test_confusion_heatmap_rows_are_true_classes() -> None:
    decode(confusion_heatmap(CM, [str(i) for i in range(10)]))
    decode(confusion_heatmap(CM.astype(float) / CM.sum(axis=1, keepdims=True), CIFAR_NAMES))
    decode(confusion_heatmap(RNG.integers(0, 5, (40, 40))))  # too many classes to annotate: still drawn

    def dark_centroid(cm: np.ndarray) -> tuple[float, float]:
        img = decode(confusion_heatmap(cm))
        ys, xs = np.nonzero(near(img, (8, 48, 107), tol=60))  # the top of the Blues colormap
        return xs.mean() / img.width, ys.mean() / img.height

    top_right, bottom_left = np.zeros((10, 10)), np.zeros((10, 10))
    top_right[0, 9] = 500  # true 0 predicted 9: first row, last column
    bottom_left[9, 0] = 500
    (x1, y1), (x2, y2) = dark_centroid(top_right), dark_centroid(bottom_left)
    assert x1 > x2 and y1 < y2


def test_prediction_grid_right_green_wrong_red() -> None:
    right = decode(prediction_grid(DIGITS, LABELS, LABELS, None))
    wrong = decode(prediction_grid(DIGITS, LABELS, (LABELS + 1) % 10, None))
    assert near(right, GREEN).sum() > 500 and near(right, RED).sum() < 20
    assert near(wrong, RED).sum() > 500 and near(wrong, GREEN).sum() < 20
    colour = RNG.random((9, 32, 32, 3)).astype(np.float32) * 2 - 1  # any range is rescaled
    onehot = np.eye(10)[np.arange(9)]
    decode(prediction_grid(colour, onehot, onehot[::-1], CIFAR_NAMES, n=9))
    decode(prediction_grid(DIGITS[..., None].astype(np.float64) / 255, LABELS, LABELS, CIFAR_NAMES, n=4))
    assert decode(prediction_grid(DIGITS, LABELS, LABELS, None, n=4)).width < right.width


def test_reconstructions_flat_vectors_reshaped() -> None:
    flat = RNG.random((10, 32 * 32 * 3))
    decode(reconstructions(flat, flat * 0.9, (32, 32, 3)))
    decode(reconstructions(flat, flat, None, n=3))  # 3072 = 3 * 32 * 32: colour squares
    decode(reconstructions(DIGITS.reshape(16, 784), DIGITS.reshape(16, 784) // 2))  # 28 x 28 grey
    decode(reconstructions(DIGITS[..., None], DIGITS[..., None].astype(np.float32) / 255))


@pytest.mark.parametrize("history", [
    None, {}, [], "loss", {"loss": []}, {"loss": [float("nan")] * 5}, {"loss": "0.5"},
    {"loss": ["a", "b"]}, {"lr": [0.1, 0.1]}, {"accuracy": [None, None]}, {"loss": 3.0},
    {"loss": [[1, 2], [3]]}, {"loss": [True, False]},
])
def test_learning_curves_garbage_is_none(history) -> None:
    assert learning_curves(history) is None


@pytest.mark.parametrize("cm", [
    None, [], "cm", np.zeros((3, 4)), np.zeros(10), np.full((3, 3), np.nan), [[1, 2], [3]],
    np.array([["a", "b"], ["c", "d"]]), np.zeros((2, 2, 2)), np.ones((200, 200)),
    np.array([[1.0, np.inf], [0.0, 1.0]]), np.array([[object()]]),
])
def test_confusion_heatmap_garbage_is_none(cm) -> None:
    assert confusion_heatmap(cm) is None


@pytest.mark.parametrize("images, true, pred, n", [
    (None, LABELS, LABELS, 16),
    ([], [], [], 16),
    ("images", LABELS, LABELS, 16),
    (DIGITS, LABELS, LABELS, 0),
    (DIGITS, "abc", LABELS, 16),
    (DIGITS, LABELS, ["a"] * 16, 16),
    (DIGITS, -LABELS - 1, LABELS, 16),
    (DIGITS, LABELS + 0.5, LABELS, 16),
    (DIGITS, [], LABELS, 16),
    (DIGITS.reshape(16, 28, 28, 1, 1), LABELS, LABELS, 16),
    (np.zeros((4, 28, 28, 2)), LABELS, LABELS, 4),
    (np.zeros((4, 28)), LABELS, LABELS, 4),  # 28 is no square
    (np.zeros((2, 2000, 2000)), LABELS, LABELS, 2),
    (np.full((4, 28, 28), "x"), LABELS, LABELS, 4),
    (DIGITS, np.full(16, np.nan), LABELS, 16),
])
def test_prediction_grid_garbage_is_none(images, true, pred, n) -> None:
    assert prediction_grid(images, true, pred, CIFAR_NAMES, n) is None


@pytest.mark.parametrize("originals, reconstructed, shape", [
    (None, None, None),
    ([], [], None),
    (np.zeros((4, 100)), np.zeros((4, 100)), (32, 32, 3)),  # does not reshape
    (np.zeros((4, 784)), np.zeros((4, 3072)), None),  # different images
    (np.zeros((4, 785)), np.zeros((4, 785)), None),  # not a square
    ("a", "b", None),
    (np.zeros((4, 784)), np.zeros((4, 784)), (0, 784)),
    (np.zeros((4, 784)), np.zeros((4, 784)), "28x28"),
])
def test_reconstructions_garbage_is_none(originals, reconstructed, shape) -> None:
    assert reconstructions(originals, reconstructed, shape) is None


def test_nan_pixels_and_flat_images_still_draw() -> None:
    images = np.full((4, 8, 8), np.nan)
    images[0, 0, 0] = 1.0
    decode(prediction_grid(images, [0, 1, 2, 3], [0, 1, 2, 0], None, n=4))
    decode(reconstructions(np.zeros((4, 64)), np.ones((4, 64)), (8, 8)))


def test_renderers_are_thread_safe_and_deterministic() -> None:
    jobs = [lambda: learning_curves(HISTORY), lambda: confusion_heatmap(CM),
            lambda: prediction_grid(DIGITS, LABELS, LABELS[::-1], None),
            lambda: reconstructions(DIGITS, DIGITS[::-1])]
    expected = [job().png for job in jobs]
    got: dict[int, list[bytes]] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            got[i] = [jobs[(i + k) % len(jobs)]().png for k in range(len(jobs))]
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors and len(got) == 3
    for i, pngs in got.items():
        assert pngs == [expected[(i + k) % len(jobs)] for k in range(len(jobs))]


def test_pictures_module_imports_neither_tensorflow_nor_pyplot() -> None:
    code = ("import sys; import grader.judge.pictures as p; p.learning_curves({'loss': [1, 0.5]}); "
            "bad = [m for m in ('tensorflow', 'keras', 'matplotlib.pyplot') if m in sys.modules]; "
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


# --- checks -> gradebook -> reports --------------------------------------------------------------

Q1 = Question("q1", 2.0, Message("Entraînement", "Training"))
Q2 = Question("q2", 3.0, Message("Matrice de confusion", "Confusion matrix"))
ASSIGNMENT = Assignment("tp-pics", Message("TP images", "Pictures lab"), (Q1, Q2))


def registry() -> Registry:
    checks = Registry()

    @checks("q1", fr="L'historique de `fit` est tracé.", en="The `fit` history is drawn.")
    def check_curves_drawn(obs, ctx):
        return Feedback(None, (learning_curves(HISTORY), None))  # a renderer that gave up is dropped

    @checks("q1", fr="Prédictions.", en="Predictions.")
    def check_predictions_shown(obs, ctx):
        return Feedback(Message("Précision 0,86.", "Accuracy 0.86."),
                        [prediction_grid(DIGITS, LABELS, (LABELS + (LABELS > 6)) % 10, None, n=9)])

    @checks("q1", fr="Sans image.", en="No picture.")
    def check_plain(obs, ctx):
        return Message("Comme avant.", "As before.")

    @checks("q2", weight=2, fr="`cm` correspond au modèle.", en="`cm` matches the model.")
    def check_cm_matches(obs, ctx):
        raise fail("`cm` est transposée.", "`cm` is transposed.", details="lignes/colonnes",
                   pictures=(confusion_heatmap(CM), confusion_heatmap("garbage")))

    @checks("q2", fr="Reconstructions.", en="Reconstructions.")
    def check_reconstructions(obs, ctx):
        bogus = Picture(Message("faux", "fake"), b"<svg onload=alert(1)>")
        raise CheckFailed(Message("Trop floues.", "Too blurry."), Status.FAILED,
                          pictures=[reconstructions(DIGITS, DIGITS // 3, n=4), bogus, "nope"])

    return checks


def grade(book: Gradebook, student: str) -> list:
    book.begin(ASSIGNMENT.id, student, "sha-" + student, student + ".py")
    results = run_checks(registry().checks, None, Context(ASSIGNMENT.id), done={},
                         on_result=lambda r: book.add_check(ASSIGNMENT.id, student, r))
    book.finish(ASSIGNMENT.id, student, status="graded", errors=[], cells=[], figures=[], seconds=1.0,
                info={})
    return results


def test_feedback_and_failing_pictures_reach_gradebook_and_survive_reopen(tmp_path: Path) -> None:
    book = Gradebook(tmp_path / "g.sqlite")
    results = {r.name: r for r in grade(book, "alice")}
    book.close()
    assert [r.status for r in results.values()] == [Status.PASSED] * 3 + [Status.FAILED] * 2
    assert results["check_curves_drawn"].message == Message("L'historique de `fit` est tracé.",
                                                            "The `fit` history is drawn.")
    assert [len(r.pictures) for r in results.values()] == [1, 1, 0, 1, 1]  # None, SVG, str dropped

    book = Gradebook(tmp_path / "g.sqlite")
    stored = book.result(ASSIGNMENT, "alice")
    book.close()
    back = {c.name: c for qs in stored.questions for c in qs.checks}
    assert set(back) == set(results)
    for name, r in results.items():
        assert back[name].pictures == r.pictures  # same titles, same bytes
        assert back[name].message == r.message and back[name].status is r.status
    assert back["check_cm_matches"].pictures[0].title.en.startswith("Confusion matrix")
    assert stored.score == pytest.approx(2.0)


def test_report_shows_each_checks_pictures_under_it(tmp_path: Path) -> None:
    book = Gradebook(tmp_path / "g.sqlite")
    grade(book, "alice")
    result = book.result(ASSIGNMENT, "alice")
    book.close()
    out = tmp_path / "out"
    write_all([result], ASSIGNMENT, out, lang="en")
    html = (out / "reports" / "alice.html").read_text("utf-8")
    items = dict(re.findall(r'<code class="check-name">(\w+)</code>(.*?)</li>', html, re.S))
    imgs = {name: re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="([^"]*)"', body)
            for name, body in items.items()}
    assert {k: len(v) for k, v in imgs.items()} == {"check_curves_drawn": 1, "check_predictions_shown": 1,
                                                   "check_plain": 0, "check_cm_matches": 1,
                                                   "check_reconstructions": 1}
    for found in imgs.values():
        for b64, _ in found:
            decode(Picture(Message("x", "y"), base64.b64decode(b64)))
    assert imgs["check_curves_drawn"][0][1] == "Learning curves (fit history)"  # English alt, no backticks
    assert "<figcaption>Learning curves (<code>fit</code> history)</figcaption>" in html
    assert "svg onload" not in html and "fake" not in html
    assert "data:image" not in (out / "summary.html").read_text("utf-8")  # the class page embeds none
    doc = json.loads((out / "results.json").read_text("utf-8"))
    checks = {c["name"]: c for q in doc["submissions"][0]["questions"].values() for c in q["checks"]}
    assert checks["check_cm_matches"]["pictures"] == [
        "Confusion matrix (rows: true class, columns: predicted class)"]
    assert checks["check_plain"]["pictures"] == []
    assert "base64" not in json.dumps(doc)
    fr = tmp_path / "fr"
    write_all([result], ASSIGNMENT, fr, lang="fr")
    assert 'alt="Courbes d&#39;apprentissage (historique de fit)"' in (fr / "reports" / "alice.html").read_text(
        "utf-8")


def test_report_size_stays_bounded(tmp_path: Path) -> None:
    from grader.model import CheckResult, SubmissionResult, score_question

    big = prediction_grid(RNG.random((16, 32, 32, 3)), LABELS, LABELS, CIFAR_NAMES)
    assert big is not None
    checks = [CheckResult(f"check_{i}", "q1", Status.PASSED, Message("ok"), pictures=(big,) * 6)
              for i in range(30)]
    result = SubmissionResult("heavy", ASSIGNMENT.id, "graded", (score_question(Q1, checks),))
    write_all([result], ASSIGNMENT, tmp_path)
    html = (tmp_path / "reports" / "heavy.html").read_text("utf-8")
    assert len(html) < 3_200_000 and html.count("<img ") >= 10
    assert "Image omise" in html
    assert math.isclose(json.loads((tmp_path / "results.json").read_text())["submissions"][0]["score"], 2.0)
