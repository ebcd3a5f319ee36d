"""Letters delivered by printing at the branch: a branch officer prints the branch's waiting letters as
one batch (one letter a page, each in its message's language), and those letters are marked
`printed` with the batch in the same transaction, so a second print does not print them again. A lost
printout is printed again from its batch (audited), never by marking letters again.

The PDF is made inside the transaction that marks the letters: if it cannot be made, nothing is
marked. docs/notifications.md#letters describes it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from himaya.cases.letters import WORDS, written_date
from himaya.cases.ports import NoticesUnitOfWork
from himaya.core.access import Permission, Principal
from himaya.core.audit import Change
from himaya.core.clock import now
from himaya.core.errors import ForbiddenError, InvalidInputError, NotFoundError
from himaya.core.letter import Letter
from himaya.core.text import Language, Text
from himaya.policy.case_types import CaseCatalogue

Render = Callable[[Sequence[Letter]], bytes]  # the letters as one document, a letter from a new page
MORE = {
    "branch": Text("Branch", "الفرع"),
    "address": Text("Address", "العنوان"),
    "batch": Text("Batch", "الدفعة"),
}


@dataclass(frozen=True)
class Printed:
    batch: int | None  # None: no letter was waiting, nothing printed
    letters: int
    pdf: bytes
    wilayat: str
    printed_by: str | None = None
    printed_at: datetime | None = None


def printed_letter(
    row: Mapping[str, Any], *, sender: Text, day: date, batch: int, catalogue: CaseCatalogue | None = None
) -> Letter:
    """One waiting letter as it is printed: the message in its language, addressed to the person by
    the name and place the registry holds, with the case number, the branch, the date and the batch."""
    number = catalogue.person_number if catalogue is not None else WORDS["civil"]  # the pack's word
    lang: Language = "ar" if row["language"] == "ar" else "en"
    script = ("ar", "en") if lang == "ar" else ("en", "ar")
    name = next((n for n in (_name(row, s) for s in script) if n), "")
    places = catalogue.place_names if catalogue is not None else {}
    governorates = catalogue.governorate_names if catalogue is not None else {}
    parts = (_named(row.get("wilayat"), places, lang), _named(row.get("governorate"), governorates, lang))
    place = ("، " if lang == "ar" else ", ").join(p for p in parts if p)
    addressee = tuple(
        line
        for line in (
            name,
            f"{number.in_(lang)}: {row['civil_number']}" if row.get("civil_number") else "",
            f"{MORE['address'].in_(lang)}: {place}" if place else "",
        )
        if line
    )
    return Letter(
        language=lang,
        sender=sender.in_(lang),
        title=row["subject"],
        reference=(
            (WORDS["number"].in_(lang), row["number"]),
            (MORE["branch"].in_(lang), _named(row["branch"], places, lang)),
            (WORDS["date"].in_(lang), written_date(day, lang, catalogue.month_names if catalogue else None)),
            (MORE["batch"].in_(lang), f"{batch}/{row['id']}"),
        ),
        addressee=addressee,
        opening=(WORDS["greeting"].in_(lang), row["body"]),
        closing=(WORDS["closing"].in_(lang),),
    )


def _named(code: str | None, names: Mapping[str, Text], lang: Language) -> str:
    """A place (the code the registry records: its English name) as the pack's place data names it in
    `lang`; a code the data does not know, as recorded."""
    if not code:
        return ""
    found = names.get(code)
    return found.in_(lang) if found is not None and found.in_(lang) else code


def _name(row: Mapping[str, Any], script: str) -> str:
    return " ".join(v for v in (row.get(f"{p}_{script}") for p in ("given_name", "father_name", "family_name")) if v)


def _printer(principal: Principal) -> None:
    if not (principal.can(Permission.CASE_WORK) and principal.identifies):
        raise ForbiddenError("printing letters needs case.work and person.identify (a letter names its person)")


def _branch(catalogue: CaseCatalogue, principal: Principal, wilayat: str) -> str:
    """The branch's governorate, once the branch is known and one of the user's."""
    if wilayat not in catalogue.places:
        raise InvalidInputError(f"branch: {wilayat!r} is not a known wilayat")
    governorate = catalogue.places[wilayat]
    mine = (
        principal.every_branch
        or wilayat in principal.branch_values("wilayat")
        or governorate in principal.branch_values("governorate")
    )
    if not mine:
        raise ForbiddenError(f"branch: {wilayat} is not one of your branches")
    return governorate


def print_letters(
    uow: NoticesUnitOfWork,
    catalogue: CaseCatalogue,
    wilayat: str,
    *,
    principal: Principal,
    sender: Text,
    render: Render,
    clock: Callable[[], datetime] = now,
) -> Printed:
    """Print the branch's waiting letters (those the user may see) as one batch and mark them printed,
    with the batch, in one transaction with its audit entry (`notify.print`)."""
    _printer(principal)
    governorate = _branch(catalogue, principal, wilayat)
    with uow:
        at = clock()
        batch = uow.letters.take(principal, wilayat, governorate=governorate, actor=principal.username, at=at)
        if batch is None:
            return Printed(None, 0, b"", wilayat)
        rows = uow.letters.letters(principal, batch)
        pdf = render([printed_letter(r, sender=sender, day=at.date(), batch=batch, catalogue=catalogue) for r in rows])
        what = {"wilayat": wilayat, "letters": [r["id"] for r in rows]}
        uow.audit.record([Change("notify.print", f"letter_batch:{batch}", None, what)], actor=principal.username)
        uow.commit()
    return Printed(batch, len(rows), pdf, wilayat, principal.username, at)


def reprint(
    uow: NoticesUnitOfWork,
    catalogue: CaseCatalogue,
    batch_id: int,
    *,
    principal: Principal,
    sender: Text,
    render: Render,
) -> Printed:
    """The batch printed again as it was (its date, its letters, in the pack's words of `catalogue`),
    for a printout that was lost; audited (`notify.reprint`), nothing marked. A batch of another
    branch is answered as a missing one."""
    _printer(principal)
    with uow:
        batch = uow.letters.batch(principal, batch_id)
        if batch is None:
            raise NotFoundError(f"no batch {batch_id} of letters among your branches")
        rows = uow.letters.letters(principal, batch_id)
        day = batch["printed_at"].date()
        pdf = render([printed_letter(r, sender=sender, day=day, batch=batch_id, catalogue=catalogue) for r in rows])
        what = {"wilayat": batch["wilayat"], "letters": [r["id"] for r in rows], "first_by": batch["printed_by"]}
        uow.audit.record([Change("notify.reprint", f"letter_batch:{batch_id}", None, what)], actor=principal.username)
        uow.commit()
    return Printed(batch_id, len(rows), pdf, batch["wilayat"], batch["printed_by"], batch["printed_at"])
