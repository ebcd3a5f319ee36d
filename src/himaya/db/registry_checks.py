"""The refusals of an import, checked in its transaction: nothing dated before what the registry
already holds for its people, and every family it touches with exactly one head after it (the new
families on the file itself, before anything is written; the known ones in the store, after)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import polars as pl
from sqlalchemy import Connection, Table, and_, case, exists, func, or_, select, text, union_all
from sqlalchemy.sql.elements import ColumnElement

from himaya.core.errors import HimayaError
from himaya.db.registry_facts import Temporal, temporals
from himaya.db.tables import family, membership, person
from himaya.policy.registry import RegistryFact


class RegistryImportError(HimayaError):
    """An import that would leave the registry inconsistent; nothing was written."""


def refuse_cleared_deaths(connection: Connection, s: Table) -> None:
    """A file that gives no death date for a person the registry holds as dead does not bring them
    back: a death recorded from the civil registry's event or by an officer would otherwise be
    erased by the next import of an older file, and the payments restarted. Refused, naming them."""
    cleared = connection.execute(
        select(s.c.civil_number, person.c.death_date)
        .join(person, person.c.id == s.c.person_key)
        .where(person.c.death_date.is_not(None), s.c.death_date.is_(None))
        .order_by(s.c.civil_number)
        .limit(5)
    ).all()
    if cleared:
        named = ", ".join(f"{civil} (died {died})" for civil, died in cleared)
        raise RegistryImportError(
            f"the registry holds deaths this file does not give: {named}; an import does not clear a"
            " recorded death: give the death date, or leave the person out of the file"
        )


def refuse_back_dating(
    connection: Connection, s: Table, as_of: date, facts: Sequence[RegistryFact], *, one: bool = False
) -> None:
    """An import is dated at or after every change already recorded for its people: dating it
    earlier would make two rows valid on the same days. Rows dated one by one (an `as_of` column)
    are checked one by one. A change of `one` record is checked against the later changes of what
    it changes only: what it leaves as it is (a fact of the same value, another kind of income) may
    have later changes, and a fact dated from an earlier day (an approval from the day of the
    application) takes its place in the history. (The staged rows carry their family's row id
    already: `registry_keys`.)"""
    if "as_of" in s.c:  # one statement for all the tables (a batch of life events runs this each time)
        arms = [
            select(s.c.civil_number, s.c.as_of, t.table.c.valid_from, t.table.c.valid_to)
            .join(t.table, t.table.c.person_id == s.c.person_key)
            .where(or_(t.table.c.valid_from > s.c.as_of, t.table.c.valid_to > s.c.as_of))
            for t in temporals(facts)
        ]
        u = union_all(*arms).subquery("late")
        late = connection.execute(
            select(u.c.civil_number, u.c.as_of, func.max(u.c.valid_from), func.max(u.c.valid_to))
            .group_by(u.c.civil_number, u.c.as_of)
            .limit(1)
        ).first()
        if late is not None:
            raise RegistryImportError(
                f"the registry already holds changes effective {max(d for d in late[2:] if d)} for"
                f" {late[0]}; a change of theirs cannot be dated {late[1]}, before them"
            )
        return
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


def refuse_headless(staged: pl.DataFrame) -> None:
    """Every family new to the registry has exactly one head in the file: its members are the
    file's rows with its number, so this is checked on the file, before anything is written."""
    counted = (
        staged.filter(pl.col("new_family"))
        .group_by("family_number")
        .agg((pl.col("relationship") == "head").sum().alias("heads"))
        .filter(pl.col("heads") != 1)
    )
    _refuse_heads(list(counted.sort("family_number").head(10).iter_rows()))


def check_heads(connection: Connection, s: Table) -> None:
    """Every family the registry had that the file touches has exactly one head after the import
    (a partial file can otherwise leave a family with two heads, or none); the new ones were
    checked on the file (`refuse_headless`)."""
    if connection.dialect.name == "postgresql":
        # Fresh rows (a fresh table, even): give the planner their number, or it nests loops for minutes.
        connection.execute(text("ANALYZE membership, family"))
    heads = func.sum(case((membership.c.relationship == "head", 1), else_=0))
    touched = select(s.c.family_key).where(~s.c.new_family)
    # Counted by family row id, then named: the count needs no join with `family`, whatever the plan.
    counted = (
        select(membership.c.family_id, heads.label("heads"))
        .where(membership.c.valid_to.is_(None), membership.c.family_id.in_(touched))
        .group_by(membership.c.family_id)
        .having(heads != 1)
        .subquery("counted")
    )
    wrong = connection.execute(
        select(family.c.family_number, counted.c.heads)
        .join(counted, counted.c.family_id == family.c.id)
        .order_by(family.c.family_number)
        .limit(10)
    ).all()
    _refuse_heads([(str(number), int(count)) for number, count in wrong])


def _refuse_heads(wrong: list[tuple[str, int]]) -> None:
    if wrong:
        listed = ", ".join(f"{number} ({count} heads)" for number, count in wrong)
        raise RegistryImportError(
            f"after this import these families would not have exactly one head: {listed}; nothing was written"
        )
