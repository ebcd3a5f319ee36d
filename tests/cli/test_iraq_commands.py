"""The Iraq pack at the command line: `--pack iraq` or HIMAYA_PACK=iraq, its example, its refusals."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner, Result

from himaya.cli.main import app
from himaya.policy.packs import load_pack
from himaya.policy.parameters import Status
from tests.conftest import REPO

CHILD_15 = REPO / "examples/reforms/child-15.yaml"
EXAMPLE = REPO / "src/himaya/policy/packs/iraq/examples/people.csv"
runner = CliRunner()


def himaya(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


EXPECTED = [
    "period,family_id,person_id,programme,amount",
    "2025-11,F01,1001,sp_cash,275000",
    "2025-11,F01,1003,student_grant,30000",
    "2025-11,F01,1004,student_grant,50000",
    "2025-11,F02,2001,sp_cash,225000",
    "2025-11,F02,2002,student_grant,50000",
    "2025-11,F02,2003,student_grant,100000",
    "2025-11,F06,6001,sp_cash,225000",
    "2025-11,F06,6003,caregiver,170000",
    "2025-11,F08,8001,sp_cash,175000",
]


def test_entitlements_of_the_example_in_whole_dinars() -> None:
    result = himaya("entitlements", EXAMPLE, "--period", "2025-11", "--pack", "iraq")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == EXPECTED


def test_the_setting_chooses_the_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIMAYA_PACK", "iraq")
    result = himaya("entitlements", EXAMPLE, "--period", "2025-11")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == EXPECTED
    # --pack wins over the setting: the Iraq table is not Oman's contract.
    refused = himaya("entitlements", EXAMPLE, "--period", "2025-11", "--pack", "oman")
    assert refused.exit_code == 2 and "a table of the iraq pack, not of the oman pack" in refused.stderr


def test_parameters_lists_the_assumed_values_only() -> None:
    result = himaya("parameters", "--pack", "iraq", "--status", "ASSUMED", "--at", "2025-11-01")
    assert result.exit_code == 0, result.stderr
    listed = [line.split(" = ")[0] for line in result.stdout.splitlines() if " = " in line]
    tree = load_pack("iraq").parameters
    assumed = sorted(p.path for p in tree if p.status is Status.ASSUMED)
    assert listed == assumed and "sp_cash.pmt.weight.wage" in listed and "sp_cash.men.first_member" in listed
    assert "(from 2024-01-01, ASSUMED)" in result.stdout and "LIKELY" not in result.stdout
    assert "sp_cash.men.first_member = 125000 IQD" in result.stdout


def test_parameters_in_arabic_name_governorates_and_months() -> None:
    result = himaya("parameters", "--pack", "iraq", "--lang", "ar", "--at", "2025-11-01")
    assert result.exit_code == 0, result.stderr
    assert "أربيل، السليمانية، دهوك، حلبجة" in result.stdout
    assert "تشرين الأول" in result.stdout and "د.ع." in result.stdout


def test_explain_says_the_subsidy_is_suspended_for_absence() -> None:
    result = himaya("explain", EXAMPLE, "--period", "2025-11", "--pack", "iraq", "--family", "F03")
    assert result.exit_code == 0, result.stderr
    assert "withheld: suspended: all the family's pupils were absent from school this month" in result.stdout
    assert "welfare per person a month: 50000 IQD" in result.stdout
    arabic = himaya("explain", EXAMPLE, "--period", "2025-11", "--pack", "iraq", "--family", "F03", "--lang", "ar")
    assert "موقوفة: تغيَّب جميع تلاميذ الأسرة عن المدرسة هذا الشهر" in arabic.stdout


def test_explain_names_the_failed_condition() -> None:
    kri = himaya("explain", EXAMPLE, "--period", "2025-11", "--pack", "iraq", "--person", "4001")
    assert "[ ] the family lives in a governorate of the federal scheme (outside the Kurdistan Region)" in kri.stdout
    line = himaya("explain", EXAMPLE, "--period", "2025-11", "--pack", "iraq", "--person", "7001")
    assert "[ ] welfare per person below the poverty line (137,000 IQD a month)" in line.stdout
    assert "welfare: measured by the social researcher's survey" in line.stdout
    pension = himaya("explain", EXAMPLE, "--period", "2025-11", "--pack", "iraq", "--person", "5001")
    assert "[ ] no member of the family receives a state pension" in pension.stdout


def test_a_citizens_statement_in_dinars() -> None:
    result = himaya("explain", EXAMPLE, "--period", "2025-11", "--pack", "iraq", "--family", "F01", "--citizen")
    assert result.exit_code == 0, result.stderr
    assert "What the family receives for November 2025: 355,000 IQD" in result.stdout


@pytest.mark.parametrize(
    ("column", "value", "rule"),
    [
        ("wage", "125000.5", "has decimals: IQD amounts are whole dinars"),
        ("wage", "-1", "must not be negative"),
        ("pmt_pc_welfare", "90 000", "must be an amount in IQD such as 125000"),
        ("governorate", "Kurdistan", "must be one of Baghdad"),
        ("kinship_degree", "first", "must be the degree of kinship to the person cared for, 1 to 9"),
        ("school_level", "secondary", "must be one of none, primary"),
    ],
)
def test_a_bad_value_is_refused_naming_row_field_value_and_rule(
    tmp_path: Path, column: str, value: str, rule: str
) -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[3].split(",")
    row[header.index(column)] = value
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join([lines[0], *lines[1:3], ",".join(row), *lines[4:]]) + "\n", encoding="utf-8")
    target = tmp_path / "out.csv"
    result = himaya("entitlements", broken, "--period", "2025-11", "--pack", "iraq", "--output", target)
    assert result.exit_code == 2
    assert f"row 3, column {column}" in result.stderr and repr(value) in result.stderr and rule in result.stderr
    assert not target.exists()  # nothing half-written


def test_the_governorate_is_required(tmp_path: Path) -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    index = lines[0].split(",").index("governorate")
    table = tmp_path / "no_governorate.csv"
    table.write_text(
        "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != index) for line in lines) + "\n",
        encoding="utf-8",
    )
    result = himaya("entitlements", table, "--period", "2025-11", "--pack", "iraq")
    assert result.exit_code == 2 and "governorate" in result.stderr and "required column is missing" in result.stderr


@pytest.mark.parametrize(("pack", "message"), [("syria", "unknown policy pack 'syria'"), ("../x", "not a valid pack")])
def test_an_unknown_pack_is_refused(pack: str, message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    result = himaya("parameters", "--pack", pack)
    assert result.exit_code == 2 and message in result.stderr
    monkeypatch.setenv("HIMAYA_PACK", pack)
    assert message in himaya("parameters").stderr


def test_a_period_before_the_pack_is_refused() -> None:
    result = himaya("entitlements", EXAMPLE, "--period", "2023-12", "--pack", "iraq")
    assert result.exit_code == 2 and "before 2024-01, the first month the iraq pack covers" in result.stderr


def test_case_types_are_the_installation_packs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIMAYA_PACK", "iraq")
    result = himaya("cases", "types")
    assert result.exit_code == 0, result.output
    assert "benefit_stop  Benefit stopped" in result.stdout and "appeal  Objection to a decision" in result.stdout
    assert "grievance" not in result.stdout  # Iraq's types, not Oman's
    monkeypatch.setenv("HIMAYA_PACK", "oman")
    assert "grievance  Grievance" in himaya("cases", "types").stdout


@pytest.mark.parametrize("command", ["entitlements", "simulate"])
def test_an_iraq_table_through_the_oman_pack_is_refused_naming_its_columns(command: str, tmp_path: Path) -> None:
    # Values Oman's contract accepts too: only the columns tell that the table is Iraq's (it paid no one, exit 0).
    table = pl.read_csv(EXAMPLE, infer_schema=False).with_columns(disability_category=pl.lit(None, pl.String))
    table.write_csv(path := tmp_path / "iraq.csv")
    table_argument = [path] if command == "entitlements" else ["--population", path, "--reform", CHILD_15]
    result = himaya(command, *table_argument, "--period", "2025-11", "--pack", "oman")
    assert result.exit_code == 2, result.output
    assert "a table of the iraq pack, not of the oman pack" in result.stderr
    assert "pmt_pc_welfare" in result.stderr and "give --pack iraq" in result.stderr
    assert result.stdout == ""


def test_iraqi_month_names_and_a_salarys_gender_in_arabic() -> None:
    citizen = himaya(
        "explain", EXAMPLE, "--period", "2025-11", "--pack", "iraq", "--family", "F06", "--citizen", "--lang", "ar"
    )
    assert citizen.exit_code == 0, citizen.stderr
    assert "ما تستحقه الأسرة عن شهر تشرين الثاني" in citizen.stdout and "نوفمبر" not in citizen.stdout
    plain = himaya("explain", EXAMPLE, "--period", "2025-11", "--pack", "iraq", "--family", "F06", "--lang", "ar")
    assert "راتب المعين المتفرغ: غير مستحق\n" in plain.stdout  # a salary (راتب) is masculine
    assert "المنحة الطلابية: غير مستحقة\n" in plain.stdout  # a grant (منحة) is not


def test_a_members_relationship_in_arabic_follows_their_sex() -> None:
    citizen = himaya(
        "explain", EXAMPLE, "--period", "2025-11", "--pack", "iraq", "--family", "F02", "--citizen", "--lang", "ar"
    )
    assert citizen.exit_code == 0, citizen.stderr
    assert "(الابن)" in citizen.stdout and "(الابنة)" in citizen.stdout  # 2002 is a boy, 2003 a girl
    assert "الابن أو الابنة" not in citizen.stdout


def _synthetic_iraq(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pl.DataFrame:
    monkeypatch.setenv("HIMAYA_DATABASE_URL", f"sqlite:///{tmp_path / 'iraq.db'}")
    assert himaya("db", "upgrade").exit_code == 0
    made = tmp_path / "iraq.parquet"
    result = himaya("synth", "--pack", "iraq", "--persons", "300", "--seed", "4", "--as-of", "2025-11-01", "-o", made)
    assert result.exit_code == 0, result.output
    return pl.read_parquet(made)


@pytest.mark.parametrize(
    ("district", "governorate"),
    [("Erbil", "Baghdad"), ("Karkh", "Erbil"), ("Ba'aj", "Baghdad")],
)
def test_a_district_outside_the_rows_governorate_is_refused(
    district: str, governorate: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Kurdistan district under a federal governorate would be paid by a scheme that does not
    reach it, in the branch of another place (outside attack, HIGH): the row is refused, naming it."""
    people = _synthetic_iraq(tmp_path, monkeypatch)
    head = people.with_row_index("row", offset=1).filter(pl.col("relationship") == "head").row(0, named=True)
    bad = people.with_columns(
        pl.when(pl.col("person_id") == head["person_id"])
        .then(pl.lit(district))
        .otherwise("district")
        .alias("district"),
        pl.when(pl.col("person_id") == head["person_id"])
        .then(pl.lit(governorate))
        .otherwise("governorate")
        .alias("governorate"),
    )
    bad.write_parquet(tmp_path / "bad.parquet")
    result = himaya("registry", "import", tmp_path / "bad.parquet", "--pack", "iraq", "--as-of", "2025-10-01")
    assert result.exit_code == 2, result.output
    assert f"row {head['row']}" in result.output and "governorate" in result.output
    assert f"is not the governorate of the district {district}" in result.output
    assert himaya("registry", "show", str(head["person_id"])).exit_code == 3  # nothing was imported


def test_a_district_under_its_own_governorate_is_imported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    people = _synthetic_iraq(tmp_path, monkeypatch)
    people.write_parquet(tmp_path / "good.parquet")
    result = himaya("registry", "import", tmp_path / "good.parquet", "--pack", "iraq", "--as-of", "2025-10-01")
    assert result.exit_code == 0, result.output


def test_case_types_follow_the_registrys_pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An Iraq registry lists Iraq's case types, with no HIMAYA_PACK set (outside attack, MEDIUM)."""
    monkeypatch.delenv("HIMAYA_PACK", raising=False)
    people = _synthetic_iraq(tmp_path, monkeypatch)
    people.write_parquet(tmp_path / "iraq.parquet")
    assert (
        himaya("registry", "import", tmp_path / "iraq.parquet", "--pack", "iraq", "--as-of", "2025-10-01").exit_code
        == 0
    )
    listed = himaya("cases", "types")
    assert listed.exit_code == 0, listed.output
    assert "benefit_stop" in listed.stdout and "grievance" not in listed.stdout


@pytest.mark.parametrize("name", ["", "__init__", "pack"])
def test_a_pack_name_that_is_no_pack_is_refused(name: str) -> None:
    """`--pack ""` fell back to Oman, and `--pack __init__` imported a module of the user's choosing
    (outside attack, LOW): both are refused, naming the packs there are."""
    result = himaya("entitlements", EXAMPLE, "--period", "2025-11", "--pack", name)
    assert result.exit_code == 2, result.output
    assert "not a valid pack name" in result.output or "the packs are iraq, oman" in result.output
