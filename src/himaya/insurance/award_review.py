"""What a survivor's or a beneficiary's leaving does to the awards, decided here once for every path:

- `apply_deaths`: run by the registry's write paths (a registry import, a life event, an officer's
  change, a case's approval) in their own transaction, once a death is written: an award (pension,
  job security, maternity) of a person recorded dead ends on the last day of the month of death; a
  survivor pension one of whose survivors is recorded dead is shared again among those left
  (`survivors.split_again`, by the dated `insurance.survivors.share_again`) from the next month.
- `apply_leavers`: run by the life events' worker in its transaction: a child survivor reaching the
  age limit (the calendar's `survivor_age_limit` event) and a widow or daughter who marries (a civil
  registry's marriage) leave the survivor pensions they share in, shared again as by a review.
- `review` (`himaya insurance award-review`): an officer's review of one survivor pension: the
  survivors recorded dead, the children past `insurance.survivors.child_age_limit`, and a survivor
  the officer names as left on a day (a marriage, say) leave it; the shares are split again.

Each change of shares keeps the history: the old rows end (their last day paid), the new ones start
the next month; the payroll pays each row's months, `himaya explain` counts the row in force.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl

from himaya.core.access import Permission, Principal
from himaya.core.audit import Change
from himaya.core.clock import now
from himaya.core.errors import InvalidInputError, NotFoundError, StaleRecordError
from himaya.insurance import award_rules, survivors
from himaya.insurance.award_model import AwardConflictError, Awarded, AwardState, Benefit
from himaya.insurance.award_ports import AwardStore, AwardUnitOfWork
from himaya.insurance.awards import may, scoped_one
from himaya.insurance.pension_terms import SharingTable, birthday, leaving, sharing_table
from himaya.policy.parameters import ParameterTree

__all__ = ["Left", "Reviewed", "apply_deaths", "apply_leavers", "review"]


@dataclass(frozen=True)
class Left:
    """A survivor the officer says has left a survivor pension, on a day, and why (a marriage, say)."""

    civil_number: str
    day: date
    reason: str


@dataclass(frozen=True)
class Reviewed:
    award: Awarded
    left: dict[str, str]  # civil number: why they left (empty: nobody left)


def apply_deaths(store: AwardStore, tree: Callable[[], ParameterTree], *, actor: str) -> list[Change]:
    """End the open awards of the people recorded dead and share again the survivor pensions a dead
    survivor shared in, in the caller's transaction; the audit entries for it to record."""
    changes = []
    for row in store.open_of_dead().iter_rows(named=True):
        end = award_rules.death_end(row["death_date"], row["start_date"], row["end_date"])
        reason = f"death on {row['death_date']}"
        values = {"state": AwardState.ENDED.value, "end_date": end, "ended_by": actor, "ended_at": now(),
                  "end_reason": reason}  # fmt: skip
        if not store.move(row["id"], row["version"], values):
            raise StaleRecordError(f"award {row['id']} was changed by someone else meanwhile: nothing was written")
        before = {"state": row["state"], "end_date": str(row["end_date"]) if row["end_date"] else None}
        after = {"state": "ended", "end_date": str(end), "reason": reason, "person": row["civil_number"]}
        changes.append(Change("insurance.award.end", f"award:{row['id']}", before, after))
    for award_id in store.shared_by_dead():
        award = store.awards(None, award_id).row(0, named=True)
        shares = store.open_shares(award_id)
        dead = shares.filter(pl.col("death_date").is_not_null())
        left = dict(dead.select("civil_number", "death_date").iter_rows())
        why = {c: f"death on {d}" for c, d in left.items()}
        changes += _split(store, tree(), award, shares, left, why, actor=actor)
    return changes


def apply_leavers(store: AwardStore, tree: ParameterTree, leavers: pl.DataFrame, *, actor: str) -> list[Change]:
    """The survivors who leave by themselves, from the life events (`leavers`: civil_number, day, why
    (`age_limit` or `marriage`), event): a child past `child_age_limit` without a disability card, on
    that birthday; a widow, or a daughter, on her marriage (`marriage_ends_widow`, `_daughter`). Each
    survivor pension they share in is shared again as a review shares it (paid to the end of the
    month, shared again from the next), in the caller's transaction; the audit entries, each naming
    the event of the first who left."""
    given = {r["civil_number"]: r for r in leavers.iter_rows(named=True)}
    changes: list[Change] = []
    for award_id in store.sharing(sorted(given)):
        award = store.awards(None, award_id).row(0, named=True)
        shares = store.open_shares(award_id)
        left: dict[str, date] = {}
        why: dict[str, str] = {}
        for r in shares.filter(pl.col("civil_number").is_in(list(given))).iter_rows(named=True):
            event = given[r["civil_number"]]
            leaves = _leaves(tree, r, event["why"], event["day"])
            if leaves is not None:
                left[r["civil_number"]], why[r["civil_number"]] = leaves
        if left:
            cause = given[min(left)]["event"]
            changes += [Change(c.action, c.subject, c.before, {**(c.after or {}), "event": cause})
                        for c in _split(store, tree, award, shares, left, why, actor=actor)]  # fmt: skip
    return changes


def _leaves(tree: ParameterTree, share: dict[str, Any], why: str, day: date) -> tuple[date, str] | None:
    """(the day a survivor's share ends by a life event, why), or None if the rules keep it."""
    rules = leaving(tree, day)
    if why == "marriage":
        widow = share["group"] == "widows" and rules.marriage_ends_widow
        daughter = share["group"] == "children" and share["sex"] == "F" and rules.marriage_ends_daughter
        return (day, f"marriage on {day}") if widow or daughter else None
    if share["group"] != "children" or share["disabled"] or share["birth_date"] is None:
        return None
    aged = birthday(share["birth_date"], rules.child_age_limit)
    return (aged, f"child aged {rules.child_age_limit} on {aged}") if aged <= day else None


def _split(
    store: AwardStore,
    tree: ParameterTree,
    award: dict[str, Any],
    shares: pl.DataFrame,
    left: dict[str, date],
    why: dict[str, str],
    *,
    actor: str,
) -> list[Change]:
    """The award's shares split again once `left` have left; the award ended if no one is left."""

    def terms(day: date) -> tuple[SharingTable, bool]:
        return sharing_table(tree, day), leaving(tree, day).share_again

    split = survivors.split_again(shares, left, int(award["amount"]), terms)
    if not store.split(award["id"], split.ended, split.new):
        raise StaleRecordError(f"award {award['id']}'s shares were changed by someone else meanwhile: read it again")
    values: dict[str, object] = {}
    changes = [
        Change(
            "insurance.award.review",
            f"award:{award['id']}",
            {"shares": _rows(shares.select("civil_number", "group", "share", "amount", "valid_from"))},
            {
                "person": min(left),  # (a life event's entry names the event of the first who left)
                "left": {c: {"day": str(left[c]), "reason": why[c]} for c in left},
                "ended": [{"civil_number": _civil(shares, i), "last_day": str(d)} for i, d in split.ended],
                "shares": _rows(split.new.select("civil_number", "group", "share", "amount", "valid_from", "valid_to")),
            },
        )
    ]
    if split.last is not None:  # no survivor left: the pension ends with the last share paid
        end = max(split.last, award["start_date"] - timedelta(days=1))
        if award["end_date"] is not None:
            end = min(end, award["end_date"])
        values = {"state": AwardState.ENDED.value, "end_date": end, "ended_by": actor, "ended_at": now(),
                  "end_reason": "no survivor left"}  # fmt: skip
        before = {"state": award["state"], "end_date": str(award["end_date"]) if award["end_date"] else None}
        after = {"state": "ended", "end_date": str(end), "reason": "no survivor left"}
        after["person"] = min(left)  # (a life event's entry names the event: its cancellation reopens it)
        changes.append(Change("insurance.award.end", f"award:{award['id']}", before, after))
    if not store.move(award["id"], award["version"], values):
        raise StaleRecordError(f"award {award['id']} was changed by someone else meanwhile: read it again")
    gone = ", ".join(f"{c} left on {d}" for c, d in sorted(left.items()))  # the months paid meanwhile settled
    return changes + store.settle(shares["person_key"].to_list(), said=f"award {award['id']} shared again: {gone}")


def _rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [{k: str(v) if isinstance(v, date) else v for k, v in r.items()} for r in frame.iter_rows(named=True)]


def _civil(shares: pl.DataFrame, share_id: int) -> str:
    return str(shares.filter(pl.col("id") == share_id)["civil_number"][0])


def review(
    uow: AwardUnitOfWork,
    tree: ParameterTree,
    award_id: int,
    *,
    version: int,
    principal: Principal,
    today: date,
    named: tuple[Left, ...] = (),
) -> Reviewed:
    """Review a survivor pension from the version read: who has left it (recorded dead, a child past
    the age limit, or named by the officer, on a day no later than today), its shares split again."""
    may(principal, Permission.INSURANCE_AWARD)
    for n in named:
        if n.day > today:
            raise InvalidInputError(f"--on {n.day} is after today ({today}): a survivor is recorded as left once left")
        if not n.reason.strip():
            raise InvalidInputError("--reason: say why the survivor left")
    with uow:
        award = scoped_one(uow, award_id, version, principal)
        if award["benefit"] != Benefit.SURVIVOR or award["state"] == AwardState.ENDED:
            raise AwardConflictError(f"award {award_id} is a {award['state']} {award['benefit']}: only a survivor "
                                     "pension not ended is reviewed")  # fmt: skip
        shares = uow.awards.open_shares(award_id)
        left, why = _leavers(tree, shares, named, today)
        changes = _split(uow.awards, tree, award, shares, left, why, actor=principal.username) if left else []
        uow.audit.record(changes, actor=principal.username)
        moved = award["version"] + (1 if left else 0)
        end_date = next((c.after["end_date"] for c in changes if c.action == "insurance.award.end" and c.after), None)
        state = AwardState.ENDED if end_date else AwardState(award["state"])
        done = Awarded(award_id, award["civil_number"], Benefit.SURVIVOR, state, int(award["amount"]),
                       award["start_date"], date.fromisoformat(end_date) if end_date else award["end_date"], moved,
                       principal.username)  # fmt: skip
        if left:
            uow.emit(done)
        uow.commit()
    return Reviewed(done, why)


def _leavers(
    tree: ParameterTree, shares: pl.DataFrame, named: tuple[Left, ...], today: date
) -> tuple[dict[str, date], dict[str, str]]:
    """(civil number: the day they left, civil number: why) of the survivors who have left by `today`."""
    sharing = set(shares["civil_number"].to_list())
    for n in named:
        if n.civil_number not in sharing:
            raise NotFoundError(f"--left {n.civil_number}: not a survivor sharing in this pension now")
    left: dict[str, date] = {n.civil_number: n.day for n in named}
    why = {n.civil_number: n.reason.strip()[:200] for n in named}
    for r in shares.iter_rows(named=True):
        limit = leaving(tree, today).child_age_limit
        born = r["birth_date"]
        held = r["group"] == "children" and born is not None and not r["disabled"]  # a disabled child is not
        aged = birthday(born, limit) if held else None
        for day, reason in ((r["death_date"], "death"), (aged, f"child aged {limit}")):
            if day is not None and day <= today and (r["civil_number"] not in left or day < left[r["civil_number"]]):
                left[r["civil_number"]] = day
                why[r["civil_number"]] = f"{reason} on {day}"
    return left, why
