"""L4: the one place that wires adapters to the capabilities (files now; the database later)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from himaya.adapters.tables import read_table
from himaya.policy.pack import PolicyPack
from himaya.policy.parameters import ParameterTree
from himaya.policy.reforms import load_reform
from himaya.policy.table import validate_table


def load_people(path: Path, pack: PolicyPack) -> pl.DataFrame:
    """Read a people table (CSV or Parquet) and validate it against the pack's contract."""
    return validate_table(read_table(path), pack.schema, source=str(path))


def load_tree(pack: PolicyPack, reform: Path | None = None) -> ParameterTree:
    """The pack's parameters, with a reform laid over them when one is given."""
    tree = pack.parameters
    return load_reform(reform, tree).apply(tree) if reform is not None else tree
