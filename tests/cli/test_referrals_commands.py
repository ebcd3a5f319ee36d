"""`himaya services list` and `himaya referrals propose|list|confirm` at the terminal, on both databases:
the month's proposals once, confirmed only with the person's consent; refusals exit with the status of
their category (2 bad input, 3 not found, 4 conflict, 5 forbidden), and a provider scope names a real provider."""

from __future__ import annotations

import os
from datetime import date

import pytest
from sqlalchemy import text
from typer.testing import CliRunner, Result

from himaya.cli.main import app
from himaya.core.access import Scope
from himaya.db import access
from himaya.db.engine import connect
from himaya.db.registry_import import import_people
from himaya.policy.packs import load_pack
from himaya.policy.table import validate_table
from himaya.synth.generate import SynthRequest, for_file, generate
from tests.logins import acting, password_hash


def himaya(*args: str) -> Result:
    """The command; a `referrals` or `cases` step as the user its `--as` names, logged in at the command line."""
    acts = args[0] in ("referrals", "cases") and "--as" in args
    env = acting(os.environ["HIMAYA_DATABASE_URL"], args, "salim") if acts else {}
    return CliRunner().invoke(app, list(args), env=env)


def test_services_list_filters_and_says_what_is_synthetic() -> None:
    nizwa = himaya("services", "list", "--wilayat", "Nizwa", "--body", "mosd")
    assert nizwa.exit_code == 0, nizwa.stderr
    assert "mosd_home_care_nizwa  Home care team, Nizwa / فريق الرعاية المنزلية بولاية نزوى (synthetic)" in nizwa.stdout
    assert "mosd_home_care_bahla" not in nizwa.stdout and "mol_labour" not in nizwa.stdout
    assert "4 provider(s)" in nizwa.stdout  # home care, day care, rehabilitation, assistive devices (national)
    labour = himaya("services", "list", "--service", "training")
    assert (
        labour.exit_code == 0 and "11 provider(s)" in labour.stdout and "service training: Vocational" in labour.stdout
    )
    for option, value in (("--wilayat", "Nizwah"), ("--body", "mod"), ("--service", "massage")):
        refused = himaya("services", "list", option, value)
        assert refused.exit_code == 2 and f"{value!r} is not a" in refused.stderr


@pytest.fixture
def store(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated store with a small registry, a supervisor of every branch and a case worker of one."""
    monkeypatch.setenv("HIMAYA_DATABASE_URL", database_url)
    assert himaya("db", "upgrade").exit_code == 0
    engine = connect(database_url)
    people = validate_table(
        for_file(generate(SynthRequest(persons=600, seed=21)).people, "parquet"), load_pack().registry, source="s"
    )
    import_people(engine, people, as_of=date(2025, 12, 1), actor="setup", source={"file": "synthetic"})
    access.create_user(engine, "salim", password_hash(), actor="setup", roles=["supervisor"], scopes=[Scope("all")])
    access.create_user(engine, "audrey", password_hash(), actor="setup", roles=["auditor"], scopes=[Scope("all")])
    engine.dispose()
    return database_url


def test_the_months_referrals_proposed_listed_and_confirmed(store: str) -> None:
    proposed = himaya("referrals", "propose", "--period", "2026-01", "--as", "salim")
    assert proposed.exit_code == 0, proposed.stderr
    count = int(proposed.stdout.split(": ")[1].split()[0])
    assert count > 0 and "(C-2026-000001 .. " in proposed.stdout and "elderly_alone_home_care:" in proposed.stdout
    again = himaya("referrals", "propose", "--period", "2026-01", "--as", "salim")
    assert "2026-01: 0 referral(s) proposed" in again.stdout and f"{count} held already" in again.stdout
    listed = himaya("referrals", "list", "--period", "2026-01", "--state", "proposed", "--as", "salim")
    assert listed.exit_code == 0 and f"{min(count, 50)} referral(s), page 1" in listed.stdout
    first = next(line for line in listed.stdout.splitlines() if line.startswith("C-2026-"))
    number, provider = first.split()[0], first.split()[3]
    confirm = ("referrals", "confirm", number, "--as", "salim", "--consent-by", "the person")
    steps = [
        ((*confirm, "--version", "1", "--consent-channel", "pigeon"), 2, "'pigeon' is not one of in_person"),
        ((*confirm, "--version", "1", "--consent-channel", "phone", "--provider", "nobody"), 2, "'nobody' is not a"),
        ((*confirm, "--version", "9", "--consent-channel", "phone"), 4, "not 9"),
        (("referrals", "confirm", "C-2099-000001", "--version", "1", "--consent-by", "x", "--consent-channel",
          "phone", "--as", "salim"), 3, "no referral 'C-2099-000001'"),
        (("cases", "decide", number, "--to", "consented", "--version", "1", "--as", "salim"), 5, "referrals confirm"),
        ((*confirm, "--version", "1", "--consent-channel", "in_person", "--consent-at", "2026-01-10T09:30:00+04:00"),
         2, "before the referral was opened"),
        ((*confirm, "--version", "1", "--consent-channel", "in_person"), 0, "sent to the provider; sent"),
        ((*confirm, "--version", "2", "--consent-channel", "in_person"), 4, "is sent"),
        (("referrals", "list", "--provider", provider, "--state", "sent", "--as", "salim"), 0, number),
        (("referrals", "list", "--service", "massage", "--as", "salim"), 2, "'massage' is not a service"),
        (("referrals", "list", "--as", "audrey"), 5, "case.read or referral.respond"),
        (("referrals", "propose", "--period", "2026-01", "--as", "audrey"), 5, "needs case.open"),
        (("referrals", "propose", "--period", "2026-01", "--language", "fr", "--as", "salim"), 2, "'fr' is not ar"),
        (("referrals", "propose", "--period", "2026-13", "--as", "salim"), 2, "2026-13"),
    ]  # fmt: skip
    for args, status, says in steps:
        done = himaya(*args)
        assert done.exit_code == status, (args, done.stdout, done.stderr)
        assert says in done.stdout + done.stderr, (args, done.stdout, done.stderr)
    shown = himaya("cases", "show", number, "--as", "salim")
    assert "consent proposed -> consented" in shown.stdout and "message (" in shown.stdout
    engine = connect(store)
    with engine.connect() as connection:
        outbox = connection.execute(text("SELECT COUNT(*) FROM notification_outbox")).scalar_one()
    engine.dispose()
    assert outbox == 1  # "referral made", once


def test_a_providers_account_names_a_provider_of_the_catalogue(store: str) -> None:
    made = himaya(
        "users", "create", "rehab-nizwa", "--client", "--role", "provider",
        "--branch", "provider:mosd_rehabilitation_ad_dakhiliyah", "--generate-password", "--actor", "admin",
    )  # fmt: skip
    assert made.exit_code == 0, made.stderr
    assert "roles provider; branches: provider:mosd_rehabilitation_ad_dakhiliyah" in made.stdout
    wrong = himaya(
        "users", "create", "rehab-x", "--client", "--role", "provider", "--branch", "provider:mosd_rehab_nizwa",
        "--generate-password", "--actor", "admin",
    )  # fmt: skip
    assert wrong.exit_code == 2 and "no provider 'mosd_rehab_nizwa'" in wrong.stderr
