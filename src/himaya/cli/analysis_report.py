"""The report of `himaya simulate`: its tables on the console, in the pack's currency."""

from __future__ import annotations

from collections.abc import Sequence

from rich.measure import Measurement
from rich.table import Table

from himaya.analysis.simulate import Simulation
from himaya.cli.app import out
from himaya.core.money import Currency


def millions(amount: float, currency: Currency) -> str:
    """Millions of the currency's units, from an amount in its smallest unit."""
    return f"{amount / currency.per_unit / 1e6:,.1f}"


def whole(amount: float, currency: Currency) -> str:
    """Whole units (rials, dinars), grouped: amounts of a simulation run from a family's to a country's."""
    return f"{amount / currency.per_unit:,.0f}"


def exact(amount: float, currency: Currency, sign: str = "") -> str:
    """To the smallest unit: 1.250 (rials), 1250 (dinars); `sign` "+" shows it always."""
    return f"{amount / currency.per_unit:{sign}.{currency.decimals}f}"


def _share(value: float) -> str:
    return f"{value:.1%}"


def table(title: str, headings: Sequence[str], rows: Sequence[Sequence[str]], *, left: int = 1) -> Table:
    """A report table whose values are never cut: each column is at least as wide as its longest
    value and its longest heading word (headings wrap between words); the first `left` columns are
    text, the others numbers."""
    table = Table(title=title)
    for index, heading in enumerate(headings):
        cells = [row[index] for row in rows]
        words = [w for text in (*cells, heading) for w in text.split()] if index < left else [*cells]
        words += heading.split()
        table.add_column(
            heading,
            justify="left" if index < left else "right",
            min_width=max((len(w) for w in words), default=1),
            overflow="fold",
        )
    for row in rows:
        table.add_row(*row)
    return table


def show(table: Table) -> None:
    """At the console's width, or wider when the table needs it: a number is never cut, whatever
    the width (80 columns when the report goes to a file or a pipe)."""
    needed = Measurement.get(out, out.options.update_width(10_000), table).minimum
    out.print(table, width=max(out.width, needed), crop=False, soft_wrap=False)


def simulation_report(result: Simulation) -> None:
    out.print(
        f"Reform simulation for {result.period}: {result.reform_name} ({result.persons:,} persons)",
        style="bold",
        markup=False,
    )
    for warning in result.warnings:
        out.print(f"warning: {warning}", style="bold", markup=False)
    _programme_table(result)
    _coverage_tables(result)
    _poverty_tables(result)


def _programme_table(result: Simulation) -> None:
    money = result.currency

    def _omr(amount: float) -> str:
        return whole(amount, money)

    rows = []
    for row in result.programmes.to_dicts():
        base, new = row["baseline_monthly_baisa"], row["reform_monthly_baisa"]
        rows.append(
            [
                row["name_en"],
                f"{row['baseline_recipients']:,}",
                f"{row['reform_recipients']:,}",
                _omr(base),
                _omr(new),
                _omr(12 * base),
                _omr(12 * new),
                _omr(12 * (new - base)),
            ]
        )
    base_total, new_total = result.total("baseline"), result.total("reform")
    totals = [_omr(base_total), _omr(new_total), _omr(12 * base_total), _omr(12 * new_total)]
    rows.append(["Total", "", "", *totals, _omr(12 * (new_total - base_total))])
    headings = [
        "programme",
        *(f"{measure} {state}" for measure in ("beneficiaries", "monthly", "annual") for state in ("today", "reform")),
        "annual change",
    ]
    shown = table(f"Beneficiaries and cost by programme ({money.code}; today: the rules in force)", headings, rows)
    shown.rows[-1].style = "bold"
    show(shown)


def _coverage_tables(result: Simulation) -> None:
    rows = [
        [r["name_en"], f"{r['persons']:,}", _share(r["baseline_covered"]), _share(r["reform_covered"])]
        for r in result.coverage.to_dicts()
    ]
    title = result.coverage_title.en
    show(table(title, ("group", "persons", "today", "reform"), rows))

    if result.governorates is not None:
        rows = [
            [
                r["governorate"],
                f"{r['citizens']:,}",
                _share(r["baseline_covered"]),
                _share(r["reform_covered"]),
                whole(r["baseline_monthly_baisa"], result.currency),
                whole(r["reform_monthly_baisa"], result.currency),
            ]
            for r in result.governorates.to_dicts()
        ]
        places = ("governorate", "citizens", "covered today", "covered reform", "cost today", "cost reform")
        show(table(f"By governorate (cost in {result.currency.code} a month)", places, rows))


def _poverty_tables(result: Simulation) -> None:
    line, money = result.line, result.currency
    unit = "person" if line.elasticity == 1 else "adult equivalent"
    title = (
        f"Poverty: line {money.format(line.line_baisa)} {money.code} a month per {unit} "
        f"({result.unit} size ** {float(line.elasticity):g}; {line.status})"
    )
    labels = {"before": "before transfers", "baseline": "after, today", "reform": "after, reform"}
    rows = [
        [
            population,
            labels[state],
            _share(measures.headcount),
            f"{measures.poor:,}",
            f"{measures.gap:.3f}",
            whole(12 * measures.shortfall_baisa, money),
            f"{result.gini[state]:.3f}" if population == "residents" else "",
        ]
        for population, by_state in result.poverty.items()
        for state, measures in by_state.items()
    ]
    measures = ("population", "income", "headcount", "poor persons", "gap (FGT1)", f"shortfall {money.code}/yr", "Gini")
    show(table(title, measures, rows, left=2))
    out.print(f"poverty line: {line.reference}", style="dim", markup=False)
    if result.unit_note is not None:
        out.print(f"measured per {result.unit}: {result.unit_note}", markup=False)

    rows = [
        [
            str(r["decile"]),
            f"{r['persons']:,}",
            exact(r["baseline_baisa"], money),
            exact(r["reform_baisa"], money),
            exact(r["change_baisa"], money, "+"),
            _share(r["gainers"]),
            _share(r["losers"]),
        ]
        for r in result.deciles.to_dicts()
    ]
    title = f"Gainers and losers by decile of income before transfers ({money.code} a month per person)"
    show(table(title, ("decile", "persons", "today", "reform", "change", "gain", "lose"), rows, left=0))
    _targeting_table(result)


def _targeting_table(result: Simulation) -> None:
    """Each design's errors against incomes before transfers (the names in both languages in the CSV)."""
    if result.targeting is None:
        return
    rows = [
        [
            f"{r['name_en']} / {r['name_ar']}",
            f"{r['poor']:,}",
            f"{r['reached']:,}",
            f"{r['poor_reached']:,}",
            _share(r["exclusion_error"]),
            _share(r["inclusion_error"]),
            _share(r["poor_share_of_spending"]),
        ]
        for r in result.targeting.to_dicts()
    ]
    headings = (
        "design",
        "poor persons",
        "persons reached",
        "poor reached",
        "exclusion error",
        "inclusion error",
        "spent on the poor",
    )
    title = "Targeting errors against income before transfers (persons; poor: below the line)"
    show(table(title, headings, rows))
    out.print(
        "exclusion error: share of the poor in families receiving nothing; inclusion error: share of those "
        "reached who are not poor",
        style="dim",
        markup=False,
    )
