"""Capped text capture and student-only tracebacks, used inside the runner."""

from __future__ import annotations

import io
import re
import traceback

_CELL_FILE = re.compile(r"<ipython-input-(\d+)-[0-9a-f]+>")


class CappedWriter(io.TextIOBase):
    """Keeps the head and the tail of what is written and counts the rest: 50 MB of prints stay cheap."""

    def __init__(self, head: int = 8000, tail: int = 2000):
        self.head_cap, self.tail_cap = head, tail
        self.head: list[str] = []
        self.head_len = 0
        self.tail = ""
        self.total = 0

    def writable(self) -> bool:
        return True

    def write(self, s) -> int:
        s = str(s)
        self.total += len(s)
        room = self.head_cap - self.head_len
        if room > 0:
            self.head.append(s[:room])
            self.head_len += min(room, len(s))
            s = s[room:]
        if s:
            self.tail = (self.tail + s[-self.tail_cap :])[-self.tail_cap :]
        return len(s)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def text(self) -> str:
        head = "".join(self.head)
        dropped = self.total - self.head_len - len(self.tail)
        if dropped > 0:
            return f"{head}\n[... {dropped} caractères omis ...]\n{self.tail}"
        return head + self.tail


def _is_student_frame(filename: str, workdir: str) -> bool:
    return filename.startswith("<ipython-input") or filename.startswith(workdir)


def student_traceback(exc: BaseException, workdir: str, limit: int = 4000) -> str:
    """The traceback trimmed to the student's own frames, with cells named as in the notebook."""
    try:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if _is_student_frame(f.filename, workdir)]
        lines = traceback.format_list(frames[-8:])
        lines += traceback.format_exception_only(type(exc), exc)
        text = "".join(lines)
    except Exception:  # noqa: BLE001 - a broken __str__ must not break the runner
        text = f"{type(exc).__name__} (message illisible)"
    text = _CELL_FILE.sub(lambda m: f"cellule [{m.group(1)}]", text)
    if len(text) > limit:
        text = text[: limit // 2] + "\n[...]\n" + text[-limit // 2 :]
    return text
