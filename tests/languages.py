"""The French/English pairs of the built-in course, read from the source (AST): what the tests of
both languages measure. Kept apart from the tests so the ratio can be printed on its own:

    python -m tests.languages        # pairs, and those whose English is under 60% of the French
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: Calls whose two first arguments are a French text and its English one.
PAIR_CALLS = {"Message", "msg", "fail"}
#: Calls whose first argument is the English text and `fr=` (or the second argument) the French one:
#: the authoring commands' errors and warnings (their English is what scripts and tests read).
EN_FIRST_CALLS = {"AuthoringError", "Said"}
#: Keyword pairs (French, English) of the helpers and the check registry.
PAIR_KEYWORDS = (("fr", "en"), ("hint", "hint_en"), ("what", "what_en"), ("hint_fr", "hint_en"))
#: The English text of a pair may not be shorter than this share of the French one.
MIN_RATIO = 0.6
#: Pairs shorter than this (in French) are labels ("Précision", "Accuracy"): their ratio means nothing.
MIN_LENGTH = 15


@dataclass(frozen=True)
class Pair:
    path: Path
    line: int
    fr: str  # the text, a placeholder written {…}
    en: str
    fr_names: frozenset[str]  # the names read in the placeholders
    en_names: frozenset[str]

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}"

    @property
    def ratio(self) -> float:
        return len(self.en) / max(1, len(self.fr))


def sources(root: Path = REPO) -> list[Path]:
    """The course's Python files: the grader and the built-in assignments (not their links in resources/)."""
    files = [*(root / "grader").rglob("*.py"), *(root / "assignments").rglob("*.py")]
    return sorted(p for p in files if "resources" not in p.relative_to(root).parts)


def _text(node: ast.AST | None) -> tuple[str, frozenset[str]] | None:
    """A literal text (a string, an f-string, their `+`), a placeholder as {…} (4 characters), and the
    names its placeholders read; None for anything else (a variable, a call)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value, frozenset()
    if isinstance(node, ast.JoinedStr):
        parts, names = [], set()
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append(str(v.value))
            else:
                parts.append("{…}")
                names |= {n.id for n in ast.walk(v) if isinstance(n, ast.Name)}
        return "".join(parts), frozenset(names)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _text(node.left), _text(node.right)
        if left or right:  # `"text " + "; ".join(...)`: the other side is a placeholder
            left, right = left or _placeholder(node.left), right or _placeholder(node.right)
            return left[0] + right[0], left[1] | right[1]
    return None


def _placeholder(node: ast.AST) -> tuple[str, frozenset[str]]:
    return "{…}", frozenset(n.id for n in ast.walk(node) if isinstance(n, ast.Name))


def _name(call: ast.Call) -> str:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def calls(paths: list[Path] | None = None) -> Iterator[tuple[Path, ast.Call]]:
    for path in paths if paths is not None else sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                yield path, node


def pairs(paths: list[Path] | None = None) -> list[Pair]:
    """Every literal French/English pair: `Message(fr, en)`, `fail(fr, en)`, and the keyword pairs."""
    out = []
    for path, call in calls(paths):
        found = []
        if _name(call) in PAIR_CALLS and call.args:
            found.append((call.args[0], call.args[1] if len(call.args) > 1 else None))
        keywords = {k.arg: k.value for k in call.keywords}
        if _name(call) in EN_FIRST_CALLS and call.args:
            found.append((keywords.get("fr", call.args[1] if len(call.args) > 1 else None), call.args[0]))
            keywords.pop("fr", None)
        found += [(keywords[a], keywords.get(b)) for a, b in PAIR_KEYWORDS if a in keywords]
        for fr_node, en_node in found:
            fr = _text(fr_node) if fr_node is not None else None
            if fr is None or not fr[0].strip():
                continue
            en = _text(en_node) or ("", frozenset())
            out.append(Pair(path, call.lineno, fr[0], en[0], fr[1], en[1]))
    return out


def _stem(name: str) -> str:
    for suffix in ("_fr", "_en"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def dropped_hints(pair: Pair) -> set[str]:
    """Hints (and advice) the French text interpolates that the English one does not: `{hint}` in
    French needs `{hint_en}` or `{hint.en}` in English."""
    hinted = {_stem(n) for n in pair.fr_names if "hint" in n or "advice" in n}
    return hinted - {_stem(n) for n in pair.en_names}


def short_english(found: list[Pair], ratio: float = MIN_RATIO) -> list[Pair]:
    return [p for p in found if len(p.fr) >= MIN_LENGTH and p.ratio < ratio]


def summary(found: list[Pair]) -> str:
    short = short_english(found)
    total = sum(len(p.en) for p in found) / max(1, sum(len(p.fr) for p in found))
    return (f"{len(found)} French/English pairs; English/French length overall {total:.2f}; "
            f"{len(short)} with English under {MIN_RATIO:.0%} of the French")


if __name__ == "__main__":
    everything = pairs()
    print(summary(everything))
    for p in short_english(everything):
        print(f"  {p.where} {p.ratio:.2f}\n    FR {p.fr}\n    EN {p.en}")
