"""The installation's settings, read once from the environment into one typed object.

`bootstrap` reads them when an entry point starts (each command, the service) and hands them to
whatever needs them; no other module reads the environment (except the crash points of
`core/faults.py`, a test hook). docs/cli.md lists every variable.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from himaya.core.errors import UsageError

MIN_SIGNING_KEY = 32  # characters of HIMAYA_SIGNING_KEY
MIN_AUDIT_KEY = 32  # characters of HIMAYA_AUDIT_KEY (and of each earlier audit key)


def _names(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def _bytes(text: str | None, name: str, default: int) -> int:
    if text is None:
        return default
    if not text.isdigit() or int(text) < 1024:
        raise UsageError(f"{name} must be a number of bytes, at least 1024 (not {text!r})")
    return int(text)


def _days(text: str | None) -> int:
    if text is None:
        return 366
    if not text.isdigit() or not 0 <= int(text) <= 3660:
        raise UsageError(f"HIMAYA_REGISTRY_DAYS_AHEAD must be a number of days from 0 to 3660, not {text!r}")
    return int(text)


def _count(text: str | None, name: str, default: int) -> int:
    """A positive whole number, or the default when the variable is not set."""
    if text is None:
        return default
    if not text.isdigit() or int(text) < 1:
        raise UsageError(f"{name} must be a whole number of at least 1, not {text!r}")
    return int(text)


def _seconds(text: str | None, name: str, default: int) -> int:
    """A number of seconds (0 allowed), or the default when the variable is not set."""
    if text is None:
        return default
    if not text.isdigit():
        raise UsageError(f"{name} must be a whole number of seconds, not {text!r}")
    return int(text)


@dataclass(frozen=True)
class NotifySettings:
    """Delivery of the notification outbox (docs/notifications.md); a channel without its address is off."""

    sms_url: str | None = None  # HIMAYA_SMS_URL: the SMS gateway's endpoint (a JSON POST)
    sms_token: str | None = None  # HIMAYA_SMS_TOKEN: its bearer token
    smtp_host: str | None = None  # HIMAYA_SMTP_HOST
    smtp_port: int = 587  # HIMAYA_SMTP_PORT
    smtp_tls: str = "starttls"  # HIMAYA_SMTP_TLS: none, starttls or ssl
    smtp_user: str | None = None  # HIMAYA_SMTP_USER
    smtp_password: str | None = None  # HIMAYA_SMTP_PASSWORD
    mail_from: str = "himaya@localhost"  # HIMAYA_MAIL_FROM
    every: int = 0  # HIMAYA_NOTIFY_EVERY: `himaya serve` delivers every N seconds (0: no worker)
    lease: int = 300  # HIMAYA_NOTIFY_LEASE: seconds after which an unfinished claim is a stopped sender's
    backoff: int = 60  # HIMAYA_NOTIFY_BACKOFF: seconds before the first retry (doubled at each next one)
    attempts: int = 6  # HIMAYA_NOTIFY_ATTEMPTS: attempts before a failing message is given up
    batch: int = 100  # HIMAYA_NOTIFY_BATCH: messages claimed in one transaction

    @classmethod
    def read(cls, get: Callable[[str], str | None]) -> NotifySettings:
        tls = get("HIMAYA_SMTP_TLS") or "starttls"
        if tls not in ("none", "starttls", "ssl"):
            raise UsageError(f"HIMAYA_SMTP_TLS must be none, starttls or ssl, not {tls!r}")
        port = _count(get("HIMAYA_SMTP_PORT"), "HIMAYA_SMTP_PORT", 465 if tls == "ssl" else 587)
        return cls(
            sms_url=get("HIMAYA_SMS_URL"),
            sms_token=get("HIMAYA_SMS_TOKEN"),
            smtp_host=get("HIMAYA_SMTP_HOST"),
            smtp_port=port,
            smtp_tls=tls,
            smtp_user=get("HIMAYA_SMTP_USER"),
            smtp_password=get("HIMAYA_SMTP_PASSWORD"),
            mail_from=get("HIMAYA_MAIL_FROM") or cls.mail_from,
            every=_seconds(get("HIMAYA_NOTIFY_EVERY"), "HIMAYA_NOTIFY_EVERY", 0),
            lease=_seconds(get("HIMAYA_NOTIFY_LEASE"), "HIMAYA_NOTIFY_LEASE", cls.lease),
            backoff=_seconds(get("HIMAYA_NOTIFY_BACKOFF"), "HIMAYA_NOTIFY_BACKOFF", cls.backoff),
            attempts=_count(get("HIMAYA_NOTIFY_ATTEMPTS"), "HIMAYA_NOTIFY_ATTEMPTS", cls.attempts),
            batch=_count(get("HIMAYA_NOTIFY_BATCH"), "HIMAYA_NOTIFY_BATCH", cls.batch),
        )


@dataclass(frozen=True)
class Settings:
    """Every setting, with its environment variable; `None` where the default is decided elsewhere."""

    database_url: str | None = None  # HIMAYA_DATABASE_URL; an SQLite file in the user's data folder otherwise
    actor: str | None = None  # HIMAYA_ACTOR: who acts at the command line when nobody logged in
    credentials: Path | None = None  # HIMAYA_CREDENTIALS: the file `himaya login` keeps its credential in
    password: str | None = field(default=None, repr=False)  # HIMAYA_PASSWORD: for `himaya login` in scripts
    pack: str = "oman"  # HIMAYA_PACK: the policy pack
    pack_given: bool = False  # HIMAYA_PACK is set (else a registry's commands follow the pack it recorded)
    signing_key: str | None = None  # HIMAYA_SIGNING_KEY: token signing key (else kept in the database)
    bank_files: Path = Path("himaya-bank-files")  # HIMAYA_BANK_FILES: where the service writes bank files
    payer_name: str | None = None  # HIMAYA_PAYER_NAME
    payer_iban: str | None = None  # HIMAYA_PAYER_IBAN
    payer_bic: str | None = None  # HIMAYA_PAYER_BIC
    trusted_proxies: tuple[str, ...] = ()  # HIMAYA_TRUSTED_PROXIES: addresses whose X-Forwarded-For is believed
    # HIMAYA_AUDIT_KEY: keys the audit chain, its checkpoints and its pseudonyms (else kept in the database);
    # HIMAYA_AUDIT_PREVIOUS_KEYS: earlier ones, comma-separated, that older entries still verify with.
    audit_key: str | None = None
    audit_previous_keys: tuple[str, ...] = ()
    audit_checkpoints: Path | None = None  # HIMAYA_AUDIT_CHECKPOINTS: the file signed checkpoints go to
    max_body: int = 1 << 20  # HIMAYA_MAX_BODY: bytes of a request body (JSON, forms)
    max_upload: int = 64 << 20  # HIMAYA_MAX_UPLOAD: bytes of an uploaded file (a bank's answer file)
    evidence_max_bytes: int = 10 << 20  # HIMAYA_EVIDENCE_MAX_BYTES: bytes of one evidence file of a case
    evidence_dir: Path | None = None  # HIMAYA_EVIDENCE_DIR: where evidence is stored (default: the user's data folder)
    registry_days_ahead: int = 366  # HIMAYA_REGISTRY_DAYS_AHEAD: how far ahead a registry change may be dated
    # HIMAYA_OPENCRVS_WEBHOOK_SECRET: the SHA secret OpenCRVS gave Himaya's webhook client; when set, every
    # delivery to POST /events/opencrvs must carry its HMAC (X-Hub-Signature), or it is refused (401)
    opencrvs_webhook_secret: str | None = field(default=None, repr=False)
    events_every: int = (
        0  # HIMAYA_EVENTS_EVERY: `himaya serve` applies the life-events inbox every N seconds (0: no worker)
    )
    web_idle_minutes: int = 30  # HIMAYA_WEB_IDLE_MINUTES: a front-office session ends after this long without a page
    # DCI partners' limits (a partner's own terms, `himaya partners set`, take precedence for the volume ones)
    dci_max_requests: int = 20  # HIMAYA_DCI_MAX_REQUESTS: search requests in one message
    dci_max_records: int = 500  # HIMAYA_DCI_MAX_RECORDS: records one message may ask for (its page sizes summed)
    dci_per_minute: int = 120  # HIMAYA_DCI_PER_MINUTE: search requests a partner may make in a minute
    dci_retention_days: int = 7  # HIMAYA_DCI_RETENTION_DAYS: how long answers stay fetchable by txn/status
    dci_callback_attempts: int = 4  # HIMAYA_DCI_CALLBACK_ATTEMPTS: deliveries of an async answer
    dci_notify_every: int = 0  # HIMAYA_DCI_NOTIFY_EVERY: `himaya serve` sends DCI notifications every N s (0: no)
    # HIMAYA_DCI_SIGNING_KEY: a PEM file, the Ed25519 private key DCI answers are signed with (else kept in the store)
    dci_signing_key: Path | None = None
    notify: NotifySettings = NotifySettings()  # HIMAYA_SMS_*, HIMAYA_SMTP_*, HIMAYA_NOTIFY_*
    # HIMAYA_DASK_SCHEDULER: the Dask scheduler (tcp://host:8786) that datasets' commands run on (docs/scale.md)
    dask_scheduler: str | None = None

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
        audit_keys = (get("HIMAYA_AUDIT_KEY"), *_names(get("HIMAYA_AUDIT_PREVIOUS_KEYS")))
        if any(k is not None and len(k) < MIN_AUDIT_KEY for k in audit_keys):
            raise UsageError(f"HIMAYA_AUDIT_KEY and HIMAYA_AUDIT_PREVIOUS_KEYS need {MIN_AUDIT_KEY} characters a key")
        checkpoints = get("HIMAYA_AUDIT_CHECKPOINTS")
        if "HIMAYA_ACTOR" in env and not env["HIMAYA_ACTOR"].strip():  # not the OS user behind one's back
            raise UsageError("HIMAYA_ACTOR is set but blank: set it to who acts, or unset it")
        return cls(
            database_url=get("HIMAYA_DATABASE_URL"),
            actor=get("HIMAYA_ACTOR"),
            credentials=Path(found) if (found := get("HIMAYA_CREDENTIALS")) else None,
            password=get("HIMAYA_PASSWORD"),
            pack=get("HIMAYA_PACK") or "oman",
            pack_given=get("HIMAYA_PACK") is not None,
            signing_key=key,
            bank_files=Path(get("HIMAYA_BANK_FILES") or "himaya-bank-files"),
            payer_name=get("HIMAYA_PAYER_NAME"),
            payer_iban=get("HIMAYA_PAYER_IBAN"),
            payer_bic=get("HIMAYA_PAYER_BIC"),
            trusted_proxies=_names(get("HIMAYA_TRUSTED_PROXIES")),
            audit_key=audit_keys[0],
            audit_previous_keys=tuple(k for k in audit_keys[1:] if k),
            audit_checkpoints=Path(checkpoints) if checkpoints else None,
            max_body=_bytes(get("HIMAYA_MAX_BODY"), "HIMAYA_MAX_BODY", cls.max_body),
            max_upload=_bytes(get("HIMAYA_MAX_UPLOAD"), "HIMAYA_MAX_UPLOAD", cls.max_upload),
            evidence_max_bytes=_bytes(get("HIMAYA_EVIDENCE_MAX_BYTES"), "HIMAYA_EVIDENCE_MAX_BYTES", 10 << 20),
            evidence_dir=Path(evidence) if (evidence := get("HIMAYA_EVIDENCE_DIR")) else None,
            registry_days_ahead=_days(get("HIMAYA_REGISTRY_DAYS_AHEAD")),
            opencrvs_webhook_secret=get("HIMAYA_OPENCRVS_WEBHOOK_SECRET"),
            events_every=_seconds(get("HIMAYA_EVENTS_EVERY"), "HIMAYA_EVENTS_EVERY", 0),
            web_idle_minutes=_count(get("HIMAYA_WEB_IDLE_MINUTES"), "HIMAYA_WEB_IDLE_MINUTES", 30),
            dci_max_requests=_count(get("HIMAYA_DCI_MAX_REQUESTS"), "HIMAYA_DCI_MAX_REQUESTS", 20),
            dci_max_records=_count(get("HIMAYA_DCI_MAX_RECORDS"), "HIMAYA_DCI_MAX_RECORDS", 500),
            dci_per_minute=_count(get("HIMAYA_DCI_PER_MINUTE"), "HIMAYA_DCI_PER_MINUTE", 120),
            dci_retention_days=_count(get("HIMAYA_DCI_RETENTION_DAYS"), "HIMAYA_DCI_RETENTION_DAYS", 7),
            dci_callback_attempts=_count(get("HIMAYA_DCI_CALLBACK_ATTEMPTS"), "HIMAYA_DCI_CALLBACK_ATTEMPTS", 4),
            dci_notify_every=_seconds(get("HIMAYA_DCI_NOTIFY_EVERY"), "HIMAYA_DCI_NOTIFY_EVERY", 0),
            dci_signing_key=Path(dci_key) if (dci_key := get("HIMAYA_DCI_SIGNING_KEY")) else None,
            notify=NotifySettings.read(get),
            dask_scheduler=get("HIMAYA_DASK_SCHEDULER"),
        )
