"""LMS download names that cannot be steered by a display name: ids read as ASCII digits where the
LMS puts them, a name that could be two students' refused, files of one id under different names
never merged, ids checked against the roster's names; then a real class holding each attack,
graded and exported to Moodle: every student under their own id, or refused."""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import mutate, reference_text, write_class

from grader.grading import grade
from grader.intake.discovery import discover
from grader.intake.downloads import parse
from grader.lms.exports import export
from grader.lms.roster import Roster, Student, match, same_person

REF = reference_text("tp-tenseurs")
MUTANT_Q3 = mutate(REF, "first_five = batch[:5]", "first_five = batch[-5:]")
ARABIC_12345 = "\u0661\u0662\u0663\u0664\u0665"  # "12345" in Arabic-Indic digits: int() reads them as 12345
#: The Moodle name trick: a display name ending in another student's id and Moodle's marker.
TRICK = "Mallory_12345_assignsubmission_file_"


@pytest.mark.parametrize("name, lms_id, who", [
    (f"{TRICK}_67890_assignsubmission_file_tp.py", None, None),  # the display name carries 12345: refused
    ("Mallory_67890_assignsubmission_file_x_12345_assignsubmission_file_tp.py", None, None),  # the file name does
    (f"Eve_{ARABIC_12345}_assignsubmission_file__68000_assignsubmission_file_tp.py", "68000",
     f"Eve_{ARABIC_12345}_assignsubmission_file_"),  # non-ASCII digits are no id
    (f"{TRICK}_69000_assignsubmission_file_", "69000", TRICK),  # a per-student folder: the id ends its name
    ("Alice Martin_12345_assignsubmission_file_tp.py", "12345", "Alice Martin"),
    (f"doejane_{ARABIC_12345}_67890_tp.ipynb", None, None),  # Canvas: not an id at all
    ("mallory_555_1000_x_12345_assignsubmission_file_y.ipynb", None, None),  # Canvas and Moodle: refused
])
def test_ids_are_ascii_digits_where_the_lms_puts_them(name, lms_id, who):
    named = parse(name, folder=name.endswith("_"))
    if lms_id is None:
        assert named is None or named.ambiguous, named
        if named is not None:
            assert "12345" in named.ambiguous and len(named.ambiguous) == 2 and named.who.id in named.ambiguous
    else:
        assert not named.ambiguous and (named.who.id, named.who.name) == (lms_id, who)


def test_a_name_that_could_be_two_students_is_refused_and_the_victim_keeps_their_id(tmp_path):
    folder = write_class(tmp_path / "class", {
        "Alice Martin_12345_assignsubmission_file_tp.py": REF,
        f"{TRICK}_67890_assignsubmission_file_tp.py": MUTANT_Q3,
    })
    subs = {s.student: s for s in discover(folder)}
    alice = subs["alice-martin_12345"]
    assert alice.error is None and alice.lms.id == "12345" and alice.source.endswith("Alice Martin_12345_"
                                                                                    "assignsubmission_file_tp.py")
    [refused] = [s for s in subs.values() if s is not alice]
    assert refused.error is not None and refused.lms is None and refused.cells == ()
    assert "12345 ou 67890" in refused.error.fr and "12345 or 67890" in refused.error.en


def test_files_of_one_id_under_different_names_are_not_merged(tmp_path):
    folder = write_class(tmp_path / "class", {
        "doejane_12345_100_tp.py": REF,
        "mallory_12345_200_tp.py": MUTANT_Q3,  # a later upload under Jane's id: not Jane's resubmission
    })
    subs = {s.student: s for s in discover(folder)}
    assert sorted(subs) == ["doejane_12345", "mallory_12345"]
    assert "batch[:5]" in "\n".join(subs["doejane_12345"].cells)  # Jane's own file, not the later one
    for sub in subs.values():
        [warning] = sub.warnings
        assert "doejane_12345_100_tp.py" in warning.fr and "mallory_12345_200_tp.py" in warning.en
        assert "not merged" in warning.en and "pas réunis" in warning.fr


def test_roster_checks_the_lms_id_against_the_name():
    roster = Roster(None, ("Identifier", "Full name"), (("Participant 12345", "Alice Martin"),
                                                        ("Participant 31", "Hélène Bérézina")))
    got = match(roster, [Student("alice-martin_12345", "12345", "Alice Martin"),
                         Student("mallory_12345", "12345", "Mallory"),
                         Student("helene_31", "31", "BÉRÉZINA Hélène")])
    assert got.by_row == {0: "alice-martin_12345", 1: "helene_31"}
    assert got.name_differs == (("mallory_12345", 0),) and not got.shared
    assert same_person("doejane", ["Doe, Jane"]) and same_person("Alice Marie Martin", ["Martin, Alice"])
    assert not same_person("Mallory", ["Alice Martin"])
    ids_only = Roster(None, ("Identifier", "Email address"), (("Participant 12345", "a@x.fr"),))
    assert match(ids_only, [Student("mallory_12345", "12345", "Mallory")]).by_row == {0: "mallory_12345"}


WORKSHEET = (
    "Identifier,Full name,Email address,Status,Grade,Maximum Grade,Feedback comments\n"
    "Participant 12345,Alice Martin,alice@univ.fr,Submitted,,22.00,\n"
    f"Participant 67890,{TRICK},mallory@univ.fr,Submitted,,22.00,\n"
    f"Participant 68000,Eve_{ARABIC_12345}_assignsubmission_file_,eve@univ.fr,Submitted,,22.00,\n"
    f"Participant 69000,{TRICK.replace('Mallory', 'Oscar')},oscar@univ.fr,Submitted,,22.00,\n")


@pytest.fixture(scope="module")
def tricked(tmp_path_factory):
    root = tmp_path_factory.mktemp("moodle-trick")
    folder = write_class(root / "class", {
        "Alice Martin_12345_assignsubmission_file_tp.py": REF,
        f"{TRICK}_67890_assignsubmission_file_tp.py": MUTANT_Q3,
        f"Eve_{ARABIC_12345}_assignsubmission_file__68000_assignsubmission_file_tp.py": MUTANT_Q3,
        "Trudy_12345_assignsubmission_file_tp.py": MUTANT_Q3,  # another name under Alice's id
    })
    write_class(folder / f"{TRICK.replace('Mallory', 'Oscar')}_69000_assignsubmission_file_", {"tp.py": MUTANT_Q3})
    write_class(root, {"worksheet.csv": WORKSHEET})
    return grade(folder, assignment="tp-tenseurs", out=root / "out", workers=2,
                 limits={"cell_timeout": 90, "grace": 3, "wall_timeout": 300})


def test_moodle_name_trick_grades_each_student_under_their_own_id_or_is_refused(tricked):
    doc = {s["student"]: s for s in json.loads((tricked.out / "results.json").read_text())["submissions"]}
    ids = {k: (s.get("info") or {}).get("lms", {}).get("id") for k, s in doc.items()}
    assert ids["alice-martin_12345"] == "12345" and doc["alice-martin_12345"]["score"] == 20
    assert [k for k, i in ids.items() if i == "68000"] and [k for k, i in ids.items() if i == "69000"]
    refused = [k for k, s in doc.items() if "67890" in k]
    assert len(refused) == 1 and doc[refused[0]]["status"] == "error" and ids[refused[0]] is None
    done = export("moodle", tricked.out, tricked.out.parent / "worksheet.csv", lang="en")
    rows = {r[0]: r for r in csv.reader(io.StringIO(done.path.read_text(encoding="utf-8-sig")))}
    assert rows["alice@univ.fr"][1] == "20"  # the victim's own score, in the victim's row
    assert rows["mallory@univ.fr"][1] in ("", "0")  # the refused file reached nobody's row (Moodle's absent: 0)
    assert float(rows["eve@univ.fr"][1]) < 20 and float(rows["oscar@univ.fr"][1]) < 20
    side = done.unmatched.read_text(encoding="utf-8-sig")
    assert "name-differs" in side and "trudy_12345" in side
    assert any("to grade by hand" in n and "grader manual export" in n for n in done.notes)  # w1 not graded yet
