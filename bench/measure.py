"""Run one command as a child process and read its wall time, CPU time and peak memory from the kernel."""

from __future__ import annotations

import os
import time
from typing import NamedTuple


class Measurement(NamedTuple):
    wall: float  # seconds
    cpu: float  # seconds of user and system time, the command's own and its children's
    gigabytes: float  # peak resident memory of the command or of one of its children


def measure(command: list[str]) -> Measurement:
    """Wall and CPU seconds and peak RSS (GB) of `command`; raises SystemExit if it fails.

    On a machine shared with other work the wall time varies with the load; the CPU time much less."""
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child runs the command alone, so its own peak RSS is what we read
        os.execv(command[0], command)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(command)} failed with status {code}")
    return Measurement(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024 / 1024)


def run_measured(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (GB) of `command`; raises SystemExit if it fails."""
    wall, _, gigabytes = measure(command)
    return wall, gigabytes
