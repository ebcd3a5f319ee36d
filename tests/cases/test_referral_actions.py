"""Referrals on both databases: the month's proposals (once, in the proposer's branches, the new
disability beneficiaries only), confirmation with the person's recorded consent, the provider's
answers; and from the attacker's side: another provider, an unconsented referral, a stale or
undeclared move, a move through the wrong door, an unknown service or provider, nothing half-written."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, insert, text
from sqlalchemy.exc import IntegrityError

from himaya import bootstrap
from himaya.cases import actions, proposals, referral_actions
from himaya.cases.model import Consent, NewCase, ReferralFilter
from himaya.core.access import Principal, Role, Scope
from himaya.core.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError, StaleRecordError
from himaya.core.periods import Period
from himaya.db.case_tables import referral
from himaya.db.registry_import import import_people
from himaya.db.uow import SqlUnitOfWork
from himaya.policy.packs import load_pack
from himaya.registry import actions as registry_actions
from himaya.registry.model import Fact
from tests.cases.conftest import user

PACK = load_pack()
JANUARY = Period(2026, 1)
DAY = date(2026, 2, 4)
SALIM = user("salim", Role.SUPERVISOR)  # every branch
CONSENT = Consent("the person", "phone")


@dataclass
class World:
    engine: Engine
    people: pl.DataFrame
    newly_disabled: str  # assessed in January: a new disability beneficiary

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)

    def rows(self, sql: str, **values: Any) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            return [dict(r) for r in connection.execute(text(sql), values).mappings()]

    def proposal(self, **where: str) -> dict[str, Any]:
        """A proposed referral (with its case) meeting `where` (columns of case_file or referral)."""
        condition = " AND ".join(f"{k} = :{k}" for k in where) or "1 = 1"
        found = self.rows(
            "SELECT c.number, c.version, c.wilayat, c.civil_number, r.provider, r.service, r.rule FROM case_file c"
            f" JOIN referral r ON r.case_id = c.id WHERE c.state = 'proposed' AND {condition} ORDER BY c.id",
            **where,
        )
        return found[0]


def provider(key: str) -> Principal:
    return user(f"system-{key}", Role.PROVIDER, scopes=(Scope("provider", key),), kind="client")


@pytest.fixture
def world(engine: Engine, synthetic: pl.DataFrame) -> World:
    import_people(engine, synthetic, as_of=date(2025, 12, 1), actor="setup", source={"file": "synthetic"})
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    adults = synthetic.filter(
        pl.col("disability_category").is_null(),
        pl.col("nationality") == "OM",
        pl.col("resident"),
        pl.col("death_date").is_null(),
        pl.col("birth_date") < date(1990, 1, 1),
        pl.col("wilayat").is_not_null(),
    )
    chosen = adults["person_id"][0]
    version = world_version(engine, chosen)
    registry_actions.record_facts(
        SqlUnitOfWork(engine), bootstrap.registry_contract(PACK), chosen, Fact.ASSESSMENT,
        {"disability_category": "physical", "disability_card": True},
        expected_version=version, valid_from=JANUARY.start, principal=SALIM,
    )  # fmt: skip
    return World(engine, synthetic, chosen)


def world_version(engine: Engine, civil_number: str) -> int:
    with engine.connect() as connection:
        found = connection.execute(text("SELECT version FROM person WHERE civil_number = :c"), {"c": civil_number})
        return int(found.scalar_one())


def propose(w: World, principal: Principal = SALIM, **options: Any) -> Any:
    return proposals.propose(w.uow(), PACK, JANUARY, principal=principal, today=DAY, **options)


def test_the_months_proposals_are_made_once(world: World) -> None:
    done = propose(world, batch=7)
    rules = done.by_rule
    assert rules["new_disability_rehabilitation"] == 1 and rules["elderly_alone_home_care"] > 0
    assert rules["fis_member_able_to_work"] > 0 and done.proposed == sum(rules.values()) > 7
    assert (done.first, done.held, done.elsewhere) == ("C-2026-000001", 0, 0)
    assert done.last == f"C-2026-{done.proposed:06d}"  # consecutive, across batches
    cases = world.rows("SELECT * FROM case_file ORDER BY id")
    assert {(c["type"], c["state"], c["channel"], c["version"], c["opened_by"]) for c in cases} == {
        ("referral", "proposed", "branch", 1, "salim")
    }
    assert {str(c["due_on"]) for c in cases} == {"2026-02-18"}  # 10 working days
    new = world.rows(
        "SELECT c.civil_number, r.service, r.provider, r.period FROM referral r JOIN case_file c ON c.id = r.case_id"
        " WHERE r.rule = 'new_disability_rehabilitation'"
    )
    assert [(n["civil_number"], n["service"]) for n in new] == [(world.newly_disabled, "rehabilitation")]
    assert new[0]["provider"].startswith("mosd_rehabilitation_") and str(new[0]["period"]) == "2026-01-01"
    events = world.rows("SELECT kind, to_state, actor FROM case_event")
    assert len(events) == done.proposed and {tuple(e.values()) for e in events} == {("opened", "proposed", "salim")}
    assert world.rows("SELECT * FROM notification_outbox") == []  # nobody is told before they consent
    audit = world.rows("SELECT action, subject FROM audit_entry WHERE action IN ('case.open', 'referral.propose')")
    assert [a["action"] for a in audit].count("case.open") == -(-done.proposed // 7)
    assert audit[-1] == {"action": "referral.propose", "subject": "period:2026-01"}
    again = propose(world)
    assert (again.proposed, again.held, again.first) == (0, done.proposed, None)
    assert len(world.rows("SELECT id FROM case_file")) == done.proposed


def test_a_case_worker_proposes_in_their_branch_only(world: World) -> None:
    total = propose(world).proposed
    counts = world.rows("SELECT wilayat, COUNT(*) AS n FROM case_file GROUP BY wilayat ORDER BY n DESC, wilayat")
    wilayat = counts[0]["wilayat"]
    with world.engine.begin() as connection:  # start again, with a case worker of one wilayat first
        for table in ("referral", "case_event", "case_file", "case_counter"):
            connection.execute(text(f"DELETE FROM {table}"))
    wafa = user("wafa", Role.CASE_WORKER, scopes=(Scope("wilayat", wilayat),))
    mine = propose(world, wafa)
    assert 0 < mine.proposed < total and mine.elsewhere == total - mine.proposed
    assert {r["wilayat"] for r in world.rows("SELECT wilayat FROM case_file")} == {wilayat}
    rest = propose(world)
    assert (rest.proposed, rest.held) == (total - mine.proposed, mine.proposed)
    auditor = user("audrey", Role.AUDITOR)
    with pytest.raises(ForbiddenError, match=r"case\.open"):
        propose(world, auditor)


def test_a_proposal_for_a_month_to_come_or_in_another_language(world: World) -> None:
    with pytest.raises(InvalidInputError, match="period: 2026-03 has not begun"):
        proposals.propose(world.uow(), PACK, Period(2026, 3), principal=SALIM, today=DAY)
    english = propose(world, language="en")
    row = world.rows("SELECT subject, form, language FROM case_file ORDER BY id")[0]
    assert english.proposed and row["language"] == "en" and row["subject"].startswith(("A ", "An "))
    assert '"reason": "' in row["form"] and all(ord(ch) < 128 for ch in row["form"])


def _worker_of(case: dict[str, Any]) -> Principal:
    return user("wafa", Role.CASE_WORKER, scopes=(Scope("wilayat", case["wilayat"]),))


def test_a_referral_is_sent_only_with_the_persons_consent(world: World) -> None:
    propose(world)
    case = world.proposal(rule="elderly_alone_home_care")
    number, theirs = case["number"], provider(case["provider"])
    wafa = _worker_of(case)
    for principal in (theirs,):  # unconsented: the provider cannot see it, nor answer it
        with pytest.raises(NotFoundError):
            referral_actions.show(world.uow(), number, principal=principal)
        with pytest.raises(NotFoundError):
            referral_actions.respond(
                world.uow(), PACK.cases, PACK.services, number, "accepted", expected_version=1, note=None,
                principal=principal,
            )  # fmt: skip
        assert (
            referral_actions.listing(world.uow(), PACK.cases, PACK.services, ReferralFilter(), principal=principal)
            == []
        )
    with pytest.raises(ForbiddenError, match="records the person's consent"):  # not through `cases decide`
        actions.move(world.uow(), PACK.cases, number, "consented", expected_version=1, reason=None, principal=wafa)
    with pytest.raises(ConflictError, match="may move to consented, closed; not to sent"):
        actions.move(world.uow(), PACK.cases, number, "sent", expected_version=1, reason=None, principal=wafa)

    def confirm(consent: Consent, **options: Any) -> Any:
        return referral_actions.confirm(
            world.uow(), PACK.cases, PACK.services, number, consent, principal=wafa, today=DAY,
            **({"expected_version": 1} | options),
        )  # fmt: skip

    for bad, message in (
        (Consent(" ", "phone"), "consent.given_by: required"),
        (Consent("the person", "telepathy"), "consent.channel: 'telepathy' is not one of in_person, phone"),
        (Consent("the person", "phone", datetime.now(UTC) + timedelta(days=1)), "is in the future"),
        (Consent("the person", "phone", datetime(2025, 1, 1, tzinfo=UTC)), "before the referral was opened"),
        (Consent("the person", "phone", datetime(2026, 1, 1)), "with its zone"),  # noqa: DTZ001 (the point)
        (Consent("the person\u202e", "phone"), "bidi"),
    ):
        with pytest.raises(InvalidInputError, match=message):
            confirm(bad)
    with pytest.raises(StaleRecordError):
        confirm(CONSENT, expected_version=2)
    with pytest.raises(InvalidInputError, match="provider: 'mol_labour_muscat' is not a provider of home_care"):
        confirm(CONSENT, provider="mol_labour_muscat")
    with pytest.raises(InvalidInputError, match="provider: 'nobody' is not a provider of home_care"):
        confirm(CONSENT, provider="nobody")
    elsewhere = next(
        p.key
        for p in PACK.services.offered(service="home_care")
        if p.coverage(case["wilayat"], PACK.services.places) is None
    )  # a home-care team of another wilayat: it would read the person's name, civil number and mobile
    with pytest.raises(InvalidInputError, match=f"provider: '{elsewhere}' does not serve {case['wilayat']}"):
        confirm(CONSENT, provider=elsewhere)
    assert world.rows("SELECT * FROM notification_outbox") == []  # every refusal wrote nothing
    assert world.rows("SELECT state, version FROM case_file WHERE number = :n", n=number) == [
        {"state": "proposed", "version": 1}
    ]
    moved = confirm(CONSENT)
    assert (moved.state, moved.version, moved.notifications) == ("sent", 2, 1)
    message = world.rows("SELECT * FROM notification_outbox")[0]
    assert message["recipient"] == case["civil_number"] and number in message["subject"]
    assert "الرعاية المنزلية لكبار السن" in message["body"] and "فريق الرعاية المنزلية" in message["body"]
    consent = world.rows("SELECT kind, from_state, to_state, data, actor FROM case_event WHERE kind = 'consent'")
    assert consent[0]["from_state"] == "proposed" and consent[0]["to_state"] == "consented"
    assert '"given_by": "the person"' in consent[0]["data"] and '"recorded_by": "wafa"' in consent[0]["data"]
    row = world.rows("SELECT * FROM referral WHERE provider = :p AND sent_at IS NOT NULL", p=case["provider"])[0]
    assert (row["consent_channel"], row["consent_recorded_by"]) == ("phone", "wafa")
    seen = referral_actions.show(world.uow(), number, principal=theirs)
    assert seen["number"] == number and seen["civil_number"] == case["civil_number"]
    with pytest.raises(ConflictError, match=r"consent is recorded on a proposed referral|may move to"):
        confirm(CONSENT, expected_version=2)


def _sent(w: World, **where: str) -> tuple[str, Principal]:
    case = w.proposal(**where)
    referral_actions.confirm(
        w.uow(), PACK.cases, PACK.services, case["number"], CONSENT, expected_version=1, principal=_worker_of(case),
        today=DAY,
    )  # fmt: skip
    return case["number"], provider(case["provider"])


def test_the_provider_answers_and_the_outcome_returns_to_the_case(world: World) -> None:
    propose(world)
    number, theirs = _sent(world, rule="fis_member_able_to_work")
    other = provider("mosd_assistive_devices")  # another provider, real and active

    def answer(principal: Principal, to: str, version: int, note: str | None = None) -> Any:
        return referral_actions.respond(
            world.uow(), PACK.cases, PACK.services, number, to, expected_version=version, note=note,
            principal=principal, today=DAY,
        )  # fmt: skip

    with pytest.raises(NotFoundError) as hidden:
        answer(other, "accepted", 2)
    with pytest.raises(NotFoundError) as missing:
        referral_actions.show(world.uow(), "C-2099-999999", principal=other)
    assert str(hidden.value).replace(number, "?") == str(missing.value).replace("C-2099-999999", "?")
    probes = world.rows("SELECT actor, subject FROM audit_entry WHERE action = 'probe'")
    assert {"actor": other.username, "subject": f"case:{number}"} in probes
    with pytest.raises(ConflictError, match="may move to accepted, declined; not to completed"):
        answer(theirs, "completed", 2)
    with pytest.raises(ConflictError, match="not to closed"):
        answer(theirs, "closed", 2)
    with pytest.raises(InvalidInputError, match="'finished' is not a state of a referral"):
        answer(theirs, "finished", 2)
    with pytest.raises(StaleRecordError):
        answer(theirs, "accepted", 1)
    salim_reads = referral_actions.show(world.uow(), number, principal=SALIM)  # staff read it; they do not answer
    assert salim_reads["state"] == "sent"
    with pytest.raises(ForbiddenError, match=r"referral\.respond"):
        referral_actions.respond(
            world.uow(), PACK.cases, PACK.services, number, "accepted", expected_version=2, note=None, principal=SALIM
        )
    assert answer(theirs, "accepted", 2, "appointment on Sunday").state == "accepted"
    assert answer(theirs, "in_service", 3).state == "in_service"
    done = answer(theirs, "completed", 4, "placed in a job")
    assert (done.state, done.version) == ("completed", 5)
    history = world.rows(
        "SELECT kind, to_state, actor, text FROM case_event e JOIN case_file c ON c.id = e.case_id"
        " WHERE c.number = :n ORDER BY e.id",
        n=number,
    )
    assert [(h["kind"], h["to_state"]) for h in history] == [
        ("opened", "proposed"), ("consent", "consented"), ("moved", "sent"), ("outcome", "accepted"),
        ("outcome", "in_service"), ("outcome", "completed"),
    ]  # fmt: skip
    assert history[-1]["actor"] == theirs.username and history[-1]["text"] == "placed in a job"
    audit = world.rows(
        "SELECT actor FROM audit_entry WHERE action = 'referral.respond' AND subject = :s", s=f"case:{number}"
    )
    assert len(audit) == 3
    with pytest.raises(ForbiddenError, match="the Fund's step"):  # declared, but not the provider's to take
        answer(theirs, "closed", 5)
    closed = actions.close(world.uow(), PACK.cases, number, expected_version=5, reason=None, principal=SALIM)
    assert closed.state == "closed"
    with pytest.raises(ConflictError, match="closed case does not change"):
        answer(theirs, "completed", 6)


def test_a_declined_referral_says_why_to_the_person(world: World) -> None:
    propose(world)
    number, theirs = _sent(world, rule="elderly_alone_home_care")
    with pytest.raises(InvalidInputError, match="note: required when the referral moves to declined"):
        referral_actions.respond(
            world.uow(), PACK.cases, PACK.services, number, "declined", expected_version=2, note=None, principal=theirs
        )
    declined = referral_actions.respond(
        world.uow(), PACK.cases, PACK.services, number, "declined", expected_version=2, note="no places until June",
        principal=theirs,
    )  # fmt: skip
    assert (declined.state, declined.notifications) == ("declined", 1)
    told = world.rows("SELECT body FROM notification_outbox ORDER BY id")[-1]["body"]
    assert "no places until June" in told and number in told


def test_a_referral_opened_by_hand_names_a_known_service(world: World) -> None:
    head = world.people.filter(pl.col("relationship") == "head", pl.col("wilayat").is_not_null()).row(0, named=True)
    wafa = user("wafa", Role.CASE_WORKER, scopes=(Scope("wilayat", head["wilayat"]),))
    request = NewCase(
        "referral", "branch", civil_number=head["person_id"], form={"service": "massage", "reason": "sore back"}
    )
    with pytest.raises(InvalidInputError, match="form field service, value 'massage'"):
        actions.open_case(world.uow(), PACK.cases, request, principal=wafa, today=DAY)
    good = NewCase(
        "referral", "branch", civil_number=head["person_id"], form={"service": "assistive_devices", "reason": "a chair"}
    )
    opened = actions.open_case(world.uow(), PACK.cases, good, principal=wafa, today=DAY)
    grievance = NewCase("grievance", "branch", head["person_id"], category="data_error", form={"details": "x"})
    other = actions.open_case(world.uow(), PACK.cases, grievance, principal=wafa, today=DAY)
    with pytest.raises(NotFoundError):  # a case of another type is no referral
        referral_actions.show(world.uow(), other.number, principal=wafa)
    with pytest.raises(InvalidInputError, match=r"the referral names no provider; give one .*mosd_assistive_devices"):
        referral_actions.confirm(
            world.uow(), PACK.cases, PACK.services, opened.number, CONSENT, expected_version=1, principal=wafa
        )
    sent = referral_actions.confirm(
        world.uow(), PACK.cases, PACK.services, opened.number, CONSENT, expected_version=1, principal=wafa,
        provider="mosd_assistive_devices",
    )  # fmt: skip
    assert sent.state == "sent"
    seen = referral_actions.show(world.uow(), opened.number, principal=provider("mosd_assistive_devices"))
    assert seen["service"] == "assistive_devices" and seen["period"] is None
    listed = referral_actions.listing(
        world.uow(), PACK.cases, PACK.services, ReferralFilter(service="assistive_devices"), principal=wafa
    )
    assert [r["number"] for r in listed] == [opened.number]
    for wanted, message in (
        (ReferralFilter(service="massage"), "service: 'massage' is not a service of a referral"),
        (ReferralFilter(provider="nobody"), "provider: 'nobody' is not a provider"),
        (ReferralFilter(state="lost"), "state: 'lost' is not a state"),
        (ReferralFilter(wilayat="Atlantis"), "wilayat: 'Atlantis' is not a known wilayat"),
    ):
        with pytest.raises(InvalidInputError, match=message):
            referral_actions.listing(world.uow(), PACK.cases, PACK.services, wanted, principal=wafa)


def test_the_store_refuses_a_referral_sent_without_consent(world: World) -> None:
    propose(world)
    case = world.rows("SELECT c.id, r.person_id FROM case_file c JOIN referral r ON r.case_id = c.id")[0]
    with pytest.raises(IntegrityError), world.engine.begin() as connection:
        connection.execute(referral.update().where(referral.c.case_id == case["id"]).values(sent_at=datetime.now(UTC)))
    row = world.rows("SELECT person_id, service, period FROM referral")[0]
    who = world.rows("SELECT civil_number FROM person WHERE id = :i", i=row["person_id"])[0]["civil_number"]
    salim = user("salim", Role.SUPERVISOR)
    form = {"service": row["service"], "reason": "by hand"}
    opened = actions.open_case(world.uow(), PACK.cases, NewCase("referral", "branch", who, form=form), principal=salim)
    other = world.rows("SELECT id FROM case_file WHERE number = :n", n=opened.number)[0]["id"]
    with pytest.raises(IntegrityError), world.engine.begin() as connection:  # nor proposed twice for a month
        connection.execute(insert(referral).values(case_id=other, **(row | {"period": JANUARY.start})))


def test_two_proposers_at_once_propose_each_referral_once(world: World) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda _: propose(world), range(2)))
    made = sorted(r.proposed for r in runs)
    assert made[0] == 0 and made[1] > 0 and runs[0].held + runs[1].held == made[1]  # the second saw the first's
    assert len(world.rows("SELECT id FROM referral")) == made[1]
