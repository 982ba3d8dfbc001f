"""Submissions: every entry kind becomes cells; every bad one becomes an error, never a crash."""

from __future__ import annotations

import json
import stat
import tempfile
import zipfile
from pathlib import Path

import pytest

from grader.intake import cells as intake_cells
from grader.intake import discovery, record, zips
from grader.intake.cells import split_cells
from grader.intake.discovery import cleanup, discover, discovered, load, not_submissions
from grader.intake.zips import ZipLimits
from grader.model import Message


def nb_v4(*cells: tuple[str, object], metadata: dict | None = None) -> str:
    return json.dumps({
        "nbformat": 4, "nbformat_minor": 5, "metadata": metadata or {},
        "cells": [{"cell_type": t, "source": s, "metadata": {}} for t, s in cells],
    })


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def private_tmp(tmp_path, monkeypatch) -> Path:
    """Zip extractions land in a folder the test can inspect for leftovers."""
    tmp = tmp_path / "_tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


# ---------------------------------------------------------------------------- notebooks


def test_v4_notebook_list_and_str_sources_markdown_ignored(tmp_path):
    p = write(tmp_path / "alice.ipynb", nb_v4(
        ("markdown", "# Titre"),
        ("code", ["import numpy as np\n", "x = 1"]),
        ("raw", "raw text"),
        ("code", "y = x + 1"),
        ("code", []),
    ))
    sub = load(p)
    assert sub.error is None
    assert (sub.student, sub.kind, sub.entry, sub.workdir) == ("alice", "ipynb", "alice.ipynb", None)
    assert sub.cells == ("import numpy as np\nx = 1", "y = x + 1", "")
    assert sub.assignment_hint is None and sub.warnings == ()


def test_v3_notebook(tmp_path):
    nb = {"nbformat": 3, "metadata": {}, "worksheets": [{"cells": [
        {"cell_type": "heading", "source": "Titre", "level": 1},
        {"cell_type": "code", "input": ["a = 1\n", "b = 2"], "language": "python"},
        {"cell_type": "markdown", "source": "texte"},
        {"cell_type": "code", "input": "c = a + b"},
    ]}]}
    sub = load(write(tmp_path / "bob.ipynb", json.dumps(nb)))
    assert sub.error is None and sub.cells == ("a = 1\nb = 2", "c = a + b")


def test_assignment_hint_bom_and_crlf(tmp_path):
    text = nb_v4(("code", "x = 1\r\ny = 2"), metadata={"grader": {"assignment": "tp-tenseurs"}})
    sub = load(write(tmp_path / "c.ipynb", b"\xef\xbb\xbf" + text.encode()))
    assert sub.error is None
    assert sub.assignment_hint == "tp-tenseurs" and sub.cells == ("x = 1\ny = 2",)


def test_no_code_cells_is_a_warning_not_an_error(tmp_path):
    sub = load(write(tmp_path / "d.ipynb", nb_v4(("markdown", "rien"))))
    assert sub.error is None and sub.cells == ()
    assert any("aucune cellule de code" in w.fr and "no code cell" in w.en for w in sub.warnings)


@pytest.mark.parametrize(("content", "expected", "expected_en"), [
    ('{\n "cells": [\n    oops', "Notebook illisible : JSON invalide (ligne 3, colonne 5).",
     "Unreadable notebook: invalid JSON (line 3, column 5)."),
    (b"", "Fichier vide.", "Empty file."),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00", *intake_cells.NOT_NOTEBOOK.as_dict().values()),
    ("[1, 2, 3]", *intake_cells.NOT_NOTEBOOK.as_dict().values()),
    ('{"metadata": {}}', *intake_cells.NOT_NOTEBOOK.as_dict().values()),
    ('{"cells": "not a list"}', "Le fichier n'est pas un notebook Jupyter", "The file is not a valid Jupyter notebook"),
    (b'{"cells": []}\xff\xfe\xfa', "Encodage non pris en charge", "Unsupported encoding: the file must be UTF-8"),
    ("[" * 100_000, "Notebook illisible", "Unreadable notebook"),
])
def test_unreadable_notebooks(tmp_path, content, expected, expected_en):
    """What the student reads, in the report's language: each intake problem in French and English."""
    sub = load(write(tmp_path / "x.ipynb", content))
    assert sub.error is not None and sub.error.fr.startswith(expected), sub.error
    assert sub.error.en.startswith(expected_en), sub.error
    assert sub.cells == () and sub.kind == "ipynb" and len(sub.sha256) == 64


# ---------------------------------------------------------------------------- modules


def test_py_without_markers_is_one_cell(tmp_path):
    sub = load(write(tmp_path / "mod.py", "import numpy as np\n\n\ndef f():\n    return 1\n\n"))
    assert sub.error is None and sub.kind == "py"
    assert sub.cells == ("import numpy as np\n\n\ndef f():\n    return 1",)


def test_py_percent_markers_and_markdown():
    text = (
        "# header comment\nimport os\n\n"
        "# %% [markdown]\n# # Titre\n# du texte\n\n"
        "# %%\nx = 1\n"
        "# %% Question 2\n%%time\ny = 2\n"
        "#%% [md]\n# encore\n"
        "# %% [raw]\nraw\n"
        "# %%\n\n\n"
        "# %%time\nz = 3\n"
    )
    assert split_cells(text) == (
        "# header comment\nimport os", "x = 1", "%%time\ny = 2", "# %%time\nz = 3")


def test_py_blank_prefix_is_not_a_cell_and_empty_py_is_error(tmp_path):
    assert split_cells("\n\n# %%\na = 1\n") == ("a = 1",)
    assert load(write(tmp_path / "e.py", "  \n\n")).error == Message("Fichier vide.", "Empty file.")
    bad = load(write(tmp_path / "f.py", b"x = '\xe9'\n"))
    assert bad.error and bad.error.fr.startswith("Encodage non pris en charge")
    assert bad.error.en.startswith("Unsupported encoding")
    latin = load(write(tmp_path / "g.py", b"# -*- coding: latin-1 -*-\nx = '\xe9'\n"))
    assert latin.error is None and "x = 'é'" in latin.cells[0]
    assert load(write(tmp_path / "h.py", b"\x00\x01\x02")).error == intake_cells.NOT_MODULE


# ---------------------------------------------------------------------------- folders


def test_folder_with_data_file(tmp_path):
    d = tmp_path / "carol"
    write(d / "data.csv", "a,b\n1,2\n")
    write(d / "tp.ipynb", nb_v4(("code", "import pandas")))
    write(d / ".ipynb_checkpoints" / "tp-checkpoint.ipynb", nb_v4(("code", "old")))
    write(d / "__MACOSX" / "._tp.ipynb", b"\x00junk")
    sub = load(d)
    assert sub.error is None and sub.warnings == ()
    assert (sub.student, sub.kind, sub.entry, sub.workdir) == ("carol", "ipynb", "tp.ipynb", d)
    assert sub.cells == ("import pandas",)


def test_folder_choice(tmp_path):
    d = tmp_path / "dan"
    write(d / "helpers.py", "x = 1")
    write(d / "b.ipynb", nb_v4(("code", "b")))
    write(d / "a.ipynb", nb_v4(("code", "a")))
    sub = load(d)
    assert sub.entry == "a.ipynb" and sub.cells == ("a",)  # .ipynb over .py, then alphabetical
    assert any("b.ipynb" in w.fr and "b.ipynb" in w.en for w in sub.warnings)  # the tie is reported
    write(d / "sub" / "z.ipynb", nb_v4(("code", "z"), metadata={"grader": {"assignment": "tp-x"}}))
    sub = load(d)  # a notebook tagged with an assignment beats shallower ones
    assert sub.entry == "sub/z.ipynb" and sub.assignment_hint == "tp-x"
    assert sub.warnings == (sub.chosen,) and "a.ipynb (no TP in its metadata)" in sub.chosen.en  # said, with why
    only_py = tmp_path / "eve"
    write(only_py / "pkg" / "deep.py", "deep = 1")
    write(only_py / "main.py", "main = 1")
    assert load(only_py).entry == "main.py"  # shallowest


def test_folder_without_entry_and_symlinked_dir_not_followed(tmp_path):
    outside = tmp_path / "outside"
    write(outside / "secret.ipynb", nb_v4(("code", "secret")))
    d = tmp_path / "frank"
    write(d / "notes.txt", "rien")
    (d / "link").symlink_to(outside, target_is_directory=True)
    (d / "file-link.ipynb").symlink_to(outside / "secret.ipynb")
    sub = load(d)
    assert sub.error == discovery.NO_ENTRY and sub.workdir == d and sub.kind == ""


# ---------------------------------------------------------------------------- zip


def make_zip(path: Path, members: dict[str, bytes | str], **kw) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, **kw) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_zip_ok_and_cleanup(tmp_path, private_tmp):
    z = make_zip(tmp_path / "gina.zip", {
        "gina/tp.ipynb": nb_v4(("code", "x = 1")), "gina/data/x.csv": "1,2\n",
        "__MACOSX/gina/._tp.ipynb": b"\x00",
    })
    sub = load(z)
    assert sub.error is None and sub.student == "gina" and sub.cells == ("x = 1",)
    assert sub.workdir is not None and sub.workdir.name == "gina"  # single top folder entered
    assert (sub.workdir / "data" / "x.csv").read_text() == "1,2\n"
    assert sub.entry == "tp.ipynb" and sub.source == str(z)
    assert sub.workdir.parent.parent == private_tmp and sub.workdir.parent.name.startswith("grader-zip-")
    cleanup([sub])
    assert list(private_tmp.iterdir()) == []


@pytest.mark.parametrize("evil", ["../evil.py", "/abs/evil.py", "a/../../evil.py",
                                  "..\\evil.py", "C:/evil.py", "C:evil.py"])
def test_zip_slip_rejected_nothing_written(tmp_path, private_tmp, evil):
    z = tmp_path / "sub" / "hank.zip"
    z.parent.mkdir()
    make_zip(z, {"tp.py": "x = 1", evil: "import os"})
    sub = load(z)
    assert sub.error and sub.error.fr.startswith("Archive zip refusée : chemin dangereux")
    assert sub.error.en.startswith("Zip archive refused: dangerous path")
    assert sub.workdir is None and sub.cells == ()
    assert list(private_tmp.iterdir()) == []
    assert not (tmp_path / "evil.py").exists() and not Path("/abs/evil.py").exists()


def test_zip_bomb_rejected_by_declared_size(tmp_path, private_tmp, monkeypatch):
    z = make_zip(tmp_path / "ivan.zip", {"tp.py": "x = 1", "zeros.bin": b"\0" * (3 * 2**20)})
    assert z.stat().st_size < 50_000
    sub = load(z, limits=ZipLimits(max_member_bytes=2**20))
    assert sub.error and "dépasse 1 Mo" in sub.error.fr and "exceeds 1 MB" in sub.error.en
    monkeypatch.setattr(zips, "ZIP_LIMITS", ZipLimits(max_total_bytes=2 * 2**20))
    sub = discover(z)[0]
    assert sub.error and "plus de 2 Mo" in sub.error.fr and "more than 2 MB" in sub.error.en
    assert load(z, limits=ZipLimits(max_members=1)).error.fr.startswith("Archive zip refusée : plus de 1")
    assert list(private_tmp.iterdir()) == []


def test_zip_lying_about_its_size_is_rejected(tmp_path, private_tmp):
    z = make_zip(tmp_path / "jack.zip", {"tp.py": "x = 1", "zeros.bin": b"\0" * (3 * 2**20)})
    data = bytearray(z.read_bytes())
    # Rewrite the declared uncompressed size of zeros.bin (local header and central directory).
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (i := data.find(sig, start)) != -1:
            if data.find(b"zeros.bin", i, i + 100) != -1:
                data[i + offset:i + offset + 4] = (10).to_bytes(4, "little")
            start = i + 4
    z.write_bytes(bytes(data))
    sub = load(z)
    assert sub.error == Message("Archive zip illisible : archive corrompue ou incomplète.",
                                "Unreadable zip archive: corrupt or incomplete archive.")
    assert list(private_tmp.iterdir()) == []


def test_extraction_counts_real_bytes(tmp_path):
    """Declared sizes can lie: extraction stops on the bytes it actually writes."""
    z = make_zip(tmp_path / "olga.zip", {"zeros.bin": b"\0" * (3 * 2**20)})
    dest = tmp_path / "out"
    dest.mkdir()
    with zipfile.ZipFile(z) as zf:
        plan = [(info, (info.filename,)) for info in zf.infolist()]
        with pytest.raises(record.UnreadableSubmission, match="refusée"):
            zips.extract(zf, plan, dest, ZipLimits(max_total_bytes=2**20))
    assert (dest / "zeros.bin").stat().st_size <= 2**20


def test_zip_symlink_member_skipped(tmp_path):
    z = tmp_path / "kate.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("tp.py", "x = 1")
        link = zipfile.ZipInfo("passwd")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    sub = load(z)
    assert sub.error is None and sub.cells == ("x = 1",)
    assert any("passwd" in w.fr and "Symbolic link" in w.en for w in sub.warnings)
    assert not (sub.workdir / "passwd").exists() and not (sub.workdir / "passwd").is_symlink()
    cleanup([sub])


def test_corrupt_and_encrypted_zip(tmp_path, private_tmp):
    sub = load(write(tmp_path / "leo.zip", b"PK\x03\x04 this is not really a zip"))
    assert sub.error == Message("Archive zip illisible : le fichier n'est pas une archive zip valide.",
                                "Unreadable zip archive: the file is not a valid zip archive.")
    z = make_zip(tmp_path / "mia.zip", {"tp.py": "x = 1" * 1000})
    data = bytearray(z.read_bytes())
    data[40:60] = b"\xff" * 20  # damage the compressed stream
    z.write_bytes(bytes(data))
    assert load(z).error.fr.startswith("Archive zip illisible")
    enc = make_zip(tmp_path / "ned.zip", {"tp.py": "x = 1"})
    data = bytearray(enc.read_bytes())
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = data.find(sig)
        data[i + offset] |= 0x1  # set the "encrypted" flag bit
    enc.write_bytes(bytes(data))
    assert load(enc).error == Message("Archive zip illisible : elle est protégée par un mot de passe.",
                                      "Unreadable zip archive: it is password-protected.")
    assert list(private_tmp.iterdir()) == []


# ---------------------------------------------------------------------------- discover


def test_discover_keeps_every_entry_even_broken_ones(tmp_path):
    root = tmp_path / "rendus"
    write(root / "ok1.ipynb", nb_v4(("code", "a = 1")))
    write(root / "ok2.py", "b = 2")
    make_zip(root / "ok3.zip", {"tp.ipynb": nb_v4(("code", "c = 3"))})
    write(root / "ok4" / "tp.py", "d = 4")
    write(root / "bad1.ipynb", "{not json")
    write(root / "bad2.ipynb", b"\x00\x01binary")
    write(root / "bad3.ipynb", b"")
    write(root / "bad4.zip", b"garbage")
    write(root / "bad5.pdf", b"%PDF-1.4")
    write(root / ".DS_Store", b"\x00")
    (root / "__MACOSX").mkdir()
    (root / ".ipynb_checkpoints").mkdir()
    write(root / "README.md", "# TP")
    with discovered(root) as subs:
        assert [s.student for s in subs] == [
            "bad1", "bad2", "bad3", "bad4", "ok1", "ok2", "ok3", "ok4"]
        assert [bool(s.error) for s in subs] == [True] * 4 + [False] * 4
        assert subs[2].error == intake_cells.EMPTY
        zip_dir = subs[6].workdir
        assert zip_dir is not None and zip_dir.exists()
    assert not zip_dir.exists()


def test_files_that_are_not_submissions_are_listed_not_graded(tmp_path):
    root = tmp_path / "rendus"
    write(root / "alice.ipynb", nb_v4(("code", "a = 1")))
    for name in ("README.md", "notes.txt", "sujet.pdf"):
        write(root / name, "x")
    write(root / ".DS_Store", b"\x00")
    assert [s.student for s in discover(root)] == ["alice"]
    assert [p.name for p in not_submissions(root)] == ["README.md", "notes.txt", "sujet.pdf"]
    # named on its own, an unsupported file is still one record with a clear error, not silence
    [solo] = discover(root / "sujet.pdf")
    assert solo.error.fr.startswith("Type de fichier non pris en charge (.pdf)")
    assert solo.error.en.startswith("Unsupported file type (.pdf)")


def test_discover_single_file_and_missing_path(tmp_path):
    p = write(tmp_path / "solo.py", "x = 1")
    assert [s.student for s in discover(p)] == ["solo"]
    with pytest.raises(FileNotFoundError, match="introuvables"):
        discover(tmp_path / "nope")


def test_duplicate_student_ids(tmp_path):
    root = tmp_path / "rendus"
    write(root / "alice.py", "x = 1")
    write(root / "alice.ipynb", nb_v4(("code", "y = 2")))
    write(root / "alice-2.py", "z = 3")
    write(root / "bob" / "tp.py", "b = 1")
    make_zip(root / "bob.zip", {"tp.py": "b = 2"})
    subs = discover(root)
    by_id = {s.student: s for s in subs}
    assert [s.student for s in subs] == ["alice", "alice-2", "alice-3", "bob", "bob-2"]
    assert by_id["alice"].source.endswith("alice.ipynb")
    assert by_id["alice-3"].source.endswith("alice.py")
    assert any("alice-3" in w.fr and "already taken" in w.en for w in by_id["alice-3"].warnings)
    assert by_id["bob"].workdir == root / "bob" and by_id["bob-2"].source.endswith("bob.zip")
    again = discover(root)
    assert [(s.student, s.source) for s in again] == [(s.student, s.source) for s in subs]
    cleanup(subs + again)


def test_sha256_stable_and_content_sensitive(tmp_path):
    nb = write(tmp_path / "a.ipynb", nb_v4(("code", "x = 1")))
    d = tmp_path / "b"
    write(d / "tp.py", "x = 1")
    write(d / "data.csv", "1")
    z = make_zip(tmp_path / "c.zip", {"tp.py": "x = 1", "data.csv": "1"})
    first = {p: load(p).sha256 for p in (nb, d, z)}
    assert first == {p: load(p).sha256 for p in (nb, d, z)}
    assert first[z] == first[d]  # a zip hashes as the folder it holds, not its timestamps
    z2 = make_zip(tmp_path / "c2.zip", {"data.csv": "1", "tp.py": "x = 1"})  # other order
    assert load(z2).sha256 == first[z]
    write(nb, nb_v4(("code", "x = 2")))
    write(d / "data.csv", "2")
    make_zip(z, {"tp.py": "x = 1", "data.csv": "2"})
    second = {p: load(p).sha256 for p in (nb, d, z)}
    assert all(first[p] != second[p] for p in first)
    write(d / ".ipynb_checkpoints" / "tp.py", "ignored")  # editor droppings don't change it
    assert load(d).sha256 == second[d]


# ---------------------------------------------------------------------------- LMS download names


@pytest.mark.parametrize("name, lms, sid, who, original, late", [
    ("Hélène Bérézina_12345_assignsubmission_file_TP tenseurs.ipynb", "moodle", "12345", "Hélène Bérézina",
     "TP tenseurs.ipynb", False),
    ("Jean Dupont_7_assignsubmission_file_", "moodle", "7", "Jean Dupont", "", False),
    ("Jean Dupont_7_assignsubmission_onlinetext_onlinetext.html", "moodle", "7", "Jean Dupont",
     "onlinetext.html", False),
    ("doejane_12345_67890_tp_final.ipynb", "canvas", "12345", "doejane", "tp_final.ipynb", False),
    ("doejane_LATE_12345_67890_TP-1.ipynb", "canvas", "12345", "doejane", "TP-1.ipynb", True),
])
def test_lms_download_names_give_id_and_name(name, lms, sid, who, original, late):
    from grader.intake.downloads import parse

    named = parse(name)
    assert (named.who.lms, named.who.id, named.who.name, named.original, named.who.late) == (
        lms, sid, who, original, late)


@pytest.mark.parametrize("name", ["alice.ipynb", "tp_final.ipynb", "bob_tp.py", "rendu_1.zip", "alice"])
def test_plain_names_are_not_lms_downloads(name):
    from grader.intake.downloads import parse

    assert parse(name) is None


def test_moodle_file_names_make_one_student_keyed_by_name_and_participant_id(tmp_path):
    root = tmp_path / "rendus"
    write(root / "Hélène Bérézina_12345_assignsubmission_file_tp.ipynb",
          nb_v4(("code", "x = open('data.csv').read()")))
    write(root / "Hélène Bérézina_12345_assignsubmission_file_data.csv", "1,2")
    write(root / "Hélène Bérézina_12345_assignsubmission_onlinetext_onlinetext.html", "<p>réponse</p>")
    write(root / "Jean Dupont_7_assignsubmission_file_tp.py", "y = 2")
    assert not_submissions(root) == []  # the data file and the online text belong to a student
    with discovered(root) as subs:
        assert [s.student for s in subs] == ["helene-berezina_12345", "jean-dupont_7"]
        helene, jean = subs
        assert helene.lms.as_info() == {"lms": "moodle", "id": "12345", "name": "Hélène Bérézina"}
        assert helene.error is None and helene.entry == "tp.ipynb" and helene.kind == "ipynb"
        assert (helene.workdir / "data.csv").read_text() == "1,2"  # beside the notebook, as uploaded
        assert (helene.workdir / "onlinetext" / "onlinetext.html").is_file()
        assert jean.cells == ("y = 2",) and jean.lms.id == "7" and jean.source.endswith("tp.py")
        staged = helene.workdir
    assert not staged.exists()
    assert [s.sha256 for s in discover(root)] == [s.sha256 for s in subs]  # stable: resumable


def test_moodle_folders_per_plugin_are_merged(tmp_path):
    root = tmp_path / "rendus"
    write(root / "Jean Dupont_7_assignsubmission_file_" / "TP.ipynb", nb_v4(("code", "a = 1")))
    write(root / "Jean Dupont_7_assignsubmission_file_" / "images" / "chat.png", b"\x89PNG")
    write(root / "Jean Dupont_7_assignsubmission_onlinetext_" / "onlinetext.html", "<p>x</p>")
    write(root / "Ana Li_8_assignsubmission_file_" / "TP.ipynb", nb_v4(("code", "b = 2")))
    write(root / "Ana Li_8_assignsubmission_onlinetext_" / "onlinetext.html", "<p>seulement du texte</p>")
    write(root / "Zoé Roy_9_assignsubmission_onlinetext_" / "onlinetext.html", "<p>pas de notebook</p>")
    with discovered(root) as subs:
        by_id = {s.student: s for s in subs}
        assert sorted(by_id) == ["ana-li_8", "jean-dupont_7", "zoe-roy_9"]
        jean = by_id["jean-dupont_7"]
        assert jean.cells == ("a = 1",) and (jean.workdir / "images" / "chat.png").is_file()
        assert by_id["ana-li_8"].cells == ("b = 2",)
        assert by_id["zoe-roy_9"].error == discovery.NO_ENTRY  # online text only: a zero, said
    single = tmp_path / "seul"
    write(single / "Jean Dupont_7_assignsubmission_file_" / "TP.ipynb", nb_v4(("code", "a = 1")))
    [only] = discover(single)  # one folder: read in place, nothing copied
    assert only.student == "jean-dupont_7" and only.workdir == single / "Jean Dupont_7_assignsubmission_file_"


def test_canvas_names_late_and_resubmission_never_overwrite_each_other(tmp_path):
    root = tmp_path / "rendus"
    write(root / "doejane_12345_500_TP.ipynb", nb_v4(("code", "v = 1")))
    write(root / "doejane_LATE_12345_501_TP-1.ipynb", nb_v4(("code", "v = 2")))
    write(root / "smithjohn_222_400_tp.py", "w = 1")
    write(root / "doejane.ipynb", nb_v4(("code", "plain = 1")))  # a plain entry keeps its own key
    with discovered(root) as subs:
        by_id = {s.student: s for s in subs}
        assert sorted(by_id) == ["doejane", "doejane_12345", "smithjohn_222"]
        jane = by_id["doejane_12345"]
        assert jane.cells == ("v = 2",) and jane.entry == "TP-1.ipynb"  # the later upload is graded
        assert any("TP-1.ipynb" in w.fr and "TP.ipynb" in w.en for w in jane.warnings)  # the other is named
        assert jane.lms.as_info() == {"lms": "canvas", "id": "12345", "name": "doejane", "late": True}
        assert by_id["smithjohn_222"].lms.late is False and by_id["doejane"].lms is None


def test_canvas_zips_only_the_latest_is_graded_and_the_other_named(tmp_path):
    root = tmp_path / "rendus"
    root.mkdir()
    make_zip(root / "doejane_12345_500_tp.zip", {"tp.py": "old = 1"})
    make_zip(root / "doejane_12345_900_tp-1.zip", {"tp.py": "new = 1"})
    with discovered(root) as subs:
        [jane] = subs
        assert jane.cells == ("new = 1",)
        assert any("doejane_12345_500_tp.zip" in w.fr and "not used" in w.en for w in jane.warnings)


# ---------------------------------------------------------------------------- several candidate notebooks


def _zip_dated(path: Path, members: dict[str, tuple[str, tuple[int, ...]]]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, (data, when) in members.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=when), data)
    return path


def _worked_tenseurs() -> str:
    from grader.notebooks import render, student_notebook

    nb = student_notebook("tp-tenseurs")
    for cell in nb["cells"]:
        if "".join(cell["source"]).startswith("# VOTRE CODE ICI\nbatch = None"):
            cell["source"] = "batch = tf.random.uniform((10, 28, 28))\nprint(batch.shape, batch.dtype)"
    return render(nb)


def test_home_folder_zip_grades_the_work_not_the_untouched_download(tmp_path):
    """A zip of a home folder: the untouched `Downloads/tp-tenseurs.ipynb` (newer, first
    alphabetically) and the real `TP/tp-tenseurs.ipynb`: the work is graded, and the warning says which
    and why (results keep it as info["entry_choice"] for the console)."""
    from grader.notebooks import render, student_notebook

    z = _zip_dated(tmp_path / "alice.zip", {
        "Downloads/tp-tenseurs.ipynb": (render(student_notebook("tp-tenseurs")), (2026, 3, 2, 9, 0, 0)),
        "TP/tp-tenseurs.ipynb": (_worked_tenseurs(), (2026, 3, 1, 18, 0, 0)),
    })
    [sub] = discover(z)
    try:
        assert sub.entry == "TP/tp-tenseurs.ipynb" and any("tf.random.uniform" in c for c in sub.cells)
        assert sub.chosen is not None and sub.chosen in sub.warnings
        assert "« TP/tp-tenseurs.ipynb » est corrigé" in sub.chosen.fr
        assert "Downloads/tp-tenseurs.ipynb (the distributed notebook, unchanged)" in sub.chosen.en
    finally:
        cleanup([sub])


def test_of_two_worked_notebooks_the_newest_is_graded(tmp_path):
    older = _worked_tenseurs()
    newer = older.replace("tf.random.uniform((10, 28, 28))", "tf.random.uniform((10, 28, 28), seed=1)")
    z = _zip_dated(tmp_path / "bruno.zip", {
        "a-copy/tp-tenseurs.ipynb": (older, (2026, 3, 1, 9, 0, 0)),
        "b-final/tp-tenseurs.ipynb": (newer, (2026, 3, 1, 18, 0, 0)),
    })
    [sub] = discover(z)
    try:
        assert sub.entry == "b-final/tp-tenseurs.ipynb" and any("seed=1" in c for c in sub.cells)
        assert "a-copy/tp-tenseurs.ipynb (older)" in sub.chosen.en and "(plus ancien)" in sub.chosen.fr
    finally:
        cleanup([sub])
