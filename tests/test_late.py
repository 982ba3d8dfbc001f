"""Late work: the `[late]` policy (pure unit tests of what lateness costs, at every boundary, on the
course's clock), then a tp-tenseurs class graded for real from a course folder whose TOML has
`[late]`, the students' file times set with os.utime, and a Gradescope submission whose metadata
says it came after the deadline."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import os
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import by_student, reference_text, write_class

from grader import assignments, late
from grader.assignments import AssignmentError
from grader.grading import grade
from grader.lms import gradescope
from grader.lms.exports import export
from grader.model import (
    LatePolicy,
    Penalty,
    Question,
    QuestionScore,
    SubmissionResult,
    after_penalty,
    msg,
)

PARIS = ZoneInfo("Europe/Paris")
DAY, HOUR = 86400, 3600


def policy(**table) -> LatePolicy:
    return late.read_policy({"due": "2026-12-10T23:59", "timezone": "Europe/Paris", **table})


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=PARIS)


DUE = at("2026-12-10T23:59")


def cost(p: LatePolicy, submitted: dt.datetime | None) -> float:
    return late.penalty(p, submitted, source="file").percent


# ------------------------------------------------------------------------------------------ the policy


def test_on_time_up_to_the_due_second_then_a_started_day_counts_whole():
    p = policy(policy="per_day", percent=10)
    assert cost(p, DUE - dt.timedelta(days=3)) == 0
    assert cost(p, DUE) == 0  # at the due time: on time
    assert cost(p, DUE + dt.timedelta(seconds=1)) == 10
    assert cost(p, DUE + dt.timedelta(minutes=1)) == 10
    assert cost(p, DUE + dt.timedelta(days=1)) == 10  # exactly one day late: one day
    assert cost(p, DUE + dt.timedelta(days=1, seconds=1)) == 20
    assert cost(p, DUE + dt.timedelta(days=2, hours=3)) == 30
    assert cost(p, DUE + dt.timedelta(days=30)) == 100  # never more than everything


def test_per_hour_counts_started_hours():
    p = policy(policy="per_hour", percent=5)
    assert cost(p, DUE + dt.timedelta(minutes=59)) == 5
    assert cost(p, DUE + dt.timedelta(hours=1)) == 5
    assert cost(p, DUE + dt.timedelta(minutes=61)) == 10


def test_beyond_the_limit_the_score_is_zero_and_at_it_not_yet():
    for p in (policy(policy="per_day", percent=10, limit="72h"), policy(policy="per_day", percent=10, max_days=3)):
        assert cost(p, DUE + dt.timedelta(hours=72)) == 30
        pen = late.penalty(p, DUE + dt.timedelta(hours=72, seconds=1))
        assert pen.percent == 100 and after_penalty(17.5, pen) == 0
        assert "note 0" in pen.reason.fr and "score 0" in pen.reason.en
    only_limit = policy(policy="none", limit="2d")  # no percentage: nothing until the limit, then 0
    assert cost(only_limit, DUE + dt.timedelta(days=2)) == 0 and cost(only_limit, DUE + dt.timedelta(days=2, seconds=1)) == 100


def test_grace_forgives_a_little_and_past_it_lateness_counts_from_the_due_date():
    p = policy(policy="per_hour", percent=10, grace="15min")
    within = late.penalty(p, DUE + dt.timedelta(minutes=15))
    assert within.percent == 0 and within.seconds == 15 * 60 and "grâce" in within.reason.fr
    assert cost(p, DUE + dt.timedelta(minutes=15, seconds=1)) == 10
    assert cost(p, DUE + dt.timedelta(minutes=61)) == 20  # two started hours since the due date


def test_the_due_date_is_read_on_the_course_clock_summer_or_winter():
    assert policy().due.utcoffset() == dt.timedelta(hours=1)  # December in Paris: CET
    summer = late.read_policy({"due": "2026-06-10T23:59", "timezone": "Europe/Paris"})
    assert summer.due.utcoffset() == dt.timedelta(hours=2)  # June: CEST
    assert summer.due == dt.datetime(2026, 6, 10, 21, 59, tzinfo=dt.UTC)
    fixed = late.read_policy({"due": "2026-12-10T23:59-05:00"})  # an offset and no zone: its own clock
    assert fixed.due == dt.datetime(2026, 12, 11, 4, 59, tzinfo=dt.UTC)
    # Gradescope's created_at is UTC-ish ISO: 22:30 UTC is 23:30 in Paris, on time for 23:59
    assert cost(policy(policy="per_day", percent=10), late.parse_time("2026-12-10T22:30:00.123456+00:00")) == 0
    assert cost(policy(policy="per_day", percent=10), late.parse_time("2026-12-10T23:00:00Z")) == 10


def test_days_late_are_counted_on_the_course_clock_across_the_change_to_summer_time():
    p = late.read_policy({"due": "2026-03-28T23:59", "timezone": "Europe/Paris", "policy": "per_day", "percent": 10})
    submitted = at("2026-03-30T00:30")  # Monday 00:30, due Saturday 23:59: past a second midnight
    real = submitted.astimezone(dt.UTC) - p.due.astimezone(dt.UTC)
    assert real == dt.timedelta(hours=23, minutes=31)  # clocks went forward that night
    pen = late.penalty(p, submitted)
    assert pen.percent == 20 and pen.seconds == DAY + 31 * 60
    assert late.penalty(p, at("2026-03-29T23:30")).percent == 10


def test_no_policy_no_penalty_and_an_unknown_time_costs_nothing_but_is_said():
    assert late.assess(None, {"submitted_at": "2030-01-01T00:00:00+00:00"}) is None
    none = late.penalty(policy(), DUE + dt.timedelta(days=5))
    assert none.percent == 0 and none.seconds == 5 * DAY and "aucune pénalité prévue" in none.reason.fr
    unknown = late.assess(policy(policy="per_day", percent=10), {})
    assert unknown is not None and unknown.percent == 0
    assert "inconnue" in unknown.reason.fr and "unknown" in unknown.reason.en


def test_a_stored_time_its_source_and_a_canvas_flag_are_read_back_from_info():
    p = policy(policy="per_day", percent=10)
    info = {"submitted_at": "2026-12-11T10:00:00+01:00", "submitted_from": "file",
            "lms": {"lms": "canvas", "id": "222", "name": "x", "late": True}}
    pen = late.assess(p, info)
    assert pen is not None and pen.percent == 10 and pen.source == "file"
    assert "Canvas l'a signalée en retard" in pen.reason.fr and "Canvas flagged it late" in pen.reason.en
    assert "date du fichier" in pen.reason.fr and "the file's time" in pen.reason.en
    early = late.assess(p, {**info, "submitted_at": "2026-12-09T10:00:00+01:00"})
    assert early.percent == 0 and "à vérifier" in early.reason.fr  # Canvas knows better, or an extension: said
    assert late.assess(p, {**info, "self_check": True}) is None  # a student's own self-check: no deadline


def test_the_reason_reads_well_in_both_languages():
    pen = late.penalty(policy(policy="per_day", percent=10), at("2026-12-13T02:59"), source="gradescope")
    assert pen.reason.fr == ("Rendu 2 j 3 h après l'échéance (le 13/12/2026 à 02:59 CET, heure de Gradescope ; "
                             "échéance le 10/12/2026 à 23:59 CET) : −30 % (3 jours entamés × 10 %).")
    assert pen.reason.en == ("Submitted 2 d 3 h after the deadline (2026-12-13 02:59 CET, Gradescope's time; "
                             "due 2026-12-10 23:59 CET): −30% (3 started days × 10%).")
    assert pen.as_dict()["submitted_at"] == "2026-12-13T02:59:00+01:00"


def test_the_penalty_applies_to_the_whole_total_of_a_result():
    q = Question("q1", 10, msg("a")), Question("q2", 10, msg("b"))
    scores = (QuestionScore(q[0], 10.0, ()), QuestionScore(q[1], 7.25, ()))
    result = SubmissionResult("s", "a", "graded", scores, penalty=Penalty(20.0, 3600, msg("x")))
    assert result.points == 17.25 and result.score == 13.8
    assert SubmissionResult("s", "a", "graded", scores).score == 17.25
    assert after_penalty(3.0, Penalty(0.0, 0, msg("x"))) == 3.0


@pytest.mark.parametrize("table, words", [
    ({"due": "2026-13-10T23:59", "timezone": "Europe/Paris"}, "not a date"),
    ({"due": "2026-12-10T23:59", "timezone": "Europe/Pariss"}, "unknown timezone"),
    ({"due": "2026-12-10T23:59"}, "no offset"),
    ({"due": "2026-12-10", "timezone": "Europe/Paris"}, "no time"),
    ({"due": "2026-12-10T23:59", "timezone": "Europe/Paris", "policy": "per_day", "percent": -5}, "percent"),
    ({"due": "2026-12-10T23:59", "timezone": "Europe/Paris", "policy": "per_day"}, "needs percent"),
    ({"due": "2026-12-10T23:59", "timezone": "Europe/Paris", "policy": "weekly"}, "policy must be"),
    ({"due": "2026-12-10T23:59", "timezone": "Europe/Paris", "precent": 10}, "unknown key"),
    ({"due": "2026-12-10T23:59", "timezone": "Europe/Paris", "limit": 72}, "duration with its unit"),
    ({"due": "2026-12-10T23:59", "timezone": "Europe/Paris", "limit": "72 parsecs"}, "cannot read"),
    ({"due": "2026-12-10T23:59", "timezone": "Europe/Paris", "limit": "3d", "max_days": 3}, "not both"),
    ({"timezone": "Europe/Paris"}, "needs due"),
])
def test_a_wrong_late_table_is_a_clear_error_naming_the_file(tmp_path, table, words):
    folder = tmp_path / "tp"
    folder.mkdir()
    lines = "\n".join(f"{k} = {json.dumps(v)}" for k, v in table.items())
    (folder / "assignment.toml").write_text(f'id = "tp"\n\n[late]\n{lines}\n\n[[questions]]\nid = "q1"\npoints = 1\n')
    with pytest.raises(AssignmentError, match=words) as e:
        assignments.read_assignment(folder)
    assert "assignment.toml" in str(e.value) and "[late]" in str(e.value)


def test_a_toml_datetime_and_durations_with_several_units_are_read(tmp_path):
    folder = tmp_path / "tp"
    folder.mkdir()
    (folder / "assignment.toml").write_text('id = "tp"\n[late]\ndue = 2026-12-10T23:59:00\ntimezone = "Europe/Paris"\n'
                                            'policy = "per_hour"\npercent = 2.5\nlimit = "1d 12h"\ngrace = "1h30min"\n'
                                            '[[questions]]\nid = "q1"\npoints = 1\n')
    p = assignments.read_assignment(folder).late
    assert p == LatePolicy(DUE, "Europe/Paris", "per_hour", 2.5, 36 * HOUR, 90 * 60)


def test_editing_the_late_table_keeps_the_fingerprint_and_editing_a_question_changes_it(tmp_path):
    folder = tmp_path / "tp"
    folder.mkdir()
    toml = folder / "assignment.toml"
    base = 'id = "tp"\n[[questions]]\nid = "q1"\npoints = 1\n'
    toml.write_text(base)
    before = assignments.fingerprint(folder, None)
    toml.write_text(base + '\n# a comment\n[late]\ndue = "2026-12-10T23:59+01:00"\npolicy = "per_day"\npercent = 10\n')
    assert assignments.fingerprint(folder, None) == before  # a deadline never regrades anybody
    toml.write_text(base.replace("points = 1", "points = 2"))
    assert assignments.fingerprint(folder, None) != before


# ------------------------------------------------------------------------------------------ a real class

REF = reference_text("tp-tenseurs")
LATE = '''
[late]
due = "2026-01-10T23:59"
timezone = "Europe/Paris"
policy = "per_day"
percent = {percent}
limit = "72h"
'''
CLASS_DUE = dt.datetime(2026, 1, 10, 23, 59, tzinfo=PARIS)
CANVAS_ROSTER = ("Student,ID,SIS User ID,SIS Login ID,Section\r\n"
                 "Alice,1,alice,alice,A\r\nBob,2,bob,bob,A\r\nDupont,222,s-222,dupont,A\r\n")


def course_with_late(root: Path, percent: float) -> Path:
    """A course folder holding a copy of tp-tenseurs whose TOML has `[late]`."""
    src = Path(assignments.locate("tp-tenseurs").folder)
    folder = root / "assignments" / "tp-tenseurs"
    if not folder.exists():
        shutil.copytree(src, folder, ignore=shutil.ignore_patterns("__pycache__"))
        (root / "reference").mkdir(parents=True, exist_ok=True)
        shutil.copy(assignments.locate("tp-tenseurs").reference, root / "reference" / "tp-tenseurs.py")
        (folder / "assignment.toml").write_text((src / "assignment.toml").read_text() + LATE.format(percent=10))
    else:
        text = (folder / "assignment.toml").read_text()
        (folder / "assignment.toml").write_text(text.split("\n[late]")[0] + LATE.format(percent=percent))
    return root


def handed_in(path: Path, moment: dt.datetime) -> None:
    os.utime(path, (moment.timestamp(), moment.timestamp()))


@pytest.fixture(scope="module")
def late_class(tmp_path_factory):
    """Three correct submissions: on time, 1 day 2 hours late (−20 %), a Canvas LATE download 4 days
    late (beyond the 72 h limit: 0)."""
    root = tmp_path_factory.mktemp("late")
    course = course_with_late(root / "course", 10)
    folder = write_class(root / "class", {"alice.py": REF, "bob.py": REF, "dupont_LATE_222_401_tp.py": REF})
    handed_in(folder / "alice.py", CLASS_DUE - dt.timedelta(hours=5))
    handed_in(folder / "bob.py", CLASS_DUE + dt.timedelta(days=1, hours=2))
    handed_in(folder / "dupont_LATE_222_401_tp.py", CLASS_DUE + dt.timedelta(days=4))
    (root / "canvas.csv").write_text(CANVAS_ROSTER)
    run = grade(folder, assignment="tp-tenseurs", out=root / "out", workers=2, courses=[course],
                limits={"cell_timeout": 90, "grace": 3, "wall_timeout": 300})
    return root, course, folder, run


def submissions(out: Path) -> dict[str, dict]:
    return {s["student"]: s for s in json.loads((out / "results.json").read_text())["submissions"]}


def test_results_json_keeps_the_time_its_source_the_score_before_and_after(late_class):
    root, _, _, run = late_class
    doc = submissions(run.out)
    assert {s: d["score_before_penalty"] for s, d in doc.items()} == {"alice": 20, "bob": 20, "dupont_222": 20}
    assert {s: d["score"] for s, d in doc.items()} == {"alice": 20, "bob": 16, "dupont_222": 0}
    assert {s: d["late"]["penalty_percent"] for s, d in doc.items()} == {"alice": 0, "bob": 20, "dupont_222": 100}
    bob = doc["bob"]
    assert bob["info"]["submitted_at"] == "2026-01-12T01:59:00+01:00" and bob["info"]["submitted_from"] == "file"
    assert bob["late"]["seconds"] == DAY + 2 * HOUR and bob["late"]["source"] == "file"
    assert "Rendu 1 j 2 h après l'échéance" in bob["late"]["reason"]["fr"]
    assert "Canvas l'a signalée en retard" in doc["dupont_222"]["late"]["reason"]["fr"]
    top = json.loads((run.out / "results.json").read_text())["late"]
    assert top["policy"] == "per_day" and top["percent"] == 10 and top["limit_seconds"] == 72 * HOUR
    assert by_student(run)["bob"].score == 16 and by_student(run)["bob"].points == 20


def test_grades_csv_has_the_total_after_the_penalty_and_the_penalty(late_class):
    _, _, _, run = late_class
    rows = list(csv.DictReader(io.StringIO((run.out / "grades.csv").read_text())))
    got = {r["student"]: (r["total"], r["before_penalty"], r["late_penalty_percent"]) for r in rows}
    assert got == {"alice": ("20", "20", "0"), "bob": ("16", "20", "20"), "dupont_222": ("0", "20", "100")}


def test_the_student_report_and_the_summary_show_the_penalty_in_each_language(late_class):
    from grader.reports import write_all

    _, _, _, run = late_class
    page = html.unescape((run.out / "reports" / "bob.html").read_text())
    assert 'id="total"><span class="score">16 / 22</span>' in page
    assert "Rendu 1 j 2 h après l'échéance" in page and "−20 %" in page and "Avant pénalité : " in page
    assert "Rendu à temps" in (run.out / "reports" / "alice.html").read_text()
    summary = (run.out / "summary.html").read_text()
    assert "<th class=\"num\">Retard</th>" in summary and "−20 %" in summary and "−100 %" in summary
    english = run.out.parent / "en"
    write_all(list(run.results), run.assignment, english, lang="en")
    page = html.unescape((english / "reports" / "bob.html").read_text())
    assert "Submitted 1 d 2 h after the deadline" in page and "−20%" in page and "Before the penalty: " in page
    assert "Rendu" not in page and "Late work" in page


def test_canvas_takes_the_grade_after_the_penalty_and_moodle_says_why(late_class):
    root, course, _, run = late_class
    export("canvas", run.out, root / "canvas.csv", courses=[course])
    rows = list(csv.reader(io.StringIO((run.out / "canvas.csv").read_bytes().decode("utf-8-sig"))))
    grades = {r[2]: r[-1] for r in rows[2:]}
    assert grades["alice"] == "20" and grades["bob"] == "16"
    (root / "moodle.csv").write_text("Full name,Email address\nbob,bob@u.fr\nalice,alice@u.fr\n")
    export("moodle", run.out, root / "moodle.csv", key="Full name", lang="en", courses=[course])
    lines = {r[0]: r for r in csv.reader(io.StringIO((run.out / "moodle.csv").read_bytes().decode("utf-8-sig")))}
    assert lines["bob@u.fr"][1] == "16"
    assert "Submitted 1 d 2 h after the deadline" in lines["bob@u.fr"][2]
    assert "Score before the penalty: 20." in lines["bob@u.fr"][2]
    assert "deadline" not in lines["alice@u.fr"][2]  # on time: nothing to say in the feedback


def test_a_changed_policy_applies_at_the_next_run_without_regrading(late_class):
    root, course, folder, run = late_class
    course_with_late(course, 25)
    again = grade(folder, assignment="tp-tenseurs", out=run.out, courses=[course])
    assert again.regraded == () and again.stale == {}
    assert {r.student: r.score for r in again.results} == {"alice": 20, "bob": 10, "dupont_222": 0}
    assert submissions(run.out)["bob"]["score"] == 10
    course_with_late(course, 10)


def test_a_run_s_due_date_and_extensions_apply_without_regrading_and_stay_in_its_gradebook(late_class, tmp_path):
    from grader.gradebook import Gradebook

    root, course, folder, run = late_class
    ext = tmp_path / "extensions.csv"
    ext.write_text("student,due\nbob,2026-01-12T12:00\n222,2026-01-20T23:59+01:00\n")
    moved = grade(folder, assignment="tp-tenseurs", out=run.out, courses=[course], due="2026-01-11T23:59",
                  extensions=str(ext))
    assert moved.regraded == ()
    got = by_student(moved)
    assert got["bob"].score == 20 and "échéance prolongée le 12/01/2026 à 12:00" in got["bob"].penalty.reason.fr
    assert got["dupont_222"].score == 20  # the LMS id names the student too
    assert got["alice"].penalty.percent == 0
    book = Gradebook(run.out / "gradebook.sqlite")  # what a manual import reads back: the same deadlines
    try:
        assert book.result(moved.assignment, "bob").score == 20
    finally:
        book.close()
    alone = grade(folder, assignment="tp-tenseurs", out=run.out, courses=[course], due="2026-01-11T23:59")
    assert by_student(alone)["bob"].score == 18 and by_student(alone)["dupont_222"].score == 14  # 72 h: at the limit
    back = grade(folder, assignment="tp-tenseurs", out=run.out, courses=[course])  # none given: the TOML's
    assert by_student(back)["bob"].score == 16


def test_a_bad_due_or_extensions_file_is_a_usage_error(late_class, tmp_path):
    from grader.grading import UsageError

    _, course, folder, run = late_class
    with pytest.raises(UsageError, match="--due"):
        grade(folder, assignment="tp-tenseurs", out=tmp_path / "o", courses=[course], due="tomorrow")
    bad = tmp_path / "ext.csv"
    bad.write_text("student,due\nbob,2026-02-30T10:00\n")
    with pytest.raises(UsageError, match="ligne 2 : '2026-02-30T10:00' n'est pas une date"):
        grade(folder, assignment="tp-tenseurs", out=tmp_path / "o", courses=[course], extensions=str(bad))
    with pytest.raises(UsageError, match="line 2: '2026-02-30T10:00' is not a date"):
        grade(folder, assignment="tp-tenseurs", out=tmp_path / "o", courses=[course], extensions=str(bad), lang="en")


def test_due_without_offset_on_a_tp_without_late_is_read_on_the_local_clock():
    """A built-in TP has no [late]: `--due 2026-12-10T23:59` is the instructor's own clock, as typed."""
    from grader.late import LateConfigError, effective, read_overrides

    over = read_overrides("2026-12-10T23:59", None, None)
    assert over.due == dt.datetime(2026, 12, 10, 23, 59).astimezone()
    assert over.due.tzinfo is not None and effective(None, over).due == over.due
    with_offset = read_overrides("2026-12-10T23:59+01:00", None, None)
    assert with_offset.due.utcoffset() == dt.timedelta(hours=1)
    with pytest.raises(LateConfigError) as e:
        read_overrides("2026-12-10", None, None)
    assert e.value.text("fr").startswith("--due = 2026-12-10 n'a pas d'heure")
    assert e.value.text("en").startswith("--due = 2026-12-10 has no time")


def test_a_gradescope_submission_is_judged_by_its_metadata_not_its_files(late_class, tmp_path):
    _, course, _, _ = late_class
    root = tmp_path / "autograder"
    write_class(root / "submission", {"tp.py": REF})
    handed_in(root / "submission" / "tp.py", CLASS_DUE - dt.timedelta(days=1))  # the file says on time
    created = (CLASS_DUE + dt.timedelta(hours=30)).astimezone(dt.timezone(dt.timedelta(hours=-8)))
    (root / "submission_metadata.json").write_text(json.dumps({"id": 1, "created_at": created.isoformat()}))
    doc = gradescope.run("tp-tenseurs", root=root, courses=[course], lang="en")
    assert doc["score"] == 16 and doc["extra_data"]["score_before_penalty"] == 20
    assert doc["extra_data"]["late"]["source"] == "gradescope" and doc["extra_data"]["late"]["penalty_percent"] == 20
    # tp-tenseurs has hidden checks: the visible summary says why points go, not the score before publication
    output = html.unescape(doc["output"])  # Gradescope's output is escaped HTML
    assert "20" not in output.split("</p>")[0] and "when grades are published" in output
    assert "Submitted 1 d 6 h after the deadline" in output and "Gradescope's time" in output
    assert json.loads((root / "results" / "results.json").read_text())["score"] == 16
