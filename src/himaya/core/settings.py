"""The installation's settings, read once from the environment into one typed object.

`bootstrap` reads them when an entry point starts (each command, the service) and hands them to
whatever needs them; no other module reads the environment (except the crash points of
`core/faults.py`, a test hook). docs/cli.md lists every variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from himaya.core.errors import UsageError

DEFAULT_CALLBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MIN_SIGNING_KEY = 32  # characters of HIMAYA_SIGNING_KEY


def _names(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def _count(text: str | None, name: str, default: int) -> int:
    """A positive whole number, or the default when the variable is not set."""
    if text is None:
        return default
    if not text.isdigit() or int(text) < 1:
        raise UsageError(f"{name} must be a whole number of at least 1, not {text!r}")
    return int(text)


@dataclass(frozen=True)
class Settings:
    """Every setting, with its environment variable; `None` where the default is decided elsewhere."""

    database_url: str | None = None  # HIMAYA_DATABASE_URL; an SQLite file in the user's data folder otherwise
    actor: str | None = None  # HIMAYA_ACTOR: who acts at the command line
    pack: str = "oman"  # HIMAYA_PACK: the policy pack
    signing_key: str | None = None  # HIMAYA_SIGNING_KEY: token signing key (else kept in the database)
    bank_files: Path = Path("himaya-bank-files")  # HIMAYA_BANK_FILES: where the service writes bank files
    payer_name: str | None = None  # HIMAYA_PAYER_NAME
    payer_iban: str | None = None  # HIMAYA_PAYER_IBAN
    payer_bic: str | None = None  # HIMAYA_PAYER_BIC
    dci_callback_hosts: frozenset[str] = field(default=DEFAULT_CALLBACK_HOSTS)  # HIMAYA_DCI_CALLBACK_HOSTS
    trusted_proxies: tuple[str, ...] = ()  # HIMAYA_TRUSTED_PROXIES: addresses whose X-Forwarded-For is believed
    # DCI partners' limits (a partner's own terms, `himaya partners set`, take precedence for the volume ones)
    dci_max_requests: int = 20  # HIMAYA_DCI_MAX_REQUESTS: search requests in one message
    dci_max_records: int = 500  # HIMAYA_DCI_MAX_RECORDS: records one message may ask for (its page sizes summed)
    dci_per_minute: int = 120  # HIMAYA_DCI_PER_MINUTE: search requests a partner may make in a minute
    dci_retention_days: int = 7  # HIMAYA_DCI_RETENTION_DAYS: how long answers stay fetchable by txn/status
    dci_callback_attempts: int = 4  # HIMAYA_DCI_CALLBACK_ATTEMPTS: deliveries of an async answer

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings of `environ` (default: this process's environment), checked."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name)
            return value if value else None

        key = get("HIMAYA_SIGNING_KEY")
        if key is not None and len(key) < MIN_SIGNING_KEY:
            raise UsageError(f"HIMAYA_SIGNING_KEY must have at least {MIN_SIGNING_KEY} characters")
        hosts = _names(get("HIMAYA_DCI_CALLBACK_HOSTS"))
        return cls(
            database_url=get("HIMAYA_DATABASE_URL"),
            actor=get("HIMAYA_ACTOR"),
            pack=get("HIMAYA_PACK") or "oman",
            signing_key=key,
            bank_files=Path(get("HIMAYA_BANK_FILES") or "himaya-bank-files"),
            payer_name=get("HIMAYA_PAYER_NAME"),
            payer_iban=get("HIMAYA_PAYER_IBAN"),
            payer_bic=get("HIMAYA_PAYER_BIC"),
            dci_callback_hosts=frozenset(hosts) if hosts else DEFAULT_CALLBACK_HOSTS,
            trusted_proxies=_names(get("HIMAYA_TRUSTED_PROXIES")),
            dci_max_requests=_count(get("HIMAYA_DCI_MAX_REQUESTS"), "HIMAYA_DCI_MAX_REQUESTS", 20),
            dci_max_records=_count(get("HIMAYA_DCI_MAX_RECORDS"), "HIMAYA_DCI_MAX_RECORDS", 500),
            dci_per_minute=_count(get("HIMAYA_DCI_PER_MINUTE"), "HIMAYA_DCI_PER_MINUTE", 120),
            dci_retention_days=_count(get("HIMAYA_DCI_RETENTION_DAYS"), "HIMAYA_DCI_RETENTION_DAYS", 7),
            dci_callback_attempts=_count(get("HIMAYA_DCI_CALLBACK_ATTEMPTS"), "HIMAYA_DCI_CALLBACK_ATTEMPTS", 4),
        )
