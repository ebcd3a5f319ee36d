"""`himaya partners ...`: partner systems' DCI onboarding (sender id, callback addresses, limits)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from himaya import bootstrap
from himaya.adapters.dci.actions import deliveries, purge
from himaya.adapters.dci.delivery import Bearer, redeliver, unregistered
from himaya.adapters.dci.encryption import read_encryption_key
from himaya.adapters.dci.onboarding import partners, set_partner
from himaya.adapters.dci.signing import KeyFileError, read_key
from himaya.adapters.dci.subscribing import subscriptions
from himaya.bootstrap import dci
from himaya.bootstrap.access import signing_key
from himaya.cli.app import INT_MAX, actor_option, administrator, app, out, reported
from himaya.core.errors import UsageError
from himaya.core.text import neutral
from himaya.policy.packs import load_pack
from himaya.registry.partners import CallbackLogin, Delivery, Limits, PartnerKey, PartnerTerms, Subscription

PartnerActor = Annotated[
    str | None,
    typer.Option("--actor", callback=actor_option, help="Who acts: the administrator logged in with `himaya login`."),
]
partners_app = typer.Typer(
    help="Partner systems' DCI terms: the sender id they send, where their answers go, their limits.",
    no_args_is_help=True,
)
app.add_typer(partners_app, name="partners")


def show(terms: PartnerTerms) -> str:
    settings = bootstrap.settings()
    records = terms.max_records if terms.max_records is not None else f"{settings.dci_max_records} (default)"
    minute = terms.per_minute if terms.per_minute is not None else f"{settings.dci_per_minute} (default)"
    signing = [n.removeprefix("sig:") for n in terms.key_notes if n.startswith("sig:")]
    encryption = [n.removeprefix("enc:") for n in terms.key_notes if n.startswith("enc:")]
    return (
        f"partner {terms.client}: sender id {terms.sender_id or terms.client}; "
        f"callbacks: {', '.join(terms.callbacks) or 'none (no async answers)'}; "
        f"max records a message: {records}; search requests a minute: {minute}; "
        f"signing keys: {', '.join(signing) or 'none (unsigned messages accepted)'}"
        + (f"; encryption keys: {', '.join(encryption)}" if encryption else "")
        + (f"; callback token from {terms.token_url} as {terms.token_client_id}" if terms.token_url else "")
    )


NOTHING = (  # what `partners set` may change
    "--callback, --remove-callback, --key, --enc-key, --remove-key, --retire-key, --callback-token-url, --sender-id, "
    "--max-records, --per-minute"
)


def _login(url: str | None, client_id: str | None, secret: Path | None) -> CallbackLogin | None:
    """Our credentials at the partner's token endpoint: the three options together, or none."""
    if url is None and client_id is None and secret is None:
        return None
    if url is None or client_id is None or secret is None:
        raise UsageError("give --callback-token-url, --callback-client-id and --callback-secret-file together")
    try:
        text = secret.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"--callback-secret-file {secret}: cannot be read ({type(error).__name__})") from None
    return CallbackLogin(url, client_id, text)


def _keys(files: list[Path] | None, option: str = "--key") -> list[PartnerKey]:
    """The public keys in the files given (PEM or JWK): signing keys (`--key`) or encryption keys
    (`--enc-key`); a bad one is named with its file."""
    found = []
    for file in files or []:
        try:
            text = file.read_text(encoding="utf-8")
            found.append(read_key(text) if option == "--key" else read_encryption_key(text))
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"{option} {file}: cannot be read ({type(error).__name__})") from None
        except KeyFileError as error:
            raise UsageError(f"{option} {file}: {error}") from None
    return found


def _retiring(key_ids: list[str] | None, at: str | None) -> list[tuple[str, datetime]]:
    """(key id, time) for `--retire-key`: at `--retire-at` (a time with its zone), else now."""
    if at is not None and not key_ids:
        raise UsageError("--retire-at goes with --retire-key")
    when = datetime.now(UTC)
    if at is not None:
        try:
            when = datetime.fromisoformat(at)
        except ValueError:
            raise UsageError(f"--retire-at {at!r}: a time like 2026-12-31T00:00:00+04:00") from None
        if when.tzinfo is None:
            raise UsageError(f"--retire-at {at!r}: give its zone (+04:00 or Z)")
    return [(k, when) for k in key_ids or []]


# `partners set`'s options about keys and the callbacks' token
SigningKeys = Annotated[
    list[Path] | None,
    typer.Option("--key", help="A public key (PEM or JWK file) its DCI messages are signed with (repeat)."),
]
EncryptionKeys = Annotated[
    list[Path] | None,
    typer.Option("--enc-key", help="A public key (PEM or JWK: RSA or EC P-256) our messages to it are encrypted to."),
]
RemoveKeys = Annotated[
    list[str] | None, typer.Option("--remove-key", help="Unregister a signing key, by its key id (repeat).")
]
RetireKeys = Annotated[
    list[str] | None,
    typer.Option("--retire-key", help="End a key's validity (by key id) at --retire-at, else now (repeat)."),
]
RetireAt = Annotated[
    str | None, typer.Option("--retire-at", help="When the keys of --retire-key stop being valid (ISO time, zone).")
]
TokenUrl = Annotated[
    str | None,
    typer.Option("--callback-token-url", help="Its token endpoint: our callbacks carry a bearer token from it."),
]
TokenClient = Annotated[str | None, typer.Option("--callback-client-id", help="Our client id at its token endpoint.")]
TokenSecret = Annotated[
    Path | None, typer.Option("--callback-secret-file", help="A file holding our client secret there.")
]


@partners_app.command("set")
def partners_set(
    client: Annotated[str, typer.Argument(help="The partner's client id (a user made with `users create --client`).")],
    callback: Annotated[
        list[str] | None, typer.Option("--callback", help="Register an address its async answers may go to (repeat).")
    ] = None,
    remove_callback: Annotated[
        list[str] | None, typer.Option("--remove-callback", help="Unregister an address (repeat).")
    ] = None,
    sender_id: Annotated[
        str | None, typer.Option("--sender-id", help="The header.sender_id it must send (default: its client id).")
    ] = None,
    max_records: Annotated[
        int | None,
        typer.Option(
            "--max-records", min=0, max=INT_MAX, help="Records one message may ask for (its page sizes summed)."
        ),
    ] = None,
    per_minute: Annotated[
        int | None, typer.Option("--per-minute", min=0, max=INT_MAX, help="Search requests it may send in a minute.")
    ] = None,
    key: SigningKeys = None,
    enc_key: EncryptionKeys = None,
    remove_key: RemoveKeys = None,
    retire_key: RetireKeys = None,
    retire_at: RetireAt = None,
    token_url: TokenUrl = None,
    token_client: TokenClient = None,
    token_secret: TokenSecret = None,
    actor: PartnerActor = None,
) -> None:
    """Register or change a partner's DCI terms (what is not given stays as it was)."""
    with reported():
        who = administrator(actor)  # before any file is read: a refusal reads nothing
        given = (sender_id, max_records, per_minute)
        login = _login(token_url, token_client, token_secret)
        retiring = _retiring(retire_key, retire_at)
        changes = (callback, remove_callback, key, enc_key, remove_key, retiring, login)
        if not any(changes) and all(g is None for g in given):
            raise UsageError(f"give one of {NOTHING}")
        terms = set_partner(
            bootstrap.unit_of_work(),
            client,
            sender_id=sender_id,
            max_records=max_records,
            per_minute=per_minute,
            add=callback,
            remove=remove_callback,
            add_keys=_keys(key) + _keys(enc_key, "--enc-key"),
            remove_keys=remove_key,
            retire_keys=retiring,
            login=login,
            actor=who,
        )
        out.print(neutral(show(terms)), markup=False)


@partners_app.command("list")
def partners_list() -> None:
    """Every partner with registered DCI terms."""
    with reported():
        for terms in partners(bootstrap.unit_of_work()):
            out.print(neutral(show(terms)), markup=False)


@partners_app.command("purge")
def partners_purge(
    actor: PartnerActor = None,
) -> None:
    """Remove the DCI transactions whose retention (HIMAYA_DCI_RETENTION_DAYS) has ended, with their
    delivery attempts (the service also removes them as messages come in)."""
    with reported():
        removed = purge(bootstrap.unit_of_work(), actor=administrator(actor))
        out.print(f"removed {removed} expired DCI transactions", markup=False)


@partners_app.command("deliveries")
def partners_deliveries(
    correlation_id: Annotated[str, typer.Argument(help="The correlation id the ACK gave.")],
) -> None:
    """Each attempt to POST an async answer to the partner: when, where, and what came of it."""
    with reported():
        for attempt in deliveries(bootstrap.unit_of_work(), correlation_id):
            why = f" ({attempt.error})" if attempt.error else ""
            line = f"{attempt.attempt} {attempt.at.isoformat(timespec='seconds')} {attempt.uri} {attempt.outcome}{why}"
            out.print(neutral(line), markup=False)


@partners_app.command("redeliver")
def partners_redeliver(
    attempts: Annotated[
        int | None,
        typer.Option("--attempts", min=1, max=20, help="Attempts for each (default HIMAYA_DCI_CALLBACK_ATTEMPTS)."),
    ] = None,
) -> None:
    """POST again the kept async answers their partner has not taken (delivery failed, or pending for
    over 10 minutes after a restart), each HIMAYA_DCI_CALLBACK_ATTEMPTS more times; only to an address
    the partner has registered now (one removed or changed: refused, with the reason, not sent)."""
    with reported():
        limits = Limits(attempts=attempts or bootstrap.settings().dci_callback_attempts)
        sign = dci.sealer(bootstrap.unit_of_work().engine, bootstrap.settings())  # as the service
        for transaction, outcome in redeliver(
            bootstrap.unit_of_work, limits=limits, actor=bootstrap.actor(), sign=sign, bearer=Bearer()
        ):
            why = f" ({unregistered(transaction)})" if outcome is Delivery.REFUSED else ""
            line = f"{transaction.correlation_id} {transaction.callback_uri} {outcome}{why}"
            out.print(neutral(line), markup=False)


def subscription_line(kept: Subscription) -> str:
    valid = ""
    if kept.valid_from or kept.valid_until:
        start = kept.valid_from.isoformat(timespec="seconds") if kept.valid_from else "always"
        end = kept.valid_until.isoformat(timespec="seconds") if kept.valid_until else "open"
        valid = f" valid {start} to {end}"
    ended = f" ended {kept.ended_at.isoformat(timespec='seconds')}" if kept.ended_at else ""
    return (
        f"{kept.code} {kept.status} {kept.event_code} ({kept.event}) {kept.filter_type} {kept.filter}"
        f" -> {kept.callback_uri} since {kept.created_at.isoformat(timespec='seconds')}{valid}{ended}"
    )


@partners_app.command("subscriptions")
def partners_subscriptions(
    client: Annotated[str, typer.Argument(help="The partner's client id.")],
) -> None:
    """A partner's DCI subscriptions: code, status, event, filter, where its notifications go."""
    with reported():
        for kept in subscriptions(bootstrap.unit_of_work(), client):
            out.print(neutral(subscription_line(kept)), markup=False)


@partners_app.command("notify")
def partners_notify() -> None:
    """POST the DCI notifications that registry changes queued and that no one has sent yet (e.g.
    after `registry import`, or from cron), each HIMAYA_DCI_CALLBACK_ATTEMPTS times; what fails is
    POSTed again by `partners redeliver`, with the same event id."""
    with reported():
        settings, engine = bootstrap.settings(), bootstrap.unit_of_work().engine
        sign = dci.sealer(engine, settings)  # as the service
        key = settings.signing_key or signing_key(engine)  # the service's pseudonyms, as in its searches
        country = load_pack(settings.pack).country
        for transaction, outcome in dci.notify_partners(
            engine, settings, key=key, country=country, sign=sign, bearer=Bearer()
        ):
            out.print(neutral(f"{transaction.correlation_id} {transaction.callback_uri} {outcome}"), markup=False)
