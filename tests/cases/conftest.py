"""Fixtures of the case tests: the database fixtures of tests/db, and acting users."""

from __future__ import annotations

from himaya.core.access import DEFAULT_GRANTS, Principal, Role, Scope
from tests.db.conftest import database_url, engine, postgres_problem  # noqa: F401


def user(name: str, *roles: Role, scopes: tuple[Scope, ...] = (Scope("all"),), kind: str = "person") -> Principal:
    """An acting user holding the default grants of their roles."""
    granted = frozenset(p.value for r in roles for p in DEFAULT_GRANTS[r])
    return Principal(name, frozenset(r.value for r in roles), granted, scopes, kind)
