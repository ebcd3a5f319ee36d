"""The Oman pack's services, providers and referral rules load; every wilayat has a provider of every
service; and a file with a mistake is refused naming its file and field, before anything is used."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from himaya.policy.pack import PolicyPack
from himaya.policy.service_loader import ServiceCatalogueError, load_services
from himaya.policy.services import Refer

SERVICES = Path(__file__).resolve().parents[2] / "src/himaya/policy/packs/oman/services"
BODIES = {"mosd", "moh", "moe", "mol"}
OFFERED = {
    "home_care", "elderly_day_care", "rehabilitation", "assistive_devices", "health", "inclusive_schooling",
    "job_placement", "training",
}  # fmt: skip


def test_the_oman_pack_ships_the_catalogue(oman: PolicyPack) -> None:
    catalogue = oman.services
    assert set(catalogue.bodies) == BODIES and set(catalogue.services) == OFFERED
    assert {s.body for s in catalogue.services.values()} == BODIES
    assert all(b.name.ar and s.name.ar for b in catalogue.bodies.values() for s in catalogue.services.values())
    assert all(p.synthetic for p in catalogue.providers.values())  # made up, and they say so
    rules = {r.key: r for r in catalogue.rules}
    assert (
        rules["new_disability_rehabilitation"].new
        and rules["new_disability_rehabilitation"].service == "rehabilitation"
    )
    assert rules["elderly_alone_home_care"].alone and rules["elderly_alone_home_care"].programme == "elderly"
    labour = rules["fis_member_able_to_work"]
    assert (
        labour.refer is Refer.MEMBERS
        and labour.ages == (18, 59)
        and labour.flags == {"employed": False, "resident": True}
    )
    assert labour.codes == {"disability_category": (None,)} and catalogue.services[labour.service].body == "mol"


def test_every_wilayat_has_a_provider_of_every_service_its_own_first(oman: PolicyPack) -> None:
    catalogue = oman.services
    for wilayat in oman.places:
        for service in OFFERED:
            provider = catalogue.provider_for(service, wilayat)
            assert provider is not None and service in provider.services, (wilayat, service)
        assert catalogue.provider_for("home_care", wilayat).covers == (("wilayat", wilayat),)  # type: ignore[union-attr]
    assert catalogue.provider_for("rehabilitation", "Bahla").key == "mosd_rehabilitation_ad_dakhiliyah"  # type: ignore[union-attr]
    assert catalogue.provider_for("assistive_devices", "Khasab").key == "mosd_assistive_devices"  # type: ignore[union-attr]
    assert catalogue.provider_for("home_care", None) is None
    nizwa = catalogue.offered(wilayat="Nizwa", body="mol")
    assert [p.key for p in nizwa] == ["mol_labour_ad_dakhiliyah"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copy = tmp_path / "services"
    shutil.copytree(SERVICES, copy)
    return copy


def _edit(folder: Path, name: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = folder / name
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _load(folder: Path, oman: PolicyPack) -> Any:
    return load_services(
        folder, places=oman.places, programmes=[p.key for p in oman.programmes], schema=oman.schema, cases=oman.cases
    )


def test_the_copied_catalogue_loads(folder: Path, oman: PolicyPack) -> None:
    assert len(_load(folder, oman).providers) == len(oman.services.providers)


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        target: Any = document
        for step in path[:-1]:
            target = target[step]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return change


_DELETE = object()


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        (
            "providers.yaml",
            _set(["providers", 0, "covers", 0], "wilayat:Nizwah"),
            "providers.yaml: field providers[0].covers[0]: 'wilayat:Nizwah' is not a wilayat of the pack",
        ),
        (
            "providers.yaml",
            _set(["providers", 0, "services"], ["home_care", "massage"]),
            "field providers[0].services: 'massage' is not a service of the catalogue",
        ),
        (
            "providers.yaml",
            _set(["providers", 0, "services"], ["job_placement"]),
            "job_placement is not a service of mosd",
        ),
        ("providers.yaml", _set(["providers", 0, "key"], "Bad Key"), "field providers[0].key: 'Bad Key' must be a key"),
        ("providers.yaml", _set(["providers", 1, "key"], "mosd_home_care_muscat"), "declared more than once"),
        ("providers.yaml", _set(["providers", 0, "name", "ar"], "Home care"), "field providers[0].name.ar: the Arabic"),
        ("providers.yaml", _set(["providers", 0, "colour"], "red"), "unknown key(s) colour"),
        ("providers.yaml", _set(["providers", 0, "covers", 0], "everywhere"), "must be wilayat:NAME, governorate:NAME"),
        (
            "rules.yaml",
            _set(["rules", 0, "programme"], "pension"),
            "rules.yaml: field rules[0].programme: 'pension' is not a programme of the catalogue",
        ),
        ("rules.yaml", _set(["rules", 0, "service"], "massage"), "field rules[0].service: 'massage' is not a service"),
        (
            "rules.yaml",
            _set(["rules", 2, "person", "salary"], 100),
            "field rules[2].person.salary: 'salary' is not a yes/no or coded column of the people table",
        ),
        (
            "rules.yaml",
            _set(["rules", 2, "person", "employed"], "no"),
            "field rules[2].person.employed: 'no' must be true",
        ),
        ("rules.yaml", _set(["rules", 2, "person", "sex"], "X"), "'X' is not a code of sex: F, M (or none)"),
        ("rules.yaml", _set(["rules", 2, "person", "age"], {"min": 60, "max": 18}), "max 18 is below min 60"),
        ("rules.yaml", _set(["rules", 0, "status"], "SURE"), "'SURE' is not CONFIRMED, LIKELY, ASSUMED"),
        ("rules.yaml", _set(["rules", 0, "again_after_months"], 0), "must be a whole number, at least 1"),
        (
            "rules.yaml",
            _set(["rules", 1, "key"], "new_disability_rehabilitation"),
            "rule new_disability_rehabilitation",
        ),
        ("rules.yaml", _set(["rules", 0, "refer"], "neighbours"), "'neighbours' is not one of beneficiary, members"),
        (
            "services.yaml",
            lambda d: d["services"].append(
                {"key": "apprenticeship", "body": "mol", "name": {"en": "A", "ar": "تدريب"}}
            ),
            "the services of referral.yaml (form field service) and of the catalogue differ",
        ),
        ("services.yaml", _set(["case_type"], "grievance"), "case type grievance needs a required coded form field"),
        ("services.yaml", _set(["services", 0, "body"], "mod"), "'mod' is not a body of the catalogue"),
        ("services.yaml", _set(["bodies"], _DELETE), "field bodies: is required"),
    ],
    ids=lambda value: value if isinstance(value, str) and value.endswith(".yaml") else None,
)
def test_a_mistake_is_refused_naming_its_file_and_field(
    folder: Path, oman: PolicyPack, name: str, change: Callable[[dict[str, Any]], None], message: str
) -> None:
    _edit(folder, name, change)
    with pytest.raises(ServiceCatalogueError) as refused:
        _load(folder, oman)
    assert message in str(refused.value)


def test_a_missing_file_or_bad_yaml_is_refused(folder: Path, oman: PolicyPack) -> None:
    (folder / "rules.yaml").write_text("rules: [unclosed", encoding="utf-8")
    with pytest.raises(ServiceCatalogueError, match=r"rules\.yaml: not valid YAML"):
        _load(folder, oman)
    (folder / "providers.yaml").unlink()
    with pytest.raises(ServiceCatalogueError, match=r"providers\.yaml is missing"):
        _load(folder, oman)
