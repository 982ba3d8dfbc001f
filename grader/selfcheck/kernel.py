"""The checks' observer inside the student's own kernel: the grader's observations, in one process.

A check asks `obs.value("batch")`, `obs.call("f", AsTensor(x))`, `obs.run(probe, ...)`: under the
grader, the judge encodes the request, the runner (`grader.runner.worker.Worker.observe`) answers it
on the student's namespace, and the judge decodes plain data. Here the same three steps run in the
kernel: `KernelSession.observe` encodes with the judge's `Encoder`, the runner's own
`Worker.observe` answers on the kernel's namespace (IPython's `user_ns`, else `__main__`), and the
judge's `Decoder` reads the answer back, arrays through a private temporary folder. So a check sees
exactly what it would see under the grader: tensors as numpy arrays (as `AsTensor` with
`tensors=True`), objects without a plain form as `Opaque`, its `AsTensor` inputs as `tf.constant`;
the student's errors become the same statuses and messages (`KernelObserver` is the judge's
`Observer`, whose `_as_failure` reads `ObservationError` as under the grader).

What differs, said to the student by `grader.selfcheck.render`: nothing is sandboxed (it is the
student's own process and only tells them), and the clean room is a fresh empty namespace in this
same process rather than a separate trusted runner.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from grader.judge.observe import Observer
from grader.model import Message, Status, as_message
from grader.runner.exchange import Exchange
from grader.runner.protocol import Encoder
from grader.runner.session import ObservationError, reply_error, reply_value, request_message
from grader.runner.worker import Worker

#: a call's time limit when the TP sets none (`[limits] call_timeout`), as `grader.runner.session.Limits`
DEFAULT_CALL_TIMEOUT = 30.0


def kernel_namespace() -> dict:
    """The namespace the student's cells run in: IPython's `user_ns` in a kernel, else `__main__`'s."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None and isinstance(getattr(shell, "user_ns", None), dict):
        return shell.user_ns
    return sys.modules["__main__"].__dict__


class KernelWorker(Worker):
    """The runner's request handler (`Worker.observe`, `Worker.decode`) over a namespace of this process.

    `Worker.__init__` is not called: it builds the runner's own IPython shell (shell escapes refused,
    tracebacks muted), which inside a kernel would be the student's shell itself."""

    def __init__(self, namespace: dict, exchange: Path, workdir: str):  # noqa: D107 - see the class
        self.exchange = exchange
        self.box = Exchange(exchange)
        self.workdir = workdir
        self.shell = SimpleNamespace(user_ns=namespace)
        self.notes = []
        self.calls = 0
        self._shipped = {}

    def probe_function(self, module: str, function: str, source: str | None) -> Any:
        """The judge's runner-side function: here the judge is this process, so a module the checks
        already imported (the bundle's own `probes.py`) is used as it is, never rebuilt from its source
        under the same name (which would replace the module the checks hold)."""
        loaded = sys.modules.get(module)
        fn = getattr(loaded, function, None) if loaded is not None else None
        if callable(fn):
            return fn
        return super().probe_function(module, function, source)


class KernelSession:
    """`RunnerSession.observe`'s contract (plain value and reply, or `ObservationError`), answered in
    this process by a `KernelWorker` on `namespace`."""

    def __init__(self, namespace: dict, call_timeout: float = DEFAULT_CALL_TIMEOUT):
        self.namespace = namespace
        self.call_timeout = float(call_timeout or DEFAULT_CALL_TIMEOUT)
        self.folder = Path(tempfile.mkdtemp(prefix="grader-selfcheck-"))
        self.worker = KernelWorker(namespace, self.folder, os.getcwd() + os.sep)
        self.box = self.worker.box  # one folder: the judge's inputs and the runner's answers, as under the grader
        self.requests = 0

    def observe(self, op: str, *, name: str = "", args: tuple = (), kwargs: dict | None = None,
                code: str = "", inputs: dict | None = None, timeout: float | None = None,
                spy: tuple[str, ...] = (), module: str = "", function: str = "",
                source: str | None = None, tensors: bool = False) -> tuple[Any, dict]:
        """Ask; return (plain value, reply). Raises ObservationError."""
        if threading.current_thread() is not threading.main_thread():  # the time limit is a SIGALRM
            raise ObservationError(Status.GRADER_ERROR, Message(
                "l'auto-vérification se lance depuis le fil principal du noyau (une cellule), pas d'un autre fil",
                "a self-check runs from the kernel's main thread (a cell), not from another thread"))
        self.requests += 1
        limit = float(timeout or self.call_timeout)
        msg = request_message(op, Encoder(self.box, f"in-{self.requests}"), name=name, timeout=limit, args=args,
                              kwargs=kwargs, code=code, inputs=inputs, spy=spy, module=module, function=function,
                              source=source)
        before = signal.getsignal(signal.SIGALRM)
        try:
            reply = self.worker.observe(op, msg)
        finally:
            signal.signal(signal.SIGALRM, before)  # the student's kernel keeps its own handler
        try:
            if not reply.get("ok"):
                error = as_message(reply.get("error", ""))
                if reply.get("status") == "error" and isinstance(error, str) and \
                        error.rstrip().endswith("KeyboardInterrupt"):
                    raise KeyboardInterrupt  # the student stopped the kernel: the whole self-check stops
                raise reply_error(reply)
            return reply_value(reply, self.box, tensors=tensors), reply
        finally:
            for leftover in self.box.names("*-*.npy"):  # an error's array files too
                self.box.unlink(leftover)

    def close(self) -> None:
        self.box.close()
        shutil.rmtree(self.folder, ignore_errors=True)


class KernelObserver(Observer):
    """The judge's `Observer` on a `KernelSession`: every method a check calls, as under the grader."""

    session: KernelSession

    def __init__(self, session: KernelSession):
        super().__init__(session)  # type: ignore[arg-type] - RunnerSession's observe contract, in-process

    def clean_room(self) -> KernelObserver:
        """A fresh empty namespace in this process (the grader uses a second runner that never ran a
        student cell; in the student's own kernel there is none, and none is needed: it only tells them)."""
        if self._room is None:
            self._room = KernelObserver(KernelSession({}, self.session.call_timeout))
        return self._room  # type: ignore[return-value]

    def close(self) -> None:
        """Close the clean room and this observer's own session (a self-check owns both)."""
        super().close()
        self.session.close()
