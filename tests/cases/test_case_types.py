"""The pack's case types load, and a case type file with a mistake is refused naming its file, type and field."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from himaya.policy.case_loader import case_type, load_catalogue
from himaya.policy.case_types import CaseTypeError, Channel, Sensitivity
from himaya.policy.pack import PolicyPack

OMAN_CASES = Path(__file__).resolve().parents[2] / "src/himaya/policy/packs/oman/cases"
PLACES = {"Nizwa": "Ad Dakhiliyah", "Muscat": "Muscat"}
SHIPPED = {"application", "change_request", "grievance", "appeal", "duplicate_review", "payment_issue", "referral"}

MINIMAL: dict[str, Any] = {
    "key": "thing",
    "name": {"en": "Thing", "ar": "شيء"},
    "open": {"roles": ["case_worker"], "channels": ["branch"]},
    "changes_money": True,
    "form": [{"name": "when", "type": "date", "required": True, "label": {"en": "When", "ar": "متى"}}],
    "states": [
        {"key": "received", "name": {"en": "Received", "ar": "مستلم"}, "days": 2},
        {"key": "prepared", "name": {"en": "Prepared", "ar": "جاهز"}, "days": 2},
        {"key": "done", "name": {"en": "Done", "ar": "منجز"}, "days": 1},
        {"key": "closed", "name": {"en": "Closed", "ar": "مغلق"}, "final": True},
    ],
    "transitions": [
        {"from": "received", "to": "prepared", "by": "work", "prepares": True},
        {"from": "prepared", "to": "done", "by": "decide", "notify": "decision"},
        {"from": ["received", "done"], "to": "closed", "by": "work"},
    ],
    "templates": {
        "decision": {
            "subject": {"en": "Case {number}", "ar": "الحالة {number}"},
            "body": {"en": "{decision}: {reason}", "ar": "القرار {decision}: {reason}"},
        }
    },
}


def test_the_oman_pack_ships_every_case_type(oman: PolicyPack) -> None:
    catalogue = oman.cases
    assert set(catalogue.types) >= SHIPPED
    for kind in catalogue.types.values():
        assert kind.name.en and kind.name.ar and kind.states[-1].key == "closed"
        assert all(kind.labels[c.name].ar for c in kind.form)
    grievance = catalogue.types["grievance"]
    assert Channel.ANONYMOUS in grievance.channels and grievance.sensitive is Sensitivity.ON_REQUEST
    assert {c.key for c in grievance.categories} == {
        "payment_not_received",
        "wrong_amount",
        "not_enrolled",
        "data_error",
        "staff_conduct",
    }
    assert grievance.category("staff_conduct").sensitive  # type: ignore[union-attr]
    appeal = catalogue.types["appeal"]
    assert appeal.filing is not None and appeal.filing.field == "notified_on" and appeal.changes_money
    assert {s.key for s in appeal.states} >= {"committee", "higher_committee"}
    assert appeal.appeal is not None and appeal.appeal.onward is not None
    assert (appeal.appeal.onward.source, appeal.appeal.onward.target) == ("dismissed", "higher_committee")
    assert appeal.appeal.onward.days == 20 and appeal.appeal.onward.working


APPEAL_OF_THING = {"field": "what", "against": {"thing": ["done"]}, "reverses": ["done"]}


@pytest.mark.parametrize(
    ("onward", "said"),
    [
        ({"from": "done", "to": "received", "days": 5}, "appeal.onward: done -> received is not a move of this type"),
        ({"from": "received", "to": "prepared", "days": 0}, "appeal.onward.days: 0 must be a whole number"),
        ({"from": "received", "to": "prepared"}, "appeal.onward must be a mapping with the keys from, to, days"),
        ({"from": "received", "to": "prepared", "days": 3, "working": "yes"}, "working: 'yes' must be true or false"),
    ],
)
def test_a_mistake_in_the_move_to_the_next_level_is_named(onward: dict[str, Any], said: str) -> None:
    def change(document: dict[str, Any]) -> None:
        document["form"].append({"name": "what", "type": "text", "required": True, "label": {"en": "W", "ar": "م"}})
        document["appeal"] = APPEAL_OF_THING | {"onward": onward}

    assert said in _refused(change)


def test_the_move_to_the_next_level_loads_with_its_deadline() -> None:
    document = copy.deepcopy(MINIMAL)
    document["form"].append({"name": "what", "type": "text", "required": True, "label": {"en": "W", "ar": "م"}})
    document["appeal"] = APPEAL_OF_THING | {"onward": {"from": "received", "to": "prepared", "days": 3}}
    rule = case_type(document, "thing.yaml").appeal
    assert rule is not None and rule.onward is not None and (rule.onward.days, rule.onward.working) == (3, False)


def test_the_calendar_has_omans_weekend_and_holidays(oman: PolicyPack) -> None:
    calendar = oman.cases.calendar
    assert calendar.weekend == {4, 5}  # Friday, Saturday
    assert not calendar.is_working(date(2024, 4, 10))  # Eid al-Fitr 2024
    assert calendar.is_working(date(2026, 1, 4))  # a Sunday
    assert calendar.covers is not None and calendar.covers[1] >= 2026


def _refused(change: Callable[[dict[str, Any]], None]) -> str:
    document = copy.deepcopy(MINIMAL)
    change(document)
    with pytest.raises(CaseTypeError) as refused:
        case_type(document, "thing.yaml")
    return str(refused.value)


def test_the_minimal_type_loads() -> None:
    kind = case_type(copy.deepcopy(MINIMAL), "thing.yaml")
    assert kind.initial.key == "received" and kind.transition("received", "closed") is not None


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda d: d.update(colour="red"), "field (top): unknown key(s) colour"),
        (lambda d: d["open"].update(roles=["janitor"]), "field open.roles: 'janitor' is not one of"),
        (lambda d: d["open"].update(channels=["fax"]), "'fax' is not one of branch, phone, web, partner, anonymous"),
        (lambda d: d["name"].pop("ar"), "field name.ar: the Arabic text is required"),
        (lambda d: d["name"].update(ar="Thing"), "field name.ar: the Arabic text is required (in Arabic letters)"),
        (lambda d: d["transitions"][0].update(to="nowhere"), "field transitions[0].to: 'nowhere' is not a state"),
        (lambda d: d["transitions"].pop(0), "state(s) prepared, done cannot be reached from received"),
        (
            lambda d: d["transitions"].__setitem__(2, {"from": "received", "to": "closed", "by": "work"}),
            "state(s) done are not final but nothing moves a case out of them",
        ),
        (lambda d: d["transitions"][1].update(by="vote"), "field transitions[1].by: 'vote' is not one of work, decide"),
        (lambda d: d["transitions"][1].update(notify="letter"), "'letter' is not a template of this type"),
        (lambda d: d["transitions"][0].update(prepares=False), "changes_money: a transition with prepares: true"),
        (lambda d: d["states"].pop(), "a final state with key closed is required"),
        (lambda d: d["states"][0].update(days=0), "field states[0].days: 0 must be a whole number, at least 1"),
        (lambda d: d["states"][3].update(days=3), "field states[3].days: a final state has no deadline"),
        (lambda d: d["states"].append(d["states"][0]), "state received is declared more than once"),
        (
            lambda d: d["templates"]["decision"]["body"].update(en="{amount}"),
            "field templates.decision.body.en: unknown placeholder(s) amount",
        ),
        (lambda d: d["form"][0].update(type="colour"), "field form[0].type: 'colour' is not one of"),
        (lambda d: d["form"][0].update(type="code"), "field form[0].values: must be a list"),
        (lambda d: d["form"][0].update(type="pattern"), "type pattern needs a pattern and its rule in words"),
        (lambda d: d["form"][0].update(label=None), "field form[0].label: is required"),
        (lambda d: d.update(filing={"field": "what", "days": 30}), "'what' must be a required date field of the form"),
        (lambda d: d["open"].update(channels=["anonymous"]), "an anonymous channel needs person: optional"),
        (
            lambda d: d.update(categories=[{"key": "x", "name": {"en": "X", "ar": "س"}, "sensitive": True}]),
            "a category is sensitive, so the type cannot be sensitive: never",
        ),
    ],
)
def test_a_mistake_is_named_with_its_file_type_and_field(change: Callable[[dict[str, Any]], None], said: str) -> None:
    message = _refused(change)
    assert message.startswith("thing.yaml: case type thing: field "), message
    assert said in message, message


def test_a_folder_is_refused_whole(tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    shutil.copytree(OMAN_CASES, folder)
    (folder / "twin.yaml").write_text((folder / "grievance.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(CaseTypeError, match=r"twin.yaml: case type grievance is declared in grievance.yaml too"):
        load_catalogue(folder, places=PLACES, timezone="Asia/Muscat")
    (folder / "twin.yaml").write_text("key: [unclosed", encoding="utf-8")
    with pytest.raises(CaseTypeError, match=r"twin.yaml: not valid YAML"):
        load_catalogue(folder, places=PLACES, timezone="Asia/Muscat")
    (folder / "twin.yaml").unlink()
    calendar = yaml.safe_load((folder / "calendar.yaml").read_text(encoding="utf-8"))
    calendar["weekend"] = ["friday", "caturday"]
    (folder / "calendar.yaml").write_text(yaml.safe_dump(calendar, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CaseTypeError, match=r"calendar.yaml: field weekend: 'caturday' is not a weekday"):
        load_catalogue(folder, places=PLACES, timezone="Asia/Muscat")
    calendar["weekend"] = ["friday"]
    calendar["holidays"][0]["to"] = date(2020, 1, 1)
    (folder / "calendar.yaml").write_text(yaml.safe_dump(calendar, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CaseTypeError, match=r"calendar.yaml: field holidays\[0\]: from .* from not after to"):
        load_catalogue(folder, places=PLACES, timezone="Asia/Muscat")
    (folder / "calendar.yaml").unlink()
    with pytest.raises(CaseTypeError, match=r"calendar.yaml is missing"):
        load_catalogue(folder, places=PLACES, timezone="Asia/Muscat")
