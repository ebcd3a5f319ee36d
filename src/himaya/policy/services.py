"""The services of other bodies that a benefit opens, their providers, and the rules that propose a
referral from the month's entitlements: data in the pack (`packs/<country>/services/*.yaml`, read by
`service_loader.py`), so that a new service, provider or rule is a change of a YAML file.

A provider covers places (`wilayat:NAME`, `governorate:NAME` or `all`); a person is referred to the
most specific provider of the service that covers their wilayat (a wilayat's own before its
governorate's, before a national one; then by key).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from himaya.core.text import Text

# The referral case type's life as the referral actions read it (checked against the type at load).
PROPOSED, CONSENTED, SENT = "proposed", "consented", "sent"
COVERAGE = {"wilayat": 0, "governorate": 1, "all": 2}  # most specific first


@dataclass(frozen=True)
class Body:
    """A body that provides services (a ministry)."""

    key: str
    name: Text


@dataclass(frozen=True)
class Service:
    key: str
    body: str
    name: Text
    description: Text | None = None


@dataclass(frozen=True)
class Provider:
    """A centre, team or directorate that provides services in the places it covers."""

    key: str
    body: str
    name: Text
    services: frozenset[str]
    wilayat: str  # where it is
    covers: tuple[tuple[str, str | None], ...]  # (kind, value): ("wilayat", "Nizwa"), ("all", None)
    synthetic: bool = False  # made up for the pack's examples and tests, not a real provider

    def coverage(self, wilayat: str, places: Mapping[str, str]) -> int | None:
        """How specifically it covers `wilayat` (0: by name, 1: its governorate, 2: everywhere); None: not."""
        found = [
            COVERAGE[kind]
            for kind, value in self.covers
            if kind == "all"
            or (kind == "wilayat" and value == wilayat)
            or (kind == "governorate" and value == places.get(wilayat))
        ]
        return min(found) if found else None


# The insurance benefits a claim computes (not monthly programmes of the pack's engine): a referral
# rule naming one proposes its service when a claim is computed as entitled (`cases/claims.py`),
# never in the month's `referrals propose`.
CLAIMS = ("job_security",)


class Refer(StrEnum):
    """Who a rule refers: the programme's beneficiary, or the members of the beneficiary's family."""

    BENEFICIARY = "beneficiary"
    MEMBERS = "members"


@dataclass(frozen=True)
class ReferralRule:
    """Propose `service` to the people a programme's entitlement of the month points at.

    `new`: the beneficiary was not entitled the month before. `alone`: the referred person is the
    only living member of their family. `ages`: completed years on the month's first day, both
    ends included. `flags`: columns of the people table that must hold these booleans; `codes`:
    columns that must hold one of these codes (None in the list: no value). A proposal is not made
    again for the same person and service while one is open, nor within `again_after_months`."""

    key: str
    name: Text
    service: str
    programme: str
    reason: Text
    refer: Refer = Refer.BENEFICIARY
    new: bool = False
    alone: bool = False
    ages: tuple[int | None, int | None] = (None, None)
    flags: Mapping[str, bool] | None = None
    codes: Mapping[str, tuple[str | None, ...]] | None = None
    again_after_months: int = 12
    status: str = "ASSUMED"
    reference: str = ""


@dataclass(frozen=True)
class ServiceCatalogue:
    bodies: Mapping[str, Body]
    services: Mapping[str, Service]
    providers: Mapping[str, Provider]
    rules: tuple[ReferralRule, ...]
    places: Mapping[str, str]  # wilayat -> governorate
    case_type: str = "referral"  # the case type of a referral

    @property
    def monthly(self) -> tuple[ReferralRule, ...]:
        """The rules `referrals propose` runs on a month's entitlements (not a claim's)."""
        return tuple(r for r in self.rules if r.programme not in CLAIMS)

    def on_claim(self, benefit: str) -> tuple[ReferralRule, ...]:
        """The rules a claim of `benefit` (one of CLAIMS) computed as entitled proposes."""
        return tuple(r for r in self.rules if r.programme == benefit)

    def provider_for(self, service: str, wilayat: str | None) -> Provider | None:
        """The most specific provider of `service` covering `wilayat` (None: no provider covers it)."""
        if wilayat is None:
            return None
        ranked = [
            (rank, p.key)
            for p in self.providers.values()
            if service in p.services and (rank := p.coverage(wilayat, self.places)) is not None
        ]
        return self.providers[min(ranked)[1]] if ranked else None

    def offered(
        self, *, wilayat: str | None = None, body: str | None = None, service: str | None = None
    ) -> list[Provider]:
        """The providers meeting each filter given, by body then key."""
        return sorted(
            (
                p
                for p in self.providers.values()
                if (body is None or p.body == body)
                and (service is None or service in p.services)
                and (wilayat is None or p.coverage(wilayat, self.places) is not None)
            ),
            key=lambda p: (p.body, p.key),
        )
