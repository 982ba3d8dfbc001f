"""The LMS commands: the Gradescope and PrairieLearn autograders, Canvas/Moodle exports, hand grading."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape

from grader.cli.common import console, error_word, say


def cmd_gradescope(args: argparse.Namespace) -> int:
    from grader.lms import gradescope

    if args.action == "run":
        doc = gradescope.run(args.id, root=args.root, courses=args.course, lang=args.lang, budget=args.budget,
                             profile=args.profile, sandbox=args.sandbox)
        console.print(escape(f"score {doc['score']:g} : {len(doc['tests'])} test(s)" if args.lang == "fr" else
                             f"score {doc['score']:g}: {len(doc['tests'])} test(s)"))
        return 0
    from grader.assignments import AssignmentError
    from grader.lms.wheel import WheelError

    try:
        made = gradescope.build(args.id, Path(args.out), courses=args.course, lang=args.lang)
    except (AssignmentError, WheelError) as e:
        console.print(f"[red]{error_word(args)}[/red] {escape(say(e, args.lang))}")
        return 2
    console.print(escape(f"{made.path}: {made.assignment}, {made.wheel}, {len(made.files)} file(s)" if args.lang == "en"
                         else f"{made.path} : {made.assignment}, {made.wheel}, {len(made.files)} fichier(s)"))
    return 0


def cmd_prairielearn(args: argparse.Namespace) -> int:
    from grader.lms import prairielearn

    doc = prairielearn.run(args.id, root=args.root, courses=args.course, lang=args.lang, budget=args.budget,
                           profile=args.profile, sandbox=args.sandbox)
    console.print(escape(f"gradable {doc['gradable']}, score {doc.get('score', 0):g}" if args.lang == "en" else
                         f"corrigeable {'oui' if doc['gradable'] else 'non'}, score {doc.get('score', 0):g}"))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from grader.lms.exports import export
    from grader.lms.roster_lines import ExportError, console_note

    try:
        done = export(args.lms, Path(args.out), Path(args.roster), file=args.file, key=args.key,
                      assignment_name=args.assignment_name, canvas_id=args.canvas_id, identity=args.identity,
                      absent=args.absent, points_possible=not args.no_points_possible, lang=args.lang,
                      courses=args.course)
    except ExportError as e:
        console.print(f"[red]{error_word(args)}[/red] {escape(e.message.get(args.lang))}")
        return 2
    for note in done.notes:
        console.print(f"[yellow]{escape(console_note(note, args.lang))}[/yellow]")
    console.print(escape(done.summary(args.lang)))
    return 0


def cmd_manual(args: argparse.Namespace) -> int:
    import contextlib

    from grader.grading import outdir
    from grader.lms.manual import ManualError, export, import_sheets

    out = Path(args.out)
    try:
        if args.action == "export":
            done = export(out, lang=args.lang, courses=args.course)
        else:  # writes the gradebook and rewrites results.json: never beside a run doing the same
            with outdir.hold(out) if out.is_dir() else contextlib.nullcontext():
                done = import_sheets(out, [Path(f) for f in args.files], grader=args.grader or "",
                                     courses=args.course)
    except outdir.OutBusy as e:
        console.print(f"[red]{error_word(args)}[/red] {escape(e.message.get(args.lang))}", soft_wrap=True)
        return 2
    except ManualError as e:
        console.print(f"[red]{error_word(args)}[/red] {escape(e.text(args.lang))}")
        return 2
    console.print(escape(done.summary(args.lang)))
    return 0
