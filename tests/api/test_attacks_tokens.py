"""Issue 12, tokens and logins (items 6, 7, 9, 17): each attack as it was made, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from himaya import bootstrap
from himaya.access import actions
from himaya.access.model import LoginRefusedError, ThrottledError, UserKind
from himaya.access.rules import Throttle
from himaya.api.app import create_app
from himaya.api.security import AUDIENCE, ISSUER, TokenSettings
from himaya.bootstrap import hash_password
from himaya.db import access
from himaya.db.tables import app_user, audit_entry, refresh_token
from tests.api.conftest import KEY, PASSWORD, World


def _me(world: World, token: str) -> int:
    return world.client.get("/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code


def _refresh(client: TestClient, token: str) -> tuple[int, dict[str, str]]:
    answer = client.post("/auth/token", data={"grant_type": "refresh_token", "refresh_token": token})
    return answer.status_code, answer.json()


def _user(world: World, name: str) -> str:
    access.create_user(world.engine, name, hash_password(PASSWORD), actor="test")
    return name


# --- item 6: a detected replay ends the access tokens of that login ----------------------------


def test_a_replayed_refresh_token_ends_every_access_token_of_the_login(world: World) -> None:
    name = _user(world, "replay.victim")
    first = world.login(name)
    a0, r0 = str(first["access_token"]), str(first["refresh_token"])
    status, second = _refresh(world.client, r0)
    assert status == 200
    status, third = _refresh(world.client, second["refresh_token"])
    assert status == 200
    a1, a2 = second["access_token"], third["access_token"]
    assert [_me(world, t) for t in (a0, a1, a2)] == [200, 200, 200]
    status, replay = _refresh(world.client, r0)  # the first refresh token again: a stolen copy
    assert status == 401 and "revoked" in replay["error"]["message"]
    assert [_me(world, t) for t in (a0, a1, a2)] == [401, 401, 401]
    assert _refresh(world.client, third["refresh_token"])[0] == 401
    assert _me(world, str(world.login(name)["access_token"])) == 200  # the owner logs in again


# --- item 7: eight refreshes at once with one refresh token ------------------------------------


def test_a_refresh_token_is_spent_exactly_once_under_concurrency(world: World) -> None:
    name = _user(world, "race.user")
    tokens = world.login(name)
    barrier = threading.Barrier(8)
    answers: list[tuple[int, dict[str, str]]] = []

    def spend() -> None:
        client = TestClient(world.client.app)
        barrier.wait()
        answers.append(_refresh(client, str(tokens["refresh_token"])))

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    won = [body for status, body in answers if status == 200]
    assert len(won) == 1, sorted(status for status, _ in answers)
    assert sorted(status for status, _ in answers) == [200] + [401] * 7
    # The replays revoked the login: the winner's successor and access token end with it.
    assert _refresh(world.client, won[0]["refresh_token"])[0] == 401
    assert _me(world, won[0]["access_token"]) == 401
    assert _me(world, str(tokens["access_token"])) == 401
    with world.engine.connect() as connection:
        user_id = connection.execute(select(app_user.c.id).where(app_user.c.username == name)).scalar_one()
        alive = connection.execute(
            select(func.count()).where(refresh_token.c.user_id == user_id, refresh_token.c.revoked_at.is_(None))
        ).scalar_one()
        detected = connection.execute(
            select(func.count()).where(
                audit_entry.c.action == "user.refresh_replay", audit_entry.c.subject == f"user:{name}"
            )
        ).scalar_one()
    assert alive == 0
    assert detected == 1  # one detection, one entry, one end of the access tokens


# --- item 9: throttled by (name, address), with backoff; an admin unlocks ----------------------


def _wrong(client: TestClient, name: str) -> int:
    data = {"grant_type": "password", "username": name, "password": "wrong-password-77"}
    return client.post("/auth/token", data=data).status_code


def _right(client: TestClient, name: str) -> int:
    data = {"grant_type": "password", "username": name, "password": PASSWORD}
    return client.post("/auth/token", data=data).status_code


def test_wrong_passwords_from_one_address_do_not_lock_out_another(world: World) -> None:
    name = _user(world, "lockout.target")
    attacker = TestClient(world.client.app, client=("203.0.113.66", 40000))
    owner = TestClient(world.client.app, client=("198.51.100.7", 40000))
    assert [_wrong(attacker, name) for _ in range(6)] == [401] * 5 + [429]
    assert _right(attacker, name) == 429  # the guesser waits, even with the right password
    assert _right(owner, name) == 200  # ...but the owner, elsewhere, is not locked out
    assert _right(owner, "admin") == 200


def test_an_admin_unlocks_a_user(world: World) -> None:
    name = _user(world, "unlock.target")
    office = TestClient(world.client.app, client=("192.0.2.10", 40000))
    assert [_wrong(office, name) for _ in range(6)] == [401] * 5 + [429]
    assert world.client.post(f"/auth/users/{name}/unlock", headers=world.headers("registrar")).status_code == 403
    unknown = world.client.post("/auth/users/no.such.user/unlock", headers=world.headers("admin"))
    assert unknown.status_code == 404
    unlocked = world.client.post(f"/auth/users/{name}/unlock", headers=world.headers("admin"))
    assert unlocked.status_code == 200 and unlocked.json() == {"username": name, "failures_cleared": 5}
    assert _right(office, name) == 200


def test_the_wait_doubles_with_each_failure(world: World) -> None:
    name = _user(world, "backoff.target")
    throttle = Throttle(free_failures=2, first_delay=timedelta(seconds=1), max_delay=timedelta(seconds=8))

    def attempt(secret: str) -> None:
        actions.login(
            bootstrap.unit_of_work(world.engine),
            name=name,
            secret=secret,
            kind=UserKind.PERSON,
            address="203.0.113.5",
            verify=bootstrap.verify_password,
            throttle=throttle,
            refresh_lifetime=timedelta(hours=1),
        )

    waits = []
    for _ in range(4):  # four wrong passwords, each sent again as soon as the wait allows
        while True:
            try:
                attempt("wrong-password-77")
            except ThrottledError as error:
                waits.append(error.seconds)
                time.sleep(error.seconds)
            except LoginRefusedError:
                break
    assert waits == [1, 2]  # after the 2 free failures: 1 s, then 2 s


# --- item 17: tokens that only look right ------------------------------------------------------


def _sign(claims: dict[str, object]) -> str:
    """Signed with the service's key, whatever the claims (the library would refuse to make some)."""
    return jwt.api_jws.PyJWS().encode(json.dumps(claims).encode(), KEY, algorithm="HS256")


def _claims(world: World, **changes: object) -> dict[str, object]:
    genuine = jwt.decode(world.tokens["auditor"], KEY, algorithms=["HS256"], audience=AUDIENCE)
    return genuine | {"iat": int(time.time()), "nbf": int(time.time()), "exp": int(time.time()) + 600} | changes


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": [AUDIENCE, "another-service"]},  # a list that merely contains our audience
        {"aud": [AUDIENCE]},
        {"iss": [ISSUER]},
        {"exp": int(time.time()) + 10 * 365 * 86400},  # a lifetime of ten years
        {"iat": int(time.time()) + 3600, "nbf": int(time.time())},  # issued in the future
        {"ver": True},
    ],
    ids=["audience-list", "audience-list-of-one", "issuer-list", "ten-years", "future", "bool-version"],
)
def test_tokens_signed_with_the_key_but_not_as_issued_are_refused(world: World, changes: dict[str, object]) -> None:
    good = jwt.encode(_claims(world), KEY, algorithm="HS256")
    assert _me(world, good) == 200  # the same claims as issued: accepted
    forged = _sign(_claims(world, **changes))
    answer = world.client.get("/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert answer.status_code == 401
    assert answer.json()["error"]["message"] == "the access token is not valid"


@pytest.mark.parametrize(
    "token",
    [
        "a.b.c",
        "not-a-token",
        jwt.encode({"sub": "x"}, "another-key-of-sufficient-length-000", algorithm="HS256"),
        jwt.encode({"sub": "auditor"}, KEY, algorithm="HS256"),  # claims missing
    ],
)
def test_the_token_library_errors_are_not_echoed(world: World, token: str) -> None:
    answer = world.client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401
    assert answer.json()["error"]["message"] == "the access token is not valid"


def test_the_lifetime_cap_follows_the_settings(world: World) -> None:
    longer = TestClient(create_app(world.engine, tokens=TokenSettings(key=KEY, access_lifetime=timedelta(hours=2))))
    hour = jwt.encode(_claims(world, exp=int(time.time()) + 3600), KEY, algorithm="HS256")
    assert longer.get("/auth/me", headers={"Authorization": f"Bearer {hour}"}).status_code == 200
    assert _me(world, hour) == 401  # the test service issues for 15 minutes only
