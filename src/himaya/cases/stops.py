"""A benefit stopped by the monthly enrollment sync, as a decision the person is told of and may appeal.

Ending an enrollment (the rules no longer find the person entitled) is a decision against the person.
In the sync's own transaction each ending is recorded as a case of the pack's `benefit_stop` type
(closed at once, its decision `stopped`): which programme, from which month, and why, in English and
Arabic, from the very expressions the engine ran (the first condition that failed, a withholding's
reason, or a zero amount); and the person's message is put in the outbox (the decision, the reason,
the last day to appeal). Set-based: the reasons are one evaluation of the families concerned, and
each batch is one statement per table (cases, events, outbox). The dead are not told: a death stops
payments by itself, and is no decision to appeal.

An appeal names the case's number; granted, the enrollment is restored from the month it stopped
(`restore`), once (the appealed case's `reversed_by`), so the next payroll pays the months since as
arrears. A person the rules still do not find entitled is restored only by a supervisor's override.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import date
from typing import Any, Protocol

import polars as pl

from himaya.cases import applications, notices
from himaya.cases.applications import NOT_PAID, Desk, Verdict
from himaya.cases.model import Delivery
from himaya.cases.ports import ApplicationsUnitOfWork, StopStore
from himaya.cases.rules import render
from himaya.core.access import Principal
from himaya.core.clock import now
from himaya.core.errors import ConflictError, InvalidInputError, NotFoundError
from himaya.core.periods import Period
from himaya.core.text import Language, Text
from himaya.policy.case_types import STOP, CaseCatalogue
from himaya.policy.engine import evaluate, plan, withheld_column
from himaya.policy.pack import Adjustment, PolicyPack, Programme, Rule

BATCH = 50_000  # cases written per statement
STATE = "stopped"  # the decision recorded (the type's first state)
CLOSED = "closed"
LANGUAGE: Language = "ar"  # the messages' language: the registry keeps no preferred one yet
NUMBER = "{number}"  # left in the rendered messages, then replaced by each case's number


class Recording(Protocol):
    @property
    def stops(self) -> StopStore: ...


def _failed(pack: PolicyPack, period: Period) -> dict[str, list[tuple[pl.Expr, Text]]]:
    """Per programme, in order: (the expression that says it failed, why): each check that did not
    hold, then each withholding that took the amount."""
    steps = plan(pack, pack.parameters, period)
    found: dict[str, list[tuple[pl.Expr, Text]]] = {}
    for result in steps:
        if isinstance(result.step, Programme) and isinstance(result.rule, Rule):
            key = result.step.key
            found[key] = [(~pl.col(f"check.{key}.{c.key}"), c.label) for c in result.rule.checks]
    for result in steps:
        if isinstance(result.step, Adjustment) and isinstance(result.rule, tuple):
            for index, withholding in enumerate(result.rule):
                column = pl.col(withheld_column(result.step.key, index)).fill_null(False)
                found.setdefault(withholding.programme, []).append((column, withholding.reason))
    return found


def reasons(people: pl.DataFrame, pack: PolicyPack, period: Period, ended: pl.DataFrame) -> pl.DataFrame:
    """Why each ended (person_id, programme) is no longer entitled in `period`, in `reason_en` and
    `reason_ar`, with `person_key`: one evaluation of the families of the people ended. Who is dead
    by the month's end, or not in the registry then, is left out (nobody to tell)."""
    person, family = pack.person_column, pack.family_column
    concerned = people.filter(pl.col(person).is_in(ended["person_id"].implode()))
    rows = people.filter(pl.col(family).is_in(concerned[family].unique().implode()))
    detailed = evaluate(rows.select(pack.schema.names), pack, pack.parameters, period, detail=True)
    detailed = detailed.with_columns(rows["person_key"]) if "person_key" in rows.columns else detailed
    alive = pl.col("death_date").is_null() | (pl.col("death_date") > period.end)
    joined = ended.select("person_id", "programme").join(
        detailed.filter(alive).rename({person: "person_id"}), on="person_id"
    )
    said: dict[str, pl.Expr] = {"en": pl.lit(NOT_PAID.en), "ar": pl.lit(NOT_PAID.ar)}
    for key, failed in _failed(pack, period).items():
        for language in ("en", "ar"):
            whys: list[pl.Expr] = [pl.when(cond).then(pl.lit(why.in_(language))) for cond, why in failed]
            own = pl.coalesce([*whys, pl.lit(NOT_PAID.in_(language))])
            said[language] = pl.when(pl.col("programme") == key).then(own).otherwise(said[language])
    return joined.select(
        "person_id", "programme", "person_key", said["en"].alias("reason_en"), said["ar"].alias("reason_ar")
    )


def _batches(frame: pl.DataFrame) -> Iterator[pl.DataFrame]:
    for offset in range(0, frame.height, BATCH):
        yield frame.slice(offset, BATCH)


def record(
    uow: Recording,
    catalogue: CaseCatalogue,
    pack: PolicyPack,
    ended: pl.DataFrame,
    people: pl.DataFrame,
    period: Period,
    *,
    actor: str,
    today: date,
) -> int:
    """Inside the sync's unit of work: each enrollment `ended` (person_id, programme) recorded as a
    decision, and its message queued; the number recorded (0: the pack has no `benefit_stop` type)."""
    kind = catalogue.type(STOP)
    if kind is None or not ended.height:
        return 0
    found = reasons(people, pack, period, ended)
    places = uow.stops.places(found["person_key"])
    placed = pl.col("wilayat").is_not_null() & pl.col("governorate").is_not_null()
    found = found.join(places, on="person_key").filter(placed).sort("person_key", "programme")
    last = notices.appeal_by(catalogue, today)
    names = {p.key: p.name for p in pack.programmes}
    template = kind.templates.get(STATE)
    at = now()
    constants = {
        "at": at, "actor": actor, "type": STOP, "state": CLOSED, "decision": STATE, "language": LANGUAGE,
        "data": json.dumps({"on": today.isoformat(), "by": "enrollment.sync"}),
    }  # fmt: skip
    for batch in _batches(found):
        first = uow.stops.reserve_numbers(today.year, batch.height)
        rows = _rows(batch, first, today.year, period, names, template, last)
        uow.stops.insert(rows, constants=constants)
    return found.height


def _rows(
    batch: pl.DataFrame,
    first: int,
    year: int,
    period: Period,
    names: Mapping[str, Text],
    template: Any,
    last: date | None,
) -> pl.DataFrame:
    """The batch's cases, numbered from `first`: number, form (JSON), subject, and the message."""
    sequence = pl.int_range(first, first + batch.height, dtype=pl.Int64)
    month = f"{period.start:%Y-%m}"
    keys = batch.select("programme", "reason_en", "reason_ar").unique()
    texts = []
    for programme, reason_en, reason_ar in keys.iter_rows():
        name = names.get(programme, Text(programme, programme))
        values = {"number": NUMBER, "programme": name.in_(LANGUAGE), "month": month, "appeal_by": last or ""}
        values["reason"] = reason_ar if LANGUAGE == "ar" else reason_en
        subject, body = render(template, LANGUAGE, values) if template else (f"{name.en} / {name.ar}", "")
        form = {"programme": programme, "reason_ar": reason_ar, "reason_en": reason_en,
                "stopped_from": period.start.isoformat()}  # fmt: skip
        texts.append((programme, reason_en, reason_ar, subject, body, json.dumps(form, ensure_ascii=False)))
    schema = ["programme", "reason_en", "reason_ar", "message_subject", "body", "form"]
    table = pl.DataFrame(texts, schema=schema, orient="row")
    number = pl.format("C-{}-{}", pl.lit(year), sequence.cast(pl.String).str.zfill(6))
    return (
        batch.join(table, on=["programme", "reason_en", "reason_ar"], how="left", maintain_order="left")
        .with_columns(number.alias("number"))
        .with_columns(
            pl.col("message_subject").str.replace_all(NUMBER, pl.col("number"), literal=True),
            pl.col("body").str.replace_all(NUMBER, pl.col("number"), literal=True),
            pl.format("{} / {}", pl.lit(f"{STATE} {month}"), pl.col("programme")).alias("subject"),
            pl.when(pl.col("mobile").is_not_null())
            .then(pl.lit(Delivery.SMS.value))
            .otherwise(pl.lit(Delivery.LETTER.value))
            .alias("channel"),
        )
    )


def restore(
    uow: ApplicationsUnitOfWork,
    desk: Desk,
    case: Mapping[str, Any],
    *,
    override: str | None,
    principal: Principal,
    day: date,
    by: str,
) -> tuple[Verdict, dict[str, Any]]:
    """Inside a grant's unit of work: the rules' verdict on the person for the month of the grant (not
    entitled: a supervisor's `override` is needed), and the enrollment in force again from the month it
    stopped. What was restored, for the appeal's record."""
    form = case["form"]
    programme, since = str(form["programme"]), date.fromisoformat(str(form["stopped_from"]))
    civil = str(case["civil_number"])
    key = uow.registry.visible_id(principal, civil)
    membership = uow.registry.family_of(key) if key is not None else None
    people = uow.cases.family_people(principal, membership[0], day) if membership is not None else None
    if key is None or membership is None or people is None or people.is_empty():
        raise NotFoundError(f"case {case['number']}: the person {civil} has no current record in your branches")
    tree = desk.tree or desk.pack.parameters
    found = applications.verdict(people, desk.pack, tree, civil, programme, Period.containing(day))
    if not found.entitled:
        applications.check_override(case["number"], found, override, principal)
    elif override is not None:
        raise InvalidInputError("override: the rules support this restoration; no override is needed (leave it out)")
    reason = f"restored from {since:%Y-%m} by appeal {by} against decision {case['number']}"
    if not uow.stops.restore(key, programme, since, reason=reason):
        raise ConflictError(
            f"case {case['number']}: no enrollment of {civil} in {programme} ended before {since:%Y-%m} to restore"
        )
    return replace(found, since=since), {"restores": programme, "from": since.isoformat()}
