"""The "Writing a TP" guide's example is a real TP: written out from the guide, graded for real."""

from __future__ import annotations

import re

from conftest import REPO, by_student, question_scores, write_class

from grader.grading import grade
from grader.notebooks import notebook_from_reference, render

GUIDE = REPO / "docs" / "writing-a-tp.md"


def guide_files() -> dict[str, str]:
    """Fenced blocks whose first line is `# file: PATH`, by path."""
    files = {}
    for block in re.findall(r"```(?:python|toml)\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S):
        first, _, body = block.partition("\n")
        if first.startswith("# file: "):
            files[first[len("# file: "):].strip()] = body
    return files


def test_the_guide_example_grades_its_reference_fully_and_a_mutant_loses_its_question(tmp_path):
    files = guide_files()
    assert set(files) == {"reference/mini.py", "assignments/mini/assignment.toml", "assignments/mini/checks.py"}
    course = tmp_path / "course"
    for rel, text in files.items():
        (course / rel).parent.mkdir(parents=True, exist_ok=True)
        (course / rel).write_text(text, encoding="utf-8")
    ref = files["reference/mini.py"]
    stub = render(notebook_from_reference(ref, "mini"))
    ones = ref.replace("weights = np.zeros((3, 2))", "weights = np.ones((3, 2))")
    assert ones != ref
    run = grade(write_class(tmp_path / "c", {"ref.py": ref, "ones.py": ones, "stub.ipynb": stub}),
                assignment="mini", out=tmp_path / "o", courses=[course])
    got = by_student(run)
    assert run.grader_errors == 0
    assert question_scores(got["ref"]) == {"q1": 1.0, "q2": 2.0}
    assert question_scores(got["ones"]) == {"q1": 0.5, "q2": 2.0}  # the shape is right, the values are not
    assert got["stub"].score == 0.0


def test_every_grader_path_the_docs_name_exists():
    """The README's layout and the guides name files that exist (a move updates them or fails here)."""
    named = set()
    for doc in (REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), REPO / "bench" / "README.md"):
        named |= set(re.findall(r"(?<![\w./-])grader/[A-Za-z_/]+(?:\.py)?", doc.read_text(encoding="utf-8")))
        # the layout's indented sub-folders and `a.py, b.py` lists name files of the folder above
        for folder, names in re.findall(r"^(grader/[a-z_/]+/)\s+([a-z_]+\.py)", doc.read_text(encoding="utf-8"),
                                        flags=re.M):
            named.add(folder + names)
    assert len(named) > 20
    missing = sorted(p for p in named if not (REPO / p.rstrip("/")).exists())
    assert not missing, missing
