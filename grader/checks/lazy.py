"""Names imported on first use (PEP 562): how both parts of the check authors' face export.

Side: both. The runner imports `grader.checks.probes`, hence `grader.checks`; resolving each name
only when a module asks for it keeps the judge's modules out of the runner and the runner's out of
a judge that never names them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def exports(namespace: dict[str, Any], table: dict[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """`(__getattr__, __dir__)` for the module whose globals are `namespace`.

    `table` maps a public name to "module" (the attribute of the same name), "module:attribute", or
    "module:" (the module itself). A resolved name is stored in `namespace`: looked up once.
    """

    def getattr_(name: str) -> Any:
        target = table.get(name)
        if target is None:
            raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}")
        module, _, attribute = target.partition(":")
        value = importlib.import_module(module)
        if not target.endswith(":"):
            value = getattr(value, attribute or name)
        namespace[name] = value
        return value

    def dir_() -> list[str]:
        return sorted({*namespace, *table})

    return getattr_, dir_
