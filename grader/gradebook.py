"""SQLite gradebook: every check result is committed as soon as it exists, so runs resume.

A submission is identified by (assignment, student) and its content hash; an
unchanged, complete submission is never regraded, and an interrupted one keeps
the checks it already finished. A check's pictures are written in the same
transaction as the check, so a resumed run never shows a result without them.
Scores given by hand (written answers, regrade overrides) live in their own table: a regrade of the
checks never drops them, and a result is always its checks plus them.
One writer at a time: the commands that write it hold OUT's lock (`grader.grading.outdir.hold`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from grader import late
from grader.intake.answers import Answer
from grader.model import (
    Assignment,
    CellRecord,
    CheckResult,
    ManualScore,
    Measure,
    Message,
    Picture,
    Status,
    SubmissionResult,
    SubmissionStatus,
    as_message,
    plain_text,
    score_question,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    assignment TEXT NOT NULL, student TEXT NOT NULL, sha256 TEXT NOT NULL, source TEXT,
    status TEXT, errors TEXT DEFAULT '[]', cells TEXT DEFAULT '[]', info TEXT DEFAULT '{}',
    seconds REAL DEFAULT 0, complete INTEGER DEFAULT 0, attempts INTEGER DEFAULT 0, updated REAL,
    PRIMARY KEY (assignment, student));
CREATE TABLE IF NOT EXISTS checks (
    assignment TEXT NOT NULL, student TEXT NOT NULL, name TEXT NOT NULL, question TEXT, status TEXT,
    fr TEXT, en TEXT, weight REAL, details TEXT, seconds REAL, seq INTEGER, measures TEXT DEFAULT '[]',
    PRIMARY KEY (assignment, student, name));
CREATE TABLE IF NOT EXISTS figures (
    assignment TEXT NOT NULL, student TEXT NOT NULL, idx INTEGER NOT NULL, png BLOB,
    PRIMARY KEY (assignment, student, idx));
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS pictures (
    assignment TEXT NOT NULL, student TEXT NOT NULL, name TEXT NOT NULL, idx INTEGER NOT NULL,
    fr TEXT, en TEXT, png BLOB, png_en BLOB,
    PRIMARY KEY (assignment, student, name, idx));
CREATE TABLE IF NOT EXISTS answers (
    assignment TEXT NOT NULL, student TEXT NOT NULL, question TEXT NOT NULL, text TEXT, cell_type TEXT,
    found TEXT, PRIMARY KEY (assignment, student, question));
CREATE TABLE IF NOT EXISTS notebooks (
    assignment TEXT NOT NULL, student TEXT NOT NULL, kind TEXT, entry TEXT, data BLOB,
    PRIMARY KEY (assignment, student));
CREATE TABLE IF NOT EXISTS manual_scores (
    assignment TEXT NOT NULL, student TEXT NOT NULL, question TEXT NOT NULL, score REAL NOT NULL,
    comment TEXT DEFAULT '', grader TEXT DEFAULT '', at REAL, sha256 TEXT DEFAULT '',
    PRIMARY KEY (assignment, student, question));
"""


class Gradebook:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(submissions)")}
            if "fingerprint" not in columns:  # a gradebook from before fingerprints: its results count as stale
                self._db.execute("ALTER TABLE submissions ADD COLUMN fingerprint TEXT DEFAULT ''")
            if "png_en" not in {row[1] for row in self._db.execute("PRAGMA table_info(pictures)")}:
                self._db.execute("ALTER TABLE pictures ADD COLUMN png_en BLOB")  # French drawings only before
            if "measures" not in {row[1] for row in self._db.execute("PRAGMA table_info(checks)")}:
                self._db.execute("ALTER TABLE checks ADD COLUMN measures TEXT DEFAULT '[]'")  # older gradebook

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _exec(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing: the connection is in autocommit mode, so BEGIN/COMMIT are explicit.

        A COMMIT can fail too (a full disk: SQLITE_FULL is raised when the WAL cannot grow); the
        transaction is then rolled back here, if SQLite has not done it already, so that the
        connection is usable again and the caller sees the real error, not "cannot rollback"."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    with suppress(sqlite3.Error):
                        self._db.execute("ROLLBACK")
                raise

    def is_current(self, assignment: str, student: str, sha256: str) -> bool:
        """Graded to the end already, from this very content."""
        rows = self._exec("SELECT sha256, complete FROM submissions WHERE assignment=? AND student=?",
                          (assignment, student))
        return bool(rows) and rows[0][0] == sha256 and rows[0][1] == 1

    def needs_grading(self, assignment: Assignment, student: str, sha256: str, *, fingerprint: str,
                      budget: object, force: bool = False) -> tuple[bool, str | None]:
        """The resume rule, asked of what is stored: (grade it?, why an unchanged one is regraded).

        A result graded to the end from this very content stands, unless other checks graded it
        (the assignment's `fingerprint`: TOML, check modules, reference, grader version: "checks")
        or another budget (profile, caps, thresholds: "budget"). `force` regrades everything."""
        if force or not self.is_current(assignment.id, student, sha256):
            return True, None
        if self.graded_by(assignment.id, student) != fingerprint:
            return True, "checks"
        stored = self.result(assignment, student)
        if stored is None or stored.status == "error" and "budget" not in stored.info:
            return False, None  # an unreadable file has no budget to compare; its sha256 decides
        if json.dumps(stored.info.get("budget"), sort_keys=True) != json.dumps(budget, sort_keys=True):
            return True, "budget"
        return False, None

    def finished(self, assignment: str) -> set[str]:
        """The students whose grading ended (`finish`): what an interrupted run reports."""
        return {r[0] for r in self._exec("SELECT student FROM submissions WHERE assignment=? AND complete=1",
                                         (assignment,))}

    def graded_by(self, assignment: str, student: str) -> str:
        """The fingerprint of what graded the stored result ('' when none or from an older grader)."""
        rows = self._exec("SELECT fingerprint FROM submissions WHERE assignment=? AND student=?",
                          (assignment, student))
        return str(rows[0][0] or "") if rows else ""

    def begin(self, assignment: str, student: str, sha256: str, source: str, *, force: bool = False,
              fingerprint: str = "") -> int:
        """Start (or resume) a submission; returns the attempt number. New content, or checks that
        changed since an interrupted attempt (another `fingerprint`), drop the old results."""
        with self._transaction() as db:
            row = db.execute("SELECT sha256, attempts, fingerprint FROM submissions WHERE assignment=? "
                             "AND student=?", (assignment, student)).fetchone()
            if row is None or row[0] != sha256 or force or (row[2] or "") != fingerprint:
                for table in ("checks", "pictures", "figures"):
                    db.execute(f"DELETE FROM {table} WHERE assignment=? AND student=?", (assignment, student))
                attempts = 1
            else:
                attempts = int(row[1]) + 1
            db.execute(
                "INSERT INTO submissions (assignment, student, sha256, source, complete, attempts, updated, "
                "fingerprint) VALUES (?,?,?,?,0,?,?,?) ON CONFLICT(assignment, student) DO UPDATE SET "
                "sha256=excluded.sha256, source=excluded.source, complete=0, attempts=excluded.attempts, "
                "updated=excluded.updated, fingerprint=excluded.fingerprint",
                (assignment, student, sha256, source, attempts, time.time(), fingerprint))
        return attempts

    def done_checks(self, assignment: str, student: str) -> dict[str, CheckResult]:
        """The stored results, in the order they were made, each with its pictures."""
        with self._lock:
            rows = self._db.execute("SELECT name, question, status, fr, en, weight, details, seconds, measures "
                                    "FROM checks WHERE assignment=? AND student=? ORDER BY seq",
                                    (assignment, student)).fetchall()
            pics = self._db.execute("SELECT name, fr, en, png, png_en FROM pictures WHERE assignment=? AND "
                                    "student=? ORDER BY name, idx", (assignment, student)).fetchall()
        by_check: dict[str, list[Picture]] = {}
        for name, fr, en, png, png_en in pics:
            by_check.setdefault(name, []).append(Picture(Message(fr or "", en or ""), bytes(png or b""),
                                                         bytes(png_en or b"")))
        return {r[0]: CheckResult(r[0], r[1], Status(r[2]), Message(r[3], r[4]), r[5], r[6], r[7],
                                  tuple(by_check.get(r[0], ())), _measures(r[8])) for r in rows}

    def add_check(self, assignment: str, student: str, r: CheckResult) -> None:
        """Store a result and its pictures together, replacing a previous result of the same check."""
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO checks (assignment, student, name, question, status, fr, en, weight, "
                       "details, seconds, measures, seq) VALUES (?,?,?,?,?,?,?,?,?,?,?, "
                       "(SELECT COALESCE(MAX(seq), 0) + 1 FROM checks WHERE assignment=? AND student=?))",
                       (assignment, student, r.name, r.question, r.status.value, r.message.fr, r.message.en,
                        r.weight, r.details, r.seconds, json.dumps([_measure_row(m) for m in r.measures]),
                        assignment, student))
            db.execute("DELETE FROM pictures WHERE assignment=? AND student=? AND name=?",
                       (assignment, student, r.name))
            db.executemany("INSERT INTO pictures (assignment, student, name, idx, fr, en, png, png_en) "
                           "VALUES (?,?,?,?,?,?,?,?)",
                           [(assignment, student, r.name, i, p.title.fr, p.title.en, p.png, p.png_en or None)
                            for i, p in enumerate(r.pictures)])

    def finish(self, assignment: str, student: str, *, status: str, errors: list[Message | str],
               cells: list[CellRecord], figures: list[bytes], seconds: float, info: dict) -> None:
        cells_json = json.dumps([{"index": c.index, "status": c.status.value, "seconds": round(c.seconds, 3),
                                  "error": plain_text(c.error), "output": c.output,
                                  "notes": [plain_text(n) for n in c.notes]} for c in cells])
        errors = [plain_text(e) for e in errors]
        with self._transaction() as db:
            db.execute("DELETE FROM figures WHERE assignment=? AND student=?", (assignment, student))
            db.executemany("INSERT INTO figures VALUES (?,?,?,?)",
                           [(assignment, student, i, png) for i, png in enumerate(figures)])
            db.execute("UPDATE submissions SET status=?, errors=?, cells=?, info=?, seconds=?, complete=1, "
                       "updated=? WHERE assignment=? AND student=?",
                       (status, json.dumps(errors), cells_json, json.dumps(info), seconds, time.time(),
                        assignment, student))

    def set_late_overrides(self, assignment: str, overrides: late.Overrides) -> None:
        """The deadlines the last `grader run` was given (`--due`, `--extensions`); none given: none kept."""
        self._exec("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                   (f"late:{assignment}", json.dumps(overrides.as_json())))

    def late_overrides(self, assignment: str) -> late.Overrides:
        rows = self._exec("SELECT value FROM settings WHERE key=?", (f"late:{assignment}",))
        try:
            return late.Overrides.from_json(json.loads(rows[0][0])) if rows else late.Overrides()
        except ValueError:
            return late.Overrides()

    def merge_info(self, assignment: str, student: str, values: dict) -> None:
        """Add `values` to a stored result's info (a time learnt after it was graded)."""
        with self._transaction() as db:
            row = db.execute("SELECT info FROM submissions WHERE assignment=? AND student=?",
                             (assignment, student)).fetchone()
            if row is not None:
                db.execute("UPDATE submissions SET info=? WHERE assignment=? AND student=?",
                           (json.dumps({**json.loads(row[0] or "{}"), **values}), assignment, student))

    def result(self, assignment: Assignment, student: str) -> SubmissionResult | None:
        """The stored result, scored by the assignment as it is now: its questions' points and its
        late policy (the penalty is computed here from the stored submission time, never stored)."""
        rows = self._exec("SELECT sha256, status, errors, cells, info, seconds, complete FROM submissions "
                          "WHERE assignment=? AND student=?", (assignment.id, student))
        if not rows:
            return None
        sha, status, errors, cells, info, seconds, complete = rows[0]
        checks = list(self.done_checks(assignment.id, student).values())
        by_hand = self.manual_scores(assignment.id, student)
        questions = tuple(score_question(q, [c for c in checks if c.question == q.id], by_hand.get(q.id))
                          for q in assignment.questions)
        figures = tuple(r[0] for r in self._exec("SELECT png FROM figures WHERE assignment=? AND student=? "
                                                   "ORDER BY idx", (assignment.id, student)))
        cell_records = tuple(CellRecord(c["index"], Status(c["status"]), c["seconds"], as_message(c["error"]),
                                        c["output"], tuple(as_message(n) for n in c["notes"]))
                             for c in json.loads(cells or "[]"))
        errs = tuple(as_message(e) for e in json.loads(errors or "[]"))
        if not complete:
            errs += (Message("Correction interrompue : relancez la même commande pour la terminer.",
                             "Grading interrupted: run the same command again to finish it."),)
        details = json.loads(info or "{}")
        kind = SubmissionStatus(status) if status in SubmissionStatus._value2member_map_ else SubmissionStatus.ERROR
        return SubmissionResult(student, assignment.id, kind, questions, errs, cell_records,
                                figures, sha, seconds or 0.0, details,
                                late.assess(assignment.late, details, student=student,
                                            overrides=self.late_overrides(assignment.id)))


    # ------------------------------------------------------------------ written answers, hand scores

    def set_answers(self, assignment: str, student: str, answers: Iterable[Answer], *,
                    notebook: bytes | None = None, kind: str = "", entry: str = "") -> None:
        """A submission's written answers and the file handed in, replacing what was kept before."""
        with self._transaction() as db:
            db.execute("DELETE FROM answers WHERE assignment=? AND student=?", (assignment, student))
            db.executemany("INSERT INTO answers VALUES (?,?,?,?,?,?)",
                           [(assignment, student, a.question, a.text, a.cell_type, a.found) for a in answers])
            db.execute("INSERT OR REPLACE INTO notebooks VALUES (?,?,?,?,?)",
                       (assignment, student, kind, entry, notebook))

    def answers(self, assignment: str, student: str) -> dict[str, Answer]:
        rows = self._exec("SELECT question, text, cell_type, found FROM answers WHERE assignment=? AND student=?",
                          (assignment, student))
        return {r[0]: Answer(r[0], r[1] or "", r[2] or "", r[3] or "") for r in rows}

    def notebook(self, assignment: str, student: str) -> tuple[str, str, bytes | None]:
        """(kind, entry name, bytes) of the file handed in; bytes None when it was not kept."""
        rows = self._exec("SELECT kind, entry, data FROM notebooks WHERE assignment=? AND student=?",
                          (assignment, student))
        if not rows:
            return "", "", None
        kind, entry, data = rows[0]
        return kind or "", entry or "", bytes(data) if data is not None else None

    def students(self, assignment: str) -> list[str]:
        return [r[0] for r in self._exec("SELECT student FROM submissions WHERE assignment=? ORDER BY student",
                                         (assignment,))]

    def manual_scores(self, assignment: str, student: str) -> dict[str, ManualScore]:
        rows = self._exec("SELECT question, score, comment, grader, at FROM manual_scores WHERE assignment=? "
                          "AND student=?", (assignment, student))
        return {r[0]: ManualScore(r[0], float(r[1]), r[2] or "", r[3] or "", float(r[4] or 0)) for r in rows}

    def add_manual_scores(self, assignment: str, scores: Iterable[tuple[str, ManualScore]]) -> int:
        """Store (student, score) pairs, all or none, each replacing that question's previous one."""
        rows = [(assignment, student, m.question, m.score, m.comment, m.grader, m.at or time.time())
                for student, m in scores]
        with self._transaction() as db:
            for row in rows:
                sha = db.execute("SELECT sha256 FROM submissions WHERE assignment=? AND student=?",
                                 row[:2]).fetchone()
                db.execute("INSERT OR REPLACE INTO manual_scores (assignment, student, question, score, comment, "
                           "grader, at, sha256) VALUES (?,?,?,?,?,?,?,?)", (*row, sha[0] if sha else ""))
        return len(rows)


def _measure_row(m: Measure) -> dict:
    return {"fr": m.label.fr, "en": m.label.en, "value": m.value, "higher_is_better": m.higher_is_better,
            "ranked": m.ranked}


def _measures(stored: str | None) -> tuple[Measure, ...]:
    """A check's measures from their JSON column; anything unreadable is no measure, never a crash."""
    try:
        rows = json.loads(stored or "[]")
        return tuple(Measure(Message(str(m["fr"]), str(m.get("en", ""))), float(m["value"]),
                             bool(m.get("higher_is_better", True)), bool(m.get("ranked", True))) for m in rows)
    except (TypeError, ValueError, KeyError):
        return ()
