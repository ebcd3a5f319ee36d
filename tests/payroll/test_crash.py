"""Kill the payroll at each step (like kill -9: no clean-up, no commit) and run it again: it
resumes and ends exactly where an uninterrupted run ends."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from himaya.core.faults import CRASH_VARIABLE, KILLED
from himaya.db.engine import connect
from tests.logins import logged_in

STEPS = [
    ("run", "payroll.run:entitlements"),
    ("run", "payroll.run:lines"),
    ("run", "payroll.run:before-commit"),
    ("export", "payroll.export:file"),
    ("export", "payroll.export:before-commit"),
]
PAYER = {"HIMAYA_PAYER_IBAN": "OM930180000009876543210", "HIMAYA_PAYER_BIC": "BMUSOMRXXXX"}  # not the demo's


def himaya(url: str, *args: str, actor: str = "maker", crash: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HIMAYA_DATABASE_URL": url, "HIMAYA_ACTOR": actor, **PAYER}
    if args[0] == "payroll":  # the payroll's steps are done by a user of the store, logged in
        env.update(logged_in(url, actor))
    env.pop(CRASH_VARIABLE, None)
    if crash:
        env[CRASH_VARIABLE] = crash
    return subprocess.run(
        [sys.executable, "-m", "himaya.cli.main", *args], capture_output=True, text=True, env=env, check=False
    )


def _cycle(
    url: str, folder: Path, people: Path, crash: tuple[str, str] | None
) -> tuple[list[tuple[object, ...]], dict[str, str]]:
    for args in (
        ("db", "upgrade"),
        ("registry", "import", str(people), "--as-of", "2025-12-01"),
        ("enrollment", "sync", "--period", "2026-01"),
    ):
        assert himaya(url, *args).returncode == 0
    steps = [
        ("run", ("payroll", "run", "--period", "2026-01"), "maker"),
        ("submit", ("payroll", "submit", "--period", "2026-01"), "maker"),
        ("approve", ("payroll", "approve", "--period", "2026-01"), "checker"),
        (
            "export",
            ("payroll", "export", "--period", "2026-01", "--output-dir", str(folder), "--execution-date", "2026-01-25"),
            "finance",
        ),
    ]
    for name, args, actor in steps:
        if crash and crash[0] == name:
            killed = himaya(url, *args, actor=actor, crash=crash[1])
            assert killed.returncode == KILLED, killed.stderr
        done = himaya(url, *args, actor=actor)
        assert done.returncode == 0, done.stderr
    engine = connect(url)
    with engine.connect() as connection:
        lines = connection.execute(
            sa.text(
                "SELECT p.civil_number, l.programme, CAST(l.month AS VARCHAR(10)), l.kind, l.amount,"
                " payee.civil_number, l.iban, l.end_to_end_id, l.status, l.message_id FROM payment_line l"
                " JOIN person p ON p.id = l.person_id JOIN person payee ON payee.id = l.payee_id"
                " ORDER BY l.end_to_end_id"
            )
        ).all()
        state = connection.execute(sa.text("SELECT state FROM payroll_run")).scalars().all()
    engine.dispose()
    assert state == ["exported"]
    # The creation time is the approval's, which differs between two databases: leave it out.
    files = {
        f.name: hashlib.sha256(re.sub(rb"<CreDtTm>[^<]*</CreDtTm>", b"", f.read_bytes())).hexdigest()
        for f in sorted(folder.glob("*.xml"))
    }
    return [tuple(r) for r in lines], files


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("people") / "people.parquet"
    assert (
        subprocess.run(
            [
                sys.executable,
                "-m",
                "himaya.cli.main",
                "synth",
                "--persons",
                "600",
                "--seed",
                "5",
                "--output",
                str(path),
            ],
            check=False,
        ).returncode
        == 0
    )
    return path


@pytest.fixture(scope="module")
def reference(
    people: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[list[tuple[object, ...]], dict[str, str]]:
    folder = tmp_path_factory.mktemp("reference")
    return _cycle(f"sqlite:///{folder / 'h.db'}", folder / "bank", people, None)


@pytest.mark.parametrize("crash", STEPS, ids=[point for _, point in STEPS])
def test_killed_and_run_again_ends_as_an_uninterrupted_run(
    crash: tuple[str, str],
    people: Path,
    reference: tuple[list[tuple[object, ...]], dict[str, str]],
    database_url: str,
    tmp_path: Path,
) -> None:
    lines, files = _cycle(database_url, tmp_path / "bank", people, crash)
    reference_lines, reference_files = reference
    assert lines == reference_lines
    assert files == reference_files
