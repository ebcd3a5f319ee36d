"""`referrals propose`: the month's referral proposals, from its entitlements and the registry by the
pack's referral rules, as `referral` cases in state proposed for a case worker to confirm with the
person's consent (nothing reaches a provider before that: `referral_actions.confirm`).

Set-based from end to end: the registry is read once (and the month before only for the families a
`new` rule needs), the rules run as Polars expressions over the whole population, what is held
already is read in one statement, and each batch of cases is written with one statement per table.
Idempotent: a person is never proposed the same service twice for a month (nor while one is open,
nor within the rule's `again_after_months`), checked in the writing transaction after taking the
case counter's lock, and guarded by a unique constraint (person, service, month) besides.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import Any

import polars as pl

from himaya.cases import referrals, rules
from himaya.cases.model import NewCase, Proposed
from himaya.cases.opening import day_of
from himaya.cases.ports import ReferralsUnitOfWork
from himaya.core.access import Principal
from himaya.core.audit import Change
from himaya.core.clock import now
from himaya.core.errors import InvalidInputError
from himaya.core.periods import Period
from himaya.core.text import LANGUAGES, Language
from himaya.policy.case_types import CaseType
from himaya.policy.engine import evaluate
from himaya.policy.pack import PolicyPack, Unit
from himaya.policy.services import ReferralRule

BATCH = 50_000  # cases written by one statement per table


def propose(
    uow: ReferralsUnitOfWork,
    pack: PolicyPack,
    period: Period,
    *,
    principal: Principal,
    language: Language = "ar",
    today: date | None = None,
    batch: int = BATCH,
) -> Proposed:
    """Propose the month's referrals in the user's branches (a proposal elsewhere is counted, not made)."""
    catalogue, services = pack.cases, pack.services
    kind = rules.case_type(catalogue, services.case_type)
    rules.check_opener(kind, NewCase(kind.key, "branch"), principal)
    if language not in LANGUAGES:
        raise InvalidInputError(f"language: {language!r} is not one of {', '.join(LANGUAGES)}")
    day = day_of(catalogue, today)
    if period.start > day:
        raise InvalidInputError(f"period: {period} has not begun (today is {day}): its entitlements are not known")
    with uow:
        done = settle(
            uow, pack, _candidates(uow, pack, period), period, services.monthly, principal=principal,
            language=language, day=day, target=f"period:{period}", batch=batch,
        )  # fmt: skip
        uow.commit()
    return done


def settle(
    uow: ReferralsUnitOfWork,
    pack: PolicyPack,
    found: pl.DataFrame,
    period: Period,
    rules_of: tuple[ReferralRule, ...],
    *,
    principal: Principal,
    language: Language,
    day: date,
    target: str,
    batch: int = BATCH,
) -> Proposed:
    """The candidates `found` by `rules_of` in the user's branches, less those held already, written as
    proposed referral cases with their audit entries, in the caller's unit of work (not committed)."""
    catalogue, services = pack.cases, pack.services
    kind = rules.case_type(catalogue, services.case_type)
    found = found.join(uow.referrals.places(found[referrals.KEY]), on=referrals.KEY, how="left")
    placed = found["wilayat"].is_in(list(catalogue.places)).fill_null(False)
    no_branch = int((~placed).sum())
    found = found.filter(placed)
    mine = found.filter(referrals.in_scope(principal))
    elsewhere = found.height - mine.height
    uow.referrals.reserve_numbers(day.year, 0)  # the lock first: a concurrent proposer's cases are seen
    held = uow.referrals.held(mine.select(referrals.KEY, "service"))
    fresh = referrals.not_held(mine, held, rules_of, period)
    first = uow.referrals.reserve_numbers(day.year, fresh.height) if fresh.height else 0
    rows = referrals.case_rows(
        referrals.with_providers(fresh, services), rules_of, kind, year=day.year, first=first, language=language
    )
    _check_forms(kind, rows)
    due = rules.due_on(catalogue.calendar, kind.initial, day)
    _write(uow, rows, kind, due, period=period, language=language, actor=principal.username, batch=batch)
    counts = Counter(rows["rule"].to_list())
    numbers = rows["number"]
    done = Proposed(
        str(period), rows.height, {r.key: counts.get(r.key, 0) for r in rules_of},
        mine.height - fresh.height, elsewhere, no_branch,
        numbers[0] if rows.height else None, numbers[-1] if rows.height else None,
    )  # fmt: skip
    uow.audit.record([Change("referral.propose", target, None, _summary(done))], actor=principal.username)
    return done


def _candidates(uow: ReferralsUnitOfWork, pack: PolicyPack, period: Period) -> pl.DataFrame:
    """The people the rules propose, from the registry at the month's end (and the month before, for
    the families of the beneficiaries a `new` rule looks at)."""
    services = pack.services
    evaluated = evaluate(uow.referrals.people(period), pack, pack.parameters, period)
    before = None
    previous = period.shifted(-1)
    families = {p.key for p in pack.programmes if p.unit is Unit.FAMILY}
    wanted = referrals.wanted_before(evaluated, services.monthly, families=families)
    if wanted.len() and previous >= pack.first_period:
        earlier = uow.referrals.people_of(previous, wanted)
        programmes = sorted({r.programme for r in services.monthly if r.new})
        before = referrals.entitled_in(evaluate(earlier, pack, pack.parameters, previous), programmes)
    return referrals.candidates(evaluated, services.monthly, period, before=before)


def _check_forms(kind: CaseType, rows: pl.DataFrame) -> None:
    """Each distinct form (a rule and a provider) is valid for the type, as a case opened by hand must be."""
    for text in rows["form"].unique().to_list():
        rules.validate_form(kind, json.loads(text))


def _write(
    uow: ReferralsUnitOfWork,
    rows: pl.DataFrame,
    kind: CaseType,
    due_on: date | None,
    *,
    period: Period,
    language: Language,
    actor: str,
    batch: int,
) -> None:
    at = now()
    constants: dict[str, Any] = {
        "type": kind.key, "state": kind.initial.key, "channel": "branch", "sensitive": False, "opened_by": actor,
        "due_on": due_on, "at": at, "period": period.start, "language": language,
    }  # fmt: skip
    for start in range(0, rows.height, batch):
        part = rows.slice(start, batch)
        uow.referrals.insert_proposals(part, constants=constants)
        uow.audit.record(
            [
                Change(
                    "case.open",
                    f"cases:{part['number'][0]}..{part['number'][-1]}",
                    None,
                    {"type": kind.key, "period": str(period), "count": part.height, "by_rule": _by_rule(part)},
                )
            ],
            actor=actor,
        )


def _by_rule(part: pl.DataFrame) -> dict[str, int]:
    return dict(Counter(part["rule"].to_list()))


def _summary(done: Proposed) -> dict[str, Any]:
    return {k: v for k, v in vars(done).items() if v is not None}
