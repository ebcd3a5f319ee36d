"""The service on a registry of Iraq's people (issue 17): `himaya serve` follows the pack the registry
recorded at its first import, as the commands do. The API's and the front office's family pages
explain with Iraq's rules and legal references in whole dinars, name the national ID number and the
districts (Iraq's branches) in Arabic and English; the public dashboard and the open data are Iraq's
programmes, governorates and dinars; the DCI social registry answers with Iraq's people. An Oman
registry's pages stay Oman's (`test_pages.py`: its words and rials)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from himaya import bootstrap
from himaya.api.security import TokenSettings
from himaya.bootstrap import hash_password
from himaya.bootstrap import payroll as store
from himaya.core.access import Scope
from himaya.core.clock import today
from himaya.core.periods import Period
from himaya.db import access
from himaya.db.engine import connect
from himaya.db.migrate import upgrade
from himaya.db.registry_import import import_people
from himaya.db.registry_pack import RegistryPackError
from himaya.db.stores.registry import SqlRegistryStore
from himaya.db.tables import person as person_table
from himaya.policy.engine import entitlements
from himaya.policy.packs import load_pack
from himaya.policy.table import validate_table
from himaya.service import create_app
from himaya.synth.generate import SynthRequest
from himaya.synth.iraq.generate import for_file, generate
from tests.api.conftest import KEY, PASSWORD, _url
from tests.api.dci.support import SENDER, by_civil_number, request
from tests.web.conftest import csrf, log_in

NOVEMBER = Period(2025, 11)  # a month of the school year: the student grant is paid
THREE_DECIMALS = re.compile(r"\b\d+\.\d{3}\b")
OMAN_MONTHS = (
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
)


@dataclass
class Iraq:
    client: TestClient
    engine: Engine
    family: str  # a family paid the subsidy and a student grant in November 2025
    head: dict[str, Any]
    entitled: int  # persons entitled to each programme in November 2025, added up
    in_district: int  # persons registered in the paid family's district

    def headers(self, user: str) -> dict[str, str]:
        login = {"grant_type": "password", "username": user, "password": PASSWORD}
        response = self.client.post("/auth/token", data=login)
        return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _paid(people: pl.DataFrame) -> tuple[str, int]:
    """A family paid the subsidy and a student grant in November, and the persons paid each
    programme (the public tables' "all programmes" margin adds up the programmes' persons)."""
    iraq = load_pack("iraq")
    paid = entitlements(people.select(iraq.schema.names), iraq, iraq.parameters, NOVEMBER)
    grants = set(paid.filter(pl.col("programme") == "student_grant")["family_id"])
    subsidy = paid.filter(pl.col("programme") == "sp_cash", pl.col("family_id").is_in(list(grants)))
    return str(subsidy.sort("family_id")["family_id"][0]), paid.select("person_id", "programme").n_unique()


def key_of(connection: Any, civil_number: str) -> int:
    found = connection.execute(
        person_table.select().with_only_columns(person_table.c.id).where(person_table.c.civil_number == civil_number)
    ).scalar_one()
    return int(found)


def _other_district(head: dict[str, Any]) -> str:
    """A district of none of the registrar's branches."""
    return "Basra" if head["district"] != "Basra" else "Mosul"


def _neighbour(head: dict[str, Any]) -> str:
    """Another district of the head's governorate (the registrar's second branch)."""
    places = load_pack("iraq").places
    return next(
        d
        for d, g in sorted(places.items())
        if g == head["governorate"] and d not in (head["district"], _other_district(head))
    )


@dataclass(frozen=True)
class IraqRegistry:
    family: str  # a family paid the subsidy and a student grant in November 2025
    head: dict[str, Any]
    entitled: int  # persons entitled to each programme in November 2025, added up
    in_district: int  # persons registered in the paid family's district


def iraq_registry(engine: Engine) -> IraqRegistry:
    """Migrate, import a small synthetic Iraq under the Iraq pack (as `himaya registry import --pack
    iraq`), enroll November 2025, and create the users: an officer of the paid family's district,
    one of another district, an administrator and a partner system."""
    upgrade(engine)
    pack = load_pack("iraq")
    drawn = generate(SynthRequest(persons=2_000, seed=12, as_of=date(2025, 11, 1))).people
    people = validate_table(for_file(drawn, "parquet"), pack.registry, source="synthetic Iraq")
    import_people(
        engine, people, as_of=date(2025, 10, 1), actor="setup", source={"file": "iraq.parquet"},
        facts=pack.registry_facts, pack=pack.name,
    )  # fmt: skip
    store.sync_enrollments(engine, pack, NOVEMBER, actor="setup", today=NOVEMBER.start)
    family, entitled = _paid(people)
    head = people.filter(pl.col("family_id") == family, pl.col("relationship") == "head").row(0, named=True)
    users = {
        "officer": (["case_worker"], [Scope("wilayat", head["district"])]),  # the branch: the head's district
        "elsewhere": (["case_worker"], [Scope("wilayat", "Basra" if head["district"] != "Basra" else "Mosul")]),
        # registers people and decides change requests: the head's district and a neighbour
        "registrar": (["registrar", "supervisor"], [Scope("wilayat", d) for d in (head["district"], _neighbour(head))]),
        "admin": (["admin"], [Scope("all")]),
    }
    for user, (roles, scopes) in users.items():
        access.create_user(engine, user, hash_password(PASSWORD), actor="setup")
        access.grant(engine, user, roles=roles, scopes=scopes, actor="setup")
    access.create_user(engine, "partner", hash_password(PASSWORD), kind="client", actor="setup")
    access.grant(engine, "partner", roles=["partner"], scopes=[Scope("all")], actor="setup")
    in_district = people.filter(pl.col("district") == head["district"]).height
    return IraqRegistry(family, head, entitled, in_district)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def iraq(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Iraq]:
    tmp = tmp_path_factory.mktemp("iraq-office")
    urls = _url(request.param, tmp)
    engine = connect(next(urls))
    built = iraq_registry(engine)
    app = create_app(engine, tokens=TokenSettings(key=KEY), files=tmp / "bank-files")
    yield Iraq(TestClient(app), engine, built.family, built.head, built.entitled, built.in_district)
    engine.dispose()
    for _ in urls:
        pass


def test_the_service_works_under_the_pack_the_registry_recorded(iraq: Iraq) -> None:
    assert iraq.client.app.state.pack.name == "iraq"  # type: ignore[attr-defined]
    before = bootstrap.settings()
    oman = replace(before, pack="oman", pack_given=True)  # HIMAYA_PACK=oman on Iraq's registry
    try:
        with pytest.raises(RegistryPackError, match="holds the iraq pack's people, not the oman pack's"):
            create_app(iraq.engine, tokens=TokenSettings(key=KEY), settings=oman)
    finally:
        bootstrap.configure(before)


def test_a_familys_entitlements_are_explained_with_iraqs_rules_in_whole_dinars(iraq: Iraq) -> None:
    answer = iraq.client.get(
        f"/families/{iraq.family}/entitlements", params={"period": "2025-11"}, headers=iraq.headers("officer")
    )
    assert answer.status_code == 200, answer.text
    found = answer.json()
    assert found["currency"] == "IQD"
    assert re.fullmatch(r"[1-9][0-9]*", found["total"]) and int(found["total"]) >= 125_000  # dinars, no decimals
    programmes = {g["programme"]: g for p in found["entitlements"] for g in p["programmes"]}
    assert {"sp_cash", "student_grant"} <= set(programmes)
    assert int(programmes["sp_cash"]["amount"]) in {125_000, 175_000, 225_000, 275_000}
    references = {u["reference"] for g in programmes.values() for u in g["parameters"]}
    assert any("Law No. 11 of 2014" in r for r in references), references
    assert "IQD" in found["explanation"] and not THREE_DECIMALS.search(found["explanation"])
    asked = {"period": "2025-11", "lang": "ar"}
    citizen = iraq.client.get(f"/families/{iraq.family}/explanation", params=asked, headers=iraq.headers("officer"))
    citizen = citizen.json()
    assert "تشرين الثاني" in citizen["title"] and citizen["total"] == found["total"] and citizen["currency"] == "IQD"


def test_the_family_and_person_pages_name_the_national_number_and_the_district(iraq: Iraq) -> None:
    client = TestClient(iraq.client.app)
    log_in(client, "officer")
    district = load_pack("iraq").code_names["district"][iraq.head["district"]]
    client.cookies.set("himaya_lang", "en")
    page = client.get(f"/office/families/{iraq.family}").text
    assert "National ID number" in page and "District" in page and district.en in page
    assert "Civil number" not in page and "Wilayat" not in page
    assert re.search(r"IQD [1-9][0-9]{0,2}(,[0-9]{3})+", page) and "OMR" not in page and not THREE_DECIMALS.search(page)
    client.cookies.set("himaya_lang", "ar")
    page = client.get(f"/office/families/{iraq.family}").text
    assert "الرقم الوطني" in page and "القضاء" in page and district.ar in page
    assert "د.ع." in page and "ر.ع." not in page and "الرقم المدني" not in page
    assert not [m for m in OMAN_MONTHS if m in page], "the birth dates' months named as in Oman, not Iraq"
    person = client.get(f"/office/people/{iraq.head['person_id']}").text
    assert "الرقم الوطني" in person and district.ar in person
    assert load_pack("iraq").code_names["governorate"][iraq.head["governorate"]].ar in person


def test_a_branch_is_a_district(iraq: Iraq) -> None:
    answer = iraq.client.get(f"/families/{iraq.family}", headers=iraq.headers("elsewhere"))
    assert answer.status_code == 404  # another district's family answers as a missing one


def test_the_public_dashboard_and_open_data_are_iraqs(iraq: Iraq) -> None:
    data = iraq.client.get("/public/statistics", params={"from": "2025-11", "to": "2025-11"}).json()
    assert data["currency"] == "IQD"
    assert {p["code"] for p in data["programmes"]} >= {"sp_cash", "student_grant", "caregiver"}
    assert {g["code"] for g in data["governorates"]} >= {"Baghdad", "Basra", "Nineveh"}
    corner = next(r for r in data["rows"] if r["programme"] == "all" and r["governorate"] == "all")
    # Everyone entitled in November was enrolled for it; no payroll ran, so nothing was spent.
    assert (corner["beneficiaries"], corner["spending_omr"], corner["suppressed"]) == (iraq.entitled, 0, False)
    client = TestClient(iraq.client.app)
    client.cookies.set("himaya_lang", "ar")
    page = client.get("/public", params={"measure": "spending_omr", "from": "2025-11", "to": "2025-11"}).text
    assert "الإنفاق (د.ع.)" in page and "بغداد" in page and "ر.ع." not in page
    client.cookies.set("himaya_lang", "en")
    page = client.get("/public", params={"from": "2025-11", "to": "2025-11"}).text
    assert "Social protection cash subsidy" in page and "Nineveh" in page and "OMR" not in page


def test_the_dci_social_registry_answers_with_iraqs_people(iraq: Iraq) -> None:
    from himaya.adapters.dci.onboarding import set_partner  # noqa: PLC0415

    set_partner(bootstrap.unit_of_work(iraq.engine), "partner", sender_id=SENDER, actor="setup")
    token = iraq.client.post(
        "/auth/token", data={"grant_type": "client_credentials", "client_id": "partner", "client_secret": PASSWORD}
    ).json()["access_token"]
    body = request(by_civil_number(iraq.head["person_id"]))
    body["header"]["message_id"] = f"msg-{uuid.uuid4().hex}"
    answer = iraq.client.post("/registry/sync/search", headers={"Authorization": f"Bearer {token}"}, json=body)
    assert answer.status_code == 200, answer.text
    found = answer.json()["message"]["search_response"][0]
    records = found["data"]["reg_records"]
    assert len(records) == 1
    address = records[0]["address"]
    assert address["country"] == "IQ" and address["locality"] == iraq.head["district"]
    assert address["region"] == iraq.head["governorate"]
    place = iraq.head["district"]
    expression = {"attribute_name": "district", "operator": "eq", "attribute_value": place}
    district = {
        "reg_type": "ns:org:RegistryType:Social",
        "query_type": "predicate",
        "query": [{"seq_num": 1, "expression1": expression}],
        "pagination": {"page_size": 100, "page_number": 1},
    }
    body = request(district)
    answer = iraq.client.post("/registry/sync/search", headers={"Authorization": f"Bearer {token}"}, json=body)
    page = answer.json()["message"]["search_response"][0]
    assert page["status"] == "succ" and page["pagination"]["total_count"] == iraq.in_district
    assert {r["address"]["locality"] for r in page["data"]["reg_records"]} == {place}


def _registrar(iraq: Iraq) -> TestClient:
    client = TestClient(iraq.client.app)
    log_in(client, "registrar")
    client.cookies.set("himaya_lang", "en")
    return client


def test_a_newborn_is_registered_into_a_family_of_the_officers_district(iraq: Iraq) -> None:
    client = _registrar(iraq)
    form = client.get(f"/office/families/{iraq.family}/newborn")
    assert form.status_code == 200 and "National ID number of the child" in form.text
    assert "Civil number" not in form.text and "ilayat" not in form.text
    child = {
        "csrf": csrf(form.text), "person_id": "770000000001", "sex": "F", "birth_date": "2025-10-20",
        "nationality": "IQ", "given_name_ar": "زينب", "given_name_en": "Zainab",
    }  # fmt: skip
    done = client.post(f"/office/families/{iraq.family}/newborn", data=child, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/office/people/770000000001"
    person = client.get("/people/770000000001", headers=iraq.headers("officer")).json()["person"]
    assert (person["wilayat"], person["governorate"]) == (iraq.head["district"], iraq.head["governorate"])
    client.cookies.set("himaya_lang", "ar")
    again = client.post(f"/office/families/{iraq.family}/newborn", data=child)
    assert again.status_code == 409 and "هذا الرقم الوطني مسجل من قبل." in again.text
    assert "الرقم المدني" not in again.text and "الولاية" not in again.text


def test_a_new_family_is_registered_in_a_district_of_the_officers_branches_only(iraq: Iraq) -> None:
    client = _registrar(iraq)
    form = client.get("/office/families/new")
    assert form.status_code == 200 and 'name="district"' in form.text and 'name="wilayat"' not in form.text
    assert "National ID number of the head" in form.text and "District" in form.text and 'value="IQ"' in form.text
    assert "Civil number" not in form.text and "ilayat" not in form.text
    head = {
        "csrf": csrf(form.text), "family_id": "IQ-NEW-0001", "person_id": "770000000002", "sex": "F",
        "birth_date": "1980-04-02", "nationality": "IQ", "marital_status": "widowed", "resident": "1",
        "district": iraq.head["district"], "given_name_ar": "مريم", "family_name_ar": "الجبوري",
        "given_name_en": "Maryam", "family_name_en": "Al Jubouri",
    }  # fmt: skip
    elsewhere = client.post("/office/families/new", data=head | {"district": _other_district(iraq.head)})
    assert elsewhere.status_code == 403 and 'id="district-error"' in elsewhere.text
    done = client.post("/office/families/new", data=head, follow_redirects=False)
    assert done.status_code == 303, done.text
    page = client.get("/office/families/IQ-NEW-0001")
    assert page.status_code == 200 and "Maryam" in page.text
    other = TestClient(iraq.client.app)
    log_in(other, "elsewhere")
    assert other.get("/office/families/IQ-NEW-0001").status_code == 404  # another district's: not found
    assert other.get(f"/office/families/{iraq.family}/newborn").status_code in (403, 404)


def test_the_api_registers_with_iraqs_contract_and_refuses_a_district_not_in_its_governorate(iraq: Iraq) -> None:
    headers = iraq.headers("registrar")
    record = {
        "person_id": "770000000003", "family_id": iraq.family, "relationship": "child", "sex": "M",
        "birth_date": "2025-09-01", "nationality": "IQ", "resident": True, "marital_status": "single",
        "district": iraq.head["district"], "given_name_en": "Ali",
    }  # fmt: skip
    wrong = "Basra" if iraq.head["governorate"] != "Basra" else "Baghdad"
    refused = iraq.client.post("/people", json={"record": record | {"governorate": wrong}}, headers=headers)
    assert refused.status_code == 422, refused.text
    said = refused.text
    assert wrong in said and iraq.head["district"] in said and iraq.head["governorate"] in said  # both named
    unknown = iraq.client.post("/people", json={"record": record | {"wilayat": "Nizwa"}}, headers=headers)
    assert unknown.status_code == 422 and "wilayat" in unknown.text  # not a column of Iraq's
    done = iraq.client.post("/people", json={"record": record}, headers=headers)
    assert done.status_code == 201, done.text
    theirs = record | {"person_id": "770000000004", "district": _other_district(iraq.head)}
    assert iraq.client.post("/people", json={"record": theirs}, headers=headers).status_code == 403
    moved = iraq.client.patch(
        "/people/770000000003", json={"version": done.json()["version"], "changes": {"given_name_ar": "علي"}},
        headers=headers,
    )  # fmt: skip
    assert moved.status_code == 200, moved.text
    away = {"version": moved.json()["version"], "changes": {"district": _other_district(iraq.head)}}
    assert iraq.client.patch("/people/770000000003", json=away, headers=headers).status_code == 403
    oman = {"version": moved.json()["version"], "changes": {"wilayat": "Nizwa"}}
    assert iraq.client.patch("/people/770000000003", json=oman, headers=headers).status_code == 422
    near = {"version": moved.json()["version"], "changes": {"district": _neighbour(iraq.head)}}
    moved = iraq.client.patch("/people/770000000003", json=near, headers=headers)
    assert moved.status_code == 200, moved.text  # within the registrar's districts
    person = iraq.client.get("/people/770000000003", headers=headers).json()["person"]
    assert (person["wilayat"], person["governorate"]) == (_neighbour(iraq.head), iraq.head["governorate"])
    with iraq.engine.connect() as connection:  # the district kept with the person's own columns follows
        row = SqlRegistryStore(connection).current_row(key_of(connection, "770000000003"))
    assert row is not None and row["district"] == _neighbour(iraq.head)


def ask_to_move(iraq: Iraq, civil: str, family: str, *, sex: str, status: str, name: str) -> tuple[str, str]:
    """A new head registered in the paid family's district (by the registrar), and the officer's change
    request moving them to the neighbouring district 20 days ago: (the case number, that district)."""
    head = {
        "person_id": civil, "family_id": family, "relationship": "head", "sex": sex, "birth_date": "1970-01-01",
        "nationality": "IQ", "resident": True, "marital_status": status, "district": iraq.head["district"],
        "given_name_en": name,
    }  # fmt: skip
    assert iraq.client.post("/people", json={"record": head}, headers=iraq.headers("registrar")).status_code == 201
    district, since = _neighbour(iraq.head), today("Asia/Baghdad") - timedelta(days=20)
    asked = {
        "type": "change_request", "civil_number": civil, "channel": "branch",
        "form": {"change": "address", "district": district, "effective_from": since.isoformat(), "evidence": "lease"},
    }  # fmt: skip
    opened = iraq.client.post("/cases", json=asked, headers=iraq.headers("officer"))
    assert opened.status_code == 201, opened.text
    return str(opened.json()["number"]), district


def test_a_change_request_of_the_district_is_filed_and_written(iraq: Iraq) -> None:
    client = _registrar(iraq)
    form = client.get("/office/cases/new", params={"type": "change_request"})
    assert form.status_code == 200 and "The district the person now lives in" in form.text
    assert "ilayat" not in form.text and "Civil number" not in form.text
    headers = iraq.headers("registrar")
    number, district = ask_to_move(iraq, "770000000005", "IQ-NEW-0002", sex="M", status="married", name="Hassan")
    for version, state in ((1, "in_review"), (2, "prepared")):
        moved = iraq.client.post(
            f"/cases/{number}/decision", json={"version": version, "to": state}, headers=iraq.headers("officer")
        )
        assert moved.status_code == 200, moved.text
    decided = {"version": 3, "to": "approved", "reason": "the lease was shown"}
    approved = iraq.client.post(f"/cases/{number}/decision", json=decided, headers=headers)
    assert approved.status_code == 200, approved.text
    assert approved.json()["wrote"]["to"] == {"district": district}
    person = iraq.client.get("/people/770000000005", headers=headers).json()["person"]
    assert (person["wilayat"], person["governorate"]) == (district, iraq.head["governorate"])  # the family moved
    unknown = client.post(
        "/office/cases/new",
        data={"csrf": csrf(form.text), "type": "change_request", "civil_number": "770999999999",
              "form.change": "marital_status", "form.marital_status": "married",
              "form.effective_from": "2025-11-01", "form.evidence": "contract"},
    )  # fmt: skip
    assert unknown.status_code == 422 and "No person with this national ID number in your branches." in unknown.text
