"""Which policy pack's people a registry holds: recorded by its first import (`registry_setting`),
checked by every command that writes or reads it under a pack, and what tells the snapshot which
of the pack's own columns to read back (`person_attribute`).

A registry created before migration 0046 records no pack: it holds Oman's people (the only pack
it could hold then).
"""

from __future__ import annotations

import polars as pl
from sqlalchemy import Connection, insert, select

from himaya.core.errors import ConflictError
from himaya.db.attribute_tables import registry_setting
from himaya.db.tables import person
from himaya.policy.pack import PolicyPack
from himaya.policy.packs import DEFAULT_PACK, load_pack
from himaya.policy.registry import attribute_columns
from himaya.policy.schema import Kind

PACK = "pack"
_SNAPSHOT = ("sex", "birth_date", "death_date", "nationality")  # the person's columns every snapshot has
_TYPES = {Kind.BOOL: pl.Boolean(), Kind.MONEY: pl.Int64()}


class RegistryPackError(ConflictError):
    """A command run under one pack on a registry that holds another pack's people."""


def recorded_pack(connection: Connection) -> str | None:
    """The pack the registry recorded, or None (none imported since migration 0046)."""
    return connection.execute(select(registry_setting.c.value).where(registry_setting.c.name == PACK)).scalar()


def registry_pack(connection: Connection) -> str:
    """The pack whose people the registry holds (Oman's where none is recorded)."""
    return recorded_pack(connection) or DEFAULT_PACK


def check_pack(connection: Connection, name: str) -> None:
    """Refuse `name` on a registry that holds another pack's people, naming both (an empty registry
    that recorded none holds no one's yet)."""
    holds = recorded_pack(connection)
    if holds is None and connection.execute(select(person.c.id).limit(1)).first() is not None:
        holds = DEFAULT_PACK
    if holds is not None and holds != name:
        raise RegistryPackError(
            f"this registry holds the {holds} pack's people, not the {name} pack's: set HIMAYA_PACK={holds}"
            f" (or use another database for the {name} pack); nothing was done"
        )


def claim_pack(connection: Connection, name: str) -> PolicyPack:
    """Record `name` as the registry's pack at its first import; refuse another pack's afterwards.
    A registry holding people and recording no pack holds Oman's (created before the record existed).
    The pack."""
    check_pack(connection, name)
    if recorded_pack(connection) is None:
        connection.execute(insert(registry_setting).values(name=PACK, value=name))
    return load_pack(name)


def attribute_types(connection: Connection) -> dict[str, pl.DataType]:
    """The registry's pack's own columns, with the type the snapshot gives them (a flag Boolean, an
    amount Int64, anything else text): those kept as attributes, and the person's columns its rules
    read that a snapshot has only with its registry columns; none for a pack without attributes (Oman)."""
    pack = load_pack(registry_pack(connection))
    registry = pack.registry
    kept = attribute_columns(pack.registry_facts)
    if not kept:
        return {}
    # The person's own columns the pack's rules read beside them (Iraq's governorate).
    own = [c for c in pack.schema.names if c in person.c and c not in _SNAPSHOT]
    return {c: _TYPES.get(registry.column(c).kind, pl.String()) for c in (*own, *kept)}
