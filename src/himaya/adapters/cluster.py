"""Dask distributed: the cluster a command's partitions run on (docs/scale.md).

Either a running scheduler (`--scheduler tcp://host:8786`, or HIMAYA_DASK_SCHEDULER), whose
workers run on as many machines as were started, or a local cluster of worker processes started
for the command and stopped after it, sized to this machine (or to `--workers N`).
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import psutil

from himaya.core.errors import HimayaError, UsageError

CONNECT_SECONDS = 10  # how long a scheduler may take to answer before the command gives up
# Bytes of memory a person's row takes while the rules run on one table: 2.4 GB at peak for 5 million
# (bench/scale.py), rounded up for tables with more columns than the rules read.
BYTES_PER_PERSON = 600

T = TypeVar("T")
R = TypeVar("R")


class ClusterError(HimayaError):
    """The cluster failed a partition for a reason of its own (a worker lost, out of memory)."""


def local_workers(requested: int | None, partitions: int) -> int:
    """Workers of a local cluster: as asked, else one a core, never more than there are partitions."""
    if requested is not None:
        return requested
    return max(1, min(os.cpu_count() or 1, partitions))


def larger_than_memory(persons: int) -> bool:
    """Whether a table of this many persons is better split over workers than held by one process:
    its working size passes half of the memory available now."""
    available: int = psutil.virtual_memory().available
    return persons * BYTES_PER_PERSON > available // 2


@contextmanager
def client(address: str | None, workers: int) -> Iterator[Any]:
    """A Dask client: on the scheduler at `address`, else on a local cluster of `workers` processes
    (one thread each; the rules' own library shares the cores among them)."""
    from distributed import Client, LocalCluster  # noqa: PLC0415  (only a command on a cluster needs it)

    if address is not None:
        try:
            connected = Client(address, timeout=f"{CONNECT_SECONDS}s", set_as_default=False)  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError, ValueError) as error:
            raise UsageError(
                f"the Dask scheduler at {address} does not answer ({error}): start it (`dask scheduler`) and "
                "its workers (`dask worker ADDRESS`), or leave out --scheduler and HIMAYA_DASK_SCHEDULER "
                "to run on this machine"
            ) from None
        with connected:
            try:
                connected.wait_for_workers(1, timeout=CONNECT_SECONDS * 6)
            except TimeoutError:
                raise UsageError(
                    f"the Dask scheduler at {address} has no worker after {CONNECT_SECONDS * 6} s: "
                    f"start some (`dask worker {address}`)"
                ) from None
            yield connected
        return
    threads = str(max(1, (os.cpu_count() or 1) // workers))
    with warnings.catch_warnings():  # "port 8787 in use": the scheduler's HTTP port, then taken at random
        warnings.filterwarnings("ignore", "Port .* is already in use", UserWarning)
        local = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
            env={"POLARS_MAX_THREADS": threads},
        )
    with local, Client(local, set_as_default=False) as connected:  # type: ignore[no-untyped-call]
        yield connected


def run_all(connected: Any, work: Callable[[T], R], items: Sequence[T], names: Sequence[str]) -> list[R]:
    """`work` on every item, spread over the cluster's workers; the results in the items' order.

    Every task is waited for, even after one fails, so that none is still writing when the caller
    cleans up; the first failure (in the items' order) is then raised: a Himaya error as it was
    raised on the worker, anything else as a ClusterError naming the partition."""
    futures = connected.map(work, items, pure=False, retries=0)
    connected.gather(futures, errors="skip")  # waits for every task, failed or not
    for future, name in zip(futures, names, strict=True):
        if future.status == "error":
            error = future.exception()
            if isinstance(error, HimayaError):
                raise error
            raise ClusterError(f"{name}: failed on the cluster: {type(error).__name__}: {error}")
        if future.status != "finished":
            raise ClusterError(f"{name}: not computed on the cluster ({future.status})")
    return [future.result() for future in futures]
