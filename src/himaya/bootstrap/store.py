"""The store's own operations, for the command line: the schema's revisions, the registry's bulk
import, its snapshot on a day, one person's record, the candidates of duplicates and their merge,
the name index. They live in `db/`; entry points reach them here, never directly."""

from __future__ import annotations

from datetime import date

import polars as pl
from sqlalchemy import Engine, select

from himaya.db import name_index, registry_pack
from himaya.db.engine import URL_VARIABLE
from himaya.db.migrate import current_revision, head_revision, upgrade
from himaya.db.people import dedup_candidates, merge_people, read_person
from himaya.db.registry_import import import_people
from himaya.db.registry_pack import attribute_types
from himaya.db.snapshot import people_query, read_people
from himaya.db.tables import person

__all__ = [
    "URL_VARIABLE",
    "check_pack",
    "current_revision",
    "dedup_candidates",
    "head_revision",
    "import_people",
    "merge_people",
    "place_of",
    "read_person",
    "rebuild_name_index",
    "registry_people",
    "upgrade",
]


def registry_people(engine: Engine, day: date, *, registry: bool = False) -> pl.DataFrame:
    """The people table as the registry stood on `day` (with `registry`, its registry columns too)."""
    with engine.connect() as connection:
        kinds = attribute_types(connection)
        return read_people(connection, people_query(day, registry=registry, attributes=kinds), attributes=kinds)


def check_pack(engine: Engine, name: str) -> None:
    """Refuse the pack `name` on a registry that holds another pack's people."""
    with engine.connect() as connection:
        registry_pack.check_pack(connection, name)


def rebuild_name_index(engine: Engine) -> int:
    """The name index rebuilt from every person's names, in one transaction; the tokens written."""
    with engine.begin() as connection:
        return name_index.rebuild(connection)


def place_of(engine: Engine, civil_number: str) -> tuple[str, str]:
    """The wilayat and governorate of a person."""
    with engine.connect() as connection:
        place = connection.execute(
            select(person.c.wilayat, person.c.governorate).where(person.c.civil_number == civil_number)
        ).one()
    return place.wilayat, place.governorate
