"""The grader's two languages, and which one a command speaks: `--lang`, else $GRADER_LANG, else French.

Read by the command line before its parser is built (help and errors are in that language) and by
the self-check in a student's kernel, which has no command line: both decide the same way.
"""

from __future__ import annotations

import os

LANGS = ("fr", "en")
ENV_LANG = "GRADER_LANG"  # the default of --lang on this machine (fr when unset)


def scan_lang(argv: list[str]) -> str:
    """--lang in `argv`, read before any parser, else $GRADER_LANG ("en", "EN", "en_GB.UTF-8"), else French."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv) and argv[i + 1] in LANGS:
            return argv[i + 1]
        if arg.startswith("--lang=") and arg.split("=", 1)[1] in LANGS:
            return arg.split("=", 1)[1]
    env = os.environ.get(ENV_LANG, "").strip().lower()[:2]
    return env if env in LANGS else "fr"
