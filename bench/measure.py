"""Run one command as a child process and read its wall time and peak memory from the kernel."""

from __future__ import annotations

import os
import time


def run_measured(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (GB) of `command`; raises SystemExit if it fails."""
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child runs the command alone, so its own peak RSS is what we read
        os.execv(command[0], command)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(command)} failed with status {code}")
    return elapsed, usage.ru_maxrss / 1024 / 1024
