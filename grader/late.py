"""Late work: the `[late]` table of assignment.toml, a submission's time, and what lateness costs.

The penalty is a pure function of the stored submission time and the *current* policy, computed
whenever a result is read (`Gradebook.result`), never stored: a policy edited after grading (a due
date moved, a percentage changed) applies at the next report without regrading anything, and it
applies to the whole total (`SubmissionResult.score`), whatever adds to it.

Lateness is measured on the course's clock (`timezone`): a day late over the night clocks go
forward is still one day. A started day (or hour) counts whole, from the due date; a submission
within `grace` costs nothing; beyond `limit` the score is 0.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from grader.model import LatePolicy, Message, Penalty

POLICIES = ("none", "per_day", "per_hour")
KEYS = frozenset({"due", "timezone", "policy", "percent", "limit", "max_days", "grace"})
UNIT_SECONDS = {"per_day": 86400.0, "per_hour": 3600.0}
SOURCES = ("gradescope", "lms", "file")

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(days?|jours?|d|j|hours?|heures?|h|minutes?|min|m|seconds?|s)",
                       re.IGNORECASE)
_UNITS = {"d": 86400, "j": 86400, "day": 86400, "days": 86400, "jour": 86400, "jours": 86400,
          "h": 3600, "hour": 3600, "hours": 3600, "heure": 3600, "heures": 3600,
          "m": 60, "min": 60, "minute": 60, "minutes": 60, "s": 1, "second": 1, "seconds": 1}


class LateConfigError(ValueError):
    """`[late]` (or `--due`, `--extensions`) is wrong: the instructor's error, said before anything is
    graded, in both languages (`text(lang)`; `str()` is the English)."""

    def __init__(self, message: str | Message):
        self.message = message if isinstance(message, Message) else Message(message, message)
        super().__init__(self.message.en)

    def text(self, lang: str = "fr") -> str:
        return self.message.get(lang)

    def where(self, fr: str, en: str) -> LateConfigError:
        """The same problem, said where it is (`--due`, a file's line)."""
        return LateConfigError(Message(f"{fr} : {self.message.fr}", f"{en}: {self.message.en}"))


def parse_duration(value: object, what: str) -> float:
    """`"72h"`, `"3d"`, `"1h30min"`, `"15 min"` -> seconds; a bare number is refused (which unit?)."""
    if not isinstance(value, str) or not value.strip():
        raise LateConfigError(Message(f"[late] {what} doit être une durée avec son unité, p. ex. \"72h\", \"3d\", "
                                      f"\"15min\" (reçu {value!r})",
                                      f"[late] {what} must be a duration with its unit, e.g. \"72h\", \"3d\", "
                                      f"\"15min\" (got {value!r})"))
    text, total, at = value.strip(), 0.0, 0
    for m in _DURATION.finditer(text):
        if text[at:m.start()].strip():
            break
        total += float(m[1]) * _UNITS[m[2].lower()]
        at = m.end()
    if at == 0 or text[at:].strip():
        raise LateConfigError(Message(f"[late] {what} : {value!r} n'est pas une durée lisible (p. ex. \"72h\", \"3d\", "
                                      "\"15min\")",
                                      f"[late] {what}: cannot read {value!r} as a duration (e.g. \"72h\", \"3d\", "
                                      "\"15min\")"))
    return total


def _zone(name: object) -> dt.tzinfo:
    if not isinstance(name, str) or not name.strip():
        raise LateConfigError(Message(f"[late] timezone doit être un nom tel que \"Europe/Paris\" (reçu {name!r})",
                                      f"[late] timezone must be a name such as \"Europe/Paris\" (got {name!r})"))
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise LateConfigError(Message(f"[late] fuseau horaire inconnu {name!r} (un nom IANA tel que "
                                      "\"Europe/Paris\" ; la base tzdata du système est-elle installée ?)",
                                      f"[late] unknown timezone {name!r} (an IANA name such as \"Europe/Paris\"; "
                                      "is the system's tzdata installed?)")) from e


def parse_due(value: object, zone: str | None, *, label: str = "[late] due") -> dt.datetime:
    """The due date as an aware datetime: a TOML datetime or an ISO string, with its own offset or
    read on `zone`'s clock."""
    if isinstance(value, str):
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            raise LateConfigError(Message(f"{label} = {value.strip()} n'a pas d'heure : écrivez p. ex. "
                                          f"\"{value.strip()}T23:59\"",
                                          f"{label} = {value.strip()} has no time: write e.g. \"{value.strip()}T23:59\""))
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError as e:
            raise LateConfigError(Message(f"{label} : {value!r} n'est pas une date et heure telle que "
                                          "\"2026-12-10T23:59\"",
                                          f"{label}: {value!r} is not a date and time such as \"2026-12-10T23:59\""
                                          )) from e
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        raise LateConfigError(Message(f"{label} = {value} n'a pas d'heure : écrivez p. ex. \"{value}T23:59\"",
                                      f"{label} = {value} has no time: write e.g. \"{value}T23:59\""))
    if not isinstance(value, dt.datetime):
        raise LateConfigError(Message(f"{label} doit être une date et heure telle que \"2026-12-10T23:59\" "
                                      f"(reçu {value!r})",
                                      f"{label} must be a date and time such as \"2026-12-10T23:59\" (got {value!r})"))
    if value.tzinfo is None:
        if zone is None:
            raise LateConfigError(Message(
                f"{label} = {value.isoformat()} n'a pas de décalage horaire : ajoutez timezone = \"Europe/Paris\" "
                "(ou écrivez le décalage, p. ex. \"2026-12-10T23:59+01:00\")",
                f"{label} = {value.isoformat()} has no offset: add timezone = \"Europe/Paris\" "
                "(or write the offset, e.g. \"2026-12-10T23:59+01:00\")"))
        value = value.replace(tzinfo=_zone(zone))
    return value


def read_policy(table: object) -> LatePolicy:
    """`[late]` checked and read; raises `LateConfigError` with what to write instead."""
    if not isinstance(table, Mapping):
        raise LateConfigError(Message("[late] doit être une table (due, timezone, policy, percent, limit, grace)",
                                      "[late] must be a table (due, timezone, policy, percent, limit, grace)"))
    unknown = sorted(set(table) - KEYS)
    if unknown:
        raise LateConfigError(Message(f"[late] clé(s) inconnue(s) {', '.join(unknown)} ; connues : "
                                      f"{', '.join(sorted(KEYS))}",
                                      f"[late] unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(KEYS))}"))
    if "due" not in table:
        raise LateConfigError(Message("[late] demande due = \"2026-12-10T23:59\"",
                                      "[late] needs due = \"2026-12-10T23:59\""))
    zone = table.get("timezone")
    if zone is not None:
        _zone(zone)
    due = parse_due(table["due"], zone)
    policy = table.get("policy", "none")
    if policy not in POLICIES:
        raise LateConfigError(Message(f"[late] policy doit être l'une de {', '.join(POLICIES)} (reçu {policy!r})",
                                      f"[late] policy must be one of {', '.join(POLICIES)} (got {policy!r})"))
    percent = table.get("percent", 0)
    if isinstance(percent, bool) or not isinstance(percent, int | float) or not 0 <= percent <= 100:
        raise LateConfigError(Message(f"[late] percent doit être un nombre de 0 à 100 (reçu {percent!r})",
                                      f"[late] percent must be a number from 0 to 100 (got {percent!r})"))
    if policy != "none" and "percent" not in table:
        raise LateConfigError(Message(f"[late] policy = \"{policy}\" demande percent = ... (retiré par "
                                      f"{'jour' if policy == 'per_day' else 'heure'} de retard entamé(e))",
                                      f"[late] policy = \"{policy}\" needs percent = ... (taken off per started "
                                      f"{'day' if policy == 'per_day' else 'hour'} late)"))
    if "limit" in table and "max_days" in table:
        raise LateConfigError(Message("[late] donnez limit ou max_days, pas les deux",
                                      "[late] give limit or max_days, not both"))
    limit = None
    if "limit" in table:
        limit = parse_duration(table["limit"], "limit")
    elif "max_days" in table:
        days = table["max_days"]
        if isinstance(days, bool) or not isinstance(days, int | float) or days < 0:
            raise LateConfigError(Message(f"[late] max_days doit être un nombre de jours, 0 ou plus (reçu {days!r})",
                                          f"[late] max_days must be a number of days, 0 or more (got {days!r})"))
        limit = float(days) * 86400
    grace = parse_duration(table["grace"], "grace") if "grace" in table else 0.0
    name = zone.strip() if isinstance(zone, str) else ""
    return LatePolicy(due, name, str(policy), float(percent), limit, grace)


def parse_time(value: object) -> dt.datetime | None:
    """An ISO time with its offset (Gradescope's `created_at`, a stored `submitted_at`), or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        out = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return out if out.tzinfo is not None else None


def clock(policy: LatePolicy) -> dt.tzinfo:
    """The course's clock: its timezone, else the due date's own offset."""
    return ZoneInfo(policy.timezone) if policy.timezone else policy.due.tzinfo or dt.UTC


def stamp(moment: dt.datetime, policy: LatePolicy | None = None) -> str:
    """ISO with offset, on the course's clock when there is a policy (else UTC), to the second."""
    zone = clock(policy) if policy is not None else dt.UTC
    return moment.astimezone(zone).replace(microsecond=0).isoformat()


def lateness(policy: LatePolicy, submitted: dt.datetime, due: dt.datetime | None = None) -> float:
    """Seconds after the due date on the course's clock; 0 when on time (at the due second included)."""
    due = due or policy.due
    real = (submitted.astimezone(dt.UTC) - due.astimezone(dt.UTC)).total_seconds()  # same-zone `-` is wall time
    if real <= 0:
        return 0.0
    zone = clock(policy)
    wall = (submitted.astimezone(zone).replace(tzinfo=None) - due.astimezone(zone).replace(tzinfo=None))
    seconds = wall.total_seconds()
    return seconds if seconds > 0 else real  # the autumn hour that comes twice


def penalty(policy: LatePolicy, submitted: dt.datetime | None, *, due: dt.datetime | None = None,
            source: str = "", lms_late: str = "", extended: bool = False) -> Penalty:
    """What the submission's lateness costs under `policy`; `lms_late` names an LMS that flagged it late.

    An unknown time costs nothing, and says so."""
    due = due or policy.due
    lms = Message(f" ; {lms_late} l'a signalée en retard", f"; {lms_late} flagged it late") if lms_late else None
    if submitted is None:  # said, and costs nothing
        return Penalty(0.0, 0.0, _join(Message("Heure de remise inconnue : aucune pénalité de retard appliquée.",
                                               "Submission time unknown: no late penalty applied."), lms))
    at = stamp(submitted, policy)
    seconds = lateness(policy, submitted, due)
    where = _source(source)
    flag = Message(f", {lms_late} l'a signalée en retard", f", {lms_late} flagged it late") if lms_late else Message("", "")
    word = Message("échéance prolongée" if extended else "échéance", "extended to" if extended else "due")
    when = Message(f"le {_local(submitted, policy, 'fr')}, {where.fr}{flag.fr} ; {word.fr} le {_local(due, policy, 'fr')}",
                   f"{_local(submitted, policy, 'en')}, {where.en}{flag.en}; {word.en} {_local(due, policy, 'en')}")
    if seconds <= 0:
        reason = Message(f"Rendu à temps ({when.fr})", f"Submitted on time ({when.en})")
        if lms_late:
            reason = Message(reason.fr + " : aucune pénalité, à vérifier", reason.en + ": no penalty, to be checked")
        return Penalty(0.0, 0.0, _dot(reason), at, source)
    late = Message(f"Rendu {duration(seconds, 'fr')} après l'échéance ({when.fr})",
                   f"Submitted {duration(seconds, 'en')} after the deadline ({when.en})")
    if policy.limit is not None and seconds > policy.limit:
        percent = 100.0
        cost = Message(f"au-delà de la limite de {duration(policy.limit, 'fr')} : note 0",
                       f"beyond the {duration(policy.limit, 'en')} limit: score 0")
    elif seconds <= policy.grace:
        percent = 0.0
        cost = Message(f"pas de pénalité (délai de grâce de {duration(policy.grace, 'fr')})",
                       f"no penalty (grace period of {duration(policy.grace, 'en')})")
    elif policy.policy in UNIT_SECONDS:
        started = math.ceil(seconds / UNIT_SECONDS[policy.policy] - 1e-9)
        percent = min(100.0, started * policy.percent)
        unit = Message("jour", "day") if policy.policy == "per_day" else Message("heure", "hour")
        cost = Message(f"−{_pct(percent, 'fr')} ({started} {unit.fr}{'s' if started > 1 else ''} "
                       f"entamé{'s' if started > 1 else ''} × {_pct(policy.percent, 'fr')})",
                       f"−{_pct(percent, 'en')} ({started} started {unit.en}{'s' if started > 1 else ''} "
                       f"× {_pct(policy.percent, 'en')})")
    else:
        percent = 0.0
        cost = Message("aucune pénalité prévue", "no penalty set")
    reason = Message(f"{late.fr} : {cost.fr}", f"{late.en}: {cost.en}")
    return Penalty(percent, seconds, _dot(reason), at, source)


def assess(policy: LatePolicy | None, info: Mapping, *, student: str = "",
           overrides: Overrides | None = None) -> Penalty | None:
    """The penalty of a stored result (`info`: `submitted_at`, `submitted_from`, `lms.late`) under
    the policy and a run's `overrides`; None without a policy or for a self-check (the student's
    own run, not a submission)."""
    overrides = overrides or Overrides()
    policy = effective(policy, overrides)
    if policy is None or info.get("self_check") is True:
        return None
    due, extended = overrides.due_for(student, info)
    lms = info.get("lms") if isinstance(info.get("lms"), Mapping) else {}
    flagged = str(lms.get("lms", "LMS")).capitalize() if lms.get("late") is True else ""
    return penalty(policy, parse_time(info.get("submitted_at")), due=due, extended=extended,
                   source=str(info.get("submitted_from") or ""), lms_late=flagged)


def duration(seconds: float, lang: str = "fr") -> str:
    """`2 j 3 h`, `1 h 5 min`, `40 s` / `2 d 3 h`: the two largest units that are not zero."""
    s = int(round(seconds))
    parts = [(s // 86400, "j" if lang == "fr" else "d"), (s % 86400 // 3600, "h"), (s % 3600 // 60, "min"),
             (s % 60, "s")]
    shown = [f"{n} {u}" for n, u in parts if n][:2]
    return " ".join(shown) or "0 s"


def _local(moment: dt.datetime, policy: LatePolicy, lang: str) -> str:
    local = moment.astimezone(clock(policy))
    zone = local.tzname() or ""
    if lang == "fr":
        return f"{local:%d/%m/%Y} à {local:%H:%M} {zone}".strip()
    return f"{local:%Y-%m-%d %H:%M} {zone}".strip()


def _source(source: str) -> Message:
    return {"gradescope": Message("heure de Gradescope", "Gradescope's time"),
            "lms": Message("heure de l'LMS", "the LMS's time"),
            "file": Message("date du fichier", "the file's time")}.get(source, Message("heure connue", "known time"))


def _pct(value: float, lang: str) -> str:
    s = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{s.replace('.', ',')} %" if lang == "fr" else f"{s}%"


def _join(first: Message, more: Message | None) -> Message:
    if more is None:
        return first
    return Message(first.fr.rstrip(".") + more.fr + ".", first.en.rstrip(".") + more.en + ".")


def _dot(m: Message) -> Message:
    return Message(m.fr + ".", m.en + ".")


@dataclass(frozen=True)
class Submitted:
    """A submission time an LMS knows (Gradescope's `created_at`), which wins over the file's."""

    at: dt.datetime  # aware
    source: str = "gradescope"


def from_epoch(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


@dataclass(frozen=True)
class Overrides:
    """A run's own deadlines (`grader run --due`, `--extensions FILE.csv`), kept in its gradebook so
    every later reading of that gradebook (a report, a manual import) applies them too."""

    due: dt.datetime | None = None  # the whole class's, instead of [late] due
    extensions: tuple[tuple[str, dt.datetime], ...] = ()  # (student key or LMS id, due)

    def as_json(self) -> dict:
        return {"due": self.due.isoformat() if self.due else None,
                "extensions": [[who, when.isoformat()] for who, when in self.extensions]}

    @staticmethod
    def from_json(data: object) -> Overrides:
        if not isinstance(data, Mapping):
            return Overrides()
        due = parse_time(data.get("due"))
        pairs = tuple((str(p[0]), t) for p in data.get("extensions") or ()
                      if isinstance(p, list | tuple) and len(p) == 2 and (t := parse_time(p[1])) is not None)
        return Overrides(due, pairs)

    def due_for(self, student: str, info: Mapping) -> tuple[dt.datetime | None, bool]:
        """The student's due date (None: the policy's) and whether it is an extension."""
        lms = info.get("lms") if isinstance(info.get("lms"), Mapping) else {}
        keys = {student, str(lms.get("id", "")) if lms.get("id") else student}
        for who, when in self.extensions:
            if who in keys:
                return when, True
        return self.due, False


def effective(policy: LatePolicy | None, overrides: Overrides) -> LatePolicy | None:
    """The policy a run applies: `--due` without `[late]` reports lateness and costs nothing."""
    if policy is None and (overrides.due is not None or overrides.extensions):
        first = overrides.due or overrides.extensions[0][1]
        return LatePolicy(first, "", "none")
    return policy


def read_overrides(due: str | None, extensions: str | None, policy: LatePolicy | None) -> Overrides:
    """`--due` and `--extensions FILE.csv` (columns `student,due`; student: the student key or LMS
    id). A time without an offset is read on the course's clock (the TP's `[late]` timezone, else its
    due date's offset); a TP without `[late]` (the built-in ones) has none: this machine's local
    clock then, as the instructor who typed it reads it. Raises `LateConfigError` naming the bad
    value or row, in both languages."""
    import csv

    clock_of = clock(policy) if policy is not None else None  # a naive time is read on the course's clock

    def when(value: str, fr: str, en: str) -> dt.datetime:
        try:
            moment = parse_due(value, "UTC", label=en)
        except LateConfigError as e:
            raise LateConfigError(Message(e.message.fr.replace(en, fr, 1), e.message.en)) from None
        if parse_time(value) is not None:  # its own offset
            return moment
        naive = moment.replace(tzinfo=None)
        return naive.replace(tzinfo=clock_of) if clock_of is not None else naive.astimezone()  # local clock

    pairs = []
    if extensions:
        try:
            with open(extensions, encoding="utf-8-sig", newline="") as f:
                rows = list(csv.DictReader(f))
        except OSError as e:
            raise LateConfigError(Message(f"--extensions {extensions} : {e.strerror or e}",
                                          f"--extensions {extensions}: {e.strerror or e}")) from None
        for n, row in enumerate(rows, start=2):
            who, value = (row.get("student") or "").strip(), (row.get("due") or "").strip()
            if not who or not value:
                raise LateConfigError(Message(f"--extensions {extensions}, ligne {n} : il faut les colonnes student "
                                              "et due",
                                              f"--extensions {extensions}, line {n}: needs the columns student and due"))
            pairs.append((who, when(value, f"--extensions {extensions}, ligne {n}",
                                    f"--extensions {extensions}, line {n}")))
    return Overrides(when(due, "--due", "--due") if due else None, tuple(pairs))
