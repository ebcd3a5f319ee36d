"""The payroll over HTTP for a registry of Iraq's people, on SQLite and PostgreSQL: every answer with
amounts names its currency (IQD, no decimals) and writes them in whole dinars; the bank files and
the bank's answer, read back over HTTP, are in dinars."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from himaya import bootstrap
from himaya.adapters.iso20022.bank import answer_pain002, read_pain001
from himaya.api.app import create_app
from himaya.api.security import TokenSettings
from himaya.bootstrap import hash_password
from himaya.core.access import Scope
from himaya.db import access
from himaya.policy.pack import PolicyPack
from himaya.policy.packs import load_pack
from himaya.policy.table import validate_table
from himaya.synth.generate import SynthRequest
from himaya.synth.iraq.generate import for_file, generate
from tests.api.conftest import KEY, PASSWORD
from tests.db.conftest import database_url, engine, postgres_problem  # noqa: F401
from tests.payroll.conftest import imported

WHOLE = re.compile(r"\d+")  # whole dinars: no decimal point
IBAN = "IQ98NBIQ850123456789012"


@pytest.fixture(scope="module")
def iraq() -> PolicyPack:
    return load_pack("iraq")


@pytest.fixture
def authority() -> Iterator[None]:
    """The settings as they were, restored after the test (which sets the Authority's account once
    its app has read the environment's)."""
    before = bootstrap.settings()
    yield
    bootstrap.configure(before)


def _pay_from_the_authority() -> None:
    configured = replace(bootstrap.settings(), payer_iban=IBAN, payer_bic="NBIQIQBA", payer_name="The Authority")
    bootstrap.configure(configured)


def _client(registry: Engine, iraq: PolicyPack, tmp_path: Path) -> tuple[TestClient, dict[str, dict[str, str]]]:
    people = generate(SynthRequest(persons=800, seed=11, as_of=date(2025, 11, 1))).people
    imported(registry, validate_table(for_file(people, "parquet"), iraq.registry, source="synthetic Iraq"), iraq)
    client = TestClient(create_app(registry, pack="iraq", tokens=TokenSettings(key=KEY), files=tmp_path / "files"))
    headers = {}
    for user, role in (("salim", "finance_officer"), ("aisha", "payroll_approver"), ("huda", "supervisor")):
        access.create_user(registry, user, hash_password(PASSWORD), actor="setup")
        access.grant(registry, user, roles=[role], scopes=[Scope("all")], actor="setup")
        body = {"grant_type": "password", "username": user, "password": PASSWORD}
        headers[user] = {"Authorization": f"Bearer {client.post('/auth/token', data=body).json()['access_token']}"}
    return client, headers


def test_the_payroll_answers_in_whole_dinars(
    engine: Engine,  # noqa: F811  (the fixture)
    iraq: PolicyPack,
    tmp_path: Path,
    authority: None,
) -> None:
    client, headers = _client(engine, iraq, tmp_path)
    _pay_from_the_authority()
    assert client.post("/enrollments/sync/2025-11", headers=headers["huda"]).status_code == 200
    run = client.post("/payroll/2025-11/run", headers=headers["salim"])
    assert run.status_code == 200, run.text
    figures = run.json()
    assert (figures["currency"], figures["decimals"]) == ("IQD", 0)
    assert all(WHOLE.fullmatch(figures[c]) for c in ("amount", "held", "recovered")) and int(figures["amount"]) > 0
    held = client.get("/payroll/2025-11/held", headers=headers["salim"]).json()
    assert held["currency"] == "IQD" and held["amount"] == figures["held"]
    assert all(WHOLE.fullmatch(row["amount"]) for row in held["rows"]) and held["rows"]
    report = client.get("/payroll/2025-11/report", headers=headers["salim"]).json()
    assert report["currency"] == "IQD" and WHOLE.fullmatch(report["totals"]["amount"])
    assert int(report["totals"]["amount"]) == int(figures["amount"]) + int(figures["held"])  # held lines counted
    diff = client.get("/payroll/2025-11/diff?limit=10000", headers=headers["salim"]).json()
    assert diff["currency"] == "IQD" and diff["rows"] and all(WHOLE.fullmatch(r["now"]) for r in diff["rows"])
    assert client.post("/payroll/2025-11/submit", headers=headers["salim"]).status_code == 200
    approved = client.post("/payroll/2025-11/approve", headers=headers["aisha"])
    assert approved.status_code == 200 and approved.json()["currency"] == "IQD"
    exported = client.post("/payroll/2025-11/export", headers=headers["salim"])
    assert exported.status_code == 200, exported.text
    sent = read_pain001(Path(exported.json()["folder"]) / exported.json()["files"][0])
    assert (sent.currency, sent.debtor_iban) == ("IQD", IBAN)
    # The bank's answer, in dinars, rejecting one transfer.
    answer = tmp_path / "status.xml"
    answer_pain002(sent, answer, rejected={sent.transfers[0][0]}, created=datetime(2025, 11, 26, tzinfo=UTC))
    with answer.open("rb") as file:
        done = client.post("/payroll/reconcile", headers=headers["salim"], files={"file": ("status.xml", file)})
    assert done.status_code == 200, done.text
    assert (done.json()["rejected"], done.json()["paid"]) == (1, len(sent.transfers) - 1)
    runs = client.get("/payroll", headers=headers["salim"]).json()
    assert runs["currency"] == "IQD" and WHOLE.fullmatch(runs["runs"][0]["paid_amount"])
    assert int(runs["runs"][0]["paid_amount"]) == sum(a for _, a in sent.transfers[1:])
