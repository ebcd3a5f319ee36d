"""Charts carry English and Arabic labels, drawn from glyphs the font has."""

from __future__ import annotations

import re
import warnings
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text as Label
from PIL import Image

from himaya.adapters.charts import arabic, projection_charts, simulation_charts, write_charts
from himaya.analysis.project import Inputs, project
from himaya.analysis.scenario import parse_scenario
from himaya.analysis.simulate import simulate
from himaya.core.periods import Period
from himaya.policy.pack import PolicyPack
from himaya.policy.reforms import parse_reform

ARABIC_FORMS = re.compile("[\ufe70-\ufeff\ufb50-\ufdff]")  # shaped letters: what the renderer draws


def texts(figure: Figure) -> list[str]:
    return [t.get_text() for t in figure.findobj(Label)]


def test_arabic_is_shaped_and_in_visual_order() -> None:
    shaped = arabic("منفعة الطفولة")
    assert ARABIC_FORMS.search(shaped)  # joined letter forms
    assert shaped[0] == "\ufe94"  # visual order: the last letter, ta marbuta in its final form, comes first


@pytest.mark.parametrize("kind", ["svg", "png"])
def test_simulation_and_projection_charts_in_both_languages(
    oman: PolicyPack, population: pl.DataFrame, inputs: Inputs, programmes: tuple[str, ...], tmp_path: Path, kind: str
) -> None:
    tree = parse_reform(
        {"name": "child 15", "changes": {"child.amount": {date(2024, 1, 1): "15.000"}}}, oman.parameters, source="t"
    ).apply(oman.parameters)
    result = simulate(population, oman, oman.parameters, tree, Period(2026, 1))
    scenario = parse_scenario({}, oman.parameters, programmes)
    projection = project(scenario, oman, oman.parameters, 2025, 2030, inputs=inputs)
    charts = simulation_charts(result) + projection_charts([projection])
    assert len(charts) == 4
    for chart in charts:
        labels = texts(chart.figure)
        assert any(ARABIC_FORMS.search(t) for t in labels), chart.name
        assert any(re.search("[A-Za-z]{4}", t) for t in labels), chart.name
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns of every glyph missing from the font
        written = write_charts(charts, tmp_path, kind)
    for chart, path in zip(charts, written, strict=True):
        assert path.name == f"{chart.name}.{kind}" and path.stat().st_size > 10_000
        assert re.search("[\u0600-\u06ff]", chart.title.ar)
        if kind == "svg":  # the title, as metadata, in logical order (searchable, read aloud)
            assert chart.title.ar in path.read_text(encoding="utf-8")
        else:
            with Image.open(path) as image:
                assert chart.title.ar in image.text["Title"]  # type: ignore[attr-defined]
