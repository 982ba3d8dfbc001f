"""What a runner's `load_data()` is served: the grader's copies, cut to the budget's sizes.

The judge plans it (`serve`); the runner reads the files (`grader.data.files`), and the rest of
each test set stays with the judge as held-out images.
"""

from __future__ import annotations

from grader.data.catalogue import NAMES
from grader.data.lookup import locate


def serve(names: list[str] | tuple[str, ...], *, train: int | None = None,
          test: int | None = None) -> dict[str, dict]:
    """What the runner's `load_data()` reads: {dataset: {"path", "train", "test", "synthetic"}}.

    `path` is what Keras' own `get_file` would return for `mnist` (the `.npz` file) and
    `fashion_mnist` (the folder of the four `.gz`). For `cifar10` it is the `cifar-10-batches-py`
    folder or an npz in Keras' layout, read by the runner's own `load_data` (Keras' reader wants
    exactly 5 x 10 000 images, so could serve no subset). `synthetic: True` marks generated images.
    For `names` (the assignment's datasets) under a budget, `train` and `test` say how many leading
    examples the runner serves (`subset_files` writes them there), so the rest of the test set
    stays with the judge as held-out images. Other datasets found on the machine are served whole.
    """
    served: dict[str, dict] = {}
    for name in NAMES:
        source = locate(name)
        if source is None:
            continue
        entry: dict = {"path": str(source.path)}
        if source.synthetic:
            entry["synthetic"] = True
        if name in names:
            entry.update({k: int(v) for k, v in (("train", train), ("test", test)) if v})
        served[name] = entry
    return served
