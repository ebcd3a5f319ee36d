"""Key rotation with overlap (issue 22's trust leftovers), on SQLite and PostgreSQL. Ours: `himaya keys
rotate` makes new keys, the JWKS lists old and new (distinct kid) until the old retire, messages are
signed with the newest, a message encrypted to the old key decrypts during the overlap and not
after. A partner's: a second key registered before the first is retired; a message signed with
the old one verifies until its retirement time, not after."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from openapi_schema_validator import OAS30Validator
from sqlalchemy import select, update
from yaml import safe_load

from himaya import bootstrap
from himaya.adapters.dci.onboarding import set_partner
from himaya.adapters.dci.signing import read_key
from himaya.bootstrap import dci_keys
from himaya.bootstrap.dci import RING
from himaya.db.tables import audit_entry, service_setting
from tests.api.conftest import World
from tests.api.dci.support import EXTERNAL, SENDER, need_shared
from tests.api.dci.test_encryption import ENC_KEY, partner
from tests.api.dci.test_trust import _post, _search, _verifies, _written, signed

OLD, NEW = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()  # a partner's key, and the one after


def _public(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")


OLD_KEY, NEW_KEY = read_key(_public(OLD)), read_key(_public(NEW))


@pytest.fixture
def ring(world: World) -> Iterator[Any]:
    """The service's ring as it was restored after the test (the module's other tests see one key
    of each use); the application's key source, read again."""
    with world.engine.connect() as connection:
        before = connection.execute(select(service_setting.c.value).where(service_setting.c.name == RING)).scalar()
    keys = world.client.app.state.dci_keys  # type: ignore[attr-defined]
    yield keys
    with world.engine.begin() as connection:
        connection.execute(update(service_setting).where(service_setting.c.name == RING).values(value=before))
    keys.refresh()


def _jwks(world: World) -> list[dict[str, Any]]:
    answer = world.client.get("/.well-known/jwks.json")
    assert answer.status_code == 200
    keys: list[dict[str, Any]] = answer.json()["keys"]
    return keys


def _kid(body: dict[str, Any]) -> str:
    return str(body["signature"].split('kidId="', 1)[1].split("|")[1])


def test_issue22_our_keys_rotate_with_an_overlap(world: World, ring: Any) -> None:
    need_shared()
    settings = world.client.app.state.settings  # type: ignore[attr-defined]
    answered_before = _post(world, "/registry/sync/search", _search(world)).json()
    (old_sig, old_enc) = _jwks(world)
    dci_keys.rotate(world.engine, settings, ["sig", "enc"], timedelta(days=7), actor="admin")
    ring.refresh()
    published = _jwks(world)
    spec = safe_load((EXTERNAL / "spdci-standards/release/yaml/jwks_core_api_v1.0.0.yaml").read_text())
    document = {"keys": published}
    assert list(OAS30Validator({**spec, "$ref": "#/components/schemas/JWKSResponse"}).iter_errors(document)) == []
    assert [k["use"] for k in published] == ["sig", "sig", "enc", "enc"] and len({k["kid"] for k in published}) == 4
    new_sig, new_enc = published[0], published[2]  # newest first
    assert published[1] == old_sig and published[3] == old_enc
    answered = _post(world, "/registry/sync/search", _search(world)).json()
    assert _kid(answered) == new_sig["kid"] and _verifies(world, answered)  # signed with the newest
    assert _kid(answered_before) == old_sig["kid"] and _verifies(world, answered_before)  # the old still in the JWKS
    for key in (old_enc, new_enc):  # a message encrypted to either is read during the overlap
        answer = _post(world, "/registry/sync/search", partner.encrypt(_search(world), key))
        assert answer.status_code == 200 and answer.json()["header"]["status"] == "succ", answer.text
    for kid in (old_sig["kid"], old_enc["kid"]):
        dci_keys.retire(world.engine, settings, kid, actor="admin")
    ring.refresh()
    assert [k["kid"] for k in _jwks(world)] == [new_sig["kid"], new_enc["kid"]]
    with pytest.raises(KeyError):  # the old signing key is no longer published: its signatures do not verify
        _verifies(world, answered_before)
    before = _written(world)
    refused = _post(world, "/registry/sync/search", partner.encrypt(_search(world), old_enc))
    assert refused.status_code == 400 and "is not one of our encryption keys" in refused.text
    assert _written(world) == before
    with world.engine.connect() as connection:
        rows = connection.execute(
            select(audit_entry.c.action, audit_entry.c.after).where(audit_entry.c.action.like("dci.keys.%"))
        ).all()
    assert {r.action for r in rows} == {"dci.keys.rotate", "dci.keys.retire"}
    assert all("PRIVATE" not in json.dumps(r.after) for r in rows)  # ids, uses and times: never a private half


def test_issue22_retiring_the_only_signing_key_is_refused(world: World, ring: Any) -> None:
    settings = world.client.app.state.settings  # type: ignore[attr-defined]
    sig = _jwks(world)[0]["kid"]
    with pytest.raises(Exception, match="is the only signing key"):
        dci_keys.retire(world.engine, settings, sig, actor="admin")
    with pytest.raises(Exception, match="no key 'nothing' that is not retired"):
        dci_keys.retire(world.engine, settings, "nothing", actor="admin")


def test_issue22_a_partners_old_key_verifies_until_it_is_retired(world: World) -> None:
    uow = bootstrap.unit_of_work
    set_partner(uow(world.engine), "partner", add_keys=[OLD_KEY], actor="admin")
    try:
        set_partner(uow(world.engine), "partner", add_keys=[NEW_KEY], actor="admin")  # the second, before retiring
        for key, kid in ((OLD, OLD_KEY.key_id), (NEW, NEW_KEY.key_id)):
            assert _post(world, "/registry/sync/search", signed(_search(world), key, kid=kid)).status_code == 200
        later = datetime.now(UTC) + timedelta(hours=1)
        terms = set_partner(uow(world.engine), "partner", retire_keys=[(OLD_KEY.key_id, later)], actor="admin")
        assert f"sig:{OLD_KEY.key_id} until {later.isoformat(timespec='seconds')}" in terms.key_notes
        old = signed(_search(world), OLD, kid=OLD_KEY.key_id)
        assert _post(world, "/registry/sync/search", old).status_code == 200  # within the overlap
        past = datetime.now(UTC) - timedelta(seconds=1)
        set_partner(uow(world.engine), "partner", retire_keys=[(OLD_KEY.key_id, past)], actor="admin")
        before = _written(world)
        refused = _post(world, "/registry/sync/search", signed(_search(world), OLD, kid=OLD_KEY.key_id))
        assert refused.status_code == 401, refused.text
        why = refused.json()["header"]["status_reason_message"]
        assert why.startswith("err.signature.invalid") and f"key {OLD_KEY.key_id!r} was retired at" in why
        assert _written(world) == before
        fresh = signed(_search(world), NEW, kid=NEW_KEY.key_id)
        assert _post(world, "/registry/sync/search", fresh).status_code == 200
        with pytest.raises(Exception, match="is not registered for 'partner'"):
            set_partner(uow(world.engine), "partner", retire_keys=[("nothing", past)], actor="admin")
    finally:
        set_partner(uow(world.engine), "partner", remove_keys=[OLD_KEY.key_id, NEW_KEY.key_id], actor="admin")


def test_issue22_an_encryption_key_is_not_a_signing_key(world: World) -> None:
    """A partner with only an encryption key registered still sends unsigned messages (its token
    authenticates it), and its encryption key never verifies a signature."""
    uow = bootstrap.unit_of_work
    set_partner(uow(world.engine), "partner", add_keys=[ENC_KEY], actor="admin")
    try:
        assert _post(world, "/registry/sync/search", _search(world)).status_code == 200
        forged = signed(_search(world), OLD, kid=ENC_KEY.key_id, sender=SENDER)
        answer = _post(world, "/registry/sync/search", forged)
        assert answer.status_code == 401 and f"no key {ENC_KEY.key_id!r}" in answer.text
    finally:
        set_partner(uow(world.engine), "partner", remove_keys=[ENC_KEY.key_id], actor="admin")
