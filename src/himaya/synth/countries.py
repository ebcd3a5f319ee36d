"""The synthetic countries: one generator per policy pack, chosen by the pack's name.

Each country gives its own data and its own columns; the machinery they share (ages, marital
status, families, names, civil numbers) lives in `population` and `identity`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from himaya.synth import generate as oman
from himaya.synth.assumptions import Assumptions
from himaya.synth.generate import Progress, SynthError, Synthetic, SynthRequest
from himaya.synth.iraq import generate as iraq
from himaya.synth.iraq.assumptions import IraqAssumptions
from himaya.synth.iraq.reference import iraqi_share
from himaya.synth.reference import omani_share


@dataclass(frozen=True)
class Country:
    pack: str
    steps: tuple[str, ...]
    persons_at_scale: Callable[[float, str | None], int]  # scale, governorate -> persons
    generate: Callable[[SynthRequest, Progress | None], Synthetic]
    for_file: Callable[[pl.DataFrame, str], pl.DataFrame]  # the table as its pack's contract writes it
    # The share of the pack's citizens by WPP 5-year age group (rows) and sex: what a projection
    # splits WPP's residents by.
    citizen_share: Callable[[], np.ndarray]


COUNTRIES = {
    "oman": Country(
        "oman",
        oman.STEPS,
        lambda scale, governorate: oman.persons_at_scale(scale, Assumptions(), governorate),
        oman.generate,
        oman.for_file,
        omani_share,
    ),
    "iraq": Country(
        "iraq",
        iraq.STEPS,
        lambda scale, governorate: iraq.persons_at_scale(scale, IraqAssumptions(), governorate),
        iraq.generate,
        iraq.for_file,
        iraqi_share,
    ),
}


def country(pack: str) -> Country:
    """The generator of the pack named; a pack without one is refused, naming those that have one."""
    try:
        return COUNTRIES[pack]
    except KeyError:
        raise SynthError(f"no synthetic population for pack {pack!r}; one of: {', '.join(COUNTRIES)}") from None
