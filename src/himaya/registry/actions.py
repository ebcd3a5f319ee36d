"""The registry's use cases: register a person, change a record, record facts, merge two records.

Each is one unit of work: the scope and existence checks, the write and its audit entries share
one transaction (no check on one connection and write on another). A record outside the user's
branches is answered exactly as a record that does not exist: the same statements run, the same
refusal is given (docs/security.md, "Branch scope and existence").
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from himaya.core.access import Principal
from himaya.core.audit import Change
from himaya.core.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError, StaleRecordError
from himaya.core.uow import record_read
from himaya.registry.model import Fact, FamilyTakenError, Search, SearchTerms, Written
from himaya.registry.name_search import name_terms, phone_forms
from himaya.registry.ports import RecordContract, RegistryUnitOfWork
from himaya.registry.rules import cell_text, effective_window

# What an officer may change on a record; the governorate follows the place (rules.with_places): Oman's
# wilayat here, a pack's own place column (Iraq's district) by `editable`.
NAMES = tuple(
    f"{p}_{s}" for s in ("ar", "en") for p in ("given_name", "father_name", "grandfather_name", "family_name")
)
EDITABLE = (*NAMES, "death_date", "governorate", "wilayat", "mobile")
MAX_NAME_WORDS = 8  # a name's parts, with a Latin and an Arabic spelling: more only costs the store
CLEARABLE = frozenset({"death_date", "mobile"})  # a name or a place is corrected, never erased
PLACE = ("wilayat", "governorate")


def editable(place: str) -> tuple[str, ...]:
    """The fields an officer may change on a record of a pack whose place column is `place`."""
    return tuple(place if name == "wilayat" else name for name in EDITABLE)


def _registered(civil_number: str) -> ConflictError:
    return ConflictError(
        f"civil number {civil_number} is registered already: change that record (if it is not in your branches,"
        " ask the branch that holds it for a transfer)"
    )


def _not_in_branches(civil_number: str) -> NotFoundError:
    return NotFoundError(f"no person with civil number {civil_number!r} in your branches")


def in_branches(principal: Principal, wilayat: str | None, governorate: str | None) -> bool:
    """Whether a family whose head lives at this place (the pack's place: a wilayat, Iraq's district;
    the branch scope of kind `wilayat` names it) is in the user's branches."""
    if principal.every_branch:
        return True
    return (wilayat is not None and wilayat in principal.branch_values("wilayat")) or (
        governorate is not None and governorate in principal.branch_values("governorate")
    )


def check_place(
    principal: Principal, row: Mapping[str, Any], civil_number: str, what: str, place: str = "wilayat"
) -> None:
    """A record is written only to a place of the user's branches: the place (`place`: the pack's
    column, a wilayat or a district) and governorate a registration gives, and both the old and the
    new place of a move. A record with no place at all is the branch's of its family (checked by the
    family's own scope)."""
    where, governorate = row.get(place), row.get("governorate")
    if (where is not None or governorate is not None) and not in_branches(principal, where, governorate):
        raise ForbiddenError(
            f"{what} person {civil_number}: {place} {where} ({governorate}) is not one of your branches;"
            " a person is registered and moved only within your branches"
        )


def register(
    uow: RegistryUnitOfWork,
    contract: RecordContract,
    record: Mapping[str, Any],
    *,
    valid_from: date | None,
    principal: Principal,
) -> Written:
    """A new person, into a family of the user's branches or as the head of a new one there.

    Input is validated first (a bad record is refused before anything is looked up). A civil
    number registered already is refused with one answer, whichever branch holds it; a family
    number of another branch is answered as an unknown one."""
    unknown = sorted(set(record) - set(contract.names))
    if unknown:
        raise InvalidInputError(f"record: unknown fields {', '.join(unknown)}")
    cells = {name: cell_text(record.get(name)) for name in contract.names}
    frame = contract.validate([cells], source="the request body")
    row = frame.row(0, named=True)
    civil, family_number = row["person_id"], row["family_id"]
    as_of = valid_from or contract.today()
    effective_window(as_of, today=contract.today(), days_ahead=contract.days_ahead, born=row["birth_date"])
    place = contract.place
    new_family = row["relationship"] == "head" and in_branches(principal, row[place], row["governorate"])
    with uow:
        # The place given is checked before anything about the civil number or the family is said.
        check_place(principal, row, civil, "registering", place)
        found = uow.registry.presence(principal, civil, family_number)
        # What the user may not do in any case is refused before anything about the civil number is said.
        if not found.family_visible and not new_family:
            raise ForbiddenError(
                f"no family {family_number!r} in your branches: a new family belongs to the branch of its head;"
                f" register its head, with a {place} of your branches"
            )
        if found.person:  # audited: an officer trying civil numbers shows in the trail
            uow.audit.record(
                [Change("probe", f"person:{civil}", None, {"action": "person.create", "refused": "registered"})],
                actor=principal.username,
            )
            uow.commit()
            raise _registered(civil)
        if found.family and (not found.family_visible or row["relationship"] == "head"):
            # Another branch's family, or one of ours that has its head: the same answer for both.
            raise FamilyTakenError(f"family number {family_number!r} cannot be given to a new family: choose another")
        try:
            created, _updated, families, changes = uow.registry.import_rows(
                frame, as_of=as_of, expected_version=None, actor=principal.username
            )
        except ConflictError:  # registered by a concurrent request since the check: the same answer
            raise _registered(civil) from None
        entries = [Change("person.create", f"person:{civil}", None, {"family": family_number, "valid_from": as_of})]
        if families:
            entries.append(Change("family.create", f"family:{family_number}", None, _place(row, place)))
        entries += changes
        uow.audit.record(entries, actor=principal.username)
        version = uow.registry.version(civil)
        uow.commit()
    return Written(civil, version, created=created, subjects=tuple(e.subject for e in entries))


def update(
    uow: RegistryUnitOfWork,
    contract: RecordContract,
    civil_number: str,
    changes: Mapping[str, Any],
    *,
    expected_version: int,
    principal: Principal,
) -> Written:
    """Change a person's names, place, contact or death date, if the record is still at the version
    read. Moving a family's head to another branch moves the family: it needs both branches."""
    place = contract.place
    fields = editable(place)
    _check_editable(changes, fields)
    with uow:
        key = _visible(uow, civil_number, principal, "person.update")
        current = uow.registry.current_row(key)
        if current is None:
            raise ConflictError(f"person {civil_number} has no current family: their record cannot change here")
        cells = contract.cells(current) | {k: cell_text(v) for k, v in changes.items()}
        if place in changes and "governorate" not in changes:
            cells["governorate"] = None  # derived from the new place
        new = contract.validate([cells], source="the request body").row(0, named=True)
        diff = {k: new[k] for k in fields if new.get(k) != current.get(k)}
        entries = [Change("person.update", f"person:{civil_number}", {k: current.get(k) for k in diff}, diff)]
        if place in diff or "governorate" in diff:
            entries += check_move(principal, civil_number, current, new, uow.registry.family_of(key), place)
        if not uow.registry.update_person(key, diff, expected_version=expected_version):
            raise StaleRecordError(
                f"person {civil_number} is at version {uow.registry.version(civil_number)}, not {expected_version}:"
                " someone changed it since you read it; read it again and reapply your change"
            )
        if diff.get("death_date") is not None:  # a death recorded: its consequences, in this transaction
            entries += uow.registry.after_deaths(actor=principal.username)
        uow.audit.record(entries, actor=principal.username)
        uow.commit()
    return Written(civil_number, expected_version + 1, updated=1, subjects=tuple(e.subject for e in entries))


def record_facts(
    uow: RegistryUnitOfWork,
    contract: RecordContract,
    civil_number: str,
    fact: Fact,
    values: Mapping[str, Any],
    *,
    expected_version: int,
    valid_from: date | None,
    principal: Principal,
) -> Written:
    """Record an assessment, incomes or a bank account from `valid_from`, through the registry's import
    of one record (so the facts are validated and dated as an import's are)."""
    as_of = valid_from or contract.today()
    with uow:
        key = _visible(uow, civil_number, principal, f"person.{fact}")
        updated, version = write_facts(
            uow, contract, key, civil_number, f"person.{fact}", values,
            expected_version=expected_version, as_of=as_of, actor=principal.username,
        )  # fmt: skip
        uow.commit()
    return Written(civil_number, version, updated=updated, subjects=(f"person:{civil_number}",))


def write_facts(
    uow: RegistryUnitOfWork,
    contract: RecordContract,
    key: int,
    civil_number: str,
    action: str,
    values: Mapping[str, Any],
    *,
    expected_version: int,
    as_of: date,
    actor: str,
    source: str = "import",
) -> tuple[int, int]:
    """Record facts of a person already found in scope, inside a unit of work the caller has entered
    and will commit (`record_facts`, or a case's approval): validated and dated as an import's, with
    the audit entries; the rows opened say where they come from (`source`: the registry's record, or
    the case that decided them). (rows updated, the record's new version)."""
    current = uow.registry.current_row(key)
    if current is None:
        raise ConflictError(f"person {civil_number} has no current family: their record cannot change here")
    effective_window(as_of, today=contract.today(), days_ahead=contract.days_ahead, born=current["birth_date"])
    unknown = sorted(set(values) - set(contract.names))
    if unknown:
        raise InvalidInputError(f"{action}: unknown field(s) {', '.join(unknown)} of a registry record")
    cells = contract.cells(current) | {k: cell_text(v) for k, v in values.items()}
    if contract.place in values and "governorate" not in values:
        cells["governorate"] = None  # derived from the new place
    frame = contract.validate([cells], source="the request body")
    _c, updated, _f, changes = uow.registry.import_rows(
        frame, as_of=as_of, expected_version=(civil_number, expected_version), source=source, actor=actor
    )
    told = {"source": source} if source != "import" else {}
    summary = Change(action, f"person:{civil_number}", None, {"valid_from": as_of, **values, **told})
    uow.audit.record([summary, *changes], actor=actor)
    return updated, uow.registry.version(civil_number)


def merge(uow: RegistryUnitOfWork, keep: str, drop: str, *, as_of: date, actor: str) -> dict[str, Any]:
    """Merge the record `drop` into `keep` (final); both records are named in the audit trail."""
    if keep == drop:
        raise InvalidInputError("a person cannot be merged with themself")
    with uow:
        moved = uow.registry.merge(keep, drop, as_of=as_of)
        uow.audit.record(
            [
                Change("person.merge", f"person:{keep}", {"merged": drop}, {**moved, "as_of": as_of}),
                Change("person.merged_into", f"person:{drop}", None, {"merged_into": keep}),
            ],
            actor=actor,
        )
        uow.commit()
    return moved


def _visible(uow: RegistryUnitOfWork, civil_number: str, principal: Principal, action: str) -> int:
    """The person's key if in the user's branches. Otherwise the probe is audited (committed on its
    own: the refusal rolls nothing else back) and answered as for an unknown civil number."""
    key = uow.registry.visible_id(principal, civil_number)
    if key is None:
        uow.audit.record(
            [Change("probe", f"person:{civil_number}", None, {"action": action, "found": False})],
            actor=principal.username,
        )
        uow.commit()
        raise _not_in_branches(civil_number)
    return key


def check_move(
    principal: Principal,
    civil_number: str,
    current: Mapping[str, Any],
    new: Mapping[str, Any],
    membership: tuple[str, str] | None,
    place: str = "wilayat",
) -> list[Change]:
    """A change of place (`place`: the pack's column), checked at both ends: the place left and the
    place reached are each of the user's branches. A family's head moves the family (its audit entry)."""
    family = membership[0] if membership is not None and membership[1] == "head" else None
    if family is not None and not in_branches(principal, new[place], new["governorate"]):
        raise ForbiddenError(
            f"moving family {family} to {new[place]} ({new['governorate']}) needs the right of"
            " both branches: yours and the one it moves to"
        )
    check_place(principal, current, civil_number, "moving", place)
    check_place(principal, new, civil_number, "moving", place)
    moved = Change("family.move", f"family:{family}", _place(current, place), _place(new, place))
    return [] if family is None else [moved]


def _check_editable(changes: Mapping[str, Any], fields: tuple[str, ...] = EDITABLE) -> None:
    unknown = sorted(set(changes) - set(fields))
    if unknown:
        raise InvalidInputError(f"cannot change {', '.join(unknown)} here; editable: {', '.join(fields)}")
    erased = sorted(k for k, v in changes.items() if k not in CLEARABLE and (v is None or str(v).strip() == ""))
    if erased:
        raise InvalidInputError(f"{', '.join(erased)}: cannot be emptied (correct it instead)")


def _place(row: Mapping[str, Any], place: str = "wilayat") -> dict[str, Any]:
    return {place: row.get(place), "governorate": row.get("governorate")}


def read(uow: RegistryUnitOfWork, civil_number: str, what: str, *, principal: Principal) -> Any:
    """A person's record with its history and enrollments, if in the user's branches; the read is
    audited, and so is a probe for a record the user may not read (answered as an unknown one)."""
    with uow.reading():
        record = uow.registry.record(principal, civil_number)
    found = {"what": what, "found": record is not None}
    record_read(uow, f"person:{civil_number}", found, actor=principal.username)
    if record is None:
        raise _not_in_branches(civil_number)
    return record


def search(
    uow: RegistryUnitOfWork,
    wanted: Search,
    *,
    limit: int,
    offset: int,
    principal: Principal,
    dialling_code: str = "",
) -> list[dict[str, Any]]:
    """People of the user's branches matching `wanted` (names normalised, in any order; a phone with
    the country `dialling_code` or without), ordered by civil number; the search and the people it
    returned are audited. A name that leaves no word to search by (only "بن", "Al"...) is refused."""
    terms = search_terms(wanted, dialling_code)
    with uow.reading():
        rows = uow.registry.search(principal, wanted, limit=limit, offset=offset, terms=terms)
    filters = {k: v for k, v in vars(wanted).items() if v is not None}
    returned = {"filters": filters, "people": [r["civil_number"] for r in rows]}
    record_read(uow, "people:search", returned, actor=principal.username)
    return rows


def search_terms(wanted: Search, dialling_code: str) -> SearchTerms:
    """The normalised terms of a search (pure: no store)."""
    names = name_terms(wanted.name) if wanted.name is not None else ()
    if wanted.name is not None and not names:
        raise InvalidInputError(f"name {wanted.name!r}: no name to search by (only connectors or articles)")
    if len(names) > MAX_NAME_WORDS:
        raise InvalidInputError(f"name {wanted.name!r}: at most {MAX_NAME_WORDS} words (a name's parts)")
    if names and all(len(word[0].value) < 2 for word in names):
        # every word a single letter matches nearly everyone, each counted and probed
        raise InvalidInputError(f"name {wanted.name!r}: a word of two letters or more is needed")
    return SearchTerms(
        names=names,
        phones=phone_forms(wanted.phone, dialling_code) if wanted.phone else (),
        number_phones=phone_forms(wanted.number, dialling_code) if wanted.number else (),
    )


def family_members(uow: RegistryUnitOfWork, family_number: str, *, principal: Principal) -> list[dict[str, Any]]:
    """A family's current members, if it is in the user's branches; the read names the people it
    returned, and a probe for a family the user may not read is audited too."""
    with uow.reading():
        rows = uow.registry.search(principal, Search(family_number=family_number), limit=100, offset=0)
    people = [r["civil_number"] for r in rows]
    returned = {"what": "members", "people": people, "found": bool(rows)}
    record_read(uow, f"family:{family_number}", returned, actor=principal.username)
    if not rows:
        raise NotFoundError(f"no family {family_number!r} in your branches")
    return rows


def family_table(
    uow: RegistryUnitOfWork, family_number: str, day: date, *, principal: Principal, what: str = "entitlements"
) -> Any:
    """The family's people table on `day` (for the rules), if in the user's branches; audited with
    the people returned and `what` it was read for (a probe too)."""
    with uow.reading():
        people = uow.registry.family_table(principal, family_number, day)
    returned = [] if people is None else people["person_id"].to_list()
    read = {"what": what, "day": day, "people": returned, "found": people is not None}
    record_read(uow, f"family:{family_number}", read, actor=principal.username)
    if people is None or people.is_empty():
        raise NotFoundError(f"no family {family_number!r} in your branches with members on {day}")
    return people
