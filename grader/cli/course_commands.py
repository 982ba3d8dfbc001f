"""The instructor's course commands: list, generate, new, assign, release, data, calibrate."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape

from grader.cli.common import console, error_word, say


def cmd_list(args: argparse.Namespace) -> int:
    from grader import courses
    from grader.assignments import AssignmentError, load_folder
    from grader.reports.console import Listed, assignments_table

    search = courses.search_path(args.course)
    rows = []
    for loc in courses.everything(search):
        where = loc.course.label().get(args.lang)
        try:  # a broken assignment is listed with its error; it never hides the others
            a = load_folder(loc.folder, located=loc).assignment
        except Exception as e:  # noqa: BLE001 - an instructor's file, whatever is wrong in it
            problem = e.text(args.lang) if isinstance(e, AssignmentError) else f"{type(e).__name__}: {e}"
            rows.append(Listed(loc.id, where, problem=problem))
            continue
        rows.append(Listed(loc.id, where, a.title.get(args.lang), tuple(q.id for q in a.questions), a.max_score))
    assignments_table(rows, args.lang, missing=[c.root for c in courses.missing_courses(search)])
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from grader.assignments import AssignmentError, available
    from grader.notebooks import write_student_notebook

    status = 0
    for aid in args.ids or available(args.course):
        try:
            path = write_student_notebook(aid, args.course)
        except AssignmentError as e:
            console.print(f"[red]{error_word(args)}[/red] {escape(say(e, args.lang))}")
            status = 2
            continue
        console.print(escape(f"{aid}: {path}"))
    return status


def _target_course(args: argparse.Namespace) -> Path | None:
    """Where an authoring command writes: --course, else the first $GRADER_COURSE folder; never the
    installed package."""
    import os

    from grader.courses import ENV

    if args.course:
        return Path(args.course[0]).expanduser()
    env = [p for p in os.environ.get(ENV, "").split(os.pathsep) if p.strip()]
    if env:
        return Path(env[0]).expanduser()
    console.print(f"[red]{error_word(args)}[/red] " + ("say where the course lives: --course DIR (or set GRADER_COURSE)"
                                                 if args.lang == "en" else
                                                 "précisez où vit le cours : --course DIR (ou GRADER_COURSE)"))
    return None


def cmd_new(args: argparse.Namespace) -> int:
    from grader.authoring import AuthoringError
    from grader.authoring.scaffold import new

    course = _target_course(args)
    if course is None:
        return 2
    try:
        made = new(args.id, course)
    except AuthoringError as e:
        console.print(f"[red]{error_word(args)}[/red] {escape(say(e, args.lang))}")
        return 2
    for path in (made.folder / "assignment.toml", made.folder / "checks.py", made.reference, made.notebook):
        console.print(escape(str(path)))
    console.print(escape(f"grader run {made.reference} --assignment {made.id} --course {course}"))
    return 0


def cmd_assign(args: argparse.Namespace) -> int:
    from grader.authoring import AuthoringError, said
    from grader.authoring.convert import assign_notebook

    course = _target_course(args)
    if course is None:
        return 2
    try:
        made = assign_notebook(Path(args.notebook), assignment_id=args.id, course=course,
                               run_reference=not args.no_run)
    except AuthoringError as e:
        console.print(f"[red]{error_word(args)}[/red] {escape(say(e, args.lang))}")
        return 2
    en = args.lang == "en"
    console.print(escape(f"{made.assignment} ({made.style}): " + ", ".join(
        f"{q.id} {q.points:g} pt" for q in made.questions)))
    for path in made.written:
        console.print(escape(f"  {path}"))
    for path in made.kept:
        console.print(escape(f"  {path} " + ("(edited by hand: kept)" if en else "(modifié à la main : conservé)")))
    for warning in made.warnings:
        console.print(f"[yellow]{escape(said(warning, args.lang))}[/yellow]")
    for line in made.summary():  # what each question became: "q1: 2 tests, 1 hidden"
        console.print(escape(f"  {said(line, args.lang)}"))
    console.print(escape(f"grader run {made.reference} --assignment {made.assignment} --course {course}"))
    return 0


def cmd_release(args: argparse.Namespace) -> int:
    from grader.assignments import AssignmentError, locate
    from grader.authoring import AuthoringError
    from grader.authoring.release import release

    try:
        made = release(locate(args.id, args.course).folder, Path(args.out))
    except (AssignmentError, AuthoringError) as e:
        console.print(f"[red]{error_word(args)}[/red] {escape(say(e, args.lang))}")
        return 2
    en = args.lang == "en"
    console.print(escape(f"{made.folder}: " + (f"{len(made.public_checks)} public check(s), "
                                               f"{len(made.hidden_checks)} hidden left out" if en else
                                               f"{len(made.public_checks)} vérification(s) publique(s), "
                                               f"{len(made.hidden_checks)} cachée(s) non livrée(s)")))
    if not made.public_checks:
        console.print("[yellow]" + ("no public check: students can run nothing (mark structural checks "
                                    "public=True)" if en else "aucune vérification publique : les élèves ne "
                                    "pourront rien vérifier (marquez public=True les vérifications structurelles)")
                      + "[/yellow]")
    from grader.authoring.kit import handout  # what to give students: the folder, its student wheel

    console.print(escape(handout(args.out, made.wheel, args.lang)))
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    from grader.data import catalogue, lookup

    en = args.lang == "en"
    if args.action == "status":
        from grader.reports.console import datasets_table

        datasets_table(lookup.status(args.lang), args.lang)
        return 0
    from grader.data.importing import import_dataset, synthesize

    if args.action == "synthesize":
        try:
            source = synthesize(args.name, train=args.train, test=args.test, seed=args.seed,
                                dest_root=Path(args.dir) if args.dir else None)
        except (OSError, ValueError) as e:
            console.print(f"[red]{error_word(args)}[/red] {escape(say(e, args.lang))}")
            return 2
        console.print(escape(f"{args.name} SYNTHETIC ({args.train} + {args.test} generated images, not the real "
                             f"dataset; used only where no real copy exists): {source.path}" if en else
                             f"{args.name} SYNTHÉTIQUE ({args.train} + {args.test} images générées, pas le vrai "
                             f"jeu ; utilisé seulement là où aucune vraie copie n'existe) : {source.path}"))
        return 0

    if args.name not in catalogue.NAMES:
        known = ", ".join(catalogue.NAMES)
        console.print(f"[red]{error_word(args)}[/red] " + escape(f"dataset {args.name!r} unknown; known: {known}" if en
                                                            else f"jeu {args.name!r} inconnu ; connus : {known}"))
        return 2
    try:
        source = import_dataset(args.name, Path(args.path) if args.path else None,
                                dest_root=Path(args.to) if args.to else None)
    except (OSError, ValueError) as e:
        console.print(f"[red]{error_word(args)}[/red] {escape(say(e, args.lang))}")
        return 2
    console.print(escape(f"{args.name}: {source.path}"))
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from grader.assignments import AssignmentError
    from grader.calibration import calibrate
    from grader.options import UsageError

    en = args.lang == "en"
    for aid in args.ids:
        try:
            entry = calibrate(aid, profile=args.profile, write=not args.dry_run, courses=args.course, lang=args.lang)
        except (AssignmentError, UsageError) as e:
            console.print(f"[red]{error_word(args)}[/red] {escape(say(e, args.lang))}")
            return 2
        origins = entry["limits"].pop("origins", {})
        console.print(escape(f"{aid} [{entry['key']}]: reference {entry['points']:g}/{entry['max_points']:g} in "
                             f"{entry['seconds']:.1f} s; measures {entry['scores']} -> thresholds "
                             f"{entry['thresholds']}, limits {entry['limits']}" if en else
                             f"{aid} [{entry['key']}] : référence {entry['points']:g}/{entry['max_points']:g} en "
                             f"{entry['seconds']:.1f} s ; mesures {entry['scores']} -> seuils {entry['thresholds']}, "
                             f"limites {entry['limits']}"))
        for why in origins.values():
            console.print(escape(f"  {why['en' if en else 'fr']}"))
        for problem in entry["problems"]:
            console.print(escape(f"  [!] {problem.get(args.lang)}"))
        if entry["problems"]:
            console.print("[red]" + ("not stored: the reference must pass everything under this budget." if en else
                                     "non enregistré : la référence doit tout réussir sous ce budget.") + "[/red]")
            return 1
        stored = (f"  stored in {entry['path']}" if en else f"  enregistré dans {entry['path']}") if entry["path"] \
            else ("  (not stored)" if en else "  (non enregistré)")
        console.print(escape(stored))
    return 0
