"""Student-originated text (a quoted Keras error) reaches every output without terminal codes."""

from __future__ import annotations

from grader.judge.engine import Context, run_check
from grader.judge.registry import Registry, fail
from grader.model import Status
from grader.text import plain

KERAS_ERROR = "ValueError: Exception encountered when calling Sequential.call().\n\n\x1b[1mCannot take the length\x1b[0m\r\n\x07"


def test_plain_drops_ansi_and_control_characters_but_keeps_lines():
    assert plain(KERAS_ERROR) == ("ValueError: Exception encountered when calling Sequential.call().\n\n"
                                  "Cannot take the length\n")
    assert plain("a\tb\x1b]0;title\x07c") == "a\tbc"
    assert plain("") == ""


def test_a_check_quoting_a_coloured_student_error_stores_it_plain():
    checks = Registry()

    @checks("q1", fr="`predict_image` marche.", en="`predict_image` works.")
    def check_quotes_error(obs, ctx):
        raise fail(f"`predict_image` a levé : {KERAS_ERROR}", f"`predict_image` raised: {KERAS_ERROR}")

    result = run_check(checks.checks[0], None, Context("tp"))
    assert result.status is Status.FAILED
    for text in (result.message.fr, result.message.en):
        assert "\x1b" not in text and "\x07" not in text and "Cannot take the length" in text
