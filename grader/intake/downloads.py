"""Who a file of an LMS bulk download belongs to: Moodle's and Canvas' file names carry the
student's LMS id and name, which the grader keeps instead of the raw file name.

- Moodle (assignment "Download all submissions"): `Nom Prénom_12345_assignsubmission_file_NOM.ipynb`,
  or, with "download submissions in folders" (the default since Moodle 3.1), a folder
  `Nom Prénom_12345_assignsubmission_file_` holding the student's files; the online text plugin
  gives `..._assignsubmission_onlinetext_...`. 12345 is the *participant id* of the assignment
  (the grading worksheet's `Identifier`, "Participant 12345"), not the Moodle user id.
- Canvas ("Download submissions"): `nom_12345_67890_NOM.ipynb`, `nom_LATE_12345_67890_NOM.ipynb`;
  12345 is the Canvas user id (the gradebook export's `ID` column), 67890 the attachment id, which
  grows with each upload (a student's second upload of the same file is `NOM-1.ipynb`).

The student key is `<name>_<id>` (name folded to lower-case ASCII words joined by "-"): readable in
reports and file names, stable from one download to the next, unique because the id is.

A display name and a file name are the student's own text, so an id is read only as ASCII digits and
only where the LMS puts it: Canvas' name part holds no `_`, so its id follows the first one; Moodle's
is the `_<id>_assignsubmission_<plugin>_` right after the name, and a file name in which that pattern
occurs more than once (a display name or a file name holding `_12345_assignsubmission_file_`) cannot
say whose it is: `parse` returns it as `ambiguous`, never under one of the ids it shows (a Moodle
folder's name ends with the pattern, so its last occurrence is the LMS's own); so is a name that
reads both as Canvas' and as Moodle's (a Canvas file named `x_99_assignsubmission_file_y.ipynb`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

_MOODLE_MARK = re.compile(r"_(?P<id>[0-9]+)_assignsubmission_(?P<plugin>[a-z0-9]+)_")
_CANVAS = re.compile(r"^(?P<name>[^\W_]+?)(?P<late>_late)?_(?P<id>[0-9]+)_(?P<attachment>[0-9]+)_(?P<rest>.+)$",
                     re.IGNORECASE)


@dataclass(frozen=True)
class LmsIdentity:
    """The student an LMS download names: which LMS, its id for the student, the name it shows."""

    lms: str  # "moodle" | "canvas"
    id: str  # Moodle participant id, Canvas user id
    name: str
    late: bool = False  # Canvas marks a late submission in the file name; Moodle does not

    @property
    def key(self) -> str:
        """The student key: `jean-dupont_12345`; `moodle_12345` when the name has no latin letter."""
        return f"{slug(self.name) or self.lms}_{self.id}"

    def as_info(self) -> dict[str, object]:
        """What results.json keeps under `info["lms"]` (the roster matching reads it back)."""
        info: dict[str, object] = {"lms": self.lms, "id": self.id, "name": self.name}
        if self.late:
            info["late"] = True
        return info


@dataclass(frozen=True)
class DownloadName:
    """One top-level name of a download: whose it is and what the student called the file."""

    who: LmsIdentity
    original: str  # the student's own file name ("" for a Moodle per-student folder)
    plugin: str = "file"  # Moodle's submission plugin (file, onlinetext, ...)
    order: int = 0  # Canvas attachment id: the larger, the later uploaded
    #: the ids this name could be read as when it cannot say whose it is (then `who` is not to be used)
    ambiguous: tuple[str, ...] = ()


def slug(name: str) -> str:
    """`Hélène  Bérézina` -> `helene-berezina`: ASCII letters and digits, words joined by "-"."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def parse(name: str, *, folder: bool = False) -> DownloadName | None:
    """The LMS identity in a downloaded file or folder name, or None for any other name; a Moodle
    name that could be several students' comes back with `ambiguous` set (see the module's note)."""
    marks = [m for m in _MOODLE_MARK.finditer(name) if m.start() > 0]
    canvas = _CANVAS.match(name)
    if marks:
        if folder and marks[-1].end() == len(name):  # Moodle's per-student folder: the id ends the name
            marks = marks[-1:]
        m = marks[0]
        who = LmsIdentity("moodle", str(int(m["id"])), name[:m.start()].strip())
        named = DownloadName(who, name[m.end():], m["plugin"])
        ids = [str(int(k["id"])) for k in marks] + ([str(int(canvas["id"]))] if canvas else [])
        if len(marks) > 1 or canvas:  # several readings (a Canvas file name holding Moodle's marker too)
            return replace(named, ambiguous=tuple(dict.fromkeys(ids)))
        return named
    if m := canvas:
        who = LmsIdentity("canvas", str(int(m["id"])), m["name"], late=m["late"] is not None)
        return DownloadName(who, m["rest"], order=int(m["attachment"]))
    return None
