"""MNIST, Fashion-MNIST and CIFAR-10 on machines without network, one concept a module.

- `catalogue`: names, titles, files, Keras' origins (constants, written once);
- `files`: reading and cutting the files (the one module the runner imports, with the catalogue's
  titles);
- `lookup`: where a copy is on this machine, loading it for the judge, what to do when none is;
- `serving`: what a runner's `load_data()` is served under a budget;
- `importing`: `grader data import` (local files or Keras' origins; the only network code);
- `synthetic`: the generated stand-in for CIFAR-10 (tests, CI).

Nothing is imported here, so the runner pays only for the module it reads.
"""
