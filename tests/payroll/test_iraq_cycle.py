"""A registry of Iraq's people, end to end on both databases: a synthetic Iraq imported under the
Iraq pack, enrolled, the month's payroll run, approved by a second officer and exported as ISO
20022 pain.001 files in whole Iraqi dinars, valid against the official schema."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from lxml import etree
from sqlalchemy import Engine

from himaya.adapters.iso20022 import write_pain001
from himaya.adapters.letters import render_batch
from himaya.bootstrap import payroll as store
from himaya.bootstrap import unit_of_work
from himaya.cases import actions, printing
from himaya.cases.model import NewCase
from himaya.core.access import Permission, Principal, Scope
from himaya.core.letter import Letter
from himaya.core.periods import Period
from himaya.db.case_tables import case_file, notification_outbox
from himaya.db.registry_import import import_people
from himaya.db.registry_pack import RegistryPackError, attribute_types, recorded_pack
from himaya.db.snapshot import people_query, read_people
from himaya.payroll.bank import Payer
from himaya.policy.engine import entitlements
from himaya.policy.pack import PolicyPack
from himaya.policy.packs import load_pack
from tests.adapters.pdf_text import pdf_pages
from tests.conftest import SHARED
from tests.payroll.conftest import imported

NOVEMBER = Period(2025, 11)  # a month of the school year: the student grant is paid
DECEMBER = Period(2025, 12)
PAYER = Payer("Social Protection Authority", "IQ98NBIQ850123456789012", "NBIQIQBA", "IQD", 0)
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}


def test_the_registry_reads_back_what_was_imported(engine: Engine, sample: pl.DataFrame, iraq: PolicyPack) -> None:
    imported(engine, sample, iraq)
    with engine.connect() as connection:
        assert recorded_pack(connection) == "iraq"
        kinds = attribute_types(connection)
        back = read_people(connection, people_query(NOVEMBER.end, attributes=kinds), attributes=kinds)
    columns = list(iraq.schema.names)
    assert back.select(columns).sort("person_id").equals(sample.select(columns).sort("person_id"))
    from_file = entitlements(sample.select(columns), iraq, iraq.parameters, NOVEMBER)
    from_registry = entitlements(back.select(columns), iraq, iraq.parameters, NOVEMBER)
    assert from_registry.height > 0 and from_registry.equals(from_file)


def test_another_packs_file_is_refused(engine: Engine, sample: pl.DataFrame, iraq: PolicyPack) -> None:
    imported(engine, sample, iraq)
    oman = load_pack("oman")
    with pytest.raises(RegistryPackError, match="holds the iraq pack's people, not the oman pack's"):
        import_people(
            engine, sample.head(0), as_of=date(2025, 10, 1), actor="registrar", source={}, facts=(), pack=oman.name
        )


def test_the_months_payroll_pays_the_entitlements_in_whole_dinars(
    engine: Engine, sample: pl.DataFrame, iraq: PolicyPack, tmp_path: Path
) -> None:
    imported(engine, sample, iraq)
    store.sync_enrollments(engine, iraq, NOVEMBER, actor="officer", today=NOVEMBER.start)
    summary = store.calculate(engine, iraq, NOVEMBER, actor="maker")
    expected = entitlements(sample.select(iraq.schema.names), iraq, iraq.parameters, NOVEMBER)
    assert summary.lines == expected.height
    assert summary.amount + summary.held == expected["amount"].cast(pl.Int64).sum()
    assert summary.held > 0  # heads without an account are held, not paid
    store.transition(engine, NOVEMBER, "submit", actor="maker")
    store.transition(engine, NOVEMBER, "approve", actor="checker")
    files = store.export(
        engine, NOVEMBER, tmp_path / "files", actor="finance", payer=PAYER, execution=date(2025, 11, 25),
        writer=write_pain001,
    )  # fmt: skip
    assert files
    amounts, total = [], 0
    for path in files:
        document = etree.parse(str(path))
        amounts += document.xpath("//p:CdtTrfTxInf/p:Amt/p:InstdAmt", namespaces=NS)
        total += int(document.xpath("string(//p:GrpHdr/p:CtrlSum)", namespaces=NS))
    assert {a.get("Ccy") for a in amounts} == {"IQD"}
    assert all(a.text.isdigit() for a in amounts)  # whole dinars: no decimal point
    assert sum(int(a.text) for a in amounts) == total == summary.amount


@pytest.mark.shared
def test_the_bank_file_is_valid_against_the_official_schema(
    engine: Engine, sample: pl.DataFrame, iraq: PolicyPack, tmp_path: Path
) -> None:
    imported(engine, sample, iraq)
    store.sync_enrollments(engine, iraq, NOVEMBER, actor="officer", today=NOVEMBER.start)
    store.calculate(engine, iraq, NOVEMBER, actor="maker")
    store.transition(engine, NOVEMBER, "submit", actor="maker")
    store.transition(engine, NOVEMBER, "approve", actor="checker")
    files = store.export(
        engine, NOVEMBER, tmp_path / "files", actor="finance", payer=PAYER, execution=date(2025, 11, 25),
        writer=write_pain001,
    )  # fmt: skip
    official = etree.XMLSchema(etree.parse(str(SHARED / "external" / "iso20022-xsd" / "pain.001.001.09.xsd")))
    for path in files:
        assert official.validate(etree.parse(str(path))), official.error_log


def _absent(sample: pl.DataFrame, iraq: PolicyPack) -> tuple[str, pl.DataFrame]:
    """A family paid the subsidy in November whose pupils were all absent in December: its head,
    and the registry's record for December."""
    paid = entitlements(sample.select(iraq.schema.names), iraq, iraq.parameters, NOVEMBER)
    subsidised = paid.filter(pl.col("programme") == "sp_cash")["family_id"]
    pupils = sample.filter(
        pl.col("family_id").is_in(subsidised.implode()),
        pl.col("school_level").is_in(["primary", "intermediate", "preparatory"]),
        pl.col("enrolled"),
    )
    family = pupils["family_id"].sort()[0]
    head = sample.filter(pl.col("family_id") == family, pl.col("relationship") == "head")["person_id"].item()
    december = sample.with_columns(
        pl.when(pl.col("family_id") == family).then(False).otherwise(pl.col("attending")).alias("attending"),
        pl.when(pl.col("person_id") == head).then(None).otherwise(pl.col("mobile")).alias("mobile"),
    )
    return head, december


def test_a_suspension_for_absence_is_a_decision_in_arabic_under_the_law(
    engine: Engine, sample: pl.DataFrame, iraq: PolicyPack
) -> None:
    imported(engine, sample, iraq)
    store.sync_enrollments(engine, iraq, NOVEMBER, actor="officer", today=NOVEMBER.start)
    head, december = _absent(sample, iraq)
    import_people(
        engine, december, as_of=DECEMBER.start, actor="registrar", source={"file": "december.parquet"},
        facts=iraq.registry_facts, pack=iraq.name,
    )  # fmt: skip
    synced = store.sync_enrollments(engine, iraq, DECEMBER, actor="officer", today=DECEMBER.start)
    assert synced.ended >= 1 and synced.decisions == synced.ended
    with engine.connect() as connection:
        case = connection.execute(
            sa.select(case_file).where(case_file.c.type == "benefit_stop", case_file.c.civil_number == head)
        ).mappings().one()  # fmt: skip
        message = connection.execute(
            sa.select(notification_outbox.c.body).where(notification_outbox.c.case_id == case["id"])
        ).scalar_one()  # fmt: skip
    form = json.loads(case["form"])
    assert form["programme"] == "sp_cash" and form["stopped_from"] == "2025-12-01"
    assert "absent" in form["reason_en"]
    assert "قانون الحماية الاجتماعية رقم 11 لسنة 2014" in message and "الاعتراض" in message
    # Without a mobile number the decision is a letter, printed at the branch of the head's district.
    officer = Principal("officer", frozenset({"supervisor"}), frozenset(p.value for p in Permission), (Scope("all"),))
    district = december.filter(pl.col("person_id") == head)["district"].item()
    printed: list[Letter] = []

    def render(letters: Sequence[Letter]) -> bytes:
        printed.extend(letters)
        return render_batch(letters)

    done = printing.print_letters(
        unit_of_work(engine),
        iraq.cases,
        district,
        principal=officer,
        sender=iraq.institution,
        render=render,
        clock=lambda: datetime(2025, 12, 3, 9, 0, tzinfo=UTC),
    )
    assert done.pdf.startswith(b"%PDF")
    (letter,) = [p for p in printed if p.reference[0][1] == case["number"]]
    assert letter.language == "ar" and letter.sender == "هيئة الحماية الاجتماعية"
    assert ("التاريخ", "3 كانون الأول 2025") in letter.reference  # Iraq's month names
    assert f"الرقم الوطني: {head}" in letter.addressee  # not Oman's civil number
    assert "قانون الحماية الاجتماعية رقم 11 لسنة 2014" in letter.opening[1]


def test_a_letter_names_the_place_in_its_own_language(
    engine: Engine, sample: pl.DataFrame, iraq: PolicyPack, tmp_path: Path
) -> None:
    """The district and governorate of a letter's address (and its branch) as the pack's place data
    names them: in English in an English letter (the objection's receipt), in Arabic in an Arabic
    one (the stop decision), read back from the printed PDF."""
    imported(engine, sample, iraq)
    store.sync_enrollments(engine, iraq, NOVEMBER, actor="officer", today=NOVEMBER.start)
    head, december = _absent(sample, iraq)
    imported(engine, december, iraq, as_of=DECEMBER.start)
    store.sync_enrollments(engine, iraq, DECEMBER, actor="officer", today=DECEMBER.start)
    with engine.connect() as connection:
        decision = connection.execute(
            sa.select(case_file.c.number).where(case_file.c.type == "benefit_stop", case_file.c.civil_number == head)
        ).scalar_one()  # fmt: skip
    officer = Principal("officer", frozenset({"supervisor"}), frozenset(p.value for p in Permission), (Scope("all"),))
    objection = NewCase(
        "appeal", "branch", civil_number=head, language="en",
        form={"decision": decision, "grounds": "my son was ill all month"},
    )  # fmt: skip
    opened = actions.open_case(unit_of_work(engine), iraq.cases, objection, principal=officer, today=date(2025, 12, 3))
    district = december.filter(pl.col("person_id") == head)["district"].item()
    governorate = iraq.places[district]
    done = printing.print_letters(
        unit_of_work(engine), iraq.cases, district, principal=officer, sender=iraq.institution, render=render_batch,
        clock=lambda: datetime(2025, 12, 3, 9, 0, tzinfo=UTC),
    )  # fmt: skip
    pages = pdf_pages(done.pdf, tmp_path)
    (english,) = [p for p in pages if opened.number in p]
    (arabic,) = [p for p in pages if decision in p]
    names = iraq.code_names
    district_ar, governorate_ar = names["district"][district].ar, names["governorate"][governorate].ar
    assert f"Address: {district}, {governorate}" in english
    assert "National ID number" in english and district_ar not in english
    assert district_ar in arabic and governorate_ar in arabic
    assert district not in arabic  # the English name nowhere in the Arabic letter, nor as its branch
