"""Charts of a simulation or a projection, as SVG or PNG, labelled in English and Arabic.

Labels are given to matplotlib in logical order, as they are written: from 3.11 on (the lower
bound in pyproject.toml) matplotlib lays text out with libraqm, which joins Arabic letters and
orders a line by the Unicode bidi algorithm itself. Shaping or reordering the text before would
reverse it a second time. The glyphs come from DejaVu Sans, which matplotlib ships and which
covers Arabic. Each file also carries its bilingual title as metadata (SVG <dc:title>, PNG text),
so the words can be searched and read aloud; an SVG carries no date, so that the same inputs
give the same file.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import polars as pl
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from himaya.analysis.project import Projection
from himaya.analysis.scenario import comparison_note, differences
from himaya.analysis.simulate import Simulation
from himaya.core.text import Text

matplotlib.use("Agg")  # files only, never a window
CHART_FORMATS = ("svg", "png")
FONT = "DejaVu Sans"
COLOURS = ("#1b6ca8", "#e07b39", "#3a9d5d", "#c0392b", "#8e6bb8", "#7f8c8d", "#d4a017")


def label(text: Text, *, sep: str = "\n") -> str:
    """English above (or beside) Arabic, in logical order: matplotlib shapes and orders it."""
    return f"{text.en}{sep}{text.ar}"


def _figure(title: Text) -> Figure:
    figure = Figure(figsize=(10, 6), layout="constrained")
    figure.suptitle(label(title), fontfamily=FONT, fontsize=12)  # English, and Arabic below it
    return figure


@dataclass(frozen=True)
class Chart:
    name: str  # the file's name without its extension
    title: Text
    figure: Figure


def write_charts(charts: Sequence[Chart], directory: Path, kind: str = "svg") -> list[Path]:
    """Each chart to `directory/NAME.KIND` (svg or png), with its bilingual title as metadata."""
    written = []
    for chart in charts:
        path = directory / f"{chart.name}.{kind}"
        words = f"{chart.title.en} | {chart.title.ar}"
        # No date (SVG <dc:date>): two runs on the same inputs write the same bytes.
        metadata = {"Title": words, "Date": None} if kind == "svg" else {"Title": words, "Software": "Himaya"}
        with matplotlib.rc_context({"svg.hashsalt": "himaya"}):  # its ids are otherwise salted at random
            chart.figure.savefig(path, format=kind, metadata=metadata, dpi=120)
        written.append(path)
    return written


def cost_title(money: Text) -> Text:
    return Text(f"Annual cost by programme, {money.en} million", f"التكلفة السنوية حسب المنفعة، مليون {money.ar}")


def decile_title(money: Text) -> Text:
    return Text(
        f"Change in monthly transfers per person by income decile, {money.en}",
        f"التغير في التحويلات الشهرية للفرد حسب عُشير الدخل، {money.ar}",
    )


BASELINE = Text("Baseline", "الوضع الحالي")
REFORM = Text("Reform", "الإصلاح")
DECILE = Text("Decile of income before transfers", "عُشير الدخل قبل التحويلات")


def simulation_charts(result: Simulation) -> list[Chart]:
    """Cost by programme (baseline and reform) and the change by income decile."""
    charts = []
    money, per_unit = result.money, result.currency.per_unit
    figure = _figure(cost_title(money))
    axes = figure.add_subplot()
    rows = result.programmes.to_dicts()
    positions = range(len(rows))
    width = 0.4
    for offset, (state, name, colour) in enumerate(
        (("baseline", BASELINE, COLOURS[0]), ("reform", REFORM, COLOURS[1]))
    ):
        values = [12 * row[f"{state}_monthly_baisa"] / per_unit / 1e6 for row in rows]
        axes.bar(
            [p + (offset - 0.5) * width for p in positions], values, width, label=label(name, sep=" / "), color=colour
        )
    axes.set_xticks(list(positions), [label(Text(r["name_en"], r["name_ar"])) for r in rows], fontsize=8)
    axes.set_ylabel(label(Text(f"{money.en} million a year", f"مليون {money.ar} سنويًا"), sep=" / "))
    axes.legend()
    charts.append(Chart("cost-by-programme", cost_title(money), figure))

    figure = _figure(decile_title(money))
    axes = figure.add_subplot()
    deciles = result.deciles.to_dicts()
    changes = [row["change_baisa"] / per_unit for row in deciles]
    axes.bar(
        [row["decile"] for row in deciles],
        changes,
        color=[COLOURS[2] if change >= 0 else COLOURS[3] for change in changes],
    )
    axes.axhline(0, color="black", linewidth=0.8)
    axes.set_xticks(range(1, 11))
    axes.set_xlabel(label(DECILE, sep=" / "))
    axes.set_ylabel(label(Text(f"{money.en} a month per person", f"{money.ar} شهريًا للفرد"), sep=" / "))
    charts.append(Chart("change-by-decile", decile_title(money), figure))
    return charts


GDP_TITLE = Text("Cost as a share of GDP, by scenario", "التكلفة كنسبة من الناتج المحلي الإجمالي حسب السيناريو")
PROGRAMMES_TITLE = Text("Cost as a share of GDP, by programme", "التكلفة كنسبة من الناتج المحلي الإجمالي حسب المنفعة")
YEAR = Text("Year", "السنة")
SHARE = Text("% of GDP", "٪ من الناتج المحلي الإجمالي")


def _years_axis(axes: Axes) -> None:
    """The x axis of years: labelled, and ticked on whole years only (a short projection would
    otherwise be ticked at 2025.5)."""
    axes.set_xlabel(label(YEAR, sep=" / "))
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))


def projection_charts(projections: Sequence[Projection]) -> list[Chart]:
    """Total cost as % of GDP for every scenario; and by programme for each scenario."""
    charts = []
    figure = _figure(GDP_TITLE)
    axes = figure.add_subplot()
    for index, projection in enumerate(projections):
        totals = projection.totals()
        axes.plot(
            totals["year"],
            totals["share_of_gdp"] * 100,
            color=COLOURS[index % len(COLOURS)],
            label=projection.scenario.name,
        )
    _years_axis(axes)
    axes.set_ylabel(label(SHARE, sep=" / "))
    axes.legend()
    axes.grid(alpha=0.3)
    found = differences([p.scenario for p in projections])
    if found:  # issue 16: the lines differ by more than the rules; the chart says so
        note = comparison_note(found)
        wrapped = "\n".join(textwrap.fill(text, 140) for text in (note.en, note.ar))
        axes.set_title(wrapped, fontfamily=FONT, fontsize=8, color=COLOURS[3])
    charts.append(Chart("cost-share-of-gdp", GDP_TITLE, figure))

    for number, projection in enumerate(projections, 1):
        # The scenario's name is the user's, in one language: it goes with the English line.
        title = Text(f"{PROGRAMMES_TITLE.en}: {projection.scenario.name}", PROGRAMMES_TITLE.ar)
        figure = _figure(title)
        axes = figure.add_subplot()
        years = projection.years
        shares = [projection.by_programme(key)["share_of_gdp"] * 100 for key in projection.programmes]
        axes.stackplot(
            years,
            *shares,
            labels=[label(projection.names[key], sep=" / ") for key in projection.programmes],
            colors=COLOURS[: len(shares)],
        )
        _years_axis(axes)
        axes.set_ylabel(label(SHARE, sep=" / "))
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, fontsize=8)  # below: never over the data
        axes.grid(alpha=0.3)
        charts.append(Chart(f"cost-by-programme-{number}", title, figure))
    return charts


FUND_TITLE = Text(
    "The insurance fund: PAYG cost rate and reserve ratio", "صندوق التأمين: معدل تكلفة التوزيع ونسبة الاحتياطي"
)
WAGES = Text("% of insurable wages", "٪ من الأجور الخاضعة للاشتراك")
RATIO = Text("reserve / expenditure (years)", "الاحتياطي / الإنفاق (سنوات)")


def fund_chart(table: pl.DataFrame) -> Chart:
    """The PAYG cost rate and the contribution rate (% of insurable wages), and the reserve ratio on
    a second axis, from the fund's projection (`himaya.analysis.fund`)."""
    figure = _figure(FUND_TITLE)
    axes = figure.add_subplot()
    years = table["year"]
    axes.plot(
        years,
        table["payg_cost_rate"] * 100,
        color=COLOURS[3],
        label=label(Text("PAYG cost rate", "معدل تكلفة التوزيع"), sep=" / "),
    )
    axes.plot(
        years,
        table["contribution_rate"] * 100,
        color=COLOURS[0],
        label=label(Text("contribution rate", "معدل الاشتراك"), sep=" / "),
    )
    _years_axis(axes)
    axes.set_ylabel(label(WAGES, sep=" / "))
    axes.grid(alpha=0.3)
    ratio = axes.twinx()
    ratio.plot(
        years,
        table["reserve_ratio"],
        color=COLOURS[2],
        linestyle="--",
        label=label(Text("reserve ratio", "نسبة الاحتياطي"), sep=" / "),
    )
    ratio.set_ylabel(label(RATIO, sep=" / "))
    lines = axes.get_legend_handles_labels()
    more = ratio.get_legend_handles_labels()
    axes.legend(lines[0] + more[0], lines[1] + more[1], loc="upper left", fontsize=8)
    return Chart("insurance-fund", FUND_TITLE, figure)
