"""A registry person as the DCI social registry's record (`spdci:SR_Person`).

A partner that may identify people gets the civil number, names and phone; one that may not gets
a keyed pseudonym in place of the civil number and nothing else that names the person.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from himaya.adapters.dci.envelope import Address, Identifier, LocalName, PersonName, SRPerson

RELATIONSHIPS = {"head": "SELF", "spouse": "PRIMSPOUS", "child": "CHILD"}
MARITAL = {"single": "S", "married": "M", "widowed": "W", "divorced": "D"}


def sr_person(row: dict[str, Any], *, identifies: bool, pseudonym: Callable[[str], str], country: str) -> SRPerson:
    """`row`: a person with its current family number, relationship and marital status."""
    death = row.get("death_date")
    record = SRPerson(
        identifier=[Identifier(identifier_type="PSEUDONYM", identifier_value=pseudonym(row["civil_number"]))],
        sex={"M": "male", "F": "female"}.get(row["sex"], "unknown"),
        birth_date=row["birth_date"].isoformat(),
        death_date=death.isoformat() if death else None,
        marital_status=MARITAL.get(row.get("marital_status") or "", "U"),
        group_identifier=row.get("family_number"),
        relationship=RELATIONSHIPS.get(row.get("relationship") or "", "FAMMEMB"),
        address=Address(region=row.get("governorate"), locality=row.get("wilayat"), country=country or None),
    )
    if identifies:
        record.identifier = [Identifier(identifier_type="UIN", identifier_value=row["civil_number"])]
        record.name = PersonName(
            given_name=row["given_name_en"],
            second_name=row["father_name_en"],
            third_name=row["grandfather_name_en"],
            surname=row["family_name_en"],
            local=LocalName(
                given_name=row["given_name_ar"],
                second_name=row["father_name_ar"],
                third_name=row["grandfather_name_ar"],
                surname=row["family_name_ar"],
                language="ara",
            ),
        )
        record.phone_number = row.get("mobile") or None
    return record
