"""Logging in, and the tokens an attacker might try: forged, expired, replayed, outdated."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from fastapi.testclient import TestClient

from himaya.api.app import create_app
from himaya.api.security import AUDIENCE, ISSUER, TokenSettings
from himaya.bootstrap import hash_password
from himaya.core.access import Scope
from himaya.db import access
from tests.api.conftest import KEY, PASSWORD, World, expired_settings


def _me(world: World, token: str) -> int:
    return world.client.get("/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code


def _claims(**changes: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "registrar",
        "ver": 2,
        "typ": "access",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": "x",
    }
    return claims | changes


def test_a_good_login_gives_tokens_that_work(world: World) -> None:
    tokens = world.login("registrar")
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 900
    assert _me(world, str(tokens["access_token"])) == 200


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        jwt.encode(_claims(), "another-key-of-sufficient-length-000", algorithm="HS256"),  # wrong key
        jwt.encode(_claims(), KEY, algorithm="HS512"),  # another algorithm
        jwt.encode(_claims(aud="someone-else"), KEY, algorithm="HS256"),
        jwt.encode(_claims(iss="someone-else"), KEY, algorithm="HS256"),
        jwt.encode(_claims(typ="refresh"), KEY, algorithm="HS256"),
        jwt.encode(_claims(exp=int(time.time()) - 10), KEY, algorithm="HS256"),  # expired
        jwt.encode(_claims(sub="no-such-user"), KEY, algorithm="HS256"),
        jwt.encode(_claims(ver=1), KEY, algorithm="HS256"),  # issued before the user's last grant
    ],
    ids=["garbage", "wrong-key", "hs512", "audience", "issuer", "type", "expired", "unknown-user", "old-version"],
)
def test_forged_or_stale_tokens_are_refused(world: World, token: str) -> None:
    assert _me(world, token) == 401


def test_unsigned_and_tampered_tokens_are_refused(world: World) -> None:
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(json.dumps(_claims()).encode()).rstrip(b"=").decode()
    assert _me(world, f"{header}.{body}.") == 401
    genuine = str(world.login("case_worker")["access_token"])
    head, payload, signature = genuine.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "supervisor"  # another user's rights, with the case worker's signature
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert _me(world, f"{head}.{forged}.{signature}") == 401


def test_expired_access_tokens_are_refused(world: World) -> None:
    settings = expired_settings()
    token = jwt.encode(_claims(exp=int(time.time()) - 1), settings.key, algorithm="HS256")
    response = world.client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]


def test_refresh_rotates_and_a_replayed_refresh_token_revokes_the_chain(world: World) -> None:
    first = world.login("supervisor")
    grant = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    renewed = world.client.post("/auth/token", data=grant)
    assert renewed.status_code == 200
    assert _me(world, renewed.json()["access_token"]) == 200
    replay = world.client.post("/auth/token", data=grant)  # the first refresh token again: stolen?
    assert replay.status_code == 401 and replay.json()["error"]["code"] == "invalid_grant"
    # ...so the legitimate successor is revoked too: the thief cannot outlive the owner's session.
    after = world.client.post(
        "/auth/token", data={"grant_type": "refresh_token", "refresh_token": renewed.json()["refresh_token"]}
    )
    assert after.status_code == 401
    unknown = world.client.post("/auth/token", data={"grant_type": "refresh_token", "refresh_token": "made-up"})
    assert unknown.status_code == 401


def test_logout_ends_access_and_refresh_tokens(world: World) -> None:
    tokens = world.login("case_worker")
    token = str(tokens["access_token"])
    assert world.client.post("/auth/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert _me(world, token) == 401
    refreshed = world.client.post(
        "/auth/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 401
    world.tokens["case_worker"] = str(world.login("case_worker")["access_token"])  # for the tests after


def test_a_deactivated_user_or_a_changed_grant_ends_the_tokens(world: World) -> None:
    access.create_user(world.engine, "temp.user", hash_password(PASSWORD), actor="test")
    access.grant(world.engine, "temp.user", roles=["registrar"], scopes=[Scope("all")], actor="test")
    tokens = world.login("temp.user")
    token = str(tokens["access_token"])
    assert _me(world, token) == 200
    access.grant(world.engine, "temp.user", roles=["case_worker"], scopes=[], actor="test", replace=True)
    assert _me(world, token) == 401  # the grant changed: log in again to get the new rights
    # ...and the login's refresh token ends with it (an outside attack refreshed past a changed grant)
    refreshed = world.client.post(
        "/auth/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 401
    token = str(world.login("temp.user")["access_token"])
    access.set_active(world.engine, "temp.user", False, actor="test")
    assert _me(world, token) == 401
    refused = world.client.post(
        "/auth/token", data={"grant_type": "password", "username": "temp.user", "password": PASSWORD}
    )
    assert refused.status_code == 401


def test_wrong_passwords_and_wrong_kinds_are_refused_alike(world: World) -> None:
    for data in (
        {"grant_type": "password", "username": "auditor", "password": "wrong-password-1"},
        {"grant_type": "password", "username": "no.such.user", "password": PASSWORD},
        {"grant_type": "password", "username": "partner", "password": PASSWORD},  # a client is no person
        {"grant_type": "client_credentials", "client_id": "auditor", "client_secret": PASSWORD},
    ):
        response = world.client.post("/auth/token", data=data)
        assert response.status_code == 401, data
        assert response.json()["error"]["message"] == "wrong user name or password"
    bad = world.client.post("/auth/token", data={"grant_type": "implicit"})
    assert bad.status_code == 422 and bad.json()["error"]["fields"][0]["field"] == "body.grant_type"


def test_logins_are_throttled(world: World) -> None:
    access.create_user(world.engine, "target.user", hash_password(PASSWORD), actor="test")
    for _ in range(5):
        wrong = {"grant_type": "password", "username": "target.user", "password": "guess-guess-123"}
        assert world.client.post("/auth/token", data=wrong).status_code == 401
    right = {"grant_type": "password", "username": "target.user", "password": PASSWORD}
    blocked = world.client.post("/auth/token", data=right)  # even the right password, for a while
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0


def test_a_new_service_makes_and_keeps_its_signing_key(world: World) -> None:
    first, second = access.signing_key(world.engine), access.signing_key(world.engine)
    assert first == second and len(first) >= 48
    app = create_app(world.engine, tokens=TokenSettings(key=first))
    client = TestClient(app)
    token = client.post("/auth/token", data={"grant_type": "password", "username": "auditor", "password": PASSWORD})
    assert (
        client.get("/auth/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"}).status_code == 200
    )
    # ...and a token of the test service (another key) is worthless there.
    assert client.get("/auth/me", headers=world.headers("auditor")).status_code == 401


def test_a_signing_key_from_the_environment(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIMAYA_SIGNING_KEY", "k" * 40)
    client = TestClient(create_app(world.engine))
    token = client.post("/auth/token", data={"grant_type": "password", "username": "admin", "password": PASSWORD})
    claims = jwt.decode(token.json()["access_token"], "k" * 40, algorithms=["HS256"], audience=AUDIENCE)
    assert claims["sub"] == "admin"
    monkeypatch.setenv("HIMAYA_SIGNING_KEY", "short")
    with pytest.raises(Exception, match="at least 32 characters"):
        create_app(world.engine)
