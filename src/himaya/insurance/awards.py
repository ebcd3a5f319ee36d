"""The awards' use cases: award a computed benefit (a first officer prepares it), approve it (a second
officer: maker-checker), end it; and the reads. Each write is one unit of work: the person's career
read, the benefit computed by the same rules as `himaya insurance pension`, the checks (entitled,
no overlapping award of the same benefit, the version read), the write and its audit entry share
one transaction; events are told after commit.

An approved award is paid by the monthly payroll (`db/stores/awards.awarded`, one line per person,
programme and month, ever) and its pension read by the life-cycle rules as the person's `pension`
or each survivor's `survivor_pension` (`db/snapshot.people_query(awards=True)`): never entered twice.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import polars as pl

from himaya.core.access import Permission, Principal
from himaya.core.audit import Change, canonical_actor
from himaya.core.clock import now
from himaya.core.errors import ForbiddenError, InvalidInputError, NotFoundError, StaleRecordError
from himaya.insurance import award_rules, benefits
from himaya.insurance.award_model import (
    BENEFIT_NAMES,
    AwardConflictError,
    Awarded,
    AwardState,
    Benefit,
    MakerCheckerError,
    Survivor,
)
from himaya.insurance.award_ports import AwardUnitOfWork
from himaya.insurance.pension_terms import birthday, leaving
from himaya.policy.pack import PolicyPack
from himaya.policy.parameters import ParameterTree

__all__ = ["approve", "award", "end", "listing", "may", "scoped_one"]

HIDDEN = "hidden"  # the civil number of someone outside the reader's branches, in an award they share in


def may(principal: Principal, permission: Permission) -> None:
    """Refuse a user without `permission` (before anything is read)."""
    if not principal.can(permission):
        raise ForbiddenError(f"{principal.username} may not do this: it needs {permission.value}")


def _in_branches(uow: AwardUnitOfWork, principal: Principal, civil_numbers: list[str]) -> None:
    """Each person named must be registered in the user's branches: one outside them is answered
    exactly as one who does not exist."""
    for civil_number in civil_numbers:
        if uow.registry.visible_id(principal, civil_number) is None:
            raise NotFoundError(f"no person with civil number {civil_number!r} in your branches")


def award(
    uow: AwardUnitOfWork,
    pack: PolicyPack,
    civil_number: str,
    benefit: Benefit,
    day: date | None,
    *,
    principal: Principal,
    today: date,
    start: date | None = None,
    survivors: tuple[Survivor, ...] = (),
    tree: ParameterTree | None = None,
    reform: str | None = None,
) -> Awarded:
    """Prepare the award of `benefit` computed on `day` (the pension's day, the disability's, the loss
    of the job, the birth; a survivor pension: the registry's date of death). A job security claim's
    number is counted from the claims stored. Refused, nothing written, if the rules do not entitle
    the person, or an award of the same benefit overlaps it. With a `tree` (a `reform` laid over the
    parameters, named), the award is computed with it and says so in its parameters and audit entry.
    The user needs `insurance.award`, and the person and each survivor named in their branches."""
    may(principal, Permission.INSURANCE_AWARD)
    who = canonical_actor(principal.username)
    with uow:
        _in_branches(uow, principal, [civil_number, *dict.fromkeys(s.civil_number for s in survivors)])
        people, lines = benefits.person_career(uow, civil_number)
        day = _day(pack, benefit, civil_number, people["death_date"][0], day, today)
        existing = uow.awards.awards(civil_number).filter(pl.col("civil_number") == civil_number)
        claims = existing.filter(pl.col("benefit") == Benefit.JOB_SECURITY.value).height
        tree = tree or pack.parameters
        terms = award_rules.compute(
            pack, tree, benefit, people, lines, day, start=start, claim=claims + 1, survivors=survivors
        )
        award_rules.refuse_overlap(existing, benefit, civil_number, terms.start, terms.end)
        keyed = _survivors(uow, civil_number, survivors, terms, tree)
        key = uow.awards.person_keys([civil_number])["person_key"][0]
        values: dict[str, object] = {
            "person_key": key, "benefit": benefit.value, "claim": terms.claim, "day": day, "amount": terms.amount,
            "start_date": terms.start, "end_date": terms.end, "state": AwardState.PREPARED.value,
            "parameters": award_rules.parameters_json(pack, tree, terms.explained, reform),
            "prepared_by": who, "prepared_at": now(),
        }  # fmt: skip
        new = uow.awards.add(values, keyed)
        uow.audit.record([_prepared(new, civil_number, values, keyed, reform)], actor=who)
        done = Awarded(new, civil_number, benefit, AwardState.PREPARED, terms.amount, terms.start, terms.end, 1, who)
        uow.emit(done)
        uow.commit()
    return done


def _day(
    pack: PolicyPack, benefit: Benefit, civil_number: str, died: date | None, day: date | None, today: date
) -> date:
    """The day the benefit is computed on: a survivor pension's, the registry's date of death."""
    if benefit is Benefit.SURVIVOR:
        if died is None:
            raise InvalidInputError(
                f"civil number {civil_number!r} is not recorded as dead: a survivor pension is awarded "
                "on the registry's date of death"
            )
        day = died
    if day is None:
        raise InvalidInputError(f"a {BENEFIT_NAMES[benefit].en} is awarded on a day: give it")
    if day > today:
        raise InvalidInputError(f"the day {day} is after today ({today}): a benefit is awarded once due")
    benefits.check_day(pack, day, "the day")
    return day


def _prepared(
    award_id: int, civil_number: str, values: dict[str, object], keyed: pl.DataFrame, reform: str | None
) -> Change:
    """The audit entry of an award prepared: what was stored, the reform and survivors' shares if any."""
    skip = ("person_key", "parameters", "prepared_at")
    after = {k: str(v) if isinstance(v, date) else v for k, v in values.items() if k not in skip}
    after["civil_number"] = civil_number
    if reform is not None:
        after["reform"] = reform
    if keyed.height:
        after["shares"] = keyed.select("civil_number", "group", "share", "amount").to_dicts()
    return Change("insurance.award.prepare", f"award:{award_id}", None, after)


def _refuse_grown(keys: pl.DataFrame, children: list[str], start: date, tree: ParameterTree) -> None:
    """A child named who is past the children's age limit when the pension starts, and holds no
    disability card, is no survivor: refused now, not ended at the first review (never paid)."""
    limit = leaving(tree, start).child_age_limit
    for row in keys.filter(pl.col("civil_number").is_in(children), ~pl.col("disabled")).iter_rows(named=True):
        born = row["birth_date"]
        if born is not None and birthday(born, limit) <= start:
            raise InvalidInputError(
                f"survivor {row['civil_number']!r}, named as a child, was {limit} on {birthday(born, limit)}, before "
                f"the pension starts on {start}, and holds no disability card: past the children's age limit "
                "(insurance.survivors.child_age_limit); nothing was awarded"
            )


def _survivors(
    uow: AwardUnitOfWork,
    deceased: str,
    survivors: tuple[Survivor, ...],
    terms: award_rules.Terms,
    tree: ParameterTree,
) -> pl.DataFrame:
    """The shares (group, member, share, amount) given to the survivors named, in the order named within
    each group, with their row ids; each registered, alive, not the deceased, named once, and not
    already sharing in another survivor pension over the same months."""
    if terms.shares is None:
        return pl.DataFrame(
            schema={
                "person_key": pl.Int64,
                "civil_number": pl.String,
                "group": pl.String,
                "share": pl.String,
                "amount": pl.Int64,
            }
        )
    named = [s.civil_number for s in survivors]
    twice = sorted({c for c in named if named.count(c) > 1} | ({deceased} & set(named)))
    if twice:
        raise InvalidInputError(f"survivor {twice[0]!r} is named twice, or is the deceased: name each survivor once")
    order = {g: [s.civil_number for s in survivors if s.group.value == g] for g in ("widows", "children", "parents")}
    split = terms.shares.with_columns(
        pl.struct("group", "member")
        .map_elements(lambda r: order[r["group"]][r["member"] - 1], return_dtype=pl.String)
        .alias("civil_number")
    )
    keys = uow.awards.person_keys(named)
    missing = sorted(set(named) - set(keys["civil_number"].to_list()))
    if missing:
        raise NotFoundError(f"survivor {missing[0]!r}: no person with this civil number in the registry")
    dead = keys.filter(pl.col("death_date").is_not_null())
    if dead.height:
        raise InvalidInputError(f"survivor {dead['civil_number'][0]!r} is recorded as dead: not a survivor")
    _refuse_grown(keys, order["children"], terms.start, tree)
    other = award_rules.overlaps(uow.awards.survivor_shares(named), terms.start, terms.end)
    if other.height:
        row = other.row(0, named=True)
        raise AwardConflictError(
            f"survivor {row['civil_number']!r} already shares in survivor pension award {row['award_id']} "
            f"from {row['start_date']}: one survivor pension a person and month; nothing was awarded"
        )
    return split.join(keys.select("civil_number", "person_key"), on="civil_number")


def scoped_one(uow: AwardUnitOfWork, award_id: int, version: int, principal: Principal) -> dict[str, Any]:
    """The award at the version read, if its person (or a survivor sharing in it) is in the user's
    branches: one outside them is answered as one that does not exist."""
    found = uow.awards.awards(None, award_id, principal=principal)
    if not found.height:
        raise NotFoundError(f"no award {award_id} in your branches")
    row = found.row(0, named=True)
    if row["version"] != version:
        raise StaleRecordError(
            f"award {award_id} is at version {row['version']}, not {version}: someone changed it meanwhile; "
            "read it again (himaya insurance awards)"
        )
    return row


def approve(
    uow: AwardUnitOfWork, award_id: int, *, version: int, principal: Principal, reform: str | None = None
) -> Awarded:
    """Approve a prepared award, from the version read, by a user with `insurance.award.approve` who did
    not prepare it (maker-checker). The check and the write are one transaction, the write conditional
    on the version read (its row count checked): of two approvals at once, one approves. An award
    computed under a reform (not the law in force) is approved only by one who names that reform
    (`reform`: its file's name), so that no approver passes it unawares."""
    may(principal, Permission.INSURANCE_AWARD_APPROVE)
    who = canonical_actor(principal.username)
    with uow:
        row = scoped_one(uow, award_id, version, principal)
        if row["state"] != AwardState.PREPARED:
            raise AwardConflictError(f"award {award_id} is {row['state']}: only a prepared award is approved")
        _reform_named(award_id, json.loads(uow.awards.parameters(award_id)).get("reform"), reform)
        if canonical_actor(str(row["prepared_by"])) == who:
            raise MakerCheckerError(
                f"award {award_id}: {who} prepared it and cannot approve it: another officer must (maker-checker)"
            )
        if not uow.awards.move(
            award_id, version, {"state": AwardState.APPROVED.value, "approved_by": who, "approved_at": now()}
        ):
            raise StaleRecordError(f"award {award_id} was changed by someone else meanwhile: read it again")
        uow.audit.record(
            [Change("insurance.award.approve", f"award:{award_id}", {"state": "prepared"}, {"state": "approved"})],
            actor=who,
        )
        done = _event(row, AwardState.APPROVED, row["end_date"], version + 1, who)
        uow.emit(done)
        uow.commit()
    return done


def end(uow: AwardUnitOfWork, award_id: int, on: date, *, version: int, reason: str, principal: Principal) -> Awarded:
    """End an award on `on` (its last day paid; the day before its start: never paid), from the version read."""
    may(principal, Permission.INSURANCE_AWARD)
    who = canonical_actor(principal.username)
    if not reason.strip():
        raise InvalidInputError("--reason: say why the award ends")
    with uow:
        row = scoped_one(uow, award_id, version, principal)
        if row["state"] == AwardState.ENDED:
            raise AwardConflictError(f"award {award_id} ended on {row['end_date']} already")
        start, last = row["start_date"], row["end_date"]
        if on < start - timedelta(days=1) or (isinstance(last, date) and on > last):
            raise InvalidInputError(
                f"award {award_id} runs from {start} to {last or 'open'}: it ends from {start - timedelta(days=1)}"
                + (f" to {last}" if last else "")
            )
        values = {
            "state": AwardState.ENDED.value,
            "end_date": on,
            "ended_by": who,
            "ended_at": now(),
            "end_reason": reason.strip()[:500],
        }
        if not uow.awards.move(award_id, version, values):
            raise StaleRecordError(f"award {award_id} was changed by someone else meanwhile: read it again")
        before = {"state": row["state"], "end_date": str(last) if last else None}
        after = {"state": "ended", "end_date": str(on), "reason": values["end_reason"]}
        uow.audit.record([Change("insurance.award.end", f"award:{award_id}", before, after)], actor=who)
        done = _event(row, AwardState.ENDED, on, version + 1, who)
        uow.emit(done)
        uow.commit()
    return done


def _event(row: dict[str, Any], state: AwardState, end_date: date | None, version: int, who: str) -> Awarded:
    return Awarded(
        int(row["id"]), str(row["civil_number"]), Benefit(row["benefit"]), state, int(row["amount"]),
        row["start_date"], end_date, version, who,
    )  # fmt: skip


def listing(
    uow: AwardUnitOfWork, civil_number: str | None = None, *, state: AwardState | None = None, principal: Principal
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the awards, by id: of the person as the insured person or a survivor, or everyone's, of the
    people of the user's branches; the survivor pensions' shares: award_id, civil_number, group, share,
    amount, valid_from, valid_to). Another person's civil number outside the branches: `hidden`."""
    may(principal, Permission.INSURANCE_READ)
    with uow:
        if civil_number is not None:
            _in_branches(uow, principal, [civil_number])
        found = uow.awards.awards(civil_number, principal=principal)
        if state is not None:
            found = found.filter(pl.col("state") == state.value)
        split = uow.awards.shares(found.filter(pl.col("benefit") == Benefit.SURVIVOR.value)["id"].to_list())
        named = set(found["civil_number"].to_list()) | set(split["civil_number"].to_list())
        seen = [c for c in sorted(named) if principal.every_branch or uow.registry.visible_id(principal, c) is not None]
    mask = pl.when(pl.col("civil_number").is_in(seen)).then(pl.col("civil_number")).otherwise(pl.lit(HIDDEN))
    return found.with_columns(mask), split.with_columns(mask)


def _reform_named(award_id: int, recorded: str | None, named: str | None) -> None:
    """Refuse an approval that does not name the reform the award was computed under, or names one
    it was not: the law's own awards are approved without one."""
    if recorded is None and named is not None:
        raise InvalidInputError(f"award {award_id} follows the law in force, not the reform {named}: drop --reform")
    if recorded is not None and named != recorded:
        raise InvalidInputError(
            f"award {award_id} was computed under the reform {recorded}, not the law in force: check its "
            f"parameters (himaya insurance awards) and approve it with --reform naming that file"
        )
