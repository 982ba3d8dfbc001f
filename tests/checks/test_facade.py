"""`grader.checks`, the one import of a TP's modules: every name resolves, and its runner-side part
(`grader.checks.probes`) brings none of the judge's modules into the runner."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import grader.checks
import grader.checks.probes

ASSIGNMENTS = Path(__file__).resolve().parents[2] / "assignments"


@pytest.mark.parametrize("module", [grader.checks, grader.checks.probes], ids=["checks", "probes"])
def test_every_exported_name_resolves(module):
    for name in module.__all__:
        assert getattr(module, name) is not None, name
    assert set(module.__all__) <= set(dir(module))
    with pytest.raises(AttributeError):
        module.no_such_name  # noqa: B018


def test_the_runner_side_imports_no_judge_module():
    code = ("import sys\n"
            "from grader.checks.probes import error_text, require_keras_model, describe, flat_layers, of_layer\n"
            "print(sorted(m for m in sys.modules if m.startswith('grader')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = ast.literal_eval(out)
    assert not [m for m in loaded if m.startswith(("grader.judge", "grader.model", "grader.data"))], loaded
    assert set(loaded) <= {"grader", "grader.checks", "grader.checks.lazy", "grader.checks.probes", "grader.runner",
                           "grader.runner.probes", "grader.runner.probes.activations", "grader.runner.probes.keras_model"}


def test_assignments_import_grader_checks_only():
    found = []
    for path in sorted(ASSIGNMENTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else
                     [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            found += [f"{path.relative_to(ASSIGNMENTS)}: {n}" for n in names
                      if (n == "grader" or n.startswith("grader.")) and n not in ("grader.checks", "grader.checks.probes")]
    assert not found, found
