"""Hardware profile (GPU or CPU) and what it buys: training budgets, thresholds, time limits.

A TP's own protocol (say 5 epochs on 60 000 images) is fine on a GPU and far too slow for a
class on a 2-core grader. Under the "cpu" profile a student's `Model.fit` is capped as the
assignment's `[budget.cpu]` says, and accuracy thresholds must be what the *reference* reaches
under that same budget on this machine: `grader calibrate ID` measures it and stores it in
`assignments/<id>/calibration.json`, keyed by profile and machine. Without a calibration the
safe defaults of `assignment.toml` apply, and the plan says so.

Hardware is read without importing TensorFlow (`nvidia-smi`, `/proc`), so the grader stays light.
"""

from __future__ import annotations

import functools
import glob
import importlib.util
import json
import math
import os
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from grader.model import Assignment, Message

PROFILES = ("cpu", "gpu")
#: What a `[budget.<profile>]` table may cap (all optional): per `fit` call, epochs and training
#: examples (`validation_size` caps `validation_data`); what `load_data()` serves
#: (`serve_train`, `serve_test`); how many held-out test images the judge sends (`holdout`).
TRAINING_KEYS = ("epochs", "train_size", "validation_size", "max_batch_size", "serve_train", "serve_test", "holdout")
CALIBRATION_FILE = "calibration.json"
DEFAULT_MARGIN = 0.05
DEFAULT_TIME_FACTOR = 3.0
DEFAULT_TIME_SLACK = 60.0
DEFAULT_STEP_FACTOR = 20.0  # a cell or a call may take 20 times the reference's slowest one...
DEFAULT_FLOORS = {"cell_timeout": 10.0, "call_timeout": 15.0}  # ...and never less than this


@dataclass(frozen=True)
class Hardware:
    cpu_cores: int
    cpu_model: str
    gpus: tuple[str, ...] = ()
    cuda_libs: bool = False  # TensorFlow's CUDA wheels are installed, so it can use a GPU

    @property
    def machine(self) -> str:
        """Calibration key: the hardware, not the host name (CI machines come and go)."""
        if self.gpus:
            return f"{len(self.gpus)} x {self.gpus[0]}"
        return f"{self.cpu_cores} cores {self.cpu_model}".strip()


def _gpus() -> tuple[str, ...]:
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip() in ("", "-1"):
        return ()
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True,
                             text=True, timeout=15, check=True).stdout
        names = tuple(line.strip() for line in out.splitlines() if line.strip())
    except (OSError, subprocess.SubprocessError):
        names = ()
        for info in sorted(glob.glob("/proc/driver/nvidia/gpus/*/information")):
            with open(info, encoding="utf-8", errors="replace") as f:
                model = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("Model:")), "NVIDIA GPU")
            names += (model,)
    if visible:
        keep = [int(i) for i in visible.split(",") if i.strip().isdigit()]
        names = tuple(names[i] for i in keep if i < len(names)) if keep else names
    return names


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            return next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "")
    except OSError:
        return ""


def cpu_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@functools.lru_cache(maxsize=1)
def detect() -> Hardware:
    cuda = any(importlib.util.find_spec(m) is not None for m in ("nvidia.cudnn", "nvidia.cuda_runtime")) \
        if importlib.util.find_spec("nvidia") is not None else False
    return Hardware(cpu_cores(), _cpu_model(), _gpus(), cuda)


def choose_profile(hw: Hardware, requested: str | None = None) -> tuple[str, Message]:
    """(profile, why): `requested`, else `$GRADER_PROFILE`, else "gpu" only where TensorFlow can use one."""
    wanted = requested or os.environ.get("GRADER_PROFILE") or None
    if wanted:
        if wanted not in PROFILES:
            raise ValueError(f"unknown profile {wanted!r}; known: {', '.join(PROFILES)}")
        return wanted, Message("profil demandé", "profile asked for")
    if hw.gpus and hw.cuda_libs:
        return "gpu", Message(f"GPU : {', '.join(hw.gpus)}", f"GPU: {', '.join(hw.gpus)}")
    if hw.gpus:
        return "cpu", Message(f"GPU détecté ({hw.gpus[0]}) mais TensorFlow n'a pas ses bibliothèques CUDA "
                              "(pip install 'tensorflow[and-cuda]') : profil cpu",
                              f"GPU found ({hw.gpus[0]}) but TensorFlow lacks its CUDA libraries "
                              "(pip install 'tensorflow[and-cuda]'): cpu profile")
    return "cpu", Message(f"aucun GPU : {hw.cpu_cores} cœur(s) CPU", f"no GPU: {hw.cpu_cores} CPU core(s)")


@dataclass(frozen=True)
class Plan:
    """What one grading run allows, for the runner (caps), the checks (thresholds) and the session (time)."""

    profile: str
    machine: str
    training: dict = field(default_factory=dict)
    thresholds: dict = field(default_factory=dict)
    limits: dict = field(default_factory=dict)  # Limits overrides from the calibration
    datasets: tuple[str, ...] = ()
    calibrated: bool = False
    notes: tuple[Message, ...] = ()
    origins: dict = field(default_factory=dict)  # question -> where its threshold comes from (for messages)
    peak_mb: float = 0.0  # the calibrated reference's peak memory per runner (0: unknown), sizes the workers

    def runner_budget(self) -> dict:
        """What `grader.runner.patches.install` reads from the runner's limits."""
        return {"profile": self.profile, **self.training}

    def options(self) -> dict:
        """What checks read as `ctx.option("budget", {})`."""
        return {"profile": self.profile, "machine": self.machine, "training": dict(self.training),
                "thresholds": dict(self.thresholds), "calibrated": self.calibrated, "origins": dict(self.origins)}


def config(assignment: Assignment) -> dict:
    """The `[budget]` table of the assignment's TOML ({} when it has none)."""
    path = Path(assignment.folder) / "assignment.toml"
    if not assignment.folder or not path.is_file():
        return {}
    return dict(tomllib.loads(path.read_text(encoding="utf-8")).get("budget", {}))


def read_calibration(folder: Path) -> dict:
    path = Path(folder) / CALIBRATION_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_calibration(folder: Path, key: str, entry: dict) -> Path:
    path = Path(folder) / CALIBRATION_FILE
    data = read_calibration(folder)
    data[key] = entry
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def calibration_key(profile: str, hw: Hardware) -> str:
    return f"{profile} / {hw.machine}"


def derived(entry: dict, cfg: dict) -> tuple[dict, dict]:
    """(thresholds, limits) from a calibration: reference score - margin; factor x reference time + slack.

    Questions listed in `lower_is_better` (an error such as a reconstruction MSE) get score + margin.
    """
    margins = dict(cfg.get("margins", {}))
    lower = set(cfg.get("lower_is_better", []))
    thresholds = {q: round(float(s) + (1 if q in lower else -1) * float(margins.get(q, DEFAULT_MARGIN)), 4)
                  for q, s in dict(entry.get("scores", {})).items()}
    limits = {}
    if entry.get("seconds"):
        factor = float(cfg.get("time_factor", DEFAULT_TIME_FACTOR))
        slack = float(cfg.get("time_slack", DEFAULT_TIME_SLACK))
        limits["wall_timeout"] = float(math.ceil(factor * float(entry["seconds"]) + slack))
    if cfg.get("calibrated_limits", True):  # `calibrated_limits = false`: the TOML's cell and call limits stand
        step = float(cfg.get("step_factor", DEFAULT_STEP_FACTOR))
        for key, measured, floor in (("cell_timeout", "cell_seconds", "cell_floor"),
                                     ("call_timeout", "call_seconds", "call_floor")):
            if entry.get(measured):
                low = float(cfg.get(floor, DEFAULT_FLOORS[key]))
                limits[key] = float(max(low, math.ceil(step * float(entry[measured]))))
                limits.setdefault("origins", {})[key] = _limit_origin(key, limits[key], step, float(entry[measured]),
                                                                      low)
    return thresholds, limits


def _limit_origin(key: str, limit: float, step: float, measured: float, floor: float) -> dict[str, str]:
    """Why a calibrated limit is what it is, in the words a student reads beside a time-out."""
    what = Message("la cellule la plus lente", "the slowest cell") if key == "cell_timeout" else \
        Message("l'appel le plus long", "the longest call")
    fr_measured = f"{measured:.2g}".replace(".", ",")
    if limit <= floor:
        return Message(f"limite {limit:g} s : le minimum, {step:g} fois {what.fr} de la solution "
                       f"({fr_measured} s) étant moins",
                       f"limit {limit:g} s: the minimum, {step:g} times {what.en} of the solution "
                       f"({measured:.2g} s) being less").as_dict()
    return Message(f"limite {limit:g} s : {step:g} fois {what.fr} de la solution ({fr_measured} s)",
                   f"limit {limit:g} s: {step:g} times {what.en} of the solution ({measured:.2g} s)").as_dict()


def plan(assignment: Assignment, *, profile: str | None = None, overrides: dict | None = None,
         hardware: Hardware | None = None, use_calibration: bool = True) -> Plan:
    """The run's plan: profile, `[budget.<profile>]` (with `overrides`), thresholds and time limits."""
    hw = hardware or detect()
    name, why = choose_profile(hw, profile)
    cfg = config(assignment)
    table = dict(cfg.get(name, {}))
    training = {k: int(table[k]) for k in TRAINING_KEYS if table.get(k)}
    overrides = dict(overrides or {})
    forced_thresholds = dict(overrides.pop("thresholds", {}) or {})
    training.update({k: int(v) for k, v in overrides.items() if k in TRAINING_KEYS and v})
    training = {k: v for k, v in training.items() if v}
    thresholds = {q: float(v) for q, v in dict(table.get("thresholds", {})).items()}
    origins = dict.fromkeys(thresholds, "par défaut, machine non calibrée")
    notes = [Message(f"Profil {name} : {why.fr}.", f"Profile {name}: {why.en}.")]
    key = calibration_key(name, hw)
    entry = read_calibration(Path(assignment.folder)).get(key) if use_calibration and assignment.folder else None
    limits: dict = {}
    calibrated = False
    datasets = tuple(str(d) for d in cfg.get("datasets", ()))
    synthetic = synthetic_datasets(datasets)
    same_data = sorted(entry.get("synthetic", [])) == synthetic if entry else False
    if entry and dict(entry.get("training", {})) == training and same_data:
        calibrated_thresholds, limits = derived(entry, cfg)
        thresholds.update(calibrated_thresholds)
        origins.update(dict.fromkeys(calibrated_thresholds, "calibré sur cette machine"))
        calibrated = True
        seconds = float(entry.get("seconds", 0))
        notes.append(Message(f"Calibré sur cette machine ({key}) le {entry.get('date', '?')} : référence "
                             f"{_scores(entry, 'sans mesure')} en {seconds:.0f} s.",
                             f"Calibrated on this machine ({key}) on {entry.get('date', '?')}: reference "
                             f"{_scores(entry, 'no measure')} in {seconds:.0f} s."))
        for why in dict(limits.get("origins", {})).values():
            notes.append(Message(why["fr"].replace("limite", "Limite", 1), why["en"].replace("limit", "Limit", 1)))
    elif cfg or entry:
        reason = ("absente" if not entry else "pour un autre budget" if same_data else
                  "faite sur d'autres données (réelles / synthétiques)")
        reason_en = ("missing" if not entry else "made for another budget" if same_data else
                     "made on other data (real / synthetic)")
        shown = _thresholds(thresholds, cfg)
        notes.append(Message(f"Calibration {reason} pour « {key} » : seuils par défaut ({shown or 'aucun'}) et "
                             f"limites de temps de assignment.toml ; lancez `grader calibrate {assignment.id}`.",
                             f"Calibration {reason_en} for '{key}': default thresholds ({shown or 'none'}) and "
                             f"time limits from assignment.toml; run `grader calibrate {assignment.id}`."))
    thresholds.update({q: float(v) for q, v in forced_thresholds.items()})
    origins.update(dict.fromkeys(forced_thresholds, "imposé"))
    peak = float(entry.get("peak_mb", 0) or 0) if calibrated and entry else 0.0
    return Plan(name, hw.machine, training, thresholds, limits, datasets, calibrated, tuple(notes), origins, peak)


def _scores(entry: dict, none: str) -> str:
    return ", ".join(f"{q} = {float(s):.4f}" for q, s in dict(entry.get("scores", {})).items()) or none


#: Where a threshold comes from (`Plan.origins`, stored in French with the run's budget), in English.
_ORIGINS_EN = {"par défaut, machine non calibrée": "default, machine not calibrated",
               "calibré sur cette machine": "calibrated on this machine", "imposé": "set for this run",
               "par défaut": "default"}


def origin_message(origin: str) -> Message:
    """A threshold's origin as the student reads it, in both languages."""
    return Message(origin, _ORIGINS_EN.get(origin, origin))


def _thresholds(thresholds: dict, cfg: dict) -> str:
    lower = set(cfg.get("lower_is_better", []))
    return ", ".join(f"{q} {'≤' if q in lower else '≥'} {v:g}" for q, v in thresholds.items())


def synthetic_datasets(names: tuple[str, ...] | list[str]) -> list[str]:
    """Which of `names` this machine has only as a synthetic stand-in (a calibration on those is not
    valid for the real dataset, nor the reverse)."""
    from grader.data import (  # lazy: keeps `grader.budget` light for the runner side
        catalogue,
        lookup,
    )

    found = [(name, lookup.locate(name)) for name in names if name in catalogue.NAMES]
    return sorted(name for name, source in found if source is not None and getattr(source, "synthetic", False))
