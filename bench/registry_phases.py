"""`himaya registry import` as a whole process, with the time of each of its steps written down.

    .venv/bin/python bench/registry_phases.py PHASES.json registry import FILE ...

Runs the real command line (`himaya.cli.main`), with the command's progress callback wrapped so
that each step's start is timed: reading and checking the file (until the first step), then each
step the import reports (keys, staging, people, names, families, each time-bound fact, indexes,
audit, commit, analyze). On PostgreSQL on this machine, it also reads the CPU seconds that the
server processes serving the import spent (from /proc; parallel workers not counted): on a machine
shared with other work, CPU seconds vary much less than wall seconds. `bench/registry.py` runs it
and prints the figures.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

STARTED = time.perf_counter()

from sqlalchemy import event  # noqa: E402
from sqlalchemy.pool import Pool  # noqa: E402

from himaya.bootstrap import store  # noqa: E402  (after the clock starts: imports are part of the process)
from himaya.cli.main import main  # noqa: E402

BACKENDS: list[int] = []


@event.listens_for(Pool, "connect")
def _backend(dbapi_connection: Any, _: Any) -> None:
    if type(dbapi_connection).__module__.startswith("psycopg"):
        BACKENDS.append(int(dbapi_connection.info.backend_pid))


def server_cpu() -> float | None:
    """CPU seconds of the server processes of this process's connections, if they run on this machine."""
    ticks = 0
    for pid in BACKENDS:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK") if BACKENDS else None


def timed(output: Path) -> None:
    real = store.import_people
    marks: list[tuple[str, float]] = [("read and check the file", STARTED)]

    def import_people(*args: Any, progress: Any = None, **kwargs: Any) -> Any:
        def tell(step: str, rows: int) -> None:
            if marks[-1][0] != step:
                marks.append((step, time.perf_counter()))
            if progress is not None:
                progress(step, rows)

        try:
            return real(*args, progress=tell, **kwargs)
        finally:
            marks.append(("end", time.perf_counter()))
            steps = [(name, round(end - start, 3)) for (name, start), (_, end) in itertools.pairwise(marks)]
            output.write_text(json.dumps({"steps": steps, "server_cpu": server_cpu()}))

    store.import_people = import_people  # type: ignore[assignment]


if __name__ == "__main__":
    timed(Path(sys.argv[1]))
    sys.argv = [sys.argv[0], *sys.argv[2:]]
    main()
