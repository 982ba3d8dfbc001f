"""Zip safety: every member is validated (names, count, sizes) before anything touches the disk,
so a zip bomb or a path out of the folder is refused with a message the student can act on.
"""

from __future__ import annotations

import os
import re
import stat
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from grader.intake.record import UnreadableSubmission
from grader.model import Message


@dataclass(frozen=True)
class ZipLimits:
    """Caps that keep a zip bomb from filling the disk or the inode table."""

    max_members: int = 2000
    max_total_bytes: int = 200 * 2**20
    max_member_bytes: int = 100 * 2**20


#: Default caps, read at call time so tests and callers can lower them.
ZIP_LIMITS = ZipLimits()


def _unsafe_name(name: str) -> bool:
    name = name.replace("\\", "/")
    return (name.startswith("/") or re.match(r"[A-Za-z]:", name) is not None
            or ".." in name.split("/") or "\0" in name)


_Plan = list[tuple[zipfile.ZipInfo, tuple[str, ...]]]


def plan_members(zf: zipfile.ZipFile, limits: ZipLimits) -> tuple[_Plan, list[Message]]:
    """Validate every member before anything touches the disk."""
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise UnreadableSubmission(Message(
            f"Archive zip refusée : plus de {limits.max_members} fichiers ({len(infos)}).",
            f"Zip archive refused: more than {limits.max_members} files ({len(infos)})."))
    plan, warnings, total = [], [], 0
    for info in infos:
        if _unsafe_name(info.filename):
            raise UnreadableSubmission(Message(
                f"Archive zip refusée : chemin dangereux « {info.filename} » (chemins absolus, "
                "lecteurs et « .. » interdits).",
                f"Zip archive refused: dangerous path '{info.filename}' (absolute paths, drives and "
                "'..' are forbidden)."))
        if info.flag_bits & 0x1:
            raise UnreadableSubmission(Message("Archive zip illisible : elle est protégée par un mot de passe.",
                                               "Unreadable zip archive: it is password-protected."))
        parts = tuple(p for p in info.filename.replace("\\", "/").split("/") if p not in ("", "."))
        if not parts or "__MACOSX" in parts:
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            warnings.append(Message(f"Lien symbolique « {info.filename} » ignoré dans l'archive.",
                                    f"Symbolic link '{info.filename}' ignored in the archive."))
            continue
        if info.file_size > limits.max_member_bytes:
            raise UnreadableSubmission(Message(
                f"Archive zip refusée : « {info.filename} » dépasse "
                f"{limits.max_member_bytes // 2**20} Mo une fois décompressé.",
                f"Zip archive refused: '{info.filename}' exceeds "
                f"{limits.max_member_bytes // 2**20} MB once decompressed."))
        total += info.file_size
        plan.append((info, parts))
    if total > limits.max_total_bytes:
        raise UnreadableSubmission(Message(
            f"Archive zip refusée : plus de {limits.max_total_bytes // 2**20} Mo une fois décompressée.",
            f"Zip archive refused: more than {limits.max_total_bytes // 2**20} MB once decompressed."))
    return plan, warnings


def extract(zf: zipfile.ZipFile, plan: _Plan, dest: Path, limits: ZipLimits) -> None:
    """Write members ourselves, counting real bytes: declared sizes can lie."""
    total = 0
    for info, parts in plan:
        target = dest.joinpath(*parts)
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        size = 0
        with zf.open(info) as src, open(target, "wb") as out:
            while chunk := src.read(1 << 20):
                size += len(chunk)
                total += len(chunk)
                if size > limits.max_member_bytes or total > limits.max_total_bytes:
                    raise UnreadableSubmission(Message(
                        "Archive zip refusée : contenu décompressé plus gros que déclaré ou que "
                        "la limite autorisée.",
                        "Zip archive refused: decompressed content larger than declared or than "
                        "the allowed limit."))
                out.write(chunk)
        _keep_zip_time(target, info)


def _keep_zip_time(target: Path, info: zipfile.ZipInfo) -> None:
    """A member's own modification time, as the zip recorded it (which notebook is the newest)."""
    try:
        stamp = time.mktime((*info.date_time, 0, 0, -1))
        os.utime(target, (stamp, stamp), follow_symlinks=False)
    except (OverflowError, ValueError, OSError):
        pass


def zip_problem(e: Exception) -> Message:
    """zipfile's English reason, in words a student can act on."""
    text = str(e)
    if "not a zip file" in text:
        return Message("le fichier n'est pas une archive zip valide", "the file is not a valid zip archive")
    if "CRC" in text or "decompressing" in text or isinstance(e, EOFError):
        return Message("archive corrompue ou incomplète", "corrupt or incomplete archive")
    if isinstance(e, NotImplementedError) or "compression method" in text:
        return Message("méthode de compression non prise en charge (utilisez un zip standard)",
                       "unsupported compression method (use a standard zip)")
    if isinstance(e, OSError):
        return Message(f"erreur d'écriture ({e.strerror or text})", f"write error ({e.strerror or text})")
    return Message(text or type(e).__name__, text or type(e).__name__)
