"""`himaya keys list|rotate|retire` (the service's DCI keys) and `himaya partners set --enc-key`,
`--retire-key`, `--retire-at` (a partner's): what they print, what they refuse, with the exit status of
the refusal's category."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from typer.testing import CliRunner, Result

from himaya.cli.main import app


def himaya(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'himaya.db'}"
    monkeypatch.setenv("HIMAYA_DATABASE_URL", url)
    monkeypatch.delenv("HIMAYA_DCI_SIGNING_KEY", raising=False)
    assert himaya("db", "upgrade").exit_code == 0
    made = himaya("users", "create", "mol", "--client", "--role", "partner", "--branch", "all", "--generate-password")
    assert made.exit_code == 0, made.stderr
    return url


def _lines(result: Result) -> list[list[str]]:
    assert result.exit_code == 0, result.stderr
    return [line.split() for line in result.stdout.strip().splitlines()]


def test_keys_rotate_and_retire(store: str) -> None:
    first = _lines(himaya("keys", "list"))
    assert [(r[1], r[2], r[-1]) for r in first] == [("sig", "EdDSA", "active"), ("enc", "RSA-OAEP-256", "active")]
    rotated = _lines(himaya("keys", "rotate", "--use", "sig", "--overlap-days", "2"))
    assert len(rotated) == 3 and len({r[0] for r in rotated}) == 3
    old = next(r for r in rotated if r[0] == first[0][0])
    assert old[-3] == "active" and old[-2] == "until"  # published for the overlap, with its end
    retired = _lines(himaya("keys", "retire", first[0][0]))
    assert next(r for r in retired if r[0] == first[0][0])[-3] == "retired"
    again = himaya("keys", "retire", first[0][0])
    assert again.exit_code == 2 and "that is not retired" in again.stderr
    only_enc = himaya("keys", "retire", first[1][0])  # partners could no longer encrypt to Himaya
    assert only_enc.exit_code == 2 and "is the only encryption key: `himaya keys rotate --use enc` first" in (
        only_enc.stderr
    )
    wrong = himaya("keys", "rotate", "--use", "both")
    assert wrong.exit_code == 2 and "--use 'both': sig or enc" in wrong.stderr
    both = _lines(himaya("keys", "rotate"))
    assert len(both) == 5


def test_keys_rotate_refuses_a_signing_key_from_a_file(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pem = tmp_path / "dci.pem"
    pem.write_bytes(Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    monkeypatch.setenv("HIMAYA_DCI_SIGNING_KEY", str(pem))
    refused = himaya("keys", "rotate", "--use", "sig")
    assert refused.exit_code == 2 and "HIMAYA_DCI_SIGNING_KEY" in refused.stderr
    assert himaya("keys", "rotate", "--use", "enc").exit_code == 0  # the encryption key is the ring's


def test_partners_encryption_keys_and_retirement(store: str, tmp_path: Path) -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = tmp_path / "mol-enc.pem"
    public.write_bytes(rsa_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    done = himaya("partners", "set", "mol", "--enc-key", str(public))
    assert done.exit_code == 0, done.stderr
    assert "signing keys: none (unsigned messages accepted); encryption keys: " in done.stdout
    kid = done.stdout.strip().rsplit("encryption keys: ", 1)[1]
    ec_key = tmp_path / "mol-ec.pem"
    ec_key.write_bytes(
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    assert himaya("partners", "set", "mol", "--enc-key", str(ec_key)).exit_code == 0
    private = tmp_path / "mol-private.pem"
    private.write_bytes(rsa_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    refused = himaya("partners", "set", "mol", "--enc-key", str(private))
    assert refused.exit_code == 2 and f"--enc-key {private}: this is a private key" in refused.stderr
    small = tmp_path / "small.pem"
    small.write_bytes(
        rsa.generate_private_key(public_exponent=65537, key_size=1024)
        .public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    weak = himaya("partners", "set", "mol", "--enc-key", str(small))
    assert weak.exit_code == 2 and "an RSA key of 1024 bits: at least 2048" in weak.stderr
    retired = himaya("partners", "set", "mol", "--retire-key", kid, "--retire-at", "2030-01-01T00:00:00+04:00")
    assert retired.exit_code == 0 and f"{kid} until 2029-12-31T20:00:00+00:00" in retired.stdout
    zoneless = himaya("partners", "set", "mol", "--retire-key", kid, "--retire-at", "2030-01-01T00:00:00")
    assert zoneless.exit_code == 2 and "give its zone" in zoneless.stderr
    alone = himaya("partners", "set", "mol", "--retire-at", "2030-01-01T00:00:00Z")
    assert alone.exit_code == 2 and "--retire-at goes with --retire-key" in alone.stderr
    unknown = himaya("partners", "set", "mol", "--retire-key", "nothing")
    assert unknown.exit_code == 3 and "key 'nothing' is not registered for 'mol'" in unknown.stderr


def test_once_there_is_an_administrator_the_keys_and_partners_need_one_logged_in(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An outside attack rotated the service's DCI keys as a case worker, then logged out: anyone at
    the terminal could change what partners encrypt to and verify, or register a key for the civil
    registry's client and sign its notifications. Like the users', these commands are an
    administrator's, once the store has one (a new store has none: it is being set up)."""
    monkeypatch.setenv("HIMAYA_CREDENTIALS", str(tmp_path / "credentials.json"))
    monkeypatch.setenv("HIMAYA_PASSWORD", "the admin's password 1")
    assert himaya("users", "create", "root", "--role", "admin", "--branch", "all").exit_code == 0
    monkeypatch.setenv("HIMAYA_PASSWORD", "a case worker's password 1")
    assert (
        himaya("users", "create", "wafa", "--role", "case_worker", "--branch", "all", "--actor", "root").exit_code == 5
    )
    before = himaya("keys", "list").stdout
    key = tmp_path / "mol.pem"
    key.write_bytes(
        Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    refused = [
        ("keys", "rotate"),
        ("keys", "retire", before.split()[0]),
        ("partners", "set", "mol", "--key", str(key)),
        ("partners", "purge"),
    ]
    for args in refused:
        answer = himaya(*args)
        assert answer.exit_code == 5, (args, answer.stdout, answer.stderr)
        assert himaya(*args, "--actor", "mol").exit_code == 5, args  # naming someone is no login
    assert himaya("keys", "list").stdout == before
    assert "key" not in himaya("partners", "list").stdout
    monkeypatch.setenv("HIMAYA_PASSWORD", "the admin's password 1")
    assert himaya("login", "root").exit_code == 0
    assert himaya("keys", "rotate", "--use", "sig").exit_code == 0
    assert himaya("partners", "set", "mol", "--key", str(key)).exit_code == 0
