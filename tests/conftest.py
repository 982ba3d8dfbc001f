"""Shared helpers: build a class of real submissions from the references, mutants and extra cells."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader import ROOT

SHARED_DATA = ROOT.parent / "shared" / "data"


def reference_text(assignment: str) -> str:
    return (ROOT / "reference" / f"{assignment}.py").read_text(encoding="utf-8")


def mutate(text: str, old: str, new: str) -> str:
    """Apply one edit to a reference; fails loudly if the reference changed under the mutant."""
    assert text.count(old) == 1, f"mutant anchor not found exactly once: {old!r}"
    return text.replace(old, new)


def with_cell(text: str, cell: str, *, first: bool = False) -> str:
    """A reference plus one extra code cell (at the end, or right after the imports cell)."""
    if first:
        return f"# %%\n{cell}\n\n{text}"
    return f"{text}\n\n# %%\n{cell}\n"


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
    """A mutant: below full marks on `question`, full marks everywhere else."""
    for qs in result.questions:
        detail = [(c.name, c.status.value, c.message.fr[:200]) for c in qs.checks]
        if qs.question.id == question:
            assert qs.score < qs.question.points, f"{result.student}: {question} not lost: {detail}"
        else:
            assert qs.score == qs.question.points, f"{result.student}: {qs.question.id} lost: {detail}"


@pytest.fixture(scope="session", autouse=True)
def _offline_data_dir():
    if SHARED_DATA.is_dir():
        os.environ.setdefault("GRADER_DATA_DIR", str(SHARED_DATA))
    yield
