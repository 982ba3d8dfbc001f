"""Where a notebook's self-check finds its TP: the bundle `grader release` wrote, on the student's disk.

What a student has is the release folder (`OUT/`: `assignments/<id>/` holding `bundle.json`, the
public checks and `student.ipynb`, beside `wheels/` and `LISEZMOI.md`), unzipped somewhere. The
init cell looks, in order, at the folder the student names (`init("tp", bundle=...)`), else at
`$GRADER_BUNDLE`, else at the current directory (where Jupyter starts a notebook's kernel: the
notebook's folder) and the folders right under it (the release folder unzipped beside the notebook;
the notebook left inside its own bundle folder). A folder counts as given in any of its three
forms: `OUT`, `OUT/assignments` or `OUT/assignments/<id>`. Nothing above the current directory is
read unless the student names it, and a folder without `bundle.json` is never taken: an
instructor's own course folder (hidden checks and all) is not a bundle.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from grader.model import Message, MessageError

ENV = "GRADER_BUNDLE"
MANIFEST = "bundle.json"
#: folders under the current directory looked into (a home folder has many; the bundle is one of them)
MAX_CHILDREN = 500


class BundleNotFound(MessageError):
    """No bundle for the TP where the self-check looked; `message` says where and what to do."""

    def __init__(self, message: Message) -> None:
        super().__init__(message, "en")


@dataclass(frozen=True)
class Bundle:
    """A TP's bundle: its folder (`OUT/assignments/<id>`) and what `bundle.json` says."""

    assignment: str
    folder: Path
    public_checks: tuple[str, ...] = ()
    #: question -> how many hidden checks it has (never their names); None for a bundle that predates it
    hidden_by_question: dict[str, int] | None = None
    grader_version: str = ""


def _manifest(folder: Path) -> dict | None:
    try:
        path = folder / MANIFEST
        if not path.is_file() or not (folder / "assignment.toml").is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("assignment"), str) else None


def _as_bundle(folder: Path, data: dict) -> Bundle:
    hidden = data.get("hidden_by_question")
    return Bundle(str(data["assignment"]), folder, tuple(str(n) for n in data.get("public_checks") or ()),
                  {str(q): int(n) for q, n in hidden.items() if isinstance(n, int)} if isinstance(hidden, dict)
                  else None, str(data.get("grader_version", "")))


def _in(root: Path, assignment: str | None) -> Bundle | None:
    """The TP's bundle in `root` given as OUT, OUT/assignments or OUT/assignments/<id>; with no id, the
    one TP it holds (several: None, the caller must name one)."""
    forms = [root] + ([root / assignment, root / "assignments" / assignment] if assignment else [])
    for folder in forms:
        data = _manifest(folder)
        if data is not None and assignment in (None, data["assignment"]):
            return _as_bundle(folder, data)
    if assignment is None:
        found = [b for holder in (root, root / "assignments") for b in _children(holder)]
        if len(found) == 1:
            return found[0]
    return None


def _children(holder: Path) -> list[Bundle]:
    try:
        entries = sorted(p for p in holder.iterdir() if p.is_dir())[:MAX_CHILDREN]
    except OSError:
        return []
    return [_as_bundle(p, data) for p in entries if (data := _manifest(p))]


def _subfolders(root: Path) -> list[Path]:
    try:
        return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))[:MAX_CHILDREN]
    except OSError:
        return []


def find(assignment: str | None, named: str | os.PathLike | None = None, cwd: Path | None = None) -> Bundle:
    """The bundle of TP `assignment` (None: the only one found); `BundleNotFound` says where it looked."""
    if named is None and os.environ.get(ENV, "").strip():
        named = os.environ[ENV].strip()
    if named is not None:
        root = Path(named).expanduser()
        found = _in(root, assignment)
        if found is None:
            raise BundleNotFound(_not_there(assignment, root, explicit=True))
        return found
    here = Path(cwd or os.getcwd())
    for root in (here, *_subfolders(here)):
        found = _in(root, assignment)
        if found is not None:
            return found
    raise BundleNotFound(_not_there(assignment, here, explicit=False))


def _not_there(assignment: str | None, where: Path, *, explicit: bool) -> Message:
    tp = assignment or "TP"
    what_fr = f"le dossier du TP « {tp} » écrit par `grader release` (celui qui contient `assignments/{tp}/bundle.json`)"
    what_en = f"the folder of TP '{tp}' that `grader release` wrote (the one holding `assignments/{tp}/bundle.json`)"
    how_fr = (f'Donnez son chemin : `init("{tp}", bundle="CHEMIN/DU/DOSSIER")`, ou la variable d\'environnement '
              f"{ENV} ; ou ouvrez le notebook depuis ce dossier (ou un dossier qui le contient directement).")
    how_en = (f'Give its path: `init("{tp}", bundle="PATH/TO/THE/FOLDER")`, or the environment variable {ENV}; '
              "or open the notebook from that folder (or a folder holding it directly).")
    if explicit:
        return Message(f"Auto-vérification : {what_fr} n'est pas dans `{where}`. {how_fr}",
                       f"Self-check: {what_en} is not in `{where}`. {how_en}")
    return Message(f"Auto-vérification : {what_fr} est introuvable dans le dossier courant (`{where}`) et les "
                   f"dossiers juste en dessous. {how_fr}",
                   f"Self-check: {what_en} is neither in the current folder (`{where}`) nor in the folders right "
                   f"under it. {how_en}")
