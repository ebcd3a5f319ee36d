"""`himaya NAME ...` builds only NAME's commands; anything else gets the whole app and its help."""

from __future__ import annotations

import sys

import pytest

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
