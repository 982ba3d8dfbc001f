"""The parser: every command, option and help in French and English (argparse's own words too)."""

from __future__ import annotations

import argparse

from grader.cli import course_commands, grade_commands, lms_commands
from grader.languages import ENV_LANG, LANGS

#: argparse's own words (usage, options, its errors), in French; English is argparse's.
_ARGPARSE_FR = {
    "usage: ": "utilisation : ",
    "options": "options",
    "optional arguments": "options",
    "positional arguments": "arguments positionnels",
    "show this help message and exit": "afficher cette aide et quitter",
    "show program's version number and exit": "afficher la version et quitter",
    "the following arguments are required: %s": "arguments obligatoires manquants : %s",
    "%(prog)s: error: %(message)s\n": "%(prog)s : erreur : %(message)s\n",
    "unrecognized arguments: %s": "arguments non reconnus : %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "choix invalide : %(value)r (au choix : %(choices)s)",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s : %(message)s",
    "expected one argument": "une valeur attendue",
    "expected at most one argument": "au plus une valeur attendue",
    "expected at least one argument": "au moins une valeur attendue",
    "invalid %(type)s value: %(value)r": "valeur %(type)s invalide : %(value)r",
    "ambiguous option: %(option)s could match %(matches)s": "option ambiguë : %(option)s peut désigner %(matches)s",
    "not allowed with argument %s": "interdit avec l'argument %s",
    "ignored explicit argument %r": "argument explicite ignoré : %r",
    "one of the arguments %s is required": "l'un des arguments %s est obligatoire",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "commande inconnue %(parser_name)r (au choix : "
                                                             "%(choices)s)",
    "unexpected option string: %s": "option inattendue : %s",
}


class _ArgparseIn:
    """argparse's own words in `lang` while the parser is built, parses and prints its help/errors."""

    def __init__(self, lang: str):
        self.lang = lang

    def __enter__(self) -> _ArgparseIn:
        self.saved = (argparse._, argparse.ngettext)  # type: ignore[attr-defined]
        if self.lang == "fr":
            argparse._ = lambda text: _ARGPARSE_FR.get(text, text)  # type: ignore[attr-defined]

            def ngettext(singular: str, plural: str, n: int) -> str:
                if singular == "expected %s argument":
                    return "%s valeur attendue" if n == 1 else "%s valeurs attendues"
                return singular if n == 1 else plural

            argparse.ngettext = ngettext  # type: ignore[attr-defined]
        return self

    def __exit__(self, *exc: object) -> None:
        argparse._, argparse.ngettext = self.saved  # type: ignore[attr-defined]


def _version() -> str:
    from importlib import metadata

    from grader import __version__

    try:
        return metadata.version("tp-grader")
    except metadata.PackageNotFoundError:
        return __version__


def _course_option(p: argparse.ArgumentParser, t) -> None:
    p.add_argument("--course", action="append", default=[], metavar=t("DOSSIER", "DIR"),
                   help=t("un dossier de cours (DOSSIER/assignments/<id>/, DOSSIER/reference/<id>.py), cherché avant "
                          "$GRADER_COURSE et le cours intégré ; répétable",
                          "a course folder (DIR/assignments/<id>/, DIR/reference/<id>.py), searched before "
                          "$GRADER_COURSE and the built-in course; repeatable"))


def _lang_option(p: argparse.ArgumentParser, t, lang: str) -> None:
    p.add_argument("--lang", choices=LANGS, default=lang,
                   help=t(f"langue des messages et des retours (défaut : {lang}, ou ${ENV_LANG})",
                          f"language of messages and feedback (default: {lang}, or ${ENV_LANG})"))


def _sandbox_option(p: argparse.ArgumentParser, t) -> None:
    p.add_argument("--sandbox", choices=("require", "auto", "off"), default="auto",
                   help=t("couches d'isolation : toutes exigées, celles que cette machine offre (défaut), ou aucune",
                          "isolation layers: require all, use what this machine has (default), or none"))


def _profile_option(p: argparse.ArgumentParser, t) -> None:
    p.add_argument("--profile", choices=("cpu", "gpu"),
                   help=t("budget d'entraînement (défaut : selon le matériel détecté)",
                          "training budget (default: detected hardware)"))


def _lms_run_options(p: argparse.ArgumentParser, root: str, t) -> None:
    import json

    p.add_argument("id", metavar="ID", help=t("l'identifiant du TP", "the assignment id"))
    p.add_argument("--root", metavar=t("DOSSIER", "DIR"), help=t(f"le dossier de la tâche (défaut : {root})",
                                                                 f"the job's folder (default: {root})"))
    p.add_argument("--budget", type=json.loads, metavar="JSON",
                   help=t('budget d\'entraînement à remplacer, p. ex. \'{"epochs": 1, "train_size": 2000}\'',
                          'training budget overrides, e.g. \'{"epochs": 1, "train_size": 2000}\''))
    _profile_option(p, t)
    _sandbox_option(p, t)


def _command(sub, name: str, help: tuple[str, str], func, t, lang: str, *, course: bool = True
             ) -> argparse.ArgumentParser:
    """A subcommand with the options every command shares: --lang, and --course where it reads a course."""
    cmd = sub.add_parser(name, help=t(*help), description=t(*help))
    _lang_option(cmd, t, lang)
    if course:
        _course_option(cmd, t)
    cmd.set_defaults(func=func)
    return cmd


def _group(sub, name: str, help: tuple[str, str], t, lang: str) -> argparse._SubParsersAction:
    """A command made of subcommands (manual, data, gradescope)."""
    cmd = sub.add_parser(name, help=t(*help), description=t(*help))
    _lang_option(cmd, t, lang)
    return cmd.add_subparsers(dest="action", required=True, metavar=t("ACTION", "ACTION"),
                              title=t("actions", "actions"))


def build_parser(lang: str = "fr") -> argparse.ArgumentParser:
    """The parser, every description and help in `lang` (argparse's own words too, inside `_ArgparseIn`)."""
    with _ArgparseIn(lang):
        return _build_parser(lang)


def _build_parser(lang: str) -> argparse.ArgumentParser:
    def t(fr: str, en: str) -> str:
        return en if lang == "en" else fr

    folder = t("DOSSIER", "DIR")
    p = argparse.ArgumentParser(prog="grader", description=t("Corriger les TP TensorFlow/Keras.",
                                                             "Grade TensorFlow/Keras practicals (TP)."))
    p.add_argument("--version", action="version", version=f"grader {_version()}",
                   help=t("afficher la version et quitter", "show the version and exit"))
    _lang_option(p, t, lang)
    sub = p.add_subparsers(dest="command", required=True, metavar=t("COMMANDE", "COMMAND"),
                           title=t("commandes", "commands"))
    run = _command(sub, "run", ("corriger un dossier de copies", "grade a folder of submissions"), grade_commands.cmd_run, t, lang,
                   course=False)
    run.add_argument("submissions", metavar=t("COPIES", "SUBMISSIONS"),
                     help=t("dossier avec une entrée par élève (.ipynb, .py, .zip ou dossier)",
                            "folder with one entry per student (.ipynb, .py, .zip or folder)"))
    run.add_argument("--assignment", "-a", metavar="ID",
                     help=t("identifiant du TP (défaut : celui des métadonnées des notebooks)",
                            "assignment id (default: from the notebooks' metadata)"))
    run.add_argument("--out", "-o", default="out", metavar=t("SORTIE", "OUT"),
                     help=t("dossier de sortie (gradebook, résultats, rapports) ; un autre TP ou une autre classe "
                            "n'y est corrigé qu'avec --force", "output folder (gradebook, results, reports); another "
                            "TP or class is graded into it only with --force"))
    run.add_argument("--workers", "-j", type=int, default=None, metavar="N",
                     help=t("copies corrigées à la fois (défaut : ce que permettent cœurs, mémoire et GPU)",
                            "submissions graded at once (default: what the cores, memory and GPUs allow)"))
    run.add_argument("--executor", choices=("local", "ray"), default="local",
                     help=t("threads locaux, ou tâches Ray (pip install 'tp-grader[ray]' ; couche 2 du bac à sable "
                            "exigée)", "local threads, or Ray tasks (pip install 'tp-grader[ray]'; sandbox Layer 2 "
                            "required)"))
    run.add_argument("--no-warm", dest="warm", action="store_false",
                     help=t("démarrer chaque exécuteur à froid (un interpréteur neuf) plutôt que de le dupliquer "
                            "d'un serveur chaud", "start every runner cold (a fresh interpreter) instead of forking "
                            "it from a warm server"))
    run.add_argument("--address", metavar=t("ADRESSE", "ADDR"),
                     help=t("la grappe Ray à utiliser (p. ex. auto, HÔTE:PORT ; défaut : une grappe locale)",
                            "the Ray cluster to use (e.g. auto, HOST:PORT; default: a local one)"))
    run.add_argument("--force", action="store_true",
                     help=t("recorriger les copies inchangées ; remplacer la correction d'un autre TP ou d'une autre "
                            "classe dans --out", "regrade unchanged submissions; replace another TP's or class's "
                            "results in --out"))
    _sandbox_option(run, t)
    _profile_option(run, t)
    run.add_argument("--due", metavar="ISO",
                     help=t("date limite de cette correction au lieu de [late] due (ISO ; sans décalage : l'heure du "
                            "cours, sinon l'heure locale)", "this run's due date instead of [late] due (ISO; no "
                            "offset: the course's clock, else local time)"))
    run.add_argument("--extensions", metavar=t("FICHIER.csv", "FILE.csv"),
                     help=t("dates limites par élève : colonnes `student` (clé ou identifiant LMS) et `due`",
                            "per-student due dates: columns `student` (key or LMS id) and `due`"))
    _course_option(run, t)
    _command(sub, "list", ("lister les TP", "list the assignments"), course_commands.cmd_list, t, lang)
    _command(sub, "generate", ("régénérer les notebooks élèves depuis les références",
                               "regenerate student notebooks from the references"), course_commands.cmd_generate, t, lang
             ).add_argument("ids", nargs="*", metavar="ID", help=t("les TP (défaut : tous)",
                                                                   "the assignments (default: all)"))
    chk = _command(sub, "check", ("auto-vérification d'un élève : les vérifications publiques sur un notebook",
                                  "a student's self-check: run the public checks on one notebook"), grade_commands.cmd_check, t, lang)
    chk.add_argument("notebook", metavar="NOTEBOOK", help=t("le notebook (.ipynb) ou module (.py) de l'élève",
                                                            "the student's notebook (.ipynb) or module (.py)"))
    chk.add_argument("--bundle", metavar=folder,
                     help=t("le dossier écrit par `grader release` (défaut : le cours installé)",
                            "the folder written by `grader release` (default: the installed course)"))
    chk.add_argument("--assignment", "-a", metavar="ID",
                     help=t("identifiant du TP (défaut : celui des métadonnées du notebook)",
                            "assignment id (default: from the notebook's metadata)"))
    chk.add_argument("--out", "-o", default="grader-check", metavar=folder,
                     help=t("où va le rapport HTML", "where the HTML report goes"))
    _sandbox_option(chk, t)
    asg = _command(sub, "assign", ("faire d'un notebook corrigé d'enseignant (style nbgrader ou otter) un TP",
                                   "turn a teacher's solution notebook (nbgrader or otter style) into a TP"),
                   course_commands.cmd_assign, t, lang)
    asg.add_argument("notebook", metavar="NOTEBOOK", help=t("le notebook de l'enseignant, solutions marquées",
                                                            "the instructor's notebook, solutions marked"))
    asg.add_argument("--id", required=True, metavar="ID", help=t("l'identifiant du TP", "the assignment id"))
    asg.add_argument("--no-run", action="store_true",
                     help=t("ne pas exécuter la référence (les vérifications de départ ne testent alors que les "
                            "noms, pas les types ni les formes)", "do not run the reference (starter checks then "
                            "test names only, not types or shapes)"))
    rel = _command(sub, "release", ("écrire le paquet élève : notebook élève et vérifications publiques seulement",
                                    "write the student bundle: student notebook and public checks only"),
                   course_commands.cmd_release, t, lang)
    rel.add_argument("id", metavar="ID", help=t("l'identifiant du TP", "the assignment id"))
    rel.add_argument("--out", "-o", required=True, metavar=folder,
                     help=t("le dossier du paquet (un dossier de cours pour `grader check`)",
                            "the bundle folder (a course folder for `grader check`)"))
    _command(sub, "new", ("créer un TP qui fonctionne (deux questions) dans un dossier de cours",
                          "scaffold a working assignment (two questions) in a course folder"), course_commands.cmd_new, t, lang
             ).add_argument("id", metavar="ID", help=t("l'identifiant du TP (un nom de dossier : minuscules, chiffres, "
                                                       "'-', '_')", "the assignment id (a folder name: lower-case, "
                                                       "digits, '-', '_')"))
    exp = _command(sub, "export", ("un import de notes Canvas ou Moodle depuis le dossier d'une correction et une "
                                   "liste d'élèves", "a Canvas or Moodle grade import from a run's output folder and "
                                   "a roster"), lms_commands.cmd_export, t, lang)
    exp.add_argument("lms", choices=("canvas", "moodle"), metavar="canvas|moodle",
                     help=t("la plateforme", "the LMS"))
    exp.add_argument("out", metavar=t("SORTIE", "OUT"),
                     help=t("le dossier de sortie de `grader run` (results.json, gradebook.sqlite)",
                            "the output folder of `grader run` (results.json, gradebook.sqlite)"))
    exp.add_argument("--roster", required=True, metavar=t("LISTE.csv", "ROSTER.csv"),
                     help=t("la liste de la classe (CSV) : un export du carnet de notes Canvas, la feuille de "
                            "notation ou l'export du carnet de notes Moodle, ...", "the class list (CSV): a Canvas "
                            "gradebook export, Moodle's grading worksheet or gradebook export, ..."))
    exp.add_argument("-o", "--file", metavar=t("FICHIER", "FILE"),
                     help=t("le fichier d'import (défaut : SORTIE/canvas.csv ou SORTIE/moodle.csv)",
                            "the import file (default: OUT/canvas.csv or OUT/moodle.csv)"))
    exp.add_argument("--key", metavar=t("COLONNE", "COLUMN"),
                     help=t("la colonne de la liste qui porte les identifiants des élèves (défaut : celle qui "
                            "correspond le plus)", "the roster column holding the students' ids (default: the "
                            "column that matches the most)"))
    exp.add_argument("--assignment-name", metavar=t("NOM", "NAME"),
                     help=t("le nom du devoir dans la plateforme (défaut : le titre du TP)",
                            "the assignment's name in the LMS (default: the TP's title)"))
    exp.add_argument("--canvas-id", metavar="N",
                     help=t("Canvas : l'identifiant du devoir (défaut : celui de la colonne « Nom (id) » de la liste)",
                            "Canvas: the assignment's id (default: from the roster's 'Name (id)' column)"))
    exp.add_argument("--identity", choices=("email", "username", "idnumber"), default="email",
                     help=t("Moodle : le champ utilisateur auquel l'import associe la première colonne",
                            "Moodle: the user field the import maps the first column to"))
    exp.add_argument("--absent", choices=("empty", "zero"),
                     help=t("note d'un élève de la liste sans copie (défaut : Canvas vide, Moodle 0)",
                            "grade of a roster student without a submission (default: Canvas empty, Moodle 0)"))
    exp.add_argument("--no-points-possible", action="store_true",
                     help=t("Canvas : pas de ligne « Points Possible »", "Canvas: no 'Points Possible' row"))
    man_sub = _group(sub, "manual", ("correction à la main : fiches des réponses écrites, import des fiches remplies",
                                     "grading by hand: written answers' sheets, importing filled ones"), t, lang)
    _command(man_sub, "export", ("par question écrite : SORTIE/manual/<id>.html (les réponses) et <id>.csv à remplir",
                                 "per written question: OUT/manual/<id>.html (the answers) and <id>.csv to fill"),
             lms_commands.cmd_manual, t, lang).add_argument("out", metavar=t("SORTIE", "OUT"),
                                                help=t("le dossier de sortie de `grader run`",
                                                       "the output folder of `grader run`"))
    man_imp = _command(man_sub, "import", ("vérifier les fiches remplies, enregistrer leurs notes, réécrire les "
                                           "rapports de la correction (une ligne pour une question corrigée "
                                           "automatiquement remplace sa note)", "check filled sheets, store their "
                                           "scores, rewrite the run's reports (a row for an autograded question "
                                           "overrides its score)"), lms_commands.cmd_manual, t, lang)
    man_imp.add_argument("out", metavar=t("SORTIE", "OUT"), help=t("le dossier de sortie de `grader run`",
                                                                  "the output folder of `grader run`"))
    man_imp.add_argument("files", nargs="+", metavar=t("FICHIER.csv", "FILE.csv"),
                         help=t("fiches remplies : élève, question, note, commentaire",
                                "filled sheets: student, question, score, comment"))
    man_imp.add_argument("--grader", metavar=t("NOM", "NAME"), help=t("qui a corrigé (gardé avec chaque note)",
                                                                     "who graded (kept with each score)"))
    data_sub = _group(sub, "data", ("jeux de données hors ligne : d'où ils viennent, en importer un",
                                    "offline datasets: where they come from, import one"), t, lang)
    _command(data_sub, "status", ("où chaque jeu de données est trouvé, ou comment l'obtenir",
                                  "where each dataset is found, or how to get it"), course_commands.cmd_data, t, lang, course=False)
    imp = _command(data_sub, "import", ("copier un jeu de données depuis des fichiers locaux (ou le télécharger) "
                                        "dans le dossier des données", "copy a dataset from local files (or download "
                                        "it) into the data dir"), course_commands.cmd_data, t, lang, course=False)
    imp.add_argument("name", metavar=t("NOM", "NAME"), help="mnist, fashion_mnist " + t("ou", "or") + " cifar10")
    imp.add_argument("path", nargs="?", metavar=t("CHEMIN", "PATH"),
                     help=t("mnist.npz / dossier IDX / dossier .gz / cifar-10-python.tar.gz ; aucun : téléchargé "
                            "depuis l'origine de Keras", "mnist.npz / IDX folder / .gz folder / "
                            "cifar-10-python.tar.gz; none: download from Keras' origin"))
    imp.add_argument("--to", metavar=folder,
                     help=t("destination (défaut : $GRADER_DATA_DIR ou ~/.local/share/tp-grader/datasets)",
                            "destination (default: $GRADER_DATA_DIR or ~/.local/share/tp-grader/datasets)"))
    syn = _command(data_sub, "synthesize", ("écrire un substitut synthétique (tests/CI seulement : pas le vrai jeu)",
                                            "write a synthetic stand-in (tests/CI only: not the real dataset)"),
                   course_commands.cmd_data, t, lang, course=False)
    syn.add_argument("name", choices=("cifar10",), help=t("le jeu de données", "the dataset"))
    syn.add_argument("--train", type=int, default=5000, metavar="N",
                     help=t("images d'entraînement (défaut 5000)", "training images (default 5000)"))
    syn.add_argument("--test", type=int, default=2000, metavar="N",
                     help=t("images de test (défaut 2000)", "test images (default 2000)"))
    syn.add_argument("--seed", type=int, default=0, metavar="N", help=t("graine aléatoire (défaut 0)",
                                                                        "random seed (default 0)"))
    syn.add_argument("--dir", metavar=folder,
                     help=t("destination (défaut : le premier dossier de $GRADER_DATA_DIR)",
                            "destination (default: the first folder of $GRADER_DATA_DIR)"))
    gs_sub = _group(sub, "gradescope", ("Gradescope : construire le zip de l'autograder, y corriger une copie",
                                        "Gradescope: build the autograder zip, grade one submission in it"), t, lang)
    gs_build = _command(gs_sub, "build", ("le zip de l'autograder : setup.sh, run_autograder, la wheel de ce "
                                          "correcteur, le TP", "the autograder zip: setup.sh, run_autograder, this "
                                          "grader's wheel, the assignment"), lms_commands.cmd_gradescope, t, lang)
    gs_build.add_argument("id", metavar="ID", help=t("l'identifiant du TP", "the assignment id"))
    gs_build.add_argument("--out", "-o", default="autograder.zip", metavar=t("FICHIER", "FILE"),
                          help=t("le zip à écrire (défaut : autograder.zip)", "the zip to write (default: "
                                 "autograder.zip)"))
    _lms_run_options(_command(gs_sub, "run", ("corriger $GRADESCOPE_ROOT/submission, écrire results/results.json",
                                              "grade $GRADESCOPE_ROOT/submission, write results/results.json"),
                              lms_commands.cmd_gradescope, t, lang), t("$GRADESCOPE_ROOT ou /autograder",
                                                           "$GRADESCOPE_ROOT or /autograder"), t)
    _lms_run_options(_command(sub, "prairielearn", ("correcteur externe PrairieLearn : corriger $PL_GRADE_ROOT/student, "
                                                    "écrire results/results.json", "PrairieLearn external grader: grade "
                                                    "$PL_GRADE_ROOT/student, write results/results.json"),
                              lms_commands.cmd_prairielearn, t, lang), t("$PL_GRADE_ROOT ou /grade", "$PL_GRADE_ROOT or /grade"), t)
    cal = _command(sub, "calibrate", ("exécuter la référence ici ; garder son temps et ses scores pour les seuils",
                                      "run the reference here; store its time and scores for thresholds"),
                   course_commands.cmd_calibrate, t, lang)
    cal.add_argument("ids", nargs="+", metavar="ID", help=t("les TP", "the assignments"))
    cal.add_argument("--profile", choices=("cpu", "gpu"), help=t("défaut : selon le matériel détecté",
                                                                 "default: detected hardware"))
    cal.add_argument("--dry-run", action="store_true", help=t("mesurer et afficher, ne rien écrire",
                                                              "measure and print, write nothing"))
    return p
