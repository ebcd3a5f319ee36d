"""Partitioned Parquet datasets: a folder of Parquet files, hive-style (`governorate=Muscat/part-0.parquet`,
`family_bucket=07/part-0.parquet`), each file a whole table of its own.

Families are independent: every family's rows are in one file, so each file can be worked on alone,
by one process or by a worker of a cluster (docs/scale.md). The partition's key stays a column of
its files too: a file read alone is the same table as read from the folder.

A dataset is written beside its target (`.NAME.partial-…`) and renamed into place when every file
is in, with a `_himaya.json` marker saying what it holds; a folder is only ever replaced when it
bears that marker, so a mistyped `--output` never deletes someone's folder.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal
from urllib.parse import quote

import polars as pl
import pyarrow.parquet as pq

from himaya.adapters.tables import read_table
from himaya.core.errors import UsageError

PartitionBy = Literal["governorate", "family"]
PARTITIONS: tuple[PartitionBy, ...] = ("governorate", "family")
MARKER = "_himaya.json"  # written last: a folder without it is not a finished dataset
BUCKET = "family_bucket"  # the column (and folder key) of a dataset partitioned by family hash


def names_a_folder(path: Path) -> bool:
    """A path names a dataset folder: an existing folder, or a name without an extension."""
    return path.is_dir() or not path.suffix


def parts_of(folder: Path) -> list[Path]:
    """The Parquet files of a dataset folder, in path order (hidden and `_` files left out)."""
    if not folder.exists():
        raise UsageError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise UsageError(f"{folder}: is a file, not a dataset folder")
    parts = sorted(
        path
        for path in folder.rglob("*.parquet")
        if path.is_file() and not any(p.startswith((".", "_")) for p in path.relative_to(folder).parts)
    )
    if not parts:
        raise UsageError(
            f"{folder}: is a folder, not a file, and holds no Parquet file (*.parquet): name the table file "
            "in it, or give a dataset, a folder of Parquet files"
        )
    return parts


def footers(parts: list[Path], folder: Path) -> tuple[list[str], int]:
    """The columns every file shares and the rows of all, read from the files' footers (no rows are
    read); a file whose columns differ from the first file's is refused, naming the file and the columns."""
    first: list[str] | None = None
    rows = 0
    for path in parts:
        try:
            metadata = pq.read_metadata(path)
        except (OSError, ValueError) as error:  # pyarrow's ArrowInvalid is a ValueError
            raise UsageError(f"{path}: cannot be read as Parquet: {error}") from None
        names, rows = list(metadata.schema.to_arrow_schema().names), rows + metadata.num_rows
        if first is None:
            first = names
            continue
        foreign, missing = [n for n in names if n not in first], [n for n in first if n not in names]
        if foreign or missing:
            said = [f"column {', '.join(foreign)} not in the other files" if foreign else ""]
            said += [f"no column {', '.join(missing)}" if missing else ""]
            raise UsageError(
                f"{path}: a partition of {folder} with other columns than {parts[0].name} "
                f"({'; '.join(s for s in said if s)}): every file of a dataset has the same columns"
            )
    assert first is not None
    return first, rows


def refuse_split_keys(parts: list[Path], folder: Path, *, person: str, family: str) -> None:
    """A dataset is partitioned by family: each person and each family in one file only. A worker
    sees one file, so a person in two files would be paid twice and a family split in two paid as
    two; one pass over the two key columns of every file finds both, naming the files.

    The pass reads each key as a 64-bit hash (8 bytes a key, not the text: 46 million persons fit in
    a few hundred MB); the few keys whose hash is in two files are then read again as text, so a
    collision of two hashes never refuses a dataset."""

    def keys(columns: list[pl.Expr]) -> pl.LazyFrame:
        return pl.concat(
            [
                pl.scan_parquet(path).select(columns).with_columns(pl.lit(index, pl.Int32).alias("__file"))
                for index, path in enumerate(parts)
            ]
        )

    as_text = {column: pl.col(column).cast(pl.String) for column in (person, family)}
    hashed = keys([text.hash().alias(column) for column, text in as_text.items()]).collect()
    for column, what in ((person, "person"), (family, "family")):
        suspects = (
            hashed.lazy()
            .group_by(column)
            .agg(pl.col("__file").n_unique().alias("files"))
            .filter(pl.col("files") > 1)
            .select(column)
            .collect()
        )
        if not suspects.height:
            continue
        found = (
            keys([as_text[column]])
            .filter(as_text[column].hash().is_in(suspects[column].implode()))
            .group_by(column)
            .agg(pl.col("__file").unique().sort().alias("files"))
            .filter(pl.col("files").list.len() > 1)
            .sort(column)
            .head(5)
            .collect()
        )
        if found.height:
            said = "; ".join(
                f"{what} {key} in {', '.join(str(parts[i].relative_to(folder)) for i in files)}"
                for key, files in found.iter_rows()
            )
            raise UsageError(
                f"{folder}: each {what} must be in one file of a dataset (it is partitioned by family), but {said}"
            )


def read_dataset(parts: list[Path]) -> pl.DataFrame:
    """Every file of a dataset as one table, in path order (one process: it must fit in memory)."""
    try:
        return pl.concat([pl.read_parquet(path) for path in parts], how="vertical_relaxed")
    except (pl.exceptions.PolarsError, OSError) as error:
        raise UsageError(f"{parts[0].parent}: the dataset's files cannot be read as one table: {error}") from None


def read_table_or_dataset(path: Path) -> pl.DataFrame:
    """A people table: one file as `read_table` reads it, or every file of a dataset folder read as
    one table in this process (the commands that do not run on a cluster: explain, simulate)."""
    if not path.is_dir():
        return read_table(path)
    parts = parts_of(path)
    footers(parts, path)
    return read_dataset(parts)


def family_bucket(family_id: pl.Series, buckets: int) -> pl.Series:
    """The bucket (0 to buckets-1) of each family: CRC-32 of its id's UTF-8, the same on every
    machine and every version (a hash of the dataframe library's own may change between versions)."""
    unique = family_id.unique()
    numbers = pl.Series([zlib.crc32(f.encode()) % buckets for f in unique.to_list()], dtype=pl.Int32)
    lookup = pl.DataFrame({"key": unique, BUCKET: numbers})
    return family_id.to_frame("key").join(lookup, on="key", how="left", maintain_order="left")[BUCKET]


def partitions(frame: pl.DataFrame, by: PartitionBy, buckets: int) -> Iterator[tuple[str, pl.DataFrame]]:
    """(hive folder name, rows) for each partition of a people table, whole families in each."""
    if by == "family":
        width = len(str(buckets - 1))
        keyed = frame.with_columns(family_bucket(frame["family_id"], buckets))
        for (bucket,), rows in keyed.partition_by(BUCKET, as_dict=True, maintain_order=True).items():
            yield f"{BUCKET}={int(str(bucket)):0{width}d}", rows
        return
    if by not in frame.columns:
        raise UsageError(f"cannot partition by {by}: the table has no {by} column")
    for (value,), rows in frame.partition_by(by, as_dict=True, maintain_order=True).items():
        yield f"{by}={quote(str(value), safe='')}", rows


def _partial_beside(target: Path) -> Path:
    """A staging folder's name says which machine and process writes it, so that a later run can
    tell one left by a killed run (its process gone) from one being written now."""
    return target.with_name(f".{target.name}.partial-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def _remove_left_behind(target: Path) -> None:
    """Remove the staging folders that a killed run of this machine left beside `target`: their
    process has ended, so nobody will finish or remove them."""
    prefix = f".{target.name}.partial-{socket.gethostname()}-"
    for left in target.parent.glob(f"{glob.escape(prefix)}*"):
        pid = left.name.removeprefix(prefix).split("-", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(left, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: running
        return True
    return True


# What a dataset holds, by the command that wrote it: a command replaces only a dataset of what it
# writes (an `entitlements --output` naming a people dataset would otherwise put results in its place).
HOLDS = {"partition": "people", "synth": "people", "entitlements": "entitlements"}


def overlaps(source: Path, output: Path) -> bool:
    """Whether writing the folder `output` would replace or write into `source` (a file or a folder)."""
    a, b = source.resolve(), output.resolve()
    return a == b or a in b.parents or b in a.parents


def _refuse_replacing(target: Path, about: dict[str, object]) -> None:
    if not target.exists() or (target.is_dir() and not any(target.iterdir())):
        return
    if target.is_file() or not (target / MARKER).is_file():
        raise UsageError(
            f"{target}: exists and is not a dataset Himaya wrote (no {MARKER} in it): "
            "name a new folder, or remove it first"
        )
    try:
        written_by = json.loads((target / MARKER).read_text(encoding="utf-8")).get("command")
    except (OSError, ValueError, AttributeError):
        written_by = None
    held, writing = HOLDS.get(str(written_by)), HOLDS.get(str(about.get("command")))
    if held != writing:
        raise UsageError(
            f"{target}: holds {_a(held or 'unknown')} dataset (written by {written_by or 'an unknown command'}), "
            f"not {writing or 'this command'}'s: name another folder, or remove it first"
        )


def _a(word: str) -> str:
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


@contextmanager
def dataset_writer(target: Path, about: dict[str, object]) -> Iterator[Path]:
    """A folder to write a dataset's files into, renamed to `target` (with its marker) when the
    block ends without error, removed with what it holds otherwise: nothing half-written. A folder
    that is not a dataset, or a dataset of another kind (people, entitlements), is never replaced."""
    _refuse_replacing(target, about)
    if not target.parent.is_dir():
        raise UsageError(f"{target.parent}: no such folder to write {target.name} in")
    _remove_left_behind(target)
    staging = _partial_beside(target)
    staging.mkdir()
    try:
        yield staging
        (staging / MARKER).write_text(json.dumps(about, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        if target.exists():
            old = _partial_beside(target)
            target.rename(old)
            staging.rename(target)
            shutil.rmtree(old)
        else:
            staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def write_dataset(frame: pl.DataFrame, target: Path, *, by: PartitionBy, buckets: int, about: dict[str, object]) -> int:
    """Write a people table as a dataset partitioned by governorate or family hash; the number of files."""
    with dataset_writer(target, {**about, "partitioned_by": by}) as staging:
        count = 0
        for name, rows in partitions(frame, by, buckets):
            (staging / name).mkdir()
            rows.write_parquet(staging / name / "part-0.parquet")
            count += 1
    return count
