"""The runner's runtime (interpreter, venv, this package, served data) made readable to a dropped uid.

A runner dropped to its own uid (sandbox Layer 1) must read the Python install, the venv, the
grader package and the datasets it serves. Where one of them lies under a folder that uid cannot
traverse (a `mktemp -d` checkout, a 0700 home such as `/root` holding pyenv) or holds files it
cannot read (a root umask of 077), it is mirrored into a root-owned 0755 folder: hard links where
the filesystem allows (TensorFlow's gigabyte is not copied), copies made world-readable otherwise,
absolute symlinks and `pyvenv.cfg` pointed at the mirrors. Mirrors of the interpreter and the venv
are kept between runs, keyed by what is installed; nothing of the instructor's tree is changed.

A mirror's name also carries the names of the mirrors it links into (a venv's `bin/python3` points at
the interpreter's mirror): when one tree changes, every mirror that leads into it is made again, so a
reused venv mirror never points at an older interpreter mirror that the runner's sandbox does not
bind (Layer 2 binds only the current ones: the runner's exec would fail with "No such file or
directory", as it did on Ray nodes). Before a runtime is handed out, its interpreter is followed link
by link: a mirror found broken (a temp cleaner took files from /var/tmp) is made again once.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
import stat
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from grader.model import Message

STAGE_NAME = "tp-grader-runtime"
MIRROR_FORMAT = 3  # bumped when mirrors are built differently (2: .pth lines remapped; 3: named by their links)
KEEP_UNUSED_SECONDS = 7 * 86400  # a mirror nobody used for a week is removed when a new one is made


@dataclass(frozen=True)
class Denial:
    """Why a uid cannot use a path: the first component that stops it, as `ls -ld` shows it."""

    path: str
    need: str  # "traverse" | "read"
    mode: str
    owner: str

    def message(self, uid: int) -> Message:
        fr = {"traverse": "traverser", "read": "lire"}[self.need]
        return Message(f"l'uid {uid} ne peut pas {fr} {self.path} ({self.mode} {self.owner})",
                       f"uid {uid} cannot {self.need} {self.path} ({self.mode} {self.owner})")


@dataclass(frozen=True)
class Runtime:
    """What a runner process execs and reads: the grader's own install, or its mirror."""

    python: str  # interpreter to exec
    pythonpath: str  # folder holding the `grader` package
    roots: tuple[str, ...]  # trees the runner reads (bound read-only under Layer 2)
    library_path: str = ""  # prepended to LD_LIBRARY_PATH (a shared libpython inside a mirror)

    def environ(self) -> dict[str, str]:
        """The runner's PYTHONPATH (and LD_LIBRARY_PATH when libpython lives in a mirror)."""
        env = {"PYTHONPATH": self.pythonpath}
        if self.library_path:
            env["LD_LIBRARY_PATH"] = os.pathsep.join(p for p in (self.library_path, os.environ.get("LD_LIBRARY_PATH"))
                                                     if p)
        return env


def _allows(st: os.stat_result, uid: int, bit: int) -> bool:
    """POSIX permission check for a process of uid == gid == `uid` with no supplementary group."""
    if uid == 0:
        return True
    if st.st_uid == uid:
        return bool(st.st_mode & (bit << 6))
    if st.st_gid == uid:
        return bool(st.st_mode & (bit << 3))
    return bool(st.st_mode & bit)


def _denial(path: str, need: str, st: os.stat_result) -> Denial:
    import grp
    import pwd

    def name(fn, ident: int) -> str:
        try:
            return fn(ident)[0]
        except KeyError:
            return str(ident)

    return Denial(path, need, stat.filemode(st.st_mode), f"{name(pwd.getpwuid, st.st_uid)}:{name(grp.getgrgid, st.st_gid)}")


def denied(path: str | os.PathLike, uid: int) -> Denial | None:
    """The first folder above `path` that `uid` cannot traverse, or `path` itself if it cannot read it."""
    p = Path(os.path.abspath(path))
    for folder in [*reversed(p.parents), p]:
        try:
            st = os.stat(folder)
        except OSError:
            return None  # missing: nothing to deny (the caller checks existence)
        if folder == p:
            if not _allows(st, uid, 4) or (stat.S_ISDIR(st.st_mode) and not _allows(st, uid, 1)):
                return _denial(str(folder), "read", st)
        elif not _allows(st, uid, 1):
            return _denial(str(folder), "traverse", st)
    return None


def denied_inside(tree: str | os.PathLike, uid: int) -> Denial | None:
    """The first folder or file under `tree` that `uid` cannot list or read (symlinks not followed)."""
    for dirpath, dirnames, filenames in os.walk(tree):
        for name in [*dirnames, *filenames]:
            full = os.path.join(dirpath, name)
            try:
                st = os.lstat(full)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                if not (_allows(st, uid, 4) and _allows(st, uid, 1)):
                    return _denial(full, "read", st)
            elif stat.S_ISREG(st.st_mode) and not _allows(st, uid, 4):
                return _denial(full, "read", st)
    return None


def blocked(path: str | os.PathLike, uid: int) -> Denial | None:
    """The first thing that stops `uid` from reading `path`, everything under it included."""
    return denied(path, uid) or (denied_inside(path, uid) if os.path.isdir(path) else None)


SYSTEM_PREFIXES = ("/", "/usr", "/usr/local")  # managed by the system: reported, never mirrored
SYSTEM_DIRS = ("/usr", "/etc", "/lib", "/lib64", "/lib32", "/bin", "/sbin")  # bound read-only by Layer 2


def _python_dirs(prefix: str) -> list[str]:
    """What a runner reads of an install: its standard library and site-packages, not all of /usr."""
    import site

    paths = sysconfig.get_paths()
    found = [paths["stdlib"], paths["platstdlib"], *site.getsitepackages([prefix])]
    return [d for d in dict.fromkeys(found) if _within(d, prefix) and os.path.isdir(d)]


def runtime_blocked(tree: str, uid: int) -> Denial | None:
    """The first thing of the install at `tree` that `uid` cannot reach or read."""
    return denied(tree, uid) or next((d for d in (denied_inside(p, uid) for p in _python_dirs(tree)) if d), None)


# -- mirrors ------------------------------------------------------------------------------------

def _safe_stage_dir(parent: str) -> Path | None:
    """`parent/tp-grader-runtime-<euid>`: ours (owner, not writable by others, not a link), 0755."""
    path = Path(parent) / f"{STAGE_NAME}-{os.geteuid()}"
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o755)
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o022:
        return None
    os.chmod(path, 0o755)
    return path


def stage_dir(uid: int, near: str | os.PathLike = "/") -> Path:
    """Where mirrors go: `GRADER_STAGE_DIR`, else a system temp folder `uid` can traverse, preferring one
    on the same filesystem as `near` (hard links instead of copies)."""
    candidates = [c for c in (os.environ.get("GRADER_STAGE_DIR"), "/var/tmp", tempfile.gettempdir(), "/tmp") if c]
    usable = [c for c in dict.fromkeys(candidates) if os.path.isdir(c) and denied(c, uid) is None]
    if os.environ.get("GRADER_STAGE_DIR") in usable:
        usable = [os.environ["GRADER_STAGE_DIR"]]
    with contextlib.suppress(OSError):
        dev = os.stat(near).st_dev
        usable.sort(key=lambda c: os.stat(c).st_dev != dev)
    for parent in usable:
        if (found := _safe_stage_dir(parent)) is not None:
            return found
    raise OSError("no folder to stage the runner's runtime: " + ", ".join(candidates))


def _tree_key(src: Path) -> str:
    """Changes when packages are installed or removed (site-packages' and its entries' mtimes)."""
    h = hashlib.sha256(f"{MIRROR_FORMAT}:{src}".encode())
    sites = sorted(src.glob("lib*/python*/site-packages"))
    for d in [src, *sites, *sorted(src.glob("lib*/python*"))]:
        with contextlib.suppress(OSError):
            h.update(f"{d}:{d.stat().st_mtime_ns}".encode())
    for site in sites:
        with contextlib.suppress(OSError):
            for entry in sorted(os.scandir(site), key=lambda e: e.name):
                h.update(f"{entry.name}:{entry.stat(follow_symlinks=False).st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def _files_key(src: Path) -> str:
    """Changes with any file of a small tree (the grader package, edited in a checkout)."""
    h = hashlib.sha256(str(src).encode())
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            with contextlib.suppress(OSError):
                st = os.lstat(os.path.join(dirpath, name))
                h.update(f"{dirpath}/{name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def _map(target: str, moves: dict[str, str]) -> str:
    for old, new in moves.items():
        if target == old or target.startswith(old.rstrip("/") + "/"):
            return new + target[len(old.rstrip("/")):]
    return target


def _link_or_copy(src: str, dest: Path, st: os.stat_result, dev: int) -> None:
    """A hard link when the uid could read (and, for programs, run) the original; else a copy it can."""
    readable = st.st_mode & 0o004 and (not st.st_mode & 0o100 or st.st_mode & 0o001)
    if st.st_dev == dev and readable:
        try:
            os.link(src, dest)
            return
        except OSError:
            pass
    shutil.copy2(src, dest)  # keeps mtimes: the mirrored .pyc stay valid for their sources
    os.chmod(dest, 0o755 if st.st_mode & 0o111 else 0o644)


def mirror(src: Path, dest: Path, moves: dict[str, str], skip: frozenset[str] = frozenset()) -> None:
    """`src` rebuilt at `dest`: folders 0755, files linked or copied (`_link_or_copy`), absolute symlinks
    into a tree of `moves` pointed at its mirror; paths in `skip` (nested mirrors, caches) left out."""
    dest.mkdir(mode=0o755)
    dev = os.stat(dest).st_dev
    for dirpath, dirnames, filenames in os.walk(src):
        rel = os.path.relpath(dirpath, src)
        out = dest if rel == "." else dest / rel
        keep = []
        for name in dirnames:
            full = os.path.join(dirpath, name)
            if full in skip or name in skip:
                continue
            if os.path.islink(full):
                filenames.append(name)  # a symlinked folder is recreated as a link, never walked
                continue
            (out / name).mkdir(mode=0o755)
            keep.append(name)
        dirnames[:] = keep
        for name in filenames:
            full, target = os.path.join(dirpath, name), out / name
            try:
                st = os.lstat(full)
            except OSError:
                continue
            if stat.S_ISLNK(st.st_mode):
                link = os.readlink(full)
                os.symlink(_map(link, moves) if os.path.isabs(link) else link, target)
            elif stat.S_ISREG(st.st_mode):
                _link_or_copy(full, target, st, dev)


def _rewrite_venv_cfg(dest: Path, moves: dict[str, str]) -> None:
    cfg = dest / "pyvenv.cfg"
    if not cfg.exists():
        return
    lines = []
    for line in cfg.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() in ("home", "executable", "command"):
            value = " " + " ".join(_map(v, moves) if os.path.isabs(v) else v for v in value.strip().split(" "))
        lines.append(key + sep + value if sep else line)
    cfg.unlink()  # a hard link to the original: never written through
    cfg.write_text("\n".join(lines) + "\n")
    os.chmod(cfg, 0o644)


def _rewrite_pth(dest: Path, moves: dict[str, str]) -> None:
    """A site-packages `.pth` line naming a folder inside a mirrored tree (dependencies shared from
    another environment, a conda or pyenv base) is pointed at its mirror; `import` lines are kept."""
    for pth in dest.glob("lib*/python*/site-packages/*.pth"):
        try:
            lines = pth.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        mapped = [_map(line, moves) if os.path.isabs(line.strip()) and not line.startswith("import")
                  else line for line in lines]
        if mapped != lines:
            pth.unlink()  # a hard link to the original: never written through
            pth.write_text("\n".join(mapped) + "\n", encoding="utf-8")
            os.chmod(pth, 0o644)


def _build_once(final: Path, build) -> None:
    """`build(folder)` into a folder beside `final`, then renamed to it: graders running at once never
    see half a mirror, and the first to finish wins."""
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=final.parent))
    try:
        built = tmp / "tree"
        build(built)
        os.chmod(built, 0o755)
        try:
            os.rename(built, final)
        except OSError:  # another grader made it first
            if not final.is_dir():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _materialise(stage: Path, src: Path, key: str, moves: dict[str, str], skip: frozenset[str]) -> Path:
    """The mirror of `src` under `stage`, made once and reused while its key holds."""
    final = stage / f"{src.name or 'root'}-{key}"
    if final.is_dir():
        with contextlib.suppress(OSError):
            os.utime(final)
        return final

    def build(folder: Path) -> None:
        mirror(src, folder, moves, skip)
        _rewrite_venv_cfg(folder, moves)
        _rewrite_pth(folder, moves)

    _build_once(final, build)
    (stage / f"{final.name}.source").write_text(str(src))
    _forget_old(stage, src, final)
    return final


def _forget_old(stage: Path, src: Path, current: Path) -> None:
    """Mirrors of a source that is gone (a deleted venv), and older mirrors of `src` unused for a week,
    are removed."""
    for marker in stage.glob("*.source"):
        tree = stage / marker.name[: -len(".source")]
        if tree == current:
            continue
        with contextlib.suppress(OSError):
            source = marker.read_text()
            stale = source == str(src) and time.time() - tree.stat().st_mtime > KEEP_UNUSED_SECONDS
            if stale or not os.path.exists(source):
                shutil.rmtree(tree, ignore_errors=True)
                marker.unlink()


def _package_parent() -> Path:
    import grader

    return Path(grader.__file__).resolve().parent.parent


def host_runtime() -> Runtime:
    """The grader's own interpreter and package, as a runner that keeps the grader's uid uses them."""
    exe = str(Path(sys.executable).resolve().parent.parent)
    roots = tuple(dict.fromkeys(p for p in (sys.base_prefix, sys.prefix, exe, str(_package_parent() / "grader")) if p))
    return Runtime(sys.executable, str(_package_parent()), roots)


def _within(path: str, tree: str) -> bool:
    return path == tree or path.startswith(tree.rstrip("/") + "/")


def _linked_keys(own: dict[str, str]) -> dict[str, str]:
    """Each mirrored tree's key, folded with the keys of the other trees mirrored with it: a mirror
    holds links into those (a venv into its interpreter), so its name changes whenever theirs do."""
    out = {}
    for t in own:
        h = hashlib.sha256(own[t].encode())
        for other in sorted(own):
            if other != t:
                h.update(f"\0{other}={own[other]}".encode())
        out[t] = h.hexdigest()[:16]
    return out


def escapes(path: str, roots: tuple[str, ...] | list[str]) -> str | None:
    """Following `path` link by link: the first hop outside `roots` and the system folders (all that
    Layer 2 binds), or one that does not exist; None when it ends on a file inside them."""
    allowed = (*roots, *SYSTEM_DIRS)
    current = os.path.abspath(path)
    for _ in range(40):
        if not any(_within(current, r) for r in allowed):
            return current
        if not os.path.islink(current):
            return None if os.path.exists(current) else current
        current = os.path.normpath(os.path.join(os.path.dirname(current), os.readlink(current)))
    return current


@functools.lru_cache(maxsize=8)
def runtime_for(uid: int) -> Runtime:
    """The runtime a runner dropped to `uid` can read: the host's where it can, mirrors where not."""
    runtime, built = _runtime_for(uid)
    if built and (bad := escapes(runtime.python, runtime.roots)) is not None:
        for tree in built:  # broken since it was made (a temp cleaner, a manual rm): made again, once
            aside = tree.with_name(f".stale-{tree.name}-{os.getpid()}")
            with contextlib.suppress(OSError):
                os.rename(tree, aside)
            shutil.rmtree(aside, ignore_errors=True)
        runtime, built = _runtime_for(uid)
        if (bad := escapes(runtime.python, runtime.roots)) is not None:
            raise OSError(f"{runtime.python} leads to {bad}, outside the folders given to the runner "
                          f"({', '.join(runtime.roots)})")
    return runtime


def _runtime_for(uid: int) -> tuple[Runtime, list[Path]]:
    host = host_runtime()
    if uid == os.geteuid() or uid == 0:
        return host, []
    base, prefix = os.path.abspath(sys.base_prefix), os.path.abspath(sys.prefix)
    exe_home = str(Path(sys.executable).resolve().parent.parent)
    trees = list(dict.fromkeys([base, exe_home if not _within(exe_home, base) else base, prefix]))
    package = str(_package_parent() / "grader")
    denials = {t: d for t in trees if (d := runtime_blocked(t, uid)) is not None}
    if system := sorted(t for t in denials if t in SYSTEM_PREFIXES):
        raise OSError(denials[system[0]].message(uid).en)
    need = set(denials)
    if need & {base, exe_home} and prefix not in (base, exe_home):
        need.add(prefix)  # the venv's python symlink and pyvenv.cfg must point at the mirrored base
    package_in_tree = any(_within(package, t) for t in trees)
    stage_package = (any(_within(package, t) for t in need) if package_in_tree
                     else blocked(package, uid) is not None)
    if not need and not stage_package:
        return host, []
    stage = stage_dir(uid, near=base)
    keys = _linked_keys({t: _tree_key(Path(t)) for t in need})
    moves = {t: str(stage / f"{Path(t).name or 'root'}-{keys[t]}") for t in sorted(need, key=len, reverse=True)}
    built = []
    for t in sorted(need, key=len):  # a tree inside another (a venv in a checkout) is its own mirror
        built.append(_materialise(stage, Path(t), keys[t], moves, frozenset(o for o in need if o != t and _within(o, t))))
    python = _map(os.path.abspath(sys.executable), moves)
    parent = str(_package_parent())
    if stage_package and not package_in_tree:
        pkg_root = stage / f"package-{_files_key(Path(package))}"  # holds grader/, for PYTHONPATH
        if pkg_root.is_dir():
            with contextlib.suppress(OSError):
                os.utime(pkg_root)
        else:
            def build(folder: Path) -> None:
                folder.mkdir(mode=0o755)
                # the built-in course (references, checks) is the judge's, never the runner's
                mirror(Path(package), folder / "grader", {}, frozenset({"__pycache__", str(Path(package) / "resources")}))

            _build_once(pkg_root, build)
            (stage / f"{pkg_root.name}.source").write_text(package)
            _forget_old(stage, Path(package), pkg_root)
        parent = str(pkg_root)
    else:
        parent = _map(parent, moves)
    roots = tuple(dict.fromkeys(_map(r, moves) for r in (*trees, str(Path(parent) / "grader"))))
    libdir = str(sysconfig.get_config_var("LIBDIR") or "")
    library_path = _map(libdir, moves) if sysconfig.get_config_var("Py_ENABLE_SHARED") and libdir else ""
    return Runtime(python, parent, roots, library_path if library_path != libdir else ""), built


def stage_data(path: str, uid: int, folder: Path) -> str:
    """A served dataset (file or folder) the uid cannot read, linked or copied into the run's data `folder`."""
    if not os.path.exists(path) or blocked(path, uid) is None:
        return path
    target = folder / "staged" / hashlib.sha256(path.encode()).hexdigest()[:12]
    target.parent.mkdir(mode=0o755, exist_ok=True)
    os.chmod(target.parent, 0o755)
    if os.path.isdir(path):
        if not target.exists():
            mirror(Path(path), target, {})
        return str(target)
    target.mkdir(mode=0o755, exist_ok=True)
    out = target / os.path.basename(path)
    if not out.exists():
        _link_or_copy(path, out, os.stat(path), os.stat(target).st_dev)
    return str(out)
