"""What students hand in (.ipynb, .py, .zip, folder, LMS downloads) -> one `Submission` each.

A bad submission never raises: every problem becomes an `error` on its own record, so one
broken entry cannot stop the grading of a class.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from pathlib import Path

from grader.intake import zips
from grader.intake.cells import parse_source
from grader.intake.downloads import DownloadName, parse
from grader.intake.hashing import PRUNED_DIRS, file_sha256, files_under, ignored, tree_sha256
from grader.intake.record import KINDS, Submission, UnreadableSubmission
from grader.intake.zips import ZipLimits, extract, plan_members, zip_problem
from grader.model import Message

#: A notebook or module larger than this is refused rather than loaded into memory.
MAX_SOURCE_BYTES = 100 * 2**20


NO_ENTRY = Message("Aucun notebook (.ipynb) ni module (.py) trouvé dans le dossier.",
                   "No notebook (.ipynb) nor module (.py) found in the folder.")


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_SOURCE_BYTES:
            raise UnreadableSubmission(Message(f"Fichier trop volumineux ({size // 2**20} Mo ; maximum "
                                               f"{MAX_SOURCE_BYTES // 2**20} Mo).",
                                               f"File too large ({size // 2**20} MB; at most "
                                               f"{MAX_SOURCE_BYTES // 2**20} MB)."))
        return path.read_bytes()
    except OSError as e:
        raise UnreadableSubmission(Message(f"Fichier illisible : {e.strerror or e}.",
                                           f"Unreadable file: {e.strerror or e}.")) from None


def _peek_hint(path: Path) -> str | None:
    try:
        return parse_source(_read(path), "ipynb")[1]
    except UnreadableSubmission:
        return None


#: The course folders intake compares handed-in notebooks with (their distributed stubs): set by
#: `discover(courses=...)`; the built-in course and GRADER_COURSE are always searched.
_COURSES: ContextVar[tuple] = ContextVar("grader_intake_courses", default=())


@functools.lru_cache(maxsize=64)
def _stub_cells(assignment_id: str, courses: tuple) -> tuple[str, ...] | None:
    """The code cells of TP `assignment_id`'s distributed student notebook, as intake reads them;
    None when the TP or its reference cannot be found here."""
    try:
        from grader.notebooks import render, student_notebook

        return parse_source(render(student_notebook(assignment_id, courses)).encode(), "ipynb")[0]
    except Exception:  # noqa: BLE001 - an unknown TP, a broken course: nothing to compare with
        return None


def _untouched(path: Path, hint: str | None) -> bool:
    """Whether a handed-in notebook is its TP's distributed stub, code unchanged (no work in it)."""
    if not hint or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}", hint) or ".." in hint:
        return False  # the student's own metadata: never a path
    try:
        cells = parse_source(_read(path), "ipynb")[0]
    except UnreadableSubmission:
        return False
    stub = _stub_cells(hint, _COURSES.get())
    return stub is not None and tuple(c.strip() for c in cells) == tuple(c.strip() for c in stub)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


_WHY_NOT = (  # why a candidate ranked below the one graded, by the first criterion that told them apart
    Message("sans TP dans ses métadonnées", "no TP in its metadata"),
    Message("le notebook distribué, non modifié", "the distributed notebook, unchanged"),
    Message("plus profond dans les dossiers", "deeper in the folders"),
    Message("envoi antérieur", "an earlier upload"),
    Message("plus ancien", "older"),
    Message("même rang : ordre alphabétique", "same rank: alphabetical order"),
)


def _choose_entry(root: Path, prefer: str | None = None) -> tuple[str, Path, list[Message]]:
    """Pick the notebook/module to grade: .ipynb over .py, then one tagged with an assignment, then
    one holding the student's work (not its TP's distributed stub unchanged), then the shallowest,
    then `prefer` (the latest upload), then the newest, then alphabetical. With several candidates,
    a warning says which one is graded and why each other one is not."""
    real_root = root.resolve()
    candidates: dict[str, list[tuple[str, Path]]] = {"ipynb": [], "py": []}
    for rel, p in files_under(root):
        kind = KINDS.get(p.suffix.lower())
        if kind is None:
            continue
        if p.is_symlink() and not p.resolve().is_relative_to(real_root):
            continue
        if p.is_file():
            candidates[kind].append((rel, p))
    pool = candidates["ipynb"] or candidates["py"]
    if not pool:
        raise UnreadableSubmission(NO_ENTRY)
    if len(pool) == 1:
        return pool[0][0], pool[0][1], []
    hints = {rel: _peek_hint(p) if p.suffix.lower() == ".ipynb" else None for rel, p in pool}
    ranks = {rel: (0 if hints[rel] else 1, 1 if _untouched(p, hints[rel]) else 0, rel.count("/"),
                   0 if rel == prefer else 1, -_mtime(p), rel) for rel, p in pool}
    ordered = sorted(pool, key=lambda c: ranks[c[0]])
    chosen = ordered[0][0]
    why_fr, why_en = [], []
    for rel, _ in ordered[1:]:
        k = next(i for i, (a, b) in enumerate(zip(ranks[chosen], ranks[rel], strict=True)) if a != b)
        reason = _WHY_NOT[min(k, len(_WHY_NOT) - 1)]
        why_fr.append(f"{rel} ({reason.fr})")
        why_en.append(f"{rel} ({reason.en})")
    warning = Message(f"Plusieurs fichiers possibles : « {chosen} » est corrigé ; ignoré(s) : {', '.join(why_fr)}.",
                      f"Several possible files: '{chosen}' is graded; ignored: {', '.join(why_en)}.")
    return chosen, ordered[0][1], [warning]


def _load_folder(root: Path, student: str, source: str, warnings: tuple[Message, ...] = (),
                 sha: str | None = None, prefer: str | None = None) -> Submission:
    sub = Submission(student, source, "", workdir=root, sha256=sha or tree_sha256(root),
                     warnings=warnings)
    try:
        rel, path, picked = _choose_entry(root, prefer)
    except UnreadableSubmission as e:
        return replace(sub, error=e.message)
    loaded = _load_file(path, student, source)
    return replace(loaded, workdir=root, sha256=sub.sha256, entry=rel,
                   warnings=warnings + tuple(picked) + loaded.warnings, chosen=picked[0] if picked else None)


def _load_file(path: Path, student: str, source: str) -> Submission:
    kind = KINDS[path.suffix.lower()]
    sub = Submission(student, source, kind, entry=path.name)
    try:
        data = _read(path)
        sub = replace(sub, sha256=hashlib.sha256(data).hexdigest())
        cells, hint, warnings, texts = parse_source(data, kind)
    except UnreadableSubmission as e:
        return replace(sub, sha256=sub.sha256 or file_sha256(path), error=e.message)
    return replace(sub, cells=cells, assignment_hint=hint, warnings=warnings, texts=texts)


_TEMP_DIRS: dict[Path, Path] = {}  # workdir -> temp dir to remove


_OWNER_PID = os.getpid()


def _load_zip(path: Path, student: str, source: str, limits: ZipLimits) -> Submission:
    failed = Submission(student, source, "", sha256=file_sha256(path), entry="")
    dest: Path | None = None
    try:
        with zipfile.ZipFile(path) as zf:
            plan, warnings = plan_members(zf, limits)
            dest = Path(tempfile.mkdtemp(prefix="grader-zip-"))
            extract(zf, plan, dest, limits)
    except UnreadableSubmission as e:
        error = e.message
    except Exception as e:  # corrupt, truncated, unsupported compression, disk full...
        why = zip_problem(e)
        error = Message(f"Archive zip illisible : {why.fr}.", f"Unreadable zip archive: {why.en}.")
    else:
        # A zipped folder is that folder: its data files sit beside the notebook.
        top = [p for p in dest.iterdir() if not ignored(p.name)]
        root = top[0] if len(top) == 1 and top[0].is_dir() else dest
        sub = _load_folder(root, student, source, tuple(warnings))
        if sub.error is None:
            _TEMP_DIRS[root] = dest
            return sub
        shutil.rmtree(dest, ignore_errors=True)
        return replace(sub, workdir=None)
    if dest is not None:
        shutil.rmtree(dest, ignore_errors=True)
    return replace(failed, error=error)


def student_id(path: Path) -> str:
    """The student id a submission's own name gives (`alice.ipynb`: alice; a folder: its name)."""
    return _student_id(path)


def _student_id(path: Path) -> str:
    name = path.name or path.resolve().name
    return name if path.is_dir() else (Path(name).stem or name)


def load(path: Path | str, student: str | None = None, *,
         limits: ZipLimits | None = None) -> Submission:
    """Read one student's entry (file, folder or zip); problems become `error`, never exceptions."""
    path = Path(path)
    student = student or _student_id(path)
    source, suffix = str(path), path.suffix.lower()
    try:
        if path.is_dir():
            sub = _load_folder(path, student, source)
            return replace(sub, mtime=file_time(path))
        if not path.is_file():
            return Submission(student, source, KINDS.get(suffix, ""),
                              error=Message("Fichier introuvable ou qui n'est pas un fichier ordinaire.",
                                            "File not found, or not a regular file."))
        if suffix == ".zip":
            return replace(_load_zip(path, student, source, limits or zips.ZIP_LIMITS), mtime=file_time(path))
        if suffix in KINDS:
            return replace(_load_file(path, student, source), mtime=file_time(path))
        return Submission(student, source, "", sha256=file_sha256(path), entry=path.name, mtime=file_time(path),
                          error=Message(f"Type de fichier non pris en charge ({suffix or 'sans extension'}) : "
                                        "attendu .ipynb, .py, .zip ou un dossier.",
                                        f"Unsupported file type ({suffix or 'no extension'}): expected "
                                        ".ipynb, .py, .zip or a folder."))
    except Exception as e:  # our bug, not the student's: still one record, not a crash
        return Submission(student, source, KINDS.get(suffix, ""),
                          error=Message(f"Erreur inattendue en lisant la soumission : {type(e).__name__}: {e}",
                                        f"Unexpected error while reading the submission: {type(e).__name__}: {e}"))


def file_time(path: Path) -> float | None:
    """When a handed-in file was last written (an LMS download and zip extraction keep it), for a
    folder its newest file's; None when none can be read."""
    try:
        if not path.is_dir():
            return path.stat().st_mtime
        return max((p.stat().st_mtime for _, p in files_under(path) if p.is_file() and not p.is_symlink()), default=None)
    except OSError:
        return None


def _is_entry(p: Path) -> bool:
    return p.is_dir() or p.suffix.lower() in KINDS or p.suffix.lower() == ".zip"


def not_submissions(path: Path | str) -> list[Path]:
    """Files beside the submissions that are none (a README.md, notes.txt, the subject's .pdf):
    listed to the instructor as ignored, never graded as students. A file an LMS download names
    (a Moodle student's data file or online text) belongs to that student's submission."""
    path = Path(path)
    if not path.is_dir():
        return []
    return sorted(p for p in path.iterdir() if not ignored(p.name) and not _is_entry(p)
                  and parse(p.name) is None)


_Members = tuple[tuple[DownloadName, Path], ...]


@dataclass(frozen=True)
class _Entry:
    """What one student handed in: a plain entry, or every file an LMS download gives them."""

    student: str
    path: Path
    members: _Members = ()  # the LMS download's files of this student (empty: a plain entry)
    warning: Message | None = None
    error: Message | None = None  # not graded at all (a download name that cannot say whose it is)


def _ambiguous(named: DownloadName, p: Path) -> Message:
    ids_fr, ids_en = " ou ".join(named.ambiguous), " or ".join(named.ambiguous)
    return Message(
        f"« {p.name} » n'est pas corrigé : ce nom de téléchargement (Moodle, Canvas) se lit de plusieurs façons, "
        f"identifiant {ids_fr} (un nom d'affichage ou un nom de fichier qui contient "
        "« _<id>_assignsubmission_… »). Vérifiez dans l'LMS à qui il est, puis renommez-le "
        "« Nom_<id>_assignsubmission_file_<fichier> » (Moodle) ou « nom_<id>_<n>_<fichier> » (Canvas).",
        f"'{p.name}' is not graded: this download name (Moodle, Canvas) reads several ways, id {ids_en} (a "
        "display name or a file name holding '_<id>_assignsubmission_...'). Check in the LMS whose it is, then "
        "rename it 'Name_<id>_assignsubmission_file_<file>' (Moodle) or 'name_<id>_<n>_<file>' (Canvas).")


def _split_by_name(members: list[tuple[DownloadName, Path]]) -> list[tuple[list[tuple[DownloadName, Path]],
                                                                           Message | None]]:
    """One LMS id's files, by the name the LMS wrote before the id: one name, one group; several
    (a display name made to carry another student's id) are never merged, each is said and listed."""
    by_name: dict[str, list[tuple[DownloadName, Path]]] = {}
    for named, p in members:
        by_name.setdefault(named.who.name, []).append((named, p))
    if len(by_name) == 1:
        return [(members, None)]
    who = members[0][0].who
    listed = " ; ".join(f"« {name} » : {', '.join(p.name for _, p in group)}" for name, group in by_name.items())
    listed_en = "; ".join(f"'{name}': {', '.join(p.name for _, p in group)}" for name, group in by_name.items())
    lms = "Moodle" if who.lms == "moodle" else "Canvas"
    warning = Message(
        f"L'identifiant {lms} {who.id} est porté par des fichiers de noms différents ({listed}) : ils ne sont "
        "pas réunis, chaque nom est corrigé à part. Vérifiez dans l'LMS à qui est chaque fichier ; un export "
        "vers l'LMS ne note aucun d'eux sur cet identifiant sans que la liste d'élèves le confirme.",
        f"{lms} id {who.id} is carried by files under different names ({listed_en}): they are not merged, "
        "each name is graded on its own. Check in the LMS whose each file is; an LMS export grades none of "
        "them under this id unless the roster confirms it.")
    return [(group, warning) for group in by_name.values()]


def _entries(path: Path) -> list[_Entry]:
    """One entry per student, duplicate ids renamed `-2`, `-3`... deterministically. Names from an
    LMS download are grouped by the LMS's student id, so two files of one student (a Canvas
    resubmission, Moodle's several files or its per-plugin folders) make one submission; files of
    one id under different names are not merged, and a name that could be two students' is refused."""
    names = [path] if not path.is_dir() else [p for p in path.iterdir() if not ignored(p.name)]
    groups: dict[tuple[str, str], list[tuple[DownloadName, Path]]] = {}
    plain: list[tuple[str, str, Path, _Members, Message | None, Message | None]] = []
    for p in names:
        if (named := parse(p.name, folder=p.is_dir())) is not None:
            if named.ambiguous:
                plain.append((_student_id(p), p.name, p, (), None, _ambiguous(named, p)))
            else:
                groups.setdefault((named.who.lms, named.who.id), []).append((named, p))
        elif _is_entry(p) or p == path:  # named on its own, any file is one record
            plain.append((_student_id(p), p.name, p, (), None, None))
    for members in groups.values():
        for group, warning in _split_by_name(members):
            group.sort(key=lambda m: (m[0].order, m[1].name))
            plain.append((group[-1][0].who.key, min(p.name for _, p in group), group[-1][1],
                          tuple(group), warning, None))
    keyed = sorted(plain, key=lambda e: (e[0], e[1]))
    taken = {sid for sid, *_ in keyed}
    seen: dict[str, str] = {}
    out = []
    for sid, name, p, members, warning, error in keyed:
        if sid not in seen:
            seen[sid] = name
            out.append(_Entry(sid, p, members, warning, error))
            continue
        n = 2
        while f"{sid}-{n}" in taken:
            n += 1
        new = f"{sid}-{n}"
        taken.add(new)
        renamed = Message(
            f"Identifiant « {sid} » déjà pris par « {seen[sid]} » : « {name} » est enregistré sous « {new} ».",
            f"Id '{sid}' already taken by '{seen[sid]}': '{name}' is recorded as '{new}'.")
        out.append(_Entry(new, p, members, renamed if warning is None else Message(
            f"{warning.fr} {renamed.fr}", f"{warning.en} {renamed.en}"), error))
    return out


def _stage(members: _Members, dest: Path) -> list[str]:
    """Copy a student's download files into `dest` under their own names (a Moodle folder's files
    at its root, another plugin's in a subfolder); zips are left out, their names returned."""
    skipped = []
    for named, p in members:
        if p.is_file() and p.suffix.lower() == ".zip":
            skipped.append(p.name)
            continue
        into = dest if named.plugin == "file" else dest / named.plugin
        if p.is_dir():
            shutil.copytree(p, into, symlinks=True, dirs_exist_ok=True,
                            ignore=lambda _, found: [n for n in found if ignored(n) or n in PRUNED_DIRS])
            continue
        into.mkdir(parents=True, exist_ok=True)
        base = Path(named.original or p.name)
        target, n = into / base.name, 1
        while target.exists():  # two uploads under one name: both kept, the later one suffixed
            n += 1
            target = into / f"{base.stem}-{n}{base.suffix}"
        shutil.copy2(p, target)
    return skipped


def _load_group(members: _Members, student: str, limits: ZipLimits | None) -> Submission:
    """One student's files of an LMS download as one submission: a single entry is read as it is;
    several files are staged into one folder (data files beside the notebook, the latest upload
    preferred on a tie), and whatever is left out is said in a warning."""
    source = " + ".join(str(p) for _, p in members)
    if len(members) == 1 and _is_entry(members[0][1]):
        return load(members[0][1], student, limits=limits)
    code = [(named, p) for named, p in members if _is_entry(p)]
    if code and all(p.is_file() and p.suffix.lower() == ".zip" for _, p in code):
        chosen = code[-1][1]  # members are sorted by upload order: the last zip is the latest
        sub = load(chosen, student, limits=limits)
        others = ", ".join(p.name for _, p in members if p != chosen)
        return replace(sub, source=source, warnings=(
            Message(f"Plusieurs fichiers rendus : « {chosen.name} » est corrigé ; non utilisé(s) : {others}.",
                    f"Several files handed in: '{chosen.name}' is graded; not used: {others}."),
            *sub.warnings))
    dest = Path(tempfile.mkdtemp(prefix="grader-lms-"))
    try:
        skipped = _stage(members, dest)
    except OSError as e:
        shutil.rmtree(dest, ignore_errors=True)
        return Submission(student, source, "", error=Message(f"Fichiers illisibles : {e.strerror or e}.",
                                                             f"Unreadable files: {e.strerror or e}."))
    latest = [named for named, p in members if p.is_file() and p.suffix.lower() in KINDS]
    warnings = (Message(f"Archive(s) non utilisée(s) à côté des autres fichiers : {', '.join(skipped)}.",
                        f"Archive(s) not used beside the other files: {', '.join(skipped)}."),) if skipped else ()
    sub = _load_folder(dest, student, source, warnings, prefer=latest[-1].original if latest else None)
    if sub.error is None:
        _TEMP_DIRS[dest] = dest
        return sub
    shutil.rmtree(dest, ignore_errors=True)
    return replace(sub, workdir=None)


def discover(path: Path | str, *, limits: ZipLimits | None = None,
             courses: Iterable[object] = ()) -> list[Submission]:
    """Every student under `path` (a folder of entries, or one entry), sorted by student id;
    `courses` (with the built-in course) hold the distributed notebooks a submission holding several
    is compared with (the student's work is graded, not an untouched download of the stub)."""
    _stub_cells.cache_clear()  # a reference edited since the last run
    token = _COURSES.set(tuple(courses))
    try:
        return _discover(Path(path), limits)
    finally:
        _COURSES.reset(token)


def discover_one(path: Path | str, student: str, *, limits: ZipLimits | None = None,
                 courses: Iterable[object] = ()) -> list[Submission]:
    """Exactly one submission, `path` (a file, a folder or a zip), recorded as `student`: what `grader
    check` and the LMS single modes grade (never a temporary class folder built around it)."""
    _stub_cells.cache_clear()
    token = _COURSES.set(tuple(courses))
    try:
        return [load(Path(path), student, limits=limits)]
    finally:
        _COURSES.reset(token)


def _discover(path: Path, limits: ZipLimits | None) -> list[Submission]:
    if not path.exists():
        raise FileNotFoundError(f"Soumissions introuvables : « {path} » n'existe pas.")
    subs = []
    for entry in _entries(path):
        if entry.error is not None:
            subs.append(Submission(entry.student, str(entry.path), KINDS.get(entry.path.suffix.lower(), ""),
                                   error=entry.error, mtime=file_time(entry.path)))
            continue
        if entry.members:  # handed in when the latest of its files was
            times = [t for _, p in entry.members if (t := file_time(p)) is not None]
            sub = replace(_load_group(entry.members, entry.student, limits), lms=entry.members[-1][0].who,
                          mtime=max(times, default=None))
        else:
            sub = load(entry.path, entry.student, limits=limits)
        subs.append(replace(sub, warnings=(entry.warning, *sub.warnings)) if entry.warning else sub)
    return sorted(subs, key=lambda s: s.student)


def cleanup(subs: Iterable[Submission]) -> None:
    """Remove the temporary folders that zip submissions were extracted into."""
    for sub in subs:
        if sub.workdir is not None and (tmp := _TEMP_DIRS.pop(sub.workdir, None)) is not None:
            shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def discovered(path: Path | str, *, limits: ZipLimits | None = None) -> Iterator[list[Submission]]:
    """`discover` whose zip extractions are removed on exit."""
    subs = discover(path, limits=limits)
    try:
        yield subs
    finally:
        cleanup(subs)


@atexit.register
def _cleanup_all() -> None:
    if os.getpid() == _OWNER_PID:  # a forked child must not delete its parent's folders
        for tmp in list(_TEMP_DIRS.values()):
            shutil.rmtree(tmp, ignore_errors=True)
        _TEMP_DIRS.clear()
