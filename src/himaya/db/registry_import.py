"""`himaya registry import`: a validated people table into the registry, in one transaction.

The table is staged in a temporary table; then a handful of set-based statements insert the new
people and families, update what changed on the known people, close the time-bound rows whose
value changed (valid until the import's date) and open new ones. First sight of a person opens
rows valid since always, so the registry read back for any month equals the file imported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import (
    Connection,
    Engine,
    FromClause,
    Table,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.schema import CreateIndex, DropTable, Index
from sqlalchemy.sql.elements import ColumnElement

from himaya.core.clock import now
from himaya.core.errors import HimayaError, NotFoundError, StaleRecordError
from himaya.db import audit, name_index, staging
from himaya.db.registry_facts import COUNTED, IMPORTED, Temporal, close, open_rows, temporals
from himaya.db.snapshot import INCOME_KINDS, NAME_COLUMNS, people_query, read_people
from himaya.db.tables import family, membership, person
from himaya.policy.packs import load_pack
from himaya.policy.registry import RegistryFact

STATIC = (*NAME_COLUMNS, "sex", "birth_date", "death_date", "nationality", "governorate", "wilayat", "mobile")
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
    rows_opened: dict[str, int] = field(default_factory=dict)
    rows_closed: dict[str, int] = field(default_factory=dict)


def _staged_frame(people: pl.DataFrame) -> pl.DataFrame:
    return people.rename({"person_id": "civil_number", "family_id": "family_number"}).with_columns(
        pl.lit(False).alias("is_new"),
        pl.lit(None, pl.Int64).alias("person_key"),
        pl.lit(None, pl.Int64).alias("family_key"),
    )


def changes_for_audit(before: pl.DataFrame, after: pl.DataFrame) -> list[audit.Change]:
    """One change per known person whose imported values differ: the differing fields, before and after."""
    joined = before.join(after, on="person_id", suffix="__new")
    compared = [c for c in COMPARED if c in before.columns and f"{c}__new" in joined.columns]
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
) -> ImportSummary:
    """Import a validated registry table (`pack.registry` contract) from a file; all or nothing,
    with one audit entry for the file and one per known person whose values changed."""
    with engine.begin() as connection:
        summary, changes = import_into(connection, people, as_of=as_of, progress=progress, facts=facts)
        (progress or (lambda _step, _n: None))("audit", 0)
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
    if people.height >= 10_000:  # planner statistics matter after a bulk load, not after one record
        analyze(engine)
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
) -> tuple[ImportSummary, list[audit.Change]]:
    """The import's statements on the caller's transaction; returns the summary and the changes
    to audit (the caller records them).

    With `expected_version` (civil number, version), the import is one officer's change to one
    record, read at that version: it is refused if anyone changed the record since. `source` is
    what the rows it opens say they come from, where their table keeps it (an income: `import`,
    or the case whose approval wrote it)."""
    tell = progress or (lambda _step, _n: None)
    facts = load_pack().registry_facts if facts is None else facts
    summary = ImportSummary(rows=people.height)
    stamp = now()
    s = staging.load(
        connection, "import_staging", _staged_frame(people), index="civil_number", progress=lambda n: tell("staging", n)
    )
    connection.execute(text(f"ANALYZE {s.name}"))
    if expected_version is not None:
        _claim_version(connection, *expected_version)
    tell("people", 0)
    known = select(person.c.id).where(person.c.civil_number == s.c.civil_number).scalar_subquery()
    connection.execute(update(s).values(person_key=known))
    connection.execute(update(s).values(is_new=s.c.person_key.is_(None)))
    # A record merged into another is closed: its rows are not imported again (merge is final).
    merged = select(person.c.id).where(person.c.merged_into.is_not(None))
    result = connection.execute(delete(s).where(s.c.person_key.in_(merged)), execution_options=COUNTED)
    summary.skipped_merged = int(result.rowcount or 0)
    summary.created = connection.execute(select(func.count()).select_from(s).where(s.c.is_new)).scalar_one()
    _refuse_back_dating(connection, s, as_of, facts, one=expected_version is not None)
    before = read_people(connection, people_query(None, registry=True, only=_civil_view(s)))
    changes = changes_for_audit(before, people)
    _write_people(connection, s, known, stamp)
    tell("names", 0)
    name_index.refresh(connection, _renamed(before, people))
    tell("families", 0)
    summary.families_created = _write_families(connection, s, stamp)
    for t in temporals(facts, source):
        tell(t.name, 0)
        summary.rows_closed[t.name] = close(connection, s, t, as_of)
        summary.rows_opened[t.name] = open_rows(connection, s, t, as_of)
    _check_heads(connection, s)
    summary.updated = len(changes)
    summary.unchanged = summary.rows - summary.created - summary.updated - summary.skipped_merged
    connection.execute(DropTable(s))
    return summary, changes


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


def _write_people(connection: Connection, s: Table, known: Any, stamp: Any) -> None:
    connection.execute(
        insert(person).from_select(
            ["civil_number", *STATIC, "version", "created_at", "updated_at"],
            select(s.c.civil_number, *(s.c[c] for c in STATIC), literal(1), literal(stamp), literal(stamp)).where(
                s.c.is_new
            ),
        )
    )
    connection.execute(update(s).values(person_key=known).where(s.c.is_new))
    connection.execute(CreateIndex(Index("ix_import_staging_person_key", s.c.person_key)))
    differs = or_(*(person.c[c].is_distinct_from(s.c[c]) for c in STATIC))
    connection.execute(
        update(person)
        .where(person.c.id == s.c.person_key, ~s.c.is_new, differs)
        .values({**{c: s.c[c] for c in STATIC}, "version": person.c.version + 1, "updated_at": stamp})
    )


def _write_families(connection: Connection, s: Table, stamp: Any) -> int:
    new_families = (
        select(s.c.family_number).where(~exists().where(family.c.family_number == s.c.family_number)).distinct()
    )
    result = connection.execute(
        insert(family).from_select(
            ["family_number", "created_at"], select(new_families.subquery().c.family_number, literal(stamp))
        ),
        execution_options=COUNTED,
    )
    connection.execute(
        update(s).values(
            family_key=select(family.c.id).where(family.c.family_number == s.c.family_number).scalar_subquery()
        )
    )
    return int(result.rowcount or 0)


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


def analyze(engine: Engine) -> None:
    """Refresh the planner's statistics after a bulk change, so reads plan with real sizes
    (a fresh PostgreSQL table has none, and one join then nests for minutes instead of hashing)."""
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()


class RegistryImportError(HimayaError):
    """An import that would leave the registry inconsistent; nothing was written."""


def _refuse_back_dating(
    connection: Connection, s: Table, as_of: date, facts: Sequence[RegistryFact], *, one: bool
) -> None:
    """An import is dated at or after every change already recorded for its people: dating it
    earlier would make two rows valid on the same days. Rows dated one by one (an `as_of` column)
    are checked one by one. A change of `one` record is checked against the later changes of what
    it changes only: what it leaves as it is (a fact of the same value, another kind of income) may
    have later changes, and a fact dated from an earlier day (an approval from the day of the
    application) takes its place in the history."""
    if "as_of" in s.c:
        for t in temporals(facts):
            table = t.table
            late = connection.execute(
                select(s.c.civil_number, s.c.as_of, func.max(table.c.valid_from), func.max(table.c.valid_to))
                .join(table, table.c.person_id == s.c.person_key)
                .where(or_(table.c.valid_from > s.c.as_of, table.c.valid_to > s.c.as_of))
                .group_by(s.c.civil_number, s.c.as_of)
                .limit(1)
            ).first()
            if late is not None:
                raise RegistryImportError(
                    f"the registry already holds changes effective {max(d for d in late[2:] if d)} for"
                    f" {late[0]}; a change of theirs cannot be dated {late[1]}, before them"
                )
        return
    if one:  # the family's row id, to compare memberships (a new family's is set when it is written)
        connection.execute(
            update(s).values(
                family_key=select(family.c.id).where(family.c.family_number == s.c.family_number).scalar_subquery()
            )
        )
    latest: date | None = None
    for t in temporals(facts):
        table = t.table
        after = or_(table.c.valid_from > as_of, table.c.valid_to > as_of)
        query = select(func.max(table.c.valid_from), func.max(table.c.valid_to)).where(
            table.c.person_id.in_(select(s.c.person_key)), after
        )
        if one:
            fixed = [table.c[k] == v for k, v in t.fixed.items() if k != "source"]
            query = query.join(s, s.c.person_key == table.c.person_id).where(*fixed, _touched(s, t))
        for value in connection.execute(query).one():
            if value is not None and (latest is None or value > latest):
                latest = value
    if latest is not None and latest > as_of and one:
        raise RegistryImportError(
            f"the record already holds a change of what this changes, effective {latest}: this change cannot be"
            f" dated {as_of}, before it (date it {latest} or later)"
        )
    if latest is not None and latest > as_of:
        raise RegistryImportError(
            f"the registry already holds changes effective {latest} for people in this file; "
            f"an import cannot be dated {as_of}, before them: use --as-of {latest} or later"
        )


def _touched(s: Table, t: Temporal) -> ColumnElement[bool]:
    """The staged people whose rows of `t` the import closes or opens: not those whose current row
    holds the staged value already, nor those with neither a current row nor a value."""
    row = t.table.alias("now_held")
    fixed = [row.c[k] == v for k, v in t.fixed.items() if k != "source"]
    mine = [row.c.person_id == s.c.person_key, row.c.valid_to.is_(None), *fixed]
    same = and_(*(row.c[column].is_not_distinct_from(value) for column, value in t.values(s).items()))
    held, present = exists().where(*mine), t.present(s)
    return ~or_(and_(present, exists().where(*mine, same)), and_(~present, ~held))


def _check_heads(connection: Connection, s: Table) -> None:
    """Every family the file touches has exactly one head after the import (a partial file can
    otherwise leave a family with two heads, or none)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("ANALYZE membership"))  # fresh rows: give the planner their number
    touched = select(s.c.family_key).distinct().subquery("touched")
    heads = func.sum(case((membership.c.relationship == "head", 1), else_=0))
    wrong = connection.execute(
        select(family.c.family_number, heads)
        .join(touched, touched.c.family_key == membership.c.family_id)
        .join(family, family.c.id == membership.c.family_id)
        .where(membership.c.valid_to.is_(None))
        .group_by(family.c.family_number)
        .having(heads != 1)
        .limit(10)
    ).all()
    if wrong:
        listed = ", ".join(f"{number} ({count} heads)" for number, count in wrong)
        raise RegistryImportError(
            f"after this import these families would not have exactly one head: {listed}; nothing was written"
        )


def _civil_view(s: Table) -> FromClause:
    """The known people of the staging table as a list of civil numbers (`person_id`), for `people_query(only=...)`."""
    return select(s.c.civil_number.label("person_id")).where(~s.c.is_new).subquery("staged")
