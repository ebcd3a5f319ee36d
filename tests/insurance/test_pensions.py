"""`himaya insurance pension|pensions` as an officer types them, on SQLite and PostgreSQL: the
career declared is read from the store, the pension explained with its parameters, the death
pension shared; bad paths (unknown person, no career, a day before the law, a living person's death
pension, no survivor) are clear errors with their exit status."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import Result

from tests.insurance.test_commands import EXAMPLES, PEOPLE, himaya

SHORT = EXAMPLES / "reform-short-careers.yaml"


@pytest.fixture
def declared(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIMAYA_DATABASE_URL", database_url)
    for args in (
        ("db", "upgrade"),
        ("registry", "import", PEOPLE, "--as-of", "2025-12-01"),
        ("insurance", "employers", EXAMPLES / "employers.csv"),
        ("insurance", "declare", EXAMPLES / "nizwa-dates-2026-01.csv", "--month", "2026-01", "--employer", "1234567"),
        ("insurance", "declare", EXAMPLES / "batch-2026-02.csv", "--month", "2026-02"),
        ("insurance", "declare", EXAMPLES / "nizwa-dates-2026-03.csv", "--month", "2026-03", "--employer", "1234567"),
    ):
        result = himaya(*args)
        assert result.exit_code == 0, result.stderr


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.stderr
    return " ".join(result.stdout.split())


def test_a_pension_explained_from_the_declared_career(declared: None) -> None:
    young = ok(himaya("insurance", "pension", "10000021", "--as-of", "2026-04-01"))
    assert "Old-age pension, 10000021, 2026-04-01: 0.000 OMR (not entitled: younger than the earliest pension age)" in (
        young
    )
    assert "Months of old-age insurance: 2" in young and "Average revalued wage: 420.000 OMR" in young
    assert "insurance.pension.minimum_months = 180 [ASSUMED]" in young
    assert "art. 75(2): an insured woman five years before the age of old age" in young
    at_60 = ok(himaya("insurance", "pension", "10000081", "--as-of", "2026-11-20", "--reform", SHORT))
    assert "Old-age pension, 10000081, 2026-11-20: 100.000 OMR (entitled)" in at_60
    assert "Accrued: average x accrual x years: 2.000 OMR Raised to the minimum pension: 100.000 OMR" in at_60
    assert "insurance.pension.minimum_months = 1 [REFORM]" in at_60
    arabic = ok(himaya("insurance", "pension", "10000031", "--as-of", "2026-04-01", "--reform", SHORT, "--lang", "ar"))
    assert "معاش الشيخوخة" in arabic and "(مستحق)" in arabic and "مرفوع إلى الحد الأدنى للمعاش" in arabic
    assert "المرسوم السلطاني رقم" in arabic


def test_a_death_pension_and_its_shares(declared: None) -> None:
    death = ok(himaya("insurance", "pension", "10000071", "--death", "--children", "2", "--parents", "1",
                      "--reform", SHORT))  # fmt: skip
    assert "Death pension, 10000071, 2026-10-20: 100.000 OMR (entitled)" in death
    assert "child 1: 3/8 = 37.500 OMR child 2: 3/8 = 37.500 OMR parent 1: 1/8 = 12.500 OMR" in death
    arabic = ok(himaya("insurance", "pension", "10000071", "--death", "--widows", "1", "--parents", "2",
                       "--reform", SHORT, "--lang", "ar"))  # fmt: skip
    assert "معاش الوفاة" in arabic and "حصص المستحقين" in arabic and "أرملة" in arabic and "والد" in arabic
    too_short = ok(himaya("insurance", "pension", "10000071", "--death", "--widows", "1"))
    assert "0.000 OMR (not entitled: too few months of contributions)" in too_short
    disability = ok(himaya("insurance", "pension", "10000021", "--disabled-on", "2026-04-01", "--reform", SHORT))
    assert "Disability pension, 10000021, 2026-04-01: 112.700 OMR (entitled)" in disability  # 420 x 2 % x 161 / 12
    assert "Months of old-age insurance: 2" in disability and "Months credited to the pension age: 159" in disability


def test_every_insured_persons_pension_as_a_table(declared: None, tmp_path: Path) -> None:
    listed = ok(himaya("insurance", "pensions", "--as-of", "2026-11-30", "--reform", SHORT))
    assert "pensions on 2026-11-30: 7 insured person(s), 2 entitled, 200.000 OMR a month" in listed
    assert "10000071 1 months average 250.000 pension 0.000 dead" in listed
    table = tmp_path / "pensions.csv"
    ok(himaya("insurance", "pensions", "--as-of", "2026-11-30", "--output", table))
    written = pl.read_csv(table, schema_overrides={"civil_number": pl.String, "pension": pl.String})
    assert written.height == 7 and set(written["status"]) == {"too_young", "too_few_months", "dead"}
    assert written.filter(pl.col("civil_number") == "10000081")["pension"].to_list() == ["0.000"]


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (("99999999", "--as-of", "2026-04-01"), 3, "no person with civil number '99999999' in the registry"),
        (("10000001", "--as-of", "2026-04-01"), 3, "no declared month for civil number '10000001'"),
        (("10000021", "--as-of", "2023-12-31"), 2, "the day 2023-12-31 is before 2024-01-01, the first day of the law"),
        (("10000021", "--death", "--widows", "1"), 2, "civil number '10000021' is not recorded as dead"),
        (("10000071", "--death"), 2, "no survivor: a death pension is shared among widows, children or parents"),
        (("10000071", "--death", "--widows", "5"), 2, "widows: 5 is not from 0 to 4"),
        (("10000071", "--death", "--widows", "1", "--as-of", "2026-04-01"), 2, "--death is computed on the registry's"),
        (("10000021", "--as-of", "2026-04-01", "--lang", "fr"), 2, "--lang must be one of en, ar, not 'fr'"),
    ],
)
def test_bad_requests_are_clear_errors(declared: None, args: tuple[str, ...], status: int, message: str) -> None:
    refused = himaya("insurance", "pension", *args)
    assert refused.exit_code == status, refused.stdout
    assert message in " ".join(refused.stderr.split())


def test_no_insured_person_yet(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIMAYA_DATABASE_URL", database_url)
    assert himaya("db", "upgrade").exit_code == 0
    refused = himaya("insurance", "pensions", "--as-of", "2026-04-01")
    assert refused.exit_code == 3 and "no insured person has a declared month yet" in refused.stderr


def test_a_job_security_claim(declared: None) -> None:
    short = ok(himaya("insurance", "job-security", "10000021", "--lost-on", "2026-04-10"))
    assert "Job security benefit, 10000021, 2026-04-10: 0.000 OMR (not entitled: too few months of contributions)" in (
        short
    )
    assert "Claim: 1 (qualifying: 12 month(s) in the last 36) Months of contributions in them: 2" in short
    paid = ok(himaya("insurance", "job-security", "10000021", "--lost-on", "2026-04-10", "--reform", SHORT))
    assert "2026-04-10: 252.000 OMR (entitled)" in paid and "Total of the claim: 1,512.000 OMR" in paid
    assert "insurance.job_security.benefit.minimum = 115.000 OMR [LIKELY]" in paid
    second = ok(himaya("insurance", "job-security", "10000061", "--lost-on", "2026-04-10", "--claim", "2"))
    assert "Months of contributions in them: 0" in second  # a non-Omani is not insured for job security
    for args, status, message in (
        (("99999999", "--lost-on", "2026-04-10"), 3, "no person with civil number '99999999'"),
        (("10000021", "--lost-on", "2023-06-30"), 2, "the loss of the job on 2023-06-30 is before 2024-01-01"),
        (("10000021", "--lost-on", "2026-04-10", "--claim", "0"), 2, "Invalid value for '--claim'"),
    ):
        refused = himaya("insurance", "job-security", *args)
        assert refused.exit_code == status and message in " ".join(refused.stderr.split()), refused.stderr


def test_a_claim_not_entitled_or_under_a_reform_refers_no_one(declared: None) -> None:
    """(An entitled claim's referral: tests/cases/test_claim_referrals.py and docs/synth.md.)"""
    short = ok(himaya("insurance", "job-security", "10000021", "--lost-on", "2026-04-10", "--refer"))
    assert "not entitled: no referral proposed" in short  # no login needed to propose nothing
    reformed = himaya("insurance", "job-security", "10000021", "--lost-on", "2026-04-10", "--refer", "--reform", SHORT)
    assert reformed.exit_code == 2 and "a referral follows the law in force" in reformed.stderr
    unknown = himaya("insurance", "job-security", "10000021", "--lost-on", "2026-04-10", "--refer", "--as", "nobody")
    assert unknown.exit_code == 0 and "no referral proposed" in unknown.stdout


def test_a_maternity_allowance(declared: None) -> None:
    short = ok(himaya("insurance", "maternity", "10000051", "--birth-on", "2026-04-15"))
    assert "Maternity allowance, 10000051, 2026-04-15: 0.000 OMR (not entitled: too few months of contributions)" in (
        short
    )
    assert "Qualifying: 6 month(s) of maternity insurance in the last 12 Months of contributions in them: 2" in short
    paid = ok(himaya("insurance", "maternity", "10000051", "--birth-on", "2026-04-15", "--reform", SHORT))
    assert "2026-04-15: 8,061.284 OMR (entitled)" in paid  # (3,000 x 20/31 + 3,000) / 2 / 30 = 82.258 a day x 98
    assert "Average monthly wage: 2,467.742 OMR" in paid and "Days of leave paid: 98" in paid
    assert "insurance.maternity.benefit.days = 98 [ASSUMED]" in paid
    arabic = ok(
        himaya("insurance", "maternity", "10000051", "--birth-on", "2026-04-15", "--reform", SHORT, "--lang", "ar")
    )
    assert "بدل الأمومة" in arabic and "أيام الإجازة المدفوعة" in arabic
    for args, status, message in (
        (("99999999", "--birth-on", "2026-04-15"), 3, "no person with civil number '99999999'"),
        (("10000021", "--birth-on", "2026-04-15"), 2, "is not recorded as a woman"),
        (("10000051", "--birth-on", "2023-06-30"), 2, "the birth on 2023-06-30 is before 2024-01-01"),
        (("10000051", "--birth-on", "2026-13-01"), 2, "2026-13-01"),
    ):
        refused = himaya("insurance", "maternity", *args)
        assert refused.exit_code == status and message in " ".join(refused.stderr.split()), refused.stderr
