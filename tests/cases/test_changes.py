"""A change request on both databases: each kind of change has typed fields, validated when the case
is opened (an IBAN's check digits, a wilayat of the pack, a marital status, an income's kind and
amount); its approval writes the change through the registry's own write path, dated from its
`effective_from`, the case named as the source, and the enrollments follow; an approval on a record
changed since the request was opened is refused (409) naming the record and both versions, and
writes nothing."""

from __future__ import annotations

import json
import re
from datetime import date

import polars as pl
import pytest
from sqlalchemy import update

from himaya import bootstrap
from himaya.cases import actions
from himaya.cases.changes import RecordChangedError
from himaya.cases.model import NewCase
from himaya.cases.rules import FormError
from himaya.core.access import Role, Scope
from himaya.core.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from himaya.db.case_tables import case_file
from himaya.db.registry_import import RegistryImportError, import_people
from himaya.db.snapshot import people_query, read_people
from himaya.registry import actions as registry
from tests.cases.conftest import Branches, user
from tests.cases.flows import PACK, decide, iban, open_case, prepared, rows, users

DAY = date(2026, 1, 7)
NEW = iban(18, 1234567890123456)
REVIEW = ("in_review", "prepared")  # salim prepares; huda decides at version 3


def _change(b: Branches, **form: str) -> str:
    return prepared(b, "change_request", {"effective_from": "2026-01-05", "evidence": "letter"} | form, day=DAY,
                    through=REVIEW)  # fmt: skip


def _current(b: Branches, table: str) -> list[dict[str, object]]:
    return [r for r in rows(b, table, b.here["person_id"]) if r["valid_to"] is None]


def test_a_bank_account_change_is_written_from_its_date_with_the_case_as_its_source(branches: Branches) -> None:
    number = _change(branches, change="bank_account", iban=NEW)
    case = branches.rows("case_file")[0]
    assert case["record_version"] >= 1 and json.loads(case["record_values"])["iban"] != NEW
    moved = decide(branches, number, "approved", 3, day=DAY)
    assert moved.version == 4 and moved.wrote is not None
    assert moved.wrote["to"] == {"iban": NEW, "bank_code": "018"} and moved.wrote["change"] == "bank_account"
    written = [(a["iban"], a["bank_code"], str(a["valid_from"])) for a in _current(branches, "bank_account")]
    assert written == [(NEW, "018", "2026-01-05")]
    trail = branches.rows("audit_entry")
    change = next(e for e in trail if e["action"] == "person.change")
    assert json.loads(change["after"])["source"] == f"case {number}"
    assert {"case.decide", "enrollment.replan"} <= {e["action"] for e in trail}
    replanned = json.loads(next(e for e in trail if e["action"] == "enrollment.replan")["after"])
    assert replanned["families"] == {branches.here["family_id"]: f"after change request {number}"}


def test_a_marital_status_and_an_income_are_dated_from_the_change(branches: Branches) -> None:
    widowed = _change(branches, change="marital_status", marital_status="widowed")
    decide(branches, widowed, "approved", 3, day=DAY)
    assert [(r["marital_status"], str(r["valid_from"])) for r in _current(branches, "person_situation")] == [
        ("widowed", "2026-01-05")
    ]
    wage = _change(branches, change="income", income_kind="wage", monthly_amount="412.500")
    decide(branches, wage, "approved", 3, day=DAY)
    wages = [r for r in _current(branches, "income") if r["kind"] == "wage"]
    assert [(r["monthly_amount"], r["source"]) for r in wages] == [(412_500, f"case {wage}")]


def test_an_address_moves_the_person_within_the_deciders_branches_only(branches: Branches) -> None:
    here = branches.here
    elsewhere = next(w for w, g in PACK.places.items() if g == here["governorate"] and w != here["wilayat"])
    number = _change(branches, change="address", wilayat=elsewhere)
    # huda works the branch's wilayat only: moving the family out of it needs the branch it goes to.
    with pytest.raises(ForbiddenError, match=f"moving family {here['family_id']} to {elsewhere}"):
        decide(branches, number, "approved", 3, day=DAY)
    assert branches.rows("case_file")[0]["version"] == 3
    salim = users(branches)[1]  # the governorate's supervisor, who prepared it: maker-checker refuses him
    with pytest.raises(ForbiddenError, match="maker-checker"):
        decide(branches, number, "approved", 3, day=DAY, principal=salim)


@pytest.mark.parametrize(
    ("form", "said"),
    [
        ({"change": "bank_account", "iban": "OM00018" + "1" * 16}, "form field iban, value 'OM000181111111111111111'"),
        ({"change": "bank_account", "iban": "GB29NWBK60161331926819"}, "must be an Omani IBAN"),
        ({"change": "bank_account"}, "form field iban: required for change bank_account"),
        ({"change": "address", "wilayat": "Atlantis"}, "form field wilayat, value 'Atlantis'"),
        ({"change": "address", "wilayat": "Nizwa", "iban": NEW}, "form field iban: does not go with change address"),
        ({"change": "marital_status", "marital_status": "engaged"}, "form field marital_status, value 'engaged'"),
        ({"change": "income", "income_kind": "wage"}, "form field monthly_amount: required for change income"),
        ({"change": "income", "income_kind": "lottery", "monthly_amount": "5"}, "form field income_kind"),
        ({"change": "income", "income_kind": "wage", "monthly_amount": "-5"}, "form field monthly_amount"),
    ],
)
def test_a_change_with_a_bad_value_is_refused_when_opened_naming_field_and_value(
    branches: Branches, form: dict[str, str], said: str
) -> None:
    full = {"effective_from": "2026-01-05", "evidence": "letter"} | form
    with pytest.raises(FormError, match=re.escape(said)):
        open_case(branches, "change_request", full, day=DAY)
    assert branches.rows("case_file") == [] and branches.rows("notification_outbox") == []


def test_an_iban_with_wrong_check_digits_names_the_rule(branches: Branches) -> None:
    wrong = NEW[:2] + ("00" if NEW[2:4] != "00" else "01") + NEW[4:]
    form = {"change": "bank_account", "iban": wrong, "effective_from": "2026-01-05", "evidence": "letter"}
    with pytest.raises(FormError, match="wrong IBAN check digits") as refused:
        open_case(branches, "change_request", form, day=DAY)
    assert set(refused.value.fields) == {"iban"}


def test_an_approval_on_a_record_changed_since_the_request_is_a_conflict_that_writes_nothing(
    branches: Branches,
) -> None:
    number = _change(branches, change="bank_account", iban=NEW)
    opened = branches.rows("case_file")[0]["record_version"]
    # Someone corrects the person's mobile meanwhile: the record moves to the next version.
    contract = bootstrap.registry_contract(PACK)
    registry.update(branches.uow(), contract, branches.here["person_id"], {"mobile": "+96891234567"},
                    expected_version=opened, principal=users(branches)[2])  # fmt: skip
    before = (_current(branches, "bank_account"), len(branches.rows("audit_entry")))
    with pytest.raises(RecordChangedError, match=f"person {branches.here['person_id']} is at version") as refused:
        decide(branches, number, "approved", 3, day=DAY)
    assert f"version {opened + 1}, not {opened}" in str(refused.value) and refused.value.code == "record_changed"
    assert (_current(branches, "bank_account"), len(branches.rows("audit_entry"))) == before
    case = branches.rows("case_file")[0]
    assert case["version"] == 3 and case["state"] == "prepared"
    refused_case = decide(branches, number, "refused", 3, day=DAY, reason="the record changed: a new request")
    assert refused_case.decision == "refused"


def test_a_change_of_the_same_value_by_an_import_is_a_conflict_too(branches: Branches) -> None:
    """A re-import that changes the account leaves the record's version (its dated facts moved, not the
    record's own fields): the values the change replaces are compared too."""
    number = _change(branches, change="bank_account", iban=NEW)
    other = iban(9, 6543210987654321)
    with branches.engine.connect() as connection:
        people = read_people(connection, people_query(None, registry=True))
    moved = people.filter(pl.col("person_id") == branches.here["person_id"]).with_columns(
        pl.lit(other).alias("iban"), pl.lit("009").alias("bank_code")
    )
    contract = bootstrap.registry_contract(PACK)
    import_people(branches.engine, contract.validate_frame(moved, source="re-import"), as_of=date(2026, 1, 6),
                  actor="setup", source={"file": "again"})  # fmt: skip
    with pytest.raises(RecordChangedError, match=f"iban {other[:4]}.* now|iban .* then, {other} now"):
        decide(branches, number, "approved", 3, day=DAY)
    assert [a["iban"] for a in _current(branches, "bank_account")] == [other]


def test_a_change_dated_before_a_later_change_of_the_same_fact_is_refused(branches: Branches) -> None:
    first = _change(branches, change="marital_status", marital_status="divorced")
    decide(branches, first, "approved", 3, day=DAY)
    early = prepared(
        branches, "change_request",
        {"change": "marital_status", "marital_status": "married", "effective_from": "2025-12-20", "evidence": "x"},
        day=DAY, through=REVIEW,
    )  # fmt: skip
    with pytest.raises(RegistryImportError, match="effective 2026-01-05: this change cannot be dated 2025-12-20"):
        decide(branches, early, "approved", 3, day=DAY)
    # Another fact may be dated earlier than that change: only what changes is compared.
    wage = prepared(
        branches, "change_request",
        {"change": "income", "income_kind": "alimony", "monthly_amount": "50", "effective_from": "2025-12-20",
         "evidence": "court"},
        day=DAY, through=REVIEW,
    )  # fmt: skip
    decide(branches, wage, "approved", 3, day=DAY)
    assert [str(r["valid_from"]) for r in _current(branches, "income") if r["kind"] == "alimony"] == ["2025-12-20"]


def test_a_change_request_of_another_branch_is_not_found(branches: Branches) -> None:
    number = _change(branches, change="bank_account", iban=NEW)
    stranger = user("omar", Role.SUPERVISOR, scopes=(Scope("wilayat", branches.there["wilayat"]),))
    with pytest.raises(NotFoundError, match=f"no case '{number}' in your branches"):
        decide(branches, number, "approved", 3, day=DAY, principal=stranger)
    with pytest.raises(NotFoundError):  # nor may they open one about a person of another branch
        form = {"change": "bank_account", "iban": NEW, "effective_from": "2026-01-05", "evidence": "letter"}
        request = NewCase("change_request", "branch", civil_number=branches.here["person_id"], form=form)
        actions.open_case(branches.uow(), PACK.cases, request, principal=stranger, today=DAY)


def test_an_override_means_nothing_to_a_change(branches: Branches) -> None:
    number = _change(branches, change="bank_account", iban=NEW)
    with pytest.raises(InvalidInputError, match="not judged by the rules"):
        decide(
            branches,
            number,
            "approved",
            3,
            day=DAY,
            override="because",
            override_until="2026-03",
            override_amount="1.000",
        )


def test_a_request_opened_with_the_old_free_text_form_is_not_approved(branches: Branches) -> None:
    """A change request opened before its type asked for typed fields (`new_value`) cannot write a
    change (it would empty the account): its approval is a conflict, and it is refused instead."""
    number = _change(branches, change="bank_account", iban=NEW)
    with branches.engine.begin() as connection:
        connection.execute(
            update(case_file).where(case_file.c.number == number).values(
                form=json.dumps({"change": "bank_account", "new_value": NEW, "effective_from": "2026-01-05"})
            )
        )  # fmt: skip
    before = _current(branches, "bank_account")
    with pytest.raises(ConflictError, match="form field iban: required for change bank_account; refuse it"):
        decide(branches, number, "approved", 3, day=DAY)
    assert _current(branches, "bank_account") == before
    assert decide(branches, number, "refused", 3, day=DAY).decision == "refused"
