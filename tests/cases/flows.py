"""The steps of a case's life the change-request and appeal tests share: open, prepare, decide, as
three users of one branch (a case worker who opens, a supervisor who prepares, another who decides)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text

from himaya import bootstrap
from himaya.cases import actions
from himaya.cases.applications import Desk
from himaya.cases.model import Moved, NewCase
from himaya.core.access import Principal, Role, Scope
from himaya.policy.packs import load_pack
from tests.cases.conftest import Branches, user

PACK = load_pack()
CATALOGUE = PACK.cases
DESK = Desk(bootstrap.registry_contract(PACK), PACK)


def iban(bank: int, account: int) -> str:
    """A valid Omani IBAN (ISO 13616 check digits) for a 3-digit bank and a 16-digit account."""
    check = 98 - int(f"{bank:03d}{account:016d}242200") % 97
    return f"OM{check:02d}{bank:03d}{account:016d}"


def users(b: Branches) -> tuple[Principal, Principal, Principal]:
    """wafa (case worker, the branch's wilayat), salim (supervisor, its governorate), huda (supervisor, the wilayat)."""
    here = (Scope("wilayat", b.here["wilayat"]),)
    return (
        user("wafa", Role.CASE_WORKER, scopes=here),
        user("salim", Role.SUPERVISOR, scopes=(Scope("governorate", b.here["governorate"]),)),
        user("huda", Role.SUPERVISOR, scopes=here),
    )


def open_case(b: Branches, kind: str, form: dict[str, Any], *, day: date, civil: str | None = None) -> str:
    request = NewCase(kind, "branch", civil_number=civil or b.here["person_id"], form=form)
    return actions.open_case(b.uow(), CATALOGUE, request, principal=users(b)[0], today=day).number


def move(b: Branches, number: str, to: str, version: int, *, day: date, **options: Any) -> Moved:
    return actions.move(
        bootstrap.unit_of_work(b.engine), CATALOGUE, number, to, expected_version=version,
        reason=options.pop("reason", None), principal=options.pop("principal", users(b)[1]), today=day, desk=DESK,
        **options,
    )  # fmt: skip


def prepared(b: Branches, kind: str, form: dict[str, Any], *, day: date, through: tuple[str, ...]) -> str:
    """A case opened by wafa and moved by salim through the states `through` (the last prepares)."""
    number = open_case(b, kind, form, day=day)
    for version, state in enumerate(through, start=1):
        move(b, number, state, version, day=day)
    return number


def decide(b: Branches, number: str, to: str, version: int, *, day: date, **options: Any) -> Moved:
    """huda's decision (she prepared nothing: maker-checker holds)."""
    options.setdefault("reason", "decided")
    options.setdefault("principal", users(b)[2])
    return move(b, number, to, version, day=day, **options)


def rows(b: Branches, table: str, person: str | None = None) -> list[dict[str, Any]]:
    """A table's rows (of the person, by civil number, where the table has a person_id)."""
    if person is None:
        return b.rows(table)
    with b.engine.connect() as connection:
        found = connection.execute(
            text(
                f"SELECT t.* FROM {table} t JOIN person p ON p.id = t.person_id WHERE p.civil_number = :c ORDER BY t.id"
            ),
            {"c": person},
        ).mappings()
        return [dict(r) for r in found]
