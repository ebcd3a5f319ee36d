"""`himaya services list` and `himaya referrals propose|list|confirm`: the catalogue of other bodies'
services and their providers, the month's referral proposals, and their confirmation with the
person's recorded consent. Each command acts as a user of the store (`--as`), as `himaya cases` does;
a provider answers its referrals through the API only (docs/cases.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

from himaya.cases import proposals, referral_actions
from himaya.cases.model import Consent, ConsentChannel, ReferralFilter
from himaya.cli.app import INT_MAX, PeriodArg, app, out, period_option, reported, shown
from himaya.cli.cases import As, Number, _acting
from himaya.core.errors import InvalidInputError, UsageError
from himaya.core.periods import Period
from himaya.core.text import Language
from himaya.policy.packs import load_pack

services_app = typer.Typer(help="The services of other bodies a person may be referred to, and their providers.")
referrals_app = typer.Typer(
    help="Referrals to services: proposed from the month's entitlements, confirmed with the person's consent.",
    no_args_is_help=True,
)
app.add_typer(services_app, name="services")
app.add_typer(referrals_app, name="referrals")

Language_ = Annotated[str, typer.Option("--language", help="Of the proposals' reasons and messages: ar or en.")]


def _language(text: str) -> Language:
    if text not in ("ar", "en"):
        raise UsageError(f"--language: {text!r} is not ar or en")
    return "en" if text == "en" else "ar"


@services_app.command("list")
def services_list(
    wilayat: Annotated[str | None, typer.Option("--wilayat", help="Only the providers covering this wilayat.")] = None,
    body: Annotated[str | None, typer.Option("--body", help="Only this body's (mosd, moh, moe, mol).")] = None,
    service: Annotated[str | None, typer.Option("--service", help="Only the providers of this service.")] = None,
) -> None:
    """The services by body, and the providers of each (synthetic ones say so), as the pack declares them."""
    with reported():
        catalogue = load_pack().services
        for name, value, known in (
            ("body", body, catalogue.bodies),
            ("service", service, catalogue.services),
            ("wilayat", wilayat, catalogue.places),
        ):
            if value is not None and value not in known:
                raise InvalidInputError(
                    f"--{name}: {value!r} is not a {name} of the catalogue; {name}s: {', '.join(known)}"
                )
        for key, found in catalogue.bodies.items():
            if body is not None and key != body:
                continue
            out.print(f"[bold]{key}[/bold]  {found.name.en} / {found.name.ar}")
            for item in catalogue.services.values():
                if item.body == key and (service is None or item.key == service):
                    out.print(f"  service {item.key}: {item.name.en} / {item.name.ar}")
        providers = catalogue.offered(wilayat=wilayat, body=body, service=service)
        for provider in providers:
            where = ", ".join(f"{k}:{v}" if v else k for k, v in provider.covers)
            made_up = " (synthetic)" if provider.synthetic else ""
            out.print(
                f"{provider.key}  {provider.name.en} / {provider.name.ar}{made_up}; "
                f"services: {', '.join(sorted(provider.services))}; in {provider.wilayat}; covers {where}"
            )
        out.print(f"{len(providers)} provider(s)")


@referrals_app.command("propose")
def referrals_propose(period: PeriodArg, language: Language_ = "ar", acting: As = None) -> None:
    """Propose the month's referrals by the pack's rules, for a case worker to confirm with the person's consent.

    Only in your branches; never the same service twice to a person for a month (re-running proposes nothing new)."""
    with reported():
        words = _language(language)
        uow, principal = _acting(acting)
        done = proposals.propose(uow, load_pack(), period, principal=principal, language=words)
        span = f" ({done.first} .. {done.last})" if done.first else ""
        out.print(f"{done.period}: {done.proposed} referral(s) proposed{span}")
        for rule, count in done.by_rule.items():
            out.print(f"  {rule}: {count}")
        out.print(
            f"not proposed: {done.held} held already (this month, open, or recently), {done.elsewhere} outside your"
            f" branches, {done.no_branch} without a known wilayat"
        )


def _line(row: dict[str, Any]) -> str:
    service = row.get("service") or row["form"].get("service")
    provider = row.get("provider") or row["form"].get("provider") or "-"
    return (
        f"{row['number']}  {row['state']:<10} {shown(service):<20} {shown(provider):<40} "
        f"{shown(row['wilayat'])}  {row['civil_number']}  v{row['version']}"
    )


@referrals_app.command("list")
def referrals_list(
    period: Annotated[
        Period | None,
        typer.Option("--period", parser=period_option, help="Only those proposed for this month.", metavar="YYYY-MM"),
    ] = None,
    state: Annotated[str | None, typer.Option("--state", help="Only referrals in this state.")] = None,
    service: Annotated[str | None, typer.Option("--service", help="Only referrals to this service.")] = None,
    provider: Annotated[str | None, typer.Option("--provider", help="Only those to this provider.")] = None,
    wilayat: Annotated[str | None, typer.Option("--wilayat", help="Only this branch.")] = None,
    page: Annotated[int, typer.Option("--page", min=1, max=100_000, help="Page of 50 cases.")] = 1,
    acting: As = None,
) -> None:
    """The referrals of your branches, newest first, 50 a page."""
    with reported():
        uow, principal = _acting(acting)
        pack = load_pack()
        wanted = ReferralFilter(period.start if period else None, state, service, provider, wilayat, page)
        rows = referral_actions.listing(uow, pack.cases, pack.services, wanted, principal=principal)
        for row in rows:
            out.print(_line(row), markup=False)
        out.print(f"{len(rows)} referral(s), page {page}")


@referrals_app.command("confirm")
def referrals_confirm(
    number: Number,
    version: Annotated[
        int, typer.Option("--version", min=1, max=INT_MAX, help="The case's version you read (`himaya cases show`).")
    ],
    consent_by: Annotated[
        str, typer.Option("--consent-by", help="Who gave the consent: the person, or their guardian (named).")
    ],
    consent_channel: Annotated[
        str, typer.Option("--consent-channel", help=f"How: {', '.join(c.value for c in ConsentChannel)}.")
    ],
    consent_at: Annotated[
        datetime | None,
        typer.Option(
            "--consent-at",
            help="When, with its zone (e.g. 2026-01-10T09:30:00+04:00; default: now).",
            formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"],
        ),
    ] = None,
    provider: Annotated[
        str | None, typer.Option("--provider", help="Send it to this provider instead of the proposal's.")
    ] = None,
    acting: As = None,
) -> None:
    """Record the person's consent and send the referral to its provider; the person is told (outbox)."""
    with reported():
        uow, principal = _acting(acting)
        pack = load_pack()
        consent = Consent(consent_by, consent_channel, consent_at)
        moved = referral_actions.confirm(
            uow, pack.cases, pack.services, number, consent, expected_version=version, principal=principal,
            provider=provider,
        )  # fmt: skip
        out.print(
            f"{number}: consent recorded, sent to the provider; {moved.state}, due {moved.due_on or '-'}; "
            f"version {moved.version}; {moved.notifications} message(s) queued"
        )
