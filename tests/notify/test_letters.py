"""Letters printed at the branch (`cases/printing.py`): a branch's waiting letters as one batch, marked
printed in the same transaction, never printed twice (not even by two officers at once on
PostgreSQL); a lost batch printed again, audited; another branch's letters neither printed nor seen."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from himaya.adapters.letters import render_batch
from himaya.cases import actions, printing
from himaya.cases.model import NewCase
from himaya.core.access import Principal, Role, Scope
from himaya.core.errors import ForbiddenError, InvalidInputError, NotFoundError
from himaya.core.letter import Letter
from himaya.core.text import Text
from himaya.policy.packs import load_pack
from tests.adapters.pdf_text import pdf_pages
from tests.cases.conftest import Branches, user

PACK = load_pack()
CATALOGUE = PACK.cases
DAY = date(2026, 1, 7)
SENDER = Text("Social Protection Fund", "صندوق الحماية الاجتماعية")


class Printer:
    """A renderer that keeps the letters it was given (and makes a stand-in PDF)."""

    def __init__(self) -> None:
        self.printed: list[list[Letter]] = []

    def __call__(self, letters: Sequence[Letter]) -> bytes:
        self.printed.append(list(letters))
        return b"%PDF-stand-in"


def officers(b: Branches) -> tuple[Principal, Principal]:
    """wafa (case worker here), omar (case worker of another governorate's branch)."""
    return (
        user("wafa", Role.CASE_WORKER, scopes=(Scope("wilayat", b.here["wilayat"]),)),
        user("omar", Role.CASE_WORKER, scopes=(Scope("wilayat", b.there["wilayat"]),)),
    )


@pytest.fixture(autouse=True)
def _no_mobiles(branches: Branches) -> None:
    """Nobody has a mobile on record: a case's messages to its person are letters."""
    with branches.engine.begin() as connection:
        connection.execute(text("UPDATE person SET mobile = NULL"))


def grievance(b: Branches, head: dict[str, object], *, language: str = "ar") -> str:
    """A grievance of the head's branch, opened by an officer of every branch: its receipt is a letter."""
    request = NewCase(
        "grievance",
        "branch",
        civil_number=str(head["person_id"]),
        category="wrong_amount",
        language=language,  # type: ignore[arg-type]
        form={"details": "paid 10 OMR less", "period": "2025-12", "amount": "10"},
    )
    opener = user("nasser", Role.CASE_WORKER)
    return actions.open_case(b.uow(), CATALOGUE, request, principal=opener, today=DAY).number


def letters(b: Branches) -> list[dict[str, object]]:
    return [m for m in b.rows("notification_outbox") if m["channel"] == "letter"]


def audit(b: Branches, action: str) -> list[dict[str, object]]:
    with b.engine.connect() as connection:
        query = text("SELECT actor, subject FROM audit_entry WHERE action = :a ORDER BY id")
        return [dict(r) for r in connection.execute(query, {"a": action}).mappings()]


def test_a_branch_prints_its_waiting_letters_once(branches: Branches) -> None:
    wafa, _ = officers(branches)
    numbers = [grievance(branches, branches.here), grievance(branches, branches.here, language="en")]
    grievance(branches, branches.there)
    assert len(letters(branches)) == 3  # no mobile on record: each receipt is a letter
    printer = Printer()
    done = printing.print_letters(
        branches.uow(), CATALOGUE, branches.here["wilayat"], principal=wafa, sender=SENDER, render=printer
    )
    assert done.batch is not None and done.letters == 2 and done.pdf == b"%PDF-stand-in"
    printed = [m for m in letters(branches) if m["state"] == "printed"]
    assert {m["batch_id"] for m in printed} == {done.batch} and len(printed) == 2
    [batch] = branches.rows("letter_batch")
    assert (batch["wilayat"], batch["printed_by"], batch["letters"]) == (branches.here["wilayat"], "wafa", 2)
    assert [e["subject"] for e in audit(branches, "notify.print")] == [f"letter_batch:{done.batch}"]
    # One letter a page, each in its language, with the case number, the branch and the person's name.
    arabic, english = printer.printed[0]
    assert arabic.right_to_left and not english.right_to_left
    assert ("رقم الحالة", numbers[0]) in arabic.reference and ("Case number", numbers[1]) in english.reference
    assert ("الفرع", PACK.code_names["wilayat"][branches.here["wilayat"]].ar) in arabic.reference  # named in Arabic
    assert ("Branch", branches.here["wilayat"]) in english.reference
    parts = (branches.here[f"{p}_ar"] for p in ("given_name", "father_name", "family_name"))
    assert arabic.addressee[0] == " ".join(str(p) for p in parts if p)  # the name as the registry holds it
    assert f"Civil number: {branches.here['person_id']}" in english.addressee
    # A second print finds nothing waiting: nothing printed again, no empty batch.
    again = printing.print_letters(
        branches.uow(), CATALOGUE, branches.here["wilayat"], principal=wafa, sender=SENDER, render=printer
    )
    assert again.batch is None and again.letters == 0 and len(printer.printed) == 1
    assert len(branches.rows("letter_batch")) == 1
    # A lost printout: the same batch again, audited, nothing marked again.
    before = letters(branches)
    reprinted = printing.reprint(branches.uow(), CATALOGUE, done.batch, principal=wafa, sender=SENDER, render=printer)
    assert reprinted.letters == 2 and [x.reference for x in printer.printed[1]] == [
        x.reference for x in printer.printed[0]
    ]
    assert letters(branches) == before
    assert [(e["actor"], e["subject"]) for e in audit(branches, "notify.reprint")] == [
        ("wafa", f"letter_batch:{done.batch}")
    ]


def test_another_branchs_letters_are_neither_printed_nor_seen(branches: Branches) -> None:
    wafa, omar = officers(branches)
    grievance(branches, branches.here)
    printer = Printer()
    here = branches.here["wilayat"]
    with pytest.raises(ForbiddenError, match="not one of your branches"):
        printing.print_letters(branches.uow(), CATALOGUE, here, principal=omar, sender=SENDER, render=printer)
    done = printing.print_letters(branches.uow(), CATALOGUE, here, principal=wafa, sender=SENDER, render=printer)
    assert done.batch is not None
    with pytest.raises(NotFoundError, match=f"no batch {done.batch}"):  # as a missing one
        printing.reprint(branches.uow(), CATALOGUE, done.batch, principal=omar, sender=SENDER, render=printer)
    with pytest.raises(NotFoundError):
        printing.reprint(branches.uow(), CATALOGUE, done.batch + 1, principal=wafa, sender=SENDER, render=printer)
    analyst = user("aziz", Role.POLICY_ANALYST)  # sees people, never who they are
    with pytest.raises(ForbiddenError, match=r"person\.identify"):
        printing.print_letters(branches.uow(), CATALOGUE, here, principal=analyst, sender=SENDER, render=printer)
    with pytest.raises(InvalidInputError, match="'Atlantis' is not a known wilayat"):
        printing.print_letters(branches.uow(), CATALOGUE, "Atlantis", principal=wafa, sender=SENDER, render=printer)
    assert len(printer.printed) == 1 and len(audit(branches, "notify.reprint")) == 0


def test_a_failed_print_marks_nothing(branches: Branches) -> None:
    wafa, _ = officers(branches)
    grievance(branches, branches.here)

    def broken(letters: Sequence[Letter]) -> bytes:
        raise OSError("the printer's fonts are missing")

    with pytest.raises(OSError):
        printing.print_letters(
            branches.uow(), CATALOGUE, branches.here["wilayat"], principal=wafa, sender=SENDER, render=broken
        )
    assert {m["state"] for m in letters(branches)} == {"pending"} and branches.rows("letter_batch") == []


def test_the_batch_is_one_pdf_a_letter_a_page(branches: Branches, tmp_path: Path) -> None:
    wafa, _ = officers(branches)
    numbers = [grievance(branches, branches.here), grievance(branches, branches.here, language="en")]
    done = printing.print_letters(
        branches.uow(), CATALOGUE, branches.here["wilayat"], principal=wafa, sender=SENDER, render=render_batch
    )
    assert done.pdf.startswith(b"%PDF")
    pages = pdf_pages(done.pdf, tmp_path)
    assert len(pages) == 2 and numbers[0] in pages[0] and numbers[1] in pages[1] and "Case number" in pages[1]


def test_the_address_names_the_place_in_the_letters_language(branches: Branches, tmp_path: Path) -> None:
    """The wilayat and governorate as the pack's place data names them: in English in an English
    letter, in Arabic in an Arabic one (the registry records the English name), read from the PDF."""
    wafa, _ = officers(branches)
    grievance(branches, branches.here), grievance(branches, branches.here, language="en")
    done = printing.print_letters(
        branches.uow(), CATALOGUE, branches.here["wilayat"], principal=wafa, sender=SENDER, render=render_batch
    )
    arabic, english = pdf_pages(done.pdf, tmp_path)
    wilayat, governorate = branches.here["wilayat"], branches.here["governorate"]
    names = PACK.code_names
    assert f"Address: {wilayat}, {governorate}" in english
    assert names["wilayat"][wilayat].ar not in english
    assert names["wilayat"][wilayat].ar in arabic and names["governorate"][governorate].ar in arabic
    assert wilayat not in arabic  # nor the branch: named in Arabic too


def test_two_officers_printing_at_once_never_print_a_letter_twice(branches: Branches) -> None:
    """PostgreSQL: the first officer's batch is locked while its PDF is made; the second, printing at
    that moment, skips those letters (it does not wait for them, and does not print them)."""
    if branches.engine.dialect.name != "postgresql":
        pytest.skip("a concurrency test: PostgreSQL only (SQLite serialises writers)")
    wafa, _ = officers(branches)
    huda = user("huda", Role.SUPERVISOR, scopes=(Scope("wilayat", branches.here["wilayat"]),))
    for _ in range(6):
        grievance(branches, branches.here)
    holding, second_done = threading.Event(), threading.Event()
    seen: dict[str, list[int]] = {}

    def first(letters: Sequence[Letter]) -> bytes:  # called with the batch's letters marked, not committed
        holding.set()
        assert second_done.wait(30), "the second officer waited for the first one's letters"
        seen["wafa"] = [int(x.reference[-1][1].split("/")[1]) for x in letters]
        return b"%PDF-1"

    def second(letters: Sequence[Letter]) -> bytes:
        seen["huda"] = [int(x.reference[-1][1].split("/")[1]) for x in letters]
        return b"%PDF-2"

    results: dict[str, printing.Printed] = {}
    failures: list[BaseException] = []

    def run(name: str, who: Principal, render: printing.Render) -> None:
        try:
            results[name] = printing.print_letters(
                branches.uow(), CATALOGUE, branches.here["wilayat"], principal=who, sender=SENDER, render=render
            )
        except BaseException as error:
            failures.append(error)
        finally:
            holding.set()
            if name == "huda":
                second_done.set()

    one = threading.Thread(target=run, args=("wafa", wafa, first))
    one.start()
    assert holding.wait(30)
    two = threading.Thread(target=run, args=("huda", huda, second))
    two.start()
    for thread in (one, two):
        thread.join(60)
    assert not failures, failures
    assert results["huda"].batch is None and "huda" not in seen  # nothing left to it: never the same letter
    assert sorted(seen["wafa"]) == sorted(m["id"] for m in letters(branches))
    assert {m["state"] for m in letters(branches)} == {"printed"}
