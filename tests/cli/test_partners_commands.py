"""`himaya partners set` and `list`: a partner's DCI terms registered, shown, audited; refusals
with the exit status of their category."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from sqlalchemy import select
from typer.testing import CliRunner, Result

from himaya import bootstrap
from himaya.cli.main import app
from himaya.db.engine import connect
from himaya.db.tables import audit_entry
from himaya.registry.partners import RecordEvent, Subscription, SubscriptionStatus


def himaya(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'himaya.db'}"
    monkeypatch.setenv("HIMAYA_DATABASE_URL", url)
    assert himaya("db", "upgrade").exit_code == 0
    made = himaya("users", "create", "mol", "--client", "--role", "partner", "--branch", "all", "--generate-password")
    assert made.exit_code == 0, made.stderr
    return url


def test_partners_set_and_list(store: str) -> None:
    uri = "https://dci.mol.example/on-search"
    done = himaya("partners", "set", "mol", "--sender-id", "mol.gov", "--callback", uri, "--per-minute", "30")
    assert done.exit_code == 0, done.stderr
    assert done.stdout.strip() == (
        f"partner mol: sender id mol.gov; callbacks: {uri}; max records a message: 500 (default); "
        "search requests a minute: 30; signing keys: none (unsigned messages accepted)"
    )
    assert himaya("partners", "set", "mol", "--remove-callback", uri).exit_code == 0
    listed = himaya("partners", "list")
    assert "callbacks: none (no async answers)" in listed.stdout and "sender id mol.gov" in listed.stdout
    engine = connect(store)
    with engine.connect() as connection:
        subjects = connection.execute(select(audit_entry.c.subject).where(audit_entry.c.action == "dci.partner"))
        assert list(subjects.scalars()) == ["client:mol", "client:mol"]
    engine.dispose()


@pytest.mark.parametrize(
    ("args", "status", "says"),
    [
        (("partners", "set", "mol"), 2, "give one of --callback"),
        (("partners", "set", "mol", "--callback", "ftp://x/y"), 2, "http:// or https://"),
        (("partners", "set", "mol", "--per-minute", "0"), 2, "not 1 to 1,000,000"),
        (("partners", "set", "nobody", "--callback", "https://x/y"), 3, "no partner system"),
        (("partners", "set", "mol", "--remove-callback", "https://x/y"), 3, "is not registered"),
    ],
)
def test_partners_set_refusals(store: str, args: tuple[str, ...], status: int, says: str) -> None:
    refused = himaya(*args)
    assert refused.exit_code == status and says in refused.stderr


def _keys(tmp_path: Path) -> tuple[Path, Path, Path]:
    key = Ed25519PrivateKey.generate()
    public = tmp_path / "mol.pem"
    public.write_bytes(key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    private = tmp_path / "mol-private.pem"
    private.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    jwk = tmp_path / "mol.jwk"
    x = base64.urlsafe_b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).rstrip(b"=")
    jwk.write_text(json.dumps({"kty": "OKP", "crv": "Ed25519", "x": x.decode(), "kid": "mol-2026"}))
    return public, private, jwk


def test_partners_signing_keys(store: str, tmp_path: Path) -> None:
    """A partner's public keys registered from PEM and JWK files (the JWK's kid, else the RFC 7638
    thumbprint), listed, removed; a private key, a bad file, a key registered twice refused."""
    public, private, jwk = _keys(tmp_path)
    done = himaya("partners", "set", "mol", "--key", str(public))
    assert done.exit_code == 0, done.stderr
    thumbprint = done.stdout.strip().rsplit("signing keys: ", 1)[1]
    assert len(thumbprint) == 43  # base64url of a SHA-256
    both = himaya("partners", "set", "mol", "--key", str(jwk))
    assert both.stdout.strip().endswith(f"signing keys: {', '.join(sorted([thumbprint, 'mol-2026']))}")
    again = himaya("partners", "set", "mol", "--key", str(public))
    assert again.exit_code == 2 and "is registered for 'mol' already" in again.stderr
    refused = himaya("partners", "set", "mol", "--key", str(private))
    assert refused.exit_code == 2 and "private key: register only the partner's public key" in refused.stderr
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key")
    bad = himaya("partners", "set", "mol", "--key", str(junk))
    assert bad.exit_code == 2 and f"--key {junk}: not a PEM public key" in bad.stderr
    assert himaya("partners", "set", "mol", "--remove-key", "mol-2026").exit_code == 0
    assert himaya("partners", "list").stdout.strip().endswith(f"signing keys: {thumbprint}")
    gone = himaya("partners", "set", "mol", "--remove-key", "mol-2026")
    assert gone.exit_code == 3 and "key 'mol-2026' is not registered" in gone.stderr


def test_partners_callback_token(store: str, tmp_path: Path) -> None:
    """Our credentials at the partner's token endpoint: the three options together; the secret read
    from its file, never shown or audited."""
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret-at-the-ministry\n")
    url = "https://dci.mol.example/oauth2/client/token"
    args = ("--callback-token-url", url, "--callback-client-id", "himaya.spf", "--callback-secret-file", str(secret))
    done = himaya("partners", "set", "mol", *args)
    assert done.exit_code == 0, done.stderr
    assert done.stdout.strip().endswith(f"callback token from {url} as himaya.spf") and "s3cret" not in done.stdout
    alone = himaya("partners", "set", "mol", "--callback-token-url", url)
    assert alone.exit_code == 2 and "together" in alone.stderr
    ftp = himaya("partners", "set", "mol", *args[:0], "--callback-token-url", "ftp://x/y", *args[2:])
    assert ftp.exit_code == 2 and "http:// or https://" in ftp.stderr
    engine = connect(store)
    with engine.connect() as connection:
        audited = connection.execute(select(audit_entry.c.after).where(audit_entry.c.action == "dci.partner"))
        assert all("s3cret" not in str(a) for a in audited.scalars())
    engine.dispose()


def test_partners_subscriptions_lists_the_partners_own(store: str) -> None:
    at = datetime(2026, 1, 5, 9, tzinfo=UTC)
    kept = Subscription(
        "sub-1", "mol", "ref-1", RecordEvent.DEATH, "Death", "predicate", '[{"seq_num":1}]', "{}", "SRPerson",
        "https://dci.mol.example/notify", SubscriptionStatus.SUBSCRIBE, at,
    )  # fmt: skip
    engine = connect(store)
    with bootstrap.unit_of_work(engine) as uow:
        uow.subscriptions.add(kept, "c-1")
        uow.commit()
    engine.dispose()
    listed = himaya("partners", "subscriptions", "mol")
    assert listed.exit_code == 0, listed.stderr
    assert listed.stdout.strip() == (
        'sub-1 subscribe Death (death) predicate [{"seq_num":1}] -> https://dci.mol.example/notify'
        " since 2026-01-05T09:00:00+00:00"
    )
    assert himaya("partners", "subscriptions", "nobody").exit_code == 3
    sent = himaya("partners", "notify")  # nothing queued: nothing sent (tests/api/dci/test_notify.py sends)
    assert sent.exit_code == 0 and sent.stdout == "", sent.stderr
