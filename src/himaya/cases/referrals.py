"""Which referrals a month's entitlements propose, by the pack's referral rules (`policy/services.py`):
pure and set-based (Polars over the whole population, no I/O), property-tested in tests/cases.

`candidates` takes the people table with each programme's amount of the month (`engine.evaluate`)
and answers one row per person and service to propose; `not_held` takes out those already proposed,
open or proposed recently; `case_rows` gives each the case it becomes.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import date

import polars as pl

from himaya.core.access import Principal
from himaya.core.periods import Period
from himaya.core.text import Language
from himaya.policy.case_types import CaseType
from himaya.policy.pack import amount_of
from himaya.policy.services import Refer, ReferralRule, ServiceCatalogue

KEY = "person_key"  # the registry's row id of the person (the snapshot's `keys`)
COLUMNS = (KEY, "person_id", "family_id", "rule", "service")


def alive_on(day: date) -> pl.Expr:
    """Alive on `day` (the month's last: someone who died in the month is not proposed anything) and born by it."""
    return (pl.col("death_date").is_null() | (pl.col("death_date") > day)) & (pl.col("birth_date") <= day)


def age_on(day: date) -> pl.Expr:
    """Completed years on `day` (born 2008-03-15: 17 on 2026-03-14, 18 on 2026-03-15)."""
    born = pl.col("birth_date")
    before = pl.lit(day.month * 100 + day.day) < born.dt.month().cast(pl.Int32) * 100 + born.dt.day().cast(pl.Int32)
    return pl.lit(day.year) - born.dt.year().cast(pl.Int32) - before.cast(pl.Int32)


def _conditions(rule: ReferralRule, period: Period) -> pl.Expr:
    """The rule's `person` conditions on the referred person (a missing value never meets a yes/no one)."""
    condition = alive_on(period.end)
    low, high = rule.ages
    if low is not None:
        condition &= age_on(period.start) >= low
    if high is not None:
        condition &= age_on(period.start) <= high
    for name, wanted in (rule.flags or {}).items():
        condition &= (pl.col(name) == wanted).fill_null(False)
    for name, codes in (rule.codes or {}).items():
        listed = [c for c in codes if c is not None]
        held = pl.col(name).is_in(listed).fill_null(False) if listed else pl.lit(False)
        condition &= held | pl.col(name).is_null() if None in codes else held
    return condition


def wanted_before(
    people: pl.DataFrame, rules: Sequence[ReferralRule], *, families: Collection[str] = (), family: str = "family_id"
) -> pl.Series:
    """The people whose entitlements of the month before a `new` rule needs: its beneficiaries, and for
    a programme in `families` (assessed on the whole family) every member of the beneficiary's family."""
    programmes = sorted({r.programme for r in rules if r.new})
    if not programmes:
        return pl.Series("person_id", [], pl.String)
    entitled = people.lazy().filter(pl.any_horizontal([amount_of(p) > 0 for p in programmes]))
    whole = [p for p in programmes if p in families]
    if whole:
        kin = entitled.filter(pl.any_horizontal([amount_of(p) > 0 for p in whole])).select(family).unique()
        entitled = pl.concat([entitled, people.lazy().join(kin, on=family, how="semi")])
    return entitled.select("person_id").unique().collect().to_series()


def entitled_in(evaluated: pl.DataFrame, programmes: Sequence[str]) -> pl.DataFrame:
    """(person_id, programme) for each programme with a positive amount."""
    parts = [
        evaluated.lazy().filter(amount_of(p) > 0).select("person_id", pl.lit(p).alias("programme")) for p in programmes
    ]
    if not parts:
        return pl.DataFrame(schema={"person_id": pl.String, "programme": pl.String})
    return pl.concat(parts).collect()


def candidates(
    evaluated: pl.DataFrame, rules: Sequence[ReferralRule], period: Period, *, before: pl.DataFrame | None = None
) -> pl.DataFrame:
    """One row per person and service the rules propose this month (the first rule that proposes a
    service to a person names it): person_key, person_id, family_id, rule, service.

    `evaluated`: the people table of the month's end with `amount.<programme>` and `person_key`.
    `before`: (person_id, programme) entitled the month before, for the `new` rules (None: nobody was).
    """
    frame = evaluated.lazy()
    living = (
        frame.filter(alive_on(period.end))
        .group_by("family_id")
        .agg(pl.len().alias("living"))
        .filter(pl.col("living") == 1)
    )
    earlier = (
        before if before is not None else pl.DataFrame(schema={"person_id": pl.String, "programme": pl.String})
    ).lazy()
    parts = []
    for order, rule in enumerate(rules):
        entitled = frame.filter(amount_of(rule.programme) > 0)
        if rule.new:
            was = earlier.filter(pl.col("programme") == rule.programme).select("person_id")
            entitled = entitled.join(was, on="person_id", how="anti")
        people = entitled
        if rule.refer is Refer.MEMBERS:
            people = frame.join(entitled.select("family_id").unique(), on="family_id", how="semi")
        people = people.filter(_conditions(rule, period))
        if rule.alone:
            people = people.join(living.select("family_id"), on="family_id", how="semi")
        parts.append(
            people.select(
                KEY,
                "person_id",
                "family_id",
                pl.lit(rule.key).alias("rule"),
                pl.lit(rule.service).alias("service"),
                pl.lit(order).alias("order"),
            )
        )
    if not parts:
        return pl.DataFrame(schema={KEY: pl.Int64, **dict.fromkeys(COLUMNS[1:], pl.String)})
    found = pl.concat(parts).sort("order", KEY).unique(subset=[KEY, "service"], keep="first", maintain_order=True)
    return found.select(COLUMNS).collect()


def in_scope(principal: Principal) -> pl.Expr:
    """The rows whose branch (wilayat, governorate) is one of the user's."""
    if principal.every_branch:
        return pl.lit(True)
    wilayats, governorates = principal.branch_values("wilayat"), principal.branch_values("governorate")
    return (pl.col("wilayat").is_in(wilayats) | pl.col("governorate").is_in(governorates)).fill_null(False)


def not_held(found: pl.DataFrame, held: pl.DataFrame, rules: Sequence[ReferralRule], period: Period) -> pl.DataFrame:
    """The candidates without a referral to the same service that is open, or of a month less than the
    rule's `again_after_months` before this one (the same month included: never proposed twice).

    `held`: person_key, service, month (the month a referral was proposed for, or opened in), open."""
    again = pl.DataFrame(
        {"rule": [r.key for r in rules], "again": [r.again_after_months for r in rules]},
        schema={"rule": pl.String, "again": pl.Int64},
    )
    start = period.start.year * 12 + period.start.month - 1
    months = pl.col("month").dt.year().cast(pl.Int64) * 12 + pl.col("month").dt.month().cast(pl.Int64) - 1
    blocking = (
        found.lazy()
        .select(KEY, "service", "rule")
        .join(held.lazy(), on=[KEY, "service"])
        .join(again.lazy(), on="rule")
        .filter(pl.col("open") | (months > pl.lit(start) - pl.col("again")))
        .select(KEY, "service")
    )
    return found.lazy().join(blocking, on=[KEY, "service"], how="anti").collect()


def with_providers(found: pl.DataFrame, services: ServiceCatalogue) -> pl.DataFrame:
    """Each row with the provider of its service covering its wilayat (null: none covers it)."""
    pairs = found.select("service", "wilayat").unique().drop_nulls()
    chosen = [services.provider_for(s, w) for s, w in pairs.iter_rows()]
    table = pairs.with_columns(pl.Series("provider", [p.key if p else None for p in chosen], pl.String))
    return found.join(table, on=["service", "wilayat"], how="left")


def case_rows(
    found: pl.DataFrame, rules: Sequence[ReferralRule], kind: CaseType, *, year: int, first: int, language: Language
) -> pl.DataFrame:
    """The cases the proposals become, numbered from the year's `first` on: number, subject (the rule's
    name), form (JSON, as a case of the type holds it: service, provider, the rule's reason) and the
    opening event's data. The forms are checked against the type by the caller (`forms`)."""
    named = {r.key: r for r in rules}
    keys = found.select("rule", "provider").unique()
    forms = pl.DataFrame(
        {
            "rule": keys["rule"],
            "provider": keys["provider"],
            "form": [
                json.dumps(form(named[r], p, language), ensure_ascii=False, sort_keys=True) for r, p in keys.iter_rows()
            ],
            "subject": [named[r].name.in_(language)[:200] for r in keys["rule"]],
        },
        schema={"rule": pl.String, "provider": pl.String, "form": pl.String, "subject": pl.String},
    )
    sequence = pl.int_range(first, first + found.height, dtype=pl.Int64)
    return (
        found.sort(KEY, "service")
        .join(forms, on=["rule", "provider"], how="left", nulls_equal=True, maintain_order="left")
        .with_columns(
            pl.format("C-{}-{}", pl.lit(year), sequence.cast(pl.String).str.zfill(6)).alias("number"),
            pl.format('{{"channel": "branch", "rule": "{}"}}', pl.col("rule")).alias("data"),
        )
    )


def form(rule: ReferralRule, provider: str | None, language: Language) -> dict[str, str]:
    """A proposal's form: the service, its provider (when one covers the person's wilayat), the reason."""
    written = {"service": rule.service, "reason": rule.reason.in_(language)}
    return written | ({"provider": provider} if provider else {})
