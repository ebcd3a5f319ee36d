"""`himaya cases`: a case's life at the terminal as users of the store, on both databases; refusals
exit with the status of their category (2 bad input, 3 not found, 4 conflict, 5 forbidden)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner, Result

from himaya.cli.main import app
from himaya.core.access import Scope
from himaya.core.clock import today
from himaya.core.periods import Period
from himaya.db import access
from himaya.db.engine import connect
from himaya.db.registry_import import import_people
from himaya.policy.packs import load_pack
from himaya.policy.table import validate_table
from himaya.synth.generate import SynthRequest, for_file, generate
from tests.logins import acting, password_hash


def himaya(*args: str) -> Result:
    """The command, as the user its `--as` names (else HIMAYA_ACTOR's, wafa) logged in at the command line."""
    acts = args[0] == "cases" and args[1:2] != ("types",)
    env = acting(os.environ["HIMAYA_DATABASE_URL"], args, os.environ["HIMAYA_ACTOR"]) if acts else {}
    return CliRunner().invoke(app, list(args), env=env)


@pytest.fixture
def person(database_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A migrated store with a few families, a case worker and two supervisors of the first head's branch."""
    monkeypatch.setenv("HIMAYA_DATABASE_URL", database_url)
    monkeypatch.setenv("HIMAYA_ACTOR", "wafa")
    assert himaya("db", "upgrade").exit_code == 0
    engine = connect(database_url)
    people = validate_table(
        for_file(generate(SynthRequest(persons=40, seed=8)).people, "parquet"), load_pack().registry, source="synth"
    )
    import_people(engine, people, as_of=date(2025, 12, 1), actor="setup", source={"file": "synthetic"})
    head = people.filter(pl.col("relationship") == "head", pl.col("wilayat").is_not_null()).row(0, named=True)
    here = [Scope("wilayat", head["wilayat"])]
    for name, role in (("wafa", "case_worker"), ("salim", "supervisor"), ("huda", "supervisor")):
        access.create_user(engine, name, password_hash(), actor="setup", roles=[role], scopes=here)
    engine.dispose()
    return head


def test_an_application_from_opening_to_closing(person: dict[str, str]) -> None:
    civil = person["person_id"]
    opened = himaya(
        "cases", "open", "application", "--person", civil, "--language", "en",
        "--field", "programme=disability", "--field", "applied_on=2026-01-05", "--field", "disability_category=visual",
        "--field", "evidence=card 1234",
    )  # fmt: skip
    assert opened.exit_code == 0, opened.stderr
    number = opened.stdout.split()[1]
    assert number.startswith("C-") and "received, due" in opened.stdout and "1 message(s) queued" in opened.stdout
    listed = himaya("cases", "list").stdout
    line = next(row for row in listed.splitlines() if row.startswith(number))
    due = opened.stdout.split("due ")[1].split()[0].rstrip(";,.)")
    assert f"due {due}" in line and "<10" not in line  # the date itself (a date's format spec is strftime's)
    approve = ("decide", number, "--to", "approved")
    override = ("--override", "committee minutes 12/2026")
    this = Period.containing(today("Asia/Muscat"))  # decided today: the exception's review month from it
    holds = ("--override-until", str(this.shifted(3)), "--override-amount", "120.000")
    steps = [
        (("decide", number, "--to", "in_review", "--version", "1"), 0, "in_review"),
        (("decide", number, "--to", "prepared", "--version", "2", "--as", "salim"), 0, "prepared"),
        ((*approve, "--version", "3", "--reason", "ok", "--as", "salim"), 5, "maker-checker"),
        ((*approve, "--version", "3", "--reason", "ok"), 5, "needs case.decide"),
        ((*approve, "--version", "2", "--reason", "ok", "--as", "huda"), 4, "not 2"),
        # No card held: the rules do not support the approval (the failed condition named) ...
        ((*approve, "--version", "3", "--reason", "card valid", "--as", "huda"), 4, "holds a valid disability card"),
        # ... unless a supervisor overrides them, with a reason (recorded on the case).
        ((*approve, "--version", "3", "--reason", "card valid", *override, "--as", "huda"), 2,
         "override_until: required with an override"),
        ((*approve, "--version", "3", "--reason", "card valid", *override, "--override-until", str(this.shifted(3)),
          "--override-amount", "130.001", "--as", "huda"), 2, "override_amount: 130.001 OMR is more than"),
        ((*approve, "--version", "3", "--reason", "card valid", *override, *holds, "--as", "huda"), 0,
         f"disability kept in force for {civil} from 2026-01 until {this.shifted(3)}, 120.000 a month"),
        (("exceptions",), 0, "1 exception(s) in force"),
        (("exception-end", "1", "--last", str(this), "--version", "1", "--reason", "renewed"), 5, "only a supervisor"),
        (("exception-end", "1", "--last", str(this), "--version", "1", "--reason", "renewed", "--as", "huda"), 0,
         f"exception 1: in force until {this}; version 2"),
        (("assign", number, "--to", "nobody", "--version", "4"), 2, "'nobody' is not an active user who works"),
        (("note", number, "letter sent"), 0, "note added"),
        (("close", number, "--version", "4"), 0, "closed; version 5"),
        (("close", number, "--version", "5"), 4, "a closed case does not change"),
        (("show", "C-2099-000001"), 3, "no case 'C-2099-000001' in your branches"),
        (("show", number, "--as", "ghost"), 2, "you are logged in as 'wafa', not 'ghost'"),
        (("open", "complaint", "--person", civil), 2, "unknown case type 'complaint'"),
        (("open", "grievance", "--person", civil, "--category", "data_error", "--field", "amount=x"), 2, "form field"),
    ]  # fmt: skip
    for args, status, says in steps:
        done = himaya("cases", *args)
        assert done.exit_code == status, (args, done.stdout, done.stderr)
        assert says in (done.stdout if status == 0 else done.stderr), (args, done.stdout, done.stderr)
    shown = himaya("cases", "show", number)
    assert shown.exit_code == 0, shown.stderr
    said_all = ("state closed", "programme: disability", "huda decided prepared -> approved: card valid", "(letter")
    for said in (*said_all, "overridden: committee minutes 12/2026", "failed: holds a valid disability card"):
        assert said in shown.stdout or said.replace("(letter", "(sms") in shown.stdout, shown.stdout


def test_types_and_overdue(person: dict[str, str]) -> None:
    types = himaya("cases", "types")
    assert types.exit_code == 0 and "grievance  Grievance / شكوى" in types.stdout
    assert "received (2d)" in types.stdout
    overdue = himaya("cases", "overdue", "--escalate", "--as", "salim")
    assert overdue.exit_code == 0, overdue.stderr
    assert "0 breached, 0 at risk" in overdue.stdout


def test_a_cases_step_needs_the_user_logged_in(person: dict[str, str], tmp_path: Path) -> None:
    """A name on the command line is no proof of who acts: without a login, nothing is done (exit 5)."""
    nobody = {"HIMAYA_CREDENTIALS": str(tmp_path / "nobody.json")}
    for args in (
        (
            "open",
            "grievance",
            "--person",
            person["person_id"],
            "--category",
            "data_error",
            "--field",
            "details=x",
            "--as",
            "salim",
        ),
        ("list",),
        ("overdue", "--escalate", "--as", "salim"),
    ):
        done = CliRunner().invoke(app, ["cases", *args], env=nobody)
        assert done.exit_code == 5 and "run `himaya login USER` first" in done.stderr, (args, done.stderr)
    assert "C-" not in himaya("cases", "list").stdout  # nothing was opened


def test_evidence_is_attached_and_a_file_that_lies_is_refused(
    person: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HIMAYA_EVIDENCE_DIR", str(tmp_path / "evidence"))
    opened = himaya(
        "cases", "open", "grievance", "--person", person["person_id"], "--category", "data_error",
        "--field", "details=misspelt name",
    )  # fmt: skip
    number = opened.stdout.split()[1]
    pdf, png, exe = tmp_path / "letter.pdf", tmp_path / "photo.pdf", tmp_path / "tool.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(32))
    exe.write_bytes(b"MZ\x90\x00" + bytes(32))
    done = himaya("cases", "attach", number, str(pdf))
    assert done.exit_code == 0 and "letter.pdf (application/pdf, 15 bytes) attached" in done.stdout, done.stderr
    for lying, says in (
        (png, "'photo.pdf' is an image/png by its content"),
        (exe, "'tool.pdf' is not a PDF, JPEG or PNG"),
    ):
        refused = himaya("cases", "attach", number, str(lying))
        assert refused.exit_code == 2 and says in refused.stderr, refused.stderr
    monkeypatch.setenv("HIMAYA_EVIDENCE_MAX_BYTES", "1024")
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.4\n" + bytes(2000))
    refused = himaya("cases", "attach", number, str(big))
    assert refused.exit_code == 2 and "'big.pdf': 2,009 bytes; evidence may have at most 1,024 bytes" in refused.stderr
    shown = himaya("cases", "show", number)
    assert "evidence " in shown.stdout and "letter.pdf (application/pdf, 15 bytes) by wafa" in shown.stdout
    assert len([f for f in (tmp_path / "evidence").rglob("*") if f.is_file()]) == 1


def test_an_application_before_its_applicants_birth_or_with_an_absurd_income_is_refused(
    person: dict[str, str],
) -> None:
    """At the terminal as over the API: an application dated before its applicant was born is refused
    when it is opened (it could never be approved), naming the field, the value and the rule; an income
    no registry import accepts is refused to an approval even with a supervisor's override (exit 2)."""
    born = str(person["birth_date"])
    early = f"{int(born[:4]) - 1}{born[4:]}"
    refused = himaya(
        "cases", "open", "application", "--person", person["person_id"], "--field", "programme=disability",
        "--field", f"applied_on={early}", "--field", "disability_category=visual", "--field", "evidence=card",
    )  # fmt: skip
    assert refused.exit_code == 2, refused.stdout
    said = f"form field applied_on: {early} must not be before the applicant's birth date ({born})"
    assert said in " ".join(refused.stderr.split()), refused.stderr
    assert "C-" not in himaya("cases", "list").stdout
    opened = himaya(
        "cases", "open", "application", "--person", person["person_id"], "--field", "programme=family_income_support",
        "--field", "applied_on=2026-01-05", "--field", "monthly_income=999999999999.999", "--field", "evidence=slips",
    )  # fmt: skip
    assert opened.exit_code == 0, opened.stderr
    number = opened.stdout.split()[1]
    assert himaya("cases", "decide", number, "--to", "in_review", "--version", "1").exit_code == 0
    assert himaya("cases", "decide", number, "--to", "prepared", "--version", "2", "--as", "salim").exit_code == 0
    approve = ("cases", "decide", number, "--to", "approved", "--version", "3", "--reason", "ok", "--as", "huda")
    review = str(Period.containing(today("Asia/Muscat")).shifted(3))
    absurd = himaya(*approve, "--override", "minutes 4", "--override-until", review, "--override-amount", "100.000")
    text = " ".join(absurd.stderr.split())
    assert absurd.exit_code == 2 and "other_income" in text and "must be at most 1000000.000" in text, text
    assert "state prepared" in himaya("cases", "show", number).stdout
