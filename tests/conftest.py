"""Shared helpers: build a class of real submissions from the references, mutants and extra cells."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent  # the checkout: tests read its examples and references

SHARED_DATA = REPO.parent / "shared" / "data"
#: Size of the session's synthetic CIFAR-10 (`grader data synthesize cifar10` with its defaults).
SYNTHETIC_CIFAR10 = {"train": 5000, "test": 2000, "seed": 0}


def reference_text(assignment: str) -> str:
    return (REPO / "reference" / f"{assignment}.py").read_text(encoding="utf-8")


def mutate(text: str, old: str, new: str) -> str:
    """Apply one edit to a reference; fails loudly if the reference changed under the mutant."""
    assert text.count(old) == 1, f"mutant anchor not found exactly once: {old!r}"
    return text.replace(old, new)


def with_cell(text: str, cell: str, *, first: bool = False) -> str:
    """A reference plus one extra code cell (at the end, or right after the imports cell)."""
    if first:
        return f"# %%\n{cell}\n\n{text}"
    return f"{text}\n\n# %%\n{cell}\n"


def reference_notebook(assignment: str) -> str:
    """A correct notebook as a student hands it in: the student notebook, the reference's solution in
    a last cell (its stubs, left in, are overridden)."""
    import json

    from grader.notebooks import student_notebook

    nb = student_notebook(assignment)
    nb["cells"].append({"cell_type": "code", "execution_count": None, "id": "solution", "metadata": {},
                        "outputs": [], "source": reference_text(assignment).splitlines(keepends=True)})
    return json.dumps(nb)


def write_class(folder: Path, entries: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in entries.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def by_student(run) -> dict:
    return {r.student: r for r in run.results}


def question_scores(result) -> dict[str, float]:
    return {qs.question.id: qs.score for qs in result.questions}


def assert_loses_exactly(result, question: str) -> None:
    """A mutant: below full marks on `question`, full marks everywhere else (written answers, graded
    by hand, are pending: no mutant can lose them)."""
    for qs in result.questions:
        if qs.question.manual:
            assert qs.pending, f"{result.student}: {qs.question.id} graded without a hand score"
            continue
        detail = [(c.name, c.status.value, c.message.fr[:200]) for c in qs.checks]
        if qs.question.id == question:
            assert qs.score < qs.question.points, f"{result.student}: {question} not lost: {detail}"
        else:
            assert qs.score == qs.question.points, f"{result.student}: {qs.question.id} lost: {detail}"


def synthetic_cifar10_dir() -> Path:
    """A folder holding `cifar10-synthetic.npz` (5 000 + 2 000 images, seed 0), generated once.

    Real CIFAR-10 cannot be had offline. The file is cached in the system's temp folder under a hash
    of the generator, so test sessions after the first pay nothing and a changed generator is seen.
    """
    from grader.data import catalogue
    from grader.data.importing import synthesize

    source = (REPO / "grader" / "data" / "synthetic.py").read_bytes() + repr(sorted(SYNTHETIC_CIFAR10.items())).encode()
    folder = Path(tempfile.gettempdir()) / "tp-grader-tests" / f"synthetic-{hashlib.sha256(source).hexdigest()[:16]}"
    if not (folder / catalogue.SYNTHETIC_FILES["cifar10"]).is_file():
        synthesize("cifar10", dest_root=folder, **SYNTHETIC_CIFAR10)  # atomic: parallel sessions are safe
    return folder


_LOCAL_HOSTS = {"127.0.0.1", "::1", "localhost", "0.0.0.0", ""}


@pytest.fixture(scope="session", autouse=True)
def _no_network():
    """No test touches the network: in this process (the judge, dataset lookup, imports, reports) any
    connection that leaves the machine raises. Runners have none anyway (seccomp, bwrap --unshare-net)."""
    import socket

    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def _check(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0] if isinstance(address, tuple) else str(address)
            if host not in _LOCAL_HOSTS:
                raise ConnectionRefusedError(f"test tried to reach the network: {address!r}")

    def connect(sock, address):
        _check(sock, address)
        return real_connect(sock, address)

    def connect_ex(sock, address):
        _check(sock, address)
        return real_connect_ex(sock, address)

    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
    yield
    socket.socket.connect, socket.socket.connect_ex = real_connect, real_connect_ex


@pytest.fixture(scope="session", autouse=True)
def _offline_data_dir():
    """GRADER_DATA_DIR: the caller's, else ../shared/data (real MNIST, Fashion-MNIST), then a synthetic
    CIFAR-10 last, so a real CIFAR-10 anywhere still wins and TP tests always have one."""
    from grader.data import lookup

    first = os.environ.get("GRADER_DATA_DIR") or (str(SHARED_DATA) if SHARED_DATA.is_dir() else
                                                  os.pathsep.join(map(str, lookup.data_dirs())))
    os.environ["GRADER_DATA_DIR"] = os.pathsep.join([first, str(synthetic_cifar10_dir())])
    yield


def required_layers() -> set[int]:
    """Layers this machine must give (`.ci/run` sets GRADER_REQUIRE_LAYERS where it can: root, a working bwrap)."""
    return {int(x) for x in os.environ.get("GRADER_REQUIRE_LAYERS", "").split(",") if x.strip().isdigit()}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A containment case skipped for a layer the machine must give fails the run: a regression in
    the probe can no longer hide behind skips."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and required_layers() and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2])
        if "sandbox layer" in reason:
            wanted = {int(d) for d in re.findall(r"\d", reason.split("sandbox layer", 1)[1].split(";")[0])}
            if missing := sorted(wanted & required_layers()):
                report.outcome = "failed"
                report.longrepr = f"skipped for sandbox layer {missing}, which this machine must give: {reason}"


# -- both languages ------------------------------------------------------------------------------
#: Words only French text has (accents included): found in an English page, something was not translated.
_FRENCH = re.compile(r"[éèêëàâùûçôœÉÈÀÇ]|\b(?:le|la|les|des|du|une|est|sont|pas|pour|avec|dans|attendu|vérifiez|"
                     r"cellule|copie|élève|seuil|réussi|échoué|au lieu de|n'est|d'entraînement)\b", re.I)
#: Words only English text has: found in a French page, something was not translated.
_ENGLISH = re.compile(r"\b(?:the|expected|should|instead of|is not|not defined|raised an error|hidden images|"
                      r"threshold|passed|failed|check that|found|submission)\b", re.I)


def _page_texts(page: str) -> tuple[list[str], list[str]]:
    """(our texts, the student's verbatim blocks) of an HTML page: `<pre>` holds the student's output and
    tracebacks (their own words, in any language); inline `<code>` holds names and values."""
    import html as html_mod

    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    verbatim = [html_mod.unescape(re.sub(r"<[^>]+>", "", m)) for m in re.findall(r"<pre\b.*?</pre>", page, flags=re.S)]
    page = re.sub(r"<pre\b.*?</pre>|<code\b.*?</code>", " ", page, flags=re.S)
    page = re.sub(r'\s(?:src|href)="[^"]*"', " ", page)
    ours = [html_mod.unescape(t).strip() for t in re.split(r"<[^>]+>", page)]
    return [t for t in ours if t], verbatim


def other_language_left(page: str, lang: str, allowed: tuple[str, ...] = ()) -> list[str]:
    """Lines of a report rendered in `lang` that are in the other language (`allowed`: texts that
    are not ours, such as the students' names and the assignment's own titles)."""
    ours, verbatim = _page_texts(page)
    for text in allowed:
        ours = [t.replace(text, " ") for t in ours]
    wrong = _FRENCH if lang == "en" else _ENGLISH
    found = [t for t in ours if wrong.search(t)]
    if lang == "en":  # the runner's own words inside a traceback: its cell names
        found += [line.strip() for block in verbatim for line in block.splitlines() if '"cellule [' in line]
    return found


def assert_failures_in_both_languages(run) -> None:
    """Every check that did not pass says so in English as well as French, as fully: an English text
    that is empty, the French one again, or under 60% of its length has dropped a part (the hint,
    the expected value, the way to fix it)."""
    from grader.model import Message, Status

    short = []
    for r in run.results:
        for c in (c for qs in r.questions for c in qs.checks):
            if c.status is Status.PASSED or not isinstance(c.message, Message) or not c.message.fr.strip():
                continue
            fr, en = c.message.fr, c.message.en
            if not en.strip() or (en == fr and _FRENCH.search(fr)) or (len(fr) >= 15 and len(en) < 0.6 * len(fr)):
                short.append(f"{r.student} {c.name} ({c.status.value}): {en!r} for {fr!r}")
    assert not short, short[:8]


def assert_reports_in_each_language(run) -> None:
    """Every student's report and the summary of a graded class, in English then French: no text of
    the other language (the student's own outputs and code left aside); and every failure in both
    languages (`assert_failures_in_both_languages`)."""
    from grader.reports.html import render_report, render_summary

    assert_failures_in_both_languages(run)

    a = run.assignment
    allowed = tuple(r.student for r in run.results) + (a.title.fr, a.title.en or a.title.fr) \
        + tuple(t for q in a.questions for t in (q.title.fr, q.title.en))
    for lang in ("en", "fr"):
        pages = {r.student: render_report(r, a, lang) for r in run.results}
        pages["summary"] = render_summary(list(run.results), a, lang)
        for name, page in pages.items():
            left = other_language_left(page, lang, allowed)
            assert not left, f"{a.id} {name} ({lang}): {left[:8]}"
