"""`himaya NAME ...` builds only NAME's commands; anything else gets the whole app and its help."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer

from himaya.cli import main as cli_main


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["himaya", *args])
    with pytest.raises(SystemExit) as ended:
        cli_main.main()
    captured = capsys.readouterr()
    return int(ended.value.code or 0), captured.out + captured.err


def test_a_group_is_built_alone() -> None:
    one = cli_main._only("registry")
    assert [g.name for g in one.registered_groups] == ["registry"]
    assert one.registered_commands == []


def test_a_command_named_by_its_function_is_found() -> None:
    one = cli_main._only("explain")
    assert one.registered_groups == []
    assert [cli_main._name(c) for c in one.registered_commands] == ["explain"]


@pytest.mark.parametrize("name", ["--help", "nosuch", "--lang"])
def test_anything_else_gets_the_whole_app(name: str) -> None:
    assert cli_main._only(name) is cli_main.app


def test_a_group_and_a_command_answer_as_before(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, text = run(monkeypatch, capsys, "registry", "--help")
    assert status == 0 and "Usage: himaya registry" in text and "import" in text
    status, text = run(monkeypatch, capsys, "parameters", "--help")
    assert status == 0 and "Usage: himaya parameters" in text


def test_a_misspelt_command_is_named_among_all(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, text = run(monkeypatch, capsys, "registri", "import")
    assert status == 2 and "registri" in text


def _modules_of(typer_app: typer.Typer) -> set[str]:
    """The modules whose functions are the commands of `typer_app` (its groups' too)."""
    found = {c.callback.__module__ for c in typer_app.registered_commands if c.callback}
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            found |= _modules_of(group.typer_instance)
    return found


def test_each_command_names_the_modules_that_register_it() -> None:
    whole = cli_main.app  # every module imported
    names = {g.name for g in whole.registered_groups} | {cli_main._name(c) for c in whole.registered_commands}
    assert names == set(cli_main.COMMANDS)
    for group in whole.registered_groups:
        assert group.typer_instance is not None and group.name is not None
        needed = {m.removeprefix("himaya.cli.") for m in _modules_of(group.typer_instance)}
        assert needed <= set(cli_main.COMMANDS[group.name]), group.name
    for command in whole.registered_commands:
        assert command.callback is not None
        name = cli_main._name(command)
        assert name is not None and command.callback.__module__.removeprefix("himaya.cli.") in cli_main.COMMANDS[name]
    assert {m for ms in cli_main.COMMANDS.values() for m in ms} == set(cli_main.MODULES)


def test_a_command_imports_only_its_own_modules() -> None:
    """`himaya project --help` imports neither the store, the other commands nor the Arabic help: the
    import of every command line costs each command about a second (docs/insurance.md, "Speed")."""
    code = (
        "import sys\n"
        "sys.argv = ['himaya', 'project', '--help']\n"
        "from himaya.cli import main\n"
        "try:\n    main.main()\nexcept SystemExit:\n    pass\n"
        "heavy = ['sqlalchemy', 'alembic', 'pyarrow', 'lxml', 'argon2', 'dask', 'fastapi', 'jinja2',\n"
        "         'himaya.cli.registry', 'himaya.cli.help_ar', 'himaya.db.tables']\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_composition_roots_names_read_on_first_use_are_the_modules() -> None:
    from himaya import bootstrap  # noqa: PLC0415
    from himaya.adapters import iso20022, passwords  # noqa: PLC0415
    from himaya.bootstrap import letters, payroll, public  # noqa: PLC0415

    assert bootstrap.hash_password is passwords.hash_password
    assert bootstrap.payment_file_writer is iso20022.write_pain001
    assert bootstrap.payroll_store is payroll
    assert bootstrap.public_statistics is public.public_statistics
    assert bootstrap.family_letter is letters.family_letter
    with pytest.raises(AttributeError, match="nosuch"):
        bootstrap.nosuch  # noqa: B018
