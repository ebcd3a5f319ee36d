"""`himaya simulate` on a partitioned Parquet dataset, file by file, in this process or on a Dask cluster
(docs/scale.md).

Each file holds whole families: it is read, checked against the pack's contract and simulated alone
(`analysis/parts.py`), by this process one file after another or by the workers of a cluster, and
what it gives back is small: counts and amounts, and one row per family. The parts are then combined
here (`analysis/simulate.py`): the figures are those of the same people read as one table, to the
last bit, whatever the partitioning and the order of the files (`analysis/measures.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from himaya import bootstrap
from himaya.adapters import cluster
from himaya.adapters.datasets import footers, parts_of, refuse_split_keys
from himaya.adapters.tables import read_table
from himaya.analysis.parts import Part, simulate_part
from himaya.analysis.simulate import PovertyLine, Simulation, analysis_inputs, combine
from himaya.bootstrap.scale import Where
from himaya.core.periods import Period
from himaya.policy.pack import PolicyPack
from himaya.policy.packs import refuse_foreign_table
from himaya.policy.parameters import ParameterTree


@dataclass(frozen=True)
class SimulationPart:
    """One file of a people dataset and the month to simulate on it."""

    source: Path
    pack: PolicyPack
    baseline: ParameterTree
    reform: ParameterTree
    period: Period


def simulation_part(part: SimulationPart) -> Part:
    """A file's part of the simulation (run by a worker, or here)."""
    people = bootstrap.people_with_places(read_table(part.source), part.pack, source=str(part.source))
    inputs = analysis_inputs(part.pack)
    return simulate_part(people, part.pack, inputs, part.baseline, part.reform, part.period)


@dataclass(frozen=True)
class Simulated:
    simulation: Simulation
    files: int
    on: str  # "this process", "a local cluster of 2 workers", "the scheduler at tcp://…"


def dataset_simulation(
    source: Path,
    *,
    pack: PolicyPack,
    baseline: ParameterTree,
    reform: ParameterTree,
    period: Period,
    reform_name: str,
    where: Where,
) -> Simulated:
    """The simulation of a people dataset (a folder of Parquet files of whole families)."""
    PovertyLine.of(reform, period.start, analysis_inputs(pack))  # a line that cannot be used: said before the work
    files = parts_of(source)
    columns, persons = footers(files, source)
    refuse_foreign_table(columns, pack, source=str(source))
    refuse_split_keys(files, source, person=pack.person_column, family=pack.family_column)
    items = [SimulationPart(path, pack, baseline, reform, period) for path in files]
    local = where.workers is not None or (where.scheduler is None and cluster.larger_than_memory(persons))
    if where.scheduler is None and not local:  # one file after another: one file's memory at a time
        results, on = [simulation_part(item) for item in items], "this process"
    else:
        workers = cluster.local_workers(where.workers, len(files))
        with cluster.client(where.scheduler, workers) as client:
            on = f"the scheduler at {where.scheduler}" if where.scheduler else f"a local cluster of {workers} workers"
            results = cluster.run_all(client, simulation_part, items, [str(p) for p in files])
    return Simulated(combine(results, pack, reform, period, reform_name=reform_name), len(files), on)
