"""The statement of a family's entitlements as a letter (`bootstrap.family_letter`), for the
command line, the API and the web alike."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import polars as pl

from himaya.core import clock
from himaya.core.access import Principal
from himaya.core.letter import Letter
from himaya.core.periods import Period
from himaya.core.text import Language
from himaya.db.uow import SqlUnitOfWork
from himaya.policy.explain import Explanation
from himaya.policy.explain import explain as explain_family
from himaya.policy.letters import entitlements_letter, head_of
from himaya.policy.pack import PolicyPack
from himaya.policy.statement import members_of, statement
from himaya.registry import actions as registry_actions


def family_letter(
    uow: SqlUnitOfWork,
    pack: PolicyPack,
    family_number: str,
    month: Period,
    *,
    principal: Principal,
    language: Language,
    explain: Callable[[pl.DataFrame, Period, str], Explanation] | None = None,
    day: date | None = None,
) -> Letter:
    """The statement of entitlements of a family of the user's branches for `month`, as a letter to the
    head of the family (the read is audited as the family's, `what: letter`). `explain`: the
    service's batcher, else the engine on this family alone."""
    people = registry_actions.family_table(uow, family_number, month.end, principal=principal, what="letter")
    if explain is None:
        explained = explain_family(people, pack, pack.parameters, month, family_id=family_number)
    else:
        explained = explain(people, month, family_number)
    members = members_of(people, pack.person_column)
    head = head_of(
        members, dict(zip(people[pack.person_column].to_list(), people["relationship"].to_list(), strict=True))
    )
    written = statement(explained, members)
    return entitlements_letter(
        written, language, sender=pack.institution, head=head, day=day or clock.today(pack.timezone)
    )
