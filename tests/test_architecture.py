"""The layout holds: grader/'s import graph, read from the code, has no circle and no import from a
lower layer to a higher one, and what runs inside the runner imports nothing of the judge's.

Every import counts, a lazy one inside a function too: a lazy import is still a dependency, only a
later one. A layer may import its own layer and any layer below it. The layers, lowest first:
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

GRADER = Path(__file__).resolve().parents[1] / "grader"

#: Module prefixes by layer, lowest first; a module's layer is its longest matching prefix's.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("grader", "grader.text", "grader.numbers", "grader.model", "grader.languages"),  # words, records
    ("grader.data",),  # the datasets (the runner reads their files)
    ("grader.runner",),  # the untrusted side, and the grader's handles on it
    ("grader.late", "grader.courses", "grader.budget", "grader.options"),  # what a run is configured with
    ("grader.judge", "grader.checks"),  # the trusted side: observations, comparisons, shared checks
    ("grader.assignments", "grader.notebooks", "grader.selfcheck.check_cells",  # a TP and its student notebook,
     "grader.intake.answers", "grader.intake.percent"),  # where its cells and written answers sit (the
    # notebook generator writes them, intake reads them)
    ("grader.intake", "grader.gradebook"),  # submissions in, records kept
    ("grader.reports",),  # documents from records
    ("grader.grading", "grader.calibration"),  # a class run, one submission's pipeline
    ("grader.lms",),  # Gradescope, PrairieLearn, Canvas, Moodle, roster, manual grading
    ("grader.authoring", "grader.selfcheck", "grader.scaffold"),  # what instructors and students are given
    ("grader.cli", "grader.__main__"),  # parse and delegate
)

#: What runs in a runner's process (and the fork server's): it may import these only.
RUNNER_SIDE = ("grader.runner.worker", "grader.runner.probes", "grader.runner.warm.server",
               "grader.runner.warm.child", "grader.runner.warm.mounts", "grader.runner.supervisor")
RUNNER_MAY_IMPORT = ("grader.runner", "grader.data.files", "grader.data.catalogue", "grader.numbers", "grader.model",
                     "grader.text")  # records and words: no behaviour, no secret


def _modules() -> dict[str, Path]:
    found = {}
    for path in GRADER.rglob("*.py"):
        parts = path.relative_to(GRADER.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str) -> set[str]:
    """The grader modules `module` imports, anywhere in its code."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                stem = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*stem, base] if base else stem)
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        found |= {t for n in names if n.split(".")[0] == "grader" and (t := _resolve(n)) and t != module}
    return found


GRAPH = {m: _imports(m) for m in MODULES}


def layer(module: str) -> int:
    best, rank = "", -1
    for i, prefixes in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > len(best):
                best, rank = p, i
    return rank


def test_every_module_has_a_layer():
    assert not [m for m in MODULES if layer(m) < 0]


def test_no_import_climbs_to_a_higher_layer():
    climbs = sorted(f"{m} (layer {layer(m)}) -> {t} (layer {layer(t)})"
                    for m, targets in GRAPH.items() for t in targets if layer(t) > layer(m))
    assert not climbs, "\n".join(climbs)


def _circles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return found


def test_no_circle():
    assert not _circles()


@pytest.mark.parametrize("start", RUNNER_SIDE)
def test_the_runner_side_imports_only_the_runner_and_the_file_reader(start):
    seen, todo = set(), [m for m in MODULES if m == start or m.startswith(start + ".")]
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(GRAPH[m])
    outside = sorted(m for m in seen if m != "grader" and not m.startswith(RUNNER_MAY_IMPORT))
    assert not outside, outside


def test_the_checker_sees_imports():
    """The graph is read, not assumed: known edges are in it (lazy and package imports too)."""
    assert "grader.intake.discovery" in GRAPH["grader.grading.run"]
    assert "grader.data.importing" in GRAPH["grader.grading.plan"]  # a lazy import
    assert layer("grader.cli.parser") > layer("grader.grading.run") > layer("grader.runner.session")
