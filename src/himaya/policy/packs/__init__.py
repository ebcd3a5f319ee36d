"""Policy packs: one folder per country, each with its contract, parameters and rules."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from functools import cache

from himaya.core.errors import UsageError
from himaya.policy.pack import PolicyPack

DEFAULT_PACK = "oman"


def load_pack(name: str = DEFAULT_PACK) -> PolicyPack:
    """The pack in `himaya.policy.packs.<name>`; adding a country adds a folder, not engine code."""
    if not name.isidentifier():
        raise UsageError(f"policy pack {name!r} is not a valid pack name")
    if name not in pack_names():  # a pack is a folder of its own: never another module of this package
        raise UsageError(f"unknown policy pack {name!r}: the packs are {', '.join(pack_names())}")
    try:
        module = importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError:
        raise UsageError(f"unknown policy pack {name!r}") from None
    pack = getattr(module, "PACK", None)
    if not isinstance(pack, PolicyPack):
        raise UsageError(f"module {module.__name__} defines no PACK")
    return pack


def pack_names() -> list[str]:
    """The packs installed: the folders beside this file that define a PACK."""
    return list(_installed())


@cache
def _installed() -> tuple[str, ...]:
    """Listed once a process: the installed packs do not change while it runs, and a service reads
    the registry's pack at every family page (listing the folder was a tenth of its queries' time)."""
    return tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if m.ispkg))


def refuse_foreign_table(columns: Sequence[str], pack: PolicyPack, *, source: str) -> None:
    """Refuse a table written for another pack (an Iraq table run through Oman's rules would be read
    without its own columns and pay no one): the table meets the other pack's header and carries
    columns that pack knows and this one does not (they are named)."""
    known = set(pack.schema.names) | set(pack.registry.names)
    for name in pack_names():
        if name == pack.name:
            continue
        other = load_pack(name)
        required = {c.name for c in other.schema.columns if c.required}
        foreign = [c for c in columns if c not in known and (c in other.schema.names or c in other.registry.names)]
        if foreign and required <= set(columns):
            raise UsageError(
                f"{source}: a table of the {name} pack, not of the {pack.name} pack: its columns "
                f"{', '.join(foreign)} are the {name} pack's, unknown to the {pack.name} pack; "
                f"give --pack {name} (or HIMAYA_PACK={name})"
            )
