"""Commands on partitioned Parquet datasets, one process or a Dask cluster (docs/scale.md).

A dataset's files each hold whole families, and families are independent: each file is read,
checked against the pack's contract and run through the rules alone, in this process or as one
task of a Dask cluster. The result is the one the single-process path gives, row for row: written
as a folder partitioned like the input (each file sorted by family, person, programme), or, to a
file, gathered and sorted as `himaya entitlements` sorts it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from himaya import bootstrap
from himaya.adapters import cluster
from himaya.adapters.datasets import (
    dataset_writer,
    footers,
    names_a_folder,
    overlaps,
    parts_of,
    read_dataset,
    refuse_split_keys,
)
from himaya.adapters.tables import TableFormat, write_table
from himaya.core.errors import UsageError
from himaya.core.periods import Period
from himaya.policy.engine import entitlements
from himaya.policy.pack import PolicyPack
from himaya.policy.packs import refuse_foreign_table
from himaya.policy.parameters import ParameterTree
from himaya.policy.table import validate_table

SORTED_BY = ("family_id", "person_id", "programme")  # the entitlements table's order (policy/engine.py)


@dataclass(frozen=True)
class Where:
    """Where a command runs: a scheduler's address, a local cluster of `workers`, or this process."""

    scheduler: str | None = None
    workers: int | None = None

    @classmethod
    def chosen(cls, scheduler: str | None, workers: int | None) -> Where:
        """`--scheduler`, else HIMAYA_DASK_SCHEDULER; `--workers` with a scheduler is refused."""
        address = scheduler or bootstrap.settings().dask_scheduler
        if address is not None and workers is not None:
            raise UsageError("give --scheduler ADDRESS or --workers N, not both: a scheduler has its own workers")
        return cls(address, workers)


@dataclass(frozen=True)
class EntitlementsPart:
    """One file of a people dataset, and where its entitlements go."""

    source: Path
    root: Path  # the folder being written (the output's staging folder, or the scratch folder)
    target: Path
    pack: PolicyPack
    tree: ParameterTree
    period: Period


def entitlements_part(part: EntitlementsPart) -> int:
    """A file's entitlements, written to its target (run by a worker, or here): the rows written."""
    people = bootstrap.load_people(part.source, part.pack)
    result = entitlements(people, part.pack, part.tree, part.period)
    if not part.root.is_dir():  # the command gave up (another part failed) and removed it: write nothing
        raise UsageError(f"{part.root}: the output's folder is gone; {part.source} not written")
    part.target.parent.mkdir(parents=True, exist_ok=True)
    result.write_parquet(part.target)
    return result.height


@dataclass(frozen=True)
class Written:
    rows: int
    files: int
    on: str  # "this process", "a local cluster of 2 workers", "the scheduler at tcp://…"


def dataset_entitlements(
    source: Path,
    output: Path | None,
    *,
    kind: TableFormat | None,
    pack: PolicyPack,
    tree: ParameterTree,
    period: Period,
    where: Where,
) -> Written:
    """The entitlements of a people dataset (a folder of Parquet files), to a dataset folder, a file
    or standard output; nothing is written unless every partition succeeded."""
    to_folder = output if output is not None and names_a_folder(output) else None
    if to_folder is not None and kind not in (None, "parquet"):
        raise UsageError(f"{output}: a dataset folder is written as Parquet files, not {kind}")
    if output is not None and not output.parent.is_dir():
        raise UsageError(f"{output.parent}: no such folder to write {output.name} in")
    if output is None and where.scheduler is not None:
        raise UsageError("--output FILE or FOLDER is needed on a scheduler: its workers write beside it")
    if to_folder is not None and overlaps(source, to_folder):
        raise UsageError(f"{output}: the output folder is the people dataset {source} or inside it: name another")
    parts = parts_of(source)
    columns, persons = footers(parts, source)
    refuse_foreign_table(columns, pack, source=str(source))
    refuse_split_keys(parts, source, person="person_id", family="family_id")
    local = where.workers is not None or (where.scheduler is None and cluster.larger_than_memory(persons))
    if where.scheduler is None and not local:
        if to_folder is not None:
            return _to_folder(source, parts, to_folder, pack, tree, period, None)
        people = validate_table(read_dataset(parts), pack.schema, source=str(source))
        result = entitlements(people, pack, tree, period)
        write_table(result, output, kind=kind)
        return Written(result.height, len(parts), "this process")
    workers = cluster.local_workers(where.workers, len(parts))
    with cluster.client(where.scheduler, workers) as client:
        on = f"the scheduler at {where.scheduler}" if where.scheduler else f"a local cluster of {workers} workers"
        if to_folder is not None:
            return _to_folder(source, parts, to_folder, pack, tree, period, (client, on))
        with _scratch(output) as scratch:
            items = [EntitlementsPart(p, scratch, scratch / p.relative_to(source), pack, tree, period) for p in parts]
            cluster.run_all(client, entitlements_part, items, [str(p) for p in parts])
            result = pl.scan_parquet([i.target for i in items]).sort(SORTED_BY).collect()
        write_table(result, output, kind=kind)
        return Written(result.height, len(parts), on)


def _to_folder(
    source: Path,
    parts: list[Path],
    output: Path,
    pack: PolicyPack,
    tree: ParameterTree,
    period: Period,
    on: tuple[object, str] | None,
) -> Written:
    """Each file's entitlements to the same place in the output folder, all or nothing."""
    about: dict[str, object] = {
        "command": "entitlements",
        "pack": pack.name,
        "period": str(period),
        "source": str(source),
    }
    with dataset_writer(output, about) as staging:
        items = [EntitlementsPart(p, staging, staging / p.relative_to(source), pack, tree, period) for p in parts]
        names = [str(p) for p in parts]
        rows = cluster.run_all(on[0], entitlements_part, items, names) if on else list(map(entitlements_part, items))
        about.update(rows=sum(rows), files=len(parts))  # the marker, written as the block ends
    return Written(sum(rows), len(parts), on[1] if on else "this process")


@contextmanager
def _scratch(output: Path | None) -> Iterator[Path]:
    """A folder for the workers' parts before they are gathered: beside the output (on the storage
    the workers share with this machine), else in the temporary folder; removed after."""
    where = output.parent if output is not None else None
    with tempfile.TemporaryDirectory(prefix=".himaya-parts-", dir=where) as folder:
        yield Path(folder)
