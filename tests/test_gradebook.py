"""The SQLite gradebook: results stored as they come, resumable, new content regraded."""

from __future__ import annotations

from grader.gradebook import Gradebook
from grader.model import Assignment, CheckResult, Message, Question, Status

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
    assert r.score == 0 and any("interrompue" in e for e in r.errors)
