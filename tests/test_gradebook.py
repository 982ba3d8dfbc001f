"""The SQLite gradebook: results stored as they come, resumable, new content regraded."""

from __future__ import annotations

import sqlite3

import pytest

from grader.gradebook import Gradebook
from grader.model import Assignment, CheckResult, Message, Picture, Question, Status

A = Assignment("tp-x", Message("TP"), (Question("q1", 2, Message("Q1")), Question("q2", 3, Message("Q2"))))


def check(name, q, status=Status.PASSED):
    return CheckResult(name, q, status, Message("m", "m"))


def test_checks_survive_an_interrupted_run_and_scores_follow(tmp_path):
    book = Gradebook(tmp_path / "g.sqlite")
    assert book.begin("tp-x", "alice", "h1", "alice.py") == 1
    book.add_check("tp-x", "alice", check("c1", "q1"))
    book.close()  # the grader died here

    book = Gradebook(tmp_path / "g.sqlite")
    assert not book.is_current("tp-x", "alice", "h1")
    assert book.begin("tp-x", "alice", "h1", "alice.py") == 2
    assert list(book.done_checks("tp-x", "alice")) == ["c1"]
    book.add_check("tp-x", "alice", check("c2", "q2", Status.FAILED))
    book.add_check("tp-x", "alice", check("c3", "q2"))
    book.finish("tp-x", "alice", status="graded", errors=[], cells=[], figures=[b"png"], seconds=1.0, info={})
    assert book.is_current("tp-x", "alice", "h1")
    r = book.result(A, "alice")
    assert [qs.score for qs in r.questions] == [2.0, 1.5]
    assert r.score == 3.5 and r.max_score == 5 and r.figures == (b"png",)


def test_new_content_or_force_drops_old_results(tmp_path):
    book = Gradebook(tmp_path / "g.sqlite")
    book.begin("tp-x", "bob", "h1", "bob.py")
    book.add_check("tp-x", "bob", check("c1", "q1"))
    book.finish("tp-x", "bob", status="graded", errors=[], cells=[], figures=[], seconds=1.0, info={})
    assert book.begin("tp-x", "bob", "h2", "bob.py") == 1
    assert book.done_checks("tp-x", "bob") == {}
    book.add_check("tp-x", "bob", check("c1", "q1"))
    assert book.begin("tp-x", "bob", "h2", "bob.py", force=True) == 1
    assert book.done_checks("tp-x", "bob") == {}


def test_an_unfinished_submission_says_so(tmp_path):
    book = Gradebook(tmp_path / "g.sqlite")
    book.begin("tp-x", "carl", "h", "carl.py")
    r = book.result(A, "carl")
    assert r.score == 0 and any("interrompue" in e.fr and "interrupted" in e.en for e in r.errors)


PNG_A = b"\x89PNG\r\n\x1a\n" + b"a" * 40
PNG_B = b"\x89PNG\r\n\x1a\n" + b"b" * 40


def pictured(name, q, *pngs, status=Status.PASSED):
    pics = tuple(Picture(Message(f"image {i}", f"picture {i}"), png) for i, png in enumerate(pngs))
    return CheckResult(name, q, status, Message("m", "m"), pictures=pics)


def test_pictures_are_stored_with_their_check_and_survive_a_reopen(tmp_path):
    book = Gradebook(tmp_path / "g.sqlite")
    book.begin("tp-x", "dana", "h1", "dana.py")
    book.add_check("tp-x", "dana", pictured("c1", "q1", PNG_A, PNG_B))
    book.add_check("tp-x", "dana", pictured("c2", "q2", PNG_B, status=Status.FAILED))
    book.add_check("tp-x", "dana", check("c3", "q2"))
    book.close()

    book = Gradebook(tmp_path / "g.sqlite")
    done = book.done_checks("tp-x", "dana")
    assert list(done) == ["c1", "c2", "c3"]
    assert [p.png for p in done["c1"].pictures] == [PNG_A, PNG_B]  # in order
    assert done["c1"].pictures[1].title == Message("image 1", "picture 1")
    assert [p.png for p in done["c2"].pictures] == [PNG_B] and done["c3"].pictures == ()
    book.finish("tp-x", "dana", status="graded", errors=[], cells=[], figures=[], seconds=1.0, info={})
    r = book.result(A, "dana")
    assert [c.pictures for qs in r.questions for c in qs.checks] == [done["c1"].pictures, done["c2"].pictures, ()]


def test_regrading_a_check_or_the_submission_drops_its_old_pictures(tmp_path):
    book = Gradebook(tmp_path / "g.sqlite")
    book.begin("tp-x", "eve", "h1", "eve.py")
    book.add_check("tp-x", "eve", pictured("c1", "q1", PNG_A, PNG_B))
    book.add_check("tp-x", "eve", pictured("c2", "q2", PNG_A))
    book.add_check("tp-x", "eve", pictured("c1", "q1", PNG_B))  # regraded: one picture now
    assert [p.png for p in book.done_checks("tp-x", "eve")["c1"].pictures] == [PNG_B]
    assert [p.png for p in book.done_checks("tp-x", "eve")["c2"].pictures] == [PNG_A]
    book.begin("tp-x", "eve", "h2", "eve.py")  # new content
    book.add_check("tp-x", "eve", check("c1", "q1"))
    assert book.done_checks("tp-x", "eve")["c1"].pictures == ()
    assert book._exec("SELECT COUNT(*) FROM pictures")[0][0] == 0


def test_a_check_and_its_pictures_are_written_together_or_not_at_all(tmp_path):
    book = Gradebook(tmp_path / "g.sqlite")
    book.begin("tp-x", "finn", "h1", "finn.py")
    book.add_check("tp-x", "finn", pictured("c1", "q1", PNG_A))
    unbindable = CheckResult("c1", "q1", Status.FAILED, Message("new"),
                             pictures=(Picture(Message("x"), [1, 2, 3]),))  # sqlite cannot store a list
    with pytest.raises(sqlite3.Error):
        book.add_check("tp-x", "finn", unbindable)
    kept = book.done_checks("tp-x", "finn")["c1"]
    assert kept.status is Status.PASSED and [p.png for p in kept.pictures] == [PNG_A]  # rolled back
    book.add_check("tp-x", "finn", check("c2", "q2"))  # the connection is usable afterwards
    assert list(book.done_checks("tp-x", "finn")) == ["c1", "c2"]


OLD_SCHEMA = """
CREATE TABLE submissions (
    assignment TEXT NOT NULL, student TEXT NOT NULL, sha256 TEXT NOT NULL, source TEXT,
    status TEXT, errors TEXT DEFAULT '[]', cells TEXT DEFAULT '[]', info TEXT DEFAULT '{}',
    seconds REAL DEFAULT 0, complete INTEGER DEFAULT 0, attempts INTEGER DEFAULT 0, updated REAL,
    PRIMARY KEY (assignment, student));
CREATE TABLE checks (
    assignment TEXT NOT NULL, student TEXT NOT NULL, name TEXT NOT NULL, question TEXT, status TEXT,
    fr TEXT, en TEXT, weight REAL, details TEXT, seconds REAL, seq INTEGER,
    PRIMARY KEY (assignment, student, name));
CREATE TABLE figures (
    assignment TEXT NOT NULL, student TEXT NOT NULL, idx INTEGER NOT NULL, png BLOB,
    PRIMARY KEY (assignment, student, idx));
INSERT INTO submissions VALUES ('tp-x', 'gus', 'h1', 'gus.py', 'graded', '[]', '[]', '{}', 1.0, 1, 1, 0);
INSERT INTO checks VALUES ('tp-x', 'gus', 'c1', 'q1', 'passed', 'ok', 'ok', 1.0, '', 0.1, 1);
"""


def test_a_gradebook_from_before_pictures_still_opens(tmp_path):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    db.close()
    book = Gradebook(path)
    assert book.is_current("tp-x", "gus", "h1")
    r = book.result(A, "gus")
    assert r.score == 2.0 and r.questions[0].checks[0].pictures == ()
    book.begin("tp-x", "gus", "h1", "gus.py", force=True)
    book.add_check("tp-x", "gus", pictured("c1", "q1", PNG_A))
    assert [p.png for p in book.done_checks("tp-x", "gus")["c1"].pictures] == [PNG_A]


def test_measures_are_stored_with_their_check_and_an_older_gradebook_gains_the_column(tmp_path):
    from grader.model import Measure

    path = tmp_path / "gb.sqlite"
    old = sqlite3.connect(path)  # a gradebook from before measures: no such column
    old.execute("CREATE TABLE checks (assignment TEXT NOT NULL, student TEXT NOT NULL, name TEXT NOT NULL, "
                "question TEXT, status TEXT, fr TEXT, en TEXT, weight REAL, details TEXT, seconds REAL, seq INTEGER, "
                "PRIMARY KEY (assignment, student, name))")
    old.close()
    book = Gradebook(path)
    accuracy = Measure(Message("Précision (model)", "Accuracy (model)"), 0.9512)
    book.add_check("a", "s", CheckResult("c1", "q1", Status.FAILED, Message("m", "m"), measures=(accuracy,)))
    book.add_check("a", "s", check("c2", "q1"))
    done = book.done_checks("a", "s")
    assert done["c1"].measures == (accuracy,)
    assert done["c2"].measures == ()
    book.close()
