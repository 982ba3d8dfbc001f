"""What a student is given beside the release bundle: the student wheel and what to do with it.

`grader release` writes, next to `OUT/assignments/<id>/`, `OUT/wheels/` holding the grader as a
student wheel (`grader.lms.wheel`, `student=True`: the grader's code without the built-in course,
so no reference, no hidden check, no threshold) and `OUT/LISEZMOI.md`, the instructions in French
then English: install that wheel (nothing else named `tp-grader`), then `grader check NOTEBOOK
--bundle OUT`, or run the notebook's own self-check cells (`grader.selfcheck`: where they find the
bundle, how to name it, English). The two together are everything a student installs or downloads
to self-check.

The instructions list every TP released into OUT (each `bundle.json`), so releasing several TPs
into one folder gives one page. A `LISEZMOI.md` this module did not write is never replaced, nor
is any wheel but the student wheels it wrote.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from grader.authoring import AuthoringError
from grader.lms.wheel import WheelError, build_wheel
from grader.model import Message, MessageError

INSTRUCTIONS = "LISEZMOI.md"
WHEELS = "wheels"
MARK = "<!-- written by `grader release`: replaced at every release -->"
STUDENT_WHEELS = "tp_grader-*+student-py3-none-any.whl"


class KitError(MessageError, AuthoringError):
    """The student kit cannot be written (no wheel can be made here, or a file would be replaced)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message, "en")


@dataclass(frozen=True)
class Kit:
    wheel: Path  # OUT/wheels/tp_grader-<version>+student-py3-none-any.whl
    instructions: Path  # OUT/LISEZMOI.md


def check_target(out: Path) -> None:
    """Refuse before anything is written when OUT holds a LISEZMOI.md of someone else's."""
    page = Path(out) / INSTRUCTIONS
    if page.is_symlink() or (page.exists() and not _ours(page)):
        raise KitError(Message(f"{page} existe et n'a pas été écrit par `grader release` : choisissez un autre "
                               "--out (ou supprimez-le)",
                               f"{page}: exists and was not written by `grader release`; choose another --out "
                               "(or remove it)"))


def _ours(page: Path) -> bool:
    try:
        return page.is_file() and page.read_text(encoding="utf-8").startswith(MARK)
    except (OSError, UnicodeDecodeError):
        return False


def build_student_wheel(dest: Path) -> Path:
    try:
        return build_wheel(dest, student=True)
    except WheelError as e:
        raise KitError(Message(f"le wheel élève ne peut pas être construit ici : {e}",
                               f"the student wheel cannot be built here: {e}")) from e


def install(out: Path, wheel: Path) -> Kit:
    """Move a built student wheel into OUT/wheels/ (replacing earlier student wheels), then write
    the instructions for every TP released into OUT."""
    out = Path(out)
    check_target(out)
    folder = out / WHEELS
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / wheel.name
    for old in folder.glob(STUDENT_WHEELS):
        if old.name != wheel.name and old.is_file() and not old.is_symlink():
            old.unlink()
    shutil.copyfile(wheel, target.with_name(f".{target.name}.tmp"))
    os.replace(target.with_name(f".{target.name}.tmp"), target)
    page = out / INSTRUCTIONS
    tmp = page.with_name(f".{page.name}.tmp")
    tmp.write_text(instructions(target.name, released(out)), encoding="utf-8")
    os.replace(tmp, page)
    return Kit(target, page)


def write_kit(out: Path) -> Kit:
    """Build the student wheel and write it with the instructions into OUT."""
    check_target(Path(out))
    with tempfile.TemporaryDirectory(prefix="grader-kit-") as tmp:
        return install(out, build_student_wheel(Path(tmp)))


@dataclass(frozen=True)
class Released:
    id: str
    title_fr: str
    title_en: str


def released(out: Path) -> list[Released]:
    """The TPs whose bundle lies in OUT/assignments/, by id."""
    found = []
    for manifest in sorted(Path(out).glob("assignments/*/bundle.json")):
        folder = manifest.parent
        try:
            aid = json.loads(manifest.read_text(encoding="utf-8"))["assignment"]
            title = tomllib.loads((folder / "assignment.toml").read_text(encoding="utf-8")).get("title", {})
        except (OSError, ValueError, KeyError, tomllib.TOMLDecodeError):
            continue
        if isinstance(title, str):
            title = {"fr": title, "en": title}
        found.append(Released(str(aid), str(title.get("fr", aid)), str(title.get("en", title.get("fr", aid)))))
    return found


def instructions(wheel: str, tps: list[Released]) -> str:
    """The page a student reads first: French, then English."""
    fr_list = "\n".join(f"- `{t.id}` — {t.title_fr} : le notebook à compléter est "
                        f"`assignments/{t.id}/student.ipynb`" for t in tps) or "- (aucun)"
    en_list = "\n".join(f"- `{t.id}` — {t.title_en}: the notebook to complete is "
                        f"`assignments/{t.id}/student.ipynb`" for t in tps) or "- (none)"
    reinstall = f'pip install --force-reinstall --no-deps "{WHEELS}/{wheel}"'
    example = tps[0].id if tps else "tp"
    return f"""{MARK}
# Auto-vérification / Self-check

*English below.*

## Français

Ce dossier est tout ce qu'il faut pour vérifier votre travail avant de le rendre. Il ne contient
ni solution, ni vérification cachée, ni seuil de notation.

{fr_list}

Copiez votre notebook hors de ce dossier avant de le compléter : une nouvelle version du dossier
le remplacerait.

### Installer (une fois)

Avec Python 3.11 ou plus récent, depuis ce dossier :

```
python3 -m venv ~/venv-tp
. ~/venv-tp/bin/activate
pip install "{WHEELS}/{wheel}"
```

pip installe aussi TensorFlow, NumPy et les autres dépendances. N'installez aucun autre paquet
`tp-grader` (ni depuis PyPI, ni celui de l'enseignant) : ce fichier `{WHEELS}/{wheel}` suffit.
Si l'enseignant publie une nouvelle version de ce dossier, réinstallez depuis la nouvelle :
`{reinstall}`.

### Vérifier votre notebook

Depuis ce dossier, l'environnement activé :

```
grader check CHEMIN/VERS/{example}.ipynb --bundle .
```

(`--bundle CHEMIN/DE/CE/DOSSIER` depuis ailleurs ; `--assignment {example}` si le TP n'est pas
reconnu ; `--lang en` pour l'anglais.) Vous obtenez un tableau (question, statut, vérification) et
un rapport HTML dans `grader-check/reports/`. Seules les vérifications publiques tournent : la
note finale compte aussi des vérifications cachées et les questions écrites, corrigées par
l'enseignant. La commande se termine avec le code 0 quel que soit le score.

### Vérifier dans le notebook

Le notebook commence par une cellule d'auto-vérification ; une cellule `check("q1")` suit chaque
question et `check_all()` les vérifie toutes, à la fin. Ouvrez le notebook dans Jupyter lancé depuis
l'environnement ci-dessus (`pip install notebook`, puis `jupyter notebook`) et exécutez-les : le
verdict des vérifications publiques s'affiche sous la cellule, sur l'état actuel de vos réponses, avec
ce qui est attendu. La cellule d'initialisation trouve ce dossier si le notebook est dans le dossier
qui le contient (ou dans ce dossier même) ; sinon donnez son chemin : `init("{example}",
bundle="CHEMIN/DE/CE/DOSSIER")`, ou la variable d'environnement `GRADER_BUNDLE`. En anglais :
`init("{example}", lang="en")`. Tout se passe hors ligne, dans votre propre noyau : cela vous renseigne
seulement, la note est calculée ailleurs. Laissez ces cellules, le correcteur les ignore.

## English

This folder is all you need to check your work before handing it in. It holds no solution, no
hidden check and no grading threshold.

{en_list}

Copy your notebook out of this folder before working on it: a new version of the folder would
replace it.

### Install (once)

With Python 3.11 or newer, from this folder:

```
python3 -m venv ~/venv-tp
. ~/venv-tp/bin/activate
pip install "{WHEELS}/{wheel}"
```

pip also installs TensorFlow, NumPy and the other dependencies. Install no other `tp-grader`
package (neither from PyPI nor your instructor's): this file `{WHEELS}/{wheel}` is enough. When
your instructor publishes a new version of this folder, reinstall from the new one:
`{reinstall}`.

### Check your notebook

From this folder, the environment activated:

```
grader check PATH/TO/{example}.ipynb --bundle . --lang en
```

(`--bundle PATH/TO/THIS/FOLDER` from elsewhere; `--assignment {example}` when the TP is not
recognised.) You get a table (question, status, check) and an HTML report in
`grader-check/reports/`. Only the public checks run: the final grade also counts hidden checks
and the written questions, graded by your instructor. The command exits 0 whatever the score.

### Check in the notebook

The notebook starts with a self-check cell; a `check("q1")` cell follows each question and
`check_all()`, at the end, checks them all. Open the notebook in Jupyter started from the environment
above (`pip install notebook`, then `jupyter notebook`) and run them: the public checks' verdict shows
under the cell, on your answers as they are now, with what is expected. The init cell finds this
folder when the notebook lies in the folder holding it (or in this folder itself); otherwise give its
path: `init("{example}", bundle="PATH/TO/THIS/FOLDER")`, or the environment variable `GRADER_BUNDLE`.
In English: `init("{example}", lang="en")`. It all runs offline, in your own kernel: it only tells
you, the grade is computed elsewhere. Leave these cells in: the grader ignores them.
"""


def handout(out: Path | str, wheel: Path | None, lang: str = "fr") -> str:
    """The console's last line after `grader release`: what to give students, and what they run."""
    if wheel is None:
        return f"grader check NOTEBOOK --bundle {out}"
    if lang == "en":
        return (f"For students: the whole folder {out} ({INSTRUCTIONS} says, in French and English, to install "
                f"{WHEELS}/{wheel.name}, then run `grader check NOTEBOOK --bundle {out}`); never the instructor's wheel.")
    return (f"Pour les élèves : tout le dossier {out} ({INSTRUCTIONS} leur dit, en français et en anglais, "
            f"d'installer {WHEELS}/{wheel.name} puis de lancer `grader check NOTEBOOK --bundle {out}`) ; "
            "jamais le wheel de l'enseignant.")
