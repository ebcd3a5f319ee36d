"""`himaya simulate` and `himaya project`: what a reform costs today, and what the rules cost to 2050."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.table import Table
from rich.text import Text

from himaya import bootstrap
from himaya.analysis.project import Projection, project
from himaya.analysis.scenario import Difference, Scenario, differences, load_scenario
from himaya.analysis.simulate import Simulation, simulate
from himaya.analysis.targeting import in_currency
from himaya.cli import analysis_fund as fund_cli
from himaya.cli.analysis_csv import simulation_csv
from himaya.cli.analysis_report import millions, show, simulation_report
from himaya.cli.app import (
    MaxErrors,
    PackChoice,
    PeriodArg,
    SchedulerArg,
    WorkersArg,
    app,
    chosen_pack,
    err,
    out,
    reported,
)
from himaya.core.errors import UsageError
from himaya.core.money import Currency
from himaya.policy.pack import PolicyPack, Unit
from himaya.policy.reforms import load_reform

CHART_FORMATS = ("svg", "png")
OutputDir = Annotated[
    str | None, typer.Option("--output", "-o", help="Folder for the JSON, CSV and charts (created if missing).")
]
JsonArg = Annotated[bool, typer.Option("--json", help="Print the JSON to standard output instead of the report.")]
ChartsArg = Annotated[str, typer.Option("--charts", help="Chart format in --output: svg or png.")]


def analysed_pack(name: str | None, command: str) -> PolicyPack:
    """The pack chosen (`--pack`, else HIMAYA_PACK), refused when it gives no analysis inputs (a
    poverty line, the projection's scenario and population data: `PolicyPack.analysis`)."""
    pack = chosen_pack(name)
    if pack.analysis is None:
        raise UsageError(
            f"himaya {command} is not available for the {pack.name} pack: it gives no analysis inputs (poverty"
            " line, projection data; docs/parameters.md)"
        )
    return pack


def _chart_format(text: str) -> str:
    if text not in CHART_FORMATS:
        raise UsageError(f"--charts must be one of {', '.join(CHART_FORMATS)}, not {text!r}")
    return text


def _write(path: Path, text: str) -> None:
    """Beside the target, then renamed into place: a reader never sees half a file."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def _output(text: str | None) -> Path | None:
    """The `--output` folder, checked before anything runs: not empty (it would be the current
    folder unsaid), not an existing file."""
    if text is None:
        return None
    if not text.strip():
        raise UsageError("--output '': give a folder's name (write . for the current folder)")
    folder = Path(text)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--output {text}: not a folder")
    return folder


def _folder(output: Path) -> Path:
    if output.exists() and not output.is_dir():
        raise UsageError(f"--output {output}: not a folder")
    output.mkdir(parents=True, exist_ok=True)
    return output


# Each command's own files in its --output folder: those a run did not write are removed, so the
# folder never mixes two runs (a third scenario's chart after a run with two); other files stay.
SIMULATION_FILES = re.compile(r"simulation(\.json|-(programmes|coverage|deciles|targeting|governorates)\.csv)"
                              r"|(cost-by-programme|change-by-decile)\.(svg|png)")  # fmt: skip
PROJECTION_FILES = re.compile(r"projection\.(json|csv)|(cost-share-of-gdp|cost-by-programme-[0-9]+)\.(svg|png)")


def _prune(folder: Path, own: re.Pattern[str], written: list[str]) -> None:
    """Remove from `folder` the command's `own` files that this run did not write."""
    for path in folder.iterdir():
        if path.is_file() and own.fullmatch(path.name) and path.name not in written:
            path.unlink(missing_ok=True)


def _a_dataset(population: Path | None, *, registry: bool, clustered: bool) -> bool:
    """Whether `--population` names a dataset: a folder, or (with --scheduler or --workers) anything
    but a file; those options with one table or the registry are refused (HIMAYA_DASK_SCHEDULER
    alone is not: it says where datasets run)."""
    if population is None or registry or population.is_file():
        if clustered:
            raise UsageError(
                "--scheduler and --workers run a dataset (a folder of Parquet files, docs/scale.md), "
                "not one table or the registry: make one with `himaya partition`"
            )
        return False
    return population.is_dir() or clustered


@app.command(name="simulate")
def simulate_command(
    period: PeriodArg,
    reform: Annotated[Path, typer.Option("--reform", help="Reform YAML compared with today's rules.")],
    population: Annotated[
        Path | None,
        typer.Option(
            "--population",
            help="People table, CSV or Parquet, or a dataset (a folder of Parquet files, docs/scale.md); "
            "or use --registry.",
        ),
    ] = None,
    registry: Annotated[
        bool, typer.Option("--registry", help="Use the registry as it stood at the end of the period.")
    ] = False,
    output: OutputDir = None,
    as_json: JsonArg = False,
    charts: ChartsArg = "svg",
    pack: PackChoice = None,
    max_errors: MaxErrors = 1000,
    scheduler: SchedulerArg = None,
    workers: WorkersArg = None,
) -> None:
    """Today's rules and a reform on the same population: cost, coverage, poverty, inequality, gainers."""
    with reported(max_errors):
        kind = _chart_format(charts)
        folder = _output(output)
        policy_pack = analysed_pack(pack, "simulate")
        baseline = policy_pack.parameters
        changed = load_reform(reform, baseline)
        reformed = bootstrap.load_tree(policy_pack, reform)
        from himaya.bootstrap import scale  # noqa: PLC0415  (Dask and pyarrow's datasets: `simulate` only)
        from himaya.bootstrap.scale_simulate import dataset_simulation  # noqa: PLC0415

        where = scale.Where.chosen(scheduler, workers)
        if _a_dataset(population, registry=registry, clustered=scheduler is not None or workers is not None):
            assert population is not None  # a dataset is a --population
            simulated = dataset_simulation(
                population,
                pack=policy_pack,
                baseline=baseline,
                reform=reformed,
                period=period,
                reform_name=changed.name,
                where=where,
            )
            result = simulated.simulation
            err.print(f"simulated {result.persons:,} persons from {simulated.files:,} files, on {simulated.on}")
        else:
            people = bootstrap.people_for(policy_pack, population, registry=registry, period=period, places=True)
            result = simulate(people, policy_pack, baseline, reformed, period, reform_name=changed.name)
        for warning in result.warnings:  # on standard error too: a --json reader sees it
            err.print(f"warning: {warning}", markup=False)
        document = json.dumps(in_currency(result.as_dict(), policy_pack.currency), ensure_ascii=False, indent=2)
        if as_json:
            typer.echo(document)  # as is: no markup, emoji codes or wrapping
        else:
            simulation_report(result)
        if folder is not None:
            _write_simulation(result, document, _folder(folder), kind, said=not as_json)


def _write_simulation(result: Simulation, document: str, folder: Path, kind: str, *, said: bool) -> None:
    """The JSON, the CSV tables and the charts of a simulation in `folder`."""
    _write(folder / "simulation.json", document + "\n")
    tables = simulation_csv(result)
    for name, frame in tables.items():
        _write(folder / name, frame.write_csv())
    from himaya.adapters import charts as drawing  # noqa: PLC0415  (matplotlib, only when drawing)

    written = drawing.write_charts(drawing.simulation_charts(result), folder, kind)
    _prune(folder, SIMULATION_FILES, ["simulation.json", *tables, *(p.name for p in written)])
    if said:
        files = ", ".join(["simulation.json", *tables])
        out.print(f"\nwrote {files} and {len(written)} charts in {folder}", markup=False)


@app.command(name="project")
def project_command(
    first: Annotated[int, typer.Option("--from", min=0, max=9999, help="First year (2025 at the earliest).")] = 2025,
    last: Annotated[
        int | None,
        typer.Option(
            "--to", min=0, max=9999, help="Last year (2099 at the latest; default 2050, 2075 with --insurance)."
        ),
    ] = None,
    scenario: Annotated[
        list[Path] | None,
        typer.Option("--scenario", help="Scenario YAML; repeat to compare several (default: today's rules)."),
    ] = None,
    every: Annotated[int, typer.Option("--every", min=1, max=9999, help="Show every N-th year in the report.")] = 5,
    output: OutputDir = None,
    as_json: JsonArg = False,
    charts: ChartsArg = "svg",
    pack: PackChoice = None,
    insurance: Annotated[
        bool, typer.Option("--insurance", help="Project the social insurance fund too, beside the benefits.")
    ] = False,
    variant: Annotated[
        str, typer.Option("--variant", help="WPP population variant: medium, low, high, 80l, 80u, 95l or 95u.")
    ] = "medium",
    with_sensitivity: Annotated[
        bool,
        typer.Option("--sensitivity", help="With --insurance: the sensitivity of the 2050 cost to each assumption."),
    ] = False,
) -> None:
    """Project beneficiaries, cost and cost as a share of GDP, year by year, for one or more scenarios."""
    with reported():
        kind = _chart_format(charts)
        folder = _output(output)
        if every < 1:
            raise UsageError(f"--every must be 1 or more, not {every}")
        if not insurance and (variant != "medium" or with_sensitivity):
            raise UsageError("--variant and --sensitivity are options of the fund's projection: add --insurance")
        policy_pack = analysed_pack(pack, "project")
        keys = tuple(p.key for p in policy_pack.programmes)
        files: list[Path | None] = list(scenario) if scenario else [None]
        assert policy_pack.analysis is not None  # analysed_pack refuses a pack without
        default = policy_pack.analysis.data / "scenario.yaml"
        code = policy_pack.currency.code
        scenarios = [
            load_scenario(file, policy_pack.parameters, keys, default_file=default, currency=code) for file in files
        ]
        if insurance:
            _insurance(
                policy_pack, scenarios, first, last or 2075, every, folder, as_json, kind, variant, with_sensitivity
            )
        else:
            _benefits(policy_pack, scenarios, first, last or 2050, every, folder, as_json, kind)


def _insurance(
    pack: PolicyPack, scenarios: list[Scenario], first: int, last: int, every: int, output: Path | None,
    as_json: bool, kind: str, variant: str, with_sensitivity: bool,
) -> None:  # fmt: skip
    fund_cli.check(scenarios, first, last, variant)
    fund, benefits, table = fund_cli.run(pack, scenarios[0], last, variant=variant, with_sensitivity=with_sensitivity)
    text = fund_cli.document(fund, benefits, table, pack.currency)
    if as_json:
        typer.echo(text)
    else:
        fund_cli.report(fund, benefits, every, pack.currency, table)
    if output is not None:
        names = fund_cli.write(_folder(output), fund, benefits, table, text, kind, _write)
        if not as_json:
            out.print(f"\nwrote {', '.join(names)} in {output}", markup=False)


def _benefits(
    pack: PolicyPack, scenarios: list[Scenario], first: int, last: int, every: int, output: Path | None,
    as_json: bool, kind: str,
) -> None:  # fmt: skip
    inputs = bootstrap.projection_inputs(pack.name)
    projections = [project(s, pack, pack.parameters, first, last, inputs=inputs) for s in scenarios]
    plain = [in_currency(p.as_dict(), pack.currency) for p in projections]
    document = json.dumps(plain, ensure_ascii=False, indent=2)
    warning = _differences_warning(differences(scenarios), scenarios)
    if as_json:
        typer.echo(document)  # as is: no markup, emoji codes or wrapping
        for line in warning:  # no report to hold it
            err.print(line, markup=False)
    else:
        for projection in projections:
            _projection_report(projection, every, pack)
        if len(projections) > 1:
            _comparison(projections, every, warning, pack.currency)
    if output is not None:
        folder = _folder(output)
        _write(folder / "projection.json", document + "\n")
        _write(folder / "projection.csv", _csv(projections, pack.currency))
        from himaya.adapters import charts as drawing  # noqa: PLC0415  (matplotlib, only when drawing)

        written = drawing.write_charts(drawing.projection_charts(projections), folder, kind)
        _prune(folder, PROJECTION_FILES, ["projection.json", "projection.csv", *(p.name for p in written)])
        if not as_json:
            out.print(f"\nwrote projection.json, projection.csv and {len(written)} charts in {folder}", markup=False)


def _shown(years: list[int], every: int) -> list[int]:
    return [y for y in years if (y - years[0]) % every == 0 or y == years[-1]]


def _projection_report(projection: Projection, every: int, pack: PolicyPack) -> None:
    scenario = projection.scenario
    out.print(
        f"\n{scenario.name}  ({scenario.source}; indexation: {scenario.indexation.value})", style="bold", markup=False
    )
    if scenario.description:
        out.print(scenario.description, markup=False)
    population = {row["year"]: row for row in projection.population.to_dicts()}
    totals = {row["year"]: row for row in projection.totals().to_dicts()}
    years = _shown(projection.years, every)
    rows = {(r["year"], r["programme"]): r for r in projection.table.filter(pl.col("year").is_in(years)).to_dicts()}
    money = pack.currency
    families = ", ".join(p.name.en for p in pack.programmes if p.unit is Unit.FAMILY)
    cost = Table(title="Cost as % of GDP by programme")
    beneficiaries = Table(title=f"Beneficiaries, thousands ({families}: families)")
    for table in (cost, beneficiaries):
        table.add_column("year", justify="right")
    # No heading or value is ever cut ("sp_c…"): the table is printed wider than the console instead.
    beneficiaries.add_column("citizens", justify="right", min_width=10)
    for key in projection.programmes:
        cost.add_column(key, justify="right", min_width=max(len(key), 7))
        beneficiaries.add_column(key, justify="right", min_width=max(len(key), 7))
    cost.add_column("total", justify="right", min_width=7)
    cost.add_column(f"{money.code} m", justify="right", min_width=10)
    for year in years:
        cost.add_row(
            str(year),
            *[f"{rows[year, k]['share_of_gdp']:.3%}" for k in projection.programmes],
            f"{totals[year]['share_of_gdp']:.3%}",
            f"{totals[year]['cost_baisa'] / money.per_unit / 1e6:,.0f}",
        )
        beneficiaries.add_row(
            str(year),
            f"{population[year]['citizens'] / 1000:,.0f}",
            *[f"{rows[year, k]['beneficiaries'] / 1000:,.1f}" for k in projection.programmes],
        )
    show(cost)
    show(beneficiaries)


def _differences_warning(found: list[Difference], scenarios: list[Scenario]) -> list[str]:
    """Issue 16: scenarios that differ in more than the rules, said before their totals are compared."""
    if not found:
        return []
    lines = ["warning: the scenarios differ in more than the rules, so the gap between them is not the reform's alone:"]
    for difference in found:
        each = ", ".join(f"{v} ({s.name})" for v, s in zip(difference.values, scenarios, strict=True))
        lines.append(f"  {difference.key}: {each}")
    lines.append("  to see what a reform costs, compare it with a baseline that shares its other assumptions")
    return lines


def _comparison(projections: list[Projection], every: int, warning: list[str], money: Currency) -> None:
    for line in warning:
        out.print(line, style="bold", markup=False)
    table = Table(title=f"Scenarios side by side: total cost, {money.code} million (% of GDP)")
    table.add_column("year", justify="right")
    for projection in projections:
        table.add_column(Text(projection.scenario.name), justify="right")  # the user's words, not markup
    totals = [{row["year"]: row for row in p.totals().to_dicts()} for p in projections]
    for year in _shown(projections[0].years, every):
        table.add_row(
            str(year),
            *[f"{millions(t[year]['cost_baisa'], money)} ({t[year]['share_of_gdp']:.3%})" for t in totals],
        )
    show(table)


def _csv(projections: list[Projection], money: Currency) -> str:
    """One row per scenario, year and programme: the table for a spreadsheet."""
    frames: list[Any] = [
        p.table.join(p.population, on="year").select(
            pl.lit(p.scenario.name).alias("scenario"),
            "year",
            "programme",
            "beneficiaries",
            (pl.col("cost_baisa") / money.per_unit).round(money.decimals).alias(f"cost_{money.code.lower()}"),
            "share_of_gdp",
            "residents",
            "citizens",
            (pl.col("gdp_baisa") / money.per_unit).round(0).alias(f"gdp_{money.code.lower()}"),
        )
        for p in projections
    ]
    return str(pl.concat(frames).write_csv())
