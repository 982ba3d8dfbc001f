"""The reporters: JSON/CSV shapes other tools rely on, and HTML that is safe to show students."""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import json
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from grader.model import (
    Assignment,
    CellRecord,
    CheckResult,
    Picture,
    Question,
    Status,
    SubmissionResult,
    msg,
    score_question,
)
from grader.reports import write_all
from grader.reports.csv import write_grades_csv
from grader.reports.html import clean_text, report_names, safe_filename, write_reports
from grader.reports.json import write_results_json

XSS = "<script>alert(1)</script>"
PWN = (
    "<script>document.title='PWNED';"
    "document.body.appendChild(Object.assign(document.createElement('div'),{id:'pwned'}))"
    "</script><img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"
)
ANSI_TRACE = "\x1b[31mValueError\x1b[0m: bad shape\x1b[1;32m!\x1b[0m"

Q1 = Question("q1", 2.0, msg("Chargement des données", "Loading the data"))
Q2 = Question("q2", 3.0, msg("Modèle dense", "Dense model"))
Q3 = Question("q3", 5.0, msg("Entraînement", "Training"))
ASSIGNMENT = Assignment("tp-mnist-dense", msg("TP MNIST dense", "MNIST dense lab"), (Q1, Q2, Q3))


def check(name: str, q: str, status: Status, fr: str, en: str = "", **kw) -> CheckResult:
    return CheckResult(name, q, status, msg(fr, en), **kw)


def png_bytes() -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1.5, 1), dpi=40)
    ax.plot([0, 1, 2], [1, 0, 1])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def graded() -> SubmissionResult:
    q1 = score_question(Q1, [check("check_x_shape", "q1", Status.PASSED, "Forme correcte.")])
    q2 = score_question(
        Q2,
        [
            check("check_param_count", "q2", Status.PASSED, "ok", "ok"),
            check(
                "check_layers",
                "q2",
                Status.FAILED,
                "`build_model()` a 12 810 paramètres ; attendu 101 770.",
                "`build_model()` has 12,810 parameters; expected 101,770.",
                weight=2.0,
            ),
        ],
    )
    q3 = score_question(
        Q3,
        [
            check(
                "check_fit",
                "q3",
                Status.TIMEOUT,
                "Trop long.",
                "Too slow.",
                details="Epoch 1/5\r\x1b[32mEpoch 2/5\x1b[0m",
            ),
            check("check_acc", "q3", Status.SKIPPED, "Non évalué.", "Not evaluated."),
            check("check_grads", "q3", Status.GRADER_ERROR, "Bug du correcteur.", "Grader bug."),
        ],
    )
    cells = (
        CellRecord(0, Status.PASSED, 0.1),
        CellRecord(1, Status.PASSED, 0.1, notes=("commande shell non exécutée : !pip install x",)),
        CellRecord(4, Status.ERROR, 0.2, error=ANSI_TRACE, output="avant l'erreur"),
    )
    return SubmissionResult(
        "alice",
        "tp-mnist-dense",
        "graded",
        (q1, q2, q3),
        cells=cells,
        sha256="ab" * 32,
        seconds=12.5,
        info={"acc": float("nan")},
    )


def errored() -> SubmissionResult:
    return SubmissionResult(
        "bob", "tp-mnist-dense", "error", errors=("Le notebook est illisible (JSON invalide).",)
    )


def hostile() -> SubmissionResult:
    q1 = score_question(
        Q1,
        [
            check(
                "check_x",
                "q1",
                Status.ERROR,
                f"{XSS} {PWN}",
                f"{XSS} {PWN}",
                details=f"{XSS}\n{ANSI_TRACE}",
            ),
        ],
    )
    cells = (CellRecord(0, Status.CRASH, 0.0, error=XSS, output=f"\x1b[31m{XSS}\x1b[0m"),)
    return SubmissionResult(XSS, "tp-mnist-dense", "graded", (q1,), errors=(XSS,), cells=cells)


def with_figure() -> SubmissionResult:
    q = score_question(Q1, [check("check_x_shape", "q1", Status.PASSED, "ok")])
    return SubmissionResult("carol", "tp-mnist-dense", "graded", (q,), figures=(png_bytes(),))


def all_results() -> list[SubmissionResult]:
    return [graded(), errored(), hostile(), with_figure()]


def test_results_json_shape(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    write_results_json(all_results(), ASSIGNMENT, path, "fr")
    doc = json.loads(path.read_text("utf-8"))
    assert doc["assignment"] == "tp-mnist-dense"
    subs = {s["student"]: s for s in doc["submissions"]}
    assert set(subs) == {"alice", "bob", "carol", XSS}
    for s in subs.values():
        assert {"student", "status", "score", "max_score", "errors", "questions"} <= set(s)
        assert s["status"] in ("graded", "error")
        assert list(s["questions"]) == ["q1", "q2", "q3"]  # every question, assignment order
        assert s["max_score"] == 10.0
        assert s["score"] == pytest.approx(sum(q["score"] for q in s["questions"].values()))
        for q in s["questions"].values():
            assert isinstance(q["score"], float) and isinstance(q["max_score"], float)
            for c in q["checks"]:
                assert {"name", "status", "message"} <= set(c)
                assert all(isinstance(c[k], str) for k in ("name", "status", "message"))
    alice = subs["alice"]
    assert alice["score"] == pytest.approx(2 + 1 + 0)
    q2 = alice["questions"]["q2"]
    assert [c["status"] for c in q2["checks"]] == ["passed", "failed"]
    assert q2["checks"][1]["message"].startswith("`build_model()` a 12 810")
    assert alice["info"] == {"acc": None}  # NaN is not JSON
    bob = subs["bob"]
    assert bob["status"] == "error" and bob["score"] == 0.0
    assert bob["errors"] == ["Le notebook est illisible (JSON invalide)."]
    assert all(q == {**q, "score": 0.0, "checks": []} for q in bob["questions"].values())
    assert [q["max_score"] for q in bob["questions"].values()] == [2.0, 3.0, 5.0]
    assert not list(tmp_path.glob(".*.tmp"))  # atomic write left no temp file


def test_results_json_english(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    write_results_json([graded()], ASSIGNMENT, path, "en")
    q2 = json.loads(path.read_text("utf-8"))["submissions"][0]["questions"]["q2"]
    assert q2["checks"][1]["message"].startswith("`build_model()` has 12,810")


def test_grades_csv(tmp_path: Path) -> None:
    path = tmp_path / "grades.csv"
    write_grades_csv(all_results(), ASSIGNMENT, path)
    rows = list(csv.reader(path.open(newline="", encoding="utf-8")))
    assert rows[0] == ["student", "status", "q1", "q2", "q3", "total", "max_score"]
    body = rows[1:]
    assert [r[0] for r in body] == sorted(r.student for r in all_results())
    by_student = {r[0]: r for r in body}
    assert by_student["alice"] == ["alice", "graded", "2", "1", "0", "3", "10"]
    assert by_student["bob"] == ["bob", "error", "0", "0", "0", "0", "10"]
    assert by_student["carol"][2:] == ["2", "0", "0", "2", "10"]


def test_csv_numbers_plain_and_formula_defused(tmp_path: Path) -> None:
    q = score_question(
        Q2,
        [
            check("a", "q2", Status.PASSED, "ok"),
            check("b", "q2", Status.FAILED, "non"),
            check("c", "q2", Status.FAILED, "non"),
        ],
    )
    r = SubmissionResult("=HYPERLINK(1)", "tp-mnist-dense", "graded", (q,))
    path = tmp_path / "grades.csv"
    write_grades_csv([r], ASSIGNMENT, path)
    row = list(csv.reader(path.open(newline="", encoding="utf-8")))[1]
    assert row == ["'=HYPERLINK(1)", "graded", "0", "1", "0", "1", "10"]


def test_write_all_html_escaped_and_ansi_stripped(tmp_path: Path) -> None:
    results = all_results()
    write_all(results, ASSIGNMENT, tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {
        "results.json",
        "grades.csv",
        "summary.html",
        "reports",
    }
    files = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert files == sorted(report_names([r.student for r in results]).values())
    for page in [tmp_path / "summary.html", *(tmp_path / "reports").iterdir()]:
        html = page.read_text("utf-8")
        assert XSS not in html and "<img src=x" not in html and "\x1b" not in html
        assert "<script" not in html.lower()
    hostile_page = (tmp_path / "reports" / safe_filename(XSS)).with_suffix(".html")
    html = hostile_page.read_text("utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "ValueError: bad shape!" in html  # ANSI codes gone, text kept
    summary = (tmp_path / "summary.html").read_text("utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in summary
    assert f'href="reports/{safe_filename(XSS)}.html"' in summary


def test_report_content_french(tmp_path: Path) -> None:
    write_reports([graded(), errored(), with_figure()], ASSIGNMENT, tmp_path, "fr")
    alice = (tmp_path / "reports" / "alice.html").read_text("utf-8")
    for label in ("Réussi", "Échoué", "Temps dépassé", "Non évalué", "Erreur du correcteur"):
        assert label in alice
    assert "3 / 10" in alice and "Chargement des données" in alice
    assert "<code>build_model()</code>" in alice  # backticks become code, rest escaped
    assert "Epoch 2/5" in alice and "Epoch 1/5" not in alice  # \r redraw keeps the last one
    assert "cellule [5]" in alice and "cellule [2]" in alice and "cellule [1]" not in alice
    assert "commande shell non exécutée : !pip install x" in alice
    assert "avant l&#39;erreur" in alice
    bob = (tmp_path / "reports" / "bob.html").read_text("utf-8")
    assert "Le notebook est illisible" in bob and "0 / 10" in bob
    assert bob.count('class="question"') == 3
    carol = (tmp_path / "reports" / "carol.html").read_text("utf-8")
    assert re.search(r'<img src="data:image/png;base64,iVBORw0KGgo[A-Za-z0-9+/=]+"', carol)
    summary = (tmp_path / "summary.html").read_text("utf-8")
    assert "TP MNIST dense" in summary and "Moyenne" in summary and "<svg" in summary
    assert 'id="n-students">3<' in summary
    assert "http://" not in summary.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_report_english_labels(tmp_path: Path) -> None:
    write_reports([graded()], ASSIGNMENT, tmp_path, "en")
    html = (tmp_path / "reports" / "alice.html").read_text("utf-8")
    for label in ("Passed", "Failed", "Timed out", "Skipped", "Grader error", "Loading the data"):
        assert label in html
    assert "Réussi" not in html and 'lang="en"' in html and "cell [5]" in html
    assert "Mean" in (tmp_path / "summary.html").read_text("utf-8")


def test_clean_text_strips_ansi_and_controls() -> None:
    assert clean_text(ANSI_TRACE) == "ValueError: bad shape!"
    assert clean_text("\x1b]0;title\x07ok\x00\x08") == "ok"
    assert clean_text("1/3\r2/3\r3/3\nfin\r\n") == "3/3\nfin\n"


@pytest.mark.parametrize(
    "student",
    ["../x", "../../etc/passwd", "a/b", "..", "", ".hidden", "é t\\u", "x" * 500, "C:\\evil"],
)
def test_file_names_stay_inside_reports(tmp_path: Path, student: str) -> None:
    name = safe_filename(student)
    assert re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*", name) and len(name) <= 121
    out = tmp_path / "out"
    write_reports([SubmissionResult(student, "tp-mnist-dense", "error")], ASSIGNMENT, out)
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(p.parent in (out, out / "reports") for p in written)
    assert len(list((out / "reports").iterdir())) == 1


def test_colliding_names_get_distinct_files() -> None:
    names = report_names(["a/b", "a_b", "A_B", "a?b"])
    assert len({n.lower() for n in names.values()}) == 4  # also on case-insensitive FS
    assert names == report_names(["a?b", "A_B", "a_b", "a/b"])  # order-independent
    assert report_names(["a/b", "a_b"]) == {"a_b": "a_b.html", "a/b": "a_b-2.html"}


def test_browser_does_not_run_student_script(tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("chromium is not installed")
    write_reports([hostile(), graded()], ASSIGNMENT, tmp_path, "fr")
    page = (tmp_path / "reports" / safe_filename(XSS)).with_suffix(".html")
    cmd = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--dump-dom",
        page.as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    dom = proc.stdout
    assert "<body" in dom, proc.stderr[-2000:]
    title = re.search(r"<title>(.*?)</title>", dom, re.S)
    assert title and title.group(1) == "TP MNIST dense — &lt;script&gt;alert(1)&lt;/script&gt;"
    assert "PWNED" not in title.group(1)
    assert not re.search(r"<div[^>]*id=\"pwned\"", dom)
    assert not re.search(r"<body[^>]*data-pwned", dom)
    assert not re.search(r"<img[^>]*src=\"x\"", dom)
    assert "0 / 2" in re.sub(r"<[^>]+>", "", dom)  # the hostile submission's score is shown
    assert "document.title='PWNED'" in dom  # shown as text, not run


def synthetic(info: dict, student: str = "zoe") -> SubmissionResult:
    return dataclasses.replace(graded(), student=student, info=info)


def test_synthetic_banner_only_when_the_info_key_is_set(tmp_path: Path) -> None:
    results = [graded(), synthetic({"synthetic_datasets": ["cifar10"]}),
               synthetic({"synthetic_datasets": []}, "yan"), synthetic({"synthetic_datasets": None}, "xia")]
    write_reports(results, ASSIGNMENT, tmp_path / "fr", "fr")
    pages = {p.stem: html.unescape(p.read_text("utf-8")) for p in (tmp_path / "fr" / "reports").iterdir()}
    assert "Données synthétiques : CIFAR-10 n'était pas disponible sur la machine de correction ; le modèle " \
           "a été entraîné et évalué sur des images générées de même forme. Les seuils sont calibrés sur " \
           "ces images." in pages["zoe"]
    assert pages["zoe"].count('class="banner synthetic"') == 1
    for other in ("alice", "yan", "xia"):
        assert "banner" not in pages[other].split("<body>", 1)[1] and "synthétiques" not in pages[other]
    assert "Données synthétiques" in (tmp_path / "fr" / "summary.html").read_text("utf-8")

    write_reports([synthetic({"synthetic_datasets": ["cifar10", "mnist"]})], ASSIGNMENT, tmp_path / "en", "en")
    en = html.unescape((tmp_path / "en" / "reports" / "zoe.html").read_text("utf-8"))
    assert "Synthetic data: CIFAR-10 and MNIST were not available on the grading machine" in en
    write_reports([graded()], ASSIGNMENT, tmp_path / "none", "fr")
    assert "synthétiques" not in (tmp_path / "none" / "summary.html").read_text("utf-8")


def test_pictures_under_their_check_and_bad_bytes_dropped(tmp_path: Path) -> None:
    from grader.judge.pictures import confusion_heatmap

    heat = confusion_heatmap([[5, 1], [0, 7]], ["chat", "chien"])
    assert heat is not None
    junk = Picture(msg("faux", "fake"), b"GIF89a" + b"\0" * 30)  # only PNGs from the judge are shown
    q = score_question(Q2, [check("check_cm", "q2", Status.FAILED, "`cm` transposée.", "`cm` transposed.",
                                  pictures=(heat, junk)),
                            check("check_other", "q2", Status.PASSED, "ok")])
    write_reports([SubmissionResult("dan", "tp-mnist-dense", "graded", (q,))], ASSIGNMENT, tmp_path, "fr")
    page = (tmp_path / "reports" / "dan.html").read_text("utf-8")
    item = re.search(r"<li>.*?check_cm</code>(.*?)</li>", page, re.S).group(1)
    assert len(re.findall(r'<img src="data:image/png;base64,iVBORw0KGgo', item)) == 1
    assert 'alt="Matrice de confusion (lignes : vraie classe, colonnes : classe prédite)"' in item
    assert "<figcaption>Matrice de confusion" in item and "data:image/gif" not in page
    assert page.count("<img ") == 1


def test_browser_decodes_pictures_within_the_page_width(tmp_path: Path) -> None:
    """Chromium shows the judge's PNGs (naturalWidth > 0) under the report's own img-src policy.

    The report forbids scripts, so a copy gets one inline script (CSP widened by `script-src`
    only, `img-src data:` untouched) that writes what the browser decoded into the DOM.
    """
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("chromium is not installed")
    import numpy as np

    from grader.judge.pictures import learning_curves, prediction_grid

    pics = (learning_curves({"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7], "accuracy": [0.5, 0.7, 0.8]}),
            prediction_grid(np.random.default_rng(1).random((9, 28, 28)), np.arange(9), np.arange(9) % 4, None))
    assert all(pics)
    q = score_question(Q3, [check("check_fit", "q3", Status.PASSED, "ok", pictures=pics)])
    write_reports([SubmissionResult("eli", "tp-mnist-dense", "graded", (q,))], ASSIGNMENT, tmp_path, "fr")
    page = (tmp_path / "reports" / "eli.html").read_text("utf-8")
    csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:;"
    assert page.count(csp) == 1
    probe = ("<script>addEventListener('load', () => document.body.setAttribute('data-seen', "
             "[...document.images].map(i => [i.complete, i.naturalWidth, i.naturalHeight, i.clientWidth,"
             " document.documentElement.clientWidth].join(':')).join(' ')))</script></body>")
    test_page = tmp_path / "reports" / "eli-probe.html"
    test_page.write_text(page.replace(csp, csp + " script-src 'unsafe-inline';").replace("</body>", probe), "utf-8")
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
           "--disable-background-networking", "--disable-component-update", "--window-size=420,900",
           f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", test_page.as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    seen = re.search(r'data-seen="([^"]*)"', proc.stdout)
    assert seen, proc.stderr[-2000:]
    images = [tuple(s.split(":")) for s in seen.group(1).split()]
    assert len(images) == 2
    for (complete, natural_w, natural_h, shown_w, page_w), pic in zip(images, pics, strict=True):
        assert complete == "true" and int(natural_h) > 0
        assert int(natural_w) == struct.unpack(">I", pic.png[16:20])[0]  # decoded at its real size
        assert 0 < int(shown_w) <= int(page_w)  # never wider than the window
    curves = images[0]
    assert int(curves[1]) > int(curves[4]) > int(curves[3])  # the wide one was scaled down to fit
