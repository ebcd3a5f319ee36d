"""Secrets the service makes once and keeps in `service_setting` when no setting gives them (the
DCI signing key): every worker shares the one made first."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

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
