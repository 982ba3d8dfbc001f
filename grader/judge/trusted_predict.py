"""Held-out predictions computed by trusted code: a student's model rebuilt from its config and weights.

A held-out score used to be whatever the student's own object answered to `predict`: a model with
zeroed weights whose `predict` looked the images up in the public test set scored 1.0. Now the judge
asks the student's runner only for plain data (the model's Keras config and its weights), checks that
the config names Keras' own classes only, and has a *clean room* (a second runner, same sandbox and
limits, that has executed no student code) rebuild the model and predict. A `predict` replaced on
the object, a patched library or a lookup table in the notebook then changes nothing: the score is
what the architecture and the weights compute.

What "Keras' own layers" covers: every object of the config (the model, nested models, layers,
activations, initializers, regularizers, constraints, dtype policies, Keras ops of a functional
graph) is serialised by Keras with a `module` that is `keras` or `keras.<...>`, no custom
`registered_name` (`keras.saving.register_keras_serializable` objects carry `"package>Name"`), and
a class that does not run code given as data (`Lambda` and serialised lambdas, `TFSMLayer`, which
loads a SavedModel, `TorchModuleWrapper`, `JaxLayer`, `FlaxLayer`). Anything else (a model or layer
class defined in the notebook, a custom activation function, a `Lambda`) is student code on the
prediction path: such a model is evaluated by its own `predict` as before, the report says so
("évalué avec le code de l'étudiant"), and its measure stays off the leaderboard unless the
assignment's TOML allows it (`[leaderboard] student_code = true`).
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

from grader.judge.expect import as_array
from grader.judge.registry import CheckFailed
from grader.model import Message, Status
from grader.runner.probes import keras_model as model_probe
from grader.runner.probes import predictions, rebuild

#: Keras classes that run code carried by the config (or loaded from elsewhere), not layers of Keras' own
CODE_CLASSES = frozenset({"Lambda", "__lambda__", "TFSMLayer", "TorchModuleWrapper", "JaxLayer", "FlaxLayer"})
#: Keras' tags for plain data inside a config (a functional graph's tensors, constants): no module, no code
DATA_TAGS = frozenset({"__keras_tensor__", "__tensor__", "__numpy__", "__bytes__", "__ellipsis__", "__slice__"})
MAX_CONFIG_CHARS = 4_000_000


def foreign_parts(config: Any, where: str = "model") -> list[str]:
    """The parts of a serialised Keras config that are not Keras' own (empty: rebuildable by trusted code)."""
    found: list[str] = []

    def walk(node: Any, path: str) -> None:
        if len(found) >= 20:
            return
        if isinstance(node, list):
            for item in node:
                walk(item, path)
            return
        if not isinstance(node, dict):
            return
        if "class_name" not in node and ("value" in node or node.get("function_type") == "lambda"):
            found.append(f"{path}: function")  # a function serialised as its bytecode (a lambda activation)
            return
        if isinstance(node.get("class_name"), str) and node["class_name"] in DATA_TAGS:
            return
        if "class_name" in node:
            cls, module = node.get("class_name"), node.get("module")
            label = f"{cls}" if isinstance(cls, str) else "?"
            if not isinstance(cls, str) or cls in CODE_CLASSES:
                found.append(f"{path}: {label}")
            elif not isinstance(module, str) or not (module == "keras" or module.startswith("keras.")):
                found.append(f"{path}: {label} ({module})")
            elif node.get("registered_name") not in (None, cls):
                found.append(f"{path}: {label} ({node.get('registered_name')})")
            path = f"{path}/{label}" if isinstance(cls, str) else path
        for value in node.values():
            walk(value, path)

    walk(config, where)
    return found


def _state(obs, name: str, timeout: float) -> dict[str, Any]:
    """The student's model as plain data (config text, weights, what the runner saw), once per submission."""
    def export() -> dict[str, Any]:
        got = obs.run(model_probe.export, name, timeout=timeout)
        return got if isinstance(got, dict) else {}

    return obs.memo(("export", name), export)


def rebuildable(state: dict[str, Any]) -> tuple[Any, list[np.ndarray], list[str]]:
    """(config, weights, why not): the config and weights when trusted code can rebuild the model from
    them, else the reasons it cannot (then `config` and `weights` are None and [])."""
    chunks = state.get("config")
    if not isinstance(chunks, list) or not all(isinstance(c, str) for c in chunks):
        return None, [], [f"config: {str(state.get('config_error') or '?')[:200]}"]
    text = "".join(chunks)
    if len(text) > MAX_CONFIG_CHARS:
        return None, [], [f"config: {len(text)} > {MAX_CONFIG_CHARS}"]
    try:
        config = json.loads(text)
    except (ValueError, RecursionError):
        return None, [], ["config: JSON"]
    weights = state.get("weights")
    if not isinstance(weights, list) or not all(isinstance(w, np.ndarray) for w in weights):
        return None, [], [f"weights: {str(state.get('weights_error') or '?')[:200]}"]
    problems = foreign_parts(config)
    return (None, [], problems) if problems else (config, weights, [])


def predict(obs, name: str, images: np.ndarray, *, batch: int = 500, timeout: float = 120) -> np.ndarray:
    """Predictions of the student's model `name` on `images`, from its config and weights in the clean
    room; where student code is on its prediction path, from its own `predict` (recorded in
    `obs.student_code[name]`, which the verdict says and the leaderboard reads)."""
    state = _state(obs, name, timeout)
    config, weights, problems = rebuildable(state)
    problems = [inert(p) for p in problems]
    seen = [inert(x) for x in state.get("student_code") or [] if isinstance(x, str)][:10]
    if not problems:
        obs.ignored_code[name] = seen  # a `predict` set on the object, say: not used, and said so
        text = json.dumps(config)
        chunks = [text[i:i + 10_000] for i in range(0, len(text), 10_000)]
        try:
            return as_array(obs.clean_room().run(rebuild.predict, chunks, weights, images, batch=batch,
                                                 timeout=timeout), f"`{name}.predict(...)`")
        except CheckFailed as e:
            if e.status is Status.ERROR:  # weights that do not fit the architecture they came with
                raise CheckFailed(Message(f"`{name}` n'a pas pu être reconstruit à partir de son architecture et "
                                          "de ses poids.",
                                          f"`{name}` could not be rebuilt from its architecture and weights."),
                                  Status.ERROR, e.details) from e
            raise
    obs.student_code[name] = problems or seen
    return as_array(obs.run(predictions.predict, name, images, batch=batch, timeout=timeout),
                    f"`{name}.predict(...)`")


def inert(text: str) -> str:
    """A fragment the student controls (a class name, an exception's text), cut to characters that
    cannot be markup in any report (HTML, Gradescope's markdown, PrairieLearn)."""
    return re.sub(r"[^\w.:/() -]", "?", str(text))[:120]


def words(obs, name: str) -> Message | None:
    """What the report says about how `name`'s held-out predictions were made (None: nothing to say)."""
    if name in obs.student_code:
        parts = ", ".join(obs.student_code[name][:4])
        return Message(f" Évalué avec le code de l'étudiant ({parts}) : prédictions de son propre `predict`.",
                       f" Evaluated with the student's code ({parts}): predictions of its own `predict`.")
    if obs.ignored_code.get(name):
        parts = ", ".join(obs.ignored_code[name][:4])
        return Message(f" Prédictions calculées à partir de l'architecture et des poids ; ignoré : {parts}.",
                       f" Predictions computed from the architecture and weights; ignored: {parts}.")
    return None
