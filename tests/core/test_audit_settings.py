"""The audit trail's settings: its key, earlier keys and checkpoint file, read and checked once."""

from __future__ import annotations

from pathlib import Path

import pytest

from himaya.core.errors import UsageError
from himaya.core.settings import Settings

KEY = "a" * 32


def test_the_audit_settings_are_read() -> None:
    settings = Settings.from_environ(
        {
            "HIMAYA_AUDIT_KEY": KEY,
            "HIMAYA_AUDIT_PREVIOUS_KEYS": "b" * 32 + ", " + "c" * 40,
            "HIMAYA_AUDIT_CHECKPOINTS": "/var/lib/himaya/audit.jsonl",
            "HIMAYA_SIGNING_KEY": "s" * 32,
        }
    )
    assert settings.audit_key == KEY and settings.audit_key != settings.signing_key
    assert settings.audit_previous_keys == ("b" * 32, "c" * 40)
    assert settings.audit_checkpoints == Path("/var/lib/himaya/audit.jsonl")
    unset = Settings.from_environ({})
    assert unset.audit_key is None and unset.audit_previous_keys == () and unset.audit_checkpoints is None


@pytest.mark.parametrize(
    "environ", [{"HIMAYA_AUDIT_KEY": "short"}, {"HIMAYA_AUDIT_KEY": KEY, "HIMAYA_AUDIT_PREVIOUS_KEYS": "short"}]
)
def test_a_short_audit_key_is_refused(environ: dict[str, str]) -> None:
    with pytest.raises(UsageError, match="32 characters"):
        Settings.from_environ(environ)
