"""The runner-side part of the check authors' face: what an assignment's own `probes.py` uses.

Side: the runner, and the judge by name. An assignment's `probes.py` is shipped to the runner as
source and run there (`grader.judge.observe.runner_target`); it imports its helpers from here
(`error_text`, `require_keras_model`, `describe`, `flat_layers`, `of_layer`). A judge-side check
names the shared probe modules through here too (`obs.run(history.describe, "history")`): the
functions stay those of `grader.runner.probes`, so the runner imports them by their own name.

Each name is imported on first use: inside the runner, `from grader.checks.probes import error_text`
imports `grader.runner.probes` and nothing of the judge (this package's `__init__` is lazy too).
"""

from __future__ import annotations

from grader.checks.lazy import exports

_PROBES = "grader.runner.probes"

#: public name -> "module" (the name is the module's own) or "module:attribute"; "module:" is the module
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(("KERAS_MODEL", "error_text", "require_keras_model", "type_info"), _PROBES),
    **dict.fromkeys(("describe", "flat_layers"), f"{_PROBES}.keras_model"),
    **dict.fromkeys(("OTHER", "of_layer"), f"{_PROBES}.activations"),
    **{module: f"{_PROBES}.{module}:" for module in ("activations", "augmentation", "callbacks", "compiled",
                                                      "history", "predictions", "values")},
    "model": f"{_PROBES}.keras_model:",  # a Keras model described as plain data
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = exports(globals(), _EXPORTS)
