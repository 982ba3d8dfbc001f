"""Per-student HTML reports and the class summary, rendered with jinja2 (autoescape on).

Everything a student controls (id, messages, tracebacks, output) is escaped and stripped of
terminal escape codes; the pages are self-contained (inline CSS, figures as data: URIs, no
script) and carry a CSP that forbids scripts, so a report can be opened or served safely.
The judge's pictures of a check are shown under that check on the student's page only (the
class summary embeds none), within a per-page byte budget.
"""

from __future__ import annotations

import base64
import functools
import re
import statistics
import struct
from pathlib import Path

import jinja2
from markupsafe import Markup

from grader.courses import templates
from grader.data.catalogue import TITLES
from grader.model import (
    Assignment,
    CellRecord,
    CheckResult,
    Penalty,
    Picture,
    Status,
    SubmissionResult,
    after_penalty,
    status_word,
    totals,
)
from grader.reports.document import (
    aligned_scores,
    atomic_write,
    fmt_number,
    max_total,
    runner_text,
    text,
    total,
)
from grader.reports.markup import student_markdown, to_html
from grader.text import ANSI, CONTROL

MAX_PRE = 20_000  # characters of a traceback or output excerpt shown in one <pre>
MAX_PICTURE_BYTES = 3_000_000  # judge pictures embedded in one student page, all checks together

#: Every word of the HTML pages, once per key: (French, English); a key cannot lack a language.
WORDS: dict[str, tuple[str, str]] = {
    "report": ("Rapport de correction", "Grading report"),
    "summary": ("Résumé de la classe", "Class summary"),
    "back": ("← Résumé de la classe", "← Class summary"),
    "student": ("Étudiant·e", "Student"),
    "score": ("Note", "Score"),
    "status": ("Statut", "Status"),
    "questions": ("Questions", "Questions"),
    "question": ("Question", "Question"),
    "errors": ("Erreurs", "Errors"),
    "no_checks": ("Aucune vérification n'a pu être faite ici.", "No check could be run here."),
    "cells": ("Cellules", "Cells"),
    "cell": ("cellule", "cell"),
    "output": ("Sortie", "Output"),
    "error": ("Erreur", "Error"),
    "cells_intro": ("Cellules du notebook qui ne se sont pas exécutées normalement.", "Notebook cells that did not run normally."),
    "figures": ("Figures", "Figures"),
    "figure": ("Figure", "Figure"),
    "n_students": ("Nombre d'étudiant·es", "Number of students"),
    "mean": ("Moyenne", "Mean"),
    "median": ("Médiane", "Median"),
    "min": ("Minimum", "Minimum"),
    "max": ("Maximum", "Maximum"),
    "distribution": ("Répartition des notes", "Score distribution"),
    "points": ("Points", "Points"),
    "title": ("Intitulé", "Title"),
    "pass_rate": ("Réussite complète", "Full marks"),
    "mean_score": ("Note moyenne", "Mean score"),
    "students": ("Étudiant·es", "Students"),
    "total": ("Total", "Total"),
    "truncated": ("… (tronqué)", "… (truncated)"),
    "graded": ("Corrigé", "Graded"),
    "failed_sub": ("Erreur", "Error"),
    "none": ("—", "—"),
    "picture_omitted": ("Image omise : le rapport en contient déjà assez.", "Picture left out: the report already holds enough of them."),
    "late": ("Retard", "Late work"),
    "before_penalty": ("Avant pénalité", "Before the penalty"),
    "pending": ("à corriger à la main", "to be graded by hand"),
    "by_hand": ("corrigée à la main", "graded by hand"),
    "pending_total": ("point(s) en attente de correction à la main", "point(s) pending hand grading"),
    "overridden": ("note modifiée à la main", "score changed by hand"),
    "auto_was": ("note automatique", "automatic score"),
    "comment": ("commentaire", "comment"),
    "pending_col": ("En attente", "Pending"),
    "colon": (" : ", ": "),
}
UI: dict[str, dict[str, str]] = {lang: {k: pair[i] for k, pair in WORDS.items()} for i, lang in enumerate(("fr", "en"))}

#: A dataset's name as a report shows it: the catalogue's titles (`grader.data.catalogue.TITLES`), and the
#: spellings a TOML may use besides.
DATASET_NAMES = {**TITLES, "fashion-mnist": TITLES["fashion_mnist"], "cifar-10": TITLES["cifar10"],
                 "cifar100": "CIFAR-100"}

#: The status words as reports show them (`grader.model.STATUS_WORDS`, capitalised).
STATUS_LABELS: dict[str, dict[str, str]] = {
    lang: {s.value: status_word(s.value, lang, capital=True) for s in Status} for lang in ("fr", "en")}

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")
_IMAGE_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg",
                b"GIF87a": "image/gif", b"GIF89a": "image/gif"}


def write_reports(
    results: list[SubmissionResult], assignment: Assignment, out_dir: Path, lang: str = "fr"
) -> None:
    """Write out_dir/reports/<student>.html for each result and out_dir/summary.html."""
    out_dir = Path(out_dir)
    reports = out_dir / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    names = report_names([r.student for r in results])
    for result in results:
        path = reports / names[result.student]
        if path.resolve().parent != reports.resolve():  # belt and braces: never escape reports/
            raise ValueError(f"unsafe report path for {result.student!r}")
        atomic_write(path, render_report(result, assignment, lang))
    atomic_write(out_dir / "summary.html", render_summary(results, assignment, lang, names))


def safe_filename(student: str) -> str:
    """Keep [A-Za-z0-9._-], map the rest to "_"; no leading dot, no empty or huge name."""
    name = _SAFE_NAME.sub("_", student)[:120]
    if not name or name.startswith("."):
        name = "_" + name
    return name


def report_names(students: list[str]) -> dict[str, str]:
    """student id -> unique report file name; ids that sanitise alike get a stable suffix.

    Ids that are already safe claim their own name first, so "a_b" stays a_b.html even when
    a "a/b" also exists.
    """
    names: dict[str, str] = {}
    taken: set[str] = set()
    for student in sorted(set(students), key=lambda s: (safe_filename(s) != s, s)):
        base, n = safe_filename(student), 1
        name = base
        while name.lower() in taken:  # case-insensitive file systems too
            n += 1
            name = f"{base}-{n}"
        taken.add(name.lower())
        names[student] = name + ".html"
    return names


def clean_text(value: str, limit: int = MAX_PRE, lang: str = "fr") -> str:
    """Drop ANSI codes and control characters; keep what a terminal would show after "\\r"."""
    value = ANSI.sub("", value or "").replace("\r\n", "\n")
    lines = []
    for line in value.split("\n"):
        parts = [p for p in line.split("\r") if p]  # progress bars redraw the line with \r
        lines.append(parts[-1] if parts else "")
    value = CONTROL.sub("", "\n".join(lines).replace("\t", "    "))
    if len(value) > limit:
        value = value[:limit] + "\n" + _ui(lang)["truncated"]
    return value


def render_report(result: SubmissionResult, assignment: Assignment, lang: str = "fr") -> str:
    scores = aligned_scores(result, assignment)
    budget = [MAX_PICTURE_BYTES]
    questions = [
        {
            "id": qs.question.id, "title": text(qs.question.title, lang),
            "score": qs.score, "max": qs.question.points, "manual": qs.question.manual,
            "pending": qs.pending, "overridden": qs.overridden, "auto": qs.auto,
            "comment": clean_text(qs.manual.comment, 5000, lang) if qs.manual else "",
            "checks": [_check_view(c, lang, budget) for c in qs.checks],
        }
        for qs in scores
    ]
    return _env(lang).get_template("report.html").render(
        title=text(assignment.title, lang), student=result.student,
        score=after_penalty(total(scores), result.penalty), max_score=max_total(scores),
        late=late_view(result.penalty, total(scores), lang), pending=totals(scores).pending,
        status=_submission_badge(result.status, lang), questions=questions,
        errors=[clean_text(runner_text(e, lang), lang=lang) for e in result.errors],
        cells=[_cell_view(c, lang) for c in result.cells if _worth_showing(c)],
        figures=[uri for uri in map(data_uri, result.figures) if uri],
        synthetic=" ".join(b for b in (self_check_banner(result.info, lang),
                                       synthetic_banner(synthetic_datasets(result.info), lang)) if b),
    )


def late_view(penalty: Penalty | None, points: float, lang: str) -> dict | None:
    """The report's late-work line: why (or why not) points were taken off, and the points before."""
    if penalty is None:
        return None
    return {"text": penalty.reason.get(lang), "percent": penalty.percent, "before": points}


def self_check_banner(info: object, lang: str = "fr") -> str:
    """`grader check` ran the public checks only: the points shown are not the grade."""
    if not (isinstance(info, dict) and info.get("self_check") is True):
        return ""
    if lang == "en":
        return ("Self-check: only the public checks were run; the points shown are not your grade (the "
                "instructor's grading adds hidden checks, and questions without a public check show 0).")
    return ("Auto-vérification : seules les vérifications publiques ont été exécutées ; les points affichés ne "
            "sont pas votre note (la correction ajoute des vérifications cachées, et les questions sans "
            "vérification publique affichent 0).")


def synthetic_datasets(info: object) -> list[str]:
    """Display names of the datasets replaced by generated images (`info["synthetic_datasets"]`)."""
    value = info.get("synthetic_datasets") if isinstance(info, dict) else None
    if isinstance(value, str):
        value = [value]
    if isinstance(value, dict):
        value = [k for k, v in value.items() if v]
    if not isinstance(value, list | tuple | set | frozenset):
        return []
    names = {DATASET_NAMES.get(str(d).strip().lower(), str(d).strip()[:40]) for d in value}
    return sorted(n for n in names if n)


def synthetic_banner(names: list[str], lang: str = "fr") -> str:
    """The warning for a run on generated images, or "" when every dataset was the real one.

    Scores and thresholds then mean "on images of the same shape", which the reader must know.
    """
    if not names:
        return ""
    several = len(names) > 1
    if lang == "en":
        listed = ", ".join(names[:-1]) + " and " + names[-1] if several else names[0]
        return (f"Synthetic data: {listed} {'were' if several else 'was'} not available on the grading "
                "machine; the model was trained and evaluated on generated images of the same shape. "
                "The thresholds are calibrated on these images.")
    listed = ", ".join(names[:-1]) + " et " + names[-1] if several else names[0]
    verb = "n'étaient pas disponibles" if several else "n'était pas disponible"
    return (f"Données synthétiques : {listed} {verb} sur la machine de correction ; le modèle a été "
            "entraîné et évalué sur des images générées de même forme. Les seuils sont calibrés sur ces "
            "images.")


def render_summary(
    results: list[SubmissionResult], assignment: Assignment, lang: str = "fr",
    names: dict[str, str] | None = None,
) -> str:
    names = names or report_names([r.student for r in results])
    rows = []
    for result in sorted(results, key=lambda r: r.student):
        scores = aligned_scores(result, assignment)
        penalty = result.penalty
        rows.append({"student": result.student, "href": "reports/" + names[result.student],
                     "status": _submission_badge(result.status, lang),
                     "total": after_penalty(total(scores), penalty),
                     "late": penalty.percent if penalty else None,
                     "late_title": penalty.reason.get(lang) if penalty else "",
                     "pending": totals(scores).pending,
                     "scores": {qs.question.id: None if qs.pending else qs.score for qs in scores}})
    all_totals = [row["total"] for row in rows]
    questions = []
    for q in assignment.questions:
        got = [s for row in rows if (s := row["scores"].get(q.id, 0.0)) is not None]  # graded ones only
        full = sum(1 for s in got if q.points > 0 and s >= q.points - 1e-9)
        questions.append({"id": q.id, "title": text(q.title, lang), "points": q.points,
                          "mean": statistics.fmean(got) if got else None,
                          "pass_rate": 100 * full / len(got) if got else None})
    stats = {"mean": statistics.fmean(all_totals), "median": statistics.median(all_totals),
             "min": min(all_totals), "max": max(all_totals)} if all_totals else {}
    synthetic = sorted({name for r in results for name in synthetic_datasets(r.info)})
    return _env(lang).get_template("summary.html").render(
        title=text(assignment.title, lang), max_score=float(assignment.max_score),
        n=len(rows), stats=stats, questions=questions, rows=rows, late=assignment.late is not None,
        histogram=histogram(all_totals, float(assignment.max_score)),
        by_hand=any(q.manual for q in assignment.questions),
        synthetic=synthetic_banner(synthetic, lang),
    )


def histogram(totals: list[float], max_score: float, bins: int = 10) -> list[dict]:
    """Counts of totals in `bins` equal bins over 0..max_score (last bin includes max)."""
    if max_score <= 0:
        return [{"lo": 0.0, "hi": 0.0, "count": len(totals), "height": 100.0 if totals else 0}]
    counts = [0] * bins
    for t in totals:
        counts[min(max(int(t / max_score * bins), 0), bins - 1)] += 1
    top = max(counts) or 1
    width = max_score / bins
    return [{"lo": i * width, "hi": (i + 1) * width, "count": c, "height": 100 * c / top}
            for i, c in enumerate(counts)]


def _ui(lang: str) -> dict[str, str]:
    return UI.get(lang, UI["fr"])


def _badge(status: object, lang: str) -> dict[str, str]:
    key = str(status)
    labels = STATUS_LABELS.get(lang, STATUS_LABELS["fr"])
    return {"label": labels.get(key, key), "cls": "s-" + key if key in labels else "s-other"}


def _submission_badge(status: str, lang: str) -> dict[str, str]:
    ok = status == "graded"
    return {"label": _ui(lang)["graded" if ok else "failed_sub"], "cls": "s-passed" if ok
            else "s-error"}


def _check_view(check: CheckResult, lang: str, budget: list[int] | None = None) -> dict:
    pictures, omitted = [], 0
    for picture in getattr(check, "pictures", ()) or ():
        view = _picture_view(picture, lang)
        if view is None:
            continue
        if budget is not None and len(view["src"]) > budget[0]:
            omitted += 1
            continue
        if budget is not None:
            budget[0] -= len(view["src"])
        pictures.append(view)
    return {"name": check.name, "badge": _badge(check.status, lang),
            "message": clean_text(text(check.message, lang), lang=lang),
            "details": clean_text(runner_text(check.details, lang), lang=lang),
            "pictures": pictures, "pictures_omitted": omitted}


def _picture_view(picture: Picture, lang: str) -> dict | None:
    """src/alt/caption/size of a judge picture; None for anything that is not a sound PNG."""
    if not isinstance(picture, Picture) or not picture.is_png:
        return None
    png = picture.png_for(lang)  # axes and legends in the report's language when drawn so
    if len(png) < 24 or png[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", png[16:24])
    if not (0 < width <= 10_000 and 0 < height <= 10_000):
        return None
    title = clean_text(text(picture.title, lang), limit=300, lang=lang)
    return {"src": data_uri(png), "caption": title, "alt": title.replace("`", ""),
            "width": width, "height": height}


def _worth_showing(cell: CellRecord) -> bool:
    return str(cell.status) != "passed" or bool(cell.notes)


def _cell_view(cell: CellRecord, lang: str) -> dict:
    return {"n": cell.index + 1, "badge": _badge(cell.status, lang),
            "error": clean_text(runner_text(cell.error, lang), lang=lang),
            "output": clean_text(runner_text(cell.output, lang), lang=lang),
            "notes": [clean_text(text(n, lang), lang=lang) for n in cell.notes]}


def data_uri(data: bytes) -> str:
    """Embed known raster images only; anything else (SVG could carry script) is dropped."""
    for magic, mime in _IMAGE_TYPES.items():
        if data.startswith(magic):
            return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")
    return ""


def _inline_code(value: str) -> Markup:
    """`code` in a message becomes <code>, **bold** <strong>; the text is escaped first, so nothing
    else is HTML (`grader.reports.markup`)."""
    return to_html(value)


@functools.cache
def _env(lang: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates()), autoescape=True,
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    decimal = "," if lang == "fr" else "."
    env.filters["num"] = lambda v: _ui(lang)["none"] if v is None else fmt_number(v, decimal)
    env.filters["code"] = _inline_code
    env.filters["student_markdown"] = student_markdown
    env.globals.update(ui=_ui(lang), lang=lang)
    return env
