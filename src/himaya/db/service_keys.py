"""Secrets the service makes once and keeps in `service_setting` when no setting gives them (the
DCI keys): every worker shares the one made first."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from himaya.core.audit import Change
from himaya.db.audit import record
from himaya.db.tables import service_setting


def kept(engine: Engine, name: str, make: Callable[[], str]) -> str:
    """The value kept under `name`, made with `make` and kept on first use."""
    with engine.begin() as connection:
        value = connection.execute(select(service_setting.c.value).where(service_setting.c.name == name)).scalar()
    if value is not None:
        return str(value)
    try:
        with engine.begin() as connection:
            value = make()
            connection.execute(insert(service_setting).values(name=name, value=value))
    except IntegrityError:  # another worker made it first: use theirs
        return kept(engine, name, make)
    return str(value)


def swap(engine: Engine, name: str, old: str, new: str, changes: Sequence[Change], *, actor: str) -> bool:
    """Replace the value kept under `name` if it is still `old`, with the audit entries of the
    change, in one transaction; False if another change came first (nothing written)."""
    with engine.begin() as connection:
        done = connection.execute(
            update(service_setting)
            .where(service_setting.c.name == name, service_setting.c.value == old)
            .values(value=new)
        )
        if done.rowcount != 1:  # changed meanwhile: nothing was written
            return False
        record(connection, changes, actor=actor)
    return True
