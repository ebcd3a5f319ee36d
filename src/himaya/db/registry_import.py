"""`himaya registry import`: a validated people table into the registry, in one transaction.

The table is staged in a temporary table; then a handful of set-based statements insert the new
people and families, update what changed on the known people, close the time-bound rows whose
value changed (valid until the import's date) and open new ones. First sight of a person opens
rows valid since always, so the registry read back for any month equals the file imported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import (
    Connection,
    Engine,
    FromClause,
    Table,
    select,
    text,
    update,
)
from sqlalchemy.schema import CreateIndex, DropTable, Index

from himaya.core.clock import now
from himaya.core.errors import NotFoundError, StaleRecordError
from himaya.db import audit, bulk, name_index, registry_keys, staging
from himaya.db.registry_checks import (
    RegistryImportError,
    check_heads,
    refuse_back_dating,
    refuse_cleared_deaths,
    refuse_headless,
)
from himaya.db.registry_facts import COUNTED, IMPORTED, Temporal, attribute_text, close, copy_new, open_rows, temporals
from himaya.db.registry_pack import attribute_types, claim_pack, registry_pack
from himaya.db.registry_rows import STATIC, write_families, write_people
from himaya.db.search_tables import name_pair, name_token
from himaya.db.snapshot import INCOME_KINDS, NAME_COLUMNS, people_query, read_people
from himaya.db.stores import dci_notify
from himaya.db.stores.award_shares import after_deaths
from himaya.db.tables import family, person
from himaya.policy.packs import load_pack
from himaya.policy.registry import RegistryFact

BULK = 100_000  # new people from which an import into PostgreSQL may be a bulk load (`registry_keys.resolve`)
__all__ = ["ImportSummary", "RegistryImportError", "analyze", "import_into", "import_people", "written"]
COMPARED = (  # what a re-import compares, person by person, for the audit trail
    "family_id",
    "relationship",
    "sex",
    "birth_date",
    "death_date",
    "nationality",
    "resident",
    "marital_status",
    "has_children",
    "employed",
    "disability_category",
    "disability_card",
    "father_deceased",
    "mother_deceased",
    *INCOME_KINDS,
    "earning_capacity",
    *NAME_COLUMNS,
    "governorate",
    "wilayat",
    "mobile",
    "bank_code",
    "iban",
)


@dataclass
class ImportSummary:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    families_created: int = 0
    skipped_merged: int = 0  # rows of records merged into another, left alone
    notified: int = 0  # DCI notifications queued for partners' subscriptions
    rows_opened: dict[str, int] = field(default_factory=dict)
    rows_closed: dict[str, int] = field(default_factory=dict)


def _staged_frame(people: pl.DataFrame, place: str = "wilayat") -> pl.DataFrame:
    """The rows as staged: keyed by civil and family number, the pack's `place` column (Iraq's
    district) in the registry's place column (`wilayat`, which scopes branches and cases), and the
    person's own columns a pack's contract has not otherwise empty."""
    if place != "wilayat" and place in people.columns and "wilayat" not in people.columns:
        people = people.with_columns(pl.col(place).alias("wilayat"))
    absent = [pl.lit(None, pl.String).alias(c) for c in STATIC if c not in people.columns]
    return people.rename({"person_id": "civil_number", "family_id": "family_number"}).with_columns(absent)


def changes_for_audit(before: pl.DataFrame, after: pl.DataFrame, attributes: Sequence[str] = ()) -> list[audit.Change]:
    """One change per known person whose imported values differ: the differing fields, before and
    after (`attributes`: the pack's own columns, compared too)."""
    joined = before.join(after, on="person_id", suffix="__new")
    compared = [c for c in (*COMPARED, *attributes) if c in before.columns and f"{c}__new" in joined.columns]
    differs = pl.any_horizontal([pl.col(c).ne_missing(pl.col(f"{c}__new")) for c in compared])
    changes = []
    for row in joined.filter(differs).iter_rows(named=True):
        fields = [c for c in compared if row[c] != row[f"{c}__new"]]
        changes.append(
            audit.Change(
                "person.update",
                f"person:{row['person_id']}",
                {c: row[c] for c in fields},
                {c: row[f"{c}__new"] for c in fields},
            )
        )
    return changes


def import_people(
    engine: Engine,
    people: pl.DataFrame,
    *,
    as_of: date,
    actor: str,
    source: dict[str, Any],
    progress: Callable[[str, int], None] | None = None,
    request_id: str | None = None,
    facts: Sequence[RegistryFact] | None = None,
    pack: str | None = None,
) -> ImportSummary:
    """Import a validated registry table (`pack.registry` contract) from a file; all or nothing,
    with one audit entry for the file and one per known person whose values changed."""
    tell = progress or (lambda _step, _n: None)
    with engine.begin() as connection:
        summary, changes = import_into(
            connection,
            people,
            as_of=as_of,
            progress=progress,
            facts=facts,
            keep_deaths=True,
            actor=actor,
            pack=pack,
        )
        tell("audit", 0)
        batch = audit.Change(
            "registry.import",
            f"import:{source.get('file', '?')}",
            None,
            {
                **source,
                "as_of": as_of,
                "rows": summary.rows,
                "created": summary.created,
                "updated": summary.updated,
                "families_created": summary.families_created,
                "skipped_merged": summary.skipped_merged,
            },
        )
        audit.record(connection, [batch, *changes], actor=actor, request_id=request_id)
        tell("commit", 0)
    # Planner statistics matter after a bulk load, not after one record; and after a table has grown
    # much (a fresh PostgreSQL table has none until autovacuum passes, at a moment nobody chooses: a
    # snapshot planned before then nested for minutes on 3,000 people).
    if people.height >= 10_000 or summary.created >= 1_000:
        tell("analyze", 0)
        analyze(engine, written(facts or load_pack().registry_facts))
    return summary


def import_into(
    connection: Connection,
    people: pl.DataFrame,
    *,
    as_of: date,
    progress: Callable[[str, int], None] | None = None,
    expected_version: tuple[str, int] | None = None,
    facts: Sequence[RegistryFact] | None = None,
    source: str = IMPORTED,
    keep_deaths: bool = False,
    actor: str = "registry",
    pack: str | None = None,
    before: pl.DataFrame | None = None,
) -> tuple[ImportSummary, list[audit.Change]]:
    """The import's statements on the caller's transaction (with the partners' DCI notifications
    of its changes); returns the summary and the changes to audit (the caller records them). With
    `expected_version` (civil number, version), the import is one officer's change to one record,
    read at that version: it is refused if anyone changed the record since. `source`: what the rows
    it opens come from (`import`, or the case whose approval wrote them). At least `BULK` new
    people, as many as the registry had, are a bulk load (`bulk.loading`), in this transaction. A
    death among the rows ends the dead's awards here, by `actor` (`_deaths`: changes returned).
    `pack`: the rows' pack, recorded by a first import, refused on another pack's registry (without it,
    the registry's). `before`: the current rows of (at least) the known people among `people`, as
    `people_query(registry=True)` reads them, read by the caller in this transaction (the life
    events' worker reads them to plan): not read again."""
    tell = progress or (lambda _step, _n: None)
    chosen = claim_pack(connection, pack) if pack is not None else load_pack(registry_pack(connection))
    facts = chosen.registry_facts if facts is None else facts
    summary = ImportSummary(rows=people.height)
    stamp = now()
    if expected_version is not None:
        _claim_version(connection, *expected_version)
    tell("keys", 0)
    keyed = registry_keys.resolve(connection, _staged_frame(people, chosen.place_column), bulk_from=BULK)
    keyed = replace(keyed, frame=attribute_text(keyed.frame, facts))  # the pack's own columns as kept
    summary.skipped_merged = keyed.skipped_merged
    summary.created = keyed.frame.height - keyed.known_people
    refuse_headless(keyed.frame)
    s = _staged(connection, keyed, tell)
    tell("people", 0)
    _refuse_rewriting(connection, s, as_of, facts, one=expected_version is not None, keep_deaths=keep_deaths)
    before, changes = _before(connection, s, people, before)
    renamed, known = _names_to_index(before, people, keyed)
    # The name tokens and their pairs are made here (Polars, its own threads) while the server writes the rows.
    with ThreadPoolExecutor(max_workers=1) as pool, bulk.loading(connection, written(facts), enabled=keyed.bulk):
        entries = pool.submit(name_index.entries_of, renamed.drop("civil_number"))
        write_people(connection, s, keyed.frame, stamp)
        tell("families", 0)
        summary.families_created = write_families(connection, s, keyed.frame, stamp)
        _write_facts(connection, s, keyed, temporals(facts, source), as_of, summary, tell)
        tell("names", 0)
        name_index.write(connection, entries.result(), known=known.get_column("person_id"))
        tell("indexes", 0)
    check_heads(connection, s)
    tell("notify", 0)
    summary.notified = dci_notify.queue_import(connection, keyed.frame, changes, at=stamp)
    summary.updated = len(changes)
    summary.unchanged = summary.rows - summary.created - summary.updated - summary.skipped_merged
    connection.execute(DropTable(s))
    return summary, changes + _deaths(connection, people, actor, tell)


def _refuse_rewriting(
    connection: Connection, s: Table, as_of: date, facts: Sequence[RegistryFact], *, one: bool, keep_deaths: bool
) -> None:
    """Refuse rows that would rewrite the past (back-dating), or clear a recorded death."""
    refuse_back_dating(connection, s, as_of, facts, one=one)
    if keep_deaths:  # a file does not clear a death; a cancelled death event does (events/planning.py)
        refuse_cleared_deaths(connection, s)


def _names_to_index(
    before: pl.DataFrame, people: pl.DataFrame, keyed: registry_keys.Keyed
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the people whose names are new or changed, with their keys; those of them already known)."""
    keys = keyed.frame.select("civil_number", pl.col("person_key").alias("person_id"))
    renamed = _renamed(before, people).join(keys, on="civil_number")
    known = renamed.join(before.select(pl.col("person_id").alias("civil_number")), on="civil_number", how="semi")
    return renamed, known


def _deaths(
    connection: Connection, people: pl.DataFrame, actor: str, tell: Callable[[str, int], None]
) -> list[audit.Change]:
    """What the deaths among the rows end in the insurance (`after_deaths`: the awards of the dead, a
    survivor's share), in the import's transaction, by `actor`: the changes to audit."""
    if "death_date" not in people.columns or not people["death_date"].is_not_null().any():
        return []
    tell("awards", 0)
    return after_deaths(connection, actor=actor)


def _before(
    connection: Connection, s: Table, people: pl.DataFrame, read: pl.DataFrame | None
) -> tuple[pl.DataFrame, list[audit.Change]]:
    """The known people as the registry holds them (the pack's own columns too), and what changes:
    `read` by the caller already (a superset of the known people will do), unless it lacks a column."""
    kinds = attribute_types(connection)
    if read is not None and all(c in read.columns for c in kinds):
        before = read.join(people.select("person_id"), on="person_id", how="semi")
    else:
        before = read_people(connection, people_query(None, registry=True, only=_civil_view(s), attributes=kinds),
                             attributes=kinds)  # fmt: skip
    return before, changes_for_audit(before, people, list(kinds))


def _write_facts(
    connection: Connection,
    s: Table,
    keyed: registry_keys.Keyed,
    facts: Sequence[Temporal],
    as_of: date,
    summary: ImportSummary,
    tell: Callable[[str, int], None],
) -> None:
    """Each time-bound fact's rows closed and opened. On PostgreSQL the new people's rows are made
    from the file and copied (binary COPY), the statements then touch the known people only."""
    copied = connection.dialect.name == "postgresql"
    new = keyed.frame.filter(pl.col("is_new")) if copied else keyed.frame.clear()
    for t in facts:
        tell(t.name, 0)
        known = keyed.known_people > 0 or not copied
        summary.rows_closed[t.name] = close(connection, s, t, as_of) if known else 0
        summary.rows_opened[t.name] = open_rows(connection, s, t, as_of, known_only=copied) if known else 0
        if not new.is_empty():
            summary.rows_opened[t.name] += copy_new(connection, new, t)


def _staged(connection: Connection, keyed: registry_keys.Keyed, tell: Callable[[str, int], None]) -> Table:
    """The import's rows staged, indexed for the joins that find the known people, and analysed.
    On PostgreSQL, only the rows of people or families the registry had: the new people's rows are
    copied into their tables from the file (`write_people`, `write_families`, `copy_new`), and
    every statement that reads the staged rows is about what the registry held (a first import of
    a country stages next to nothing)."""
    rows = keyed.frame
    if connection.dialect.name == "postgresql":
        rows = rows.filter(~pl.col("is_new") | ~pl.col("new_family"))
    s = staging.load(connection, "import_staging", rows, progress=lambda n: tell("staging", n))
    if keyed.known_people:  # what finds the known people's rows (a first import has none)
        connection.execute(CreateIndex(Index("ix_import_staging_civil_number", s.c.civil_number)))
    if keyed.known_people or connection.dialect.name != "postgresql":  # PostgreSQL hashes the staged keys
        connection.execute(CreateIndex(Index("ix_import_staging_person_key", s.c.person_key)))
    connection.execute(text(f"ANALYZE {s.name}"))
    return s


def written(facts: Sequence[RegistryFact]) -> list[Table]:
    """The tables an import writes (each once)."""
    return list(dict.fromkeys([person, family, name_token, name_pair, *(t.table for t in temporals(facts))]))


def _renamed(before: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    """The rows of `people` whose names the name index must (re)learn: the new people and the known
    ones whose names changed (a record merged into another is never found by a search, whatever
    its tokens say)."""
    names = [c for c in NAME_COLUMNS if c in people.columns]
    wanted = people.select(pl.col("person_id").alias("civil_number"), *names)
    if before.is_empty():
        return wanted
    old = before.select(
        pl.col("person_id").alias("civil_number"),
        pl.lit(True).alias("__known"),
        *(pl.col(c).alias(f"{c}__old") for c in names),
    )
    joined = wanted.join(old, on="civil_number", how="left")
    differs = pl.any_horizontal([pl.col(c).ne_missing(pl.col(f"{c}__old")) for c in names])
    return joined.filter(pl.col("__known").is_null() | differs).select("civil_number", *names)


def _claim_version(connection: Connection, civil_number: str, version: int) -> None:
    """Bump the record's version if it is still `version`; refuse otherwise (optimistic lock)."""
    claimed = connection.execute(
        update(person)
        .where(person.c.civil_number == civil_number, person.c.version == version)
        .values(version=person.c.version + 1, updated_at=now()),
        execution_options=COUNTED,
    ).rowcount
    if claimed != 1:
        current = connection.execute(select(person.c.version).where(person.c.civil_number == civil_number)).scalar()
        if current is None:
            raise NotFoundError(f"no person with civil number {civil_number!r} in the registry")
        raise StaleRecordError(
            f"person {civil_number} is at version {current}, not {version}: someone changed it since you read it;"
            " read it again and reapply your change"
        )


def analyze(engine: Engine, tables: Sequence[Table] = ()) -> None:
    """Refresh the planner's statistics after a bulk change, so reads plan with real sizes
    (a fresh PostgreSQL table has none, and one join then nests for minutes instead of hashing):
    of `tables` on PostgreSQL (not of every table of the database, others' included), of all on SQLite."""
    with engine.connect() as connection:
        if tables and connection.dialect.name == "postgresql":
            connection.execute(text(f"ANALYZE {', '.join(t.name for t in tables)}"))
        else:
            connection.execute(text("ANALYZE"))
        connection.commit()


def _civil_view(s: Table) -> FromClause:
    """The known people of the staging table as a list of civil numbers (`person_id`), for `people_query(only=...)`."""
    return select(s.c.civil_number.label("person_id")).where(~s.c.is_new).subquery("staged")
