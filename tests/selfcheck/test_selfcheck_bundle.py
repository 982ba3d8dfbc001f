"""Where the init cell finds the bundle: the folder named, $GRADER_BUNDLE, the current folder or one
right under it; never above it unless named, never a course folder that is not a bundle; and when
nothing is found, a message in both languages that says where it looked and what to do."""

from __future__ import annotations

import shutil

import pytest
from conftest import REPO

from grader.authoring.release import release
from grader.selfcheck import api
from grader.selfcheck.bundle import ENV, BundleNotFound, find


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    out = tmp_path_factory.mktemp("home") / "tp-release"
    release(REPO / "assignments" / "tp-tenseurs", out, student_kit=False)
    return out


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)


def test_found_in_each_form_the_student_may_name(released):
    folder = released / "assignments" / "tp-tenseurs"
    for named in (released, released / "assignments", folder):
        found = find("tp-tenseurs", named)
        assert found.folder == folder and found.assignment == "tp-tenseurs"
        assert found.public_checks and found.hidden_by_question == {"q2": 1, "q3": 1, "q4": 1, "q5": 1, "q6": 1}
    assert find(None, released).folder == folder  # the bundle's only TP


def test_found_from_the_current_folder_or_one_right_under_it(released, monkeypatch):
    folder = released / "assignments" / "tp-tenseurs"
    assert find("tp-tenseurs", cwd=released.parent).folder == folder  # unzipped beside the notebook
    assert find("tp-tenseurs", cwd=released).folder == folder
    assert find("tp-tenseurs", cwd=folder).folder == folder  # the notebook opened inside its bundle
    monkeypatch.setenv(ENV, str(released))
    assert find("tp-tenseurs", cwd=folder / "nowhere").folder == folder


def test_never_above_the_current_folder_nor_a_course_that_is_not_a_bundle(released, tmp_path):
    deeper = released.parent / "a" / "b"
    deeper.mkdir(parents=True)
    with pytest.raises(BundleNotFound):
        find("tp-tenseurs", cwd=deeper)
    course = tmp_path / "course"
    shutil.copytree(REPO / "assignments" / "tp-tenseurs", course / "assignments" / "tp-tenseurs")
    for where in (tmp_path, course):  # the instructor's course: hidden checks, no bundle.json
        with pytest.raises(BundleNotFound):
            find("tp-tenseurs", cwd=where)
    with pytest.raises(BundleNotFound):
        find("tp-gradient", released)  # another TP than the one released there


def test_not_found_says_where_it_looked_in_both_languages(tmp_path, capsys):
    with pytest.raises(BundleNotFound) as info:
        find("tp-tenseurs", cwd=tmp_path)
    fr, en = info.value.message.fr, info.value.message.en
    assert str(tmp_path) in fr and str(tmp_path) in en
    assert 'init("tp-tenseurs", bundle=' in fr and "GRADER_BUNDLE" in fr and "bundle.json" in fr
    assert "Give its path" in en and "GRADER_BUNDLE" in en
    missing = tmp_path / "nope"
    api.init("tp-tenseurs", bundle=missing)  # what the init cell shows: the message, no traceback
    shown = capsys.readouterr().out
    assert "Auto-vérification" in shown and "Self-check" in shown and str(missing) in shown
    api.check("q1")  # before a successful init: said again, never a NameError
    again = capsys.readouterr().out
    assert "introuvable" in again or "n'est pas dans" in again
    assert "is not in" in again
