"""`himaya synth --insurance`: careers that are the same for the same seed, within the months and
the people of the table, with the published sector split, gaps and later starts; files that load
through `himaya insurance employers` and `declare` on both databases, so that the benefits answer
for the synthetic people; and the refusals (no month before --as-of, a pack without careers)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from himaya.bootstrap import insurance as store
from himaya.cli.main import app
from himaya.core.periods import Period
from himaya.db.registry_import import import_people
from himaya.insurance.files import employer_schema
from himaya.policy.packs import load_pack
from himaya.policy.table import validate_table
from himaya.synth.career_report import calibration, declaration_files
from himaya.synth.careers import CareerAssumptions, careers, months_before
from himaya.synth.generate import SynthRequest, generate
from tests.db.conftest import database_url, engine, postgres_problem  # noqa: F401  (both databases)

AS_OF = date(2025, 2, 1)
PACK = load_pack()


@pytest.fixture(scope="module")
def people() -> pl.DataFrame:
    return generate(SynthRequest(persons=3_000, seed=5, as_of=AS_OF)).people


def test_the_same_seed_gives_the_same_careers_and_another_seed_others(people: pl.DataFrame) -> None:
    one, two = careers(people, seed=5, as_of=AS_OF), careers(people, seed=5, as_of=AS_OF)
    assert one.lines.equals(two.lines) and one.employers.equals(two.employers)
    assert not careers(people, seed=6, as_of=AS_OF).lines.equals(one.lines)


def test_lines_are_of_the_table_s_people_within_the_months(people: pl.DataFrame) -> None:
    made = careers(people, seed=5, as_of=AS_OF)
    months = months_before(AS_OF)
    assert (str(months[0]), str(months[-1]), len(months)) == ("2024-01", "2025-01", 13)
    lines = made.lines.with_columns(pl.col("month").dt.month_end().dt.day().alias("length"))
    assert set(lines["month"].unique().to_list()) == {m.start for m in months}
    assert lines.filter((pl.col("days") < 1) | (pl.col("days") > pl.col("length"))).is_empty()
    assert lines["wage"].min() > 0 and not lines.select("month", "cr_number", "civil_number").is_duplicated().any()
    assert set(lines["cr_number"].unique().to_list()) == set(made.employers["cr_number"].to_list())
    known = people.select(pl.col("person_id").alias("civil_number"), "birth_date", "nationality", "employed")
    joined = lines.join(known, on="civil_number", how="left")
    assert joined["birth_date"].null_count() == 0
    too_young = joined.filter(pl.col("month") < pl.col("birth_date").dt.offset_by("17y"))
    assert too_young.is_empty(), too_young
    employed_now = people.filter(pl.col("employed"), pl.col("resident"), pl.col("wage") > 0)["person_id"]
    last = lines.filter(pl.col("month") == months[-1].start)["civil_number"]
    assert set(last.to_list()) == set(employed_now.to_list())  # everyone employed, and only they, is declared now
    registered = validate_table(made.employers, employer_schema(PACK), source="employers")  # the register's contract
    assert registered.height == made.employers.height


def test_the_published_split_gaps_and_later_starts(people: pl.DataFrame) -> None:
    made = careers(people, seed=5, as_of=AS_OF)
    rows = {r.label.strip(): r for r in calibration(people, made, scale=3_000 / 5_165_602)}
    omanis = rows["Insured Omanis"].result
    assert rows["in government"].result == round(CareerAssumptions().omani_government * omanis)
    assert abs(rows["Expatriate workers"].difference) < 0.15
    assert 0.25 < rows["Private-sector Omanis under RO 400"].result < 0.55
    per_person = made.lines.group_by("civil_number").agg(
        pl.len().alias("months"), pl.col("month").min().alias("first"), pl.col("month").max().alias("last"),
        pl.col("cr_number").n_unique().alias("employers"),
    )  # fmt: skip
    span = (pl.col("last").dt.year() * 12 + pl.col("last").dt.month()) - (
        pl.col("first").dt.year() * 12 + pl.col("first").dt.month()
    )
    assert per_person.filter(pl.col("months") < span + 1).height > 0  # a gap inside a career
    assert per_person.filter(pl.col("first") > date(2024, 1, 1)).height > 0  # hired during the window
    assert per_person.filter(pl.col("last") < date(2025, 1, 1)).height > 0  # a job lost in it
    assert per_person.filter(pl.col("employers") > 1).height > 0  # back with another employer


def test_no_month_before_as_of_is_refused(people: pl.DataFrame) -> None:
    with pytest.raises(ValueError, match="no month to declare"):
        careers(people, seed=1, as_of=date(2024, 1, 15))


def test_the_command_writes_files_that_load_and_answer(engine: Engine, tmp_path: Path) -> None:  # noqa: F811
    output = tmp_path / "careers.csv"
    done = CliRunner().invoke(
        app,
        ["synth", "--persons", "400", "--seed", "3", "--as-of", "2025-02-01", "--insurance", "--output", str(output)],
    )
    assert done.exit_code == 0, done.stderr
    folder = tmp_path / "careers.insurance"
    assert re.search(r"wrote .*careers\.insurance: [0-9,]+ employers, 13 monthly declarations", done.stdout)
    note = (folder / "README.md").read_text(encoding="utf-8")
    assert "NCSI 2024" in note and "no count after 2017" in note and "| Insured Omanis |" in note
    people = validate_table(pl.read_csv(output, infer_schema=False), PACK.registry, source=str(output))
    import_people(engine, people, as_of=AS_OF, actor="setup", source={"file": "careers"})
    registered = store.register_employers(engine, PACK, folder / "employers.csv", actor="setup")
    assert registered.created == registered.rows > 0
    files = sorted((folder / "declarations").glob("*.csv"))
    assert [f.stem for f in files] == [str(m) for m in months_before(AS_OF)]
    for file in files:
        store.declare(engine, PACK, file, Period.parse(file.stem), actor="setup", today=date(2026, 1, 1))
    lines = pl.concat([pl.read_csv(f, infer_schema=False) for f in files])
    omani = people.filter(pl.col("nationality") == "OM", pl.col("employed"))["person_id"].to_list()
    counts = lines.filter(pl.col("civil_number").is_in(omani)).group_by("civil_number").len()
    full = counts.filter(pl.col("len") == len(files)).sort("civil_number")["civil_number"][0]
    claim = store.job_security(engine, PACK, full, date(2025, 2, 5), claim=1, tree=PACK.parameters)
    assert claim.status.value == "entitled" and claim.pension >= 115_000
    career = store.career(engine, full)
    assert career["month"].n_unique() == len(files)


def test_the_careers_are_oman_s(tmp_path: Path) -> None:
    done = CliRunner().invoke(
        app, ["synth", "--pack", "iraq", "--persons", "50", "--seed", "1", "--insurance", "--output",
              str(tmp_path / "iraq.csv")],
    )  # fmt: skip
    assert done.exit_code == 2 and "calibrated to Oman's counts" in done.stderr


def test_a_month_s_file_is_a_batch_declaration(people: pl.DataFrame) -> None:
    files = declaration_files(careers(people, seed=5, as_of=AS_OF))
    first = files["2024-01"]
    assert first.columns == ["cr_number", "civil_number", "wage", "days"]
    assert first["wage"].str.contains(r"^[0-9]+\.[0-9]{3}$").all()
