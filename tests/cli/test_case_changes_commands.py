"""Change requests and appeals at the terminal, on both databases: a bad IBAN exits 2 naming the field
and the value; an approval writes the change and prints it; an approval on a record changed since
exits 4 naming both versions; an appeal against a refused change writes it (`reversed: ...`), and a
second one, or one against a case of another branch, is refused (4, 3)."""

from __future__ import annotations

import os
from datetime import timedelta

from himaya import bootstrap
from himaya.core.access import Principal, Scope
from himaya.core.clock import today
from himaya.db.engine import connect
from himaya.db.uow import SqlUnitOfWork
from himaya.policy.packs import load_pack
from himaya.registry import actions as registry
from tests.cases.flows import iban
from tests.cli.test_cases_commands import himaya, person  # noqa: F401  (the fixture)

EFFECTIVE = (today("Asia/Muscat") - timedelta(days=10)).isoformat()


def _fields(*pairs: str) -> list[str]:
    return [part for pair in pairs for part in ("--field", pair)]


def _opened(civil: str, *fields: str) -> str:
    given = (*fields, f"effective_from={EFFECTIVE}", "evidence=bank letter")
    done = himaya("cases", "open", "change_request", "--person", civil, "--language", "en", *_fields(*given))
    assert done.exit_code == 0, done.stderr
    return done.stdout.split()[1]


def _correct_mobile(civil: str, version: int) -> None:
    """A registrar corrects the person's mobile (the registry's own write path, as PATCH /people/{n} does)."""
    engine = connect(os.environ["HIMAYA_DATABASE_URL"])
    supervisor = Principal("huda", frozenset({"supervisor"}), frozenset({"person.update"}), (Scope("all"),))
    registry.update(SqlUnitOfWork(engine), bootstrap.registry_contract(load_pack()), civil,
                    {"mobile": "+96891112233"}, expected_version=version, principal=supervisor)  # fmt: skip
    engine.dispose()


def _prepared(civil: str, *fields: str) -> str:
    number = _opened(civil, *fields)
    assert himaya("cases", "decide", number, "--to", "in_review", "--version", "1").exit_code == 0
    assert himaya("cases", "decide", number, "--to", "prepared", "--version", "2", "--as", "salim").exit_code == 0
    return number


def test_a_change_request_and_an_appeal_at_the_terminal(person: dict[str, str]) -> None:  # noqa: F811
    civil, account = person["person_id"], iban(9, 1212343456567878)
    given = _fields("change=bank_account", "iban=OM12ABC", f"effective_from={EFFECTIVE}", "evidence=x")
    bad = himaya("cases", "open", "change_request", "--person", civil, *given)
    said = " ".join(bad.stderr.split())
    assert bad.exit_code == 2 and "form field iban, value 'OM12ABC': must be an Omani IBAN" in said, said
    number = _prepared(civil, "change=bank_account", f"iban={account}")
    shown = himaya("cases", "show", number)
    assert f"record of person {civil} at version" in shown.stdout, shown.stdout
    # The record changes meanwhile (a mobile corrected): the approval is a conflict, nothing written.
    version = int(shown.stdout.split("at version ")[1].split()[0])
    _correct_mobile(civil, version)
    approve = ("cases", "decide", number, "--to", "approved", "--version", "3", "--reason", "ok", "--as", "huda")
    stale = himaya(*approve)
    said = " ".join(stale.stderr.split())
    assert stale.exit_code == 4 and f"is at version {version + 1}, not {version}" in said, said
    refuse = ("cases", "decide", number, "--to", "refused", "--version", "3", "--reason", "record changed")
    assert himaya(*refuse, "--as", "huda").exit_code == 0
    # The refusal is appealed and granted: the change is written from its own date.
    notified = f"notified_on={today('Asia/Muscat')}"
    appeal = himaya(
        "cases", "open", "appeal", "--person", civil, *_fields(f"decision={number}", notified, "grounds=mine")
    )
    assert appeal.exit_code == 0, appeal.stderr
    appealed = appeal.stdout.split()[1]
    assert himaya("cases", "decide", appealed, "--to", "committee", "--version", "1", "--as", "salim").exit_code == 0
    granted = himaya("cases", "decide", appealed, "--to", "granted", "--version", "2", "--reason", "ok", "--as", "huda")
    assert granted.exit_code == 0, granted.stderr
    assert f"reversed: the refused decision of {number}" in granted.stdout
    assert "iban: " in granted.stdout and f"-> {account}" in granted.stdout, granted.stdout
    assert f"decision reversed by appeal {appealed}" in himaya("cases", "show", number).stdout
    again = himaya("cases", "open", "appeal", "--person", civil, *_fields(f"decision={number}", notified, "grounds=x"))
    assert again.exit_code == 4 and "reversed already" in again.stderr
    missing = himaya(
        "cases", "open", "appeal", "--person", civil, *_fields("decision=C-2099-000001", notified, "grounds=x")
    )
    assert missing.exit_code == 3 and "no case 'C-2099-000001' in your branches" in missing.stderr
