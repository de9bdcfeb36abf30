"""Where trials run: a Dask client on a local cluster of worker processes, or on a scheduler
somewhere else (``dask scheduler`` / ``dask worker``, docs/sweeps.md).
"""

from __future__ import annotations

import logging
import os
import signal
from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from .errors import SweepError
from .trial import TrialContext, check_worker

if TYPE_CHECKING:
    from distributed import Client

CONNECT_TIMEOUT_S = 10


def local_cores() -> int:
    """The cores this process may use (a container's CPU affinity, not the host's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@contextmanager
def dask_client(scheduler: "str | Client | None", workers: int | None = None) -> Iterator["Client"]:
    """A connected client, closed (with its local cluster) on the way out, however that happens.

    ``scheduler`` None starts a ``LocalCluster`` of ``workers`` processes (default: one per core)
    with one thread each (HTM steps are single-threaded numpy; processes dodge the GIL) and its
    HTTP server on a free port (two sweeps at once must not fight over 8787), its workers' logs
    silenced (heartbeat errors while it shuts down are noise; trial errors come back as results); a string
    is a scheduler address; a Client is used as it is and left open.
    """
    from distributed import Client, LocalCluster  # noqa: PLC0415 - dask loads only for sweeps

    if scheduler is not None and not isinstance(scheduler, str):
        yield scheduler
        return
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers or local_cores(), threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=logging.CRITICAL, preload=[__name__])
        try:
            client = Client(cluster)
        except BaseException:
            cluster.close()
            raise
    else:
        try:
            client = Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise SweepError(f"cannot reach the Dask scheduler at {scheduler} ({exc}); start one with "
                             f"`dask scheduler` and give its address (docs/sweeps.md)") from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def dask_setup(worker: object) -> None:
    """Preloaded into local workers: Ctrl-C in a terminal reaches every process of the group, but
    only the sweep that owns the cluster should act on it (it closes the workers itself)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def check_workers(client: "Client", context: TrialContext) -> int:
    """Ask every connected worker whether it can run the experiment (same code, same plugin
    files); the number of workers, or :class:`SweepError` naming the first that cannot."""
    try:
        answers = client.run(check_worker, context)
    except Exception as exc:  # the worker could not even unpickle workbench code
        raise SweepError(f"the Dask workers cannot run workbench code ({type(exc).__name__}: {exc}); "
                         f"install the workbench and the plugin files on every worker (docs/sweeps.md)") from None
    for address, problem in sorted(answers.items()):
        if problem:
            raise SweepError(f"worker {address} cannot run {context.experiment}: {problem}")
    return len(answers)
