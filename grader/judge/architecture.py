"""The model a TP's building function must return, and the architecture checks every Keras TP runs on it.

Side: the judge. A Keras TP asks for a function (`build_model()`, `create_cnn()`, ...) that returns a
new Keras model of a given input shape, layers (as `grader.judge.layers.normalize` reads them) and
parameter count. `Architecture` holds those expectations; its `check_*` methods are the shared checks
(scikit-learn's `check_<property>`, parametrised by the TP), each called from the TP's own top-level
`@checks(...)` function, which keeps the check's id, weight, description and public/hidden flag (what
`grader release` prunes by).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from grader.judge.layers import (
    built,
    compare,
    normalize,
    require_fresh,
    require_input_shape,
    require_keras_model,
    require_params,
)
from grader.judge.registry import NO_HINT
from grader.model import Message

#: the layers found -> a TP-specific hint for the usual slips (None: no hint)
LayerHint = Callable[[list[tuple]], Message | None]


@dataclass(frozen=True)
class Architecture:
    """`function()` must return a new Keras model: input `input_shape`, `layers`, `params` parameters
    (`non_trainable` of them, when given); `params_hint` says what to check when the count is off.
    `layer_hint` words the usual slips, `read` rewrites the normalised layers before they are compared
    (an equivalent style the course accepts), `build` replaces the default probe of the function (a TP
    that words a build error of its own)."""

    function: str
    input_shape: tuple[int, ...]
    layers: Sequence[tuple]
    params: int
    params_hint: Message = NO_HINT
    non_trainable: int | None = None
    layer_hint: LayerHint | None = None
    read: Callable[[list[tuple]], list[tuple]] | None = None
    build: Callable[[object], dict] | None = None

    @property
    def what(self) -> str:
        return f"`{self.function}()`"

    def built(self, obs) -> dict:
        """The probe's answer, once per submission: {"model": description, "same_object", "shared_weights"}."""
        return self.build(obs) if self.build is not None else built(obs, self.function)

    def check_keras_model(self, obs) -> None:
        require_keras_model(self.built(obs)["model"], self.what)

    def check_input_shape(self, obs) -> None:
        require_input_shape(self.built(obs)["model"], self.what, self.input_shape)

    def check_fresh(self, obs) -> None:
        require_fresh(self.built(obs), self.function)

    def check_new_keras_model(self, obs) -> None:
        """A Keras model, of the right input, new at each call: one check where a TP weighs them together."""
        self.check_keras_model(obs)
        self.check_input_shape(obs)
        self.check_fresh(obs)

    def found_layers(self, obs) -> list[tuple]:
        found = normalize(self.built(obs)["model"])
        return self.read(found) if self.read is not None else found

    def check_layers(self, obs) -> None:
        """The layers, in order; a failure names the first that differs, and the TP's hint when it has one."""
        found, expected = self.found_layers(obs), list(self.layers)
        hint = self.layer_hint(found) if self.layer_hint is not None and found != expected else None
        compare(found, expected, self.what, hint)

    def check_params(self, obs) -> None:
        require_params(self.built(obs)["model"], self.what, self.params, self.params_hint,
                       non_trainable=self.non_trainable)
