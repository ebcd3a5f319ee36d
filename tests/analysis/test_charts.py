"""Charts carry English and Arabic labels, drawn from glyphs the font has."""

from __future__ import annotations

import re
import warnings
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.text import Text as Label
from PIL import Image, ImageDraw, ImageFont, features

from himaya.adapters.charts import FONT, Chart, _figure, projection_charts, simulation_charts, write_charts
from himaya.analysis.project import Inputs, project
from himaya.analysis.scenario import parse_scenario
from himaya.analysis.simulate import simulate
from himaya.core.periods import Period
from himaya.core.text import Text
from himaya.policy.pack import PolicyPack
from himaya.policy.reforms import parse_reform

ARABIC = re.compile("[\u0600-\u06ff]")


def texts(figure: Figure) -> list[str]:
    return [t.get_text() for t in figure.findobj(Label)]


def _ink(image: Image.Image) -> np.ndarray:
    """The dark pixels of an image, cropped to their bounding box."""
    mask = np.asarray(image.convert("L")) < 128
    ys, xs = np.nonzero(mask)
    return mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def _overlap(drawn: np.ndarray, reference: np.ndarray) -> float:
    """Intersection over union of two ink masks, the first scaled to the second's size."""
    height, width = reference.shape
    scaled = np.asarray(Image.fromarray(drawn.astype(np.uint8) * 255).resize((width, height))) > 127
    return float((scaled & reference).sum() / (scaled | reference).sum())


def _reference(text: str, pixels: int) -> np.ndarray:
    """`text` drawn by another renderer: Pillow's libraqm layout (HarfBuzz shaping, FriBiDi order)."""
    font = ImageFont.truetype(font_manager.findfont(FONT), pixels, layout_engine=ImageFont.Layout.RAQM)
    image = Image.new("L", (40 * pixels, 4 * pixels), 255)
    ImageDraw.Draw(image).text((pixels, pixels), text, font=font, fill=0)
    return _ink(image)


@pytest.mark.skipif(not features.check("raqm"), reason="Pillow without libraqm: no reference rendering of Arabic")
@pytest.mark.parametrize("text", ["السيناريو", "منفعة كبار السن", "Baseline / الوضع الحالي"])
def test_arabic_is_drawn_joined_and_right_to_left(text: str, tmp_path: Path) -> None:
    """The pixels, not the strings: a chart title drawn through the chart code looks like the same
    text laid out by another renderer, and not like it reversed (issue 19: 'السيناريو' came out as
    'ويرانيسلا', reshaped and reordered before a matplotlib that shapes and orders itself)."""
    title = Text("", text)
    [path] = write_charts([Chart("word", title, _figure(title))], tmp_path, "png")
    with Image.open(path) as image:
        drawn = _ink(image)
    pixels = 20  # the title's 12 points at the files' 120 dots per inch
    right = _overlap(drawn, _reference(text, pixels))
    # The same letters in reverse order: what the double reversal drew.
    wrong = _overlap(drawn, _reference(" ".join(word[::-1] for word in text.split(" ")[::-1]), pixels))
    assert right > 0.45 and right > wrong + 0.2, (right, wrong)


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
        assert any(ARABIC.search(t) for t in labels), chart.name
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


def test_a_comparison_of_scenarios_that_differ_in_more_than_the_rules_says_so_on_the_chart(
    oman: PolicyPack, inputs: Inputs, programmes: tuple[str, ...]
) -> None:
    """Issue 16: a nominal baseline (today's rules, the default) beside an indexed scenario; the
    chart carries the note."""
    nominal = parse_scenario({}, oman.parameters, programmes)
    prices = parse_scenario({"name": "Prices", "indexation": "prices"}, oman.parameters, programmes)
    projected = [project(s, oman, oman.parameters, 2025, 2027, inputs=inputs) for s in (nominal, prices)]
    [by_scenario, *_] = projection_charts(projected)
    labels = texts(by_scenario.figure)
    # Named in words, not by the scenario file's key (it showed "(indexation)", in the Arabic line too).
    assert any("differ in more than the rules (indexation of the amounts)" in t for t in labels)
    assert any("تختلف السيناريوهات في أكثر من القواعد (ربط المبالغ بالأسعار أو الأجور)" in t for t in labels)
    assert not any("(indexation)" in t for t in labels)
    [alike, *_] = projection_charts([projected[1], projected[1]])
    assert not any("differ in more than the rules" in t for t in texts(alike.figure))


def test_the_years_on_a_projections_axis_are_whole(
    oman: PolicyPack, inputs: Inputs, programmes: tuple[str, ...]
) -> None:
    # Three years once drew ticks at 2025.0, 2025.5, 2026.0, ...: a year has no half.
    projection = project(
        parse_scenario({}, oman.parameters, programmes), oman, oman.parameters, 2025, 2027, inputs=inputs
    )
    for chart in projection_charts([projection]):
        [axes] = chart.figure.axes
        chart.figure.canvas.draw()
        ticks = [t for t in axes.get_xticks() if axes.get_xlim()[0] <= t <= axes.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks), (chart.name, ticks)
        shown = [t.get_text() for t in axes.get_xticklabels() if t.get_text()]
        assert shown and all(re.fullmatch(r"20\d\d", s.replace("\u2212", "-")) for s in shown), (chart.name, shown)
