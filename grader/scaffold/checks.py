"""Checks of $id, written by `grader new`: sharpen them, keep one property per check.

Public checks (`public=True`) ship to students with `grader release`; the others stay hidden.
"""

import numpy as np

from grader.checks import Registry, as_array, expect_close, expect_shape

checks = Registry()


@checks("q1", public=True, fr="`scores` : un tableau de 5 nombres.", en="`scores`: an array of 5 numbers.")
def check_scores_shape(obs, ctx):
    expect_shape(as_array(obs.value("scores"), "`scores`"), (5,), "`scores`")


@checks("q1", requires="check_scores_shape", fr="`scores` : les carrés de 0 à 4.",
        en="`scores`: the squares of 0 to 4.")
def check_scores_values(obs, ctx):
    expect_close(as_array(obs.value("scores"), "`scores`"), np.arange(5.0) ** 2, "`scores`")


@checks("q2", fr="`relu(x)` sur des entrées cachées.", en="`relu(x)` on hidden inputs.")
def check_relu_on_hidden_inputs(obs, ctx):
    x = ctx.rng("relu").normal(size=(4, 3))
    found = as_array(obs.call("relu", x), "`relu(x)`")
    expect_shape(found, x.shape, "`relu(x)`")
    expect_close(found, np.maximum(x, 0), "`relu(x)`")
