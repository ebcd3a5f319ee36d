"""PostgreSQL's binary COPY format, written from Arrow columns without a Python object per value.

A binary COPY row is a field count (int16) then, per field, its length (int32, -1 for NULL) and
its bytes in the type's binary form: big-endian integers, a date as days since 2000-01-01, a
boolean as one byte, text as its UTF-8 bytes. Each column becomes an Arrow binary array of its
fields (length and bytes, vectorised with NumPy for the fixed-width types), and Arrow joins the
columns row by row (`binary_join_element_wise`): the joined array's data is the rows, back to back.
The server then parses no text (no date or number to read), which is what COPY in CSV spends on.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags (no OIDs), no header extension
TRAILER = b"\xff\xff"
EPOCH_SHIFT = 10_957  # days from 1970-01-01 (Arrow's dates) to 2000-01-01 (PostgreSQL's)
NULL = pa.scalar(b"\xff\xff\xff\xff", pa.large_binary())
NOTHING = pa.scalar(b"", pa.large_binary())
# The Polars types written in binary, read as bigint, integer, boolean, date, text (or varchar) and,
# for a datetime with a time zone, timestamptz: the table's column must be of that type.
SUPPORTED = (pl.Int64, pl.Int32, pl.Boolean, pl.Date, pl.String)


def supported(frame: pl.DataFrame) -> bool:
    """Whether every column of `frame` has a type this module writes (else: COPY in CSV)."""
    return all(
        isinstance(dtype, SUPPORTED) or dtype == pl.Null or (isinstance(dtype, pl.Datetime) and dtype.time_zone)
        for dtype in frame.schema.values()
    )


def rows(frame: pl.DataFrame) -> bytes:
    """The rows of `frame` in binary COPY form (without the header and trailer)."""
    if frame.height == 0:
        return b""
    fields = [_fixed(np.full(frame.height, frame.width, dtype=">i2"), 2)]
    for name in frame.columns:
        fields += _field(frame.get_column(name))
    # A NULL text's length is -1 (`_field`), and its bytes, NULL here, become nothing.
    joined = pc.binary_join_element_wise(*fields, NOTHING, null_handling="replace", null_replacement="")
    offsets, data = joined.buffers()[1], joined.buffers()[2]
    assert offsets is not None and data is not None
    bounds = np.frombuffer(offsets, dtype=np.int64, count=len(joined) + 1, offset=joined.offset * 8)
    return bytes(memoryview(data)[bounds[0] : bounds[-1]])


def stream(frame: pl.DataFrame, *, batch: int) -> Iterator[tuple[bytes, int]]:
    """The whole COPY stream of `frame` in pieces of `batch` rows: header first, trailer last;
    each piece with the number of rows it holds."""
    yield HEADER, 0
    for start in range(0, frame.height, batch):
        chunk = frame.slice(start, batch)
        yield rows(chunk), chunk.height
    yield TRAILER, 0


def _field(column: pl.Series) -> list[pa.Array]:
    """One column's fields: each value's length and bytes, or the NULL marker (for text, the
    length -1 and a NULL that `rows` writes as nothing)."""
    dtype = column.dtype
    if dtype in (pl.String, pl.Null):
        text = column.cast(pl.String)
        lengths = text.str.len_bytes().cast(pl.Int32).fill_null(-1).to_numpy().astype(">i4")
        return [_fixed(lengths, 4), text.to_arrow().cast(pa.large_binary())]  # the same buffers, as bytes
    if dtype == pl.Int64:
        values, width, kind = column.fill_null(0).to_numpy(), 8, ">i8"
    elif dtype == pl.Int32:
        values, width, kind = column.fill_null(0).to_numpy(), 4, ">i4"
    elif dtype == pl.Date:
        days = column.to_physical().fill_null(0).to_numpy().astype(np.int64) - EPOCH_SHIFT
        values, width, kind = days, 4, ">i4"
    elif isinstance(dtype, pl.Datetime):  # an instant: microseconds since 2000-01-01 UTC
        ticks = column.to_physical().fill_null(0).to_numpy().astype(np.int64)
        micros = ticks // 1_000 if dtype.time_unit == "ns" else ticks * (1_000 if dtype.time_unit == "ms" else 1)
        values, width, kind = micros - EPOCH_SHIFT * 86_400_000_000, 8, ">i8"
    elif dtype == pl.Boolean:
        values, width, kind = column.fill_null(False).to_numpy().astype(np.uint8), 1, "u1"
    else:  # pragma: no cover - `supported` keeps other types out
        raise TypeError(f"no binary COPY form for {dtype}")
    record = np.empty(column.len(), dtype=[("length", ">i4"), ("value", kind)])
    record["length"] = width
    record["value"] = values
    fields = _fixed(record, 4 + width)
    if column.null_count():
        return [pc.if_else(column.is_null().to_arrow(), NULL, fields)]
    return [fields]


def _fixed(values: np.ndarray, width: int) -> pa.Array:
    """Each element's `width` bytes (a NumPy array of records or big-endian numbers) as a binary array."""
    raw = pa.py_buffer(np.ascontiguousarray(values).tobytes())
    return pa.Array.from_buffers(pa.binary(width), len(values), [None, raw]).cast(pa.large_binary())
