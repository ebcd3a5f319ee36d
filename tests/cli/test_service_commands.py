"""`himaya users ...`, `himaya serve` and the served demo, as a user runs them: real processes, a
real HTTP server on this machine, real requests."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from himaya.cli.main import app


def himaya(*args: str, input: str | None = None) -> object:
    return CliRunner().invoke(app, list(args), input=input)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'himaya.db'}"
    monkeypatch.setenv("HIMAYA_DATABASE_URL", url)
    assert himaya("db", "upgrade").exit_code == 0  # type: ignore[attr-defined]
    return url


def test_users_create_grant_list_password_deactivate(store: str) -> None:
    created = CliRunner().invoke(
        app,
        [
            "users",
            "create",
            "nizwa.registrar",
            "--role",
            "registrar",
            "--branch",
            "wilayat:Nizwa",
            "--generate-password",
        ],
    )
    assert created.exit_code == 0, created.stderr
    assert "password (shown once): " in created.stdout and "wilayat:Nizwa" in created.stdout
    granted = CliRunner().invoke(
        app, ["users", "grant", "nizwa.registrar", "--role", "case_worker", "--branch", "governorate:Ad Dakhiliyah"]
    )
    assert granted.exit_code == 0 and "case_worker, registrar" in granted.stdout
    listed = CliRunner().invoke(app, ["users", "list"])
    assert "nizwa.registrar" in listed.stdout and "governorate:Ad Dakhiliyah" in listed.stdout
    asked = CliRunner().invoke(
        app, ["users", "password", "nizwa.registrar"], input="long-new-pass-99\nlong-new-pass-99\n"
    )
    assert asked.exit_code == 0, asked.stderr
    assert CliRunner().invoke(app, ["users", "deactivate", "nizwa.registrar"]).exit_code == 0
    assert "(deactivated)" in CliRunner().invoke(app, ["users", "list"]).stdout


def test_a_replacement_replaces_only_what_it_names(store: str) -> None:
    """`--replace --branch` keeps the roles, `--replace --role` the branches; `--replace` alone takes both
    (an outside attack: a replacement of the branch alone left the user without roles)."""
    made = himaya("users", "create", "sohar.worker", "--role", "case_worker", "--role", "registrar",
                  "--branch", "wilayat:Sohar", "--generate-password")  # fmt: skip
    assert made.exit_code == 0, made.stderr  # type: ignore[attr-defined]
    moved = himaya("users", "grant", "sohar.worker", "--branch", "wilayat:Nizwa", "--replace")
    assert "roles case_worker, registrar; branches: wilayat:Nizwa" in moved.stdout  # type: ignore[attr-defined]
    narrowed = himaya("users", "grant", "sohar.worker", "--role", "auditor", "--replace")
    assert "roles auditor; branches: wilayat:Nizwa" in narrowed.stdout  # type: ignore[attr-defined]
    emptied = himaya("users", "grant", "sohar.worker", "--replace")
    assert "roles none; branches: none" in emptied.stdout  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["users", "create", "x", "--role", "wizard", "--generate-password"], "no such role: wizard"),
        (["users", "create", "x", "--branch", "city:Nizwa", "--generate-password"], "is not a branch scope"),
        (["users", "create", "x", "--branch", "employer:0123456", "--generate-password"], "a commercial registration"),
        (["users", "create", "bad name!", "--generate-password"], "is not a user name"),
        (["users", "grant", "nobody.here", "--role", "auditor"], "no user 'nobody.here'"),
        (["users", "grant", "nobody.here"], "give --role, --branch or --replace"),
        (["serve", "--workers", "0"], "--workers must be at least 1"),
    ],
)
def test_users_bad_input(store: str, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == (3 if "no user" in message else 2)  # not found, or bad input
    assert message in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "wizard"], "no such role: wizard"),
        (
            ["--branch", "wilayat:Nizwaa"],
            "no wilayat 'Nizwaa' in the wilayats the pack knows; did you mean wilayat:Nizwa",
        ),
        (["--branch", "governorate:muscat"], "did you mean governorate:Muscat?"),
        (["--role", "registrar", "--branch", "wilayat:Atlantis"], "wilayats: Muscat, Muttrah"),
    ],
)
def test_a_refused_create_writes_nothing_and_shows_no_password(store: str, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["users", "create", "bad.user", "--generate-password", *args])
    assert result.exit_code == 2 and message in result.stderr
    assert "password" not in result.stdout
    assert "bad.user" not in CliRunner().invoke(app, ["users", "list"]).stdout
    # ...so the same command, corrected, succeeds
    fixed = CliRunner().invoke(app, ["users", "create", "bad.user", "--generate-password", "--branch", "wilayat:Nizwa"])
    assert fixed.exit_code == 0, fixed.stderr


def test_a_grant_to_an_unknown_branch_is_refused(store: str) -> None:
    assert CliRunner().invoke(app, ["users", "create", "someone", "--generate-password"]).exit_code == 0
    result = CliRunner().invoke(app, ["users", "grant", "someone", "--branch", "wilayat:Nizwaa"])
    assert result.exit_code == 2 and "did you mean wilayat:Nizwa?" in result.stderr
    assert "Nizwaa" not in CliRunner().invoke(app, ["users", "list"]).stdout


def test_a_weak_password_is_refused(store: str) -> None:
    result = CliRunner().invoke(app, ["users", "create", "weak.user"], input="short\nshort\n")
    assert result.exit_code == 2 and "at least 12 characters" in result.stderr


def test_a_user_existing_already_is_refused(store: str) -> None:
    assert CliRunner().invoke(app, ["users", "create", "twice", "--generate-password"]).exit_code == 0
    again = CliRunner().invoke(app, ["users", "create", "twice", "--generate-password"])
    assert again.exit_code == 4 and "exists already" in again.stderr  # a conflict


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running(args: list[str], env: dict[str, str], ready: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A `himaya` process, until it has printed a line matching `ready` (returned)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "himaya.cli.main", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            seen.append(line)
            if re.search(ready, line):
                break
        else:
            raise AssertionError("the process ended before it was ready:\n" + "".join(seen))
        yield process, "".join(seen)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_for(base: str) -> None:
    for _ in range(150):
        try:
            httpx.get(f"{base}/openapi.json", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"{base} never answered")


def test_serve_answers_over_http(store: str, tmp_path: Path) -> None:
    created = CliRunner().invoke(
        app, ["users", "create", "auditor.one", "--role", "auditor", "--branch", "all", "--generate-password"]
    )
    password = created.stdout.split("password (shown once): ")[1].split()[0]
    port = _free_port()
    env = {**os.environ, "HIMAYA_DATABASE_URL": store}
    with running(["serve", "--port", str(port)], env, r"Himaya API on"):
        base = f"http://127.0.0.1:{port}"
        _wait_for(base)
        assert httpx.get(f"{base}/audit/verify").status_code == 401
        token = httpx.post(
            f"{base}/auth/token", data={"grant_type": "password", "username": "auditor.one", "password": password}
        ).json()["access_token"]
        verified = httpx.get(f"{base}/audit/verify", headers={"Authorization": f"Bearer {token}"})
        assert verified.status_code == 200 and verified.json()["intact"]
        assert "Himaya" in httpx.get(f"{base}/docs").text
        front = httpx.get(f"{base}/", follow_redirects=True)  # the web front office beside the API
        assert front.url.path == "/office/login" and "تسجيل الدخول" in front.text


def test_serve_refuses_an_unmigrated_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIMAYA_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2 and "himaya db upgrade" in result.stderr


@pytest.mark.slow
def test_the_demo_serves_the_api_with_a_user_per_role(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "HIMAYA_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"}
    args = ["demo", "--persons", "3000", "--port", str(port), "--bank-files", str(tmp_path / "files")]
    with running(args, env, r"curl -s -H") as (_, printed):
        password = re.search(r"password (\S+) for all", printed)
        family = re.search(r"/families/(\S+)/entitlements", printed)
        assert password and family, printed
        base = f"http://127.0.0.1:{port}"
        _wait_for(base)
        tokens = {}
        for user in ("demo.registrar", "demo.analyst", "demo.finance"):
            answer = httpx.post(
                f"{base}/auth/token",
                data={"grant_type": "password", "username": user, "password": password.group(1)},
            )
            assert answer.status_code == 200, (user, answer.text)
            tokens[user] = {"Authorization": f"Bearer {answer.json()['access_token']}"}
        path = f"{base}/families/{family.group(1)}/entitlements?period=2026-01&lang=ar"
        explained = httpx.get(path, headers=tokens["demo.registrar"])
        assert explained.status_code == 200 and "الأسرة" in explained.json()["explanation"]
        assert httpx.get(path, headers=tokens["demo.finance"]).status_code == 403
        assert httpx.get(f"{base}/payroll", headers=tokens["demo.finance"]).json()["runs"][0]["state"] == "exported"
        partner = httpx.post(
            f"{base}/auth/token",
            data={"grant_type": "client_credentials", "client_id": "demo.partner", "client_secret": password.group(1)},
        )
        assert partner.status_code == 200
