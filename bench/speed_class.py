"""The benchmark's classes: tp-tenseurs submissions whose every score is known from construction.

Each submission is seven code cells (imports, then one cell per question q1..q6, the cells of the
student notebook), so the same student code can be dressed as our notebook, nbgrader's released
notebook or otter's, and run by plain `python`. Correct ones differ in real code (TensorFlow,
numpy, mixed; different functions and spellings); each wrong one costs exactly one question.
The MNIST-dense class is built from the reference and mutants, one question lost each.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path

from grader.notebooks import reference_path, render, split_cells, student_notebook

POINTS = {"q1": 3, "q2": 4, "q3": 3, "q4": 4, "q5": 3, "q6": 3}
QUESTIONS = tuple(POINTS)
LOOP = "while True:\n    pass"


@dataclass(frozen=True)
class Spec:
    """One student: the code of each cell and the questions their code must lose."""

    name: str
    cells: tuple[str, ...]  # imports, q1, ..., q6
    kind: str  # correct | shape | raises | loop
    loses: tuple[str, ...] = ()
    expected: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.expected.values())

    def script(self) -> str:
        """The code cells as one Python file (what plain `python` runs)."""
        return "\n\n# %%\n".join(self.cells) + "\n"


def _spec(name: str, cells: list[str], kind: str, loses: tuple[str, ...] = ()) -> Spec:
    expected = {q: 0.0 if q in loses else float(p) for q, p in POINTS.items()}
    return Spec(name, tuple(cells), kind, loses, expected)


# -- correct answers: options per question, combined so that no two students write the same code ------
TF_Q1 = [
    "batch = tf.random.uniform((10, 28, 28), minval=0.0, maxval=1.0, seed=42)\nprint(batch.shape, batch.dtype)",
    "batch = tf.random.stateless_uniform([10, 28, 28], seed=[1, 2])",
    "tf.random.set_seed(0)\npixels = tf.random.uniform((10, 28, 28), maxval=256, dtype=tf.int32)\n"
    "batch = tf.cast(pixels, tf.float32) / 255.0",
    "batch = tf.sigmoid(tf.random.normal((10, 28, 28), seed=3))",
    "gen = tf.random.Generator.from_seed(5)\nbatch = gen.uniform(shape=(10, 28, 28))\nprint(batch.dtype)",
]
TF_Q2 = [
    "mean = tf.reduce_mean(batch)\nstd = tf.math.reduce_std(batch)\nnormalized = (batch - mean) / std",
    "m, v = tf.nn.moments(batch, axes=[0, 1, 2])\nnormalized = (batch - m) / tf.sqrt(v)",
    "normalized = tf.math.divide(tf.subtract(batch, tf.reduce_mean(batch)), tf.math.reduce_std(batch))\n"
    "print(float(tf.reduce_mean(normalized)), float(tf.math.reduce_std(normalized)))",
    "values = tf.reshape(batch, [-1])\nmu = tf.reduce_mean(values)\n"
    "sigma = tf.sqrt(tf.reduce_mean(tf.square(values - mu)))\nnormalized = (batch - mu) / sigma",
]
TF_Q3 = [
    "first_five = batch[:5]",
    "first_five = tf.slice(batch, [0, 0, 0], [5, 28, 28])",
    "first_five = tf.gather(batch, tf.range(5))",
    "first_five, _rest = tf.split(batch, [5, 5], axis=0)",
]
TF_Q4 = [
    "centered = batch - tf.reduce_mean(batch, axis=0)",
    "mean_image = tf.reduce_mean(batch, axis=0, keepdims=True)\ncentered = batch - mean_image",
    "centered = tf.subtract(batch, tf.reduce_sum(batch, axis=0) / batch.shape[0])",
]
TF_Q5 = [
    "flat = tf.reshape(batch, (batch.shape[0], -1))",
    "flat = tf.reshape(batch, [10, 784])\nprint(flat.shape)",
    "flat = tf.stack([tf.reshape(image, [-1]) for image in tf.unstack(batch)])",
    "flat = tf.reshape(batch, (-1, 28 * 28))",
]
TF_Q6 = [
    "def tensor_stats(t):\n    t = tf.convert_to_tensor(t, dtype=tf.float32)\n"
    "    return (float(tf.reduce_min(t)), float(tf.reduce_max(t)), float(tf.reduce_mean(t)),\n"
    "            float(tf.math.reduce_std(t)))\n\n\nprint(tensor_stats(batch))",
    "def tensor_stats(t):\n    t = tf.cast(tf.reshape(t, [-1]), tf.float64)\n"
    "    return tuple(float(f(t)) for f in (tf.reduce_min, tf.reduce_max, tf.reduce_mean, tf.math.reduce_std))",
    "def tensor_stats(t):\n    a = np.asarray(t, dtype=np.float64)\n    return a.min(), a.max(), a.mean(), a.std()",
    "def tensor_stats(t):\n    t = tf.convert_to_tensor(t, tf.float32)\n    mean, var = tf.nn.moments(tf.reshape(t, [-1]), axes=[0])\n"
    "    return float(tf.reduce_min(t)), float(tf.reduce_max(t)), float(mean), float(tf.sqrt(var))",
]
NP_STUDENTS = [
    ["import numpy as np",
     "rng = np.random.default_rng(7)\nbatch = rng.random((10, 28, 28), dtype=np.float32)",
     "normalized = (batch - batch.mean()) / batch.std()",
     "first_five = batch[0:5, :, :]",
     "centered = batch - batch.mean(axis=0, keepdims=True)",
     "flat = batch.reshape(len(batch), 28 * 28)",
     "def tensor_stats(t):\n    a = np.asarray(t, dtype=np.float64).ravel()\n"
     "    return a.min(), a.max(), a.mean(), np.sqrt(((a - a.mean()) ** 2).mean())"],
    ["import numpy as np",
     "np.random.seed(1)\nbatch = np.random.rand(10, 28, 28).astype('float32')\nprint(batch.shape)",
     "normalized = (batch - np.mean(batch)) / np.std(batch)",
     "first_five = batch[np.arange(5)]",
     "centered = batch - np.mean(batch, axis=0)",
     "flat = np.reshape(batch, (batch.shape[0], -1), order='C')",
     "def tensor_stats(t):\n    a = np.array(t, dtype=float)\n"
     "    return float(np.min(a)), float(np.max(a)), float(np.mean(a)), float(np.std(a))"],
    ["import numpy as np\nimport math",
     "x = np.linspace(0, 1, 10 * 28 * 28, dtype=np.float32)\nbatch = (np.sin(x * 1234.5) ** 2).reshape(10, 28, 28)",
     "mu = batch.sum() / batch.size\nsd = math.sqrt(((batch - mu) ** 2).sum() / batch.size)\n"
     "normalized = (batch - mu) / sd",
     "first_five = np.array([batch[i] for i in range(5)])",
     "centered = np.stack([image - batch.mean(axis=0) for image in batch])",
     "flat = np.array([image.flatten() for image in batch])",
     "def tensor_stats(t):\n    values = [float(v) for v in np.asarray(t).flat]\n    n = len(values)\n"
     "    mean = sum(values) / n\n    std = math.sqrt(sum((v - mean) ** 2 for v in values) / n)\n"
     "    return min(values), max(values), mean, std"],
]
MIXED_STUDENT = [
    "import numpy as np\nimport tensorflow as tf",
    "batch = tf.random.uniform((10, 28, 28), seed=11).numpy()",
    "normalized = (batch - np.mean(batch)) / np.std(batch)",
    "first_five = tf.constant(batch)[:5]",
    "centered = batch - np.mean(batch, 0)",
    "flat = tf.keras.layers.Flatten()(tf.constant(batch))",
    "def tensor_stats(t):\n    a = tf.reshape(tf.cast(t, tf.float32), [-1]).numpy()\n"
    "    return (a.min().item(), a.max().item(), a.mean().item(), a.std().item())",
]


def correct_cells(i: int) -> list[str]:
    """The i-th correct student (0 <= i < 14): ten TensorFlow ones, three numpy, one mixed."""
    if i < 10:
        q6 = TF_Q6[(i + 3) % 4]
        imports = "import numpy as np\nimport tensorflow as tf" if i % 2 == 0 or "np." in q6 else "import tensorflow as tf"
        return [imports, TF_Q1[i % 5], TF_Q2[i % 4], TF_Q3[(i + 1) % 4], TF_Q4[i % 3], TF_Q5[(i + 2) % 4], q6]
    if i < 13:
        return list(NP_STUDENTS[i - 10])
    return list(MIXED_STUDENT)


BASE = correct_cells(0)


def tenseurs_class(quick: bool = False) -> list[Spec]:
    """20 students: 14 correct, 3 wrong shapes, 2 raising, 1 infinite loop (quick: 6 of them)."""
    out = [_spec(f"s{i + 1:02d}_correct", correct_cells(i), "correct") for i in range(14)]
    shapes = [("q3", "first_five = batch[:, :5]"), ("q4", "centered = tf.reduce_mean(batch, axis=0)"),
              ("q5", "flat = tf.reshape(batch, [-1])")]
    for n, (q, code) in enumerate(shapes):
        cells = list(BASE)
        cells[1 + QUESTIONS.index(q)] = code
        out.append(_spec(f"s{15 + n}_shape_{q}", cells, "shape", (q,)))
    raising = list(BASE)
    raising[2] = "normalized = (batch - tf.reduce_mean(batch)) / tf.math.reduce_std(batch, axis=3)"  # no axis 3
    out.append(_spec("s18_raises_q2", raising, "raises", ("q2",)))
    raising = list(BASE)
    raising[6] = ("def tensor_stats(t):\n    return t.min(), t.max(), t.mean(), t.std()  # a tensor has no .min\n\n\n"
                  "print(tensor_stats(batch))")
    out.append(_spec("s19_raises_q6", raising, "raises", ("q6",)))
    looping = list(BASE)
    looping[4] = f"{LOOP}\ncentered = batch - tf.reduce_mean(batch, axis=0)"  # never reaches `centered`
    out.append(_spec("s20_loop_q4", looping, "loop", ("q4",)))
    if quick:
        keep = {"s01_correct", "s02_correct", "s11_correct", "s15_shape_q3", "s18_raises_q2", "s20_loop_q4"}
        out = [s for s in out if s.name in keep]
    return out


def our_notebook(spec: Spec) -> str:
    """The student notebook of tp-tenseurs with this student's code in its seven code cells."""
    nb = copy.deepcopy(student_notebook("tp-tenseurs"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    for cell, src in zip(code, spec.cells, strict=True):
        cell["source"] = src.splitlines(keepends=True)
    return render(nb)


def write_ours(specs: list[Spec], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for spec in specs:
        (folder / f"{spec.name}.ipynb").write_text(our_notebook(spec), encoding="utf-8")
    return folder


# -- the same properties as our checks, as assert-based tests (nbgrader's test cells, otter's tests) --
TESTS: dict[str, tuple[str, str]] = {  # question -> (public part, hidden part)
    "q1": ("import numpy as _np\n_b = _np.asarray(batch)\nassert _b.shape == (10, 28, 28)\n"
           "assert _np.issubdtype(_b.dtype, _np.floating)",
           "assert _b.min() >= 0 and _b.max() <= 1\nassert _b.std() > 1e-6"),
    "q2": ("import numpy as _np\n_b = _np.asarray(batch, dtype=_np.float64)\n_n = _np.asarray(normalized)\n"
           "assert _n.shape == _b.shape",
           "assert _np.allclose(_n, (_b - _b.mean()) / _b.std(), rtol=1e-3, atol=2e-3)"),
    "q3": ("import numpy as _np\n_b = _np.asarray(batch, dtype=_np.float64)\n_f = _np.asarray(first_five)\n"
           "assert _f.shape == (5, 28, 28)",
           "assert _np.allclose(_f, _b[:5], rtol=1e-6, atol=1e-6)"),
    "q4": ("import numpy as _np\n_b = _np.asarray(batch, dtype=_np.float64)\n_c = _np.asarray(centered)\n"
           "assert _c.shape == _b.shape",
           "assert _np.allclose(_c, _b - _b.mean(axis=0), rtol=1e-4, atol=1e-5)"),
    "q5": ("import numpy as _np\n_b = _np.asarray(batch, dtype=_np.float64)\n_f = _np.asarray(flat)\n"
           "assert _f.shape == (10, 784)",
           "assert _np.allclose(_f, _b.reshape(10, -1), rtol=1e-6, atol=1e-6)"),
    "q6": ("import numpy as _np\nimport tensorflow as _tf\n_rng = _np.random.default_rng(0)",
           "for _shape in [(7,), (3, 4, 5), (2, 1, 6, 2), (1,), (4, 4)]:\n"
           "    _t = (_rng.normal(size=_shape) * _rng.uniform(0.5, 4) + _rng.uniform(-3, 3)).astype(_np.float32)\n"
           "    _out = [float(v) for v in tensor_stats(_tf.constant(_t))]\n"
           "    _t64 = _t.astype(_np.float64)\n"
           "    assert _np.allclose(_out, [_t64.min(), _t64.max(), _t64.mean(), _t64.std()], rtol=1e-4, atol=1e-4)"),
}


# -- tp-mnist-dense ------------------------------------------------------------------------------------
FIT = "history = model.fit(x_train, y_train, epochs=5, validation_data=(x_test, y_test))"
COMPILE = 'model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])'
MNIST_POINTS = {"q1": 3, "q2": 4, "q3": 3, "q4": 3, "q5": 5, "q6": 2}
MNIST_VARIANTS: dict[str, tuple[tuple[str, str], ...]] = {
    "correct": (),
    "correct_adam_object": ((COMPILE, 'model.compile(optimizer=keras.optimizers.Adam(), '
                                      'loss="sparse_categorical_crossentropy", metrics=["accuracy"])'),),
    "correct_add": (('    return keras.Sequential([\n        keras.Input(shape=(28, 28)),\n        layers.Flatten(),\n'
                     '        layers.Dense(128, activation="relu"),\n        layers.Dense(10, activation="softmax"),\n'
                     '    ])',
                     '    m = keras.Sequential()\n    m.add(keras.Input(shape=(28, 28)))\n    m.add(layers.Flatten())\n'
                     '    m.add(layers.Dense(128, activation="relu"))\n    m.add(layers.Dense(10, activation="softmax"))\n'
                     '    return m'),),
    "correct_count": (("n_params = (28 * 28 * 128 + 128) + (128 * 10 + 10)", "n_params = 101770"),),
    "q1_unscaled": (('x_train = x_train.astype("float32") / 255.0\nx_test = x_test.astype("float32") / 255.0',
                     'x_train = x_train.astype("float32")\nx_test = x_test.astype("float32")'),),
    "q2_dense64": (('layers.Dense(128, activation="relu")', 'layers.Dense(64, activation="relu")'),),
    "q4_no_validation": ((FIT, "history = model.fit(x_train, y_train, epochs=5)"),),
    "q5_shuffled_labels": ((FIT, FIT.replace("(x_train, y_train,",
                                             "(x_train, np.random.default_rng(0).permutation(y_train),")),),
    "q6_no_bias": (("n_params = (28 * 28 * 128 + 128) + (128 * 10 + 10)", "n_params = 28 * 28 * 128 + 128 * 10"),),
}


def mnist_class(n: int, folder: Path) -> dict[str, str]:
    """Write `n` tp-mnist-dense notebooks cycling over the variants; returns the question each one
    must lose ("" for a correct one): below full marks there, full marks on every other question.

    A mutant loses its question only (q1_unscaled still trains to the threshold under the CPU
    budget: its held-out images are sent unscaled by the same judge, so it keeps q5 — the tests say so)."""
    folder.mkdir(parents=True, exist_ok=True)
    ref = reference_path("tp-mnist-dense").read_text(encoding="utf-8")
    names = list(MNIST_VARIANTS)
    expected = {}
    for i in range(n):
        variant = names[i % len(names)]
        text = ref
        for old, new in MNIST_VARIANTS[variant]:
            assert text.count(old) == 1, (variant, old)
            text = text.replace(old, new)
        nb = student_notebook("tp-mnist-dense")  # its metadata; the cells: the student's filled-in ones
        nb["cells"] = [{"cell_type": kind, "id": f"c{j}", "metadata": {}, "source": src,
                        **({"execution_count": None, "outputs": []} if kind == "code" else {})}
                       for j, (kind, src) in enumerate(split_cells(text))]
        name = f"m{i:03d}_{variant}"
        (folder / f"{name}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
        lost = variant.split("_")[0]
        expected[name] = lost if lost in MNIST_POINTS else ""
    return expected
