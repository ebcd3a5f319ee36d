"""Crash points: where a test may kill the process, to prove that running again resumes.

`checkpoint("payroll.export:file")` ends the process on the spot (no clean-up, no commit, like a
kill -9) when HIMAYA_CRASH_AT names that point. In normal use the variable is unset and a
checkpoint costs one dictionary lookup.
"""

from __future__ import annotations

import os

CRASH_VARIABLE = "HIMAYA_CRASH_AT"
KILLED = 137  # the exit status of a process killed by SIGKILL


def checkpoint(name: str) -> None:
    if os.environ.get(CRASH_VARIABLE) == name:
        os._exit(KILLED)
