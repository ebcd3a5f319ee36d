"""The engine's commands as a user types them: outputs, formats, and the bad-input paths."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner, Result

from himaya.cli.demo import EXAMPLE
from himaya.cli.main import app
from tests.conftest import REPO

runner = CliRunner()


def himaya(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def test_entitlements_to_standard_output() -> None:
    result = himaya("entitlements", EXAMPLE, "--period", "2026-11")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "period,family_id,person_id,programme,amount"
    assert "2026-11,F009,10000081,elderly,35.000" in lines  # tapered: own income 1180.000
    assert "2026-11,F006,10000051,family_income_support,82.635" in lines
    assert lines[1:] == sorted(lines[1:], key=lambda line: line.split(",")[1:4])


@pytest.mark.parametrize("suffix", ["csv", "parquet", "json"])
def test_entitlements_to_a_file_in_each_format(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"out.{suffix}"
    result = himaya("entitlements", EXAMPLE, "--period", "2026-01", "--output", target)
    assert result.exit_code == 0, result.stderr
    if suffix == "json":
        rows = json.loads(target.read_text(encoding="utf-8"))
    else:
        frame = pl.read_csv(target, infer_schema=False) if suffix == "csv" else pl.read_parquet(target)
        rows = frame.to_dicts()
    assert list(rows[0]) == ["period", "family_id", "person_id", "programme", "amount"]
    assert {
        "period": "2026-01",
        "family_id": "F001",
        "person_id": "10000003",
        "programme": "disability",
        "amount": "130.000",
    } in rows


def test_format_option_overrides_the_extension(tmp_path: Path) -> None:
    target = tmp_path / "out.dat"
    assert himaya("entitlements", EXAMPLE, "--period", "2026-01", "-o", target, "--format", "json").exit_code == 0
    assert json.loads(target.read_text(encoding="utf-8"))[0]["period"] == "2026-01"


def test_a_reform_changes_the_result(tmp_path: Path) -> None:
    reform = tmp_path / "child15.yaml"
    reform.write_text('name: Child 15\nchanges:\n  child.amount:\n    2027-01-01: "15.000"\n', encoding="utf-8")
    before = himaya("entitlements", EXAMPLE, "--period", "2026-12", "--reform", reform).stdout
    after = himaya("entitlements", EXAMPLE, "--period", "2027-01", "--reform", reform).stdout
    assert ",child,10.000" in before and ",child,15.000" not in before
    assert ",child,15.000" in after and ",child,10.000" not in after


def _broken_table(tmp_path: Path) -> Path:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(",M,2009-02-20,", ",X,2009-02-30,")
    lines[5] = lines[5].replace(",45.000,", ",45.0001,")
    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return broken


def test_a_broken_table_is_refused_with_every_problem_and_no_output(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    result = himaya("entitlements", _broken_table(tmp_path), "--period", "2026-01", "-o", target)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "3 problem(s); the table was refused" in result.stderr
    assert "row 3, column sex, value 'X': must be one of F, M" in result.stderr
    assert "row 3, column birth_date, value '2009-02-30': must be a real date written YYYY-MM-DD" in result.stderr
    assert "row 5, column survivor_pension, value '45.0001': has more than 3 decimals" in result.stderr
    assert not target.exists() and not list(tmp_path.glob(".*partial"))


def test_max_errors_limits_the_listing_but_not_the_summary(tmp_path: Path) -> None:
    result = himaya("entitlements", _broken_table(tmp_path), "--period", "2026-01", "--max-errors", "1")
    assert result.exit_code == 2
    assert "... and 2 more (--max-errors 0 lists them all)" in result.stderr
    assert "summary:" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2023-12"], "period 2023-12 is before 2024-01, the first month the oman pack covers"),
        (["--period", "2026-1"], "is not a month like 2026-01"),
        (["--period", "2026-01", "--format", "xlsx"], "--format must be one of csv, parquet, json"),
        (["--period", "2026-01", "--format", "parquet"], "parquet output needs --output FILE"),
        (["--period", "2026-01", "--pack", "atlantis"], "unknown policy pack 'atlantis'"),
        (["--period", "2026-01", "--reform", "missing.yaml"], "cannot be read"),
    ],
)
def test_usage_errors_exit_2_with_a_message(args: list[str], message: str) -> None:
    result = himaya("entitlements", EXAMPLE, *args)
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.replace("│", " ").split())


def test_unknown_file_and_extension(tmp_path: Path) -> None:
    assert "no such file" in himaya("entitlements", tmp_path / "nope.csv", "--period", "2026-01").stderr
    odd = tmp_path / "people.txt"
    odd.write_text("x", encoding="utf-8")
    assert "cannot tell the format" in himaya("entitlements", odd, "--period", "2026-01").stderr


def test_explain_a_person_in_english_and_arabic() -> None:
    english = himaya("explain", EXAMPLE, "--period", "2026-11", "--person", "10000081")
    assert english.exit_code == 0, english.stderr
    assert "Elderly benefit: 35.000 OMR" in english.stdout
    assert "elderly.income_test.taper_rate = 0.5 (ASSUMED)" in english.stdout
    assert "own monthly income (wage, pensions, other): 1180.000 OMR" in english.stdout
    arabic = himaya("explain", EXAMPLE, "--period", "2026-11", "--person", "10000081", "--lang", "ar")
    assert f"{RLM}منفعة كبار السن: {LRI}35.000{PDI} ر.ع." in arabic.stdout


RLM, LRI, PDI = "\u200f", "\u2066", "\u2069"


@pytest.mark.parametrize(("period", "family"), [("2026-11", "F006"), ("2026-11", "F009"), ("2026-01", "F004")])
def test_explain_in_arabic_is_arabic_throughout(period: str, family: str) -> None:
    """Issue 19: no English in the Arabic explanation; numbers and Latin runs bidi-isolated, each
    line marked right to left; Arabic grammar and punctuation."""
    result = himaya("explain", EXAMPLE, "--period", period, "--family", family, "--lang", "ar")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    for line in text.splitlines():
        assert not line.strip() or line.lstrip(" ").startswith(RLM), line
    isolated = re.findall(f"{LRI}(.*?){PDI}", text)
    outside = re.sub(f"{LRI}.*?{PDI}", "", text)
    assert not re.search("[A-Za-z0-9]", outside), re.findall("[A-Za-z0-9]+", outside)
    # Inside the isolates: numbers, dates, ids and the one web address; never an English word.
    words = {w for run in isolated for w in re.findall("[A-Za-z]{2,}", run)}
    assert words <= {"spf", "gov", "om", "en", "faq"}, words
    plain = text.replace(RLM, "").replace(LRI, "").replace(PDI, "")
    for english in ("OMR", "CONFIRMED", "LIKELY", "ASSUMED", "years", "head", "child", ";"):
        assert english not in plain
    assert "غير مستحق\n" not in plain and "غير مستحق " not in plain  # a benefit (منفعة) is feminine
    assert "متوفى" not in plain


def test_explain_in_arabic_names_statuses_units_and_references() -> None:
    result = himaya("explain", EXAMPLE, "--period", "2026-11", "--family", "F006", "--lang", "ar")
    plain = result.stdout.replace(RLM, "").replace(LRI, "").replace(PDI, "")
    assert "(رب الأسرة)" in plain and "(الابن أو الابنة)" in plain
    assert "منفعة الطفولة: غير مستحقة" in plain
    assert ": 26 سنة (مؤكَّد)" in plain and "نعم؛ الدخل المحتسب: 80.000 ر.ع." in plain
    assert "المرجع: المرسوم السلطاني رقم 52/2023 (قانون الحماية الاجتماعية)، المادة 37" in plain
    assert "عدد الأفراد المحتسبين (ن): 2" in plain
    assert "منفعة كبار السن، منفعة الأشخاص ذوي الإعاقة، منفعة الأيتام، منفعة الأرامل (مفترَض)" in plain


def test_explain_a_family_shows_who_counts_for_family_income_support() -> None:
    result = himaya("explain", EXAMPLE, "--period", "2026-01", "--family", "F006")
    assert result.exit_code == 0, result.stderr
    assert "Family Income Support: 82.635 OMR" in result.stdout
    assert "members counted (n): 2" in result.stdout
    assert "Total for the family: 92.635 OMR" in result.stdout


def test_explain_says_why_a_benefit_is_withheld() -> None:
    result = himaya("explain", EXAMPLE, "--period", "2026-01", "--person", "10000041")
    assert "withheld: not paid together with the Disability benefit" in result.stdout
    assert "combination.exclusive = disability over elderly (ASSUMED)" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give exactly one of --person ID and --family ID"),
        (["--person", "1", "--family", "F001"], "give exactly one of --person ID and --family ID"),
        (["--person", "nobody"], "no person with person_id 'nobody'"),
        (["--family", "F999"], "no family with family_id 'F999'"),
        (["--person", "10000001", "--lang", "fr"], "--lang must be one of en, ar"),
    ],
)
def test_explain_errors(args: list[str], message: str) -> None:
    result = himaya("explain", EXAMPLE, "--period", "2026-01", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_parameters_at_a_date_and_by_status() -> None:
    result = himaya("parameters", "--at", "2025-06-30")
    assert result.exit_code == 0, result.stderr
    assert "fis.single_woman_cap" in result.stdout and "80.000 OMR" in result.stdout
    assumed = himaya("parameters", "--status", "ASSUMED").stdout
    assert "elderly.income_test.taper_rate" in assumed and "child.amount" not in assumed
    assert himaya("parameters", "--status", "maybe").exit_code == 2
    assert himaya("parameters", "--at", "tomorrow").exit_code == 2
    assert "قانون الحماية الاجتماعية" in himaya("parameters", "--lang", "ar").stdout


def test_parameters_in_arabic_are_arabic_but_for_their_paths() -> None:
    """Issue 19: dates, statuses, units, codes, references and notes in Arabic; each line right to
    left, with the parameter's path, numbers and dates isolated."""
    result = himaya("parameters", "--lang", "ar", "--at", "2026-11-30")
    assert result.exit_code == 0, result.stderr
    for line in result.stdout.splitlines():
        assert not line.strip() or line.lstrip(" ").startswith(RLM), line
    outside = re.sub(f"{LRI}.*?{PDI}", "", result.stdout)
    assert not re.search("[A-Za-z0-9]", outside), re.findall("[A-Za-z0-9]+", outside)
    plain = result.stdout.replace(RLM, "").replace(LRI, "").replace(PDI, "")
    assert "child.max_age = 18 سنة  (من 2024-01-01، مؤكَّد)" in plain
    assert "المرجع: المرسوم السلطاني رقم 52/2023 (قانون الحماية الاجتماعية)، المادة 37" in plain
    assert "fis.counted_benefits = منفعة كبار السن، منفعة الأشخاص ذوي الإعاقة، منفعة الأيتام، منفعة الأرامل" in plain
    assert "ملاحظة: لا تنشر عُمان خط فقر رسميًا" in plain
    for english in ("CONFIRMED", "LIKELY", "ASSUMED", "OMR", "years", "(from ", "Royal", "note:"):
        assert english not in plain, english


def test_a_reforms_values_are_labelled_as_the_reforms() -> None:
    """Issue 19 item 5: a reform's value is not CONFIRMED law; the values it leaves keep their status."""
    reform = REPO / "examples" / "reforms" / "child-15.yaml"
    shown = himaya("parameters", "--at", "2027-01-01", "--reform", reform).stdout
    assert "child.amount = 15.000 OMR  (from 2027-01-01, REFORM)" in shown
    assert "child.max_age = 18 years  (from 2024-01-01, CONFIRMED)" in shown
    before = himaya("parameters", "--at", "2026-06-01", "--reform", reform).stdout
    assert "child.amount = 10.000 OMR  (from 2024-01-01, CONFIRMED)" in before  # not yet reformed
    only = himaya("parameters", "--at", "2027-01-01", "--reform", reform, "--status", "REFORM").stdout
    assert "child.amount" in only and "child.max_age" not in only
    arabic = himaya("parameters", "--at", "2027-01-01", "--reform", reform, "--lang", "ar").stdout
    assert "(من 2027-01-01، إصلاح مقترح)" in arabic.replace(LRI, "").replace(PDI, "")
    explained = himaya("explain", EXAMPLE, "--period", "2027-01", "--family", "F006", "--reform", reform).stdout
    assert "child.amount = 15.000 OMR (REFORM)" in explained


def test_demo_runs_end_to_end_and_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIMAYA_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    monkeypatch.chdir(tmp_path)
    result = himaya("demo", "--persons", "5000", "--no-serve")
    assert result.exit_code == 0, result.stderr
    assert "A synthetic Oman of 5,050 records" in result.stdout and "5,050 new" in result.stdout
    # The matcher's merge band on the demo's 50 duplicates (the issue 21 matcher: precision >= 0.98).
    found = re.search(
        r"(\d+) likely pairs, merged; against the ground truth: precision ([\d.]+), recall ([\d.]+)", result.stdout
    )
    assert found, result.stdout
    assert float(found[2]) >= 0.98 and float(found[3]) == 1.0 and 50 <= int(found[1]) <= 51
    assert "intact: True" in result.stdout
    assert "Entitlements for 2026-01" in result.stdout
    assert "Family Income Support:" in result.stdout  # the family explained receives it
    assert "approved by demo:checker" in result.stdout
    assert list((tmp_path / "himaya-demo-bank-files").glob("HIMAYA-202601-*.xml"))
    # Again, with another size and month: a fresh registry each run (issue 19: it failed on the
    # families of the first run), steps numbered as shown.
    again = himaya("demo", "--persons", "3000", "--period", "2026-02", "--no-serve")
    assert again.exit_code == 0, again.stderr
    assert "1. A synthetic Oman of 3,030 records" in again.stdout and "3,030 new, 0 unchanged" in again.stdout
    assert "2. Duplicates (himaya registry dedup): " in again.stdout
    assert "3. Entitlements for 2026-02 (himaya entitlements --registry --period 2026-02)" in again.stdout
    assert "5. Payroll 2026-02" in again.stdout and "approved by demo:checker" in again.stdout


def test_the_demo_empties_only_a_database_of_a_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIMAYA_DATABASE_URL", f"sqlite:///{tmp_path / 'mine.db'}")
    monkeypatch.chdir(tmp_path)
    assert himaya("db", "upgrade").exit_code == 0
    assert himaya("users", "create", "someone", "--generate-password").exit_code == 0
    refused = himaya("demo", "--persons", "1000", "--no-serve")
    assert refused.exit_code == 2
    assert "holds work other than a demo's (1 audit entries)" in refused.stderr
    assert "someone" in himaya("users", "list").stdout  # untouched


def test_installed_command_exit_status() -> None:
    """The console script itself (not only the in-process runner) exits 2 on bad input."""
    done = subprocess.run(
        [sys.executable, "-m", "himaya.cli.main", "entitlements", "nope.csv", "--period", "2026-01"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "nope.csv: no such file" in done.stderr


def test_demo_on_a_given_table() -> None:
    result = himaya("demo", "--people", EXAMPLE, "--period", "2026-01")
    assert result.exit_code == 0, result.stderr
    assert "The people table" in result.stdout and "Family Income Support: 82.635 OMR" in result.stdout
    # The steps it ran, numbered 1 to 3, naming the file it read (not the registry).
    assert [line.split(" ")[0] for line in result.stdout.splitlines() if line[:2] in ("1.", "2.", "3.", "4.")] == [
        "1.",
        "2.",
        "3.",
    ]
    assert f"(himaya entitlements {EXAMPLE} --period 2026-01)" in result.stdout
    assert "--registry" not in result.stdout


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ("fis.counted_benefits:\n    2027-01-01: [elderly, disabilty]", "unknown code(s) disabilty"),
        ("combination.exclusive:\n    2027-01-01: [[disability, pension]]", "unknown code(s) pension"),
        ("disability.categories:\n    2027-01-01: [autism, blind]", "unknown code(s) blind"),
    ],
)
def test_a_reform_naming_unknown_codes_is_refused(tmp_path: Path, changes: str, message: str) -> None:
    reform = tmp_path / "bad.yaml"
    reform.write_text(f"name: bad\nchanges:\n  {changes}\n", encoding="utf-8")
    result = himaya("entitlements", EXAMPLE, "--period", "2027-01", "--reform", reform)
    assert result.exit_code == 2
    assert message in result.stderr


def test_exclusions_apply_one_after_another(tmp_path: Path) -> None:
    """With disability over orphan and orphan over child, a disabled orphan loses the orphan
    benefit, and so keeps the child benefit: a withheld benefit withholds nothing."""
    reform = tmp_path / "chain.yaml"
    reform.write_text(
        "name: chain\nchanges:\n  combination.exclusive:\n"
        "    2026-01-01: [[disability, elderly], [disability, orphan], [orphan, child], [widow, elderly]]\n",
        encoding="utf-8",
    )
    people = tmp_path / "orphan.csv"
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    lines[6] = lines[6].replace(
        ",false,,false,true,false,", ",false,autism,true,true,false,"
    )  # 10000012: disabled orphan
    people.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = himaya("entitlements", people, "--period", "2026-01", "--reform", reform)
    assert result.exit_code == 0, result.stderr
    rows = {line.split(",")[3] for line in result.stdout.splitlines() if ",10000012," in line}
    assert rows == {"disability", "child"}
    explained = himaya("explain", people, "--period", "2026-01", "--person", "10000012", "--reform", reform).stdout
    assert "withheld: not paid together with the Disability benefit" in explained
    assert "withheld: not paid together with the Orphan benefit" not in explained


def test_explain_shows_that_the_head_is_not_born_yet(tmp_path: Path) -> None:
    """Issue 19 item 4: no Family Income Support for a month before the head's birth, and why."""
    people = tmp_path / "people.csv"
    people.write_text(
        "person_id,family_id,relationship,sex,birth_date,nationality,resident,marital_status\n"
        "h,f1,head,M,2024-03-02,OM,true,single\n"
        "s,f1,spouse,F,1992-01-01,OM,true,married\n",
        encoding="utf-8",
    )
    assert "family_income_support" not in himaya("entitlements", people, "--period", "2024-02").stdout
    explained = himaya("explain", people, "--period", "2024-02", "--person", "h").stdout
    assert "Family Income Support: not entitled" in explained
    assert "[ ] the head is born by the end of the month" in explained
    assert "family_income_support" in himaya("entitlements", people, "--period", "2024-03").stdout
