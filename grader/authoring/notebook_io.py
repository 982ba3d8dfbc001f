"""Notebooks written by the authoring tools: validated by nbformat, in the project's canonical layout.

nbformat is imported here only (it costs ~2 s to import): never in the runners.
"""

from __future__ import annotations

from pathlib import Path

from grader.authoring import AuthoringError
from grader.notebooks import render


def read_notebook(path: Path) -> dict:
    """A teacher's notebook as a plain dict (nbformat 4), validated; a broken file is an AuthoringError."""
    import nbformat

    try:
        nb = nbformat.read(str(path), as_version=4)
        nbformat.validate(nb)
    except (OSError, ValueError, nbformat.ValidationError) as e:
        raise AuthoringError(f"{path}: not a valid notebook: {e}", fr=f"{path} : notebook invalide : {e}") from e
    return dict(nb)


def write_notebook(nb: dict, path: Path) -> Path:
    """Validate, then write with sorted keys and one-space indents (the same bytes every time)."""
    import nbformat

    try:
        nbformat.validate(nbformat.from_dict(nb))
    except nbformat.ValidationError as e:  # our bug: a generated notebook must always be valid
        raise AssertionError(f"generated notebook is invalid: {e}") from e
    path.write_text(render(nb), encoding="utf-8")
    return path
