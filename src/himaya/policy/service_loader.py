"""Read and check a pack's services (`services/services.yaml`), providers (`services/providers.yaml`)
and referral rules (`services/rules.yaml`), as `case_loader.py` checks its case types: a problem is
reported with its file and field (`providers.yaml: field providers[3].covers[0]: 'wilayat:Nizwah' is
not a wilayat of the pack`), and nothing is used until everything holds.

Checked across files: every provider's body and services exist, every rule's service and
programme exist and its conditions name columns of the people table with values of their kind, and
the services are exactly the values the referral case type's form allows, so that a proposal is
always a valid case and a service a case names is always in the catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from himaya.core.errors import HimayaError
from himaya.policy.case_loader import _At, _bool, _choice, _int, _key, _list, _mapping, _need, _read, _text
from himaya.policy.case_types import CaseCatalogue, CaseTypeError, Need
from himaya.policy.schema import Kind, TableSchema
from himaya.policy.services import (
    CLAIMS,
    CONSENTED,
    COVERAGE,
    PROPOSED,
    SENT,
    Body,
    Provider,
    Refer,
    ReferralRule,
    Service,
    ServiceCatalogue,
)

SERVICES, PROVIDERS, RULES = "services.yaml", "providers.yaml", "rules.yaml"
PROVIDER_KEY = re.compile(r"^[a-z][a-z0-9_]{0,47}$")  # a provider's key is a user scope's value (provider:KEY)
STATUSES = ("CONFIRMED", "LIKELY", "ASSUMED")
_RULE_KEYS = {
    "key", "name", "service", "programme", "reason", "refer", "new", "alone", "person", "again_after_months",
    "status", "reference",
}  # fmt: skip


class ServiceCatalogueError(CaseTypeError):
    """A services, providers or rules file that cannot be used as written (its file and field named)."""


class _Here(_At):
    def __truediv__(self, part: str | int) -> _Here:
        step = f"[{part}]" if isinstance(part, int) else (f".{part}" if self.path else part)
        return _Here(self.file, None, f"{self.path}{step}")

    def error(self, problem: str) -> ServiceCatalogueError:
        return ServiceCatalogueError(f"{self.file}: field {self.path or '(top)'}: {problem}")


def _unique(keys: list[str], at: _Here, what: str) -> None:
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise at.error(f"{what} {', '.join(twice)} is declared more than once")


def _bodies_and_services(document: Any) -> tuple[dict[str, Body], dict[str, Service], str]:
    top = _mapping(document, _Here(SERVICES), {"case_type", "bodies", "services"})
    at = _Here(SERVICES)
    bodies: dict[str, Body] = {}
    for n, item in enumerate(_list(_need(top, "bodies", at), at / "bodies")):
        here = at / "bodies" / n
        spec = _mapping(item, here, {"key", "name"})
        key = _key(_need(spec, "key", here), here / "key")
        if key in bodies:
            raise (here / "key").error(f"body {key} is declared more than once")
        bodies[key] = Body(key, _text(_need(spec, "name", here), here / "name"))
    services: dict[str, Service] = {}
    for n, item in enumerate(_list(_need(top, "services", at), at / "services")):
        here = at / "services" / n
        spec = _mapping(item, here, {"key", "body", "name", "description"})
        key = _key(_need(spec, "key", here), here / "key")
        if key in services:
            raise (here / "key").error(f"service {key} is declared more than once")
        body = _one_of(_need(spec, "body", here), bodies, here / "body", "body")
        description = _text(spec["description"], here / "description") if spec.get("description") else None
        services[key] = Service(key, body, _text(_need(spec, "name", here), here / "name"), description)
    return bodies, services, _key(top.get("case_type", "referral"), at / "case_type")


def _one_of(value: Any, known: Collection[str], at: _Here, what: str) -> str:
    if value not in known:
        raise at.error(f"{value!r} is not a {what} of the catalogue; {what}s: {', '.join(sorted(known))}")
    return str(value)


def _covers(value: Any, at: _Here, places: Mapping[str, str]) -> tuple[tuple[str, str | None], ...]:
    found: list[tuple[str, str | None]] = []
    for n, item in enumerate(_list(value, at)):
        kind, _, name = str(item).partition(":")
        if kind not in COVERAGE or (kind == "all") != (not name):
            raise (at / n).error(f"{item!r} must be wilayat:NAME, governorate:NAME or all")
        known = places.keys() if kind == "wilayat" else set(places.values())
        if kind != "all" and name not in known:
            raise (at / n).error(f"{item!r} is not a {kind} of the pack")
        found.append((kind, name or None))
    return tuple(found)


def _providers(
    document: Any, bodies: Mapping[str, Body], services: Mapping[str, Service], places: Mapping[str, str]
) -> dict[str, Provider]:
    at = _Here(PROVIDERS)
    top = _mapping(document, at, {"providers"})
    providers: dict[str, Provider] = {}
    for n, item in enumerate(_list(_need(top, "providers", at), at / "providers")):
        here = at / "providers" / n
        spec = _mapping(item, here, {"key", "body", "name", "services", "wilayat", "covers", "synthetic"})
        key = _need(spec, "key", here)
        if not isinstance(key, str) or not PROVIDER_KEY.match(key):
            raise (here / "key").error(f"{key!r} must be a key: lower-case letters, digits and _, at most 48")
        if key in providers:
            raise (here / "key").error(f"provider {key} is declared more than once")
        body = _one_of(_need(spec, "body", here), bodies, here / "body", "body")
        offered = [_one_of(s, services, here / "services", "service") for s in _list(spec.get("services"), here)]
        foreign = [s for s in offered if services[s].body != body]
        if foreign:
            raise (here / "services").error(f"{', '.join(foreign)} is not a service of {body}")
        providers[key] = Provider(
            key=key,
            body=body,
            name=_text(_need(spec, "name", here), here / "name"),
            services=frozenset(offered),
            wilayat=_one_of(_need(spec, "wilayat", here), places, here / "wilayat", "wilayat"),
            covers=_covers(_need(spec, "covers", here), here / "covers", places),
            synthetic=_bool(spec.get("synthetic", False), here / "synthetic"),
        )
    return providers


def _conditions(
    value: Any, at: _Here, schema: TableSchema
) -> tuple[tuple[int | None, int | None], dict[str, bool], dict[str, tuple[str | None, ...]]]:
    """A rule's `person` conditions: `age: {min, max}`, a boolean column's value, or a code column's
    codes (`none`: no value)."""
    ages: tuple[int | None, int | None] = (None, None)
    flags: dict[str, bool] = {}
    codes: dict[str, tuple[str | None, ...]] = {}
    for name, wanted in _mapping(value or {}, at).items():
        here = at / str(name)
        if name == "age":
            bounds = _mapping(wanted, here, {"min", "max"})
            low, high = (_int(bounds[b], here / b, least=0) if b in bounds else None for b in ("min", "max"))
            if low is not None and high is not None and high < low:
                raise here.error(f"max {high} is below min {low}")
            ages = (low, high)
            continue
        column = next((c for c in schema.columns if c.name == name), None)
        if column is None or column.kind not in (Kind.BOOL, Kind.CODE):
            usable = sorted(c.name for c in schema.columns if c.kind in (Kind.BOOL, Kind.CODE))
            raise here.error(f"{name!r} is not a yes/no or coded column of the people table; columns: age, {usable}")
        if column.kind is Kind.BOOL:
            flags[name] = _bool(wanted, here)
            continue
        listed = wanted if isinstance(wanted, list) else [wanted]
        for code in listed:
            if code != "none" and code not in column.codes:
                raise here.error(f"{code!r} is not a code of {name}: {', '.join(column.codes)} (or none)")
        codes[name] = tuple(None if c == "none" else str(c) for c in listed)
    return ages, flags, codes


def _rule(
    item: Any, here: _Here, services: Mapping[str, Service], programmes: Collection[str], schema: TableSchema
) -> ReferralRule:
    spec = _mapping(item, here, _RULE_KEYS)
    ages, flags, codes = _conditions(spec.get("person"), here / "person", schema)
    status = spec.get("status", "ASSUMED")
    if spec.get("programme") in CLAIMS and spec.get("new"):
        raise (here / "new").error("a claim's rule proposes on the claim itself: `new` is for a month's programmes")
    if status not in STATUSES:
        raise (here / "status").error(f"{status!r} is not {', '.join(STATUSES)}")
    return ReferralRule(
        key=_key(_need(spec, "key", here), here / "key"),
        name=_text(_need(spec, "name", here), here / "name"),
        service=_one_of(_need(spec, "service", here), services, here / "service", "service"),
        programme=_one_of(_need(spec, "programme", here), [*programmes, *CLAIMS], here / "programme", "programme"),
        reason=_text(_need(spec, "reason", here), here / "reason"),
        refer=_choice(spec.get("refer", "beneficiary"), here / "refer", Refer),
        new=_bool(spec.get("new", False), here / "new"),
        alone=_bool(spec.get("alone", False), here / "alone"),
        ages=ages,
        flags=flags,
        codes=codes,
        again_after_months=_int(spec.get("again_after_months", 12), here / "again_after_months", least=1),
        status=status,
        reference=str(spec.get("reference") or ""),
    )


def _check_case_type(cases: CaseCatalogue, key: str, services: Mapping[str, Service]) -> None:
    """The referral type allows exactly the catalogue's services, and its life is the one the referral
    actions follow: proposed -> consented -> sent, both moved by the person's consent."""
    at = _Here(SERVICES, None, "case_type")
    kind = cases.type(key)
    if kind is None:
        raise at.error(f"{key!r} is not a case type of the pack")
    field = next((c for c in kind.form if c.name == "service"), None)
    if field is None or field.kind is not Kind.CODE or not field.required:
        raise at.error(f"case type {key} needs a required coded form field service")
    if set(field.codes) != set(services):
        missing, extra = sorted(set(services) - set(field.codes)), sorted(set(field.codes) - set(services))
        raise at.error(
            f"the services of {kind.source} (form field service) and of the catalogue differ: "
            f"not in the case type {missing}, not in the catalogue {extra}"
        )
    if kind.initial.key != PROPOSED:
        raise at.error(f"case type {key} must start in {PROPOSED}")
    for source, target in ((PROPOSED, CONSENTED), (CONSENTED, SENT)):
        move = kind.transition(source, target)
        if move is None or move.by is not Need.CONSENT:
            raise at.error(f"case type {key} needs the move {source} -> {target} by: consent")
    if any(t.source == PROPOSED and t.by is Need.WORK and t.target != "closed" for t in kind.transitions):
        raise at.error(f"case type {key}: a proposal moves on only by the person's consent (or is closed)")


def load_services(
    folder: Path, *, places: Mapping[str, str], programmes: Collection[str], schema: TableSchema, cases: CaseCatalogue
) -> ServiceCatalogue:
    """The catalogue of the folder, checked whole (the first problem refuses it)."""
    for name in (SERVICES, PROVIDERS, RULES):
        if not (folder / name).is_file():
            raise ServiceCatalogueError(f"{folder}: {name} is missing")
    try:
        bodies, services, case_type = _bodies_and_services(_read(folder / SERVICES))
        providers = _providers(_read(folder / PROVIDERS), bodies, services, places)
        at = _Here(RULES)
        top = _mapping(_read(folder / RULES), at, {"rules"})
        rules = tuple(
            _rule(item, at / "rules" / n, services, programmes, schema)
            for n, item in enumerate(_list(_need(top, "rules", at), at / "rules", empty=True))
        )
        _unique([r.key for r in rules], at / "rules", "rule")
        _check_case_type(cases, case_type, services)
    except ServiceCatalogueError:
        raise
    except HimayaError as error:  # a helper's own error (CaseTypeError) from inside a file: same message
        raise ServiceCatalogueError(str(error)) from None
    return ServiceCatalogue(bodies, services, providers, rules, places, case_type)
