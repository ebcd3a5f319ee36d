"""Run one query on an SQLite file with ADBC and write its rows to stdout as an Arrow IPC stream.

    python -m himaya.db.arrow_reader DATABASE BATCH_ROWS < query.sql

Run as a process of its own by `frames`: ADBC's driver carries its own copy of SQLite, and two
copies of SQLite in one process do not see each other's POSIX locks (closing one's file
descriptor drops the other's locks), which can corrupt a database. In a process of its own it is
one more reader, as safe as any other.
"""

from __future__ import annotations

import sys
from urllib.parse import quote

import adbc_driver_sqlite.dbapi
import pyarrow as pa


def main(database: str, batch_rows: int, sql: str) -> None:
    # Read-only: this process never writes, and SQLite holds it to that.
    uri = f"file:{quote(database)}?mode=ro"
    with adbc_driver_sqlite.dbapi.connect(uri) as connection, connection.cursor() as cursor:
        cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(batch_rows)})
        cursor.execute(sql)
        reader = cursor.fetch_record_batch()
        with pa.ipc.new_stream(sys.stdout.buffer, reader.schema) as stream:
            for batch in reader:
                stream.write_batch(batch)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.stdin.read())
