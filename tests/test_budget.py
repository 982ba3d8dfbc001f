"""Hardware profile, budgets from assignment.toml, calibration (real, on a tiny assignment) and its use."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from grader import budget
from grader.assignments import load
from grader.calibration import calibrate
from grader.model import Assignment, Message

CPU = budget.Hardware(2, "Test CPU")
GPU = budget.Hardware(16, "Test CPU", ("NVIDIA H100 80GB HBM3",), cuda_libs=True)

TOML = """
id = "tp-tiny"
[title]
fr = "Minuscule"
[limits]
wall_timeout = 60
cell_timeout = 30
[budget]
time_factor = 2.0
time_slack = 10
[budget.margins]
q1 = 0.2
[budget.cpu]
epochs = 2
train_size = 1000
[budget.cpu.thresholds]
q1 = 0.5
[budget.gpu]
epochs = 5
[[questions]]
id = "q1"
points = 20
"""

CHECKS = '''
from grader.judge.registry import Registry, fail
checks = Registry()

def score(obs, ctx):
    return float(obs.value("score"))

@checks("q1")
def check_score_reaches_threshold(obs, ctx):
    threshold = ctx.option("budget", {}).get("thresholds", {}).get("q1", 0.0)
    if score(obs, ctx) < threshold:
        raise fail("trop bas", "too low")

MEASURES = {"q1": score}
'''


@pytest.fixture(autouse=True)
def _no_profile_env(monkeypatch):
    monkeypatch.delenv("GRADER_PROFILE", raising=False)


@pytest.fixture
def tiny(tmp_path):
    """An assignment of its own (no TensorFlow): its reference sets `score = 0.9`."""
    root = tmp_path / "assignments"
    (root / "tp-tiny").mkdir(parents=True)
    (root / "tp-tiny" / "assignment.toml").write_text(TOML)
    (root / "tp-tiny" / "checks.py").write_text(CHECKS)
    reference = tmp_path / "reference.py"
    reference.write_text("score = 0.9\n")
    return root, reference


def test_profile_follows_the_hardware():
    assert budget.choose_profile(CPU) == ("cpu", Message("aucun GPU : 2 cœur(s) CPU", "no GPU: 2 CPU core(s)"))
    assert budget.choose_profile(GPU)[0] == "gpu"
    no_cuda = budget.Hardware(8, "x", ("Tesla T4",), cuda_libs=False)
    profile, why = budget.choose_profile(no_cuda)
    assert profile == "cpu" and "tensorflow[and-cuda]" in why.fr and "tensorflow[and-cuda]" in why.en
    assert budget.choose_profile(CPU, "gpu") == ("gpu", Message("profil demandé", "profile asked for"))
    with pytest.raises(ValueError):
        budget.choose_profile(CPU, "tpu")


def test_profile_from_environment(monkeypatch):
    monkeypatch.setenv("GRADER_PROFILE", "gpu")
    assert budget.choose_profile(CPU)[0] == "gpu"


def test_gpus_read_from_nvidia_smi_without_tensorflow(tmp_path, monkeypatch):
    smi = tmp_path / "nvidia-smi"
    smi.write_text("#!/bin/sh\necho 'NVIDIA H100 80GB HBM3'\necho 'NVIDIA H100 80GB HBM3'\n")
    smi.chmod(smi.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert budget._gpus() == ("NVIDIA H100 80GB HBM3",) * 2
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    assert len(budget._gpus()) == 1
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert budget._gpus() == ()
    assert GPU.machine == "1 x NVIDIA H100 80GB HBM3" and CPU.machine == "2 cores Test CPU"


def test_detect_reports_this_machine():
    hw = budget.detect()
    assert hw.cpu_cores >= 1 and hw.machine


def _assignment(root: Path) -> Assignment:
    return Assignment("tp-tiny", Message("t"), (), folder=str(root / "tp-tiny"), limits={"wall_timeout": 60})


def test_uncalibrated_plan_uses_safe_defaults_and_says_so(tiny):
    root, _ = tiny
    plan = budget.plan(_assignment(root), hardware=CPU)
    assert plan.profile == "cpu" and plan.training == {"epochs": 2, "train_size": 1000}
    assert plan.thresholds == {"q1": 0.5} and not plan.calibrated and plan.limits == {}
    assert any("grader calibrate tp-tiny" in n.fr and "run `grader calibrate tp-tiny`" in n.en for n in plan.notes)
    assert plan.runner_budget() == {"profile": "cpu", "epochs": 2, "train_size": 1000}
    gpu = budget.plan(_assignment(root), hardware=GPU)
    assert gpu.profile == "gpu" and gpu.training == {"epochs": 5} and gpu.thresholds == {}


def test_overrides_change_the_budget_and_force_thresholds(tiny):
    root, _ = tiny
    plan = budget.plan(_assignment(root), hardware=CPU, overrides={"epochs": 1, "thresholds": {"q1": 0.1}})
    assert plan.training == {"epochs": 1, "train_size": 1000} and plan.thresholds == {"q1": 0.1}
    assert plan.options()["origins"] == {"q1": "imposé"}


def test_calibration_sets_thresholds_and_time_for_its_machine_and_budget(tiny):
    root, _ = tiny
    a = _assignment(root)
    entry = {"training": {"epochs": 2, "train_size": 1000}, "seconds": 12.3, "scores": {"q1": 0.93},
             "date": "2025-01-01"}
    path = budget.write_calibration(Path(a.folder), budget.calibration_key("cpu", CPU), entry)
    assert json.loads(path.read_text())["cpu / 2 cores Test CPU"]["seconds"] == 12.3
    plan = budget.plan(a, hardware=CPU)
    assert plan.calibrated and plan.thresholds == {"q1": 0.73}  # 0.93 - margin 0.2
    assert plan.limits == {"wall_timeout": 35.0}  # ceil(2 x 12.3 + 10)
    assert plan.options()["origins"] == {"q1": "calibré sur cette machine"}
    other_budget = budget.plan(a, hardware=CPU, overrides={"epochs": 1})
    assert not other_budget.calibrated and other_budget.thresholds == {"q1": 0.5}
    assert any("autre budget" in n.fr and "another budget" in n.en for n in other_budget.notes)
    other_machine = budget.plan(a, hardware=budget.Hardware(64, "Other CPU"))
    assert not other_machine.calibrated and any("absente" in n.fr for n in other_machine.notes)


def test_plan_of_an_assignment_without_budget_is_quiet(tmp_path):
    a = Assignment("tp-x", Message("x"), (), folder=str(tmp_path))
    plan = budget.plan(a, hardware=CPU)
    assert plan.training == {} and plan.thresholds == {} and len(plan.notes) == 1  # the profile line only


def test_calibrate_runs_the_reference_and_stores_its_measures(tiny, monkeypatch):
    root, reference = tiny
    monkeypatch.setattr(budget, "detect", lambda: CPU)
    entry = calibrate("tp-tiny", courses=[root.parent], reference=reference)
    assert entry["problems"] == [] and entry["points"] == 20 and entry["scores"] == {"q1": 0.9}
    assert entry["thresholds"] == {"q1": 0.7} and entry["seconds"] > 0
    stored = json.loads((root / "tp-tiny" / "calibration.json").read_text())
    assert stored["cpu / 2 cores Test CPU"]["training"] == {"epochs": 2, "train_size": 1000}
    plan = budget.plan(load("tp-tiny", [root.parent]).assignment, hardware=CPU)
    assert plan.calibrated and plan.thresholds == {"q1": 0.7}


def test_a_reference_that_fails_its_budget_is_not_calibrated(tiny, monkeypatch):
    root, reference = tiny
    reference.write_text("score = 0.3\n")  # below the default threshold 0.5
    monkeypatch.setattr(budget, "detect", lambda: CPU)
    entry = calibrate("tp-tiny", courses=[root.parent], reference=reference)
    assert entry["problems"] and entry["path"] is None
    assert not (root / "tp-tiny" / "calibration.json").exists()


def test_calibrate_says_its_problems_in_the_language_asked(tiny, monkeypatch, capsys):
    """`grader calibrate --lang en` prints English only: the reference's problems are pairs."""
    from grader import cli

    root, reference = tiny
    reference.write_text("score = 0.3\n")
    monkeypatch.setattr(budget, "detect", lambda: CPU)
    entry = calibrate("tp-tiny", courses=[root.parent], reference=reference)
    assert entry["problems"] and all(isinstance(p, Message) and p.fr and p.en for p in entry["problems"])
    (root.parent / "reference").mkdir()
    (root.parent / "reference" / "tp-tiny.py").write_text("score = 0.3\n")  # where the CLI looks for it
    for lang, words, other in (("en", ("reference", "not stored"), ("référence", "non enregistré")),
                               ("fr", ("référence", "non enregistré"), ("not stored", "measures"))):
        assert cli.main(["calibrate", "tp-tiny", "--course", str(root.parent), "--lang", lang]) == 1
        err = " ".join(capsys.readouterr().err.split())
        assert all(w in err for w in words) and not any(w in err for w in other), err
