"""A referral proposed by a claim: an insurance benefit computed as entitled for one person (a job
security claim: `himaya insurance job-security --refer`) proposes the services of the pack's rules
for that benefit (`services/rules.yaml`, `programme: job_security`), as `referral` cases in state
proposed for a case worker to confirm with the person's consent, exactly as the month's proposals
(`proposals.settle`): in the user's branches only, never the same service twice to a person for a
month, nor while one is open or within the rule's `again_after_months`.

The claim's amount is the insurance's answer, passed in by the caller (`bootstrap` wires the two
capabilities): the cases do not compute benefits.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from himaya.cases import referrals, rules
from himaya.cases.model import NewCase, Proposed
from himaya.cases.opening import day_of
from himaya.cases.ports import ReferralsUnitOfWork
from himaya.cases.proposals import settle
from himaya.core.access import Principal
from himaya.core.errors import InvalidInputError, NotFoundError
from himaya.core.periods import Period
from himaya.core.text import LANGUAGES, Language
from himaya.policy.pack import PolicyPack
from himaya.policy.services import CLAIMS


def propose_on_claim(
    uow: ReferralsUnitOfWork,
    pack: PolicyPack,
    benefit: str,
    civil_number: str,
    amount: int,
    day: date,
    *,
    principal: Principal,
    language: Language = "ar",
    today: date | None = None,
) -> Proposed:
    """Propose the referrals of a claim of `benefit` for `civil_number` on `day` (the day of the loss
    of the job), of `amount` (the currency's smallest unit a month): refused unless it is entitled."""
    catalogue, services = pack.cases, pack.services
    if benefit not in CLAIMS:
        raise InvalidInputError(f"benefit: {benefit!r} is not a claim a referral rule may name ({', '.join(CLAIMS)})")
    kind = rules.case_type(catalogue, services.case_type)
    rules.check_opener(kind, NewCase(kind.key, "branch"), principal)
    if language not in LANGUAGES:
        raise InvalidInputError(f"language: {language!r} is not one of {', '.join(LANGUAGES)}")
    if amount <= 0:
        raise InvalidInputError(f"the {benefit} claim of {civil_number} on {day} is not entitled: nothing to refer")
    today_ = day_of(catalogue, today)
    period = Period.containing(day)
    if period.start > today_:
        raise InvalidInputError(f"day: {day} is after today ({today_}): a claim is referred once made")
    with uow:
        people = uow.referrals.people_of(period, pl.Series("person_id", [civil_number], pl.String))
        if people.is_empty():
            raise NotFoundError(f"no person with civil number {civil_number!r} in the registry at the end of {period}")
        evaluated = people.with_columns(pl.lit(amount, pl.Int64).alias(f"amount.{benefit}"))
        claim_rules = services.on_claim(benefit)
        found = referrals.candidates(evaluated, claim_rules, period)
        done = settle(
            uow, pack, found, period, claim_rules, principal=principal, language=language, day=today_,
            target=f"claim:{benefit}:{civil_number}:{day}",
        )  # fmt: skip
        uow.commit()
    return done
