"""The open statistics for the public page, its API and the command line: the months asked for
checked, the tables as published under disclosure control (`db/public_stats.published`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import polars as pl
from sqlalchemy import Engine

from himaya.analysis.public import ALL, UNKNOWN, Rules, Statistics, names, trend
from himaya.core import clock
from himaya.core.errors import InvalidInputError, NamedRuleError
from himaya.core.periods import Period
from himaya.db.public_stats import published
from himaya.policy.pack import PolicyPack

PUBLIC_MONTHS = 60  # months one request of the public statistics may span


def public_statistics(
    *,
    first: str | Period | None = None,
    last: str | Period | None = None,
    programmes: Sequence[str] = (),
    governorates: Sequence[str] = (),
    engine: Engine | None = None,
    pack: PolicyPack | None = None,
    rules: Rules = Rules(),
    fresh: bool = True,
) -> Statistics:
    """The public statistics of the months `first` to `last` (YYYY-MM; default: the twelve months
    to the current one), under disclosure control, for the public page, its API and the CLI alike:
    only the rows of the given programme and governorate codes when any are given ("all" is a
    margin). Bad input: InvalidInputError naming the parameter and the value. Without `fresh` (the
    page, the API), tables made for an earlier version of the data are answered while the new
    ones are made in the background (`db/public_stats.published`)."""
    from himaya import bootstrap  # noqa: PLC0415  (the package is imported first)

    # The months' shape and order first: a typo is named before the store is opened.
    first = _month("from", first) if first is not None else None
    last = _month("to", last) if last is not None else None
    if first is not None and last is not None and first > last:
        raise NamedRuleError(f"from {first} is after to {last}", "months.order", start=first, end=last)
    if pack is None:  # the registry's pack: its programmes, governorates and currency
        pack = bootstrap.pack_of_store(engine or bootstrap.registry_engine())
    rules = replace(rules, per_unit=pack.currency.per_unit)  # amounts in the registry's currency
    start, span = _months(first, last, pack)
    end = start.shifted(span - 1)
    known_programmes = [p.key for p in pack.programmes]
    known_governorates = list(pack.code_names.get("governorate", {}))
    _known("programme", programmes, [ALL, *known_programmes])
    _known("governorate", governorates, [ALL, *known_governorates, UNKNOWN])
    months = [start.shifted(k).start for k in range(span)]
    table, version = published(
        engine or bootstrap.registry_engine(),
        months,
        programmes=known_programmes,
        governorates=known_governorates,
        rules=rules,
        fresh=fresh,
    )
    national = trend(table)
    if programmes:
        table = table.filter(pl.col("programme").is_in(list(programmes)))
    if governorates:
        table = table.filter(pl.col("governorate").is_in(list(governorates)))
    return Statistics(
        first=str(start),
        last=str(end),
        rules=rules,
        table=table,
        national=national,
        programmes=names("programme", [*known_programmes, ALL], pack.code_names.get("programme", {})),
        governorates=names("governorate", [*known_governorates, UNKNOWN, ALL], pack.code_names.get("governorate", {})),
        version=version,
        currency=pack.currency.code,
    )


def _months(first: str | Period | None, last: str | Period | None, pack: PolicyPack) -> tuple[Period, int]:
    """The first month and the number of months the public statistics are asked for, checked."""
    now = Period.containing(clock.today(pack.timezone))
    end = _month("to", last) if last is not None else now
    start = _month("from", first) if first is not None else max(end.shifted(-11), pack.first_period)
    span = (end.year - start.year) * 12 + end.month - start.month + 1
    if span < 1:
        raise NamedRuleError(f"from {start} is after to {end}", "months.order", start=start, end=end)
    if end > now:
        said = f"to {end} is after the current month {now}: there are no statistics yet"
        raise NamedRuleError(said, "months.future", end=end, now=now)
    if start < pack.first_period:
        said = f"from {start} is before {pack.first_period}, the first month of the programmes"
        raise NamedRuleError(said, "months.early", start=start, first=pack.first_period)
    if span > PUBLIC_MONTHS:
        said = f"from {start} to {end} is {span} months; ask for at most {PUBLIC_MONTHS} at once"
        raise NamedRuleError(said, "months.long", span=span, most=PUBLIC_MONTHS)
    return start, span


def _month(name: str, value: str | Period) -> Period:
    if isinstance(value, Period):
        return value
    try:
        return Period.parse(value)
    except ValueError as error:
        # A month written right whose year is past the calendar's edges (9999-12) is no typo.
        rule = "month.range" if "is not between 1900 and 2999" in str(error) else "month.shape"
        raise NamedRuleError(f"{name}: {error}", rule, value=str(value)[:20]) from None


def _known(name: str, given: Sequence[str], known: Sequence[str]) -> None:
    unknown = [g for g in given if g not in known]
    if unknown:
        raise InvalidInputError(f"{name} {unknown[0]!r} is not one of: {', '.join(known)}")
