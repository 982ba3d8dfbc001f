"""Both languages complete, read from the source: every French text of the course has an English
one that says as much, hints included (issue 13, item 6). The graded side of the same promise is
`conftest.assert_failures_in_both_languages`, run on every TP's reference and mutants."""

from __future__ import annotations

import ast

import numpy as np
import pytest

from grader.judge.checks import CheckFailed, Failure, fail, pair
from grader.judge.expect import expect_close, expect_shape
from grader.judge.holdout import verdict
from grader.judge.layers import require_params
from grader.judge.student import require_array
from grader.model import Message
from tests import languages


@pytest.fixture(scope="module")
def pairs() -> list[languages.Pair]:
    found = languages.pairs()
    print(languages.summary(found))  # the ratio the issue measured (84 of 276 pairs under 60%)
    return found


def test_every_hint_keyword_has_its_english_one():
    """`hint=` without `hint_en=` (a plain French string) is the mistake that let English failures
    carry no hint: every such call in the grader and the built-in TPs names both."""
    lonely = []
    for path, call in languages.calls():
        keywords = {k.arg: k.value for k in call.keywords}
        for fr, en in (("hint", "hint_en"), ("what", "what_en"), ("hint_fr", "hint_en")):
            given = keywords.get(fr)
            if given is None or (isinstance(given, ast.Constant) and given.value == ""):
                continue
            is_pair = isinstance(given, ast.Call) and languages._name(given) in ("Message", "pair")
            if en not in keywords and not is_pair:
                lonely.append(f"{path.relative_to(languages.REPO)}:{call.lineno} {fr}= without {en}=")
    assert not lonely, lonely


def test_every_french_text_has_an_english_one(pairs):
    missing = [f"{p.where} {p.fr[:80]!r}" for p in pairs if not p.en.strip()]
    assert not missing, missing


def test_no_english_text_drops_the_french_hint(pairs):
    dropped = [f"{p.where} {sorted(languages.dropped_hints(p))}: {p.fr[:70]!r}" for p in pairs
               if languages.dropped_hints(p)]
    assert not dropped, dropped


def test_english_says_as_much_as_the_french(pairs):
    """English runs about 10% shorter than French; under 60% it has lost a part (the issue counted 84
    pairs so, each dropping an expected value, a hint or the way to fix it)."""
    short = [f"{p.where} {p.ratio:.2f}: {p.en!r} for {p.fr!r}" for p in languages.short_english(pairs)]
    assert not short, short
    assert len(pairs) > 500  # the scan still reads the course (a broken AST walk would pass anything)


def test_the_scan_sees_a_dropped_hint_and_a_short_english(tmp_path):
    src = tmp_path / "grader" / "bad.py"
    src.parent.mkdir()
    src.write_text('hint = " Vérifiez la taille de la couche cachée (128)."\n'
                   'fail(f"`m` a {n} paramètres ; attendu 101 770.{hint}", f"`m` has {n} parameters.")\n',
                   encoding="utf-8")
    (found,) = languages.pairs([src])
    assert languages.dropped_hints(found) == {"hint"}
    assert languages.short_english([found]) == [found]


# -- the pair is required by the shared helpers ---------------------------------------------------
def test_pair_needs_both_sides_or_neither():
    assert pair("", "") == Message("", "")
    assert pair(Message(" Essayez.", " Try.")) == Message(" Essayez.", " Try.")
    with pytest.raises(ValueError, match="one language"):
        pair(" Vérifiez la taille.")
    with pytest.raises(ValueError, match="one language"):
        pair("", " Check the size.")


@pytest.mark.parametrize("call", [
    lambda: expect_shape(np.zeros((2, 3)), (2, 3), "`x`", hint=" Une ligne par image."),
    lambda: expect_close(np.zeros(3), np.zeros(3), "`x`", hint=" Une ligne par image."),
    lambda: require_array([1.0, 2.0], "`x`", ndim=1, hint=" Une ligne par image."),
    lambda: require_params({"params": 10, "layers": []}, "`m`", 10, " Vérifiez la couche cachée."),
])
def test_a_french_hint_alone_is_refused_even_when_the_answer_is_right(call):
    """Raised at every call, not only on a wrong answer: the reference's run (which passes) finds it."""
    with pytest.raises(ValueError, match="one language"):
        call()


def test_verdict_refuses_a_french_hint_alone():
    class Ctx:
        def option(self, name, default=None):
            return default

    with pytest.raises(ValueError, match="one language"):
        verdict(None, Ctx(), question="q4", name="model", score=0.99, n=10, default=0.9, hint=" Entraînez.")


def test_helpers_give_the_hint_in_each_language():
    with pytest.raises(CheckFailed) as e:
        expect_shape(np.zeros((2, 4)), (2, 3), "`x`", hint=" Une ligne par image.", hint_en=" One row per image.")
    assert e.value.message == Message("`x` a la forme (2, 4) ; attendu (2, 3). Une ligne par image.",
                                      "`x` has shape (2, 4); expected (2, 3). One row per image.")
    with pytest.raises(CheckFailed) as e:
        expect_close(np.array([1.0, 5.0]), np.array([1.0, 2.0]), "`x`",
                     hint=Message("Refaites le calcul.", "Compute it again."))
    assert e.value.message.fr.endswith("trouvé 5 ; attendu 2. Refaites le calcul.")
    assert e.value.message.en.endswith("found 5; expected 2. Compute it again.")
    with pytest.raises(CheckFailed) as e:
        require_params({"params": 12_810, "layers": [{"class": "Dense", "params": 12_810}]}, "`build_model()`",
                       101_770, " Vérifiez la couche cachée (128).", hint_en=" Check the hidden layer (128).")
    assert e.value.message.en == ("`build_model()` has 12,810 parameters (Dense: 12,810); expected 101,770. "
                                  "Check the hidden layer (128).")


def test_a_structured_failure_words_every_part_in_both_languages():
    failure = Failure(Message("`flat`", "`flat`"), Message("a la forme (10, 3)", "has shape (10, 3)"),
                      Message("(10, 784)", "(10, 784)"), Message("Une ligne par image.", "One row per image."))
    assert failure.message() == Message("`flat` a la forme (10, 3) ; attendu (10, 784). Une ligne par image.",
                                        "`flat` has shape (10, 3); expected (10, 784). One row per image.")
    with pytest.raises(CheckFailed) as e:
        fail(failure)
    assert e.value.message == failure.message()
    with pytest.raises(ValueError, match="found given in one language"):
        Failure(Message("`x`", "`x`"), Message("a la forme (3,)"), Message("(4,)", "(4,)"))
