"""Policy packs: one folder per country, each with its contract, parameters and rules."""

from __future__ import annotations

import importlib

from himaya.core.errors import UsageError
from himaya.policy.pack import PolicyPack

DEFAULT_PACK = "oman"


def load_pack(name: str = DEFAULT_PACK) -> PolicyPack:
    """The pack in `himaya.policy.packs.<name>`; adding a country adds a folder, not engine code."""
    if not name.isidentifier():
        raise UsageError(f"policy pack {name!r} is not a valid pack name")
    try:
        module = importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError:
        raise UsageError(f"unknown policy pack {name!r}") from None
    pack = getattr(module, "PACK", None)
    if not isinstance(pack, PolicyPack):
        raise UsageError(f"module {module.__name__} defines no PACK")
    return pack
