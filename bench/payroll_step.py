"""One `himaya` command as a whole process, with the CPU seconds of the PostgreSQL server processes
that served it written down (from /proc, so only for a server on this machine).

    .venv/bin/python bench/payroll_step.py SERVER.json payroll run --period 2026-01

`bench/payroll.py` runs each payroll step through it on PostgreSQL: on a machine shared with other
work, the CPU seconds vary much less than the wall seconds, and the server's are half the work.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.pool import Pool

SERVER: dict[int, float] = {}  # backend process id -> its CPU seconds, last read


def _read(pid: int) -> None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return  # ended (or on another machine): its last reading stays
    SERVER[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _backend(dbapi_connection: Any) -> int | None:
    if type(dbapi_connection).__module__.startswith("psycopg"):
        return int(dbapi_connection.info.backend_pid)
    return None


@event.listens_for(Pool, "checkin")
def _returned(dbapi_connection: Any, _: Any) -> None:
    if dbapi_connection is not None and (pid := _backend(dbapi_connection)) is not None:
        _read(pid)


@event.listens_for(Pool, "close")
def _closing(dbapi_connection: Any, _: Any) -> None:
    if (pid := _backend(dbapi_connection)) is not None:
        _read(pid)


@event.listens_for(Pool, "connect")
def _opened(dbapi_connection: Any, _: Any) -> None:
    if (pid := _backend(dbapi_connection)) is not None:
        _read(pid)


if __name__ == "__main__":
    output = Path(sys.argv[1])
    sys.argv = [sys.argv[0], *sys.argv[2:]]
    from himaya.cli.main import main

    try:
        main()
    finally:
        for pid in list(SERVER):
            _read(pid)
        output.write_text(json.dumps({"server_cpu": round(sum(SERVER.values()), 2), "backends": len(SERVER)}))
