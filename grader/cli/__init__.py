"""`grader` command line: parse, delegate to one library call, show progress. Nothing else.

One module per command group (`grade_commands`, `course_commands`, `lms_commands`), the parser
(`parser`: every help in both languages) and what they share (`common`: the console, errors).
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.markup import escape

from grader.cli.common import console, error_word
from grader.cli.parser import _ArgparseIn, _build_parser, build_parser
from grader.languages import ENV_LANG, LANGS, scan_lang

__all__ = ["ENV_LANG", "LANGS", "build_parser", "console", "main", "scan_lang"]

def main(argv: list[str] | None = None) -> int:
    """Run one command. Ctrl-C and a full disk end any command with one line and no traceback:
    exit 130 (the finished work is kept; the same command resumes) and 1 (free space, run it again)."""
    import sqlite3

    from grader.grading import interrupt, outdir

    argv = list(sys.argv[1:] if argv is None else argv)
    lang = scan_lang(argv)
    with _ArgparseIn(lang):
        args = _build_parser(lang).parse_args(argv)
    lang = getattr(args, "lang", lang)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:  # `Interrupted` from a run, or Ctrl-C anywhere else
        console.print(f"[yellow]{escape(interrupt.INTERRUPTED.get(lang))}[/yellow]", soft_wrap=True)
        interrupt.exit_if_stuck(130)
        return 130
    except outdir.DiskFull as e:
        console.print(f"[red]{error_word(args)}[/red] {escape(e.text(lang))}", soft_wrap=True)
        interrupt.exit_if_stuck(1)
        return 1
    except (OSError, sqlite3.Error) as e:
        if (detail := outdir.full_disk_detail(e)) is None:
            raise
        where = getattr(args, "out", None) or getattr(e, "filename", None) or "."
        console.print(f"[red]{error_word(args)}[/red] {escape(outdir.DiskFull(Path(where), detail).text(lang))}",
                      soft_wrap=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
