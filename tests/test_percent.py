"""One percent-format splitter: the code the runner executes, the written answers and the generated
notebook agree on where a cell starts."""

from __future__ import annotations

from grader.intake.answers import cells_of_module
from grader.intake.cells import split_cells
from grader.intake.percent import split
from grader.notebooks import split_tagged

MODULE = ("import numpy as np\n"
          "# %%time\n"  # a commented magic, not a marker
          "x = 1\n"
          "# %% [markdown] answer=w1\n"
          "# Parce que *x* vaut 1.\n"
          "#%%\n"
          "s = 'a\x0cb\u2028c'\n"  # a form feed and U+2028 inside a string: not line ends
          "# %% [raw]\n"
          "not code\n")


def test_readers_agree_on_the_cells():
    assert [c.kind for c in split(MODULE)] == ["code", "markdown", "code", "markdown"]
    assert split_cells(MODULE) == ("import numpy as np\n# %%time\nx = 1", "s = 'a\x0cb\u2028c'")
    assert [(c.kind, c.source, c.answer) for c in cells_of_module(MODULE)] == [
        ("code", "import numpy as np\n# %%time\nx = 1", ""), ("markdown", "Parce que *x* vaut 1.", "w1"),
        ("code", "s = 'a\x0cb\u2028c'", ""), ("markdown", "not code", "")]
    assert [(kind, answer) for kind, _, answer in split_tagged(MODULE)] == [
        ("code", ""), ("markdown", "w1"), ("code", ""), ("markdown", "")]


def test_line_ends_are_pythons():
    assert split_cells("a = 1\r\n# %%\r\nb = 2\rc = 3\n") == ("a = 1", "b = 2\nc = 3")
    assert split_cells("# %%\n\n\n") == ()
