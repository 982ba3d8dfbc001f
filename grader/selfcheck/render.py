"""A self-check's verdict as the student sees it under the cell: HTML in Jupyter and Colab, text elsewhere.

Both forms say the same things in the student's language (French by default, or English): each
public check's status and message (expected / found / what to try, the checks' own `Message`), how
many hidden checks are not run here (a count from the bundle, never a name), and that this ran in
the student's own kernel and only tells them: the grade is computed elsewhere. Everything a message
holds is escaped; its `code` spans (where checks quote a student's text) become `<code>` and
nothing else is markup (`grader.reports.markup.to_html`): a student's string never becomes live HTML.
The page holds no script and loads nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from grader.model import CheckResult, Message, Question, Status, status_word
from grader.reports.html import data_uri
from grader.reports.markup import to_html
from grader.text import plain

#: the line every verdict ends with
IN_YOUR_KERNEL = Message(
    "Auto-vérification lancée dans votre propre noyau : elle vous renseigne seulement. La note est calculée "
    "ailleurs, par le correcteur, qui lance aussi des vérifications cachées.",
    "Self-check run in your own kernel: it only tells you. The grade is computed elsewhere, by the grader, "
    "which also runs hidden checks.")
_COLOURS = {Status.PASSED: "#2e7d32", Status.SKIPPED: "#8d6e00"}
_OTHER = "#c62828"
_BOX = ("border:1px solid #bbb;border-radius:4px;padding:6px 10px;margin:4px 0;"
        "font-family:sans-serif;font-size:13px;line-height:1.4")
MAX_DETAILS = 3000


@dataclass(frozen=True)
class QuestionVerdict:
    """One question's public checks, as run here, and how many of its checks are hidden."""

    question: Question
    results: tuple[CheckResult, ...] = ()
    hidden: int | None = None  # None: the bundle does not say (made by an older `grader release`)
    #: each result's check description (what it verifies: the expected property), as `@checks(fr=, en=)`
    #: wrote it; shown before a failure's message, so the student reads what is expected, then what is wrong
    descriptions: tuple[Message, ...] = ()

    def rows(self, lang: str) -> list[tuple[CheckResult, str, str]]:
        """(result, what is checked, what was found) per result; the second is "" when it would only
        repeat the message (a passed check's message is its description)."""
        out = []
        for i, r in enumerate(self.results):
            described = _say(self.descriptions[i], lang) if i < len(self.descriptions) else ""
            said = _say(r.message, lang)
            out.append((r, "" if described == said else described, said))
        return out


@dataclass(frozen=True)
class Verdict:
    """What one `check(...)`, `check_all()` or `init(...)` shows; `problem` instead when it could not run."""

    lang: str = "fr"
    assignment: str = ""
    questions: tuple[QuestionVerdict, ...] = ()
    problem: Message | None = None
    both: bool = False  # the problem said in French then English (before the student could pick one)
    notes: tuple[Message, ...] = ()
    summary: bool = False  # a line "n/m public checks passed" (check_all)
    ready: Message | None = None  # init's confirmation

    @property
    def results(self) -> tuple[CheckResult, ...]:
        return tuple(r for q in self.questions for r in q.results)

    @property
    def passed(self) -> bool:
        """Every public check run here passed (and one at least ran)."""
        return bool(self.results) and all(r.passed for r in self.results) and self.problem is None

    def text(self) -> str:
        return to_text(self)

    def html(self) -> str:
        return to_html_page(self)

    def _repr_html_(self) -> str:
        return self.html()

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(self.text())

    def __str__(self) -> str:
        return self.text()


def _say(message: Message, lang: str) -> str:
    return plain(message.get(lang))


def _label(status: Status, lang: str) -> str:
    return status_word(str(status), lang, capital=True)


def _hidden_line(q: QuestionVerdict, lang: str) -> str:
    if not q.hidden:
        return ""
    if lang == "en":
        return f"{q.hidden} hidden checks are not run here." if q.hidden > 1 else "1 hidden check is not run here."
    if q.hidden > 1:
        return f"{q.hidden} vérifications cachées ne sont pas lancées ici."
    return "1 vérification cachée n'est pas lancée ici."


def _empty_line(q: QuestionVerdict, lang: str) -> str:
    """What a question without a result says: a written one, or one with no public check."""
    if q.results:
        return ""
    if q.question.manual:
        return ("A written question: graded by hand." if lang == "en"
                else "Question écrite : corrigée à la main.")
    return ("No public check for this question: the grader checks it." if lang == "en"
            else "Pas de vérification publique pour cette question : le correcteur la vérifie.")


def _heading(q: QuestionVerdict, lang: str) -> str:
    title = _say(q.question.title, lang)
    word, colon = ("Self-check", ": ") if lang == "en" else ("Auto-vérification", " : ")
    return f"{word} — {q.question.id}" + (colon + title if title else "")


def _score_line(v: Verdict) -> str:
    done = v.results
    passed = sum(r.passed for r in done)
    if not done:
        return ("This TP has no public check: the grader checks everything." if v.lang == "en"
                else "Ce TP n'a aucune vérification publique : le correcteur vérifie tout.")
    if v.lang == "en":
        return f"{passed}/{len(done)} public checks passed."
    return f"{passed}/{len(done)} vérifications publiques réussies."


def _problem_lines(v: Verdict) -> list[str]:
    if v.problem is None:
        return []
    if v.both:
        return [_say(v.problem, "fr"), _say(v.problem, "en")]
    return [_say(v.problem, v.lang)]


def to_text(v: Verdict) -> str:
    """The verdict as plain text (a terminal, a script); the checks' `code` spans keep their backticks."""
    lines = _problem_lines(v)
    if v.ready is not None:
        lines.append(_say(v.ready, v.lang))
    for q in v.questions:
        lines.append(_heading(q, v.lang))
        for r, described, said in q.rows(v.lang):
            lines.append(f"  [{_label(r.status, v.lang)}] " + (f"{described} — " if described else "") + said)
            if r.details and r.status is not Status.PASSED:
                lines.extend("      " + s for s in plain(r.details)[-MAX_DETAILS:].splitlines()[-8:])
        for extra in (_empty_line(q, v.lang), _hidden_line(q, v.lang)):
            if extra:
                lines.append("  " + extra)
    if v.summary and v.questions:
        lines.append(_score_line(v))
    lines.extend(_say(n, v.lang) for n in v.notes)
    if v.problem is None:
        lines.append(_say(IN_YOUR_KERNEL, v.lang))
    return "\n".join(lines)


def _badge(status: Status, lang: str) -> Markup:
    colour = _COLOURS.get(status, _OTHER)
    return Markup('<span style="display:inline-block;min-width:6em;text-align:center;color:#fff;'
                  f'background:{colour};border-radius:3px;padding:0 6px;margin-right:6px">'
                  f"{escape(_label(status, lang))}</span>")


def _pictures(result: CheckResult, lang: str) -> Markup:
    out = []
    for picture in result.pictures:
        src = data_uri(picture.png_for(lang)) if picture.is_png else ""
        if src:
            out.append(Markup('<div><img style="max-width:100%" src="{}" alt="{}"></div>').format(
                src, plain(picture.title.get(lang))))
    return Markup("").join(out)


def to_html_page(v: Verdict) -> str:
    """The verdict as an HTML fragment (inline styles, no script, every text escaped)."""
    parts: list[Markup] = [Markup(f'<div class="grader-selfcheck" style="{_BOX}">')]
    for line in _problem_lines(v):
        parts.append(Markup('<div style="color:{}">{}</div>').format(_OTHER, to_html(line)))
    if v.ready is not None:
        parts.append(Markup("<div>{}</div>").format(to_html(_say(v.ready, v.lang))))
    for q in v.questions:
        parts.append(Markup('<div style="font-weight:bold;margin-top:4px">{}</div>').format(to_html(_heading(q, v.lang))))
        parts.append(Markup('<ul style="list-style:none;padding-left:0;margin:2px 0">'))
        for r, described, said in q.rows(v.lang):
            details = ""
            if r.details and r.status is not Status.PASSED:
                details = Markup('<details><summary>{}</summary><pre style="white-space:pre-wrap">{}</pre>'
                                 "</details>").format("Trace" if v.lang == "en" else "Trace de l'erreur",
                                                      plain(r.details)[-MAX_DETAILS:])
            what = Markup("{} — ").format(to_html(described)) if described else ""
            parts.append(Markup("<li>{}{}{}{}{}</li>").format(_badge(r.status, v.lang), what, to_html(said), details,
                                                             _pictures(r, v.lang)))
        parts.append(Markup("</ul>"))
        for extra in (_empty_line(q, v.lang), _hidden_line(q, v.lang)):
            if extra:
                parts.append(Markup('<div style="color:#555">{}</div>').format(extra))
    if v.summary and v.questions:
        parts.append(Markup('<div style="font-weight:bold;margin-top:4px">{}</div>').format(_score_line(v)))
    for note in v.notes:
        parts.append(Markup('<div style="color:#8d6e00">{}</div>').format(to_html(_say(note, v.lang))))
    if v.problem is None:
        parts.append(Markup('<div style="color:#666;font-size:11px;margin-top:4px">{}</div>').format(
            _say(IN_YOUR_KERNEL, v.lang)))
    parts.append(Markup("</div>"))
    return str(Markup("").join(parts))


__all__ = ["IN_YOUR_KERNEL", "QuestionVerdict", "Verdict", "to_html_page", "to_text"]
