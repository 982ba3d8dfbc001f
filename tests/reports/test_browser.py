"""What students and instructors see, in a real browser (issue 13, item 7): a student's report, the
class summary and the PrairieLearn message of classes graded for real, opened in headless Chromium
(`tests/browser.py`). Each page displays, its pictures are decoded and fit the window, and the
markdown of the messages renders (**bold** as <strong>, `code` as <code>): no raw marker is left in
the text a reader sees, in French or in English.

Two classes: tp-tenseurs (cheap; its messages carry **bold** and `code`) and tp-mnist-dense on a
tiny CPU budget (its checks draw learning curves and a grid of predictions).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from urllib.parse import unquote

import pytest
from browser import chromium, prairielearn_page, render_in_chromium
from conftest import by_student, mutate, reference_text, write_class

from grader.assignments import load
from grader.data import lookup
from grader.grading import grade
from grader.lms import prairielearn_results as prairielearn
from grader.reports.html import render_report, render_summary, report_names

pytestmark = [pytest.mark.slow,  # two classes graded (one trains a model), about ten pages opened: ~2 min
              pytest.mark.skipif(chromium() is None, reason="chromium is not installed (Debian: apt-get install "
                                                            "chromium)")]

TENSEURS = reference_text("tp-tenseurs")
PER_IMAGE = mutate(TENSEURS, "mean = tf.reduce_mean(batch)\nstd = tf.math.reduce_std(batch)",
                   "mean = tf.reduce_mean(batch, axis=(1, 2), keepdims=True)\n"
                   "std = tf.math.reduce_std(batch, axis=(1, 2), keepdims=True)")  # "**tout** le lot"
LAST_FIVE = mutate(TENSEURS, "first_five = batch[:5]", "first_five = batch[-5:]")  # "**premières** images"
MNIST = reference_text("tp-mnist-dense")
BUDGET = {"epochs": 1, "train_size": 2000, "serve_train": 4000, "serve_test": 1000, "holdout": 1000,
          "thresholds": {"q5": 0.6}}
WIDTH = 1000


@pytest.fixture(scope="module")
def tenseurs(tmp_path_factory):
    folder = write_class(tmp_path_factory.mktemp("browser-tenseurs") / "class",
                         {"reference.py": TENSEURS, "per_image.py": PER_IMAGE, "last_five.py": LAST_FIVE})
    return grade(folder, assignment="tp-tenseurs", out=folder.parent / "out", workers=2)


@pytest.fixture(scope="module")
def mnist(tmp_path_factory):
    if lookup.locate("mnist") is None:
        pytest.skip(lookup.how_to_get("mnist"))
    folder = write_class(tmp_path_factory.mktemp("browser-mnist") / "class",
                         {"reference.py": MNIST,
                          "hidden_64.py": mutate(MNIST, 'layers.Dense(128, activation="relu")',
                                                 'layers.Dense(64, activation="relu")')})
    return grade(folder, assignment="tp-mnist-dense", out=folder.parent / "out", workers=2, profile="cpu",
                 budget=BUDGET)


def assert_displays(seen: dict, *, pictures: int = 0) -> None:
    """The page laid out with text, every picture decoded and within the window, no raw markdown."""
    assert seen["height"] > 100 and len(seen["text"]) > 100, seen["text"][:300]
    assert "**" not in seen["text"] and "`" not in seen["text"], [
        line for line in seen["text"].splitlines() if "**" in line or "`" in line][:5]
    assert len(seen["images"]) >= pictures, seen["images"]
    for image in seen["images"]:
        assert image["complete"] and image["naturalWidth"] > 0 and image["naturalHeight"] > 0, image
        assert 0 < image["shownWidth"] <= seen["width"] and image["shownHeight"] > 0, image


def page(run, student: str, lang: str, tmp_path):
    """The report of `student` as written by the run (French), or rendered again in `lang`."""
    name = report_names([r.student for r in run.results])[student]
    if lang == "fr":
        return run.out / "reports" / name
    path = tmp_path / name
    path.write_text(render_report(by_student(run)[student], run.assignment, lang), encoding="utf-8")
    return path


@pytest.mark.parametrize(("lang", "bold", "words"), [("fr", "tout", "image par image"),
                                                     ("en", "whole", "image by image")])
def test_a_report_renders_the_markdown_of_its_messages(tenseurs, tmp_path, lang, bold, words):
    message = {c.name: c.message for qs in by_student(tenseurs)["per_image"].questions for c in qs.checks}[
        "check_normalized_is_global_standardisation"]
    assert f"**{bold}**" in message.get(lang), message  # what the page must render (the grading itself)
    seen = render_in_chromium(page(tenseurs, "per_image", lang, tmp_path), width=WIDTH)
    assert_displays(seen)
    assert bold in seen["strong"] and "normalized" in seen["code"], (seen["strong"], seen["code"])
    assert words in seen["text"]
    first_five = render_in_chromium(page(tenseurs, "last_five", lang, tmp_path), width=WIDTH)
    assert {"premières", "first"} & set(first_five["strong"]), first_five["strong"]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_report_shows_the_judges_pictures(mnist, tmp_path, lang):
    seen = render_in_chromium(page(mnist, "reference", lang, tmp_path), width=WIDTH)
    assert_displays(seen, pictures=2)  # learning curves and the grid of hidden-image predictions
    wrong = render_in_chromium(page(mnist, "hidden_64", lang, tmp_path), width=WIDTH)
    assert_displays(wrong)
    assert ("Vérifiez la taille de la couche cachée" if lang == "fr" else "Check the size of the hidden layer") \
        in wrong["text"]  # the hint, in the report's language


def test_the_class_summary_displays(tenseurs, mnist, tmp_path):
    """The score histogram (inline SVG) is drawn, every student is listed, each link opens their report."""
    for run in (tenseurs, mnist):
        seen = render_in_chromium(run.out / "summary.html", width=WIDTH)
        assert_displays(seen)
        assert seen["svgs"] and all(s["width"] > 0 and s["height"] > 0 and s["parts"] for s in seen["svgs"])
        links = {link["text"]: link["href"] for link in seen["links"]}
        assert set(links) >= {r.student for r in run.results}, links
        for student in (r.student for r in run.results):
            assert links[student].startswith("file://") and Path(unquote(links[student][len("file://"):])).is_file()
    english = tmp_path / "summary-en.html"
    english.write_text(render_summary(list(tenseurs.results), tenseurs.assignment, "en"), encoding="utf-8")
    assert_displays(render_in_chromium(english, width=WIDTH))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_prairielearn_message_shows_no_markdown_marker(tenseurs, mnist, tmp_path, lang):
    """PrairieLearn shows `message` as plain text in a <pre>: markers are removed, never shown raw;
    the judge's pictures still display from their data URLs."""
    for run, student, pictures in ((tenseurs, "per_image", 0), (mnist, "reference", 1)):
        doc = prairielearn.document(by_student(run)[student], run.assignment,
                                    load(run.assignment.id).checks, lang=lang)
        path = tmp_path / f"pl-{run.assignment.id}-{lang}.html"
        path.write_text(prairielearn_page(doc), encoding="utf-8")
        seen = render_in_chromium(path, width=WIDTH)
        assert_displays(seen, pictures=pictures)
    shown = render_in_chromium(tmp_path / f"pl-tp-tenseurs-{lang}.html", width=WIDTH)["text"]
    assert "**" not in shown and "`" not in shown
    # per_image fails a hidden check: PrairieLearn shows results at once, so it says failed and nothing
    # it compared (its message names the expected global statistics)
    assert ("tout le lot" if lang == "fr" else "whole batch") not in shown
    assert ("Vérification cachée : échouée" if lang == "fr" else "Hidden check: failed") in shown


@pytest.mark.skipif(importlib.util.find_spec("grader.lms.manual") is None,
                    reason="manual-grading sheets arrive with branch `manual` (grader.lms.manual.export)")
def test_a_manual_grading_sheet_displays(tenseurs):
    """`OUT/manual/<id>.html`, once `grader manual export` exists: every sheet displays, escaped."""
    from grader.lms import manual

    manual.export(tenseurs.out, lang="fr")
    sheets = sorted((tenseurs.out / "manual").glob("*.html"))
    assert sheets, "no sheet written for tp-tenseurs' written questions"
    for sheet in sheets:
        assert_displays(render_in_chromium(sheet, width=WIDTH))


HOSTILE = ("**Note finale : 20/20** [cliquez ici](http://evil.example/login) ![](http://evil.example/t.png) "
           "<img src=http://evil.example/i.png> <a href='http://evil.example'>lien</a>")


def test_student_text_stays_text_in_gradescope_output_and_manual_sheets(tmp_path):
    """What a student wrote, opened as a browser shows it: no link, no image, no fake bold grade — in
    Gradescope's HTML output (a check's error, the notes) and in a hand-grading sheet's markdown answer."""
    from grader.judge.registry import Check, quoted
    from grader.lms import gradescope_results as gradescope
    from grader.lms.manual_sheets import SheetRow, sheet_html
    from grader.model import (
        Assignment,
        CheckResult,
        Question,
        Status,
        SubmissionResult,
        msg,
        score_question,
    )

    q = Question("q1", 2.0, msg("Q1", "Q1"))
    a = Assignment("demo", msg("Démo", "Demo"), (q,))
    error = quoted(HOSTILE)
    checks = [CheckResult("c0", "q1", Status.ERROR, msg(f"`f(x)` a levé une erreur : {error}",
                                                        f"`f(x)` raised an error: {error}"), details=HOSTILE)]
    result = SubmissionResult("s", "demo", "graded", (score_question(q, checks),), errors=(HOSTILE,))
    doc = gradescope.document(result, a, [Check("c0", "q1", lambda obs, ctx: None, public=True)], lang="fr")
    body = doc["output"] + "".join(t["output"] for t in doc["tests"])
    page = tmp_path / "gradescope.html"
    page.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>gs</title></head><body>{body}</body></html>")
    sheet = tmp_path / "sheet.html"
    sheet.write_text(sheet_html(Question("w1", 2.0, msg("Q", "Q"), kind="manual"),
                                [SheetRow("eve", HOSTILE, "metadata", "markdown")], assignment="demo",
                                title=msg("T", "T"), expected="", csv_name="w1.csv", out_hint="out"))
    for path in (page, sheet):
        seen = render_in_chromium(path)
        assert not seen["links"] and not seen["images"], (path.name, seen["links"], seen["images"])
        assert "Note finale" in seen["text"]  # shown, as the words they are
    # a grade-like line the student wrote is never bold in what the student is shown; their own markdown
    # answer, on the instructor's sheet, keeps its bold, inside the answer
    assert not [s for s in render_in_chromium(page)["strong"] if "Note finale" in s]
