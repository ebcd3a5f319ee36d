"""`himaya login`: the payroll's steps at the command line are done by users of the store who proved
who they are, never by a name typed after `--actor` (issue 20, item 5). From the attacker's side."""

from __future__ import annotations

import json
import os
import stat
from datetime import timedelta
from pathlib import Path

import jwt
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner, Result

from himaya.adapters import credentials
from himaya.cli.main import app
from himaya.db.engine import connect
from himaya.db.tables import audit_entry

runner = CliRunner()
PASSWORDS = {"salim": "salim's long password", "aisha": "aisha's long password", "huda": "huda's long password"}
ROLES = {"salim": "finance_officer", "aisha": "payroll_approver", "huda": "registrar"}


@pytest.fixture
def store(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("HIMAYA_DATABASE_URL", database_url)
    monkeypatch.setenv("HIMAYA_CREDENTIALS", str(tmp_path / "credentials.json"))
    monkeypatch.delenv("HIMAYA_PASSWORD", raising=False)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    for name, role in ROLES.items():
        created = runner.invoke(
            app, ["users", "create", name, "--role", role, "--branch", "all"], env={"HIMAYA_PASSWORD": PASSWORDS[name]}
        )
        assert created.exit_code == 0, created.stderr
    return tmp_path / "credentials.json"


def login(name: str, password: str | None = None) -> Result:
    return runner.invoke(app, ["login", name], env={"HIMAYA_PASSWORD": password or PASSWORDS[name]})


def test_nobody_logged_in_cannot_do_a_payroll_step_whatever_name_is_typed(store: Path) -> None:
    for args in (["payroll", "submit", "--period", "2026-01"], ["payroll", "approve", "--period", "2026-01"]):
        for extra in ([], ["--actor", "aisha"]):
            refused = runner.invoke(app, [*args, *extra], env={"HIMAYA_ACTOR": "aisha"})
            assert refused.exit_code == 5 and "run `himaya login USER` first" in refused.stderr
    assert "not logged in" in runner.invoke(app, ["whoami"]).stdout


def test_a_wrong_password_or_a_respelled_name_logs_nobody_in(store: Path) -> None:
    for name, password in (("salim", "not salim's password"), ("SALIM", None), (" salim", None), ("nobody", None)):
        refused = login(name, password or PASSWORDS["salim"])
        assert refused.exit_code == 5 and "wrong user name or password" in refused.stderr
        assert not store.exists()


def test_the_logged_in_user_acts_and_may_not_claim_another_name(store: Path) -> None:
    done = login("salim")
    assert done.exit_code == 0, done.stderr
    assert "logged in as salim until" in done.stdout and oct(store.stat().st_mode & 0o777) == "0o600"
    assert "salim: roles finance_officer; branches all" in runner.invoke(app, ["whoami"]).stdout
    other = runner.invoke(app, ["payroll", "submit", "--period", "2026-01", "--actor", "aisha"])
    assert other.exit_code == 2 and "you are logged in as 'salim', not 'aisha'" in other.stderr
    # A step the user's roles do not allow: the approval is the payroll approver's.
    approve = runner.invoke(app, ["payroll", "approve", "--period", "2026-01"])
    assert approve.exit_code == 5 and "salim may not do this: it needs payroll.approve" in approve.stderr
    # Past the login, the step is the payroll's own business (here: no run yet).
    step = runner.invoke(app, ["payroll", "submit", "--period", "2026-01", "--actor", "salim"])
    assert step.exit_code == 3 and "there is no run for 2026-01" in step.stderr
    # Other commands record the logged-in user, not HIMAYA_ACTOR.
    assert "commands record" not in runner.invoke(app, ["whoami"], env={"HIMAYA_ACTOR": "aisha"}).stdout


def test_a_user_without_payroll_roles_is_refused_every_step(store: Path) -> None:
    assert login("huda").exit_code == 0
    for step in ("submit", "approve", "close"):
        refused = runner.invoke(app, ["payroll", step, "--period", "2026-01"])
        assert refused.exit_code == 5 and "huda may not do this" in refused.stderr


def test_logout_ends_the_credential_and_every_copy_of_it(store: Path) -> None:
    assert login("salim").exit_code == 0
    copy = store.read_bytes()
    out = runner.invoke(app, ["logout"])
    assert out.exit_code == 0 and "salim logged out" in out.stdout and not store.exists()
    store.write_bytes(copy)  # someone kept a copy of the file
    store.chmod(0o600)
    replayed = runner.invoke(app, ["payroll", "submit", "--period", "2026-01"])
    assert replayed.exit_code == 5 and "the login of 'salim' has ended" in replayed.stderr
    assert "nobody was logged in" in runner.invoke(app, ["logout"]).stdout and not store.exists()


def test_a_deactivated_user_or_new_roles_end_the_login(store: Path) -> None:
    assert login("aisha").exit_code == 0
    copy = store.read_bytes()
    runner.invoke(app, ["logout"])
    assert login("salim").exit_code == 0
    assert runner.invoke(app, ["users", "deactivate", "salim"]).exit_code == 0  # done by salim himself
    ended = runner.invoke(app, ["whoami"])
    assert ended.exit_code == 5 and "has ended" in ended.stderr
    store.write_bytes(copy)
    assert runner.invoke(app, ["whoami"]).exit_code == 5  # aisha logged out: her old copy is no good either


def test_a_made_up_foreign_expired_or_open_credential_is_refused(
    store: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert login("salim").exit_code == 0
    secret = json.loads(store.read_text())["secret"]
    # No key makes a credential: not one the caller sets, not the store's own (the API's signing key).
    for made_up in (secret[:-1] + ("A" if secret[-1] != "A" else "B"), "x", "42"):
        credentials.write(store, made_up)
        forged = runner.invoke(app, ["whoami"], env={"HIMAYA_SIGNING_KEY": "k" * 40})
        assert forged.exit_code == 5 and "not one of this database's" in forged.stderr
    store.write_text(json.dumps({"token": jwt.encode({"sub": "aisha", "ver": 2}, "k" * 40)}))
    assert "not a credential of `himaya login`" in runner.invoke(app, ["whoami"]).stderr
    credentials.write(store, secret)
    store.chmod(0o620)
    opened = runner.invoke(app, ["whoami"])
    assert opened.exit_code == 2 and "others may read or write this credential (mode 620)" in opened.stderr
    store.chmod(0o600)
    other = {"HIMAYA_DATABASE_URL": f"sqlite:///{tmp_path / 'other.db'}"}
    assert runner.invoke(app, ["db", "upgrade"], env=other).exit_code == 0
    elsewhere = runner.invoke(app, ["whoami"], env=other)
    assert elsewhere.exit_code == 5 and "not one of this database's" in elsewhere.stderr
    monkeypatch.setattr(credentials, "LIFETIME", timedelta(seconds=-60))
    assert login("salim").exit_code == 0
    expired = runner.invoke(app, ["whoami"])
    assert expired.exit_code == 5 and "has ended (logged out, expired" in expired.stderr


def test_the_throttle_counts_the_terminal_account_not_what_logname_says(store: Path) -> None:
    for n in range(6):
        wrong = runner.invoke(
            app, ["login", "aisha"], env={"HIMAYA_PASSWORD": "not her password", "LOGNAME": f"g{n}", "USER": f"g{n}"}
        )
        assert wrong.exit_code == 5
    right = runner.invoke(app, ["login", "aisha"], env={"HIMAYA_PASSWORD": PASSWORDS["aisha"], "LOGNAME": "fresh"})
    assert right.exit_code == 5 and "too many failed logins" in right.stderr and not store.exists()


def test_a_place_that_is_not_a_credential_file_is_never_written(store: Path, tmp_path: Path) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    pipe = tmp_path / "a-pipe"
    os.mkfifo(pipe)
    (tmp_path / "a-file").write_text("kept")
    for place in (folder, pipe, tmp_path / "a-file" / "credentials.json"):
        refused = runner.invoke(app, ["login", "salim"], env={"HIMAYA_CREDENTIALS": str(place), **_password("salim")})
        assert refused.exit_code == 2 and str(place) in refused.stderr, refused.stderr
    assert folder.is_dir() and stat.S_ISFIFO(pipe.lstat().st_mode) and (tmp_path / "a-file").read_text() == "kept"
    engine = connect(os.environ["HIMAYA_DATABASE_URL"])
    with engine.connect() as connection:  # refused before the login was recorded
        logins = connection.execute(sa.select(sa.func.count()).where(audit_entry.c.action == "user.login")).scalar()
    engine.dispose()
    assert logins == 0


def test_no_password_to_read_is_a_clear_refusal(store: Path) -> None:
    for args in (["login", "salim"], ["users", "create", "someone", "--role", "registrar"]):
        refused = runner.invoke(app, args, input="")
        assert refused.exit_code == 2 and "no password given" in refused.stderr


def test_names_that_differ_only_in_case_or_script_are_one_name(store: Path) -> None:
    twin = runner.invoke(app, ["users", "create", "Salim", "--role", "payroll_approver"], env=_password("salim"))
    assert twin.exit_code == 4 and "user 'salim' exists already ('Salim')" in twin.stderr
    cyrillic = runner.invoke(
        app, ["users", "create", "\u0455alim", "--role", "payroll_approver"], env=_password("salim")
    )
    assert cyrillic.exit_code == 2 and "up to 64 Latin letters" in cyrillic.stderr
    again = runner.invoke(app, ["users", "create", "salim", "--role", "registrar"], input="")
    assert again.exit_code == 4 and "exists already" in again.stderr  # said before any password is asked


def test_the_last_administrator_is_never_removed(store: Path) -> None:
    env = {"HIMAYA_PASSWORD": "the admin's password"}
    assert runner.invoke(app, ["users", "create", "boss", "--role", "admin", "--branch", "all"], env=env).exit_code == 0
    client = ["users", "create", "svc", "--client", "--role", "admin", "--branch", "all"]
    assert runner.invoke(app, client, env=env).exit_code == 5  # boss is the administrator: log in first
    assert login("boss", "the admin's password").exit_code == 0
    for args in (["users", "deactivate", "boss"], ["users", "grant", "boss", "--role", "registrar", "--replace"]):
        refused = runner.invoke(app, args)
        assert refused.exit_code == 4 and "boss is the last administrator" in refused.stderr
    # A partner system holding the admin role cannot log in: it does not count.
    assert runner.invoke(app, client, env=env).exit_code == 0
    assert runner.invoke(app, ["users", "deactivate", "boss"]).exit_code == 4
    assert "boss" in runner.invoke(app, ["whoami"]).stdout  # still the administrator, still logged in


def _password(name: str) -> dict[str, str]:
    return {"HIMAYA_PASSWORD": PASSWORDS[name]}


def test_the_maker_cannot_check_under_another_spelling(store: Path) -> None:
    """Both steps by users of the store; the maker-checker rule compares them after the login."""
    assert login("salim").exit_code == 0
    for spelling in ("SALIM", "Salim ", " salim"):
        refused = runner.invoke(app, ["payroll", "approve", "--period", "2026-01", "--actor", spelling])
        assert refused.exit_code == 5 and "salim may not do this" in refused.stderr


def test_once_the_store_has_an_administrator_only_they_manage_users(store: Path) -> None:
    """Else anyone at the terminal would make themselves a payroll approver and log in as that."""
    first = runner.invoke(
        app,
        ["users", "create", "admin", "--role", "admin", "--branch", "all"],
        env={"HIMAYA_PASSWORD": "the admin's password"},
    )
    assert first.exit_code == 0, first.stderr  # a new store: its first administrator is made at the terminal
    attempts = (
        ["users", "create", "mallory", "--role", "payroll_approver", "--branch", "all"],
        ["users", "grant", "salim", "--role", "payroll_approver"],
        ["users", "password", "aisha"],
        ["users", "deactivate", "admin"],
        ["users", "unlock", "aisha"],
    )
    for args in attempts:
        nobody = runner.invoke(app, args, env={"HIMAYA_PASSWORD": "mallory's own password", "HIMAYA_ACTOR": "admin"})
        assert nobody.exit_code == 5 and "needs a login" not in nobody.stdout and "himaya login USER" in nobody.stderr
    assert login("salim").exit_code == 0
    for args in attempts:
        refused = runner.invoke(app, args, env={"HIMAYA_PASSWORD": "mallory's own password"})
        assert refused.exit_code == 5 and "salim may not do this: it needs users.manage" in refused.stderr
    assert "mallory" not in runner.invoke(app, ["users", "list"]).stdout
    assert login("admin", "the admin's password").exit_code == 0
    made = runner.invoke(app, attempts[0], env={"HIMAYA_PASSWORD": "mallory's own password"})
    assert made.exit_code == 0 and "user mallory: roles payroll_approver" in made.stdout


def test_a_case_worked_at_the_terminal_is_worked_by_the_user_logged_in(store: Path) -> None:
    assert login("huda").exit_code == 0
    other = runner.invoke(app, ["cases", "list", "--as", "aisha"])
    assert other.exit_code == 2 and "you are logged in as 'huda', not 'aisha'" in other.stderr
    assert runner.invoke(app, ["cases", "list"]).exit_code == 0  # as huda, a registrar of every branch
