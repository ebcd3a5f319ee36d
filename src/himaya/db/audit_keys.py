"""The audit keys the settings configured (`bootstrap.configure` sets them for each entry point),
held apart from `db.audit` so that configuring them imports no SQLAlchemy: every command
configures them, few write to the store."""

from __future__ import annotations

from collections.abc import Sequence

_configured: tuple[bytes, ...] = ()  # HIMAYA_AUDIT_KEY first, then the earlier keys


def use_keys(current: str | None, previous: Sequence[str] = ()) -> None:
    """The keys from the settings: `current` keys new entries, `previous` only verify older ones.
    Without `current`, the key kept in the database is used."""
    global _configured  # noqa: PLW0603  (set once per entry point, like the settings)
    _configured = tuple(k.encode() for k in (current, *previous) if k)


def configured() -> tuple[bytes, ...]:
    """The configured keys, the current first (none: the database's key is used)."""
    return _configured
