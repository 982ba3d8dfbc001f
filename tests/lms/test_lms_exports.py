"""Canvas and Moodle grade imports from a tp-tenseurs class graded for real, named as the LMSs'
bulk downloads name files, and rosters with a student missing and students extra."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import by_student, mutate, reference_text, write_class

from grader.cli import main
from grader.grading import grade
from grader.lms.canvas import POINTS_POSSIBLE
from grader.lms.exports import export
from grader.lms.roster import RosterError, Student, match, read_roster
from grader.lms.roster_lines import ExportError, load_run

REF = reference_text("tp-tenseurs")
MUTANT_Q3 = mutate(REF, "first_five = batch[:5]", "first_five = batch[-5:]")
MUTANT_Q5 = mutate(REF, "flat = tf.reshape(batch, (batch.shape[0], -1))",
                   "flat = tf.reshape(tf.transpose(batch, (0, 2, 1)), (batch.shape[0], -1))")

CANVAS_ROSTER = (
    "Student,ID,SIS User ID,SIS Login ID,Section,TP tenseurs (555),Current Score\r\n"
    "    Points Possible,,,,,20.00,(read only)\r\n"
    '"Doe, Jane",12345,s-001,jdoe,Groupe A,,\r\n'
    '"Smith, John",222,s-002,jsmith,"Groupe A, mardi",,\r\n'
    '"Absente, Anna",333,s-003,aabsente,Groupe B,,\r\n'
    '"Student, Test",999,,,Groupe A,,\r\n')
MOODLE_WORKSHEET = (
    "Identifier,Full name,Email address,Status,Grade,Maximum Grade,Feedback comments\n"
    "Participant 31,Hélène Bérézina,helene@univ.fr,Submitted,,20.00,\n"
    "Participant 32,Jean Dupont,jean.dupont@univ.fr,Submitted,,20.00,\n"
    "Participant 33,Zoé Absente,zoe@univ.fr,No submission,,20.00,\n")
#: Moodle's gradebook export knows no participant id: the names are the fallback (warned).
MOODLE_GRADEBOOK = (
    "First name;Last name;ID number;Email address\n"
    "Hélène;Bérézina;2024031;helene@univ.fr\n"
    "Jean;Dupont;2024032;jean.dupont@univ.fr\n")


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel shows the accents, both LMSs strip it
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Two Canvas downloads (one late) and two Moodle ones (a per-plugin folder pair, a file)."""
    root = tmp_path_factory.mktemp("lms")
    folder = write_class(root / "class", {
        "doejane_12345_67890_tp_tenseurs.py": REF,
        "smithjohn_LATE_222_401_tp.py": MUTANT_Q3,
        "Jean Dupont_32_assignsubmission_file_tp.py": MUTANT_Q5,
    })
    write_class(folder / "Hélène Bérézina_31_assignsubmission_file_", {"tp.py": REF})
    write_class(folder / "Hélène Bérézina_31_assignsubmission_onlinetext_", {"onlinetext.html": "<p>ok</p>"})
    write_class(root, {"canvas.csv": CANVAS_ROSTER, "worksheet.csv": MOODLE_WORKSHEET,
                       "gradebook.csv": MOODLE_GRADEBOOK})
    return grade(folder, assignment="tp-tenseurs", out=root / "out", workers=2,
                 limits={"cell_timeout": 90, "grace": 3, "wall_timeout": 300})  # room for TensorFlow's import under load


def scores(run) -> dict[str, float]:
    return {s["student"]: s["score"] for s in json.loads((run.out / "results.json").read_text())["submissions"]}


def test_intake_keys_and_lms_identity_reach_the_results(run):
    results = by_student(run)
    assert sorted(results) == ["doejane_12345", "helene-berezina_31", "jean-dupont_32", "smithjohn_222"]
    doc = {s["student"]: s for s in json.loads((run.out / "results.json").read_text())["submissions"]}
    assert doc["smithjohn_222"]["info"]["lms"] == {"lms": "canvas", "id": "222", "name": "smithjohn", "late": True}
    assert doc["helene-berezina_31"]["info"]["lms"] == {"lms": "moodle", "id": "31", "name": "Hélène Bérézina"}
    assert scores(run)["doejane_12345"] == scores(run)["helene-berezina_31"] == 20
    assert scores(run)["smithjohn_222"] < 20 and scores(run)["jean-dupont_32"] < 20


def test_canvas_import(run):
    done = export("canvas", run.out, run.out.parent / "canvas.csv", assignment_name="TP tenseurs", lang="en")
    assert done.path == run.out / "canvas.csv" and done.written == 2 and done.absent == 1
    rows = read_csv(done.path)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "TP tenseurs (555)"]
    assert rows[1] == [POINTS_POSSIBLE, "", "", "", "", "22"]  # 20 autograded + the written answer w1
    got = scores(run)
    assert rows[2:] == [  # the roster's order and values, the Student View account left out
        ["Doe, Jane", "12345", "s-001", "jdoe", "Groupe A", f"{got['doejane_12345']:g}"],
        ["Smith, John", "222", "s-002", "jsmith", "Groupe A, mardi", f"{got['smithjohn_222']:g}"],
        ["Absente, Anna", "333", "s-003", "aabsente", "Groupe B", ""],  # no submission: empty
    ]
    grades_csv = {r["student"]: r["total"] for r in csv.DictReader(io.StringIO((run.out / "grades.csv").read_text()))}
    assert rows[3][5] == grades_csv["smithjohn_222"]  # the very number grades.csv shows
    side = read_csv(run.out / "canvas-unmatched.csv")
    assert side[0][:3] == ["problem", "detail", "student"]
    problems = {(r[0], r[2] or r[7]) for r in side[1:]}
    assert problems == {("not-in-roster", "helene-berezina_31"), ("not-in-roster", "jean-dupont_32"),
                        ("no-submission", "Absente, Anna")}
    assert any("helene-berezina_31" in note for note in done.notes)


def test_canvas_id_option_and_without_points_possible_row(run, tmp_path):
    target = tmp_path / "import.csv"
    export("canvas", run.out, run.out.parent / "canvas.csv", file=target, canvas_id="777", absent="zero",
           points_possible=False)
    rows = read_csv(target)
    assert rows[0][-1] == f"{load_run(run.out).title} (777)"
    assert "Points Possible" not in rows[1][0] and rows[-1][-1] == "0"
    assert (tmp_path / "import-unmatched.csv").is_file()


def test_moodle_import_from_the_grading_worksheet(run):
    done = export("moodle", run.out, run.out.parent / "worksheet.csv", assignment_name="TP tenseurs")
    rows = read_csv(done.path)
    assert done.path == run.out / "moodle.csv"
    assert rows[0] == ["Email address", "TP tenseurs", "TP tenseurs (commentaires)"]
    got = scores(run)
    assert [r[:2] for r in rows[1:]] == [["helene@univ.fr", f"{got['helene-berezina_31']:g}"],
                                         ["jean.dupont@univ.fr", f"{got['jean-dupont_32']:g}"],
                                         ["zoe@univ.fr", "0"]]  # no submission: 0, and said
    helene, jean, zoe = (r[2] for r in rows[1:])
    assert helene.splitlines()[0].endswith(": 20/22 (2 point(s) en attente de correction à la main)"), helene
    assert "q1" in helene and "w1" in helene and "  - " not in helene
    assert "q5" in jean and "\n  - " in jean  # the failed check's message, in plain text
    assert "<" not in jean and "**" not in jean
    assert zoe == "Aucune copie reçue par le correcteur."
    side = read_csv(run.out / "moodle-unmatched.csv")
    assert {(r[0], r[2] or r[7]) for r in side[1:]} == {
        ("not-in-roster", "doejane_12345"), ("not-in-roster", "smithjohn_222"), ("no-submission", "Zoé Absente")}


def test_moodle_feedback_follows_lang_and_identity_column(run, tmp_path):
    done = export("moodle", run.out, run.out.parent / "worksheet.csv", file=tmp_path / "m.csv", lang="en",
                  identity="email", absent="empty")
    rows = read_csv(done.path)
    assert rows[0][2].endswith("(feedback)") and rows[3][1] == "" and rows[3][2] == "No submission reached the grader."
    jean = rows[2][2]
    assert "expected" in jean and "attendu" not in jean, jean  # English messages, from the gradebook
    assert jean.splitlines()[0].endswith(": 17/22 (2 point(s) pending hand grading)") and " : " not in jean  # English titles, from the TOML
    assert "Normalisation" not in jean and "q5 " in jean
    with pytest.raises(ExportError, match="username"):
        export("moodle", run.out, run.out.parent / "worksheet.csv", identity="username")


def test_moodle_gradebook_roster_matches_by_name_with_a_warning(run, tmp_path):
    done = export("moodle", run.out, run.out.parent / "gradebook.csv", file=tmp_path / "m.csv",
                  identity="idnumber")
    rows = read_csv(done.path)
    assert [r[:2] for r in rows[1:]] == [["2024031", "20"], ["2024032", f"{scores(run)['jean-dupont_32']:g}"]]
    side = read_csv(tmp_path / "m-unmatched.csv")
    assert sorted(r[2] for r in side[1:] if r[0] == "matched-by-name") == ["helene-berezina_31", "jean-dupont_32"]


def test_cli_export_and_its_usage_errors(run, tmp_path, capsys):
    roster = str(run.out.parent / "canvas.csv")
    assert main(["export", "canvas", str(run.out), "--roster", roster, "-o", str(tmp_path / "c.csv"),
                 "--key", "ID", "--lang", "en"]) == 0
    err = capsys.readouterr().err
    assert "not-in-roster" in err and "jean-dupont_32" in err and "1 student(s) without a submission" in err
    assert read_csv(tmp_path / "c.csv")[2][1] == "12345"
    assert main(["export", "canvas", str(tmp_path), "--roster", roster]) == 2
    assert "results.json" in capsys.readouterr().err
    assert main(["export", "canvas", str(run.out), "--roster", roster, "--key", "Nope"]) == 2
    assert "Nope" in capsys.readouterr().err
    proc = subprocess.run([sys.executable, "-m", "grader", "export", "moodle", str(run.out), "--roster",
                           str(run.out.parent / "worksheet.csv"), "-o", str(tmp_path / "m.csv")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "useremail" in proc.stderr and (tmp_path / "m.csv").is_file()


# ---------------------------------------------------------------------------- roster matching, no grading


def roster(tmp_path: Path, text: str, encoding: str = "utf-8") -> object:
    path = tmp_path / "roster.csv"
    path.write_bytes(text.encode(encoding))
    return read_roster(path)


def test_key_column_found_by_email_local_part_case_and_spaces_ignored(tmp_path):
    r = roster(tmp_path, "Nom;Courriel;Groupe\r\nDupont Jean; JDupont@univ.fr ;A\r\nMartin Léa;lmartin@univ.fr;B\r\n",
               "cp1252")
    m = match(r, [Student("jdupont"), Student("lmartin"), Student("intrus")])
    assert m.key_column == "Courriel" and m.by_row == {0: "jdupont", 1: "lmartin"}
    assert m.not_in_roster == ("intrus",) and m.no_submission == ()


def test_two_rows_for_one_student_or_one_row_for_two_guess_nothing(tmp_path):
    r = roster(tmp_path, "login,mail\nann,ann@a.fr\nann,ann@b.fr\nbob,bob@a.fr\n")
    m = match(r, [Student("ann"), Student("bob")], key="login")
    assert m.ambiguous == (("ann", (0, 1)),) and m.by_row == {2: "bob"} and m.no_submission == ()
    shared = match(roster(tmp_path, "ID\n12\n"), [Student("x_12", "12"), Student("y_12", "12")])
    assert shared.shared == ((0, ("x_12", "y_12")),) and shared.by_row == {}


def test_roster_errors_say_what_to_do(tmp_path):
    r = roster(tmp_path, "a,b\n1,2\n")
    with pytest.raises(RosterError, match="--key"):
        match(r, [Student("zz")])
    with pytest.raises(RosterError, match="colonnes : a, b"):
        match(r, [Student("zz")], key="c")


def test_side_file_defuses_spreadsheet_formulas(tmp_path):
    from grader.lms.roster_lines import write_unmatched

    write_unmatched(tmp_path / "u.csv", [["not-in-roster", "x", "=HYPERLINK(1)", "", "", "0", "", ""]])
    assert read_csv(tmp_path / "u.csv")[1][2] == "'=HYPERLINK(1)"


# ---------------------------------------------------------------------------- the column the instructor has


def _canvas_roster(tmp_path: Path, *assignments: str) -> Path:
    header = ",".join(("Student", "ID", "SIS User ID", "SIS Login ID", "Section", *assignments, "Current Score"))
    blanks = "," * len(assignments)
    path = tmp_path / "gradebook.csv"
    path.write_text(f"{header}\r\n    Points Possible,,,,{blanks},(read only)\r\n"
                    f'"Doe, Jane",12345,s-001,jdoe,Groupe A{blanks},\r\n'
                    f'"Smith, John",222,s-002,jsmith,Groupe A{blanks},\r\n', encoding="utf-8")
    return path


def test_canvas_fills_the_rosters_own_assignment_column(run, tmp_path):
    """The roster (a Canvas gradebook export) has one assignment column, under another title than the
    TP's: it is the one filled (Canvas updates it), never a new assignment by accident."""
    roster = _canvas_roster(tmp_path, "TP1 Tenseurs (67890)")
    done = export("canvas", run.out, roster, file=tmp_path / "import.csv", lang="en")
    assert read_csv(done.path)[0][-1] == "TP1 Tenseurs (67890)"
    assert any("'TP1 Tenseurs (67890)', the roster's only one" in n for n in done.notes)
    fr = export("canvas", run.out, roster, file=tmp_path / "import-fr.csv", canvas_id="67890")
    assert read_csv(fr.path)[0][-1] == "TP1 Tenseurs (67890)"  # --canvas-id names the roster's column


def test_canvas_asks_which_column_when_the_roster_has_several(run, tmp_path):
    roster = _canvas_roster(tmp_path, "TP0 Rappels (111)", "TP1 Tenseurs (67890)")
    with pytest.raises(ExportError) as refused:
        export("canvas", run.out, roster, file=tmp_path / "import.csv", lang="en")
    assert "TP0 Rappels (111)" in refused.value.message.en and "--canvas-id" in refused.value.message.en
    assert "plusieurs devoirs" in refused.value.message.fr
    assert not (tmp_path / "import.csv").exists()  # nothing written
    done = export("canvas", run.out, roster, file=tmp_path / "import.csv", canvas_id="67890")
    assert read_csv(done.path)[0][-1] == "TP1 Tenseurs (67890)"
    done = export("canvas", run.out, roster, file=tmp_path / "import.csv", assignment_name="TP0 Rappels")
    assert read_csv(done.path)[0][-1] == "TP0 Rappels (111)"


def test_exports_warn_when_hand_graded_points_are_pending(run, tmp_path):
    """w1 (2 points, graded by hand) is not graded yet: both exports say the grades leave it out."""
    canvas = export("canvas", run.out, run.out.parent / "canvas.csv", file=tmp_path / "c.csv",
                    assignment_name="TP tenseurs")
    assert any("à corriger à la main" in n and "grader manual import" in n for n in canvas.notes)
    moodle = export("moodle", run.out, run.out.parent / "worksheet.csv", file=tmp_path / "m.csv", lang="en")
    assert any("still have points to grade by hand" in n for n in moodle.notes)
